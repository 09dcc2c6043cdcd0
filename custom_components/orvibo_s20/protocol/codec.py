"""Encode messages to datagrams and decode datagrams to messages. Every frame offset lives here.

Frame: `68 64` + total length (u16 BE, whole datagram) + 2-letter command + payload
(PROTOCOL.md §1). Most payloads start with `MAC PAD` (offsets 6–17) and a 4-byte session
(18–21). Some commands share an id but differ by direction (`dc` request and ack are both 23
bytes), so decoding takes the direction: `decode_from_device` for what a socket sends and
`decode_from_client` for what a controller sends (the simulator's side). Both raise
`DecodeError` and nothing else on any malformed input.
"""

from __future__ import annotations

import struct

from .allone import ALLONE_MESSAGES, decode_allone_from_client, decode_allone_from_device, encode_allone, is_rf_power
from .const import MAGIC, PAD, Command, CountdownMode, PowerState, Table, TableOp
from .errors import DecodeError, EncodeError
from .mac import Mac
from .messages import (
    Ack,
    ClientMessage,
    ClockRequest,
    CountdownReply,
    CountdownRequest,
    DeviceMessage,
    DiscoverMacRequest,
    DiscoverRequest,
    DiscoveryReply,
    HeartbeatRequest,
    LogoutRequest,
    OtherTableReply,
    PasswordRequest,
    PowerRequest,
    ReadTableRequest,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    SubscribeRequest,
    TableListReply,
    TimersReply,
    TimezoneRequest,
    WriteTableRequest,
)
from .tables import SocketData, TableVersion, Timer, split_records

HEADER_LENGTH = 6
_NO_COUNTDOWN = 0xFF
# rt reply bytes 24–27: "00 01 00 00" in every sample, meaning unknown (PROTOCOL.md §3.7).
_RT_REPLY_MARKER = b"\x00\x01\x00\x00"


def _frame(command: Command, payload: bytes) -> bytes:
    length = HEADER_LENGTH + len(payload)
    return MAGIC + struct.pack(">H", length) + command.value.encode("ascii") + payload


def _session(session: bytes) -> bytes:
    if len(session) != 4:
        raise EncodeError("a session is 4 bytes")
    return session


