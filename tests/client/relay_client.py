"""A relay client by hand for the relay's tests: a UDP socket on loopback talking to the relay."""

from __future__ import annotations

import socket

from custom_components.orvibo_s20.client import S20Relay
from custom_components.orvibo_s20.protocol import ClientMessage, encode
from custom_components.orvibo_s20.protocol.relay import encode_envelope


class RawClient:
    """A relay client by hand: a UDP socket on loopback and what it received."""

    def __init__(self, relay: S20Relay) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.relay = ("127.0.0.1", relay.config.port)

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.relay)

    def send_message(self, host: str, message: ClientMessage) -> None:
        """Send a message to the socket at host, in its envelope."""
        self.send(encode_envelope(host, encode(message)))

    def received(self) -> list[bytes]:
        got = []
        while True:
            try:
                got.append(self.sock.recv(2048))
            except BlockingIOError:
                return got

    def close(self) -> None:
        self.sock.close()
