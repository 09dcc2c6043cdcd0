"""The relay's wire format: an S20 datagram wrapped with the socket's IPv4 address. Pure codec.

Only one program per host can own UDP port 10000, where the sockets answer. Home Assistant's
integration owns it and offers a relay on loopback (client/relay.py); other programs on the
host (the CLI, a Node-RED flow, a script) talk to the sockets through it. Every relay datagram,
both ways, is an *envelope*:

    4 bytes   the socket's IPv4 address, network order
    n bytes   one raw Orvibo datagram ("hd" ...)

To the relay, the address is where the datagram goes (255.255.255.255: every broadcast address
of the relay's network, e.g. a `qa` scan); from the relay, it is the socket that sent it. A
*hello* is the address 0.0.0.0 with nothing after it: it registers the sender (as does any
request) and keeps it registered, and the relay answers it with a hello, so a client learns
that a relay is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from .errors import DecodeError

RELAY_PORT = 10010  # on 127.0.0.1 only; not 10001, where Ubiquiti's discovery listens
RELAY_BROADCAST = "255.255.255.255"  # to the relay: broadcast on its network's addresses
_HELLO_ADDRESS = IPv4Address(0)
_HEADER = 4
_MAGIC = b"hd"
HELLO = _HELLO_ADDRESS.packed


@dataclass(frozen=True, slots=True)
class Envelope:
    """One relayed datagram and the socket it goes to or came from."""

    host: str
    datagram: bytes


def encode_envelope(host: str, datagram: bytes) -> bytes:
    """Wrap a datagram for the relay (or a relay client). Raises ValueError on a bad address."""
    address = IPv4Address(host)
    if address == _HELLO_ADDRESS:
        raise ValueError("0.0.0.0 is the hello's address, not a socket's")
    if not datagram:
        raise ValueError("an envelope carries a datagram")
    return address.packed + datagram


def decode_envelope(data: bytes) -> Envelope | None:
    """Unwrap a relay datagram: an Envelope, or None for a hello. Raises DecodeError.

    The payload must look like an S20 frame (the magic and a length field that fits); what is
    inside is the codec's business, at the hop that reads it.
    """
    if len(data) < _HEADER:
        raise DecodeError(f"a relay datagram has a 4-byte address, this one is {len(data)} bytes")
    address, datagram = IPv4Address(data[:_HEADER]), data[_HEADER:]
    if address == _HELLO_ADDRESS:
        if datagram:
            raise DecodeError("a hello carries nothing after its address")
        return None
    if datagram[:2] != _MAGIC:
        raise DecodeError("the relayed datagram is not an S20 frame (no 'hd')")
    if len(datagram) < 4 or int.from_bytes(datagram[2:4], "big") != len(datagram):
        raise DecodeError("the relayed frame's length field does not match its size")
    return Envelope(str(address), datagram)
