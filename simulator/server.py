"""The loopback LAN's one UDP socket: receive for every virtual IP, answer from each of them.

Theory of operation: a single socket bound to `0.0.0.0:<port>` receives datagrams sent to
any 127.x.y.z and to the loopback broadcast 127.255.255.255. `IP_PKTINFO` tells which
address each datagram was sent to (that picks the virtual socket), and the same ancillary
data on `sendmsg` sets the source address of a reply to the virtual socket's own IP, so a
controller sees each simulated S20 at its own address. asyncio's datagram transport cannot
pass ancillary data, hence a raw non-blocking socket driven by `loop.add_reader`.

Safety rule: nothing is ever sent outside 127.0.0.0/8 (`ValueError`), and datagrams from
outside it are dropped, so a simulator bound on a real LAN never talks to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network
import logging
import socket
import struct

_LOGGER = logging.getLogger(__name__)

LOOPBACK = IPv4Network("127.0.0.0/8")
_IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value, absent from some builds
_PKTINFO = struct.Struct("=I4s4s")  # struct in_pktinfo: ifindex, spec_dst, addr
_ANCILLARY_SIZE = socket.CMSG_SPACE(_PKTINFO.size)
_RECEIVE_BUFFER = 4 * 1024 * 1024  # bursts of 250 sockets × 10 replies must not overflow
_MAX_DATAGRAM = 2048

# (datagram, source host, source port, destination host)
type DatagramHandler = Callable[[bytes, str, int, str], None]


@lru_cache(maxsize=4096)
def is_loopback(host: str) -> bool:
    """Return whether host is an IPv4 address inside 127.0.0.0/8."""
    try:
        return IPv4Address(host) in LOOPBACK
    except ValueError:
        return False


def require_loopback(host: str, what: str) -> str:
    """Return host, or raise ValueError when it is not a 127.0.0.0/8 address."""
    if not is_loopback(host):
        raise ValueError(f"{what} {host!r} is outside 127.0.0.0/8; the simulator only uses the loopback LAN")
    return host


class LoopbackServer:
    """Own the UDP socket; hand each datagram to `handler`, send from any virtual IP."""

    def __init__(self, *, bind: str, port: int, handler: DatagramHandler, per_address: bool = False) -> None:
        self.bind = bind
        self.port = port
        self._handler = handler
        # per_address: one socket per served address (127.0.0.x:port, see add_host) instead of
        # one on `bind`, so a controller that binds 0.0.0.0:<port> itself (the `orvibo` library)
        # can share the port: the kernel prefers the more specific bind.
        self._per_address = per_address
        self._opened = False
        self._sock: socket.socket | None = None
        self._socks: dict[str, socket.socket] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.foreign = 0  # datagrams from outside 127.0.0.0/8, ignored

    @property
    def is_open(self) -> bool:
        """Whether the socket is bound."""
        return self._opened

    def open(self) -> None:
        """Bind the socket(s) and start reading (port 0 picks a free port)."""
        self._loop = asyncio.get_running_loop()
        if not self._per_address:
            self._sock = self._open(self.bind)
        self._opened = True

    def add_host(self, host: str) -> None:
        """With per_address: also receive on host:port (a no-op otherwise or before open)."""
        if not self._per_address or not self._opened or host in self._socks:
            return
        sock = self._open(require_loopback(host, "bind address"))
        self._socks[host] = sock
        self._sock = self._sock or sock

    def _open(self, host: str) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            # Shared with the controller under test, which binds 127.0.0.1:<port>: the more
            # specific bind gets the unicast replies, we get everything sent to 127.0.0.x.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.IPPROTO_IP, _IP_PKTINFO, 1)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
            except OSError:
                pass  # the kernel's cap applies; only big bursts would suffer
            sock.bind((host, self.port))
        except BaseException:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        assert self._loop is not None
        self._loop.add_reader(sock.fileno(), self._on_readable, sock)
        return sock

    def close(self) -> None:
        """Stop reading and close the socket(s)."""
        if not self._opened:
            return
        self._opened = False
        for sock in {*filter(None, [self._sock]), *self._socks.values()}:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._sock = None
        self._socks.clear()

    def send(self, datagram: bytes, source: str, host: str, port: int) -> bool:
        """Send datagram from virtual IP `source` to (host, port); False if the kernel refused."""
        require_loopback(host, "destination")
        sock = self._socks.get(source, self._sock)
        if sock is None:
            return False
        info = _PKTINFO.pack(0, socket.inet_aton(source), b"\x00\x00\x00\x00")
        try:
            sock.sendmsg([datagram], [(socket.IPPROTO_IP, _IP_PKTINFO, info)], 0, (host, port))
        except OSError as err:
            # A full buffer or an ICMP error reported by the kernel: to the controller this
            # is one more lost datagram, which it must survive anyway.
            _LOGGER.debug("send from %s to %s:%d failed: %s", source, host, port, err)
            return False
        return True

    def _on_readable(self, sock: socket.socket) -> None:
        while self._opened:
            try:
                data, ancillary, _flags, addr = sock.recvmsg(_MAX_DATAGRAM, _ANCILLARY_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                # ECONNREFUSED and friends from an earlier send; nothing to read.
                _LOGGER.debug("receive error: %s", err)
                continue
            host, port = addr[0], addr[1]
            if not is_loopback(host):
                self.foreign += 1
                continue
            destination = ""
            for level, kind, value in ancillary:
                if level == socket.IPPROTO_IP and kind == _IP_PKTINFO and len(value) >= _PKTINFO.size:
                    destination = socket.inet_ntoa(_PKTINFO.unpack_from(value)[2])
            self._handler(data, host, port, destination)  # it may close us: the loop checks
