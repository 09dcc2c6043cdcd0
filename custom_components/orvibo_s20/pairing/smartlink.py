"""The SmartLink v3 packet-length encoding of a Wi-Fi password (no I/O).

PROTOCOL.md §5.3. The socket in SmartLink mode (red LED blinking fast) sniffs the encrypted
Wi-Fi traffic: it cannot read it, but it sees frame lengths. The sender, already on the target
network, broadcasts UDP datagrams whose payload is only 0x05 bytes; the payload length is
the message. One round, exactly as the Hi-Flying SDK's `connect()` sends it (HF-SL) and as
captured (JJ-pcap2):

    header   200 × 76, 10 ms apart (the module calibrates its length offset on it)
    5 groups of:
        start    3 × 89, 50 ms apart, then 50 ms more
        chars    76 + byte, one each, 100 ms apart
        end      3 × 86, 50 ms apart, then 50 ms more
        (100 ms)
        checksum 3 × (332 + password length), 50 ms apart
        (500 ms)

The sender repeats rounds, header included, until the socket confirms or time runs out.

Characters. The SDK sends `76 + charAt(i)`, a UTF-16 code unit. We send `76 + b` for each
byte b of the password's UTF-8 encoding, and the checksum counts bytes. For ASCII passwords,
the only ones WPA's passphrase rules allow, the two are identical. Beyond ASCII the SDK's
code units can exceed 255 and collide with the checksum range (≥ 332), whereas a byte never
does, and UTF-8 bytes are what the socket's WPA supplicant must hash for a non-ASCII
passphrase set on a modern access point. Control characters are refused: 10 and 13 would
encode as the end and start markers (86, 89).

Every delay is divided by `speed`, so tests can send a whole round in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..protocol import EncodeError, Mac
from .at import InvalidCredentialsError

HEADER_LENGTH = 76  # also the offset added to every character byte
HEADER_COUNT = 200
HEADER_INTERVAL_S = 0.010
START_LENGTH = 89
END_LENGTH = 86
MARKER_COUNT = 3
CHECKSUM_BASE = 332  # 76 + 256: above every character length
CHECKSUM_COUNT = 3
GROUPS_PER_ROUND = 5
PAYLOAD_BYTE = b"\x05"
PASSWORD_MAX_BYTES = 64

# The SDK's sleeps (HF-SL): after every send, after every value, before the checksum, after a group.
PACKET_GAP_S = 0.050
VALUE_GAP_S = 0.050
CHECKSUM_PAUSE_S = 0.100
GROUP_PAUSE_S = 0.500

type Packet = tuple[int, float]  # (UDP payload length, seconds to wait after sending it)


def password_bytes(password: str) -> bytes:
    """Return the password's UTF-8 bytes, or raise InvalidCredentialsError (never quoting it)."""
    try:
        data = password.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidCredentialsError("the Wi-Fi password is not valid text", field="key") from None
    if len(data) > PASSWORD_MAX_BYTES:
        raise InvalidCredentialsError(
            f"the Wi-Fi password has {len(data)} bytes; SmartLink sends at most {PASSWORD_MAX_BYTES}", field="key"
        )
    if any(b < 0x20 or b == 0x7F for b in data):
        raise InvalidCredentialsError("the Wi-Fi password contains control characters", field="key")
    return data


def payload(length: int) -> bytes:
    """Return a datagram payload of `length` 0x05 bytes."""
    return PAYLOAD_BYTE * length


def header(*, speed: float = 1.0) -> Iterator[Packet]:
    """Yield the calibration header of a round: 200 × 76 bytes, 10 ms apart."""
    for _ in range(HEADER_COUNT):
        yield HEADER_LENGTH, HEADER_INTERVAL_S / speed


def group(password: str, *, speed: float = 1.0) -> Iterator[Packet]:
    """Yield one start…checksum group; the last delay is the 500 ms pause after it."""
    data = password_bytes(password)
    values = [START_LENGTH, *(HEADER_LENGTH + b for b in data), END_LENGTH]
    # The SDK sleeps after each send and again after each value: (packet, delay) pairs with
    # the sleeps that follow a packet folded into its delay.
    packets: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        repeats = MARKER_COUNT if index in (0, len(values) - 1) else 1
        packets.extend((value, PACKET_GAP_S) for _ in range(repeats))
        packets[-1] = (value, packets[-1][1] + VALUE_GAP_S)
    packets[-1] = (END_LENGTH, packets[-1][1] + CHECKSUM_PAUSE_S)
    checksum = CHECKSUM_BASE + len(data)
    packets.extend((checksum, PACKET_GAP_S) for _ in range(CHECKSUM_COUNT - 1))
    packets.append((checksum, GROUP_PAUSE_S))
    for length, delay in packets:
        yield length, delay / speed


def round_packets(password: str, *, speed: float = 1.0) -> Iterator[Packet]:
    """Yield one round as the SDK's `connect()` sends it: the header, then 5 groups."""
    password_bytes(password)  # refuse before the first packet, not after the header
    yield from header(speed=speed)
    for _ in range(GROUPS_PER_ROUND):
        yield from group(password, speed=speed)


def round_duration_s(password: str, *, speed: float = 1.0) -> float:
    """Return how long one round takes to send."""
    return sum(delay for _, delay in round_packets(password, speed=speed))


# --- The socket's confirmation ---------------------------------------------------------------

CONFIRMATION_PREFIX = b"smart_config"


def parse_confirmation(datagram: bytes) -> Mac | None:
    """Return the MAC of `smart_config ACCF2335E6AA`; None for anything else (the JSON beacon too)."""
    if not datagram.startswith(CONFIRMATION_PREFIX):
        return None
    try:
        return Mac.parse(datagram[len(CONFIRMATION_PREFIX) :].decode("ascii").strip())
    except (UnicodeDecodeError, EncodeError):
        return None
