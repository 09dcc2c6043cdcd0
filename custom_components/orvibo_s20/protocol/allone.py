"""The AllOne's own frames (WiWo-R1, IR + 433 MHz blaster): messages and their byte layout.

The AllOne speaks the S20's LAN protocol (same magic, length, `MAC PAD` head; `qa`/`qg`, `cl`
and `hb` are the socket's, its discovery reply 41 bytes without a relay state) and adds
learning (`ls`), emitting IR (`ic`), its button (`di`) and RF 433 for Orvibo's T030 switches
(a longer `dc`). docs/ALLONE.md gives each layout with its sources; `codec.py` dispatches the
frames here, so this module is pure like the rest of `protocol/`.

Offsets below count from the start of the payload (after the 6-byte header): 0–5 MAC, 6–11 PAD.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
import struct
from typing import ClassVar

from .const import MAGIC, PAD, ZERO_SESSION, Command, PowerState
from .errors import DecodeError, EncodeError
from .mac import Mac

# `ls` request body after MAC PAD, in every library and in TV's test: 01 00 00 00 00 00.
LEARN_BODY = b"\x01\x00\x00\x00\x00\x00"
# `ic` request bytes 18–21: 65 00 00 00 in every library (GD-js, AO, CZ); meaning unknown.
EMIT_FLAGS = b"\x65\x00\x00\x00"
# Learned-code frame bytes 22–23: 00 02 in both captured frames (TV); meaning unknown.
LEARNED_MARKER = b"\x00\x02"
# The default RF key of node-orvibo (`2a00`, little-endian 42); any u16 works (GD-P "About RF switches").
DEFAULT_RF_KEY = 42

_HEADER = 6
_HEAD = 12  # MAC + PAD
_U16 = 0xFFFF
# The largest code whose frame still fits the 16-bit length field: header, MAC PAD, 8 bytes, code.
MAX_CODE_LENGTH = _U16 - _HEADER - _HEAD - 8
_LEARN_ACK_LENGTH = 24
_EMIT_ACK_LENGTH = 25
_POWER_LENGTH = 23  # a socket's `dc` request and ack; an RF `dc` is longer
_RF_MIN_LENGTH = _HEADER + _HEAD + 4 + 2 + 1 + 2 + 1  # session, id, state, key, at least one id byte


# --- controller → AllOne -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnRequest:
    """`ls`: enter learning mode; the AllOne acks, then sends the next code it sees."""

    command: ClassVar[Command] = Command.LEARN
    mac: Mac
    body: bytes = LEARN_BODY  # 6 bytes, kept as read


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitRequest:
    """`ic`: emit a learned code. A resend keeps `request_id`: the AllOne emits a code once per id."""

    command: ClassVar[Command] = Command.EMIT
    mac: Mac
    code: bytes
    request_id: int  # u16; the AllOne refuses an id equal to the previous one (GD-js)
    flags: bytes = EMIT_FLAGS


@dataclass(frozen=True, slots=True, kw_only=True)
class RfRequest:
    """RF `dc`: switch an Orvibo T030 433 MHz switch that learned (rf_key, rf_id)."""

    command: ClassVar[Command] = Command.POWER
    mac: Mac
    state: PowerState
    rf_id: bytes  # chosen by the controller when the switch learned it (3 bytes in GD-js's example)
    rf_key: int = DEFAULT_RF_KEY
    request_id: int = 0
    session: bytes = ZERO_SESSION


# --- AllOne → controller -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnAck:
    """24-byte `ls` reply: learning mode entered (the ring glows red)."""

    command: ClassVar[Command] = Command.LEARN
    mac: Mac
    session: bytes = ZERO_SESSION
    reserved: bytes = b"\x00\x00"


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedCode:
    """Longer `ls`: the code the AllOne saw while learning, to be emitted as it is."""

    command: ClassVar[Command] = Command.LEARN
    mac: Mac
    code: bytes
    session: bytes = ZERO_SESSION
    marker: bytes = LEARNED_MARKER


@dataclass(frozen=True, slots=True, kw_only=True)
class EmitAck:
    """25-byte `ic` reply: the code was emitted (or was a repeat of the last id)."""

    command: ClassVar[Command] = Command.EMIT
    mac: Mac
    request_id: int  # the request's id echoed (docs/ALLONE.md §ic)
    session: bytes = ZERO_SESSION
    status: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RfAck:
    """The AllOne's answer to an RF `dc`: the request's fields sent back."""

    command: ClassVar[Command] = Command.POWER
    mac: Mac
    state: PowerState
    rf_id: bytes
    rf_key: int = DEFAULT_RF_KEY
    request_id: int = 0
    session: bytes = ZERO_SESSION


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonPress:
    """`di`: the button on top of the AllOne was pressed (not held). Bytes after MAC PAD kept raw."""

    command: ClassVar[Command] = Command.BUTTON
    mac: Mac
    tail: bytes = ZERO_SESSION + b"\x00"


type AllOneClientMessage = LearnRequest | EmitRequest | RfRequest
type AllOneDeviceMessage = LearnAck | LearnedCode | EmitAck | RfAck | ButtonPress
ALLONE_MESSAGES = (LearnRequest, EmitRequest, RfRequest, LearnAck, LearnedCode, EmitAck, RfAck, ButtonPress)


# --- codes as text -------------------------------------------------------------------------

CODE_PREFIX = "b64:"  # the raw-code form SmartIR and Broadlink users already have


def code_from_text(text: str) -> bytes:
    """Read a code given as base64, with or without the `b64:` prefix. Raises EncodeError."""
    body = text.strip()
    if body.lower().startswith(CODE_PREFIX):
        body = body[len(CODE_PREFIX) :]
    try:
        code = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as err:
        raise EncodeError(f"a code is base64 (optionally after {CODE_PREFIX!r}): {err}") from None
    _code(code)  # empty or too long: refused here, before anything is sent
    return code


def code_to_text(code: bytes) -> str:
    """Write a code as base64 (what `code_from_text` reads back)."""
    return base64.b64encode(code).decode("ascii")


# --- encode --------------------------------------------------------------------------------


def _frame(command: Command, mac: Mac, body: bytes) -> bytes:
    payload = mac.raw + PAD + body
    length = _HEADER + len(payload)
    if length > _U16:
        raise EncodeError(f"a frame of {length} bytes does not fit the length field")
    return MAGIC + struct.pack(">H", length) + command.value.encode("ascii") + payload


def _fixed(value: bytes, size: int, what: str) -> bytes:
    if len(value) != size:
        raise EncodeError(f"{what} is {size} bytes, not {len(value)}")
    return value


def _u16(value: int, what: str) -> bytes:
    if not 0 <= value <= _U16:
        raise EncodeError(f"{what} {value} does not fit in 16 bits")
    return struct.pack("<H", value)


def _code(code: bytes) -> bytes:
    if not code:
        raise EncodeError("an empty code cannot be emitted")
    if len(code) > MAX_CODE_LENGTH:
        raise EncodeError(f"a code of {len(code)} bytes is longer than {MAX_CODE_LENGTH}")
    return struct.pack("<H", len(code)) + code


def _rf_body(session: bytes, request_id: int, state: PowerState, rf_key: int, rf_id: bytes) -> bytes:
    if not rf_id:
        raise EncodeError("an RF id has at least one byte")
    return (
        _fixed(session, 4, "a session") + _u16(request_id, "request id") + bytes((state,))
        + _u16(rf_key, "RF key") + rf_id
    )


def encode_allone(message: AllOneClientMessage | AllOneDeviceMessage) -> bytes:
    """Encode one AllOne message (either direction) to a datagram."""
    match message:
        case LearnRequest(mac=mac, body=body):
            return _frame(Command.LEARN, mac, _fixed(body, 6, "the ls body"))
        case EmitRequest(mac=mac, code=code, request_id=request_id, flags=flags):
            body = _fixed(flags, 4, "the ic flags") + _u16(request_id, "request id") + _code(code)
            return _frame(Command.EMIT, mac, body)
        case RfRequest(mac=mac, session=session, request_id=rid, state=state, rf_key=key, rf_id=rf_id):
            return _frame(Command.POWER, mac, _rf_body(session, rid, state, key, rf_id))
        case LearnAck(mac=mac, session=session, reserved=reserved):
            return _frame(Command.LEARN, mac, _fixed(session, 4, "a session") + _fixed(reserved, 2, "ls reserved"))
        case LearnedCode(mac=mac, session=session, marker=marker, code=code):
            body = _fixed(session, 4, "a session") + _fixed(marker, 2, "the ls marker") + _code(code)
            return _frame(Command.LEARN, mac, body)
        case EmitAck(mac=mac, session=session, status=status, request_id=request_id):
            if not 0 <= status <= 0xFF:
                raise EncodeError(f"status {status} does not fit in a byte")
            body = _fixed(session, 4, "a session") + bytes((status,)) + _u16(request_id, "request id")
            return _frame(Command.EMIT, mac, body)
        case RfAck(mac=mac, session=session, request_id=rid, state=state, rf_key=key, rf_id=rf_id):
            return _frame(Command.POWER, mac, _rf_body(session, rid, state, key, rf_id))
        case ButtonPress(mac=mac, tail=tail):
            return _frame(Command.BUTTON, mac, tail)
    raise EncodeError(f"cannot encode {message!r}")


# --- decode (payload = the datagram after its 6-byte header, already length-checked) ---------


def _mac(p: bytes) -> Mac:
    if len(p) < _HEAD:
        raise DecodeError(f"frame of {len(p) + _HEADER} bytes has no MAC")
    return Mac(p[:6])


def _state(value: int) -> PowerState:
    if value not in (0, 1):
        raise DecodeError(f"RF state byte {value:#04x}")
    return PowerState(value)


def _code_at(p: bytes, offset: int) -> bytes:
    """The `<len u16 LE><code>` that ends the frame at offset."""
    if len(p) < offset + 3:
        raise DecodeError(f"frame of {len(p) + _HEADER} bytes is too short for a code")
    (length,) = struct.unpack_from("<H", p, offset)
    code = p[offset + 2 :]
    if length != len(code) or not code:
        raise DecodeError(f"code length field {length} but {len(code)} bytes follow")
    return code


def _rf_fields(p: bytes) -> tuple[bytes, int, PowerState, int, bytes]:
    if len(p) + _HEADER < _RF_MIN_LENGTH:
        raise DecodeError(f"dc of {len(p) + _HEADER} bytes: neither a socket's (23) nor an RF one (≥ {_RF_MIN_LENGTH})")
    (request_id,) = struct.unpack_from("<H", p, 16)
    (rf_key,) = struct.unpack_from("<H", p, 19)
    return p[12:16], request_id, _state(p[18]), rf_key, p[21:]


def is_rf_power(payload: bytes) -> bool:
    """Whether a `dc` payload is longer than a socket's: an RF one (or malformed)."""
    return len(payload) + _HEADER != _POWER_LENGTH