def _u8(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFF:
        raise EncodeError(f"{what} {value} does not fit in a byte")
    return bytes((value,))


def _u16le(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFFFF:
        raise EncodeError(f"{what} {value} does not fit in 16 bits")
    return struct.pack("<H", value)


def _u32le(value: int, what: str) -> bytes:
    if not 0 <= value <= 0xFFFFFFFF:
        raise EncodeError(f"{what} {value} does not fit in 32 bits")
    return struct.pack("<I", value)


def _mac_head(mac: Mac) -> bytes:
    return mac.raw + PAD


# --- encode --------------------------------------------------------------------------------


def encode(message: ClientMessage | DeviceMessage) -> bytes:
    """Encode any message (either direction) to one datagram."""
    if isinstance(message, ALLONE_MESSAGES):
        return encode_allone(message)
    match message:
        case DiscoverRequest():
            return _frame(Command.DISCOVER, b"")
        case DiscoverMacRequest(mac=mac):
            return _frame(Command.DISCOVER_MAC, _mac_head(mac))
        case SubscribeRequest(mac=mac, session=session):
            middle = b"" if session is None else _session(session)
            return _frame(Command.SUBSCRIBE, _mac_head(mac) + middle + mac.reversed() + PAD)
        case PowerRequest(mac=mac, state=state, session=session):
            return _frame(Command.POWER, _mac_head(mac) + _session(session) + bytes((state,)))
        case HeartbeatRequest(mac=mac, session=session):
            return _frame(Command.HEARTBEAT, _mac_head(mac) + _session(session))
        case ReadTableRequest(mac=mac, table=table, version=version, session=session):
            body = _u8(table, "table") + b"\x00" + _u8(version, "table version") + b"\x00" * 4
            return _frame(Command.READ_TABLE, _mac_head(mac) + _session(session) + body)
        case WriteTableRequest(mac=mac, table=table, op=op, data=data, session=session):
            body = _u8(table, "table") + struct.pack(">H", op) + data
            return _frame(Command.WRITE_TABLE, _mac_head(mac) + _session(session) + body)
        case CountdownRequest(mac=mac, mode=mode, action=action, seconds=seconds, session=session):
            action_byte = _NO_COUNTDOWN if action is None else int(action)
            body = bytes((mode, action_byte)) + _u16le(seconds, "countdown seconds")
            return _frame(Command.COUNTDOWN, _mac_head(mac) + _session(session) + body)
        case ClockRequest(mac=mac, clock=clock, session=session):
            return _frame(Command.CLOCK, _mac_head(mac) + _session(session) + _u32le(clock, "clock"))
        case TimezoneRequest(mac=mac, session=session) as tz:
            body = (
                _u16le(tz.tz_index, "tz index") + _u16le(tz.year, "year")
                + _u32le(tz.std_offset_s, "standard offset") + _u32le(tz.dst_offset_s, "DST offset")
            )
            return _frame(Command.TIMEZONE, _mac_head(mac) + _session(session) + body)
        case PasswordRequest(mac=mac, old_password=old, new_password=new, session=session):
            if len(old) != 12 or len(new) != 12:
                raise EncodeError("remote passwords are 12 bytes")
            return _frame(Command.PASSWORD, _mac_head(mac) + _session(session) + old + new)
        case LogoutRequest(mac=mac):
            return _frame(Command.LOGOUT, _mac_head(mac))
        case DiscoveryReply(command=command, mac=mac, product_id=product, clock=clock, state=state):
            if len(product) != 6 or not product.isascii():
                raise EncodeError("product id is 6 ASCII characters")
            product_raw = product.encode("ascii")
            tail = b"" if state is None else bytes((state,))
            payload = b"\x00" + _mac_head(mac) + mac.reversed() + PAD + product_raw + _u32le(clock, "clock") + tail
            return _frame(command, payload)
        case SubscribeReply(mac=mac, state=state, session=session):
            return _frame(Command.SUBSCRIBE, _mac_head(mac) + _session(session) + b"\x00" + bytes((state,)))
        case Ack(command=command, mac=mac, session=session, status=status):
            return _frame(command, _mac_head(mac) + _session(session) + _u8(status, "status"))
        case StateReport(mac=mac, state=state, session=session):
            return _frame(Command.STATE, _mac_head(mac) + _session(session) + bytes((state,)))
        case TableListReply(mac=mac, tables=tables, session=session):
            return _rt_reply(mac, session, Table.TABLES, b"".join(t.encode() for t in tables))
        case TimersReply(mac=mac, timers=timers, session=session):
            # What a socket stores is sent back as it is, even a schedule it could not run.
            return _rt_reply(mac, session, Table.TIMERS, b"".join(t.encode(validate=False) for t in timers))
        case SocketDataReply(mac=mac, data=data, session=session):
            return _rt_reply(mac, session, Table.SOCKET_DATA, data.encode())
        case OtherTableReply(mac=mac, table=table, records=records, session=session):
            return _rt_reply(mac, session, table, b"".join(records))
        case CountdownReply(mac=mac, mode=mode, action=action, seconds=seconds, session=session):
            action_byte = _NO_COUNTDOWN if action is None else int(action)
            body = _u8(mode, "mode") + bytes((action_byte,)) + _u16le(seconds, "countdown seconds")
            return _frame(Command.COUNTDOWN, _mac_head(mac) + _session(session) + body)
    raise EncodeError(f"cannot encode {message!r}")


def _rt_reply(mac: Mac, session: bytes, table: int, records: bytes) -> bytes:
    body = _session(session) + b"\x00" + _u8(table, "table") + _RT_REPLY_MARKER + records
    return _frame(Command.READ_TABLE, _mac_head(mac) + body)


def socket_data_write(mac: Mac, data: SocketData) -> WriteTableRequest:
    """Build the `tm` that replaces table 4 with `data` (PROTOCOL.md §3.8)."""
    return WriteTableRequest(mac=mac, table=Table.SOCKET_DATA, op=TableOp.MODIFY, data=data.encode())


def timer_write(mac: Mac, timer: Timer, *, replace: bool) -> WriteTableRequest:
    """Build the `tm` that adds (or replaces, by code) a timer."""
    op = TableOp.MODIFY if replace else TableOp.ADD
    return WriteTableRequest(mac=mac, table=Table.TIMERS, op=op, data=timer.encode())


def timer_delete(mac: Mac, code: int) -> WriteTableRequest:
    """Build the `tm` that deletes the timer with this code."""
    return WriteTableRequest(mac=mac, table=Table.TIMERS, op=TableOp.DELETE, data=_u16le(code, "timer code"))


# --- decode --------------------------------------------------------------------------------


def _split_frame(datagram: bytes) -> tuple[Command, bytes]:
    if len(datagram) < HEADER_LENGTH:
        raise DecodeError(f"datagram of {len(datagram)} bytes is shorter than a header")
    if datagram[:2] != MAGIC:
        raise DecodeError(f"bad magic {datagram[:2].hex()}")
    (length,) = struct.unpack_from(">H", datagram, 2)
    if length != len(datagram):
        raise DecodeError(f"length field {length} but datagram has {len(datagram)} bytes")
    try:
        command = Command(datagram[4:6].decode("ascii"))
    except (UnicodeDecodeError, ValueError) as err:
        raise DecodeError(f"unknown command {datagram[4:6].hex()}") from err
    return command, datagram[HEADER_LENGTH:]


def _mac_at(payload: bytes, offset: int = 0) -> Mac:
    # Padding after the MAC is not checked: the socket always sends spaces, and a lenient
    # reader loses nothing (the MAC alone routes the message).
    return Mac(payload[offset : offset + 6])


def _state(value: int) -> PowerState:
    if value not in (0, 1):
        raise DecodeError(f"relay state byte {value:#04x}")
    return PowerState(value)


def _expect(payload: bytes, *lengths: int) -> None:
    if len(payload) + HEADER_LENGTH not in lengths:
        raise DecodeError(f"frame of {len(payload) + HEADER_LENGTH} bytes, expected {lengths}")


def _discovery_reply(command: Command, p: bytes) -> DiscoveryReply:
    _expect(p, 41, 42)  # 41 = AllOne (no state byte)
    try:
        product = p[25:31].decode("ascii")
    except UnicodeDecodeError as err:
        raise DecodeError("product id is not ASCII") from err
    state = _state(p[35]) if len(p) == 36 else None
    (clock,) = struct.unpack_from("<I", p, 31)
    return DiscoveryReply(command=command, mac=_mac_at(p, 1), product_id=product, clock=clock, state=state)


def _table_reply(p: bytes) -> DeviceMessage:
    if len(p) < 22:
        raise DecodeError("truncated rt reply")
    mac, session, table = _mac_at(p), p[12:16], p[17]
    records = split_records(p[22:])
    match table:
        case Table.TABLES:
            return TableListReply(mac=mac, session=session, tables=tuple(TableVersion.decode(r) for r in records))
        case Table.TIMERS:
            return TimersReply(mac=mac, session=session, timers=tuple(Timer.decode(r) for r in records))
        case Table.SOCKET_DATA:
            if len(records) != 1:
                raise DecodeError(f"table 4 reply with {len(records)} records")
            return SocketDataReply(mac=mac, session=session, data=SocketData.decode(records[0]))
    return OtherTableReply(mac=mac, session=session, table=table, records=records)


def _countdown_reply(p: bytes) -> CountdownReply:
    _expect(p, 26)
    action = None if p[17] == _NO_COUNTDOWN else _state(p[17])
    (seconds,) = struct.unpack_from("<H", p, 18)
    return CountdownReply(mac=_mac_at(p), session=p[12:16], mode=p[16], action=action, seconds=seconds)


def _ack(command: Command, p: bytes) -> Ack:
    _expect(p, 23)
    return Ack(command=command, mac=_mac_at(p), session=p[12:16], status=p[16])


def _from_device(command: Command, p: bytes) -> DeviceMessage:
    match command:
        case Command.DISCOVER | Command.DISCOVER_MAC:
            return _discovery_reply(command, p)
        case Command.SUBSCRIBE:
            _expect(p, 24)
            return SubscribeReply(mac=_mac_at(p), session=p[12:16], state=_state(p[17]))
        case Command.STATE:
            _expect(p, 23)
            return StateReport(mac=_mac_at(p), session=p[12:16], state=_state(p[16]))
        case Command.READ_TABLE:
            return _table_reply(p)
        case Command.COUNTDOWN:
            return _countdown_reply(p)
        case Command.LEARN | Command.EMIT | Command.BUTTON:
            return decode_allone_from_device(command, p)
        case Command.POWER if is_rf_power(p):
            return decode_allone_from_device(command, p)
        case Command.POWER | Command.HEARTBEAT | Command.WRITE_TABLE | Command.CLOCK | Command.TIMEZONE | Command.PASSWORD:
            return _ack(command, p)
    raise DecodeError(f"{command.value} is never sent by a socket")


def decode_from_device(datagram: bytes) -> DeviceMessage:
    """Decode a datagram sent by a socket. Raises DecodeError on anything malformed."""
    command, payload = _split_frame(datagram)
    try:
        return _from_device(command, payload)
    except (IndexError, struct.error, ValueError) as err:
        raise DecodeError(f"malformed {command.value}: {err}") from err


def _from_client(command: Command, p: bytes) -> ClientMessage:
    match command:
        case Command.DISCOVER:
            _expect(p, 6, 18)  # node-orvibo may append MAC + PAD
            return DiscoverRequest()
        case Command.DISCOVER_MAC:
            _expect(p, 18)
            return DiscoverMacRequest(mac=_mac_at(p))
        case Command.SUBSCRIBE:
            _expect(p, 30, 34)
            return SubscribeRequest(mac=_mac_at(p), session=p[12:16] if len(p) == 28 else None)
        case Command.LEARN | Command.EMIT:
            return decode_allone_from_client(command, p)
        case Command.POWER if is_rf_power(p):
            return decode_allone_from_client(command, p)
        case Command.POWER:
            _expect(p, 23)
            return PowerRequest(mac=_mac_at(p), session=p[12:16], state=_state(p[16]))
        case Command.HEARTBEAT:
            _expect(p, 22)
            return HeartbeatRequest(mac=_mac_at(p), session=p[12:16])
        case Command.READ_TABLE:
            _expect(p, 29)
            return ReadTableRequest(mac=_mac_at(p), session=p[12:16], table=p[16], version=p[18])
        case Command.WRITE_TABLE:
            if len(p) < 19:
                raise DecodeError("truncated tm request")
            (op,) = struct.unpack_from(">H", p, 17)
            return WriteTableRequest(mac=_mac_at(p), session=p[12:16], table=p[16], op=TableOp(op), data=p[19:])
        case Command.COUNTDOWN:
            _expect(p, 26)
            mode = CountdownMode(p[16])
            action = None if p[17] == _NO_COUNTDOWN else _state(p[17])
            (seconds,) = struct.unpack_from("<H", p, 18)
            return CountdownRequest(mac=_mac_at(p), session=p[12:16], mode=mode, action=action, seconds=seconds)
        case Command.CLOCK:
            _expect(p, 26)
            (clock,) = struct.unpack_from("<I", p, 16)
            return ClockRequest(mac=_mac_at(p), session=p[12:16], clock=clock)
        case Command.TIMEZONE:
            _expect(p, 34)
            index, year, std, dst = struct.unpack_from("<HHII", p, 16)
            return TimezoneRequest(
                mac=_mac_at(p), session=p[12:16], tz_index=index, year=year, std_offset_s=std, dst_offset_s=dst
            )
        case Command.PASSWORD:
            _expect(p, 46)
            return PasswordRequest(mac=_mac_at(p), session=p[12:16], old_password=p[16:28], new_password=p[28:40])
        case Command.LOGOUT:
            _expect(p, 18)
            return LogoutRequest(mac=_mac_at(p))
    raise DecodeError(f"{command.value} is never sent by a controller")


def decode_from_client(datagram: bytes) -> ClientMessage:
    """Decode a datagram sent by a controller (what a socket receives)."""
    command, payload = _split_frame(datagram)
    try:
        return _from_client(command, payload)
    except (IndexError, struct.error, ValueError) as err:
        raise DecodeError(f"malformed {command.value}: {err}") from err

