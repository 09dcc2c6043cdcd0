"""Codec against the shared vectors: each frame decoded, compared field by field, re-encoded.

Each LAN frame is decoded from the side that sent it (`decode_from_device` for a socket,
`decode_from_client` for the app, a library or the cloud talking to the socket), every field of
the vector's `decoded` dict is compared with the message, and encoding the message must give
the captured bytes back. The templates (FS-TD examples with placeholders) are filled with a MAC
and must be reproduced by the encoders the integration uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
import struct
from typing import Any

import pytest

from custom_components.orvibo_s20.protocol import (
    Ack,
    ClockRequest,
    CountdownMode,
    CountdownReply,
    CountdownRequest,
    DecodeError,
    DiscoveryReply,
    EncodeError,
    Mac,
    PowerRequest,
    PowerState,
    ReadTableRequest,
    Table,
    TableOp,
    Timer,
    Weekday,
    WriteTableRequest,
    clock_from_datetime,
    decode_from_client,
    decode_from_device,
    encode,
    timer_delete,
    timer_write,
)

from . import (
    CAPTURED_MAC,
    assert_matches_vector,
    fill_template,
    frame_vectors,
    frame_view,
    sent_by_socket,
    vector_bytes,
    vector_id,
    vector_named,
)

# Frames between the socket and the vendor cloud that the LAN codec deliberately does not model.
# The integration never talks to the cloud (it is gone), and a socket never sends these to a LAN
# controller, so the endpoint must drop them as undecodable rather than misread them.
CLOUD_ONLY = {
    # `dl`: the socket logs in to the cloud; not a LAN command id at all.
    "dl device login to cloud": "dl is a cloud-only command id",
    "dl cloud reply": "dl is a cloud-only command id",
    # `gt`: the socket fetches DST rules from the cloud.
    "gt device asks cloud for DST rules": "gt is a cloud-only command id",
    "gt cloud reply with DST rules": "gt is a cloud-only command id",
    # The socket's own 22-byte heartbeat to the cloud: a socket's `hb` to a LAN client is the
    # 23-byte echo, so a 22-byte `hb` from a socket is malformed for `decode_from_device`.
    "hb device -> cloud": "a socket's hb to a controller is 23 bytes",
    # The cloud's answer to that heartbeat has the reply shape, which a socket never receives
    # from a controller: `decode_from_client` expects the 22-byte request.
    "hb cloud reply": "a controller's hb is 22 bytes",
    # The cloud's 35-byte confirmation of a relayed password change (socket side of `mp`).
    "mp cloud confirmation": "the 35-byte mp form exists only between socket and cloud",
}

FRAMES = frame_vectors()
LAN_FRAMES = [vector for vector in FRAMES if vector["name"] not in CLOUD_ONLY]
CLOUD_FRAMES = [vector for vector in FRAMES if vector["name"] in CLOUD_ONLY]


def _decoder(vector: dict[str, Any]) -> Any:
    return decode_from_device if sent_by_socket(vector["direction"]) else decode_from_client


def test_cloud_only_list_names_real_vectors() -> None:
    """Every frame listed as cloud-only exists, so none is skipped by a typo."""
    assert {vector["name"] for vector in CLOUD_FRAMES} == set(CLOUD_ONLY)


@pytest.mark.parametrize("vector", LAN_FRAMES, ids=vector_id)
def test_captured_frame(vector: dict[str, Any]) -> None:
    """Decode from the sender's side, compare every documented field, re-encode byte for byte."""
    raw = bytes.fromhex(vector["hex"])
    message = _decoder(vector)(raw)

    assert_matches_vector(frame_view(message), vector["decoded"])
    assert encode(message) == raw


