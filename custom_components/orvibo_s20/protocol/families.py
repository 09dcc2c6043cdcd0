"""Which device family sent a frame on UDP 10000, for the devices this integration cannot control.

Two kinds of frame answer on the port besides an S20's:

* **HomeMate** devices (B25, S25, S20c, S30c, S31…; their app and their gateways) speak Orvibo's
  newer, encrypted protocol: `68 64`, total length (u16 BE, whole datagram), `pk` or `dk`, a
  CRC-32 (u32 BE) of the encrypted payload, a 32-byte session id (zeros before the vendor's
  cloud has assigned one, ASCII afterwards), then a JSON payload encrypted with AES-128-ECB
  (`pk` under the vendor's fixed key, `dk` under a per-session key), so a multiple of 16 bytes.
  Sources: insertjokehere/homemate-bridge (`src/homemate_bridge/cli.py`, real frames in
  `research/stream.yaml`), sandysound/orvibo-b25-server (`OrviboPacket.js`, `PacketBuilder.js`).
  The header alone names such a frame: nothing is decrypted (we hold no key and need none).
* A `qa`/`qg` discovery reply from a product id that is neither a socket's (`SOC…`) nor the
  AllOne's (`IRD012`/`IRD013`, PROTOCOL.md §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import struct
import zlib

from .const import MAGIC
from .errors import DecodeError


class DeviceFamily(StrEnum):
    """The Orvibo device families this integration controls."""

    ALLONE = "allone"  # WiWo-R1 IR + 433 MHz blaster, product ids IRD012/IRD013
    SOCKET = "socket"  # S20 (and S10), product ids SOC001…SOC005


class UnsupportedFamily(StrEnum):
    """A kind of device heard on UDP 10000 that this integration cannot control."""

    HOMEMATE = "homemate"
    UNKNOWN = "unknown"  # an Orvibo discovery reply with a product id we do not know


SOCKET_PRODUCT_PREFIX = "SOC"
# Only the AllOne's own ids: other IRD products (the AllOne Pro) speak HomeMate's protocol.
ALLONE_PRODUCT_IDS = frozenset({"IRD012", "IRD013"})

# Why a family cannot be controlled (English; the UIs translate by family).
UNSUPPORTED_REASONS: dict[UnsupportedFamily, str] = {
    UnsupportedFamily.HOMEMATE: "encrypted cloud protocol",
    UnsupportedFamily.UNKNOWN: "unknown product id",
}


def family_of(product_id: str) -> DeviceFamily | None:
    """Tell a device's family from its discovery reply's product id; None for one we cannot control."""
    if product_id.startswith(SOCKET_PRODUCT_PREFIX):
        return DeviceFamily.SOCKET
    if product_id in ALLONE_PRODUCT_IDS:
        return DeviceFamily.ALLONE
    return None


HOMEMATE_COMMANDS = frozenset({"dk", "pk"})
_HOMEMATE_HEADER = struct.Struct(">2sH2sI32s")  # magic, length, command, CRC-32, session id
HOMEMATE_HEADER_LENGTH = _HOMEMATE_HEADER.size  # 42
_AES_BLOCK = 16



@dataclass(frozen=True, slots=True, kw_only=True)
class HomeMateFrame:
    """The clear header of a HomeMate `pk`/`dk` frame (the payload stays encrypted)."""

    command: str  # "pk" (fixed key) or "dk" (session key)
    session: bytes  # 32 bytes; all zeros before the cloud assigned one
    payload_length: int

    @property
    def has_session(self) -> bool:
        """Whether the vendor's cloud has given this device a session id."""
        return any(self.session)


def decode_homemate(datagram: bytes) -> HomeMateFrame:
    """Read the header of a HomeMate frame; DecodeError if the datagram is not one."""
    if len(datagram) < HOMEMATE_HEADER_LENGTH:
        raise DecodeError(f"{len(datagram)} bytes is shorter than a HomeMate header")
    magic, length, raw_command, crc, session = _HOMEMATE_HEADER.unpack_from(datagram)
    if magic != MAGIC:
        raise DecodeError(f"bad magic {magic.hex()}")
    command = raw_command.decode("latin-1")
    if command not in HOMEMATE_COMMANDS:
        raise DecodeError(f"{raw_command.hex()} is not a HomeMate command")
    if length != len(datagram):
        raise DecodeError(f"length field {length} but datagram has {len(datagram)} bytes")
    payload = datagram[HOMEMATE_HEADER_LENGTH:]
    if not payload or len(payload) % _AES_BLOCK:
        raise DecodeError(f"HomeMate payload of {len(payload)} bytes is not whole AES blocks")
    if zlib.crc32(payload) != crc:
        raise DecodeError(f"HomeMate CRC {crc:08x} does not match the payload's {zlib.crc32(payload):08x}")
    return HomeMateFrame(command=command, session=session, payload_length=len(payload))


def is_homemate(datagram: bytes) -> bool:
    """Whether a datagram is a well-formed HomeMate frame."""
    try:
        decode_homemate(datagram)
    except DecodeError:
        return False
    return True