def decode_allone_from_device(command: Command, p: bytes) -> AllOneDeviceMessage:
    """Decode an AllOne frame sent by the AllOne (`ls`, `ic`, `di`, RF `dc`)."""
    mac = _mac(p)
    match command:
        case Command.LEARN:
            if len(p) + _HEADER == _LEARN_ACK_LENGTH:
                return LearnAck(mac=mac, session=p[12:16], reserved=p[16:18])
            return LearnedCode(mac=mac, session=p[12:16], marker=p[16:18], code=_code_at(p, 18))
        case Command.EMIT:
            if len(p) + _HEADER != _EMIT_ACK_LENGTH:
                raise DecodeError(f"ic reply of {len(p) + _HEADER} bytes, expected {_EMIT_ACK_LENGTH}")
            (request_id,) = struct.unpack_from("<H", p, 17)
            return EmitAck(mac=mac, session=p[12:16], status=p[16], request_id=request_id)
        case Command.BUTTON:
            return ButtonPress(mac=mac, tail=p[12:])
        case Command.POWER:
            session, rid, state, key, rf_id = _rf_fields(p)
            return RfAck(mac=mac, session=session, request_id=rid, state=state, rf_key=key, rf_id=rf_id)
    raise DecodeError(f"{command.value} is not an AllOne frame")


def decode_allone_from_client(command: Command, p: bytes) -> AllOneClientMessage:
    """Decode an AllOne request sent by a controller (the simulator's side)."""
    mac = _mac(p)
    match command:
        case Command.LEARN:
            if len(p) + _HEADER != _LEARN_ACK_LENGTH:
                raise DecodeError(f"ls request of {len(p) + _HEADER} bytes, expected {_LEARN_ACK_LENGTH}")
            return LearnRequest(mac=mac, body=p[12:18])
        case Command.EMIT:
            (request_id,) = struct.unpack_from("<H", p, 16) if len(p) >= 18 else (0,)
            return EmitRequest(mac=mac, flags=p[12:16], request_id=request_id, code=_code_at(p, 18))
        case Command.POWER:
            session, rid, state, key, rf_id = _rf_fields(p)
            return RfRequest(mac=mac, session=session, request_id=rid, state=state, rf_key=key, rf_id=rf_id)
    raise DecodeError(f"{command.value} is never sent by a controller")
