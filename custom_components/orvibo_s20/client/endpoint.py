"""The one UDP endpoint shared by every S20 client of a process.

Theory of operation: the socket answers every request to UDP port 10000 of the requester,
whatever the source port (PROTOCOL.md §1), so a controller must own that port and a single
datagram endpoint serves all sockets. Replies carry no usable request id (the session field
is not echoed to LAN clients, §1), so incoming datagrams are routed by (MAC, source IP) to
the client registered for that MAC; a datagram from another IP for a known MAC is spoofed or
stale and is dropped and counted, as are malformed datagrams. Discovery replies and the
socket's unsolicited announcements also go to discovery listeners, which is how scans and
IP changes are seen. A device that answers on the port but cannot be controlled here (a
HomeMate frame, a discovery reply with an unknown product id) is counted and named to the
unsupported listeners, never dropped silently (`unsupported.py`).

Bind address, port, the port replies are sent to, and the broadcast addresses are all
injectable so tests run on the loopback LAN (127.0.0.0/8) instead of the real network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
import errno
import logging
import socket

from ..protocol import (
    DecodeError,
    DeviceMessage,
    DiscoveryReply,
    EndpointError,
    Mac,
    decode_from_device,
    encode,
)
from ..protocol.const import PORT
from ..protocol.families import UnsupportedFamily, family_of, is_homemate
from ..protocol.messages import ClientMessage
from .unsupported import UnsupportedDevice, UnsupportedListener

_LOGGER = logging.getLogger(__name__)

DEFAULT_BIND_HOST = "0.0.0.0"
DEFAULT_BROADCAST = "255.255.255.255"

type MessageHandler = Callable[[DeviceMessage], None]
type DiscoveryListener = Callable[[DiscoveryReply, str], None]
# Every device datagram the endpoint reads, raw, with its source IP (the relay's feed).
type DatagramTap = Callable[[bytes, str], None]
# A socket's request queue, for a relay client's request: (datagram, its message, whether its
# sender is still there) -> whether it was sent. S20Client.relay_request is one.
type RelayQueue = Callable[[bytes, ClientMessage, Callable[[], bool]], Awaitable[bool]]

# Our own discovery requests come back to a wildcard-bound endpoint; they are not errors.
_OWN_REQUEST_LENGTHS = {b"qa": (6, 18), b"qg": (18,)}


@dataclass(slots=True)
class EndpointStats:
    """Counters of the shared endpoint (shown in diagnostics)."""

    sent: int = 0
    received: int = 0
    malformed: int = 0
    spoofed: int = 0
    unknown_mac: int = 0
    # Frames of devices this integration cannot control, by family (client/unsupported.py).
    homemate: int = 0
    unknown_product: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointConfig:
    """Where the endpoint binds and sends; defaults are the real network's."""

    bind_host: str = DEFAULT_BIND_HOST
    port: int = PORT
    remote_port: int | None = None  # port the sockets listen on; defaults to `port`
    broadcast_addresses: tuple[str, ...] = (DEFAULT_BROADCAST,)
    # Extra listener for broadcasts when bind_host is a unicast address (Linux never
    # delivers a broadcast to a socket bound to 127.0.0.1): e.g. "127.255.255.255".
    broadcast_listen_host: str | None = None
    # Needed to share the port with a simulator bound to 0.0.0.0 on the loopback LAN.
    # Off by default so a second controller on the port is reported, not silently shared.
    reuse_address: bool = False

    @property
    def send_port(self) -> int:
        """The UDP port datagrams are sent to."""
        return self.remote_port if self.remote_port is not None else self.port


@dataclass(slots=True)
class _Route:
    host: str
    handler: MessageHandler
    queue: RelayQueue | None = None


class _Receiver(asyncio.DatagramProtocol):
    """Forward datagrams of one bound socket to the endpoint."""

    def __init__(self, endpoint: S20Endpoint) -> None:
        self._endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._endpoint.datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: UDP gives no more than that; resends handle it.
        _LOGGER.debug("UDP error: %s", exc)


