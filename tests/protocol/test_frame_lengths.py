"""Every frame's length pinned: the exact length decodes, one byte short or long is refused.

`ROWS` is PROTOCOL.md §2–§3 written out per message and per sender, with the length the spec
gives, as a sum of its parts where the frame carries records. Each row's bytes are a real frame
from vectors.json where one was captured or documented; else they are built, by the spec's layout,
from the captured frame they answer. Per row:

* the exact frame decodes to its message;
* one byte short and one byte long, the header's length field set to match, so that only the
  message's own length check can refuse them: DecodeError. Where the spec allows the neighbouring
  length too (41 bytes is an AllOne's discovery reply; a `tm` request is any length from 25), the
  row says so and the frame must decode instead;
* the header disagreeing with the datagram (a length field off by one, a datagram cut or extended
  behind an unchanged field): DecodeError from the header check.

`RECORD_ROWS` do the same one level down for the records of `rt` replies and `tm` table-4 writes,
whose sizes differ between firmware (table 4: 138 bytes on old firmware, 190 on fw 26, §4.7).
Every row is also checked against the rule set of `spec_frames`, which the fuzz tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import struct

import pytest

from custom_components.orvibo_s20.protocol import (
    Ack,
    ButtonPress,
    EmitAck,
    EmitRequest,
    LearnAck,
    LearnedCode,
    LearnRequest,
    RfAck,
    RfRequest,
    ClockRequest,
    Command,
    CountdownReply,
    CountdownRequest,
    DecodeError,
    DiscoverMacRequest,
    DiscoveryReply,
    DiscoverRequest,
    HeartbeatRequest,
    LogoutRequest,
    OtherTableReply,
    PasswordRequest,
    PowerRequest,
    ReadTableRequest,
    SocketData,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    SubscribeRequest,
    TableListReply,
    TableVersion,
    Timer,
    TimersReply,
    TimezoneRequest,
    WriteTableRequest,
    decode_from_client,
    decode_from_device,
    encode,
)
from custom_components.orvibo_s20.protocol.const import PAD
from custom_components.orvibo_s20.protocol.tables import split_records

from . import CAPTURED_MAC, VECTORS, fill_template, vector_bytes, vector_named
from .test_allone_codec import allone_vector
from .spec_frames import (
    RT_REPLY_HEADER,
    RULES,
    SOCKET_DATA_RECORD_FW26,
    SOCKET_DATA_RECORD_OLD_FW,
    TABLE_LIST_RECORD,
    TIMER_RECORD,
    TM_REQUEST_HEADER,
    Side,
    command_of,
    record_lengths,
    spec_accepts,
)

SOCKET, CONTROLLER = Side.SOCKET, Side.CONTROLLER
DECODERS = {SOCKET: decode_from_device, CONTROLLER: decode_from_client}
RECORD = 2  # every record's little-endian length field, which does not count itself (§3.7)


def _with_length(datagram: bytes) -> bytes:
    """Set the big-endian length field to the datagram's real length."""
    return datagram[:2] + struct.pack(">H", len(datagram)) + datagram[4:]


def _captured(name: str) -> bytes:
    """The captured frame of this name (a documented example may share it)."""
    (vector,) = (v for v in VECTORS if v["name"] == name and v["kind"] == "capture")
    return bytes.fromhex(vector["hex"])


def _with_table(datagram: bytes, table: int) -> bytes:
    return datagram[:23] + bytes((table,)) + datagram[24:]


def _write_from_read(read: bytes) -> bytes:
    """A table-4 `tm` made from an `rt` reply as the app makes it (§3.8).

    `rt` → `tm`, byte 18 deleted, then bytes 25–26 of the shortened frame: 220 → 217 bytes on
    fw 26, 168 → 165 on old firmware.
    """
    shortened = read[:4] + b"tm" + read[6:18] + read[19:]
    return _with_length(shortened[:25] + shortened[27:])


