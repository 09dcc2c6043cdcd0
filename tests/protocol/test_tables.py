"""Tables 3 and 4: the captured table-4 writes rebuilt from a read, names, timers, round trips.

The table-4 tests replay what the WiWo app did in the Jollyjohn captures: read the record, change
a field, write the whole record back with `tm`. Starting from the decoded `rt` reply, changing the
same fields through the library API must give the app's `tm` datagram byte for byte.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, time
from ipaddress import IPv4Address

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.orvibo_s20.protocol import (
    DecodeError,
    EncodeError,
    Mac,
    PowerState,
    SocketData,
    SocketDataReply,
    Table,
    TableOp,
    Timer,
    TimersReply,
    TimezoneBlock,
    Weekday,
    WriteTableRequest,
    decode_from_client,
    decode_from_device,
    decode_name,
    encode,
    encode_name,
    socket_data_write,
    timer_write,
)
from custom_components.orvibo_s20.protocol.const import UNNAMED

from . import CAPTURED_MAC, timer_view, vector_bytes, vector_named

FRESH_READ = "rt table 4 reply from a freshly paired socket (name unset)"
TZ_READ = "rt table 4 reply with timezone/DST block filled"
OLD_FIRMWARE_READ = "rt table 4 reply, 138-byte record (old firmware)"
RENAME_WRITE = "tm write table 4 (rename to neworbivo12346)"
LOCK_WRITE = "tm write table 4 locking the socket (discoverable 00)"
TZ_WRITE = "tm write table 4 setting DST flag 00 and timezone +1"

# What the socket learnt between the fresh read (capture 2) and the app's writes (captures 1, 4):
# the cloud address from HTTP `/getHost`, and the domain the app re-padded with spaces
# (PROTOCOL.md §3.7, §3.13).
CLOUD_IP = IPv4Address("52.28.25.255")
SPACE_PADDED_DOMAIN = b"vicenter.orvibo.com".ljust(40, b" ")
# Password set through `mp` between the rename and the lock in capture 1 (frames 182–185).
NEW_PASSWORD = b"abcdef      "

DEFAULT_SETTINGS = settings(deadline=None, database=None)


def _read(name: str) -> SocketData:
    message = decode_from_device(vector_bytes(name))
    assert isinstance(message, SocketDataReply)
    return message.data


def _written(name: str) -> SocketData:
    message = decode_from_client(vector_bytes(name))
    assert isinstance(message, WriteTableRequest)
    assert message.table == Table.SOCKET_DATA
    assert message.op is TableOp.MODIFY
    return SocketData.decode(message.data)


def _changed(before: SocketData, after: SocketData) -> set[str]:
    return {f.name for f in fields(SocketData) if getattr(before, f.name) != getattr(after, f.name)}


def _write_bytes(data: SocketData) -> bytes:
    return encode(socket_data_write(data.mac, data))


def _renamed(fresh: SocketData) -> SocketData:
    return replace(
        fresh.with_name("neworbivo12346"),
        static_server_ip=CLOUD_IP,
        domain_server_name_raw=SPACE_PADDED_DOMAIN,
    )


# --- table 4: the captured writes ----------------------------------------------------------


def test_rename_write_differs_from_fresh_read_in_three_fields() -> None:
    """Between the fresh read and the rename, only the name, cloud IP and domain padding changed."""
    fresh, renamed = _read(FRESH_READ), _written(RENAME_WRITE)

    assert _changed(fresh, renamed) == {"name_raw", "static_server_ip", "domain_server_name_raw"}
    assert fresh.name is None
    assert renamed.name == "neworbivo12346"
    assert fresh.domain_server_name == renamed.domain_server_name == "vicenter.orvibo.com"


def test_rename_write() -> None:
    """Renaming the fresh record gives the app's rename `tm` byte for byte."""
    assert _write_bytes(_renamed(_read(FRESH_READ))) == vector_bytes(RENAME_WRITE)


def test_lock_write() -> None:
    """Locking (discoverable 00) after the password change gives the app's lock `tm`."""
    renamed = _written(RENAME_WRITE)
    locked = _written(LOCK_WRITE)
    assert _changed(renamed, locked) == {"remote_password", "discoverable"}

    from_fresh = replace(
        _renamed(_read(FRESH_READ)), remote_password=NEW_PASSWORD, discoverable=False
    )
    assert _write_bytes(from_fresh) == vector_bytes(LOCK_WRITE)
    assert from_fresh == locked


