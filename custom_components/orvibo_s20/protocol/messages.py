"""One frozen dataclass per S20 message; `codec.py` turns them into bytes and back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from .allone import AllOneClientMessage, AllOneDeviceMessage
from .clock import datetime_from_clock
from .const import ZERO_SESSION, Command, CountdownMode, PowerState, Table, TableOp
from .mac import Mac
from .tables import SocketData, TableVersion, Timer


# --- controller → socket -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoverRequest:
    """`qa`: ask every socket on the subnet to answer."""

    command: ClassVar[Command] = Command.DISCOVER


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoverMacRequest:
    """`qg`: ask the socket with this MAC to answer."""

    command: ClassVar[Command] = Command.DISCOVER_MAC
    mac: Mac


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeRequest:
    """`cl`: subscribe to pushes; required before control. `session` is only in the cloud form."""

    command: ClassVar[Command] = Command.SUBSCRIBE
    mac: Mac
    session: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PowerRequest:
    """`dc`: switch the relay."""

    command: ClassVar[Command] = Command.POWER
    mac: Mac
    state: PowerState
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatRequest:
    """`hb`: keep the subscription alive; the socket echoes the session."""

    command: ClassVar[Command] = Command.HEARTBEAT
    mac: Mac
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadTableRequest:
    """`rt`: read a table."""

    command: ClassVar[Command] = Command.READ_TABLE
    mac: Mac
    table: int
    version: int = 0
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteTableRequest:
    """`tm`: add, modify or delete a record. `data` is a whole record, or a timer code to delete."""

    command: ClassVar[Command] = Command.WRITE_TABLE
    mac: Mac
    table: int
    op: TableOp
    data: bytes
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class CountdownRequest:
    """`cd`: read (mode READ) or set (mode SET) the countdown; action None cancels."""

    command: ClassVar[Command] = Command.COUNTDOWN
    mac: Mac
    mode: CountdownMode
    action: PowerState | None = None
    seconds: int = 0
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockRequest:
    """`cs`: set the socket's clock (seconds since 1900, UTC)."""

    command: ClassVar[Command] = Command.CLOCK
    mac: Mac
    clock: int
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class TimezoneRequest:
    """`ts`: write the fw-26 time-zone block (PROTOCOL.md §3.11)."""

    command: ClassVar[Command] = Command.TIMEZONE
    mac: Mac
    tz_index: int
    year: int
    std_offset_s: int
    dst_offset_s: int
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordRequest:
    """`mp`: change the remote password (needs the vendor cloud; decoded only)."""

    command: ClassVar[Command] = Command.PASSWORD
    mac: Mac
    old_password: bytes
    new_password: bytes
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class LogoutRequest:
    """`lt`: sent by the vendor app; no reply was ever seen (decoded only)."""

    command: ClassVar[Command] = Command.LOGOUT
    mac: Mac


# --- socket → controller -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryReply:
    """`qa`/`qg` reply, also broadcast unsolicited as an announcement (PROTOCOL.md §3.1)."""

    command: Command = Command.DISCOVER
    mac: Mac
    product_id: str
    clock: int
    state: PowerState | None  # None for 41-byte AllOne replies

    @property
    def device_time(self) -> datetime | None:
        """The socket's clock as UTC, None when never set."""
        return datetime_from_clock(self.clock)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeReply:
    """`cl` reply: the subscription is accepted; carries the relay state."""

    command: ClassVar[Command] = Command.SUBSCRIBE
    mac: Mac
    state: PowerState
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """A 23-byte acknowledgement (`dc`, `hb`, `tm`, `cs`, `ts`, `mp`). `status` is not a state."""

    command: Command
    mac: Mac
    session: bytes = ZERO_SESSION
    status: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class StateReport:
    """`sf`: the relay changed (any controller, the button, a timer)."""

    command: ClassVar[Command] = Command.STATE
    mac: Mac
    state: PowerState
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class TableListReply:
    """`rt` table 1: which tables exist and their change counters."""

    command: ClassVar[Command] = Command.READ_TABLE
    table: ClassVar[int] = Table.TABLES
    mac: Mac
    tables: tuple[TableVersion, ...]
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class TimersReply:
    """`rt` table 3: the timers."""

    command: ClassVar[Command] = Command.READ_TABLE
    table: ClassVar[int] = Table.TIMERS
    mac: Mac
    timers: tuple[Timer, ...]
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketDataReply:
    """`rt` table 4: the socket data record."""

    command: ClassVar[Command] = Command.READ_TABLE
    table: ClassVar[int] = Table.SOCKET_DATA
    mac: Mac
    data: SocketData
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherTableReply:
    """`rt` reply for a table we do not interpret (e.g. table 2): raw records."""

    command: ClassVar[Command] = Command.READ_TABLE
    mac: Mac
    table: int
    records: tuple[bytes, ...]
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class CountdownReply:
    """`cd` reply: action None means no countdown is running."""

    command: ClassVar[Command] = Command.COUNTDOWN
    mac: Mac
    mode: int
    action: PowerState | None
    seconds: int
    session: bytes = ZERO_SESSION


type ClientMessage = (
    DiscoverRequest
    | DiscoverMacRequest
    | SubscribeRequest
    | PowerRequest
    | HeartbeatRequest
    | ReadTableRequest
    | WriteTableRequest
    | CountdownRequest
    | ClockRequest
    | TimezoneRequest
    | PasswordRequest
    | LogoutRequest
    | AllOneClientMessage
)
type DeviceMessage = (
    DiscoveryReply
    | SubscribeReply
    | Ack
    | StateReport
    | TableListReply
    | TimersReply
    | SocketDataReply
    | OtherTableReply
    | CountdownReply
    | AllOneDeviceMessage
)
type TableReply = TableListReply | TimersReply | SocketDataReply | OtherTableReply
