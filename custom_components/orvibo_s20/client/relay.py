"""The relay: other programs on this host reach the sockets through the endpoint that owns UDP 10000.

Theory of operation: only one program per host can own UDP port 10000, where the sockets answer
(PROTOCOL.md §1). The relay listens on loopback only (UDP 127.0.0.1:10010 by default) and speaks
envelopes (protocol/relay.py: the socket's IPv4 address and one raw S20 datagram).

* **A relay client registers by sending** (a request, or a hello, which the relay answers) and
  from then on gets every well-formed datagram the endpoint reads, wrapped with its source IP,
  until it has been silent for `client_ttl_s`; a hello now and then keeps a watcher registered.
* **Requests keep the owner's queue whole.** A request to a socket whose client registered a
  request queue with the endpoint (every S20Client does: Home Assistant's) waits its turn in that
  queue (`S20Client.relay_request`), so it never lands between one of the owner's requests and
  its answer. Requests to other sockets, and broadcasts (255.255.255.255: every broadcast address
  of the endpoint), go out at once.
* **Misbehaviour costs nothing but itself.** Datagrams from beyond loopback, malformed envelopes
  or S20 frames, a relay client over its rate (a token bucket; strangers share one), a queue over
  its bound, a `lt` (logout: the socket would forget the owner's subscription, the owner's address
  being the one it sees) to a socket the owner controls, a request whose sender went silent
  before its turn: each dropped and counted (`RelayStats`, in the diagnostics). Nothing of a
  datagram's content is logged: table 4 and `mp` carry the socket's remote password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
import errno
from ipaddress import IPv4Address
import logging

from ..protocol import DecodeError, EndpointError, LogoutRequest, decode_from_client
from ..protocol.messages import ClientMessage
from ..protocol.relay import HELLO, RELAY_BROADCAST, RELAY_PORT, decode_envelope, encode_envelope
from .endpoint import RelayQueue, S20Endpoint

_LOGGER = logging.getLogger(__name__)

type Address = tuple[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayConfig:
    """Where the relay listens and how much it takes from each relay client."""

    host: str = "127.0.0.1"
    port: int = RELAY_PORT
    client_ttl_s: float = 60.0  # silence after which a relay client is forgotten
    rate_per_s: float = 200.0  # datagrams per second a relay client may send, sustained
    burst: float = 400.0  # and at once (a scan of 50 sockets with their names is ~150)
    max_clients: int = 32
    max_queued: int = 64  # requests of one relay client waiting in sockets' queues, in all
    # ... and in one socket's: each holds that queue for at most one RTO (≤ 1 s) when unanswered,
    # so this bounds how long a relay client can hold up the owner's next request there.
    max_queued_per_socket: int = 4


@dataclass(slots=True)
class RelayStats:
    """What the relay did and dropped (shown in diagnostics)."""

    received: int = 0  # datagrams into the relay
    to_sockets: int = 0  # requests sent on to sockets (directly or in turn)
    queued: int = 0  # of which waited in the queue of a socket the owner controls
    to_clients: int = 0  # device datagrams delivered to relay clients
    clients: int = 0  # relay clients registered, ever
    malformed: int = 0
    not_loopback: int = 0
    rate_limited: int = 0
    queue_full: int = 0
    refused: int = 0  # a logout to a socket the owner controls
    abandoned: int = 0  # its sender went silent before its turn in the queue
    evicted: int = 0  # the longest silent relay client, for a new one when max_clients are live
    expired: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        return asdict(self)


@dataclass(slots=True)
class _Bucket:
    """A token bucket on the loop's clock."""

    rate: float
    burst: float
    tokens: float
    at: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(slots=True)
class _RelayClient:
    bucket: _Bucket
    last_seen: float
    queued: int = 0
    per_socket: dict[RelayQueue, int] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, relay: S20Relay) -> None:
        self._relay = relay

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self._relay.datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("Relay UDP error: %s", exc)  # a relay client that went away


