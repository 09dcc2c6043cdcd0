"""PROTOCOL.md §1–§3 as data: which frames each side may send, written out from the spec.

This is the test oracle of the length and fuzz tests, kept apart from the codec so that a check
missing from the codec shows up as a disagreement. A frame is valid when its header is (`68 64`,
a length field counting the whole datagram, a known command id), its length is one the spec
gives for that command sent by that side, the bytes the spec gives a closed set of values hold
one of them, and, for an `rt` reply, its records fill the datagram exactly and each has its
table's size.

Bytes the spec only reports as "always" something (MAC padding, byte 6 of a discovery reply,
`rt` bytes 22 and 24–27, the `cl` reply's byte 22) are not checked: the codec reads them
leniently on purpose (codec.py `_mac_at`), and their meaning is unknown (PROTOCOL.md §7.4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
import struct

from custom_components.orvibo_s20.protocol import Command, Table
from custom_components.orvibo_s20.protocol.const import MAGIC

HEADER = 6  # magic, length, command id
RT_REPLY_HEADER = 28  # header, MAC PAD, session, 00, table, 4 unknown bytes (§3.7)
TM_REQUEST_HEADER = 25  # header, MAC PAD, session, table, op (§3.8)

# Record lengths as their length field gives them (excluding the 2-byte field itself), §3.7.
TABLE_LIST_RECORD = 6
TIMER_RECORD = 28
SOCKET_DATA_RECORD_OLD_FW = 138  # hw 16, fw 10 (NZ)
SOCKET_DATA_RECORD_FW26 = 190  # hw 32, fw 26 [obs]

_STATE = frozenset({0x00, 0x01})  # relay state: off, on
_COUNTDOWN_ACTION = frozenset({0x00, 0x01, 0xFF})  # off, on, none running (§3.9)
_ASCII = frozenset(range(0x80))


class Side(Enum):
    """Who sent a frame, and so which decoder reads it."""

    SOCKET = "socket"  # decode_from_device
    CONTROLLER = "controller"  # decode_from_client (the app, a library, the cloud)


@dataclass(frozen=True, slots=True, kw_only=True)
class FrameRule:
    """What the spec allows for one command sent by one side."""

    lengths: frozenset[int] = frozenset()  # whole datagram, header included
    at_least: int | None = None  # variable length with this minimum (then `lengths` is empty)
    rt_records: bool = False  # an `rt` reply: records from byte 28 to the end
    # Offset → the values the spec allows there, checked when the frame is that long.
    values: Mapping[int, frozenset[int]] = field(default_factory=dict)
    # An AllOne code: a u16 LE length at this offset counting the bytes after it, to the end.
    code_length_at: int | None = None
    # The same id sent as another message (an AllOne's RF `dc`, its learned-code `ls`).
    or_else: FrameRule | None = None

    def allows_length(self, length: int) -> bool:
        """Whether a frame of this many bytes can be this message (or its alternative)."""
        if self.at_least is not None:
            if length >= self.at_least:
                return True
        elif length in self.lengths:
            return True
        return self.or_else is not None and self.or_else.allows_length(length)


def _product_id(start: int) -> dict[int, frozenset[int]]:
    return dict.fromkeys(range(start, start + 6), _ASCII)


# Discovery reply (§3.1): 42 bytes, 41 from an AllOne (no state byte); product id ASCII at 31–36.
_DISCOVERY_REPLY = FrameRule(lengths=frozenset({41, 42}), values={**_product_id(31), 41: _STATE})
# Every 23-byte ack: MAC PAD, 4 session bytes, one status byte, always 00 (never the state, §3.4).
_ACK = FrameRule(lengths=frozenset({23}))

# The AllOne (docs/ALLONE.md): an RF `dc` carries session, id, state, key and an RF id of 1+ bytes;
# a code is `<len u16 LE><code>` ending the frame, never empty.
_RF = FrameRule(at_least=28, values={24: _STATE})
_CODE_FRAME = FrameRule(at_least=27, code_length_at=24)

RULES: dict[tuple[Side, Command], FrameRule] = {
    # --- what a socket sends (§2 "S→C") ---
    (Side.SOCKET, Command.DISCOVER): _DISCOVERY_REPLY,
    (Side.SOCKET, Command.DISCOVER_MAC): _DISCOVERY_REPLY,
    (Side.SOCKET, Command.SUBSCRIBE): FrameRule(lengths=frozenset({24}), values={23: _STATE}),  # §3.3
    (Side.SOCKET, Command.POWER): FrameRule(lengths=frozenset({23}), or_else=_RF),  # §3.4; the AllOne's RF answer
    (Side.SOCKET, Command.STATE): FrameRule(lengths=frozenset({23}), values={22: _STATE}),  # §3.5
    (Side.SOCKET, Command.HEARTBEAT): _ACK,  # §3.6
    (Side.SOCKET, Command.READ_TABLE): FrameRule(at_least=RT_REPLY_HEADER, rt_records=True),  # §3.7
    (Side.SOCKET, Command.WRITE_TABLE): _ACK,  # §3.8
    (Side.SOCKET, Command.COUNTDOWN): FrameRule(lengths=frozenset({26}), values={23: _COUNTDOWN_ACTION}),  # §3.9
    (Side.SOCKET, Command.CLOCK): _ACK,  # §3.10
    (Side.SOCKET, Command.TIMEZONE): _ACK,  # §3.11
    (Side.SOCKET, Command.PASSWORD): _ACK,  # §3.12, the LAN client's 23 bytes
    (Side.SOCKET, Command.LEARN): FrameRule(lengths=frozenset({24}), or_else=_CODE_FRAME),  # ack, learned code
    (Side.SOCKET, Command.EMIT): FrameRule(lengths=frozenset({25})),
    (Side.SOCKET, Command.BUTTON): FrameRule(at_least=18),  # no source gives its bytes after MAC PAD
    # --- what a controller sends (§2 "C→S") ---
    (Side.CONTROLLER, Command.DISCOVER): FrameRule(lengths=frozenset({6, 18})),  # 18: GD-js appends MAC PAD
    (Side.CONTROLLER, Command.DISCOVER_MAC): FrameRule(lengths=frozenset({18})),
    (Side.CONTROLLER, Command.SUBSCRIBE): FrameRule(lengths=frozenset({30, 34})),  # LAN / cloud with session
    (Side.CONTROLLER, Command.POWER): FrameRule(lengths=frozenset({23}), values={22: _STATE}, or_else=_RF),
    (Side.CONTROLLER, Command.HEARTBEAT): FrameRule(lengths=frozenset({22})),
    (Side.CONTROLLER, Command.READ_TABLE): FrameRule(lengths=frozenset({29})),
    # tm: the op is a big-endian u16, 0000 add, 0001 modify, 0002 delete; the data is any length.
    (Side.CONTROLLER, Command.WRITE_TABLE): FrameRule(
        at_least=TM_REQUEST_HEADER, values={23: frozenset({0}), 24: frozenset({0, 1, 2})}
    ),
    # cd: mode 00 set / 01 read, then the action.
    (Side.CONTROLLER, Command.COUNTDOWN): FrameRule(
        lengths=frozenset({26}), values={22: _STATE, 23: _COUNTDOWN_ACTION}
    ),
    (Side.CONTROLLER, Command.CLOCK): FrameRule(lengths=frozenset({26})),
    (Side.CONTROLLER, Command.TIMEZONE): FrameRule(lengths=frozenset({34})),
    (Side.CONTROLLER, Command.PASSWORD): FrameRule(lengths=frozenset({46})),
    (Side.CONTROLLER, Command.LOGOUT): FrameRule(lengths=frozenset({18})),
    (Side.CONTROLLER, Command.LEARN): FrameRule(lengths=frozenset({24})),
    (Side.CONTROLLER, Command.EMIT): _CODE_FRAME,
}

# Table → the size every one of its records has; table 4 holds exactly one record of either size.
_RECORD_LENGTHS: dict[int, frozenset[int]] = {
    Table.TABLES: frozenset({TABLE_LIST_RECORD}),
    Table.TIMERS: frozenset({TIMER_RECORD}),
    Table.SOCKET_DATA: frozenset({SOCKET_DATA_RECORD_OLD_FW, SOCKET_DATA_RECORD_FW26}),
}


def command_of(datagram: bytes) -> Command | None:
    """The frame's command id, None when it is no command of the LAN protocol."""
    try:
        return Command(datagram[4:6].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None


def header_ok(datagram: bytes) -> bool:
    """Magic `68 64` and a length field counting the whole datagram (§1)."""
    return (
        len(datagram) >= HEADER
        and datagram[:2] == MAGIC
        and struct.unpack_from(">H", datagram, 2)[0] == len(datagram)
    )


def record_lengths(records: bytes) -> list[int] | None:
    """The length fields of `<len u16 LE><body>` records filling `records` exactly, else None."""
    lengths: list[int] = []
    offset = 0
    while offset < len(records):
        if offset + 2 > len(records):
            return None
        (length,) = struct.unpack_from("<H", records, offset)
        offset += 2 + length
        if offset > len(records):
            return None
        lengths.append(length)
    return lengths


def _rt_records_ok(datagram: bytes) -> bool:
    lengths = record_lengths(datagram[RT_REPLY_HEADER:])
    if lengths is None:
        return False
    table = datagram[23]
    if table == Table.SOCKET_DATA and len(lengths) != 1:
        return False
    allowed = _RECORD_LENGTHS.get(table, _ANY_LENGTH)
    return all(length in allowed for length in lengths)


_ANY_LENGTH = frozenset(range(0x10000))  # a table the spec does not describe (2, §3.7)


def spec_accepts(datagram: bytes, side: Side) -> bool:
    """Whether PROTOCOL.md allows this datagram from this side."""
    if not header_ok(datagram) or (command := command_of(datagram)) is None:
        return False
    rule = RULES.get((side, command))
    while rule is not None:
        if _rule_accepts(rule, datagram):
            return True
        rule = rule.or_else
    return False


def _rule_accepts(rule: FrameRule, datagram: bytes) -> bool:
    length = len(datagram)
    if not (length >= rule.at_least if rule.at_least is not None else length in rule.lengths):
        return False
    if any(offset < length and datagram[offset] not in allowed for offset, allowed in rule.values.items()):
        return False
    if rule.code_length_at is not None:
        (code,) = struct.unpack_from("<H", datagram, rule.code_length_at)
        if code != length - rule.code_length_at - 2:
            return False
    return not rule.rt_records or _rt_records_ok(datagram)
