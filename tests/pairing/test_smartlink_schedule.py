"""The SmartLink v3 length schedule against PROTOCOL.md §5.3 and the captured packets, no I/O.

The expected sequences are written out from the spec's table (and the Hi-Flying SDK it
quotes), not computed with the encoder's constants, so a wrong constant fails here.
"""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

from custom_components.orvibo_s20.pairing import InvalidCredentialsError
from custom_components.orvibo_s20.pairing import smartlink
from custom_components.orvibo_s20.protocol import Mac
from simulator.wifi import SmartLinkSniffer

VECTORS = json.loads((Path(__file__).parents[1] / "protocol" / "vectors.json").read_text(encoding="utf-8"))

# JJ-pcap2: the WiWo app pairing with password "abcdefgh".
CAPTURED_PASSWORD = "abcdefgh"
CAPTURED_GROUP = [89, 89, 89, 173, 174, 175, 176, 177, 178, 179, 180, 86, 86, 86, 340, 340, 340]
# The SDK's sleeps after each packet of that group: 50 ms per send plus 50 ms per value, 100 ms
# before the checksum, 500 ms after the group (HF-SL `connect()`).
CAPTURED_GROUP_DELAYS = [0.05, 0.05, 0.10] + [0.10] * 8 + [0.05, 0.05, 0.20] + [0.05, 0.05, 0.50]


def test_round_is_the_captured_sequence() -> None:
    packets = list(smartlink.round_packets(CAPTURED_PASSWORD))
    lengths = [length for length, _ in packets]
    assert lengths == [76] * 200 + CAPTURED_GROUP * 5
    delays = [delay for _, delay in packets]
    assert delays[:200] == pytest.approx([0.010] * 200)
    assert delays[200:] == pytest.approx(CAPTURED_GROUP_DELAYS * 5)


def test_round_timing_matches_the_capture() -> None:
    # Capture: first group 2.2 s after the start, last checksum at +11.4 s (the phone's sleeps
    # overshoot: 11 ms per header packet instead of 10). Nominal: 2.0 s and 11.0 s.
    packets = list(smartlink.round_packets(CAPTURED_PASSWORD))
    offsets = [sum(delay for _, delay in packets[:index]) for index in range(len(packets))]
    assert offsets[200] == pytest.approx(2.0)
    assert offsets[-1] == pytest.approx(11.0)
    assert smartlink.round_duration_s(CAPTURED_PASSWORD) == pytest.approx(2.0 + 5 * 1.9)


def _captured_at(length: int) -> float:
    """Seconds into JJ-pcap2 of the first captured packet of this length (the vector's notes)."""
    vector = next(v for v in VECTORS if v["name"] == f"SmartLink payload length {length}")
    found = re.search(r"t=([\d.]+) s", vector["notes"])
    assert found is not None
    return float(found.group(1))


@pytest.mark.parametrize(("first", "then"), [(173, 180), (180, 340)], ids=["a-to-h", "h-to-checksum"])
def test_group_gaps_match_the_capture(first: int, then: int) -> None:
    # The first group of JJ-pcap2: 'a' (173) at 44.520 s, 'h' (180) at 45.227 s, the first checksum
    # (340) at 45.644 s. The phone's sleeps overshoot and never undershoot: each gap of the
    # schedule is the captured one less at most 5 % (0.700 vs 0.707 s, 0.400 vs 0.417 s).
    packets = list(smartlink.group(CAPTURED_PASSWORD))
    lengths = [length for length, _ in packets]
    sent_at = [sum(delay for _, delay in packets[:index]) for index in range(len(packets))]
    nominal = sent_at[lengths.index(then)] - sent_at[lengths.index(first)]
    captured = _captured_at(then) - _captured_at(first)
    assert nominal <= captured <= nominal * 1.05


def test_speed_divides_every_delay() -> None:
    slow = list(smartlink.round_packets("pw", speed=1.0))
    fast = list(smartlink.round_packets("pw", speed=50.0))
    assert [length for length, _ in fast] == [length for length, _ in slow]
    assert [delay * 50 for _, delay in fast] == pytest.approx([delay for _, delay in slow])
    assert smartlink.round_duration_s("pw", speed=50.0) == pytest.approx(smartlink.round_duration_s("pw") / 50)


@pytest.mark.parametrize(
    ("password", "chars"),
    [
        ("", []),  # an open network: markers and checksum 332 only
        ("a", [173]),
        (" ~", [76 + 0x20, 76 + 0x7E]),  # lowest and highest printable ASCII
        ("é€", [76 + 0xC3, 76 + 0xA9, 76 + 0xE2, 76 + 0x82, 76 + 0xAC]),  # UTF-8 bytes, not code units
        ("😀", [76 + 0xF0, 76 + 0x9F, 76 + 0x98, 76 + 0x80]),  # beyond the BMP: 4 bytes
    ],
)
def test_group_encoding(password: str, chars: list[int]) -> None:
    lengths = [length for length, _ in smartlink.group(password)]
    assert lengths == [89] * 3 + chars + [86] * 3 + [332 + len(chars)] * 3


