"""The simulated AllOne against the AllOne's real frames, from a raw UDP controller and the control port.

Requests are the captured ones (tavalin/orvibo-sdk's `ls`, the libraries' `ic` layout) with the
simulated AllOne's MAC, so the simulator answers what a real AllOne was seen to answer.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import replace
import os
from pathlib import Path
import signal
import subprocess
import sys

import pytest
from sim_peer import Peer

from custom_components.orvibo_s20.protocol import (
    ButtonPress,
    DiscoverRequest,
    DiscoveryReply,
    EmitAck,
    EmitRequest,
    LearnAck,
    LearnedCode,
    LearnRequest,
    PowerRequest,
    PowerState,
    RfAck,
    RfRequest,
    SubscribeReply,
    decode_from_client,
    encode,
)
from simulator import Simulator
from simulator.control import ControlClient, ControlError, ControlServer

ROOT = Path(__file__).resolve().parents[2]
CODE = bytes.fromhex("00000000980000000000000000008800142375113802")


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[ControlClient]:
    server = ControlServer(sim, "127.0.0.1", 0)
    await server.start()
    client = ControlClient("127.0.0.1", server.port)
    yield client
    await client.close()
    await server.stop()


async def test_discovery_reply_is_41_bytes_without_state(sim: Simulator, peer: Peer) -> None:
    """An AllOne answers `qa` with its IRD product id and no relay byte (TV's captured reply)."""
    allone = sim.add_allone(ip="127.0.0.2")
    peer.send(DiscoverRequest(), "127.0.0.2")
    raw, host = await peer.recv_raw()
    assert host == "127.0.0.2" and len(raw) == 41
    reply, _ = await peer.recv()
    assert reply == DiscoveryReply(mac=allone.mac, product_id="IRD013", clock=allone.clock, state=None)


async def test_learning_dialogue(sim: Simulator, peer: Peer) -> None:
    """`ls` (TV's request bytes): ack, learning mode; the code pointed at it comes back once, learning ends."""
    allone = sim.add_allone(ip="127.0.0.2")
    await peer.subscribe(allone)
    request = bytes.fromhex("686400186c73") + allone.mac.raw + b"      " + bytes.fromhex("010000000000")
    assert decode_from_client(request) == LearnRequest(mac=allone.mac)
    peer.send(request, "127.0.0.2")
    assert (await peer.recv())[0] == LearnAck(mac=allone.mac)
    assert allone.learning
    assert allone.point_code(CODE)
    assert (await peer.recv())[0] == LearnedCode(mac=allone.mac, code=CODE)
    assert not allone.learning
    assert not allone.point_code(CODE)  # no longer learning: nothing sent
    await peer.expect_nothing()


async def test_learning_mode_ends_after_its_window(sim: Simulator, peer: Peer) -> None:
    """Learning mode lasts `learn_window_s`; a code pointed later is not learned."""
    allone = sim.add_allone(ip="127.0.0.2")
    await peer.subscribe(allone)
    peer.send(LearnRequest(mac=allone.mac), "127.0.0.2")
    await peer.recv()
    await asyncio.sleep(sim.timing.learn_window_s + 0.1)
    assert not allone.point_code(CODE)
    await peer.expect_nothing()


async def test_emit_acks_with_the_id_and_emits_once_per_id(sim: Simulator, peer: Peer) -> None:
    """Each `ic` is acked with its id; a repeat of the last id is acked but not emitted again (GD-js)."""
    allone = sim.add_allone(ip="127.0.0.2")
    await peer.subscribe(allone)
    for request_id in (0x6A5A, 0x6A5A, 0x0102):
        peer.send(EmitRequest(mac=allone.mac, code=CODE, request_id=request_id), "127.0.0.2")
        assert (await peer.recv())[0] == EmitAck(mac=allone.mac, request_id=request_id)
    assert [(e.code, e.request_id) for e in allone.emitted] == [(CODE, 0x6A5A), (CODE, 0x0102)]
    assert allone.counters.emits_refused == 1


async def test_rf_is_answered_and_emitted(sim: Simulator, peer: Peer) -> None:
    """An RF `dc` comes back with its fields; the RF code goes out."""
    allone = sim.add_allone(ip="127.0.0.2")
    await peer.subscribe(allone)
    request = RfRequest(mac=allone.mac, state=PowerState.ON, rf_id=b"\xab\xcd\xef", request_id=9)
    peer.send(request, "127.0.0.2")
    assert (await peer.recv())[0] == RfAck(mac=allone.mac, state=PowerState.ON, rf_id=b"\xab\xcd\xef", request_id=9)
    assert [(e.kind, e.code, e.state) for e in allone.emitted] == [("rf", b"\xab\xcd\xef", True)]


async def test_no_relay_and_no_control_without_subscription(sim: Simulator, peer: Peer) -> None:
    """A socket's `dc` does nothing; `ls`/`ic` from a peer that did not subscribe are ignored."""
    allone = sim.add_allone(ip="127.0.0.2")
    peer.send(LearnRequest(mac=allone.mac), "127.0.0.2")
    peer.send(EmitRequest(mac=allone.mac, code=CODE, request_id=1), "127.0.0.2")
    await peer.expect_nothing()
    assert allone.counters.ignored_unsubscribed == 2
    await peer.subscribe(allone)
    peer.send(PowerRequest(mac=allone.mac, state=PowerState.ON), "127.0.0.2")
    await peer.expect_nothing()
    assert allone.emitted == [] and not allone.learning


async def test_button_sends_di_to_subscribers(sim: Simulator, peer: Peer) -> None:
    """Its button: a `di` to each subscriber."""
    allone = sim.add_allone(ip="127.0.0.2")
    await peer.subscribe(allone)
    assert allone.press_button() is False
    assert (await peer.recv())[0] == ButtonPress(mac=allone.mac)


async def test_sleeps_after_idle_and_drops_the_first_datagram(sim: Simulator, peer: Peer) -> None:
    """Idle longer than allone_sleep_after_s: the next datagram only wakes it, the one after is answered."""
    sim.timing = replace(sim.timing, allone_sleep_after_s=30.0, subscription_timeout_s=240.0)
    allone = sim.add_allone(ip="127.0.0.2")
    await peer.subscribe(allone)
    await asyncio.sleep(31.0)
    emit = EmitRequest(mac=allone.mac, code=CODE, request_id=5)
    peer.send(emit, "127.0.0.2")
    await peer.expect_nothing()
    assert allone.counters.dropped_asleep == 1 and sim.counters.dropped_asleep == 1
    peer.send(emit, "127.0.0.2")
    assert (await peer.recv())[0] == EmitAck(mac=allone.mac, request_id=5)
    assert len(allone.emitted) == 1


async def test_control_port_learn_emitted_and_press(sim: Simulator, control: ControlClient, peer: Peer) -> None:
    """`add` kind allone, `learn` (base64), `emitted`, `press` and `get` over the control port."""
    summary = await control.request({"op": "add", "kind": "allone", "ip": "127.0.0.2", "name": "Living room"})
    assert summary["kind"] == "allone" and summary["product_id"] == "IRD013"
    allone = sim.allone("127.0.0.2")
    assert await control.learn(summary["mac"], CODE) is False  # not learning yet
    await peer.subscribe(allone)
    peer.send(LearnRequest(mac=allone.mac), "127.0.0.2")
    await peer.recv()
    assert (await control.get(summary["mac"]))["learning"] is True
    assert await control.learn(summary["mac"], CODE) is True
    assert (await peer.recv())[0] == LearnedCode(mac=allone.mac, code=CODE)
    peer.send(EmitRequest(mac=allone.mac, code=CODE, request_id=77), "127.0.0.2")
    await peer.recv()
    emitted = await control.emitted(summary["mac"])
    assert [(e["kind"], base64.b64decode(e["code"]), e["request_id"]) for e in emitted] == [("ir", CODE, 77)]
    assert (await control.request({"op": "press", "mac": summary["mac"]}))["state"] is False
    assert (await peer.recv())[0] == ButtonPress(mac=allone.mac)
    with pytest.raises(ControlError, match="base64"):
        await control.request({"op": "learn", "mac": summary["mac"], "code": "not base64!"})
    socket = sim.add_socket(ip="127.0.0.3")
    with pytest.raises(ControlError, match="not an AllOne"):
        await control.request({"op": "emitted", "mac": str(socket.mac)})


async def test_subscribe_reply_carries_no_state(sim: Simulator, peer: Peer) -> None:
    """Its `cl` reply is the socket's 24 bytes with 00 where a socket puts its relay state."""
    allone = sim.add_allone(ip="127.0.0.2")
    assert await peer.subscribe(allone) == SubscribeReply(mac=allone.mac, state=PowerState.OFF)
    assert encode(SubscribeReply(mac=allone.mac, state=PowerState.OFF))[-6:] == bytes(6)


@pytest.mark.wall_clock  # the simulator runs in its own process
async def test_module_entry_point_with_an_allone(sockets_allowed: None, port: int) -> None:
    """`python -m simulator --allones 1`: the AllOne on the IP after the sockets, listed with its kind."""
    control_port = Simulator.free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulator", "--port", str(port), "--sockets", "2", "--allones", "1",
        "--first-ip", "127.0.0.5", "--control", f"127.0.0.1:{control_port}",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 20)).decode().split(maxsplit=2) for _ in range(3)]
        assert lines[2] == ["127.0.0.7", "ac:cf:23:00:00:07", "AllOne 1\n"]
        client = ControlClient("127.0.0.1", control_port)
        try:
            kinds = [(d["ip"], d["kind"], d["product_id"]) for d in await client.sockets()]
            assert kinds == [("127.0.0.5", "socket", "SOC005"), ("127.0.0.6", "socket", "SOC005"),
                             ("127.0.0.7", "allone", "IRD013")]
        finally:
            await client.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20)
    assert code == 0
