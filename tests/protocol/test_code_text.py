"""A learned IR code as text: what `remote.learn_command` stores and `remote.send_command` takes.

The text is standard base64, optionally after `b64:` (the raw-code form SmartIR and Broadlink
users already have). The code is the 152-byte one the AllOne sent in the captured `ls` frame.
"""

from __future__ import annotations

import base64

import pytest

from custom_components.orvibo_s20.protocol import (
    EncodeError,
    LearnedCode,
    code_from_text,
    code_to_text,
    decode_from_device,
)
from custom_components.orvibo_s20.protocol.allone import MAX_CODE_LENGTH

from .test_allone_codec import allone_vector


@pytest.fixture
def code() -> bytes:
    """The 152-byte code of the captured learned-code frame."""
    message = decode_from_device(allone_vector("ls learned IR code, 152 bytes"))
    assert isinstance(message, LearnedCode) and len(message.code) == 152
    return message.code


def test_a_code_is_written_as_standard_base64(code: bytes) -> None:
    text = code_to_text(code)
    assert text == base64.b64encode(code).decode("ascii") and text.isascii()
    assert code_to_text(b"\x00\x01\x02\xfb\xff") == "AAEC+/8="  # standard alphabet, padded


@pytest.mark.parametrize(
    "written",
    [
        "{text}",
        "b64:{text}",
        "B64:{text}",  # the prefix in any case
        "  b64:{text}\n",  # pasted with the whitespace around it
    ],
)
def test_a_code_reads_back_as_it_was_written(code: bytes, written: str) -> None:
    assert code_from_text(written.format(text=code_to_text(code))) == code


@pytest.mark.parametrize(
    "text",
    [
        "b64:AAEC-_8",  # the URL-safe alphabet is not the one written
        "AAEC +/8=",  # a space inside
        "b64:b64:AAEC",  # the prefix once only
        "AAE",  # cut short: bad padding
    ],
)
def test_text_that_is_not_base64_is_refused_and_says_so(text: str) -> None:
    with pytest.raises(EncodeError, match=r"^a code is base64 \(optionally after 'b64:'\): "):
        code_from_text(text)


def test_an_empty_code_is_refused_before_anything_is_sent() -> None:
    for text in ("", "b64:", "  "):
        with pytest.raises(EncodeError, match="^an empty code cannot be emitted$"):
            code_from_text(text)


def test_the_longest_code_a_frame_can_carry_is_read_and_one_byte_more_is_refused() -> None:
    longest = bytes(range(256)) * (MAX_CODE_LENGTH // 256) + bytes(MAX_CODE_LENGTH % 256)
    assert code_from_text(code_to_text(longest)) == longest
    with pytest.raises(EncodeError, match=f"^a code of {MAX_CODE_LENGTH + 1} bytes is longer than {MAX_CODE_LENGTH}$"):
        code_from_text(code_to_text(longest + b"\x00"))