class S20Endpoint:
    """One UDP endpoint: bind, send, route replies by MAC, count drops."""

    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.config = config or EndpointConfig()
        self.stats = EndpointStats()
        # Several clients may follow one MAC at once (an entry's, a config flow's short-lived
        # one, the pairing's): every one gets the socket's messages.
        self._routes: dict[bytes, list[_Route]] = {}
        self._discovery_listeners: list[DiscoveryListener] = []
        self._unsupported_listeners: list[UnsupportedListener] = []
        self._taps: list[DatagramTap] = []
        self._transports: list[asyncio.DatagramTransport] = []

    @property
    def is_open(self) -> bool:
        """Whether the endpoint is bound."""
        return bool(self._transports)

    async def open(self) -> None:
        """Bind the endpoint. Raises EndpointError naming the port when it is taken."""
        if self._transports:
            return
        cfg = self.config
        loop = asyncio.get_running_loop()
        sockets = [self._bind(cfg.bind_host, cfg.reuse_address)]
        try:
            if cfg.broadcast_listen_host:
                sockets.append(self._bind(cfg.broadcast_listen_host, True))
            for sock in sockets:
                transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self), sock=sock)
                self._transports.append(transport)
        except BaseException:
            for sock in sockets:
                sock.close()
            self.close()
            raise
        _LOGGER.debug("Listening on %s:%d", cfg.bind_host, cfg.port)

    def _bind(self, host: str, reuse: bool) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            if reuse:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, self.config.port))
        except OSError as err:
            sock.close()
            if err.errno in (errno.EADDRINUSE, errno.EACCES):
                raise EndpointError(
                    f"UDP port {self.config.port} on {host} is already in use by another program "
                    "(another S20 controller?); stop it or choose another port",
                    host=host,
                    port=self.config.port,
                    in_use=True,
                ) from err
            raise EndpointError(
                f"cannot listen on UDP {host}:{self.config.port}: {err.strerror}",
                host=host,
                port=self.config.port,
            ) from err
        return sock

    def close(self) -> None:
        """Close the endpoint; registered clients stay registered for a reopen."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()

    # --- sending ---------------------------------------------------------------------------

    def send(self, message: ClientMessage, host: str) -> None:
        """Send one message to a socket."""
        self.send_datagram(encode(message), host)

    def send_datagram(self, datagram: bytes, host: str) -> None:
        """Send raw bytes to a socket's port on host."""
        if not self._transports:
            raise EndpointError("the S20 endpoint is closed", host=self.config.bind_host, port=self.config.port)
        self.stats.sent += 1
        self._transports[0].sendto(datagram, (host, self.config.send_port))

    def broadcast(self, message: ClientMessage, addresses: Iterable[str] | None = None) -> None:
        """Send one message to each broadcast address."""
        datagram = encode(message)
        for address in addresses if addresses is not None else self.config.broadcast_addresses:
            self.send_datagram(datagram, address)

    # --- routing ---------------------------------------------------------------------------

    def register(
        self, mac: Mac, host: str, handler: MessageHandler, *, queue: RelayQueue | None = None
    ) -> Callable[[], None]:
        """Route messages from this MAC at host to handler; returns the unregister callable.

        `queue`: where a relay client's requests to this socket wait their turn (client/relay.py).
        """
        route = _Route(host, handler, queue)
        self._routes.setdefault(mac.raw, []).append(route)

        def unregister() -> None:
            routes = self._routes.get(mac.raw, [])
            if route in routes:
                routes.remove(route)
                if not routes:
                    del self._routes[mac.raw]

        return unregister

    def set_host(self, mac: Mac, host: str) -> None:
        """Accept a registered socket's messages from a new IP (it moved)."""
        for route in self._routes.get(mac.raw, ()):
            route.host = host

    def relay_queue(self, mac: Mac, host: str) -> RelayQueue | None:
        """The request queue of a client that controls this socket at host, if any."""
        return next((r.queue for r in self._routes.get(mac.raw, ()) if r.host == host and r.queue), None)

    def add_tap(self, tap: DatagramTap) -> Callable[[], None]:
        """Call tap with every well-formed device datagram and its source IP, after routing it."""
        self._taps.append(tap)
        return lambda: self._taps.remove(tap)

    def add_discovery_listener(self, listener: DiscoveryListener) -> Callable[[], None]:
        """Call listener with every discovery reply or announcement and its source IP."""
        self._discovery_listeners.append(listener)
        return lambda: self._discovery_listeners.remove(listener)

    def add_unsupported_listener(self, listener: UnsupportedListener) -> Callable[[], None]:
        """Call listener with every device heard that cannot be controlled here."""
        self._unsupported_listeners.append(listener)
        return lambda: self._unsupported_listeners.remove(listener)

    def _unsupported(self, device: UnsupportedDevice) -> None:
        if device.family is UnsupportedFamily.HOMEMATE:
            self.stats.homemate += 1
        else:
            self.stats.unknown_product += 1
        _LOGGER.debug("Heard %s (%s): not supported", device.label, device.reason)
        for listener in tuple(self._unsupported_listeners):
            listener(device)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Decode a datagram and hand it to whoever it belongs to."""
        self.stats.received += 1
        try:
            message = decode_from_device(data)
        except DecodeError as err:
            if len(data) in _OWN_REQUEST_LENGTHS.get(data[4:6], ()):
                return  # our own broadcast, heard back
            if is_homemate(data):
                self._unsupported(UnsupportedDevice(family=UnsupportedFamily.HOMEMATE, host=addr[0]))
                return
            self.stats.malformed += 1
            _LOGGER.debug("Dropped malformed datagram from %s: %s", addr[0], err)
            return
        host = addr[0]
        if self._route(message, host):  # a spoofed one goes no further
            for tap in tuple(self._taps):
                tap(data, host)

    def _route(self, message: DeviceMessage, host: str) -> bool:
        """Hand a message to its clients; False when it came from the wrong IP for its MAC."""
        if isinstance(message, DiscoveryReply):
            if family_of(message.product_id) is None:
                self._unsupported(UnsupportedDevice(
                    family=UnsupportedFamily.UNKNOWN, host=host, mac=message.mac, product_id=message.product_id
                ))
            for listener in tuple(self._discovery_listeners):
                listener(message, host)
        routes = self._routes.get(message.mac.raw)
        if not routes:
            if not isinstance(message, DiscoveryReply):
                self.stats.unknown_mac += 1
            return True
        handlers = [route.handler for route in routes if route.host == host]
        if not handlers:
            if not isinstance(message, DiscoveryReply):
                self.stats.spoofed += 1
                _LOGGER.debug("%s: dropped %s from %s, expected %s", message.mac, message.command, host, routes[0].host)
                return False
            return True  # a discovery reply from a new IP: the socket moved
        for handler in handlers:
            handler(message)
        return True
