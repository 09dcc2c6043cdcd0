"""Which family a frame on UDP 10000 comes from: HomeMate `pk`/`dk` frames named by their header.

The HomeMate frames are real: a HomeMate socket talking to a stand-in for the vendor's cloud,
captured by insertjokehere/homemate-bridge (`research/stream.yaml`, the packet number given).
Their framing is `68 64`, total length, `pk`/`dk`, CRC-32 of the encrypted payload, a 32-byte
session id, then AES blocks; nothing is decrypted. Every captured S20 frame is not one of them.
"""

from __future__ import annotations

import struct
import zlib

import pytest

from custom_components.orvibo_s20.protocol import DecodeError, decode_from_device
from custom_components.orvibo_s20.protocol.families import (
    DeviceFamily,
    HomeMateFrame,
    decode_homemate,
    family_of,
    is_homemate,
)

from . import frame_vectors, vector_id

SESSION = b"9d8b078ced13436faf0296e6913619a4"
NO_SESSION = bytes(32)

# (packet, bytes, what the header says)
HOMEMATE_FRAMES = [
    (  # the socket's first `pk` (hello) to the cloud, before it has a session id
        165288,
        bytes.fromhex(
            "686400ba706b221c999c0000000000000000000000000000000000000000000000000000000000000000"
            "2e8dfc89e7bc9640cb68a1b708aa0f656a196f73a554e2ee46e0a50b64d886cd5b1a87c41f6671376268"
            "ec5b660db2c5886a056713e0d9bc4a0c2c5058df652dd9b15bd17b2705cd39fcfd62ae76c6e2f5df9d66"
            "3c7218725fc7491b42b5f885393c744e6ae4b4beaa4e73676570fb87c8cf7e0d03f7208979fa643bbc7c"
            "ec86e11d4c3d0c8ab59e5aa37e3e59735fb6"
        ),
        HomeMateFrame(command="pk", session=NO_SESSION, payload_length=144),
    ),
    (  # the cloud's `pk` answer, which hands out the session id
        165294,
        bytes.fromhex(
            "6864006a706beac4bd37396438623037386365643133343336666166303239366536393133363139613439"
            "b3afdc2932215f5f537bd1115417d8b3746d4e65e1f446f325019c6a949e8d3ceb51497c521636c7aa00"
            "29f6be46c23162f7da4b7a01599b114d6fba1b0895"
        ),
        HomeMateFrame(command="pk", session=SESSION, payload_length=64),
    ),
    (  # the socket's `dk` heartbeat, under the session key
        165322,
        bytes.fromhex(
            "6864005a646b47fbc2193964386230373863656431333433366661663032393665363931333631396134"
            "cb13309fb05f5715a66f872315a7c323d0b81f49a1a79b4a8c6c085dc5c0f2495eb365c4307b94d1f5f1"
            "32b0360ee4c7"
        ),
        HomeMateFrame(command="dk", session=SESSION, payload_length=48),
    ),
    (  # the cloud's `dk` answer
        165300,
        bytes.fromhex(
            "6864004a646bbdba25e839643862303738636564313334333666616630323936653639313336313961343871"
            "8d531a63eb394baa77d5280248a88323063bb77279b0c5163c551c1d0705"
        ),
        HomeMateFrame(command="dk", session=SESSION, payload_length=32),
    ),
]
HELLO = HOMEMATE_FRAMES[0][1]


@pytest.mark.parametrize(("packet", "frame", "header"), HOMEMATE_FRAMES, ids=[str(p) for p, _, _ in HOMEMATE_FRAMES])
def test_captured_homemate_frames_are_named_by_their_header(packet: int, frame: bytes, header: HomeMateFrame) -> None:
    assert decode_homemate(frame) == header
    assert is_homemate(frame)
    assert header.has_session is (header.session != NO_SESSION)
    # Not an S20 frame: the S20 codec refuses it, by its command bytes.
    with pytest.raises(DecodeError, match=f"unknown command {frame[4:6].hex()}"):
        decode_from_device(frame)


def _with_crc(frame: bytes) -> bytes:
    """The frame with its CRC made right again (after an edit of the payload)."""
    return frame[:6] + struct.pack(">I", zlib.crc32(frame[42:])) + frame[10:]


def _with_length(frame: bytes) -> bytes:
    return frame[:2] + struct.pack(">H", len(frame)) + frame[4:]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (HELLO[:-1], "length field 186 but datagram has 185 bytes"),
        (HELLO + b"\x00", "length field 186 but datagram has 187 bytes"),
        (_with_crc(_with_length(HELLO[:-1])), "not whole AES blocks"),
        (_with_crc(_with_length(HELLO[:42])), "payload of 0 bytes"),
        (HELLO[:41], "shorter than a HomeMate header"),
        (HELLO[:-1] + bytes((HELLO[-1] ^ 0x01,)), "HomeMate CRC 221c999c does not match"),
        (b"HD" + HELLO[2:], "bad magic 4844"),
        (HELLO[:4] + b"qa" + HELLO[6:], "7161 is not a HomeMate command"),
        (HELLO[:4] + b"PK" + HELLO[6:], "504b is not a HomeMate command"),
    ],
    ids=["short", "long", "half-block", "no-payload", "truncated-header", "bad-crc", "magic", "s20-command", "upper-case"],
)
def test_what_is_not_a_homemate_frame(frame: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_homemate(frame)
    assert not is_homemate(frame)


@pytest.mark.parametrize("vector", frame_vectors(), ids=vector_id)
def test_no_captured_s20_frame_is_taken_for_a_homemate_one(vector: dict[str, object]) -> None:
    assert not is_homemate(bytes.fromhex(str(vector["hex"])))


@pytest.mark.parametrize(
    ("product_id", "family"),
    [
        ("SOC001", DeviceFamily.SOCKET), ("SOC002", DeviceFamily.SOCKET), ("SOC005", DeviceFamily.SOCKET),
        ("IRD012", DeviceFamily.ALLONE), ("IRD013", DeviceFamily.ALLONE),
        ("IRD005", None), ("KEP001", None), ("RFG001", None), ("soc005", None),
    ],
)
def test_family_of_a_product_id(product_id: str, family: DeviceFamily | None) -> None:
    """Sockets by their `SOC` prefix, the AllOne by its own two ids; anything else is unknown."""
    assert family_of(product_id) is family
