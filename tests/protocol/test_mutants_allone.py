"""The AllOne's codec where surviving mutants of protocol/allone.py showed it untested (docs/mutation.md).

Real bytes: captured frames of allone_vectors.json with one field changed, or frames built by
docs/ALLONE.md's "Frames" layout. Every field is kept as read: the simulated AllOne answers with
what it decoded (an RF answer is the request's fields, the session included) and `orvibo decode`
prints the fields, so a field read as its default changes the bytes on the wire and what the
user is shown. Refusals say what is wrong: an EncodeError reaches the caller (the CLI prints it),
a DecodeError the debug log and `orvibo decode`'s output. Each test names the mutants it kills
(function + mutant number).
"""

from __future__ import annotations

from collections.abc import Callable
import re

import pytest

from custom_components.orvibo_s20.protocol import (
    DecodeError,
    DeviceMessage,
    EmitAck,
    EmitRequest,
    EncodeError,
    LearnAck,
    LearnedCode,
    LearnRequest,
    Mac,
    PowerState,
    RfAck,
    RfRequest,
    decode_from_client,
    decode_from_device,
    encode,
)
from custom_components.orvibo_s20.protocol.messages import ClientMessage

from .test_allone_codec import allone_vector

MAC = Mac.parse("ac:cf:23:72:e1:50")
HEAD = MAC.raw + b" " * 6  # MAC PAD, offsets 6–17
CLOUD = b"\x01\x00\x00\x00"  # the session of an AllOne logged in to the vendor cloud (docs/ALLONE.md)
RF_ID = bytes.fromhex("abcdef")


def _frame(command: bytes, payload: bytes) -> bytes:
    """A datagram: magic, big-endian length, command, then MAC PAD and the rest."""
    return b"hd" + (6 + len(payload)).to_bytes(2, "big") + command + payload


def _patched(frame: bytes, offset: int, new: bytes) -> bytes:
    """A captured frame with the bytes at offset replaced (the length unchanged)."""
    return frame[:offset] + new + frame[offset + len(new) :]


