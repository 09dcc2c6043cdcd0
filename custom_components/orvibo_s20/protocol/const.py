"""Wire constants of the S20 LAN protocol (PROTOCOL.md §1–§3)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

MAGIC = b"hd"  # 68 64
PORT = 10000  # the socket always answers to UDP 10000 (PROTOCOL.md §1)
AT_PORT = 48899  # Hi-Flying network AT commands (PROTOCOL.md §5.2)
SMARTLINK_PORT = 49999  # SmartLink sender and success beacons (PROTOCOL.md §5.3)

PAD = b"\x20" * 6
ZERO_SESSION = b"\x00" * 4
UNNAMED = b"\xff" * 16  # name of a socket that was never named
NAME_LENGTH = 16
PASSWORD_LENGTH = 12
DEFAULT_REMOTE_PASSWORD = b"888888      "

# Device clock: seconds since 1900-01-01T00:00:00Z (NTP epoch).
NTP_TO_UNIX_OFFSET = 2208988800
COUNTDOWN_MAX_S = 0xFFFF


class Command(StrEnum):
    """Two-letter command ids (PROTOCOL.md §2)."""

    DISCOVER = "qa"
    DISCOVER_MAC = "qg"
    SUBSCRIBE = "cl"
    POWER = "dc"
    STATE = "sf"
    HEARTBEAT = "hb"
    READ_TABLE = "rt"
    WRITE_TABLE = "tm"
    COUNTDOWN = "cd"
    CLOCK = "cs"
    TIMEZONE = "ts"
    PASSWORD = "mp"
    LOGOUT = "lt"
    # The AllOne's own (docs/ALLONE.md).
    LEARN = "ls"
    EMIT = "ic"
    BUTTON = "di"


class Table(IntEnum):
    """Table ids of `rt`/`tm` (PROTOCOL.md §3.7)."""

    TABLES = 1
    TIMERS = 3
    SOCKET_DATA = 4


class TableOp(IntEnum):
    """`tm` operations (PROTOCOL.md §3.8), sent as a big-endian u16."""

    ADD = 0
    MODIFY = 1
    DELETE = 2


class PowerState(IntEnum):
    """Relay state as the socket encodes it."""

    OFF = 0
    ON = 1


class CountdownMode(IntEnum):
    """`cd` mode byte (PROTOCOL.md §3.9)."""

    SET = 0
    READ = 1


class Weekday(IntEnum):
    """Weekday bits of a weekly timer (PROTOCOL.md §3.7, Fernando's order: 1 Mon … 64 Sun)."""

    MONDAY = 0x01
    TUESDAY = 0x02
    WEDNESDAY = 0x04
    THURSDAY = 0x08
    FRIDAY = 0x10
    SATURDAY = 0x20
    SUNDAY = 0x40


WEEKLY_FLAG = 0x80
