"""The AllOne's frames against real bytes (allone_vectors.json, each vector naming its source).

Captured frames come from tavalin/orvibo-sdk's unit tests and a comment in Grayda/go-orvibo;
frames no source holds byte for byte (an `ic` request, RF `dc`, `di`) are built by the layout
the libraries agree on and say so in their `kind` and `source`. Each is decoded from its
sender's side, compared field by field, encoded back to the same bytes, and refused when cut.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.orvibo_s20.protocol import (
    ButtonPress,
    DecodeError,
    DeviceFamily,
    DiscoveryReply,
    EmitAck,
    EmitRequest,
    EncodeError,
    LearnAck,
    LearnedCode,
    LearnRequest,
    Mac,
    PowerRequest,
    PowerState,
    RfAck,
    RfRequest,
    decode_from_client,
    decode_from_device,
    encode,
    family_of,
)
from custom_components.orvibo_s20.protocol.allone import MAX_CODE_LENGTH

VECTORS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "allone_vectors.json").read_text())
DECODERS = {"device": decode_from_device, "client": decode_from_client}
_HEX_FIELDS = {"body", "code", "flags", "marker", "reserved", "rf_id", "session", "tail"}


def allone_vector(name: str) -> bytes:
    """The bytes of the AllOne vector of this name."""
    (vector,) = (v for v in VECTORS if v["name"] == name)
    return bytes.fromhex(vector["hex"])


def _field(message: object, name: str) -> object:
    value = getattr(message, name)
    if isinstance(value, Mac):
        return str(value)
    if isinstance(value, bytes) and name in _HEX_FIELDS:
        return value.hex()
    if isinstance(value, PowerState):
        return int(value)
    return value


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_vector_decodes_field_by_field_and_encodes_back(vector: dict[str, Any]) -> None:
    """Every field as the vector gives it; encoding the message gives the same bytes."""
    raw = bytes.fromhex(vector["hex"])
    message = DECODERS[vector["side"]](raw)
    decoded = dict(vector["decoded"])
    assert type(message).__name__ == decoded.pop("type")
    for name, expected in decoded.items():
        got = _field(message, name)
        assert got == (expected if name != "command" else got.__class__(expected)), name
    assert encode(message) == raw


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["name"])
def test_vector_cut_short_is_refused(vector: dict[str, Any]) -> None:
    """Cut at any byte, the length field disagrees: DecodeError from both decoders, nothing else."""
    raw = bytes.fromhex(vector["hex"])
    for cut in range(len(raw)):
        for decode in DECODERS.values():
            with pytest.raises(DecodeError):
                decode(raw[:cut])


def test_sources_are_named() -> None:
    """Each vector says where its bytes come from, and whether they were captured or built."""
    for vector in VECTORS:
        assert vector["source"], vector["name"]
        assert vector["kind"] in {"capture", "built"}, vector["name"]
    assert sum(v["kind"] == "capture" for v in VECTORS) >= 9


def test_learned_code_is_emitted_as_learned() -> None:
    """The code of a captured `ls` frame goes into an `ic` byte for byte (GD-js, AO: frame bytes 26 on)."""
    raw = allone_vector("ls learned IR code, 152 bytes")
    learned = decode_from_device(raw)
    assert isinstance(learned, LearnedCode)
    assert learned.code == raw[26:]
    emit = encode(EmitRequest(mac=learned.mac, code=learned.code, request_id=7))
    assert emit[26:] == learned.code
    assert emit[24:26] == len(learned.code).to_bytes(2, "little")
    assert emit[18:22] == bytes.fromhex("65000000")


def test_the_ack_of_an_emit_carries_its_id() -> None:
    """The id at bytes 22–23 of the request is the one at 23–24 of the ack (TV's ack: 5a 6a)."""
    ack = decode_from_device(allone_vector("ic emit ack (cloud connected)"))
    request = decode_from_client(allone_vector("ic emit request carrying the 152-byte learned code"))
    assert isinstance(ack, EmitAck) and isinstance(request, EmitRequest)
    assert ack.request_id == request.request_id == 0x6A5A


def test_learning_ack_and_learned_code_share_an_id() -> None:
    """`ls` of 24 bytes is the ack; longer, it carries a code whose length field must match."""
    assert isinstance(decode_from_device(allone_vector("ls learning mode ack")), LearnAck)
    raw = bytearray(allone_vector("ls learned IR code, 152 bytes"))
    raw[24] += 1  # the code's length field one more than the bytes that follow
    with pytest.raises(DecodeError, match="code length field"):
        decode_from_device(bytes(raw))


def test_a_socket_dc_and_an_rf_dc_differ_by_length() -> None:
    """23 bytes: a socket's power request; 28 and more: RF; in between: refused."""
    mac = Mac.parse("ac:cf:23:72:e1:50")
    power = encode(PowerRequest(mac=mac, state=PowerState.ON))
    assert isinstance(decode_from_client(power), PowerRequest)
    rf = encode(RfRequest(mac=mac, state=PowerState.OFF, rf_id=b"\x01"))
    assert len(rf) == 28
    assert isinstance(decode_from_client(rf), RfRequest)
    assert isinstance(decode_from_device(rf), RfAck)
    for length in range(24, 28):
        datagram = rf[:2] + length.to_bytes(2, "big") + rf[4:length]
        with pytest.raises(DecodeError):
            decode_from_client(datagram)
        with pytest.raises(DecodeError):
            decode_from_device(datagram)


def test_rf_state_byte_is_checked() -> None:
    """The RF state byte is 00 or 01, as a socket's relay state."""
    raw = bytearray(allone_vector("dc RF request for a T030 switch (key 2a00, id abcdef, on)"))
    raw[24] = 2
    with pytest.raises(DecodeError, match="RF state"):
        decode_from_client(bytes(raw))


def test_button_press_keeps_what_follows_the_mac() -> None:
    """No source gives a `di` frame's bytes: any tail is read and kept, so nothing is lost."""
    mac = Mac.parse("ac:cf:23:72:e1:50")
    for tail in (b"", b"\x01", bytes(10)):
        message = decode_from_device(encode(ButtonPress(mac=mac, tail=tail)))
        assert message == ButtonPress(mac=mac, tail=tail)


def test_controller_frames_are_not_device_frames() -> None:
    """A controller never sends `di`; an AllOne never sends a 24-byte `ls` request... it is its ack."""
    with pytest.raises(DecodeError):
        decode_from_client(allone_vector("di button press"))
    with pytest.raises(DecodeError):
        decode_from_client(allone_vector("ic emit ack (cloud connected)"))
    with pytest.raises(DecodeError):
        decode_from_client(allone_vector("ls learned IR code, 152 bytes"))
    assert isinstance(decode_from_client(allone_vector("ls learning mode ack")), LearnRequest)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (EmitRequest(mac=Mac(bytes(6)), code=b"", request_id=1), "empty code"),
        (EmitRequest(mac=Mac(bytes(6)), code=bytes(MAX_CODE_LENGTH + 1), request_id=1), "longer than"),
        (EmitRequest(mac=Mac(bytes(6)), code=b"\x01", request_id=0x10000), "request id"),
        (RfRequest(mac=Mac(bytes(6)), state=PowerState.ON, rf_id=b""), "RF id"),
        (RfRequest(mac=Mac(bytes(6)), state=PowerState.ON, rf_id=b"\x01", rf_key=-1), "RF key"),
        (LearnRequest(mac=Mac(bytes(6)), body=b"\x01"), "ls body"),
    ],
)
def test_encode_refuses_what_the_allone_cannot_take(message: object, error: str) -> None:
    """Bad codes, ids and keys are refused before anything is sent."""
    with pytest.raises(EncodeError, match=error):
        encode(message)  # type: ignore[arg-type]  # every case is a message; the union is too wide to spell


def test_the_longest_code_fits_its_frame() -> None:
    """A code of MAX_CODE_LENGTH bytes makes a frame of exactly 65535 bytes, which decodes."""
    message = EmitRequest(mac=Mac(bytes(6)), code=bytes(MAX_CODE_LENGTH), request_id=3)
    raw = encode(message)
    assert len(raw) == 0xFFFF
    assert decode_from_client(raw) == message


def test_discovery_reply_names_the_family() -> None:
    """The captured AllOne reply has no state byte and an IRD product id."""
    reply = decode_from_device(allone_vector("qa reply AllOne IRD013 (41 bytes, no state)"))
    assert isinstance(reply, DiscoveryReply)
    assert reply.state is None
    assert family_of(reply.product_id) is DeviceFamily.ALLONE
