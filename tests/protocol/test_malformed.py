"""Malformed input: both decoders return a message or raise DecodeError, never anything else.

The endpoint catches `DecodeError` and nothing else (STYLE.md §4), so any other exception on a
stray or spoofed datagram would kill its receive path. Every input here is built from the
captured frames (cut short, one byte changed, a wrong length field, bytes appended) or is random.
Whatever decodes must re-encode to a datagram that decodes to an equal message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.orvibo_s20.protocol import (
    Command,
    DecodeError,
    decode_from_client,
    decode_from_device,
    encode,
)
from custom_components.orvibo_s20.protocol.const import MAGIC

from . import frame_vectors, vector_id

FRAME_VECTORS = frame_vectors()
FRAMES = [bytes.fromhex(vector["hex"]) for vector in FRAME_VECTORS]
DECODERS: list[Callable[[bytes], Any]] = [decode_from_device, decode_from_client]

SETTINGS = settings(deadline=None, database=None, max_examples=500)

_frames = st.sampled_from(FRAMES)
_command_ids = st.one_of(
    st.sampled_from([command.value.encode("ascii") for command in Command] + [b"dl", b"gt"]),
    st.binary(min_size=2, max_size=2),
)


def _with_length(datagram: bytes) -> bytes:
    """Set the big-endian length field to the datagram's real length."""
    return datagram[:2] + len(datagram).to_bytes(2, "big") + datagram[4:]


def _decode_or_reject(datagram: bytes) -> None:
    """Run both decoders; whatever decodes must survive encode → decode unchanged."""
    for decode in DECODERS:
        try:
            message = decode(datagram)
        except DecodeError:
            continue
        again = encode(message)
        assert decode(again) == message
        assert encode(decode(again)) == again


@pytest.mark.parametrize("vector", FRAME_VECTORS, ids=vector_id)
def test_truncated_frame_rejected(vector: dict[str, Any]) -> None:
    """A frame cut short at any byte no longer matches its length field: DecodeError."""
    raw = bytes.fromhex(vector["hex"])
    for cut in range(len(raw)):
        for decode in DECODERS:
            with pytest.raises(DecodeError):
                decode(raw[:cut])


@pytest.mark.parametrize("vector", FRAME_VECTORS, ids=vector_id)
def test_truncated_frame_with_fixed_length(vector: dict[str, Any]) -> None:
    """Cut short with a matching length field, the payload parsers must cope on their own."""
    raw = bytes.fromhex(vector["hex"])
    for cut in range(4, len(raw)):
        _decode_or_reject(_with_length(raw[:cut]))


@SETTINGS
@given(datagram=st.binary(max_size=300))
def test_random_bytes(datagram: bytes) -> None:
    """Arbitrary datagrams."""
    _decode_or_reject(datagram)


@SETTINGS
@given(command=_command_ids, payload=st.binary(max_size=250))
def test_random_payload_behind_valid_header(command: bytes, payload: bytes) -> None:
    """A correct magic and length and a (mostly) known command id, then anything."""
    _decode_or_reject(_with_length(MAGIC + b"\x00\x00" + command + payload))


@SETTINGS
@given(frame=_frames, data=st.data())
def test_single_byte_mutation(frame: bytes, data: st.DataObject) -> None:
    """Any one byte of a captured frame replaced by any value."""
    index = data.draw(st.integers(0, len(frame) - 1), label="index")
    value = data.draw(st.integers(0, 0xFF), label="value")
    _decode_or_reject(frame[:index] + bytes((value,)) + frame[index + 1 :])


@SETTINGS
@given(frame=_frames, length=st.integers(0, 0xFFFF))
def test_length_field_mutation(frame: bytes, length: int) -> None:
    """A length field that does not count the datagram is always rejected."""
    datagram = frame[:2] + length.to_bytes(2, "big") + frame[4:]
    if length == len(frame):
        _decode_or_reject(datagram)
        return
    for decode in DECODERS:
        with pytest.raises(DecodeError):
            decode(datagram)


@SETTINGS
@given(frame=_frames, tail=st.binary(min_size=1, max_size=64))
def test_appended_bytes(frame: bytes, tail: bytes) -> None:
    """Extra bytes after a captured frame, with the length field counting them."""
    _decode_or_reject(_with_length(frame + tail))


@SETTINGS
@given(frame=_frames, data=st.data())
def test_payload_mutations(frame: bytes, data: st.DataObject) -> None:
    """Several payload bytes of a captured frame replaced at once (header kept valid)."""
    payload = bytearray(frame[6:])
    if payload:
        for _ in range(data.draw(st.integers(1, 8), label="count")):
            index = data.draw(st.integers(0, len(payload) - 1), label="index")
            payload[index] = data.draw(st.integers(0, 0xFF), label="value")
    _decode_or_reject(frame[:6] + bytes(payload))
