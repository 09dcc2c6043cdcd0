"""Find devices: `qa` broadcast scans, `qg` for a known MAC, unicast probes of a host.

A scan reports sockets by default; pass `families` to hear AllOnes too (each result names its
family, from the product id).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from dataclasses import dataclass
import logging

from ..protocol import (
    DeviceFamily,
    DiscoverMacRequest,
    DiscoverRequest,
    DiscoveryReply,
    Mac,
    PowerState,
    family_of,
)
from .endpoint import S20Endpoint

_LOGGER = logging.getLogger(__name__)

SCAN_WINDOW_S = 1.5
# UDP loses packets: repeat the broadcast a few times within the window. Sockets still
# busy with their 10× reply burst ignore the repeat, which costs nothing (§3.1).
SCAN_REPEATS_AT_S = (0.0, 0.3, 0.7)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveredSocket:
    """A socket that answered a scan."""

    mac: Mac
    host: str
    product_id: str
    is_on: bool | None
    clock: int

    @property
    def family(self) -> DeviceFamily | None:
        """What the product id says it is (None: a family this library does not control)."""
        return family_of(self.product_id)


# What a scan finds is not always a socket: the same record names an AllOne.
DiscoveredDevice = DiscoveredSocket


def _found(reply: DiscoveryReply, host: str) -> DiscoveredSocket:
    state = None if reply.state is None else reply.state is PowerState.ON
    return DiscoveredSocket(mac=reply.mac, host=host, product_id=reply.product_id, is_on=state, clock=reply.clock)


async def discover(
    endpoint: S20Endpoint,
    *,
    window_s: float = SCAN_WINDOW_S,
    addresses: Iterable[str] | None = None,
    expected: int | None = None,
    families: Collection[DeviceFamily] = (DeviceFamily.SOCKET,),
) -> list[DiscoveredSocket]:
    """Broadcast `qa` and collect every device of `families` that answers within the window.

    Bursts and announcements are de-duplicated by MAC. Returns early once `expected`
    devices were found.
    """
    loop = asyncio.get_running_loop()
    found: dict[bytes, DiscoveredSocket] = {}
    done = loop.create_future()
    targets = tuple(addresses) if addresses is not None else None

    def on_reply(reply: DiscoveryReply, host: str) -> None:
        if reply.mac.raw not in found and family_of(reply.product_id) in families:
            found[reply.mac.raw] = _found(reply, host)
            if expected is not None and len(found) >= expected and not done.done():
                done.set_result(None)

    remove = endpoint.add_discovery_listener(on_reply)
    start = loop.time()
    try:
        for at in SCAN_REPEATS_AT_S:
            if at >= window_s or done.done():
                break
            if (wait := start + at - loop.time()) > 0:
                await asyncio.wait({done}, timeout=wait)
                if done.done():
                    break
            endpoint.broadcast(DiscoverRequest(), targets)
        if (remaining := start + window_s - loop.time()) > 0 and not done.done():
            await asyncio.wait({done}, timeout=remaining)
    finally:
        remove()
        if not done.done():
            done.cancel()
    _LOGGER.debug("Scan found %d sockets", len(found))
    return sorted(found.values(), key=lambda s: s.host)


async def probe_host(endpoint: S20Endpoint, host: str, *, timeout_s: float = 2.0) -> DiscoveredSocket | None:
    """Ask one host for its identity with a unicast `qa` (learns the MAC of a manual entry)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[DiscoveredSocket] = loop.create_future()

    def on_reply(reply: DiscoveryReply, source: str) -> None:
        if source == host and not future.done():
            future.set_result(_found(reply, source))

    remove = endpoint.add_discovery_listener(on_reply)
    try:
        interval = 0.25
        # A timeout around the loop rather than a deadline checked in it: a deadline less than the
        # clock's resolution away would make the waits return at once, for ever.
        async with asyncio.timeout(timeout_s):
            while not future.done():
                endpoint.send(DiscoverRequest(), host)
                await asyncio.wait({future}, timeout=interval)
                interval = min(interval * 2, 1.0)
        return future.result()
    except TimeoutError:
        return None
    finally:
        remove()
        if not future.done():
            future.cancel()


async def probe_mac(endpoint: S20Endpoint, mac: Mac, *, timeout_s: float = 2.0) -> DiscoveredSocket | None:
    """Broadcast `qg` for one MAC and return its reply (used for sockets on another subnet)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[DiscoveredSocket] = loop.create_future()

    def on_reply(reply: DiscoveryReply, host: str) -> None:
        if reply.mac == mac and not future.done():
            future.set_result(_found(reply, host))

    remove = endpoint.add_discovery_listener(on_reply)
    try:
        for _ in range(3):
            endpoint.broadcast(DiscoverMacRequest(mac=mac))
            await asyncio.wait({future}, timeout=timeout_s / 3)
            if future.done():
                return future.result()
        return None
    finally:
        remove()
        if not future.done():
            future.cancel()