def test_timezone_write() -> None:
    """Setting UTC+1 with DST (flag 00) on the record read just before gives the app's `tm`."""
    before = _read(TZ_READ)
    after = replace(before, dst_flags=0, timezone_hours=1)

    assert _changed(before, _written(TZ_WRITE)) == {"dst_flags", "timezone_hours"}
    assert _write_bytes(after) == vector_bytes(TZ_WRITE)


def test_timezone_write_from_fresh_read() -> None:
    """The same write, built from the fresh record plus everything the socket learnt since."""
    block = TimezoneBlock(
        tz_index=181,
        year=2015,
        std_offset_s=3600,
        dst_offset_s=7200,
        dst_start=b"2015-03-29T01:00:00Z",
        dst_end=b"2015-10-25T01:00:00Z",
    )
    data = replace(
        _renamed(_read(FRESH_READ)),
        remote_password=NEW_PASSWORD,
        timezone_block=block,
        dst_flags=0,
        timezone_hours=1,
    )
    assert _write_bytes(data) == vector_bytes(TZ_WRITE)


def _fs_write_recipe(read: bytes) -> bytes:
    """FS-TD §6: `rt`→`tm`, drop byte 18, then bytes 25–26 of the shorter frame, fix the length."""
    frame = bytearray(read)
    frame[4:6] = b"tm"
    del frame[18]
    del frame[25:27]
    frame[2:4] = len(frame).to_bytes(2, "big")
    return bytes(frame)


@pytest.mark.parametrize(
    ("name", "record_length", "write_length"),
    [(FRESH_READ, 190, 217), (TZ_READ, 190, 217), (OLD_FIRMWARE_READ, 138, 165)],
)
def test_socket_data_both_sizes(name: str, record_length: int, write_length: int) -> None:
    """Both record sizes round-trip byte for byte, and a write-back follows FS-TD's recipe."""
    read = vector_bytes(name)
    message = decode_from_device(read)
    assert isinstance(message, SocketDataReply)
    data = message.data
    record = read[28:]

    assert data.record_length == record_length == len(record) - 2
    assert (data.timezone_block is None) == (record_length == 138)
    assert data.encode() == record
    assert SocketData.decode(record) == data
    assert encode(message) == read

    write = _write_bytes(data)
    assert len(write) == write_length
    assert write == _fs_write_recipe(read)


@pytest.mark.parametrize("length", [0, 137, 139, 189, 191])
def test_socket_data_other_sizes_rejected(length: int) -> None:
    """Only the two known record sizes decode."""
    record = _read(FRESH_READ).encode()
    body = record[2:].ljust(length, b"\x00")[:length]
    with pytest.raises(DecodeError):
        SocketData.decode(length.to_bytes(2, "little") + body)


def test_socket_data_encode_rejects_bad_fields() -> None:
    """Fields that do not fit the record raise EncodeError, never struct.error."""
    data = _read(FRESH_READ)
    for bad in (
        replace(data, timezone_hours=128),
        replace(data, auto_off_seconds=0x10000),
        replace(data, icon=0x10000),
        replace(data, name_raw=b"short"),
        replace(data, remote_password=b"888888"),
        replace(data, domain_server_name_raw=b"vicenter.orvibo.com"),
        replace(data, timezone_block=TimezoneBlock(dst_start=b"2015")),
        replace(data, timezone_block=TimezoneBlock(std_offset_s=-1)),
    ):
        with pytest.raises(EncodeError):
            bad.encode()


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Office", b"Office          "),
        ("neworbivo12346", b"neworbivo12346  "),
        ("exactly16bytes!!", b"exactly16bytes!!"),
        (None, UNNAMED),
    ],
)
def test_name_encodes(name: str | None, stored: bytes) -> None:
    """Names of up to 16 ASCII bytes are stored space padded; None is the unnamed 16 × ff."""
    assert encode_name(name) == stored
    assert decode_name(stored) == name

    data = _read(FRESH_READ).with_name(name)
    assert data.name_raw == stored
    assert SocketData.decode(data.encode()).name == name


@pytest.mark.parametrize(
    "name",
    ["seventeen bytes!!", "Küche", "雨", "tab\there", "bell\x07"],
)
def test_name_rejected(name: str) -> None:
    """17 bytes, non-ASCII text or control characters cannot be stored: EncodeError."""
    with pytest.raises(EncodeError):
        encode_name(name)
    with pytest.raises(EncodeError):
        _read(FRESH_READ).with_name(name)


def test_unnamed_socket_keeps_its_bytes() -> None:
    """The fresh socket's 16 × ff reads as None and writes back unchanged."""
    fresh = _read(FRESH_READ)

    assert fresh.name_raw == UNNAMED
    assert fresh.name is None
    assert fresh.with_name(None) == fresh
    assert fresh.with_name("Office").with_name(None).encode() == fresh.encode()


