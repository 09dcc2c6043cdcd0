"""Records of table 1 (table list), 3 (timers) and 4 (socket data), both firmware sizes.

Each record on the wire is `<length u16 LE, excluding itself> <body>` (PROTOCOL.md §3.7).
`decode_*` take a whole record (length included) and `encode()` gives the same form back,
so a read-modify-write changes only the fields the caller replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from ipaddress import IPv4Address
import struct

from .const import NAME_LENGTH, PAD, UNNAMED, WEEKLY_FLAG, PowerState, Weekday
from .errors import DecodeError, EncodeError
from .mac import Mac

OLD_SOCKET_DATA_LENGTH = 138  # old firmware (hw 16, fw 10)
NEW_SOCKET_DATA_LENGTH = 190  # fw 26, hw 32
TIMER_RECORD_LENGTH = 28
TABLE_LIST_RECORD_LENGTH = 6

# Table 4 layout up to the auto-off seconds (rec offsets 0..139), little-endian.
_SOCKET_DATA = struct.Struct(
    "<HHH6s6s6s6s12s16sHIII H4s H40s 4s4s4s BBBbBBH"
)
# fw 26 time-zone block (rec offsets 140..191).
_TZ_BLOCK = struct.Struct("<HHII20s20s")
_TIMER = struct.Struct("<HH16sBBHBBBBBB")
_TABLE_LIST = struct.Struct("<HHHH")
_UNKNOWN_DST_DATE = b"0" * 20


def encode_name(name: str | None) -> bytes:
    """Encode a socket or timer name: ≤ 16 bytes, space padded; None = never named."""
    if name is None:
        return UNNAMED
    try:
        raw = name.encode("ascii")
    except UnicodeEncodeError as err:
        raise EncodeError(f"name {name!r} has characters the socket cannot store (ASCII only)") from err
    if len(raw) > NAME_LENGTH:
        raise EncodeError(f"name {name!r} is {len(raw)} bytes; the socket stores at most {NAME_LENGTH}")
    if any(b < 0x20 or b == 0x7F for b in raw):
        raise EncodeError(f"name {name!r} contains control characters")
    return raw.ljust(NAME_LENGTH, b" ")


def decode_name(raw: bytes) -> str | None:
    """Decode a stored name; None for an unnamed socket (16 × 0xff)."""
    if raw == UNNAMED:
        return None
    text = raw.split(b"\x00", 1)[0].decode("latin-1").rstrip(" ")
    return text or None


def split_records(payload: bytes) -> tuple[bytes, ...]:
    """Split `<len><body>` records that fill payload exactly."""
    records: list[bytes] = []
    offset = 0
    while offset < len(payload):
        if offset + 2 > len(payload):
            raise DecodeError("truncated record length")
        (length,) = struct.unpack_from("<H", payload, offset)
        end = offset + 2 + length
        if end > len(payload):
            raise DecodeError(f"record of {length} bytes overruns the datagram")
        records.append(payload[offset:end])
        offset = end
    return tuple(records)


@dataclass(frozen=True, slots=True, kw_only=True)
class TableVersion:
    """Table 1 record: a table id and its change counter."""

    record_number: int
    table: int
    version: int

    @classmethod
    def decode(cls, record: bytes) -> TableVersion:
        """Decode one table-1 record."""
        if len(record) != 2 + TABLE_LIST_RECORD_LENGTH:
            raise DecodeError(f"table 1 record of {len(record)} bytes")
        _, number, table, version = _TABLE_LIST.unpack(record)
        return cls(record_number=number, table=table, version=version)

    def encode(self) -> bytes:
        """Encode the record, length included."""
        return _TABLE_LIST.pack(TABLE_LIST_RECORD_LENGTH, self.record_number, self.table, self.version)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimezoneBlock:
    """fw 26 time-zone / DST block (table 4 rec 140–191, PROTOCOL.md §4.6)."""

    tz_index: int = 0
    year: int = 0
    std_offset_s: int = 0
    dst_offset_s: int = 0
    dst_start: bytes = _UNKNOWN_DST_DATE
    dst_end: bytes = _UNKNOWN_DST_DATE


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketData:
    """Table 4, record 1: everything the socket stores about itself (PROTOCOL.md §3.7).

    String fields keep their raw bytes so that writing a record back alters nothing the
    caller did not change (fresh sockets pad the domain with 00, the app with spaces).
    """

    record_number: int = 1
    version_id: bytes = b"\x43\x25"
    mac: Mac
    remote_password: bytes = b"888888      "
    name_raw: bytes = UNNAMED
    icon: int = 4
    hardware_version: int = 32
    firmware_version: int = 26
    wifi_firmware_version: int = 5
    static_server_port: int = 10000
    static_server_ip: IPv4Address = IPv4Address("42.121.111.208")
    domain_server_port: int = 10000
    domain_server_name_raw: bytes = b"vicenter.orvibo.com".ljust(40, b" ")
    local_ip: IPv4Address = IPv4Address("192.168.1.200")
    gateway: IPv4Address = IPv4Address("192.168.1.1")
    netmask: IPv4Address = IPv4Address("255.255.255.0")
    dst_flags: int = 1  # rec 132: 00 DST on, 01 off, +2 half-hour zone (FS-TD)
    discoverable: bool = True  # False = "locked" in the vendor app
    timezone_set: int = 0
    timezone_hours: int = 8
    auto_off_enabled: bool = False
    auto_off_action: int = 0xFF
    auto_off_seconds: int = 0
    timezone_block: TimezoneBlock | None = field(default_factory=TimezoneBlock)  # None on old fw

    @property
    def name(self) -> str | None:
        """The stored name, None when never named."""
        return decode_name(self.name_raw)

    @property
    def domain_server_name(self) -> str:
        """The vendor server host name."""
        return self.domain_server_name_raw.split(b"\x00", 1)[0].decode("latin-1").rstrip(" ")

    @property
    def record_length(self) -> int:
        """Record length as stored (138 old firmware, 190 fw 26)."""
        return NEW_SOCKET_DATA_LENGTH if self.timezone_block is not None else OLD_SOCKET_DATA_LENGTH

    def with_name(self, name: str | None) -> SocketData:
        """Return a copy renamed (validated: ≤ 16 ASCII bytes)."""
        return replace(self, name_raw=encode_name(name))

    @classmethod
    def decode(cls, record: bytes) -> SocketData:
        """Decode a whole table-4 record (length field included)."""
        if len(record) < 2:
            raise DecodeError("truncated table 4 record")
        (length,) = struct.unpack_from("<H", record)
        if length not in (OLD_SOCKET_DATA_LENGTH, NEW_SOCKET_DATA_LENGTH) or len(record) != length + 2:
            raise DecodeError(f"table 4 record of {len(record)} bytes (length field {length})")
        (
            _length, number, version_id, mac, _pad1, _rmac, _pad2, password, name, icon,
            hw, fw, wifi_fw, static_port, static_ip, domain_port, domain,
            local_ip, gateway, netmask, dst_flags, discoverable, tz_set, tz_hours,
            auto_off_enabled, auto_off_action, auto_off_seconds,
        ) = _SOCKET_DATA.unpack_from(record)
        block = None
        if length == NEW_SOCKET_DATA_LENGTH:
            tz_index, year, std, dst, start, end = _TZ_BLOCK.unpack_from(record, _SOCKET_DATA.size)
            block = TimezoneBlock(
                tz_index=tz_index, year=year, std_offset_s=std, dst_offset_s=dst,
                dst_start=start, dst_end=end,
            )
        return cls(
            record_number=number,
            version_id=struct.pack("<H", version_id),
            mac=Mac(mac),
            remote_password=password,
            name_raw=name,
            icon=icon,
            hardware_version=hw,
            firmware_version=fw,
            wifi_firmware_version=wifi_fw,
            static_server_port=static_port,
            static_server_ip=IPv4Address(static_ip),
            domain_server_port=domain_port,
            domain_server_name_raw=domain,
            local_ip=IPv4Address(local_ip),
            gateway=IPv4Address(gateway),
            netmask=IPv4Address(netmask),
            dst_flags=dst_flags,
            discoverable=bool(discoverable),
            timezone_set=tz_set,
            timezone_hours=tz_hours,
            auto_off_enabled=bool(auto_off_enabled),
            auto_off_action=auto_off_action,
            auto_off_seconds=auto_off_seconds,
            timezone_block=block,
        )

    def encode(self) -> bytes:
        """Encode the whole record, length field included."""
        if len(self.name_raw) != NAME_LENGTH or len(self.remote_password) != 12:
            raise EncodeError("name must be 16 bytes and remote password 12 bytes")
        if len(self.domain_server_name_raw) != 40:
            raise EncodeError("domain server name must be 40 bytes")
        if not -128 <= self.timezone_hours <= 127 or not 0 <= self.auto_off_seconds <= 0xFFFF:
            raise EncodeError("timezone or auto-off seconds out of range")
        try:
            head = _SOCKET_DATA.pack(
                self.record_length, self.record_number, struct.unpack("<H", self.version_id)[0],
                self.mac.raw, PAD, self.mac.reversed(), PAD, self.remote_password, self.name_raw,
                self.icon, self.hardware_version, self.firmware_version, self.wifi_firmware_version,
                self.static_server_port, self.static_server_ip.packed, self.domain_server_port,
                self.domain_server_name_raw, self.local_ip.packed, self.gateway.packed,
                self.netmask.packed, self.dst_flags, int(self.discoverable), self.timezone_set,
                self.timezone_hours, int(self.auto_off_enabled), self.auto_off_action,
                self.auto_off_seconds,
            )
            if self.timezone_block is None:
                return head
            block = self.timezone_block
            if len(block.dst_start) != 20 or len(block.dst_end) != 20:
                raise EncodeError("DST dates must be 20 bytes")
            return head + _TZ_BLOCK.pack(
                block.tz_index, block.year, block.std_offset_s, block.dst_offset_s,
                block.dst_start, block.dst_end,
            )
        except struct.error as err:
            raise EncodeError(f"socket data field out of range: {err}") from err


_WEEK = tuple(Weekday)


@dataclass(frozen=True, slots=True, kw_only=True)
class Timer:
    """Table 3 record: one timer, in the socket's local time (PROTOCOL.md §3.7).

    A weekly timer (repeat bit 7) fires on `weekdays`; a one-shot fires once on
    `year-month-day`. The socket stores the creation date for weekly timers too.
    """

    code: int
    name_raw: bytes = b" " * NAME_LENGTH
    action: PowerState
    action_raw: int | None = None  # what the socket stored, when it was not 00/01
    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int = 0
    repeat: int = 0
    reserved: int = 0  # rec byte 21

    @classmethod
    def weekly(cls, *, code: int, at: time, weekdays: frozenset[Weekday], action: PowerState, today: date) -> Timer:
        """Build a timer that repeats on the given weekdays."""
        if not weekdays:
            raise EncodeError("a weekly timer needs at least one weekday")
        bits = WEEKLY_FLAG
        for day in weekdays:
            bits |= day
        return cls(
            code=code, action=action, year=today.year, month=today.month, day=today.day,
            hour=at.hour, minute=at.minute, second=at.second, repeat=bits,
        )

    @classmethod
    def once(cls, *, code: int, at: time, on: date, action: PowerState) -> Timer:
        """Build a one-shot timer for a date."""
        return cls(
            code=code, action=action, year=on.year, month=on.month, day=on.day,
            hour=at.hour, minute=at.minute, second=at.second, repeat=0,
        )

    @property
    def is_weekly(self) -> bool:
        """Whether the timer repeats every week."""
        return bool(self.repeat & WEEKLY_FLAG)

    @property
    def weekdays(self) -> frozenset[Weekday]:
        """Weekdays of a weekly timer (empty for a one-shot)."""
        if not self.is_weekly:
            return frozenset()
        return frozenset(day for day in _WEEK if self.repeat & day)

    @property
    def at(self) -> time:
        """Local time of day the timer fires."""
        return time(self.hour, self.minute, self.second)

    @property
    def date(self) -> date | None:
        """Date of a one-shot timer (None for weekly, or when the stored date is invalid)."""
        if self.is_weekly:
            return None
        try:
            return date(self.year, self.month, self.day)
        except ValueError:
            return None

    @property
    def name(self) -> str | None:
        """The timer's name, if it holds printable text."""
        try:
            text = self.name_raw.decode("ascii").rstrip(" \x00")
        except UnicodeDecodeError:
            return None
        return text if text.isprintable() and text else None

    @classmethod
    def decode(cls, record: bytes) -> Timer:
        """Decode one table-3 record (length included)."""
        if len(record) != 2 + TIMER_RECORD_LENGTH:
            raise DecodeError(f"timer record of {len(record)} bytes")
        (_len, code, name, action, reserved, year, month, day, hour, minute, second, repeat) = (
            _TIMER.unpack(record)
        )
        state = PowerState.OFF if action == 0 else PowerState.ON
        return cls(
            code=code, name_raw=name, action=state,
            action_raw=None if action in (0, 1) else action, reserved=reserved,
            year=year, month=month, day=day, hour=hour, minute=minute, second=second, repeat=repeat,
        )

    def encode(self, *, validate: bool = True) -> bytes:
        """Encode the record (length included), validating every field.

        `validate=False` keeps a schedule the socket already stores, however odd (a reply
        re-encoding what was read); a timer sent to a socket is always validated.
        """
        if validate:
            self._validate()
        if len(self.name_raw) != NAME_LENGTH:
            raise EncodeError("timer name must be 16 bytes")
        action = int(self.action)
        if self.action_raw is not None and (self.action_raw != 0) == (self.action is PowerState.ON):
            action = self.action_raw  # keep an odd "on" byte the socket stored
        try:
            return _TIMER.pack(
                TIMER_RECORD_LENGTH, self.code, self.name_raw, action, self.reserved, self.year,
                self.month, self.day, self.hour, self.minute, self.second, self.repeat,
            )
        except struct.error as err:
            raise EncodeError(f"timer field out of range: {err}") from err

    def _validate(self) -> None:
        if not (0 <= self.hour < 24 and 0 <= self.minute < 60 and 0 <= self.second < 60):
            raise EncodeError(f"timer time {self.hour}:{self.minute}:{self.second} is not a time of day")
        if not self.is_weekly:
            try:
                date(self.year, self.month, self.day)
            except ValueError as err:
                raise EncodeError(f"timer date {self.year}-{self.month}-{self.day} does not exist") from err
        elif self.repeat == WEEKLY_FLAG:
            raise EncodeError("a weekly timer needs at least one weekday")
