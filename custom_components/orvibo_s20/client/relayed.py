"""An endpoint that reaches the sockets through a relay on loopback (when UDP 10000 is taken).

`RelayedEndpoint` is an `S20Endpoint` whose transport is one UDP socket on 127.0.0.1 talking to
the relay (client/relay.py) of the program that owns port 10000, e.g. Home Assistant's
integration. Sending wraps each datagram in an envelope with the socket's IP (a broadcast keeps
its address: 255.255.255.255 means the relay's own); receiving unwraps it and hands it to the
endpoint's own decoding and routing, so clients, discovery and `watch` work unchanged. `open()`
succeeds only once the relay answered a hello; hellos keep the registration alive after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..protocol import DecodeError, EndpointError
from ..protocol.relay import HELLO, RELAY_PORT, decode_envelope, encode_envelope
from .endpoint import EndpointConfig, S20Endpoint, _Receiver

_LOGGER = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 1.0  # loopback answers at once: this only waits out a busy owner
HELLO_EVERY_S = 20.0  # the relay forgets a client after 60 s of silence
_HELLOS = 4  # within the timeout


class RelayedEndpoint(S20Endpoint):
    """S20Endpoint over a loopback relay instead of its own UDP port."""

    def __init__(
        self,
        config: EndpointConfig | None = None,
        *,
        relay_host: str = "127.0.0.1",
        relay_port: int = RELAY_PORT,
        hello_timeout_s: float = HELLO_TIMEOUT_S,
        hello_every_s: float = HELLO_EVERY_S,
    ) -> None:
        super().__init__(config)
        self.relay = (relay_host, relay_port)
        self._hello_timeout_s = hello_timeout_s
        self._hello_every_s = hello_every_s
        self._answered: asyncio.Event | None = None
        self._keepalive: asyncio.TimerHandle | None = None

    async def open(self) -> None:
        """Reach the relay; raises EndpointError when none answers."""
        if self._transports:
            return
        loop = asyncio.get_running_loop()
        host, port = self.relay
        try:
            transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self), local_addr=(host, 0))
        except OSError as err:
            message = f"cannot reach the relay at UDP {host}:{port}: {err.strerror}"
            raise EndpointError(message, host=host, port=port) from err
        self._transports.append(transport)
        self._answered = answered = asyncio.Event()
        for _ in range(_HELLOS):  # UDP: say hello again until the relay answers
            transport.sendto(HELLO, self.relay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(answered.wait(), self._hello_timeout_s / _HELLOS)
            if answered.is_set():
                break
        else:
            self.close()
            raise EndpointError(f"no relay answered at UDP {host}:{port}", host=host, port=port)
        self._keepalive = loop.call_later(self._hello_every_s, self._say_hello)
        _LOGGER.debug("Through the relay at UDP %s:%d", host, port)

    def _say_hello(self) -> None:
        if self._transports:
            self._transports[0].sendto(HELLO, self.relay)
            self._keepalive = asyncio.get_running_loop().call_later(self._hello_every_s, self._say_hello)

    def close(self) -> None:
        """Stop saying hello and close the socket (the relay forgets this client by itself)."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        super().close()

    def send_datagram(self, datagram: bytes, host: str) -> None:
        """Send raw bytes to a socket at host, through the relay."""
        if not self._transports:
            raise EndpointError("the relayed S20 endpoint is closed", host=self.relay[0], port=self.relay[1])
        self.stats.sent += 1
        self._transports[0].sendto(encode_envelope(host, datagram), self.relay)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Unwrap a datagram from the relay and route it as if it came from the socket itself."""
        if addr != self.relay:
            self.stats.received += 1
            self.stats.spoofed += 1  # not the relay: nothing else may talk to this socket
            return
        try:
            envelope = decode_envelope(data)
        except DecodeError:
            self.stats.received += 1
            self.stats.malformed += 1
            return
        if envelope is None:
            if self._answered is not None:
                self._answered.set()
            return
        super().datagram_received(envelope.datagram, (envelope.host, self.config.send_port))
