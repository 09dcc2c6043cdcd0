"""`bind_each`: the simulator shares its port with a controller bound to 0.0.0.0 (the `orvibo` library)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sim_peer import FAST, Peer

from custom_components.orvibo_s20.protocol import DiscoverRequest, DiscoveryReply, SubscribeReply
from simulator import Simulator


@pytest.fixture
async def sim_each(sockets_allowed: None, port: int) -> AsyncIterator[Simulator]:
    simulator = Simulator(port=port, seed=1, timing=FAST, bind_each=True)
    simulator.add_socket()
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_wildcard_controller_and_per_address_sockets_share_the_port(sim_each: Simulator, port: int) -> None:
    # Bound after the simulator, as the incumbent does at import: only the wildcard address.
    wildcard = Peer("0.0.0.0", port)
    other = Peer("127.0.0.250", port)
    try:
        device = next(iter(sim_each))
        reply = await wildcard.subscribe(device)  # reached the simulator, not the wildcard itself
        assert reply.mac == device.mac
        assert sim_each.counters.received == 1
        # A second controller on its own address gets its replies; the wildcard gets none of them.
        assert isinstance((await other.subscribe(device)), SubscribeReply)
        await wildcard.expect_nothing()
    finally:
        wildcard.close()
        other.close()


async def test_a_socket_added_or_moved_while_running_is_served(
    sim_each: Simulator, make_peer: Callable[[str], Peer]
) -> None:
    peer = make_peer("127.0.0.1")
    added = sim_each.add_socket(ip="127.0.0.7")
    assert (await peer.subscribe(added)).mac == added.mac
    sim_each.move(added.mac, "127.0.0.9")
    await peer.collect(0.1)  # the move's announcements, if any
    assert (await peer.subscribe(added)).mac == added.mac


async def test_broadcasts_still_reach_every_socket(sim_each: Simulator, make_peer: Callable[[str], Peer]) -> None:
    peer = make_peer("127.0.0.1")
    sim_each.add_socket()
    peer.send(DiscoverRequest(), sim_each.broadcast)
    got = await peer.collect(0.5)
    assert {host for message, host, _ in got if isinstance(message, DiscoveryReply)} == {s.ip for s in sim_each}