# Frames no vector holds, built by the spec's layout from the captured frame they answer.
_HB_ACK = _with_length(vector_bytes("hb heartbeat request (LAN app, every 30 s)") + b"\x00")  # §3.6: echo + 00
_CS_ACK = _with_length(vector_bytes("cs clock set request")[:22] + b"\x00")  # §3.10: session echoed + 00
# §3.8: `… 74 6d MAC PAD 00 00 00 00 00` (session 00 00 00 00 to a LAN client without cloud).
_TM_ACK = _with_length(vector_bytes("tm write table 4 (rename to neworbivo12346)")[:18] + bytes(5))
_TM_HEADER_ONLY = _with_length(vector_bytes("tm write table 4 (rename to neworbivo12346)")[:TM_REQUEST_HEADER])
_TIMERS_EMPTY = _with_length(vector_bytes("rt table 3 reply with two timers")[:RT_REPLY_HEADER])
_TABLE_2 = _with_table(vector_bytes("rt table 1 reply, version 0x0a (to LAN)"), 2)  # undocumented table
_CD_REPLY = fill_template(
    vector_named("cd countdown reply example (0x290e s, action off)"), XXXXXXXXXXXX=CAPTURED_MAC.raw.hex()
)
_QA_GDJS = _with_length(_captured("qa global discovery request") + CAPTURED_MAC.raw + PAD)  # §3.1
_OLD_FW_READ = vector_bytes("rt table 4 reply, 138-byte record (old firmware)")
_OLD_FW_WRITE = _write_from_read(_OLD_FW_READ)


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One message as one side sends it, at one length the spec gives."""

    name: str
    side: Side
    length: int  # the whole datagram, as the spec gives it
    frame: bytes
    message: type
    section: str = ""  # where PROTOCOL.md describes it, on the first row of each command
    short_decodes: bool = False  # length − 1 is also a length of this message (else DecodeError)
    long_decodes: bool = False  # length + 1 likewise (the appended byte is 00)

    def __str__(self) -> str:
        return f"{self.side.value}: {self.name}"


ROWS = [
    # --- what a socket sends: decode_from_device -------------------------------------------
    Row(name="qa reply, S20", section="§3.1", side=SOCKET, length=42, message=DiscoveryReply,
        frame=vector_bytes("qa unsolicited announcement after boot"), short_decodes=True),  # 41: AllOne
    Row(name="qa reply, AllOne, no state byte", side=SOCKET, length=41, message=DiscoveryReply,
        frame=vector_bytes("qa reply AllOne IRD012 (41 bytes, no state)"), long_decodes=True),  # 42: state off
    Row(name="qg reply, S20", section="§3.2", side=SOCKET, length=42, message=DiscoveryReply,
        frame=vector_bytes("qg reply while socket is locked (discoverable=00)"), short_decodes=True),
    Row(name="qg reply, AllOne", side=SOCKET, length=41, message=DiscoveryReply,
        frame=vector_bytes("qg reply AllOne IRD013 (41 bytes)"), long_decodes=True),
    Row(name="cl subscribe reply", section="§3.3", side=SOCKET, length=24, message=SubscribeReply,
        frame=vector_bytes("cl subscribe reply, state on")),
    Row(name="dc ack", section="§3.4", side=SOCKET, length=23, message=Ack,
        frame=vector_bytes("dc ack reply (no cloud connection)")),
    Row(name="dc ack, cloud connected", side=SOCKET, length=23, message=Ack,
        frame=vector_bytes("dc ack reply (cloud connected)")),
    Row(name="sf state push", section="§3.5", side=SOCKET, length=23, message=StateReport,
        frame=vector_bytes("sf state push, on")),
    Row(name="hb reply", section="§3.6", side=SOCKET, length=23, message=Ack, frame=_HB_ACK),
    Row(name="rt reply, table 1, one record", section="§3.7", side=SOCKET, message=TableListReply,
        length=RT_REPLY_HEADER + RECORD + TABLE_LIST_RECORD,
        frame=vector_bytes("rt table 1 reply, version 0x0a (to LAN)")),
    Row(name="rt reply, table 1, two records", side=SOCKET, message=TableListReply,
        length=RT_REPLY_HEADER + 2 * (RECORD + TABLE_LIST_RECORD),
        frame=vector_bytes("rt table 1 reply (tables 4 v23 and 3 v2)")),
    Row(name="rt reply, table 3, two timers", side=SOCKET, message=TimersReply,
        length=RT_REPLY_HEADER + 2 * (RECORD + TIMER_RECORD),
        frame=vector_bytes("rt table 3 reply with two timers")),
    Row(name="rt reply, table 3, no timers", side=SOCKET, message=TimersReply,
        length=RT_REPLY_HEADER, frame=_TIMERS_EMPTY),
    Row(name="rt reply, table 4, fw 26", side=SOCKET, message=SocketDataReply,
        length=RT_REPLY_HEADER + RECORD + SOCKET_DATA_RECORD_FW26,
        frame=vector_bytes("rt table 4 reply with timezone/DST block filled")),
    Row(name="rt reply, table 4, old firmware", side=SOCKET, message=SocketDataReply,
        length=RT_REPLY_HEADER + RECORD + SOCKET_DATA_RECORD_OLD_FW, frame=_OLD_FW_READ),
    Row(name="rt reply, table 2 (undocumented), one record", side=SOCKET, message=OtherTableReply,
        length=RT_REPLY_HEADER + RECORD + 6, frame=_TABLE_2),  # the table-1 record, as table 2's
    Row(name="tm ack", section="§3.8", side=SOCKET, length=23, message=Ack, frame=_TM_ACK),
    Row(name="cd reply", section="§3.9", side=SOCKET, length=26, message=CountdownReply, frame=_CD_REPLY),
    Row(name="cs ack", section="§3.10", side=SOCKET, length=23, message=Ack, frame=_CS_ACK),
    Row(name="ts ack", section="§3.11", side=SOCKET, length=23, message=Ack,
        frame=vector_bytes("ts timezone set reply")),
    Row(name="mp ack to the LAN client", section="§3.12", side=SOCKET, length=23, message=Ack,
        frame=vector_bytes("mp reply to LAN app")),
    # The AllOne's own frames (docs/ALLONE.md, allone_vectors.json).
    Row(name="ls ack", side=SOCKET, length=24, message=LearnAck, frame=allone_vector("ls learning mode ack")),
    Row(name="ls learned code", side=SOCKET, length=178, message=LearnedCode,
        frame=allone_vector("ls learned IR code, 152 bytes")),
    Row(name="ic ack", side=SOCKET, length=25, message=EmitAck, frame=allone_vector("ic emit ack (cloud connected)")),
    Row(name="di button press", side=SOCKET, length=23, message=ButtonPress, frame=allone_vector("di button press"),
        short_decodes=True, long_decodes=True),  # any tail after MAC PAD is kept
    Row(name="dc RF answer", side=SOCKET, length=30, message=RfAck, frame=allone_vector("dc RF answer from the AllOne"),
        short_decodes=True, long_decodes=True),  # the RF id is any length from 1 byte
    # --- what a controller sends: decode_from_client (the simulator's side) -----------------
    Row(name="qa request", section="§3.1", side=CONTROLLER, length=6, message=DiscoverRequest,
        frame=_captured("qa global discovery request")),
    Row(name="qa request + MAC PAD (GD-js)", side=CONTROLLER, length=18, message=DiscoverRequest,
        frame=_QA_GDJS),
    Row(name="qg request", section="§3.2", side=CONTROLLER, length=18, message=DiscoverMacRequest,
        frame=vector_bytes("qg targeted discovery request")),
    Row(name="cl request, LAN", section="§3.3", side=CONTROLLER, length=30, message=SubscribeRequest,
        frame=vector_bytes("cl subscribe request (LAN)")),
    Row(name="cl request, cloud, with session", side=CONTROLLER, length=34, message=SubscribeRequest,
        frame=vector_bytes("cl subscribe request from cloud (with session)")),
    Row(name="dc request", section="§3.4", side=CONTROLLER, length=23, message=PowerRequest,
        frame=_captured("dc power on request")),
    Row(name="hb request", section="§3.6", side=CONTROLLER, length=22, message=HeartbeatRequest,
        frame=vector_bytes("hb heartbeat request (LAN app, every 30 s)")),
    Row(name="rt request", section="§3.7", side=CONTROLLER, length=29, message=ReadTableRequest,
        frame=_captured("rt read table 1 request")),
    # tm requests are any length from the 25-byte header on: the data's record is checked by
    # whoever stores it (RECORD_ROWS, and the simulator's socket).
    Row(name="tm request, header only", section="§3.8", side=CONTROLLER, message=WriteTableRequest,
        length=TM_REQUEST_HEADER, frame=_TM_HEADER_ONLY, long_decodes=True),
    Row(name="tm write, table 4, fw 26", side=CONTROLLER, message=WriteTableRequest,
        length=TM_REQUEST_HEADER + RECORD + SOCKET_DATA_RECORD_FW26,
        frame=vector_bytes("tm write table 4 (rename to neworbivo12346)"), short_decodes=True, long_decodes=True),
    Row(name="tm write, table 4, old firmware", side=CONTROLLER, message=WriteTableRequest,
        length=TM_REQUEST_HEADER + RECORD + SOCKET_DATA_RECORD_OLD_FW,
        frame=_OLD_FW_WRITE, short_decodes=True, long_decodes=True),
    Row(name="cd request", section="§3.9", side=CONTROLLER, length=26, message=CountdownRequest,
        frame=vector_bytes("cd countdown query from cloud")),
    Row(name="cs request", section="§3.10", side=CONTROLLER, length=26, message=ClockRequest,
        frame=vector_bytes("cs clock set request")),
    Row(name="ts request", section="§3.11", side=CONTROLLER, length=34, message=TimezoneRequest,
        frame=vector_bytes("ts timezone set request")),
    Row(name="mp request", section="§3.12", side=CONTROLLER, length=46, message=PasswordRequest,
        frame=vector_bytes("mp modify remote password request (LAN)")),
    Row(name="lt", section="§2", side=CONTROLLER, length=18, message=LogoutRequest,
        frame=vector_bytes("lt from app (no reply observed)")),
    Row(name="ls request", side=CONTROLLER, length=24, message=LearnRequest,
        frame=allone_vector("ls enter learning mode request")),
    Row(name="ic request", side=CONTROLLER, length=178, message=EmitRequest,
        frame=allone_vector("ic emit request carrying the 152-byte learned code")),
    Row(name="dc RF request", side=CONTROLLER, length=30, message=RfRequest,
        frame=allone_vector("dc RF request for a T030 switch (key 2a00, id abcdef, on)"), short_decodes=True, long_decodes=True),
]


def _outcome(side: Side, datagram: bytes) -> object | None:
    """The decoded message, or None when the decoder refused the datagram."""
    try:
        return DECODERS[side](datagram)
    except DecodeError:
        return None


def test_every_message_has_a_row() -> None:
    """Each command each side sends (the spec's rule set) has a row, and every row's length is one the rules allow.

    Whether the neighbouring lengths decode is checked against the rules in the short and long tests.
    """
    covered = set()
    for row in ROWS:
        command = command_of(row.frame)
        assert command is not None, str(row)
        assert RULES[row.side, command].allows_length(row.length), str(row)
        covered.add((row.side, command))
    assert covered == set(RULES)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_exact_length_decodes(row: Row) -> None:
    """The frame has the spec's length and decodes to its message, which encodes back to a frame it equals."""
    assert len(row.frame) == row.length, str(row)
    decode = DECODERS[row.side]
    message = decode(row.frame)
    assert type(message) is row.message
    assert decode(encode(message)) == message
    assert spec_accepts(row.frame, row.side)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_one_byte_short(row: Row) -> None:
    """The last byte dropped and the length field fixed to match: only the message's own check can refuse it."""
    datagram = _with_length(row.frame[:-1])
    if row.short_decodes:
        assert isinstance(_outcome(row.side, datagram), row.message)
    else:
        with pytest.raises(DecodeError):
            DECODERS[row.side](datagram)
    assert spec_accepts(datagram, row.side) is row.short_decodes


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_one_byte_long(row: Row) -> None:
    """A 00 appended and the length field fixed to match: refused, unless the spec allows that length."""
    datagram = _with_length(row.frame + b"\x00")
    if row.long_decodes:
        assert isinstance(_outcome(row.side, datagram), row.message)
    else:
        with pytest.raises(DecodeError):
            DECODERS[row.side](datagram)
    assert spec_accepts(datagram, row.side) is row.long_decodes


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_header_disagrees(row: Row) -> None:
    """A length field that does not count the datagram is refused, whatever the payload."""
    frame, field = row.frame, len(row.frame)
    disagreeing = [
        frame[:2] + struct.pack(">H", field - 1) + frame[4:],  # field one short
        frame[:2] + struct.pack(">H", field + 1) + frame[4:],  # field one long
        frame[:-1],  # datagram cut, field unchanged
        frame + b"\x00",  # datagram extended, field unchanged
    ]
    for datagram in disagreeing:
        with pytest.raises(DecodeError):
            DECODERS[row.side](datagram)


# --- records: rt replies and tm table-4 writes, both firmware sizes -------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordRow:
    """The last record of an `rt` reply or a `tm` write, at the size its table gives it."""

    name: str
    side: Side
    record: int  # the record's length field (§3.7)
    decode: Callable[[bytes], object]  # the record's own decoder (the simulator calls it on tm data)
    frame: bytes

    def __str__(self) -> str:
        return self.name


RECORD_ROWS = [
    RecordRow(name="rt table 1 record", side=SOCKET, record=TABLE_LIST_RECORD, decode=TableVersion.decode,
              frame=vector_bytes("rt table 1 reply (tables 4 v23 and 3 v2)")),
    RecordRow(name="rt table 3 timer record", side=SOCKET, record=TIMER_RECORD, decode=Timer.decode,
              frame=vector_bytes("rt table 3 reply with two timers")),
    RecordRow(name="rt table 4 record, fw 26", side=SOCKET, record=SOCKET_DATA_RECORD_FW26, decode=SocketData.decode,
              frame=vector_bytes("rt table 4 reply from a freshly paired socket (name unset)")),
    RecordRow(name="rt table 4 record, old firmware", side=SOCKET, record=SOCKET_DATA_RECORD_OLD_FW,
              decode=SocketData.decode, frame=_OLD_FW_READ),
    RecordRow(name="tm timer record (add)", side=CONTROLLER, record=TIMER_RECORD, decode=Timer.decode,
              frame=fill_template(vector_named("tm add timer (table 3, op 0000)"), XXXXXXXXXXXX=CAPTURED_MAC.raw.hex())),
    RecordRow(name="tm table 4 record, fw 26", side=CONTROLLER, record=SOCKET_DATA_RECORD_FW26,
              decode=SocketData.decode, frame=vector_bytes("tm write table 4 locking the socket (discoverable 00)")),
    RecordRow(name="tm table 4 record, old firmware", side=CONTROLLER, record=SOCKET_DATA_RECORD_OLD_FW,
              decode=SocketData.decode, frame=_OLD_FW_WRITE),
]


def _records_start(row: RecordRow) -> int:
    return RT_REPLY_HEADER if row.side is SOCKET else TM_REQUEST_HEADER


def _last_record(frame: bytes, start: int) -> bytes:
    lengths = record_lengths(frame[start:])
    assert lengths, "the frame holds records that fill it"
    return frame[len(frame) - RECORD - lengths[-1] :]


def _resize_last_record(frame: bytes, start: int, change: int) -> bytes:
    """The frame with its last record one byte shorter or longer (a 00), its length field and the frame's to match."""
    record = _last_record(frame, start)
    body = record[RECORD:-1] if change < 0 else record[RECORD:] + b"\x00"
    return _with_length(frame[: len(frame) - len(record)] + struct.pack("<H", len(body)) + body)


@pytest.mark.parametrize("row", RECORD_ROWS, ids=str)
def test_record_at_its_size_decodes(row: RecordRow) -> None:
    """The captured or documented record has its table's size and is read, alone and in its frame."""
    record = _last_record(row.frame, _records_start(row))
    assert len(record) == RECORD + row.record
    row.decode(record)
    message = DECODERS[row.side](row.frame)
    if isinstance(message, WriteTableRequest):
        assert message.data == record


@pytest.mark.parametrize("change", [-1, +1], ids=["short", "long"])
@pytest.mark.parametrize("row", RECORD_ROWS, ids=str)
def test_record_one_byte_off(row: RecordRow, change: int) -> None:
    """A record one byte off its table's size, every length field consistent: refused by the record check.

    The record's decoder refuses it, and so does an `rt` reply carrying it. A `tm` write is any
    length, so the decoder reads it and its record is refused where it is stored (the simulator's
    socket calls the same record decoder).
    """
    datagram = _resize_last_record(row.frame, _records_start(row), change)
    record = _last_record(datagram, _records_start(row))
    assert len(record) == RECORD + row.record + change
    with pytest.raises(DecodeError):
        row.decode(record)
    assert spec_accepts(datagram, row.side) is (row.side is CONTROLLER)
    if row.side is SOCKET:
        with pytest.raises(DecodeError):
            decode_from_device(datagram)
    else:
        message = decode_from_client(datagram)
        assert isinstance(message, WriteTableRequest) and message.data == record


@pytest.mark.parametrize("change", [-1, +1], ids=["short", "long"])
def test_records_fill_the_payload(change: int) -> None:
    """Records end exactly where the datagram ends: a record cut short or a stray byte after the last one is refused."""
    records = vector_bytes("rt table 1 reply (tables 4 v23 and 3 v2)")[RT_REPLY_HEADER:]
    assert len(split_records(records)) == 2
    with pytest.raises(DecodeError):
        split_records(records[:-1] if change < 0 else records + b"\x00")


@pytest.mark.parametrize("count", [0, 2])
def test_table_4_reply_holds_one_record(count: int) -> None:
    """Table 4 is one record (§3.7): a reply with none or two is refused, though each record is well formed."""
    frame = vector_bytes("rt table 4 reply from a freshly paired socket (name unset)")
    record = frame[RT_REPLY_HEADER:]
    datagram = _with_length(frame[:RT_REPLY_HEADER] + record * count)
    assert not spec_accepts(datagram, SOCKET)
    with pytest.raises(DecodeError):
        decode_from_device(datagram)


def test_table_4_record_of_the_other_firmware() -> None:
    """A record length field of the other firmware's size with this one's bytes is refused (fields disagree)."""
    frame = vector_bytes("rt table 4 reply from a freshly paired socket (name unset)")
    start = RT_REPLY_HEADER
    datagram = frame[:start] + struct.pack("<H", SOCKET_DATA_RECORD_OLD_FW) + frame[start + RECORD :]
    with pytest.raises(DecodeError):
        decode_from_device(datagram)


def test_old_firmware_write_is_built_like_the_app_builds_it() -> None:
    """The §3.8 recipe that makes the old firmware's write turns the fw 26 read into the captured write.

    The app changed two fields between them: the DST flag (rec 132) and the time zone (rec 135).
    """
    built = _write_from_read(vector_bytes("rt table 4 reply with timezone/DST block filled"))
    captured = vector_bytes("tm write table 4 setting DST flag 00 and timezone +1")
    assert len(built) == len(captured) == TM_REQUEST_HEADER + RECORD + SOCKET_DATA_RECORD_FW26
    differing = [offset - TM_REQUEST_HEADER for offset, (a, b) in enumerate(zip(built, captured, strict=True)) if a != b]
    assert differing == [132, 135]


# --- commands a side never sends ------------------------------------------------------------

NEVER_SENT = sorted(
    ((side, command) for side in Side for command in Command if (side, command) not in RULES),
    key=lambda pair: (pair[0].value, pair[1].value),
)


def test_never_sent_list() -> None:
    """A socket never sends `lt`; a controller never sends `sf` (§2) nor an AllOne's `di`. Nothing else is missing."""
    assert NEVER_SENT == [(CONTROLLER, Command.BUTTON), (CONTROLLER, Command.STATE), (SOCKET, Command.LOGOUT)]


@pytest.mark.parametrize(("side", "command"), NEVER_SENT, ids=lambda value: getattr(value, "value", str(value)))
def test_never_sent_by_this_side(side: Side, command: Command) -> None:
    """A command the side never sends is refused at every length, the other side's real frame included."""
    other = next(row for row in ROWS if row.side is not side and command_of(row.frame) is command)
    with pytest.raises(DecodeError):
        DECODERS[side](other.frame)
    for payload in range(64):
        with pytest.raises(DecodeError):
            DECODERS[side](_with_length(other.frame[:6] + CAPTURED_MAC.raw + PAD + bytes(payload)))