class S20Relay:
    """Relay datagrams between loopback clients and the sockets, through an open endpoint."""

    def __init__(self, endpoint: S20Endpoint, config: RelayConfig | None = None) -> None:
        self.endpoint = endpoint
        self.config = config or RelayConfig()
        if not IPv4Address(self.config.host).is_loopback:
            raise ValueError(f"the relay listens on loopback only, not {self.config.host}")
        self.stats = RelayStats()
        self._clients: dict[Address, _RelayClient] = {}
        self._strangers: _Bucket | None = None  # shared by senders not registered (yet)
        self._transport: asyncio.DatagramTransport | None = None
        self._remove_tap: Callable[[], None] | None = None

    @property
    def is_open(self) -> bool:
        """Whether the relay is listening."""
        return self._transport is not None

    @property
    def active_clients(self) -> int:
        """Relay clients heard from within their time to live."""
        now = asyncio.get_running_loop().time()
        return sum(1 for c in self._clients.values() if now - c.last_seen <= self.config.client_ttl_s)

    async def open(self) -> None:
        """Listen on the relay port; raises EndpointError when it is taken."""
        if self._transport is not None:
            return
        cfg = self.config
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=(cfg.host, cfg.port))
        except OSError as err:
            in_use = err.errno in (errno.EADDRINUSE, errno.EACCES)
            reason = "is already in use by another program" if in_use else f"cannot be opened: {err.strerror}"
            message = f"the relay's UDP port {cfg.port} on {cfg.host} {reason}"
            raise EndpointError(message, host=cfg.host, port=cfg.port, in_use=in_use) from err
        self._transport = transport
        self._strangers = _Bucket(cfg.rate_per_s, cfg.burst, cfg.burst, loop.time())
        self._remove_tap = self.endpoint.add_tap(self._on_device_datagram)
        _LOGGER.debug("Relay listening on UDP %s:%d", cfg.host, cfg.port)

    def close(self) -> None:
        """Stop listening, forget the relay clients, cancel their requests still waiting."""
        if self._remove_tap is not None:
            self._remove_tap()
        self._remove_tap = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for client in self._clients.values():
            for task in client.tasks:
                task.cancel()
        self._clients.clear()

    # --- from relay clients ----------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: Address) -> None:
        """Take one datagram from a relay client: a hello, or a request for a socket."""
        stats = self.stats
        stats.received += 1
        if not IPv4Address(addr[0]).is_loopback:
            stats.not_loopback += 1  # cannot reach a loopback-bound socket; counted should it ever
            return
        now = asyncio.get_running_loop().time()
        client = self._clients.get(addr)
        bucket = client.bucket if client is not None else self._strangers
        if bucket is None or not bucket.take(now):
            stats.rate_limited += 1
            return
        try:
            envelope = decode_envelope(data)
            message = None if envelope is None else decode_from_client(envelope.datagram)
        except DecodeError:
            stats.malformed += 1
            return
        client = client or self._register(addr, now)
        client.last_seen = now
        if envelope is None or message is None:
            self._send_to(HELLO, addr)
            return
        self._forward(client, envelope.host, envelope.datagram, message)

    def _register(self, addr: Address, now: float) -> _RelayClient:
        cfg = self.config
        if len(self._clients) >= cfg.max_clients:
            self._expire(now)
        if len(self._clients) >= cfg.max_clients:
            # Full of live ones (a script running the CLI in a loop): the longest silent goes.
            oldest = min(self._clients, key=lambda a: self._clients[a].last_seen)
            del self._clients[oldest]
            self.stats.evicted += 1
        self.stats.clients += 1
        client = _RelayClient(_Bucket(cfg.rate_per_s, cfg.burst, cfg.burst, now), now)
        self._clients[addr] = client
        return client

    def _forward(self, client: _RelayClient, host: str, datagram: bytes, message: ClientMessage) -> None:
        stats, endpoint = self.stats, self.endpoint
        if not endpoint.is_open:
            return
        mac = getattr(message, "mac", None)
        queue = endpoint.relay_queue(mac, host) if mac is not None else None
        if queue is None:
            stats.to_sockets += 1
            targets = endpoint.config.broadcast_addresses if host == RELAY_BROADCAST else (host,)
            for target in targets:
                endpoint.send_datagram(datagram, target)
            return
        if isinstance(message, LogoutRequest):
            stats.refused += 1  # the socket would drop the owner's subscription
            return
        cfg = self.config
        if client.queued >= cfg.max_queued or client.per_socket.get(queue, 0) >= cfg.max_queued_per_socket:
            stats.queue_full += 1
            return
        client.queued += 1
        client.per_socket[queue] = client.per_socket.get(queue, 0) + 1
        request = queue(datagram, message, lambda: self._alive(client))
        task = asyncio.get_running_loop().create_task(
            self._in_turn(client, queue, request), name="orvibo_s20 relayed request"
        )
        client.tasks.add(task)
        task.add_done_callback(client.tasks.discard)

    async def _in_turn(self, client: _RelayClient, queue: RelayQueue, request: Awaitable[bool]) -> None:
        try:
            sent = await request
        except Exception:  # noqa: BLE001  # the owner's client failing must not end the relay
            _LOGGER.debug("Relayed request failed", exc_info=True)
            sent = False
        finally:
            client.queued -= 1
            if (left := client.per_socket.pop(queue) - 1) > 0:
                client.per_socket[queue] = left
        if sent:
            self.stats.to_sockets += 1
            self.stats.queued += 1
        else:
            self.stats.abandoned += 1

    def _alive(self, client: _RelayClient) -> bool:
        now = asyncio.get_running_loop().time()
        return self._transport is not None and now - client.last_seen <= self.config.client_ttl_s

    # --- to relay clients ------------------------------------------------------------------------

    def _on_device_datagram(self, datagram: bytes, host: str) -> None:
        if not self._clients:
            return
        now = asyncio.get_running_loop().time()
        self._expire(now)
        wrapped = encode_envelope(host, datagram)
        for addr in self._clients:
            self._send_to(wrapped, addr)
            self.stats.to_clients += 1

    def _expire(self, now: float) -> None:
        ttl = self.config.client_ttl_s
        for addr in [a for a, c in self._clients.items() if now - c.last_seen > ttl and not c.tasks]:
            del self._clients[addr]
            self.stats.expired += 1

    def _send_to(self, data: bytes, addr: Address) -> None:
        if self._transport is not None:
            self._transport.sendto(data, addr)
