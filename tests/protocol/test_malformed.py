"""Malformed input: each decoder refuses exactly what the spec refuses, with DecodeError only.

The endpoint catches `DecodeError` and nothing else (STYLE.md §4), so any other exception on a
stray or spoofed datagram would kill its receive path. Every input here is built from the
captured frames (cut short, one byte changed, a wrong length field, bytes appended) or is random.
The expected outcome comes from `spec_frames`, PROTOCOL.md's rules written out apart from the
codec: where they refuse a datagram (wrong magic or length field, a length the message does not
have, a state byte that is neither 00 nor 01, records that do not fill an `rt` reply...), the
decoder must raise DecodeError; where they allow it, the decoder must read it, and what it reads
must survive encode → decode unchanged. No test here accepts either outcome: the rules decide
every datagram, bytes the spec leaves open included (see `spec_frames`).
"""

from __future__ import annotations

from collections.abc import Callable
import importlib
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
from .spec_frames import HEADER, RULES, Side, spec_accepts
from .test_allone_codec import VECTORS as ALLONE_VECTORS

FRAME_VECTORS = frame_vectors()
ALLONE_FRAMES = [bytes.fromhex(vector["hex"]) for vector in ALLONE_VECTORS]
FRAMES = [bytes.fromhex(vector["hex"]) for vector in FRAME_VECTORS] + ALLONE_FRAMES
DECODERS: dict[Side, Callable[[bytes], Any]] = {Side.SOCKET: decode_from_device, Side.CONTROLLER: decode_from_client}

# Derandomized, no database, no deadline: the suite's Hypothesis profile (tests/conftest.py).
SETTINGS = settings(max_examples=500)

_frames = st.sampled_from(FRAMES)
_command_ids = st.one_of(
    st.sampled_from([command.value.encode("ascii") for command in Command] + [b"dl", b"gt"]),
    st.binary(min_size=2, max_size=2),
)
# Payload sizes at and next to every length the spec gives, where a missing length check shows.
_SPEC_PAYLOADS = sorted({length - HEADER + d for rule in RULES.values() for length in rule.lengths for d in (-1, 0, 1)})
_payloads = st.one_of(
    st.binary(max_size=250),
    st.sampled_from([size for size in _SPEC_PAYLOADS if size >= 0]).flatmap(
        lambda size: st.binary(min_size=size, max_size=size)
    ),
)


def _with_length(datagram: bytes) -> bytes:
    """Set the big-endian length field to the datagram's real length."""
    return datagram[:2] + len(datagram).to_bytes(2, "big") + datagram[4:]


def _assert_spec_outcome(datagram: bytes) -> None:
    """Run both decoders: refused where the spec refuses, read (and re-encoded intact) where it allows."""
    for side, decode in DECODERS.items():
        if not spec_accepts(datagram, side):
            with pytest.raises(DecodeError):
                decode(datagram)
            continue
        message = decode(datagram)
        again = encode(message)
        assert decode(again) == message
        assert encode(decode(again)) == again


@pytest.mark.parametrize("vector", FRAME_VECTORS, ids=vector_id)
def test_spec_rules_agree_on_every_vector(vector: dict[str, Any]) -> None:
    """The rules read every captured frame as the codec tests do: from its sender's side, or not at all (cloud)."""
    _assert_spec_outcome(bytes.fromhex(vector["hex"]))


@pytest.mark.parametrize("vector", FRAME_VECTORS, ids=vector_id)
def test_truncated_frame_rejected(vector: dict[str, Any]) -> None:
    """A frame cut short at any byte no longer matches its length field: DecodeError."""
    raw = bytes.fromhex(vector["hex"])
    for cut in range(len(raw)):
        for decode in DECODERS.values():
            with pytest.raises(DecodeError):
                decode(raw[:cut])