@DEFAULT_SETTINGS
@given(name=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16))
def test_name_round_trip(name: str) -> None:
    """Any printable ASCII name of up to 16 bytes reads back without its trailing spaces."""
    data = SocketData.decode(_read(FRESH_READ).with_name(name).encode())
    assert data.name == (name.rstrip(" ") or None)


# --- timers --------------------------------------------------------------------------------


def test_timer_record_example() -> None:
    """FS-TD's record: on at 18:34:06 on Mondays and Wednesdays (Fernando's bit order)."""
    vector = vector_named("table 3 timer record example")
    record = bytes.fromhex(vector["hex"])
    timer = Timer.decode(record)

    assert timer_view(timer) == vector["decoded"]
    assert timer.weekdays == {Weekday.MONDAY, Weekday.WEDNESDAY}
    assert timer.at == time(18, 34, 6)
    assert timer.date is None
    assert timer.name is None
    assert timer.encode() == record


def test_timers_with_junk_names() -> None:
    """NZ's timers carry binary junk as names: no name, and the junk is written back unchanged."""
    message = decode_from_device(vector_bytes("rt table 3 reply with two timers"))
    assert isinstance(message, TimersReply)

    assert [timer.name for timer in message.timers] == [None, None]
    assert [timer.action for timer in message.timers] == [PowerState.ON, PowerState.OFF]
    assert all(timer.weekdays == frozenset(Weekday) for timer in message.timers)
    for timer in message.timers:
        replaced = timer_write(Mac.parse("ac:cf:23:24:19:c0"), timer, replace=True)
        assert replaced.data == timer.encode()


def test_one_shot_timer() -> None:
    """A one-shot timer fires once on its date and has no weekdays."""
    timer = Timer.once(code=7, at=time(6, 30), on=date(2024, 2, 29), action=PowerState.ON)

    assert not timer.is_weekly
    assert timer.weekdays == frozenset()
    assert timer.date == date(2024, 2, 29)
    assert Timer.decode(timer.encode()) == timer


@pytest.mark.parametrize(
    "timer",
    [
        Timer(code=1, action=PowerState.ON, year=2015, month=2, day=29, hour=1, minute=0),
        Timer(code=1, action=PowerState.ON, year=2015, month=1, day=1, hour=24, minute=0),
        Timer(code=1, action=PowerState.ON, year=2015, month=1, day=1, hour=0, minute=60),
        Timer(code=1, action=PowerState.ON, year=2015, month=1, day=1, hour=0, minute=0, second=60),
        Timer(
            code=1, action=PowerState.ON, year=2015, month=1, day=1, hour=0, minute=0, repeat=0x80
        ),
        Timer(code=0x10000, action=PowerState.ON, year=2015, month=1, day=1, hour=0, minute=0),
        Timer(
            code=1, name_raw=b"x", action=PowerState.ON, year=2015, month=1, day=1, hour=0, minute=0
        ),
    ],
    ids=["no-such-date", "hour-24", "minute-60", "second-60", "no-weekday", "code", "name"],
)
def test_invalid_timer_is_not_written(timer: Timer) -> None:
    """Timers the socket could not run raise EncodeError when written."""
    with pytest.raises(EncodeError):
        timer_write(CAPTURED_MAC, timer, replace=False)


def test_weekly_timer_needs_a_day() -> None:
    """A weekly timer without weekdays is refused when built."""
    with pytest.raises(EncodeError):
        Timer.weekly(
            code=1, at=time(8), weekdays=frozenset(), action=PowerState.ON, today=date(2024, 1, 1)
        )


def test_stored_junk_timer_still_reads_and_re_encodes() -> None:
    """A timer a socket stores with an impossible time is read, and re-encoded, as it is.

    GD-js writes hour + 1 (PROTOCOL.md §3.7), so a socket may hold hour 24. Reading the table must
    not fail, a `TimersReply` (what the simulator sends) must encode what was read, and only
    writing such a timer to a socket is refused.
    """
    read = bytearray(vector_bytes("rt table 3 reply with two timers"))
    first_hour = 28 + 26  # first record, rec offset 26
    assert read[first_hour] == 16
    read[first_hour] = 24
    message = decode_from_device(bytes(read))
    assert isinstance(message, TimersReply)

    assert message.timers[0].hour == 24
    assert encode(message) == read
    with pytest.raises(EncodeError):
        timer_write(Mac.parse("ac:cf:23:24:19:c0"), message.timers[0], replace=True)


# --- property-based round trips ------------------------------------------------------------

