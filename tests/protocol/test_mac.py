"""The `Mac` type against a captured announcement: the forms people type, and what it refuses.

The captured `qa` announcement carries the socket's MAC twice: in wire order and reversed
(the protocol's `rMAC`). A MAC reaches `Mac.parse` from a user (the CLI's TARGET, the config
flow's MAC field, the Wi-Fi module's compact form) and `Mac(raw)` from the codec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.orvibo_s20.protocol import DiscoveryReply, EncodeError, Mac, decode_from_device

VECTORS: list[dict[str, Any]] = json.loads((Path(__file__).parent / "vectors.json").read_text())
ANNOUNCEMENT = next(v for v in VECTORS if v["name"] == "qa unsolicited announcement after boot")
DATAGRAM = bytes.fromhex(ANNOUNCEMENT["hex"])
MAC_TEXT = ANNOUNCEMENT["decoded"]["mac"]  # ac:cf:23:35:e6:aa


def test_captured_mac_in_both_orders() -> None:
    reply = decode_from_device(DATAGRAM)
    assert isinstance(reply, DiscoveryReply)
    mac = Mac.parse(MAC_TEXT)
    assert reply.mac == mac and str(mac) == MAC_TEXT
    assert mac.raw in DATAGRAM and mac.reversed() in DATAGRAM
    assert str(Mac(mac.reversed())) == ANNOUNCEMENT["decoded"]["mac_reversed"]
    assert mac.compact == "ACCF2335E6AA"
    assert repr(mac) == f"Mac('{MAC_TEXT}')"


@pytest.mark.parametrize(
    "text",
    ["ac:cf:23:35:e6:aa", "AC:CF:23:35:E6:AA", "ACCF2335E6AA", "ac-cf-23-35-e6-aa", "accf.2335.e6aa", "ac cf 23 35 e6 aa"],
)
def test_the_forms_people_type(text: str) -> None:
    assert Mac.is_mac(text)
    assert Mac.parse(text) == Mac.parse(MAC_TEXT)


@pytest.mark.parametrize(
    "text",
    [
        "ac:cf:23",  # too short
        "ac:cf:23:35:e6:aa:01",  # too long
        "ac:cf:23:35:e6:zz",  # twelve characters, not hex
        "ACCF2335E6AG",
        "",
    ],
)
def test_what_is_not_a_mac(text: str) -> None:
    assert not Mac.is_mac(text)
    with pytest.raises(EncodeError, match="not a MAC address"):
        Mac.parse(text)


@pytest.mark.parametrize("length", [0, 5, 7, 12])
def test_a_mac_is_six_bytes(length: int) -> None:
    """What the codec hands over is six bytes, or refused (a truncated datagram is not a MAC)."""
    with pytest.raises(EncodeError, match=f"a MAC has 6 bytes, got {length}"):
        Mac(DATAGRAM[7 : 7 + length])  # the MAC's place in the captured announcement