# (name, sender's decoder, frame, the message it holds). Each frame has a value in the field
# named that differs from the field's default, or sits at the edge of its range.
KEPT: list[tuple[str, Callable[[bytes], object], bytes, ClientMessage | DeviceMessage]] = [
    # decode_allone_from_device 14: the ls ack's reserved bytes read as their default 00 00.
    ("ls ack reserved", decode_from_device, _patched(allone_vector("ls learning mode ack (cloud connected)"), 22, b"\x07\x08"),
     LearnAck(mac=MAC, session=CLOUD, reserved=b"\x07\x08")),
    # decode_allone_from_device 25: the learned code's marker read as its default 00 02.
    ("ls learned marker", decode_from_device, _frame(b"ls", HEAD + CLOUD + b"\x00\x03" + b"\x03\x00" + b"\x11\x22\x33"),
     LearnedCode(mac=MAC, session=CLOUD, marker=b"\x00\x03", code=b"\x11\x22\x33")),
    # _code_at 1 and 3: a one-byte code (26 + 1 bytes) refused as too short.
    ("ls learned one byte", decode_from_device, _frame(b"ls", HEAD + CLOUD + b"\x00\x02" + b"\x01\x00" + b"\x5a"),
     LearnedCode(mac=MAC, session=CLOUD, code=b"\x5a")),
    ("ic one byte", decode_from_client, _frame(b"ic", HEAD + b"\x65\x00\x00\x00" + b"\x5a\x6a" + b"\x01\x00" + b"\x5a"),
     EmitRequest(mac=MAC, code=b"\x5a", request_id=0x6A5A)),
    # decode_allone_from_device 56: the ack's status read as its default 0.
    ("ic ack status", decode_from_device, _patched(allone_vector("ic emit ack (cloud connected)"), 22, b"\x7f"),
     EmitAck(mac=MAC, session=CLOUD, status=0x7F, request_id=0x6A5A)),
    # encode_allone 121: status 255, the top of its byte, refused on the way back.
    ("ic ack status 255", decode_from_device, _patched(allone_vector("ic emit ack (cloud connected)"), 22, b"\xff"),
     EmitAck(mac=MAC, session=CLOUD, status=0xFF, request_id=0x6A5A)),
    # _u16 4: id 65535, which the client draws (randint(1, 0xFFFF)), refused on the way back.
    ("ic ack id 65535", decode_from_device, _patched(allone_vector("ic emit ack (cloud connected)"), 23, b"\xff\xff"),
     EmitAck(mac=MAC, session=CLOUD, request_id=0xFFFF)),
    ("ic id 65535", decode_from_client, _patched(allone_vector("ic emit request carrying the 152-byte learned code"), 22, b"\xff\xff"),
     EmitRequest(mac=MAC, code=allone_vector("ls learned IR code, 152 bytes")[26:], request_id=0xFFFF)),
    # decode_allone_from_client 36: the emit flags read as their default 65 00 00 00.
    ("ic flags", decode_from_client, _patched(allone_vector("ic emit request carrying the 152-byte learned code"), 18, b"\x66\x01"),
     EmitRequest(mac=MAC, flags=b"\x66\x01\x00\x00", code=allone_vector("ls learned IR code, 152 bytes")[26:], request_id=0x6A5A)),
    # decode_allone_from_client 13: the ls request's body read as the usual 01 00 00 00 00 00.
    ("ls request body", decode_from_client, _patched(allone_vector("ls enter learning mode request"), 18, b"\x02\x00\x00\x00\x00\x07"),
     LearnRequest(mac=Mac.parse("ff:aa:bb:cc:dd:ee"), body=b"\x02\x00\x00\x00\x00\x07")),
    # decode_allone_from_device 75 and 78: the RF answer's session and key read as their defaults
    # (zero, 42); _rf_fields 23: a key from 0x8000 up read signed (-1 here), which the CLI's
    # `rf send --key 65535` sends; _u16 4: key 65535 refused on the way back.
    ("dc RF answer session and key", decode_from_device,
     _frame(b"dc", HEAD + CLOUD + b"\x34\x12" + b"\x00" + b"\xff\xff" + RF_ID),
     RfAck(mac=MAC, session=CLOUD, request_id=0x1234, state=PowerState.OFF, rf_key=0xFFFF, rf_id=RF_ID)),
    # decode_allone_from_client 55: the RF request's session read as zero (the AllOne echoes it).
    ("dc RF request session", decode_from_client, _patched(allone_vector("dc RF request for a T030 switch (key 2a00, id abcdef, on)"), 18, CLOUD),
     RfRequest(mac=MAC, session=CLOUD, request_id=0x1234, state=PowerState.ON, rf_key=42, rf_id=RF_ID)),
    ("dc RF request key 32768", decode_from_client, _frame(b"dc", HEAD + bytes(4) + b"\x01\x00" + b"\x01" + b"\x00\x80" + RF_ID),
     RfRequest(mac=MAC, request_id=1, state=PowerState.ON, rf_key=0x8000, rf_id=RF_ID)),
]


@pytest.mark.parametrize(("name", "decode", "frame", "message"), KEPT, ids=[k[0] for k in KEPT])
def test_every_field_is_kept_as_read_and_written_back(
    name: str, decode: Callable[[bytes], object], frame: bytes, message: ClientMessage | DeviceMessage
) -> None:
    """Decoded field by field, and encoded back to the same bytes."""
    assert decode(frame) == message
    assert encode(message) == frame


