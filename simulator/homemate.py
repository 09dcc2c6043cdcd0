"""A HomeMate device (B25, S25, S20c, S30c, S31…) on the loopback LAN: it speaks only `pk`/`dk`.

HomeMate devices use Orvibo's newer, encrypted protocol (`protocol/families.py`) and are heard
on UDP 10000 beside the S20s. This one sends a real captured frame and nothing else: it
broadcasts it (at start, then every `announce_every_s` if set) and answers every datagram that
reaches it (unicast to its IP, or a broadcast) with it, as a HomeMate device answers its app's
search. It never understands an S20 request, so a controller can only name it, not control it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

# A HomeMate socket's first `pk` frame to the vendor's cloud (session id still zeros; 186 bytes),
# captured by insertjokehere/homemate-bridge (`research/stream.yaml`, packet 165288).
HELLO_FRAME = bytes.fromhex(
    "686400ba706b221c999c0000000000000000000000000000000000000000000000000000000000000000"
    "2e8dfc89e7bc9640cb68a1b708aa0f656a196f73a554e2ee46e0a50b64d886cd5b1a87c41f6671376268"
    "ec5b660db2c5886a056713e0d9bc4a0c2c5058df652dd9b15bd17b2705cd39fcfd62ae76c6e2f5df9d66"
    "3c7218725fc7491b42b5f885393c744e6ae4b4beaa4e73676570fb87c8cf7e0d03f7208979fa643bbc7c"
    "ec86e11d4c3d0c8ab59e5aa37e3e59735fb6"
)
# The same device's `dk` heartbeat once it had a session (90 bytes; packet 165322).
HEARTBEAT_FRAME = bytes.fromhex(
    "6864005a646b47fbc2193964386230373863656431333433366661663032393665363931333631396134"
    "cb13309fb05f5715a66f872315a7c323d0b81f49a1a79b4a8c6c085dc5c0f2495eb365c4307b94d1f5f1"
    "32b0360ee4c7"
)


class HomeMateNetwork(Protocol):
    """What a HomeMate device needs from the simulator around it."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """Run callback after delay; cancelled when the simulator stops."""
        ...

    def cancel(self, handle: asyncio.TimerHandle) -> None:
        """Cancel a handle from call_later."""
        ...

    def transmit(self, device: VirtualHomeMate, datagram: bytes, host: str | None, delay: float) -> None:
        """Send from device to host (None = broadcast) through the faults."""
        ...


class VirtualHomeMate:
    """A HomeMate device at one loopback IP: broadcasts and answers with its `pk`/`dk` frame."""

    def __init__(
        self, net: HomeMateNetwork, *, ip: str, frame: bytes = HELLO_FRAME, announce_every_s: float | None = None
    ) -> None:
        self._net = net
        self.ip = ip
        self.frame = frame
        self.announce_every_s = announce_every_s
        self.online = True
        self.epoch = 0  # the simulator's transmit drops sends of an older epoch
        self.heard = 0  # datagrams that reached it
        self.sent = 0  # frames it sent (answers and announcements)
        self._handle: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        return f"VirtualHomeMate({self.ip})"

    def start(self) -> None:
        """Announce now, then every announce_every_s."""
        self.stop()
        self._handle = self._net.call_later(0.0, self._announce)

    def stop(self) -> None:
        """Stop announcing."""
        if self._handle is not None:
            self._net.cancel(self._handle)
            self._handle = None

    def hear(self, host: str) -> None:
        """A datagram from host reached it: answer with its frame."""
        self.heard += 1
        self._send(host)

    def _announce(self) -> None:
        self._handle = None
        self._send(None)
        if self.announce_every_s is not None:
            self._handle = self._net.call_later(self.announce_every_s, self._announce)

    def _send(self, host: str | None) -> None:
        self.sent += 1
        self._net.transmit(self, self.frame, host, 0.0)
