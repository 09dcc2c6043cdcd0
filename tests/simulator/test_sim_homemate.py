"""A HomeMate device on the loopback LAN: it sends its real captured `pk`/`dk` frame, nothing else.

It broadcasts the frame when plugged in (and every `announce_every_s`), answers every datagram
that reaches it with it, unicast or broadcast, and never passes for an S20.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from sim_peer import Peer

from custom_components.orvibo_s20.protocol import DecodeError, DiscoverRequest, DiscoveryReply, decode_from_device
from custom_components.orvibo_s20.protocol.families import decode_homemate
from simulator import Simulator
from simulator.control import ControlClient, ControlServer
from simulator.homemate import HEARTBEAT_FRAME, HELLO_FRAME

BROADCAST = "127.255.255.255"


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[ControlClient]:
    server = ControlServer(sim, "127.0.0.1", 0)
    await server.start()
    client = ControlClient("127.0.0.1", server.port)
    yield client
    await client.close()
    await server.stop()


async def test_a_homemate_device_broadcasts_and_answers_with_its_frame(
    sim: Simulator, control: ControlClient, peer: Peer, make_peer: Callable[[str], Peer]
) -> None:
    listener = make_peer(BROADCAST)
    assert await control.request({"op": "add_homemate", "ip": "127.0.0.40"}) == {"ok": True, "ip": "127.0.0.40"}
    homemate = sim.homemates["127.0.0.40"]
    assert await listener.recv_raw() == (HELLO_FRAME, "127.0.0.40")  # plugged in
    assert decode_homemate(HELLO_FRAME).command == "pk"
    with pytest.raises(DecodeError):
        decode_from_device(HELLO_FRAME)

    lamp = sim.add_socket(ip="127.0.0.2")
    peer.send(DiscoverRequest(), "127.0.0.40")
    assert await peer.recv_raw() == (HELLO_FRAME, "127.0.0.40")
    peer.send(DiscoverRequest(), BROADCAST)  # the lamp answers too, and its burst is S20 frames
    frames = [await peer.recv_raw() for _ in range(11)]
    assert frames.count((HELLO_FRAME, "127.0.0.40")) == 1
    assert {type(decode_from_device(data)) for data, host in frames if host == lamp.ip} == {DiscoveryReply}
    assert (homemate.heard, homemate.sent) == (2, 3)
    assert (sim.counters.malformed, sim.counters.unreachable) == (0, 0)


async def test_a_homemate_device_that_sends_heartbeats(
    sim: Simulator, control: ControlClient, make_peer: Callable[[str], Peer]
) -> None:
    listener = make_peer(BROADCAST)
    await control.request({"op": "add_homemate", "frame": "heartbeat", "announce_every_s": 0.5})
    (ip,) = sim.homemates  # the first free address
    assert ip == "127.0.0.2"
    got = [await listener.recv_raw() for _ in range(3)]  # at 0, 0.5 and 1 s
    assert got == [(HEARTBEAT_FRAME, ip)] * 3
    assert decode_homemate(HEARTBEAT_FRAME).command == "dk"
    with pytest.raises(ValueError, match="already used by a HomeMate device"):
        sim.add_socket(ip=ip)
    assert sim.add_socket().ip == "127.0.0.3"
    sim.remove_homemate(ip)
    await listener.expect_nothing(1.0)