@pytest.mark.parametrize("vector", CLOUD_FRAMES, ids=vector_id)
def test_cloud_only_frame_is_rejected(vector: dict[str, Any]) -> None:
    """Cloud traffic is outside the LAN codec and raises DecodeError (see CLOUD_ONLY for why)."""
    raw = bytes.fromhex(vector["hex"])
    with pytest.raises(DecodeError):
        _decoder(vector)(raw)
    if vector["decoded"]["command"] in ("dl", "gt"):
        with pytest.raises(DecodeError):
            decode_from_device(raw)
        with pytest.raises(DecodeError):
            decode_from_client(raw)


@pytest.mark.parametrize(
    ("direction", "from_socket"),
    [
        ("10.0.0.243:10000 -> 10.0.0.11:10000", True),
        ("10.0.0.243:10000 -> 52.28.25.255:10000", True),
        ("10.0.0.11:10000 -> 10.0.0.243:10000", False),
        ("52.28.25.255:10000 -> 10.0.0.243:10000", False),
        ("socket 192.168.1.212 -> client", True),
        ("AllOne -> client", True),
        ("192.168.1.160 -> client", True),
        ("client -> 192.168.1.160", False),
        ("client -> socket:10000", False),
    ],
)
def test_vector_direction(direction: str, from_socket: bool) -> None:
    """The test kit reads the vectors' direction strings the way they are written."""
    assert sent_by_socket(direction) is from_socket


def test_direction_decides_shared_ids() -> None:
    """`dc` request and ack have the same length; only the direction tells them apart."""
    raw = vector_bytes("dc ack reply (no cloud connection)")

    assert decode_from_device(raw) == Ack(command=PowerRequest.command, mac=CAPTURED_MAC)
    assert decode_from_client(raw) == PowerRequest(mac=CAPTURED_MAC, state=PowerState.OFF)