# Each refusal, and what it says.
ENCODE_REFUSALS: list[tuple[str, Callable[[], object], str]] = [
    # _frame 7: an RF id that cannot fit the 16-bit length field (27 + n bytes).
    ("RF frame too long", lambda: encode(RfRequest(mac=MAC, state=PowerState.ON, rf_id=bytes(0xFFFF - 26))),
     "a frame of 65536 bytes does not fit the length field"),
    # _rf_body 3.
    ("RF id empty", lambda: encode(RfRequest(mac=MAC, state=PowerState.ON, rf_id=b"")), "an RF id has at least one byte"),
    # _rf_body 12, 17, 18.
    ("RF session", lambda: encode(RfRequest(mac=MAC, state=PowerState.ON, rf_id=RF_ID, session=b"\x01")),
     "a session is 4 bytes, not 1"),
    ("RF answer session", lambda: encode(RfAck(mac=MAC, state=PowerState.ON, rf_id=RF_ID, session=bytes(5))),
     "a session is 4 bytes, not 5"),
    # _rf_body 20, 23, 24.
    ("RF request id", lambda: encode(RfRequest(mac=MAC, state=PowerState.ON, rf_id=RF_ID, request_id=0x10000)),
     "request id 65536 does not fit in 16 bits"),
    # _rf_body 30.
    ("RF key", lambda: encode(RfRequest(mac=MAC, state=PowerState.ON, rf_id=RF_ID, rf_key=0x10000)),
     "RF key 65536 does not fit in 16 bits"),
    # encode_allone 22.
    ("ls body", lambda: encode(LearnRequest(mac=MAC, body=b"\x01")), "the ls body is 6 bytes, not 1"),
    # encode_allone 29, 34, 35.
    ("ic flags", lambda: encode(EmitRequest(mac=MAC, code=b"\x01", request_id=1, flags=b"\x65")),
     "the ic flags is 4 bytes, not 1"),
    # encode_allone 40.
    ("ic request id", lambda: encode(EmitRequest(mac=MAC, code=b"\x01", request_id=-1)),
     "request id -1 does not fit in 16 bits"),
    # encode_allone 74, 79, 80.
    ("ls ack session", lambda: encode(LearnAck(mac=MAC, session=bytes(3))), "a session is 4 bytes, not 3"),
    # encode_allone 83, 88, 89.
    ("ls ack reserved", lambda: encode(LearnAck(mac=MAC, reserved=bytes(3))), "ls reserved is 2 bytes, not 3"),
    # encode_allone 95, 100, 101.
    ("ls code session", lambda: encode(LearnedCode(mac=MAC, code=b"\x01", session=b"")), "a session is 4 bytes, not 0"),
    # encode_allone 104, 109, 110.
    ("ls code marker", lambda: encode(LearnedCode(mac=MAC, code=b"\x01", marker=b"\x02")),
     "the ls marker is 2 bytes, not 1"),
    # encode_allone 122 (256 let through reaches bytes(), whose ValueError names no field).
    ("ic ack status", lambda: encode(EmitAck(mac=MAC, request_id=1, status=256)), "status 256 does not fit in a byte"),
    ("ic ack status negative", lambda: encode(EmitAck(mac=MAC, request_id=1, status=-1)), "status -1 does not fit in a byte"),
    # encode_allone 138, 141, 142.
    ("ic ack request id", lambda: encode(EmitAck(mac=MAC, request_id=0x10000)), "request id 65536 does not fit in 16 bits"),
]


@pytest.mark.parametrize(("name", "call", "message"), ENCODE_REFUSALS, ids=[r[0] for r in ENCODE_REFUSALS])
def test_an_encode_refusal_names_the_field_at_fault(name: str, call: Callable[[], object], message: str) -> None:
    with pytest.raises(EncodeError) as refused:
        call()
    assert str(refused.value) == message


DECODE_REFUSALS: list[tuple[str, Callable[[], object], str]] = [
    # _mac 2: an ls of 17 bytes, cut inside MAC PAD.
    ("no MAC", lambda: decode_from_device(_frame(b"ls", HEAD[:11])), "frame of 17 bytes has no MAC"),
    # _code_at 2, 4, 5: an ic whose code length field is cut (the mutant 2 reads past the end).
    ("ic code cut", lambda: decode_from_client(_frame(b"ic", HEAD + b"\x65\x00\x00\x00\x01\x00\x01")),
     "frame of 25 bytes is too short for a code"),
    ("ls code cut", lambda: decode_from_device(_frame(b"ls", HEAD + bytes(4) + b"\x00\x02\x01\x00")),
     "frame of 26 bytes is too short for a code"),
    # decode_allone_from_client 18: an ic cut before its id is too short for a code, not a struct error.
    ("ic without an id", lambda: decode_from_client(_frame(b"ic", HEAD + b"\x65\x00\x00\x00\x01")),
     "frame of 23 bytes is too short for a code"),
    # _rf_fields 3, 4.
    ("dc between socket and RF", lambda: decode_from_device(_frame(b"dc", HEAD + bytes(6))),
     "dc of 24 bytes: neither a socket's (23) nor an RF one (≥ 28)"),
    ("dc request between socket and RF", lambda: decode_from_client(_frame(b"dc", HEAD + bytes(9))),
     "dc of 27 bytes: neither a socket's (23) nor an RF one (≥ 28)"),
    # decode_allone_from_device 38, 39.
    ("ic ack length", lambda: decode_from_device(_frame(b"ic", HEAD + bytes(6))), "ic reply of 24 bytes, expected 25"),
    # decode_allone_from_client 8, 9.
    ("ls request length", lambda: decode_from_client(_frame(b"ls", HEAD + bytes(7))), "ls request of 25 bytes, expected 24"),
]


@pytest.mark.parametrize(("name", "call", "message"), DECODE_REFUSALS, ids=[r[0] for r in DECODE_REFUSALS])
def test_a_decode_refusal_says_what_is_wrong(name: str, call: Callable[[], object], message: str) -> None:
    with pytest.raises(DecodeError, match=f"^{re.escape(message)}$"):
        call()
