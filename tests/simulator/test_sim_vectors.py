"""The captured requests of the real socket ac:cf:23:35:e6:aa, answered by the simulator.

Where the capture holds the real answer, the simulator's bytes must equal it; elsewhere the
answer must decode to the expected message (tests/protocol/vectors.json, PROTOCOL.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path

import pytest
from sim_peer import Peer

from custom_components.orvibo_s20.protocol import (
    Ack,
    Command,
    CountdownReply,
    DiscoveryReply,
    Mac,
    PowerState,
    SocketDataReply,
    SubscribeReply,
    TableListReply,
    decode_from_device,
)
from simulator import Simulator, VirtualSocket

VECTORS = json.loads((Path(__file__).parents[1] / "protocol" / "vectors.json").read_text())
MAC = Mac.parse("ac:cf:23:35:e6:aa")
BROADCAST = "127.255.255.255"


def vector(name: str) -> bytes:
    """Return the bytes of the captured vector with this name."""
    matches = [v for v in VECTORS if v["name"] == name and v["kind"] == "capture"]
    assert len(matches) == 1, name
    return bytes.fromhex(matches[0]["hex"])


def template(name: str, mac: Mac) -> bytes:
    """Return a template vector with its MAC placeholder filled in."""
    (entry,) = [v for v in VECTORS if v["name"] == name and v["kind"] == "template"]
    return bytes.fromhex(entry["hex"].replace("XXXXXXXXXXXX", mac.raw.hex()))


@pytest.fixture
def captured(sim: Simulator) -> VirtualSocket:
    """The socket of the captures, with the table 4 it had right after pairing."""
    fresh = decode_from_device(vector("rt table 4 reply from a freshly paired socket (name unset)"))
    assert isinstance(fresh, SocketDataReply)
    return sim.add_socket(ip="127.0.0.2", mac=MAC, state=True, socket_data=fresh.data)


async def _ask(peer: Peer, request: bytes, device: VirtualSocket) -> bytes:
    peer.send(request, device.ip)
    data, host = await peer.recv_raw()
    assert host == device.ip
    return data


async def test_captured_discovery(captured: VirtualSocket, peer: Peer) -> None:
    locked = vector("qg reply while socket is locked (discoverable=00)")
    captured.set_clock(int.from_bytes(locked[37:41], "little"))
    peer.send(vector("qa global discovery request"), BROADCAST)
    data, _ = await peer.recv_raw()
    # Same bytes as the real reply, but for the command and the ticking clock.
    assert data[:4] + data[6:37] + data[41:] == locked[:4] + locked[6:37] + locked[41:]
    assert data[4:6] == b"qa"
    await peer.collect(0.3)  # rest of the burst
    peer.send(vector("qg targeted discovery request"), BROADCAST)
    data, _ = await peer.recv_raw()
    assert data[:37] + data[41:] == locked[:37] + locked[41:]
    assert len(await peer.collect(0.3)) == 9


async def test_captured_session(captured: VirtualSocket, peer: Peer) -> None:
    assert await _ask(peer, vector("cl subscribe request (LAN)"), captured) == vector("cl subscribe reply, state on")
    assert await _ask(peer, vector("rt read table 4 request"), captured) == vector(
        "rt table 4 reply from a freshly paired socket (name unset)"
    )
    table_list = decode_from_device(await _ask(peer, vector("rt read table 1 request"), captured))
    assert isinstance(table_list, TableListReply) and [t.table for t in table_list.tables] == [4]
    hb = decode_from_device(await _ask(peer, vector("hb heartbeat request (LAN app, every 30 s)"), captured))
    assert hb == Ack(command=Command.HEARTBEAT, mac=MAC, session=bytes.fromhex("36e72f12"))
    # dc: the no-cloud ack, then the push, twice.
    assert await _ask(peer, vector("dc power on request"), captured) == vector("dc ack reply (no cloud connection)")
    pushes = [await peer.recv_raw() for _ in range(2)]
    assert pushes == [(vector("sf state push, on"), captured.ip)] * 2
    # A socket logged in to the cloud answers 01 00 00 00 instead (§3.4).
    captured.cloud_connected = True
    assert await _ask(peer, vector("dc power on request"), captured) == vector("dc ack reply (cloud connected)")
    await peer.collect(0.1)
    assert await _ask(peer, vector("ts timezone set request"), captured) == vector("ts timezone set reply")
    block = captured.socket_data.timezone_block
    assert block is not None and (block.tz_index, block.std_offset_s) == (181, 3600)


async def test_captured_table_4_writes(captured: VirtualSocket, peer: Peer) -> None:
    await _ask(peer, vector("cl subscribe request (LAN)"), captured)
    for name in (
        "tm write table 4 (rename to neworbivo12346)",
        "tm write table 4 setting DST flag 00 and timezone +1",
        "tm write table 4 locking the socket (discoverable 00)",
    ):
        ack = decode_from_device(await _ask(peer, vector(name), captured))
        assert ack == Ack(command=Command.WRITE_TABLE, mac=MAC)
    data = captured.socket_data
    assert data.name == "neworbivo12346" and data.discoverable is False
    assert captured.table_versions[4] == 4
    reply = decode_from_device(await _ask(peer, vector("rt read table 4 request"), captured))
    assert isinstance(reply, SocketDataReply) and reply.data == data


async def test_captured_clock_and_countdown(captured: VirtualSocket, peer: Peer) -> None:
    await _ask(peer, vector("cl subscribe request (LAN)"), captured)
    cs = decode_from_device(await _ask(peer, vector("cs clock set request"), captured))
    assert cs == Ack(command=Command.CLOCK, mac=MAC, session=bytes.fromhex("73fb3212"))
    assert abs(captured.clock - 0xDA5790DC) <= 1  # 2016-01-30T19:43:24Z
    cd = decode_from_device(await _ask(peer, vector("cd countdown query from cloud"), captured))
    assert cd == CountdownReply(mac=MAC, mode=0, action=None, seconds=0, session=bytes.fromhex("7156c74d"))
    cd = decode_from_device(await _ask(peer, template("cd countdown query template", MAC), captured))
    assert isinstance(cd, CountdownReply) and cd.action is None


async def test_timer_templates(captured: VirtualSocket, peer: Peer) -> None:
    await _ask(peer, vector("cl subscribe request (LAN)"), captured)
    ack = Ack(command=Command.WRITE_TABLE, mac=MAC)
    assert decode_from_device(await _ask(peer, template("tm add timer (table 3, op 0000)", MAC), captured)) == ack
    timer = captured.timers[0x2ECC]
    assert (timer.action, timer.at.isoformat(), timer.repeat) == (PowerState.ON, "05:08:03", 0xFF)
    assert decode_from_device(await _ask(peer, template("tm update timer (table 3, op 0001)", MAC), captured)) == ack
    assert decode_from_device(await _ask(peer, template("tm delete timer (table 3, op 0002)", MAC), captured)) == ack
    assert set(captured.timers) == {0x2ECC}


async def test_requests_that_get_no_answer(captured: VirtualSocket, peer: Peer, sim: Simulator) -> None:
    await _ask(peer, vector("cl subscribe request (LAN)"), captured)
    peer.send(vector("mp modify remote password request (LAN)"), captured.ip)
    peer.send(vector("lt from app (no reply observed)"), captured.ip)
    # What the socket sends is not a request: a second socket's announcement is malformed input.
    peer.send(vector("qa unsolicited announcement after boot"), BROADCAST)
    await peer.expect_nothing()
    assert sim.counters.ignored_unsupported == 2 and sim.counters.malformed == 1


@pytest.mark.parametrize("name", ["qa discovery reply SOC002 state on", "cl subscribe reply"])
async def test_old_firmware_socket(sim: Simulator, peer: Peer, make_peer: Callable[[str], Peer], name: str) -> None:
    """NZ's 2014 socket (fw 10): its replies decode the same way."""
    (entry,) = [v for v in VECTORS if v["name"] == name]
    expected = decode_from_device(bytes.fromhex(entry["hex"]))
    old = sim.add_socket(ip="127.0.0.3", mac=expected.mac, firmware="old", state=name.endswith("on"))
    if isinstance(expected, DiscoveryReply):
        peer.send(bytes.fromhex("686400067161"), old.ip)
    else:
        peer.send(bytes.fromhex("6864001e636caccf232419c0202020202020c0192423cfac202020202020"), old.ip)
    reply = decode_from_device((await peer.recv_raw())[0])
    assert isinstance(reply, DiscoveryReply | SubscribeReply) and isinstance(expected, DiscoveryReply | SubscribeReply)
    assert (type(reply), reply.mac, reply.state) == (type(expected), expected.mac, expected.state)