_u8 = st.integers(0, 0xFF)
_u16 = st.integers(0, 0xFFFF)
_u32 = st.integers(0, 0xFFFFFFFF)
_macs = st.binary(min_size=6, max_size=6).map(Mac)
_weekdays = st.frozensets(st.sampled_from(list(Weekday)), min_size=1)
_actions = st.sampled_from(list(PowerState))


@st.composite
def _timers(draw: st.DrawFn) -> Timer:
    when = draw(st.times().map(lambda moment: moment.replace(microsecond=0)))
    day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    code = draw(_u16)
    action = draw(_actions)
    if draw(st.booleans()):
        timer = Timer.weekly(code=code, at=when, weekdays=draw(_weekdays), action=action, today=day)
    else:
        timer = Timer.once(code=code, at=when, on=day, action=action)
    return replace(
        timer,
        name_raw=draw(st.binary(min_size=16, max_size=16)),
        reserved=draw(_u8),
        # An "on" the socket stored as another non-zero byte is kept when written back.
        action_raw=draw(st.integers(2, 0xFF))
        if action is PowerState.ON and draw(st.booleans())
        else None,
    )


_timezone_blocks = st.builds(
    TimezoneBlock,
    tz_index=_u16,
    year=_u16,
    std_offset_s=_u32,
    dst_offset_s=_u32,
    dst_start=st.binary(min_size=20, max_size=20),
    dst_end=st.binary(min_size=20, max_size=20),
)
_ips = _u32.map(IPv4Address)

_socket_data = st.builds(
    SocketData,
    record_number=_u16,
    version_id=st.binary(min_size=2, max_size=2),
    mac=_macs,
    remote_password=st.binary(min_size=12, max_size=12),
    name_raw=st.one_of(
        st.just(UNNAMED),
        st.binary(min_size=16, max_size=16),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16).map(
            encode_name
        ),
    ),
    icon=_u16,
    hardware_version=_u32,
    firmware_version=_u32,
    wifi_firmware_version=_u32,
    static_server_port=_u16,
    static_server_ip=_ips,
    domain_server_port=_u16,
    domain_server_name_raw=st.binary(min_size=40, max_size=40),
    local_ip=_ips,
    gateway=_ips,
    netmask=_ips,
    dst_flags=_u8,
    discoverable=st.booleans(),
    timezone_set=_u8,
    timezone_hours=st.integers(-128, 127),
    auto_off_enabled=st.booleans(),
    auto_off_action=_u8,
    auto_off_seconds=_u16,
    timezone_block=st.one_of(st.none(), _timezone_blocks),
)


@DEFAULT_SETTINGS
@given(timer=_timers(), mac=_macs, replace_existing=st.booleans())
def test_timer_round_trip(timer: Timer, mac: Mac, replace_existing: bool) -> None:
    """A valid timer survives its record, a `tm` write and an `rt` reply unchanged."""
    record = timer.encode()
    assert len(record) == 30
    assert Timer.decode(record) == timer

    write = decode_from_client(encode(timer_write(mac, timer, replace=replace_existing)))
    assert isinstance(write, WriteTableRequest)
    assert write.op is (TableOp.MODIFY if replace_existing else TableOp.ADD)
    assert Timer.decode(write.data) == timer

    reply = TimersReply(mac=mac, timers=(timer, timer))
    assert decode_from_device(encode(reply)) == reply


@DEFAULT_SETTINGS
@given(timer=_timers())
def test_timer_schedule_properties(timer: Timer) -> None:
    """Weekly timers report their weekdays and no date; one-shots the reverse."""
    decoded = Timer.decode(timer.encode())
    if decoded.is_weekly:
        assert decoded.weekdays
        assert decoded.date is None
        assert decoded.repeat == 0x80 | sum(decoded.weekdays)
    else:
        assert decoded.weekdays == frozenset()
        assert decoded.date == date(timer.year, timer.month, timer.day)
    assert decoded.at == time(timer.hour, timer.minute, timer.second)


@DEFAULT_SETTINGS
@given(data=_socket_data, session=st.binary(min_size=4, max_size=4))
def test_socket_data_round_trip(data: SocketData, session: bytes) -> None:
    """Any valid table-4 record survives its encoding, an `rt` reply and a `tm` write."""
    record = data.encode()
    assert len(record) == data.record_length + 2
    assert SocketData.decode(record) == data

    reply = SocketDataReply(mac=data.mac, data=data, session=session)
    assert decode_from_device(encode(reply)) == reply

    write = decode_from_client(encode(socket_data_write(data.mac, data)))
    assert isinstance(write, WriteTableRequest)
    assert SocketData.decode(write.data) == data
