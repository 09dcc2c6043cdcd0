"""The control port (JSON lines over loopback TCP) and `python -m simulator`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import os
from pathlib import Path
import signal
import subprocess
import sys

import pytest
from sim_peer import Peer

from custom_components.orvibo_s20.protocol import Mac, PowerState, StateReport, SubscribeReply, SubscribeRequest
from simulator import Simulator
from simulator.control import ControlClient, ControlError, ControlServer, control_request

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[ControlClient]:
    server = ControlServer(sim, "127.0.0.1", 0)
    await server.start()
    client = ControlClient("127.0.0.1", server.port)
    yield client
    await client.close()
    await server.stop()


async def test_list_get_press(sim: Simulator, control: ControlClient, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2", name="Lamp")
    sockets = await control.sockets()
    assert sockets == [
        {"firmware": "new", "ip": "127.0.0.2", "kind": "socket", "mac": str(vs.mac), "name": "Lamp", "online": True,
         "product_id": "SOC005", "state": False},
    ]
    await peer.subscribe(vs)
    assert await control.press(str(vs.mac)) is True
    assert (await peer.recv())[0] == StateReport(mac=vs.mac, state=PowerState.ON)
    detail = await control.get("127.0.0.2")
    assert detail["state"] is True and detail["subscribers"] == ["127.0.0.1"]
    assert detail["socket_data"]["record_length"] == 190 and detail["countdown"] is None
    assert detail["counters"]["button_presses"] == 1


async def test_faults_add_move_offline_reboot(sim: Simulator, control: ControlClient, peer: Peer) -> None:
    faults = await control.set_faults(loss=0.25, latency_s=0.001)
    assert faults["loss_to_device"] == faults["loss_from_device"] == 0.25
    assert sim.faults.latency_to_device_s == 0.001
    await control.set_faults(loss=0.0, latency_s=0.0)
    added = await control.request({"op": "add", "ip": "127.0.0.9", "firmware": "old", "name": "Fan"})
    assert added["mac"] == "ac:cf:23:00:00:09" and sim.get("127.0.0.9").socket_data.record_length == 138
    await control.move(added["mac"], "127.0.0.10")
    assert sim.get(added["mac"]).ip == "127.0.0.10"
    await control.set_online(added["mac"], False)
    assert sim.get(added["mac"]).online is False
    await control.set_online(added["mac"], True)
    await control.reboot(added["mac"], wait=True)
    assert sim.get(added["mac"]).online is True and sim.get(added["mac"]).counters.reboots == 1
    timing = await control.request({"op": "timing", "subscription_timeout_s": 2.0})
    assert timing["timing"]["subscription_timeout_s"] == 2.0 == sim.timing.subscription_timeout_s


async def test_errors(sim: Simulator, control: ControlClient) -> None:
    with pytest.raises(ControlError, match="no such socket"):
        await control.press("ac:cf:23:99:99:99")
    with pytest.raises(ControlError, match="outside 127.0.0.0/8"):
        await control.request({"op": "add", "ip": "192.168.1.20"})
    with pytest.raises(ControlError, match="probability"):
        await control.set_faults(loss=2.0)
    vs = sim.add_socket()
    with pytest.raises(ControlError, match="unknown op"):
        await control.request({"op": "explode", "mac": vs.ip})
    with pytest.raises(ControlError, match="needs a socket"):
        await control.request({"op": "press"})
    assert (await control.request({"op": "counters"}))["counters"]["sent"] == 0


@pytest.mark.wall_clock  # the simulator runs in its own process
async def test_module_entry_point(sockets_allowed: None, port: int) -> None:
    control_port = Simulator.free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulator", "--port", str(port), "--sockets", "3", "--first-ip", "127.0.0.5",
        "--control", f"127.0.0.1:{control_port}", "--subscription-timeout", "30", "--seed", "7",
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 20)).decode().split(maxsplit=2) for _ in range(3)]
        assert [line[:2] for line in lines] == [
            ["127.0.0.5", "ac:cf:23:00:00:05"], ["127.0.0.6", "ac:cf:23:00:00:06"], ["127.0.0.7", "ac:cf:23:00:00:07"],
        ]
        assert lines[0][2].strip() == "Socket 1"
        client = ControlClient("127.0.0.1", control_port)
        sockets = await client.sockets()
        assert len(sockets) == 3
        peer = Peer("127.0.0.1", port)
        try:
            peer.send(SubscribeRequest(mac=Mac.parse(sockets[1]["mac"])), "127.0.0.6")
            message, host = await peer.recv(5)
            assert isinstance(message, SubscribeReply) and host == "127.0.0.6"
            assert await client.press(sockets[1]["mac"]) is True
            assert (await peer.recv(5))[0] == StateReport(mac=message.mac, state=PowerState.ON)
            assert (await client.get(sockets[1]["mac"]))["subscribers"] == ["127.0.0.1"]
            # The synchronous helper, for scripts (blocking is fine: the server is another process).
            answer = control_request({"op": "press", "mac": sockets[1]["mac"]}, "127.0.0.1", control_port)
            assert answer == {"ok": True, "state": False}
        finally:
            peer.close()
            await client.close()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20)
    assert code == 0

