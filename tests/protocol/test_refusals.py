"""What the codec refuses, and what it says: each refusal names the value and what is wrong.

An EncodeError reaches users (the command-line tool prints it and exits 2, Home Assistant shows
it); a DecodeError reaches the debug log and `decode`'s output. The edges of each range are
taken as well as refused one step beyond.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time
import re

import pytest

from custom_components.orvibo_s20.protocol import (
    Ack,
    ClockRequest,
    Command,
    CountdownMode,
    CountdownReply,
    CountdownRequest,
    DecodeError,
    DiscoveryReply,
    EncodeError,
    EndpointError,
    HeartbeatRequest,
    Mac,
    OtherTableReply,
    PowerState,
    ReadTableRequest,
    SocketData,
    TableOp,
    TableVersion,
    Timer,
    TimezoneRequest,
    Weekday,
    WriteTableRequest,
    clock_from_datetime,
    decode_from_client,
    decode_from_device,
    encode,
    encode_name,
    timer_delete,
)
from custom_components.orvibo_s20.protocol.messages import PasswordRequest
from custom_components.orvibo_s20.protocol.tables import decode_name, split_records

MAC = Mac.parse("ac:cf:23:35:e6:aa")
EVE = Timer.once(code=1, at=time(22, 0), on=date(2026, 12, 24), action=PowerState.OFF)
DATA = SocketData(mac=MAC)

ENCODE_REFUSALS: list[tuple[str, Callable[[], object], str]] = [
    ("naive clock", lambda: clock_from_datetime(datetime(2026, 1, 1)), "clock needs a timezone-aware datetime"),
    ("clock before 1900", lambda: clock_from_datetime(datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC)),
     "1899-12-31T23:59:59+00:00 is outside the socket's clock range"),
    ("clock after 2036", lambda: clock_from_datetime(datetime(2036, 2, 7, 6, 28, 16, tzinfo=UTC)),
     "2036-02-07T06:28:16+00:00 is outside the socket's clock range"),
    ("clock field", lambda: encode(ClockRequest(mac=MAC, clock=1 << 32)), "clock 4294967296 does not fit in 32 bits"),
    ("timer code", lambda: timer_delete(MAC, 0x10000), "timer code 65536 does not fit in 16 bits"),
    ("countdown", lambda: encode(CountdownRequest(mac=MAC, mode=CountdownMode.SET, action=PowerState.ON,
                                                  seconds=0x10000)), "countdown seconds 65536 does not fit in 16 bits"),
    ("session", lambda: encode(HeartbeatRequest(mac=MAC, session=b"\x00")), "a session is 4 bytes"),
    ("ack status", lambda: encode(Ack(command=Command.POWER, mac=MAC, status=256)), "status 256 does not fit in a byte"),
    ("password", lambda: encode(PasswordRequest(mac=MAC, old_password=b"8" * 11, new_password=b"8" * 12)),
     "remote passwords are 12 bytes"),
    ("product id", lambda: encode(DiscoveryReply(mac=MAC, product_id="SOC", clock=0, state=None)),
     "product id is 6 ASCII characters"),
    ("not a message", lambda: encode(MAC), f"cannot encode {MAC!r}"),  # type: ignore[arg-type]
    ("name not ASCII", lambda: encode_name("Küche"), "name 'Küche' has characters the socket cannot store (ASCII only)"),
    ("name too long", lambda: encode_name("a name that is 17"), "name 'a name that is 17' is 17 bytes; the socket stores at most 16"),
    ("name with DEL", lambda: encode_name("Desk\x7f"), "name 'Desk\\x7f' contains control characters"),
    ("name with newline", lambda: encode_name("Desk\n"), "name 'Desk\\n' contains control characters"),
    ("record name", lambda: replace(DATA, name_raw=b"short").encode(), "name must be 16 bytes and remote password 12 bytes"),
    ("record password", lambda: replace(DATA, remote_password=b"8").encode(),
     "name must be 16 bytes and remote password 12 bytes"),
    ("record domain", lambda: replace(DATA, domain_server_name_raw=b"x").encode(), "domain server name must be 40 bytes"),
    ("time zone east", lambda: replace(DATA, timezone_hours=128).encode(), "timezone or auto-off seconds out of range"),
    ("time zone west", lambda: replace(DATA, timezone_hours=-129).encode(), "timezone or auto-off seconds out of range"),
    ("auto-off", lambda: replace(DATA, auto_off_seconds=0x10000).encode(), "timezone or auto-off seconds out of range"),
    ("auto-off negative", lambda: replace(DATA, auto_off_seconds=-1).encode(), "timezone or auto-off seconds out of range"),
    ("DST dates", lambda: replace(DATA, timezone_block=replace(DATA.timezone_block, dst_start=b"0")).encode(),  # type: ignore[type-var]
     "DST dates must be 20 bytes"),
    ("record field", lambda: replace(DATA, icon=0x10000).encode(), "socket data field out of range: "),
    ("no weekday", lambda: Timer.weekly(code=1, at=time(7), weekdays=frozenset(), action=PowerState.ON,
                                        today=date(2026, 1, 1)), "a weekly timer needs at least one weekday"),
    ("weekly flag alone", lambda: replace(EVE, repeat=0x80).encode(), "a weekly timer needs at least one weekday"),
    ("timer name", lambda: replace(EVE, name_raw=b"x").encode(), "timer name must be 16 bytes"),
    ("time of day", lambda: replace(EVE, hour=24).encode(), "timer time 24:0:0 is not a time of day"),
    ("minute", lambda: replace(EVE, minute=60).encode(), "timer time 22:60:0 is not a time of day"),
    ("second", lambda: replace(EVE, second=60).encode(), "timer time 22:0:60 is not a time of day"),
    ("date", lambda: replace(EVE, month=2, day=30).encode(), "timer date 2026-2-30 does not exist"),
    ("timer field", lambda: replace(EVE, code=0x10000).encode(), "timer field out of range: "),
    # Each field too big for its bytes is named.
    ("rt table", lambda: encode(ReadTableRequest(mac=MAC, table=256)), "table 256 does not fit in a byte"),
    ("rt version", lambda: encode(ReadTableRequest(mac=MAC, table=4, version=256)),
     "table version 256 does not fit in a byte"),
    ("tm table", lambda: encode(WriteTableRequest(mac=MAC, table=256, op=TableOp.ADD, data=b"")),
     "table 256 does not fit in a byte"),
    ("ts zone", lambda: encode(_zone(tz_index=0x10000)), "tz index 65536 does not fit in 16 bits"),
    ("ts year", lambda: encode(_zone(year=0x10000)), "year 65536 does not fit in 16 bits"),
    ("ts standard", lambda: encode(_zone(std_offset_s=1 << 32)), "standard offset 4294967296 does not fit in 32 bits"),
    ("ts DST", lambda: encode(_zone(dst_offset_s=-1)), "DST offset -1 does not fit in 32 bits"),
    ("announced clock", lambda: encode(DiscoveryReply(mac=MAC, product_id="SOC005", clock=-1, state=None)),
     "clock -1 does not fit in 32 bits"),
    ("cd reply mode", lambda: encode(CountdownReply(mac=MAC, mode=256, action=None, seconds=0)),
     "mode 256 does not fit in a byte"),
    ("cd reply seconds", lambda: encode(CountdownReply(mac=MAC, mode=0, action=None, seconds=0x10000)),
     "countdown seconds 65536 does not fit in 16 bits"),
    ("rt reply table", lambda: encode(OtherTableReply(mac=MAC, table=256, records=())),
     "table 256 does not fit in a byte"),
]


def _zone(**fields: int) -> TimezoneRequest:
    return TimezoneRequest(mac=MAC, **({"tz_index": 0, "year": 2026, "std_offset_s": 0, "dst_offset_s": 0} | fields))


@pytest.mark.parametrize(("name", "call", "message"), ENCODE_REFUSALS, ids=[c[0] for c in ENCODE_REFUSALS])
def test_an_encode_refusal_says_what_is_wrong(name: str, call: Callable[[], object], message: str) -> None:
    with pytest.raises(EncodeError) as refused:
        call()
    if message.endswith(": "):  # struct's own words follow
        assert str(refused.value).startswith(message) and len(str(refused.value)) > len(message)
    else:
        assert str(refused.value) == message


def test_the_edges_of_each_range_are_taken() -> None:
    assert clock_from_datetime(datetime(1900, 1, 1, tzinfo=UTC)) == 0
    assert clock_from_datetime(datetime(2036, 2, 7, 6, 28, 15, tzinfo=UTC)) == 0xFFFFFFFF
    assert encode(ClockRequest(mac=MAC, clock=0xFFFFFFFF)).endswith(b"\xff" * 4)
    assert timer_delete(MAC, 0xFFFF).data == b"\xff\xff"
    for hours in (-128, 127):
        assert SocketData.decode(replace(DATA, timezone_hours=hours).encode()).timezone_hours == hours
    assert SocketData.decode(replace(DATA, auto_off_seconds=0xFFFF).encode()).auto_off_seconds == 0xFFFF
    assert encode_name("0123456789abcdef") == b"0123456789abcdef"
    assert encode_name(" ~") == b" ~" + b" " * 14  # the printable ends
    assert encode(Ack(command=Command.POWER, mac=MAC, status=255)).endswith(b"\xff")
    # The ts block's fields are unsigned (PROTOCOL.md §3.11): the tops of their ranges read back.
    top = _zone(tz_index=0xFFFF, year=0xFFFF, std_offset_s=0xFFFFFFFF, dst_offset_s=0x80000000)
    assert decode_from_client(encode(top)) == top
    assert encode(CountdownReply(mac=MAC, mode=255, action=None, seconds=0xFFFF)).endswith(b"\xff\xff\xff\xff")


def _frame(command: bytes, payload: bytes) -> bytes:
    return b"hd" + (6 + len(payload)).to_bytes(2, "big") + command + payload


def _announcement(*, product: bytes) -> bytes:
    good = encode(DiscoveryReply(mac=MAC, product_id="SOC005", clock=0, state=PowerState.ON))
    return good[:31] + product + good[37:]


DECODE_REFUSALS: list[tuple[str, Callable[[], object], str]] = [
    ("short", lambda: decode_from_device(b"hd\x00"), "datagram of 3 bytes is shorter than a header"),
    ("magic", lambda: decode_from_device(b"HD\x00\x06qa"), "bad magic 4844"),
    ("length field", lambda: decode_from_device(b"hd\x00\x07qa"), "length field 7 but datagram has 6 bytes"),
    ("huge length field", lambda: decode_from_device(b"hd\xff\xffqa"), "length field 65535 but datagram has 6 bytes"),
    ("command", lambda: decode_from_device(b"hd\x00\x07zz!"), "unknown command 7a7a"),
    ("command bytes", lambda: decode_from_client(b"hd\x00\x06\xffq"), "unknown command ff71"),
    ("frame length", lambda: decode_from_device(_frame(b"sf", b"\x00" * 16)), "frame of 22 bytes, expected (23,)"),
    ("product id", lambda: decode_from_device(_announcement(product=b"SOC\xff05")), "product id is not ASCII"),
    ("rt reply", lambda: decode_from_device(_frame(b"rt", b"\x00" * 21)), "truncated rt reply"),
    ("table 4 records", lambda: decode_from_device(_frame(b"rt", MAC.raw + b" " * 6 + b"\x00" * 5 + b"\x04" + b"\x00" * 4)),
     "table 4 reply with 0 records"),
    ("from a socket", lambda: decode_from_device(_frame(b"lt", b"\x00" * 12)), "lt is never sent by a socket"),
    ("from a controller", lambda: decode_from_client(_frame(b"sf", b"\x00" * 17)), "sf is never sent by a controller"),
    ("tm request", lambda: decode_from_client(_frame(b"tm", b"\x00" * 18)), "truncated tm request"),
    ("malformed", lambda: decode_from_client(_frame(b"cd", MAC.raw + b" " * 6 + b"\x00" * 4 + b"\x07\x00\x00\x00")),
     "malformed cd: 7 is not a valid CountdownMode"),
    ("tm operation", lambda: decode_from_client(_frame(b"tm", MAC.raw + b" " * 6 + b"\x00" * 4 + b"\x03\x80\x01")),
     "malformed tm: 32769 is not a valid TableOp"),
    ("relay state", lambda: decode_from_device(_frame(b"sf", MAC.raw + b" " * 6 + b"\x00" * 4 + b"\x05")),
     "relay state byte 0x05"),
    ("table 1 record", lambda: TableVersion.decode(b"\x06\x00\x01\x00"), "table 1 record of 4 bytes"),
    ("table 4 record", lambda: SocketData.decode(b"\x8a"), "truncated table 4 record"),
    ("table 4 length", lambda: SocketData.decode(b"\x00\x00"), "table 4 record of 2 bytes (length field 0)"),
    ("table 4 big length", lambda: SocketData.decode(b"\xff\xff" + b"\x00" * 4),
     "table 4 record of 6 bytes (length field 65535)"),
    ("timer record", lambda: Timer.decode(b"\x00" * 5), "timer record of 5 bytes"),
    ("record length", lambda: split_records(b"\x02\x00ab\x01"), "truncated record length"),
    ("record overrun", lambda: split_records(b"\x02\x00ab\xff\xff"), "record of 65535 bytes overruns the datagram"),
]


@pytest.mark.parametrize(("name", "call", "message"), DECODE_REFUSALS, ids=[c[0] for c in DECODE_REFUSALS])
def test_a_decode_refusal_says_what_is_wrong(name: str, call: Callable[[], object], message: str) -> None:
    with pytest.raises(DecodeError, match=f"(^|: ){re.escape(message)}$"):
        call()


def test_a_stored_name_ends_at_its_first_nul_and_loses_only_trailing_spaces() -> None:
    assert decode_name(b"Desk\x00junk\x00more\x00\x00\x00") == "Desk"
    assert decode_name(b"Desk\t" + b" " * 11) == "Desk\t"
    assert decode_name(b"  Desk lamp     ") == "  Desk lamp"
    assert decode_name(b" " * 16) is None


def test_a_one_shot_timer_keeps_its_seconds_and_does_not_repeat() -> None:
    timer = Timer.once(code=1, at=time(7, 30, 15), on=date(2026, 12, 24), action=PowerState.ON)
    assert (timer.at, timer.repeat, timer.is_weekly, timer.date) == (time(7, 30, 15), 0, False, date(2026, 12, 24))
    weekly = Timer.weekly(code=1, at=time(7), weekdays=frozenset({Weekday.MONDAY}), action=PowerState.ON,
                          today=date(2026, 1, 1))
    assert weekly.is_weekly and weekly.date is None


def test_an_odd_on_byte_the_socket_stored_is_written_back_unless_the_action_changed() -> None:
    record = replace(EVE, action=PowerState.ON).encode()
    odd = record[:20] + b"\x05" + record[21:]  # action byte (rec 20) as another app left it
    stored = Timer.decode(odd)
    assert (stored.action, stored.action_raw) == (PowerState.ON, 5)
    assert stored.encode() == odd
    assert replace(stored, action=PowerState.OFF).encode()[20] == 0
    off = Timer.decode(record[:20] + b"\x00" + record[21:])
    assert (off.action, off.action_raw) == (PowerState.OFF, None)
    assert replace(stored, action_raw=1).encode()[20] == 1


def test_an_endpoint_error_keeps_its_address() -> None:
    error = EndpointError("UDP port 10000 on 0.0.0.0 is already in use", host="0.0.0.0", port=10000)
    assert (str(error), error.host, error.port) == ("UDP port 10000 on 0.0.0.0 is already in use", "0.0.0.0", 10000)