@pytest.mark.parametrize("vector", FRAME_VECTORS, ids=vector_id)
def test_truncated_frame_with_fixed_length(vector: dict[str, Any]) -> None:
    """Cut short with a matching length field: refused by the message's own checks, unless the spec allows the cut.

    Cuts the spec allows: an S20 discovery reply without its state byte is an AllOne's, a cloud
    `cl` without its tail is a LAN one, an `rt` reply cut after a record, any `tm` cut after its op.
    """
    raw = bytes.fromhex(vector["hex"])
    for cut in range(4, len(raw)):
        _assert_spec_outcome(_with_length(raw[:cut]))


@pytest.mark.parametrize("frame", ALLONE_FRAMES, ids=lambda frame: frame[:30].hex())
def test_allone_frame_cut_with_fixed_length(frame: bytes) -> None:
    """An AllOne frame cut short with a matching length field: the rules decide (a code's length field refuses most)."""
    for cut in range(4, len(frame)):
        _assert_spec_outcome(_with_length(frame[:cut]))


@SETTINGS
@given(datagram=st.binary(max_size=300))
def test_random_bytes(datagram: bytes) -> None:
    """Arbitrary datagrams: almost all refused for their magic or length field; the rules decide each."""
    _assert_spec_outcome(datagram)


@SETTINGS
@given(command=_command_ids, payload=_payloads)
def test_random_payload_behind_valid_header(command: bytes, payload: bytes) -> None:
    """A correct magic and length and a (mostly) known command id, then anything, often at or next to a spec length."""
    _assert_spec_outcome(_with_length(MAGIC + b"\x00\x00" + command + payload))


@SETTINGS
@given(frame=_frames, data=st.data())
def test_single_byte_mutation(frame: bytes, data: st.DataObject) -> None:
    """Any one byte of a captured frame replaced by any value: magic, length field, command id or payload."""
    index = data.draw(st.integers(0, len(frame) - 1), label="index")
    value = data.draw(st.integers(0, 0xFF), label="value")
    _assert_spec_outcome(frame[:index] + bytes((value,)) + frame[index + 1 :])


@SETTINGS
@given(frame=_frames, length=st.integers(0, 0xFFFF))
def test_length_field_mutation(frame: bytes, length: int) -> None:
    """A length field that does not count the datagram is always rejected."""
    datagram = frame[:2] + length.to_bytes(2, "big") + frame[4:]
    if length == len(frame):
        _assert_spec_outcome(datagram)
        return
    for decode in DECODERS.values():
        with pytest.raises(DecodeError):
            decode(datagram)


@SETTINGS
@given(frame=_frames, tail=st.binary(min_size=1, max_size=64))
def test_appended_bytes(frame: bytes, tail: bytes) -> None:
    """Extra bytes after a captured frame, the length field counting them: trailing bytes are refused.

    Except where they complete another valid frame: MAC PAD after a 6-byte `qa` request, a state
    byte after an AllOne's reply, whole records after an `rt` reply, anything after a `tm` op.
    """
    _assert_spec_outcome(_with_length(frame + tail))


@SETTINGS
@given(frame=_frames, data=st.data())
def test_payload_mutations(frame: bytes, data: st.DataObject) -> None:
    """Several payload bytes of a captured frame replaced at once (header kept valid)."""
    payload = bytearray(frame[6:])
    if payload:
        for _ in range(data.draw(st.integers(1, 8), label="count")):
            index = data.draw(st.integers(0, len(payload) - 1), label="index")
            payload[index] = data.draw(st.integers(0, 0xFF), label="value")
    _assert_spec_outcome(frame[:6] + bytes(payload))


# --- reproducible fuzzing -------------------------------------------------------------------


@pytest.mark.parametrize("module", ["test_clock", "test_malformed", "test_tables"])
def test_fuzzing_is_reproducible(module: str) -> None:
    """Every Hypothesis test of the codec keeps the suite's profile: derandomized, no example database."""
    found = [
        test for test in vars(importlib.import_module(f"tests.protocol.{module}")).values()
        if getattr(test, "is_hypothesis_test", False)
    ]
    assert found
    for test in found:
        used = test._hypothesis_internal_use_settings  # the settings @given runs the test with
        assert used.derandomize, test.__name__
        assert used.database is None, test.__name__