def test_discovery_reply_device_time() -> None:
    """The announcement's clock reads as the UTC time the vector gives."""
    message = decode_from_device(vector_bytes("qg reply while socket is locked (discoverable=00)"))

    assert isinstance(message, DiscoveryReply)
    assert message.device_time == datetime(2016, 1, 30, 20, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize("product_id", ["SOC05", "SOC0055", "SOC00é"])
def test_discovery_reply_bad_product_id(product_id: str) -> None:
    """A product id must be six ASCII characters; anything else is an EncodeError."""
    message = DiscoveryReply(mac=CAPTURED_MAC, product_id=product_id, clock=0, state=PowerState.ON)
    with pytest.raises(EncodeError):
        encode(message)


def test_bad_session_length() -> None:
    """A session is four bytes."""
    with pytest.raises(EncodeError):
        encode(PowerRequest(mac=CAPTURED_MAC, state=PowerState.ON, session=b"\x00" * 3))


# --- templates -----------------------------------------------------------------------------

_MAC_HEX = CAPTURED_MAC.raw.hex()


def _assert_template(name: str, message: Any, raw: bytes) -> None:
    decoded = vector_named(name)["decoded"]
    assert len(raw) == decoded["length_field"] == decoded["length_in_bytes"]
    assert encode(message) == raw
    decode = decode_from_device if isinstance(message, CountdownReply) else decode_from_client
    assert decode(raw) == message


def test_template_timer_update() -> None:
    """`tm` op 0001 replaces timer fe70: off at 18:34:06 on Mondays and Wednesdays."""
    name = "tm update timer (table 3, op 0001)"
    timer = Timer.weekly(
        code=0x70FE,
        at=time(18, 34, 6),
        weekdays=frozenset({Weekday.MONDAY, Weekday.WEDNESDAY}),
        action=PowerState.OFF,
        today=date(2015, 10, 26),
    )
    raw = fill_template(vector_named(name), XXXXXXXXXXXX=_MAC_HEX)

    assert timer.repeat == 0x85
    _assert_template(name, timer_write(CAPTURED_MAC, timer, replace=True), raw)


def test_template_timer_add() -> None:
    """`tm` op 0000 adds timer cc2e: on at 05:08:03 every day."""
    name = "tm add timer (table 3, op 0000)"
    timer = Timer.weekly(
        code=0x2ECC,
        at=time(5, 8, 3),
        weekdays=frozenset(Weekday),
        action=PowerState.ON,
        today=date(2015, 10, 26),
    )
    raw = fill_template(vector_named(name), XXXXXXXXXXXX=_MAC_HEX)

    assert timer.repeat == 0xFF
    message = timer_write(CAPTURED_MAC, timer, replace=False)
    assert message.op is TableOp.ADD
    _assert_template(name, message, raw)


def test_template_timer_delete() -> None:
    """`tm` op 0002 carries only the code of the timer to delete (4f37 on the wire)."""
    name = "tm delete timer (table 3, op 0002)"
    raw = fill_template(vector_named(name), XXXXXXXXXXXX=_MAC_HEX)
    message = timer_delete(CAPTURED_MAC, 0x374F)

    assert message == WriteTableRequest(
        mac=CAPTURED_MAC, table=Table.TIMERS, op=TableOp.DELETE, data=bytes.fromhex("4f37")
    )
    _assert_template(name, message, raw)


def test_template_countdown_query() -> None:
    """FS-lib reads the countdown with `01 00 00 00` (the cloud sends `01 ff 00 00`)."""
    name = "cd countdown query template"
    raw = fill_template(vector_named(name), XXXXXXXXXXXX=_MAC_HEX)
    message = CountdownRequest(mac=CAPTURED_MAC, mode=CountdownMode.READ, action=PowerState.OFF)

    _assert_template(name, message, raw)


@pytest.mark.parametrize(
    ("action", "seconds"),
    [(PowerState.OFF, 0x290E), (PowerState.ON, 600), (PowerState.ON, 0xFFFF), (None, 0)],
)
def test_template_countdown_set(action: PowerState | None, seconds: int) -> None:
    """`cd` mode 00 sets a countdown (action None = ff cancels it)."""
    name = "cd countdown set template"
    raw = fill_template(
        vector_named(name),
        XXXXXXXXXXXX=_MAC_HEX,
        QQ="ff" if action is None else f"{action:02x}",
        SSSS=struct.pack("<H", seconds).hex(),
    )
    message = CountdownRequest(
        mac=CAPTURED_MAC, mode=CountdownMode.SET, action=action, seconds=seconds
    )

    _assert_template(name, message, raw)


def test_template_countdown_reply() -> None:
    """FS-TD's reply: 0x290e s left, then off."""
    name = "cd countdown reply example (0x290e s, action off)"
    raw = fill_template(vector_named(name), XXXXXXXXXXXX=_MAC_HEX)
    message = CountdownReply(mac=CAPTURED_MAC, mode=0, action=PowerState.OFF, seconds=10510)

    _assert_template(name, message, raw)


def test_template_countdown_set_out_of_range() -> None:
    """A countdown longer than 0xffff s cannot be sent."""
    with pytest.raises(EncodeError):
        encode(
            CountdownRequest(
                mac=CAPTURED_MAC, mode=CountdownMode.SET, action=PowerState.ON, seconds=0x10000
            )
        )


def test_template_clock_set() -> None:
    """`cs` carries the clock as u32 LE seconds since 1900 (the captured app write's instant)."""
    name = "cs clock set request template"
    clock = clock_from_datetime(datetime(2016, 1, 30, 19, 43, 24, tzinfo=UTC))
    raw = fill_template(
        vector_named(name), MMMMMMMMMMMM=_MAC_HEX, XXXXXXXX=struct.pack("<I", clock).hex()
    )

    assert clock == 3663171804
    _assert_template(name, ClockRequest(mac=CAPTURED_MAC, clock=clock), raw)


def test_template_read_table() -> None:
    """NZ reads table 4 with the version byte from table 1 (0x17)."""
    vector = vector_named("rt read table 4 request template")
    raw = fill_template(vector, TT="04", VV="17")
    message = ReadTableRequest(
        mac=Mac.parse("ac:cf:23:24:19:c0"), table=Table.SOCKET_DATA, version=0x17
    )

    assert encode(message) == raw
    assert decode_from_client(raw) == message