def test_every_length_is_unambiguous() -> None:
    # The longest password: characters stay below the checksum range and off the markers.
    password = "".join(chr(c) for c in range(0x20, 0x7F)) + "ÿ"
    password = password[:62] + "ÿ"  # 62 + 2 bytes = 64
    lengths = [length for length, _ in smartlink.group(password)]
    chars = lengths[3:-6]
    assert len(chars) == 64 and lengths[-1] == 332 + 64
    assert all(76 < length < 332 and length not in (86, 89) for length in chars)


def test_payload_is_only_0x05() -> None:
    assert smartlink.payload(3) == b"\x05\x05\x05"
    assert smartlink.payload(0) == b""


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["name"].startswith("SmartLink payload length")],
                         ids=lambda v: v["name"])
def test_captured_payloads(vector: dict[str, object]) -> None:
    decoded = vector["decoded"]
    assert isinstance(decoded, dict)
    length = decoded["udp_payload_length"]
    captured = bytes.fromhex(str(vector["hex"]))
    assert smartlink.payload(length) == captured
    assert length in {length for length, _ in smartlink.round_packets(CAPTURED_PASSWORD)}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("x" * 65, "65 bytes"),
        ("é" * 33, "66 bytes"),
        ("sec\nret", "control characters"),  # 86: the end marker
        ("sec\rret", "control characters"),  # 89: the start marker
        ("sec\x00ret", "control characters"),  # 76: the header
        ("sec\x7fret", "control characters"),
        ("sec\udc80ret", "not valid text"),
    ],
)
def test_password_refused(password: str, message: str) -> None:
    with pytest.raises(InvalidCredentialsError, match=message) as err:
        list(smartlink.round_packets(password))  # refused before the header, not after it
    assert err.value.field == "key"
    assert "ret" not in str(err.value) and "xxxx" not in str(err.value)


def test_password_max_length_accepted() -> None:
    assert len(smartlink.password_bytes("x" * 64)) == 64
    assert len(smartlink.password_bytes("é" * 32)) == 64


# --- the confirmation ---------------------------------------------------------------------------


def test_parse_captured_confirmation() -> None:
    vector = next(v for v in VECTORS if v["name"] == "SmartLink success beacon from socket")
    assert smartlink.parse_confirmation(bytes.fromhex(vector["hex"])) == Mac.parse("ac:cf:23:35:e6:aa")


@pytest.mark.parametrize(
    "datagram",
    [b'{"mid":"LPB100","mac":"04010000ACCF","ip":"10.0.0.243"}', b"smart_config", b"smart_config NOTAMAC",
     b"smart_config \xff\xfe", b"smartlinkfind", b"\x05" * 76],
)
def test_parse_confirmation_refuses(datagram: bytes) -> None:
    assert smartlink.parse_confirmation(datagram) is None


# --- the simulated module's sniffer, fed by hand ----------------------------------------------------


def feed(sniffer: SmartLinkSniffer, lengths: list[int]) -> list[bytes]:
    return [password for length in lengths if (password := sniffer.feed(length)) is not None]


def test_sniffer_decodes_the_captured_group() -> None:
    sniffer = SmartLinkSniffer(calibration_count=20)
    assert feed(sniffer, [76] * 200 + CAPTURED_GROUP) == [b"abcdefgh"]  # the first checksum copy confirms
    assert sniffer.rejected == 0


def test_sniffer_needs_calibration() -> None:
    sniffer = SmartLinkSniffer(calibration_count=20)
    assert feed(sniffer, [76] * 19 + CAPTURED_GROUP) == []
    assert feed(sniffer, [76] + CAPTURED_GROUP[:-2]) == [b"abcdefgh"]


def test_sniffer_rejects_a_group_with_a_lost_character() -> None:
    sniffer = SmartLinkSniffer(calibration_count=1)
    damaged = CAPTURED_GROUP[:5] + CAPTURED_GROUP[6:]
    assert feed(sniffer, [76] + damaged) == []
    assert sniffer.rejected == 1
    assert feed(sniffer, CAPTURED_GROUP) == [b"abcdefgh"]  # the next group is whole


def test_sniffer_survives_lost_markers() -> None:
    sniffer = SmartLinkSniffer(calibration_count=1)
    no_end = [89, 173, 174, 334]  # all three end markers lost: the checksum ends the group
    assert feed(sniffer, [76] + no_end) == [b"ab"]
    no_start = [173, 174, 86, 86, 86, 334]  # all start markers lost: nothing to decode
    assert feed(sniffer, no_start) == []
    stray = [89, 173, 86, 174, 335]  # a character after the end marker is noise
    assert feed(sniffer, stray) == []
    restarted = [89, 173, 76, 89, 174, 86, 333]  # a header inside a group: the sender started over
    assert feed(sniffer, restarted) == [b"b"]
