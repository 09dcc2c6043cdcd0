"""Test helpers for the simulator suite: a raw UDP controller and fast timings.

No `__init__.py` in this directory on purpose: a package named `simulator` here would
shadow the real one. pytest puts this directory on sys.path, so tests import `sim_peer`.
"""

from __future__ import annotations

import asyncio
import socket

from custom_components.orvibo_s20.protocol import (
    ClientMessage,
    DeviceMessage,
    SubscribeReply,
    SubscribeRequest,
    decode_from_device,
    encode,
)
from simulator import Timing, VirtualSocket
from tests.loopback import wait_for  # noqa: F401 (for the tests here)

# Real-device bursts and repeats, but no reply delay, no deaf window and a 5 s subscription,
# so the suite runs in seconds. Tests that need a quirk switch it on themselves.
FAST = Timing(
    reply_delay_s=0.0, push_delay_s=0.0, post_subscribe_deaf_s=0.0, subscription_timeout_s=5.0,
    announce_count=0, announce_every_s=None, reboot_s=0.2, tick_s=0.05,
)


class Peer:
    """A controller on the loopback LAN: one UDP socket bound to (host, port)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        self.sock.bind((host, port))
        self.sock.setblocking(False)

    def send(self, message: ClientMessage | bytes, host: str) -> None:
        """Send a request (or raw bytes) to host:port."""
        data = message if isinstance(message, bytes) else encode(message)
        self.sock.sendto(data, (host, self.port))

    async def recv_raw(self, timeout: float = 1.0) -> tuple[bytes, str]:
        """Return the next datagram and its source IP; TimeoutError if none comes."""
        loop = asyncio.get_running_loop()
        data, addr = await asyncio.wait_for(loop.sock_recvfrom(self.sock, 4096), timeout)
        return data, addr[0]

    async def recv(self, timeout: float = 1.0) -> tuple[DeviceMessage, str]:
        """Return the next decoded message and its source IP."""
        data, host = await self.recv_raw(timeout)
        return decode_from_device(data), host

    async def collect(self, duration: float, count: int | None = None) -> list[tuple[DeviceMessage, str, float]]:
        """Return what arrives within `duration` seconds (or the first `count`), with arrival times (loop time)."""
        out: list[tuple[DeviceMessage, str, float]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + duration
        while (left := deadline - loop.time()) > 0 and (count is None or len(out) < count):
            try:
                message, host = await self.recv(left)
            except TimeoutError:
                break
            out.append((message, host, loop.time()))
        return out

    async def expect_nothing(self, duration: float = 0.15) -> None:
        """Fail if anything arrives within duration."""
        got = await self.collect(duration)
        assert got == [], got

    async def subscribe(self, device: VirtualSocket) -> SubscribeReply:
        """Send cl and return its reply."""
        self.send(SubscribeRequest(mac=device.mac), device.ip)
        message, host = await self.recv()
        assert isinstance(message, SubscribeReply) and host == device.ip
        return message

    def close(self) -> None:
        self.sock.close()

