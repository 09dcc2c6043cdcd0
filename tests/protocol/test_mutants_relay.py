"""The relay's envelope codec where surviving mutants of protocol/relay.py showed it untested.

Real bytes: the captured frames of vectors.json, and a timer table built from the captured
records. Each test names the mutants it kills.
"""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path

import pytest

from custom_components.orvibo_s20.protocol import TimersReply, decode_from_device, encode
from custom_components.orvibo_s20.protocol.relay import Envelope, decode_envelope, encode_envelope

VECTORS = {v["name"]: v for v in json.loads((Path(__file__).parent / "vectors.json").read_text())}
TWO_TIMERS = bytes.fromhex(VECTORS["rt table 3 reply with two timers"]["hex"])
SOCKET = "192.168.1.42"


def test_a_timer_table_longer_than_255_bytes_crosses_the_relay() -> None:
    """A socket holds up to 48 timers (const.MAX_TIMERS); from 8 on, its table-3 reply is longer
    than 255 bytes and the length field's high byte is no longer zero. The envelope must read
    both bytes, or a CLI listing those timers through the relay never gets the reply.

    Kills decode_envelope 22 (the length read from byte 3 alone).
    """
    captured = decode_from_device(TWO_TIMERS)
    assert isinstance(captured, TimersReply)
    timers = tuple(replace(captured.timers[i % 2], code=i + 1) for i in range(9))  # the captured records
    frame = encode(replace(captured, timers=timers))
    assert len(frame) == 28 + 9 * 30 and frame[2:4] == len(frame).to_bytes(2, "big")
    assert decode_from_device(frame) == replace(captured, timers=timers)  # a frame the socket could send
    assert decode_envelope(encode_envelope(SOCKET, frame)) == Envelope(SOCKET, frame)


@pytest.mark.parametrize(
    ("host", "datagram", "message"),
    [
        ("0.0.0.0", TWO_TIMERS, "0.0.0.0 is the hello's address, not a socket's"),
        (SOCKET, b"", "an envelope carries a datagram"),
    ],
    ids=["hello-address", "empty"],
)
def test_what_cannot_be_wrapped_is_refused_saying_why(host: str, datagram: bytes, message: str) -> None:
    """The ValueError reaches the caller uncaught (RelayedEndpoint.send_datagram lets it through):
    its text is the only explanation the caller gets.

    Kills encode_envelope 5 and 9 (the texts changed).
    """
    with pytest.raises(ValueError) as caught:
        encode_envelope(host, datagram)
    assert str(caught.value) == message
