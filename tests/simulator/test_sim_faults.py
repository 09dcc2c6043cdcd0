"""Seeded network faults and the loopback-only safety rule."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sim_peer import FAST, Peer

from custom_components.orvibo_s20.protocol import Ack, HeartbeatRequest, PowerRequest, PowerState, SubscribeRequest
from simulator import Faults, Simulator
from simulator.control import ControlServer
from simulator.faults import FaultInjector
from simulator.server import LoopbackServer


def _fates(seed: int, n: int = 200) -> list[tuple[float, ...]]:
    injector = FaultInjector(Faults(loss_to_device=0.3, duplicate=0.1, jitter_s=0.01, reorder=0.1), seed)
    return [injector.to_device() for _ in range(n)]


def test_faults_are_reproducible_from_the_seed() -> None:
    assert _fates(1) == _fates(1)
    assert _fates(1) != _fates(2)
    fates = _fates(1, 2000)
    lost = sum(1 for f in fates if not f)
    assert 0.2 < lost / 2000 < 0.4
    assert any(len(f) == 2 for f in fates)  # duplicates
    assert any(d >= 0.05 for f in fates for d in f)  # held back for reordering


def test_clean_network_is_the_fast_path() -> None:
    injector = FaultInjector(Faults(), seed=None)
    assert injector.to_device() == injector.from_device() == (0.0,)
    with pytest.raises(ValueError, match="probability"):
        Faults(loss_to_device=1.5)


async def test_loss_to_device_drops_requests(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    sim.set_faults(Faults(loss_to_device=1.0))
    peer.send(SubscribeRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing()
    assert sim.counters.dropped_loss == 1 and vs.counters.received == 0


async def test_loss_from_device_drops_replies_not_actions(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    sim.faults = Faults(loss_from_device=1.0)
    peer.send(PowerRequest(mac=vs.mac, state=PowerState.ON), vs.ip)
    await peer.expect_nothing()
    assert vs.state is True  # the socket switched; the controller just never heard
    assert sim.counters.dropped_loss == 3  # ack + two sf


async def test_seeded_loss_over_udp_is_reproducible(sockets_allowed: None) -> None:
    async def run() -> list[bool]:
        port = Simulator.free_port()
        async with Simulator(port=port, seed=42, timing=FAST, faults=Faults(loss_to_device=0.3, loss_from_device=0.3)) as sim:
            vs = sim.add_socket(ip="127.0.0.2")
            peer = Peer("127.0.0.1", port)
            try:
                outcome = []
                while not vs.subscribers:  # cl until one gets through
                    peer.send(SubscribeRequest(mac=vs.mac), vs.ip)
                    await peer.collect(0.03)
                for _ in range(30):
                    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
                    outcome.append(bool(await peer.collect(0.03)))
                return outcome
            finally:
                peer.close()

    first = await run()
    assert first == await run()
    assert 0 < sum(first) < 30


async def test_duplicates_and_latency(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    sim.faults = Faults(duplicate=1.0, latency_from_device_s=0.1)
    start = asyncio.get_running_loop().time()
    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
    got = await peer.collect(0.4)
    # The request arrives twice, and each of its two acks is sent twice.
    assert [m for m, _, _ in got] == [Ack(command=HeartbeatRequest.command, mac=vs.mac)] * 4
    assert got[0][2] - start >= 0.09
    assert sim.counters.duplicated == 3
    assert vs.counters.received == 1 + 2  # cl, then the hb twice


async def test_only_the_loopback_lan(sockets_allowed: None) -> None:
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        Simulator(broadcast="192.168.1.255")
    sim = Simulator(port=0, timing=FAST)
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        sim.add_socket(ip="192.168.1.20")
    with pytest.raises(ValueError, match="reserved"):
        sim.add_socket(ip="127.0.0.1")
    sim.add_socket(ip="127.0.0.2")
    with pytest.raises(ValueError, match="already used"):
        sim.add_socket(ip="127.0.0.2")
    with pytest.raises(ValueError, match="already exists"):
        sim.add_socket(ip="127.0.0.3", mac="ac:cf:23:00:00:02")
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        sim.move("127.0.0.2", "10.0.0.2")
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        ControlServer(sim, "0.0.0.0", 0)
    server = LoopbackServer(bind="127.0.0.1", port=0, handler=lambda *args: None)
    with pytest.raises(ValueError, match="127.0.0.0/8"):
        server.send(b"x", "127.0.0.2", "8.8.8.8", 10000)


def test_reply_jitter_is_seeded() -> None:
    timing = replace(FAST, reply_delay_s=0.01, reply_jitter_s=0.2)
    delays = [Simulator(seed=3, timing=timing).reply_delay() for _ in range(2)]
    assert delays[0] == delays[1]
    sim = Simulator(seed=3, timing=timing)
    many = [sim.reply_delay() for _ in range(200)]
    assert all(0.01 <= d < 0.21 for d in many) and max(many) - min(many) > 0.1
    assert Simulator(timing=FAST).reply_delay() == 0.0
