"""Spoofed replies, a flood of malformed datagrams, and fuzzing of the live endpoint."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import json
from pathlib import Path
import random
import socket
import time

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import (
    Ack,
    Command,
    DecodeError,
    DiscoveryReply,
    Mac,
    PowerState,
    S20TimeoutError,
    StateReport,
    SubscribeReply,
    decode_from_device,
    encode,
)
from simulator import Simulator
from tests.client.conftest import FAST, wait_for

MAC = Mac.parse("ac:cf:23:00:00:02")
STRANGER = "127.0.0.66"
FRAMES = tuple(
    bytes.fromhex(v["hex"])
    for v in json.loads((Path(__file__).parent.parent / "protocol" / "vectors.json").read_text())
    if v.get("hex") and v.get("kind") != "template"  # templates hold placeholders, not hex
)


def _spoof(sender: socket.socket, simulator: Simulator, *messages: object) -> None:
    for message in messages:
        sender.sendto(encode(message), ("127.0.0.1", simulator.port))  # type: ignore[arg-type]


async def test_spoofed_push_from_wrong_ip_is_ignored_and_counted(
    simulator: Simulator, endpoint: S20Endpoint, raw_sender: socket.socket
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", mac=MAC)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert await client.subscribe() is False
    calls: list[bool | None] = []
    client.add_listener(lambda: calls.append(client.state))
    _spoof(raw_sender, simulator, StateReport(mac=MAC, state=PowerState.ON))
    # An announcement of the MAC from elsewhere reaches discovery listeners, never the client.
    _spoof(raw_sender, simulator, DiscoveryReply(command=Command.DISCOVER, mac=MAC, product_id="SOC005",
                                                 clock=0, state=PowerState.ON))
    _spoof(raw_sender, simulator, StateReport(mac=Mac.parse("ac:cf:23:99:99:99"), state=PowerState.ON))
    await wait_for(lambda: endpoint.stats.spoofed == 1 and endpoint.stats.unknown_mac == 1)
    assert client.state is False and calls == [] and client.host == "127.0.0.2"
    vs.press_button()  # the real socket's push still gets through
    await wait_for(lambda: client.state is True)
    await client.stop()


async def test_spoofed_confirmation_does_not_confirm(
    simulator: Simulator, endpoint: S20Endpoint, raw_sender: socket.socket
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", mac=MAC)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=0.5))
    await client.subscribe()
    simulator.set_online(vs.mac, False)
    command = asyncio.create_task(client.set_power(True))

    async def forge() -> None:
        # Everything that would confirm a power on, from the wrong IP, over and over.
        while not command.done():
            _spoof(raw_sender, simulator, Ack(command=Command.POWER, mac=MAC), StateReport(mac=MAC, state=PowerState.ON),
                   SubscribeReply(mac=MAC, state=PowerState.ON))
            await asyncio.sleep(0.02)

    forger = asyncio.create_task(forge())
    with pytest.raises(S20TimeoutError):
        await command
    await forger
    assert vs.state is False and client.state is False
    assert endpoint.stats.spoofed >= 3
    await client.stop()


def _junk(rng: random.Random) -> bytes:
    """A datagram the codec must refuse (checked), of one of several shapes."""
    while True:
        shape = rng.randrange(4)
        if shape == 0:
            data = rng.randbytes(rng.randrange(0, 120))
        elif shape == 1:  # magic and a lying length
            body = rng.randbytes(rng.randrange(0, 60))
            data = b"hd" + (len(body) + 4 + rng.randrange(1, 50)).to_bytes(2, "big") + body
        elif shape == 2:  # a real frame cut short
            frame = rng.choice(FRAMES)
            data = frame[: rng.randrange(0, len(frame))]
        else:  # a real frame with an unknown command
            frame = bytearray(rng.choice(FRAMES))
            frame[4:6] = b"zz"
            data = bytes(frame)
        try:
            decode_from_device(data)
        except DecodeError:
            if not (data[4:6] in (b"qa", b"qg") and len(data) in (6, 18)):  # our own broadcasts are not counted
                return data


async def test_malformed_flood_while_commands_run(
    simulator: Simulator, endpoint: S20Endpoint, raw_sender: socket.socket
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", mac=MAC)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    rng = random.Random(5)
    junk = [_junk(rng) for _ in range(10_000)]
    cpu0 = time.process_time()

    async def flood() -> None:
        for start in range(0, len(junk), 50):
            for data in junk[start : start + 50]:
                raw_sender.sendto(data, ("127.0.0.1", simulator.port))
            # Paced by what was read, so the kernel never drops any for a full buffer. Polled
            # without a sleep: loop time stands still while the commands keep the loop busy.
            await wait_for(lambda: endpoint.stats.malformed >= start - 50, timeout=5.0, poll=0)

    flooding = asyncio.create_task(flood())
    commands = 0
    while not flooding.done() or commands < 10:
        wanted = commands % 2 == 0
        await client.set_power(wanted)
        assert vs.state is wanted
        commands += 1
    await flooding
    await client.rename("flooded")
    assert vs.name == "flooded"
    await wait_for(lambda: endpoint.stats.malformed == 10_000)
    cpu = time.process_time() - cpu0
    assert cpu < 10.0, f"{cpu:.1f} s of CPU for 10,000 junk datagrams"  # bounded: < 1 ms each
    assert endpoint.stats.spoofed == 0 and client.stats.timeouts == 0
    await client.stop()


def _mutations(frame: bytes, draw: st.DrawFn) -> bytes:
    data = bytearray(frame)
    if len(data) >= 12 and draw(st.booleans()):
        data[6:12] = MAC.raw  # aimed at the live client's route
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(("flip", "cut", "extend", "length", "command")))
        if op == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[draw(st.integers(0, len(data))) :]
        elif op == "extend":
            data += draw(st.binary(max_size=40))
        elif op == "length" and len(data) >= 4:
            data[2:4] = draw(st.integers(0, 0xFFFF)).to_bytes(2, "big")
        elif op == "command" and len(data) >= 6:
            data[4:6] = draw(st.sampled_from((b"qa", b"qg", b"cl", b"dc", b"sf", b"hb", b"rt", b"tm", b"cd", b"cs", b"ts")))
    return bytes(data)


@st.composite
def datagrams(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        return draw(st.binary(max_size=200))
    return _mutations(draw(st.sampled_from(FRAMES)), draw)


async def test_fuzzed_datagrams_at_the_live_endpoint(
    simulator: Simulator, endpoint: S20Endpoint, loop_errors: list[dict[str, object]]
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", mac=MAC)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    client.start()  # the keepalive runs through all of it
    await wait_for(lambda: client.available)
    fed: list[tuple[bytes, bool]] = []

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(datagram=datagrams(), from_socket=st.booleans())
    def feed(datagram: bytes, from_socket: bool) -> None:
        # Straight into the endpoint first, so that a failure is raised here and shrunk.
        endpoint.datagram_received(datagram, ("127.0.0.2" if from_socket else STRANGER, simulator.port))
        fed.append((datagram, from_socket))

    feed()
    # Both kinds were exercised: refused datagrams and ones the codec took (then routed).
    assert 0 < endpoint.stats.malformed < len(fed)
    received = endpoint.stats.received
    # Then the same datagrams over UDP, from the socket's own address and from a stranger.
    senders = {}
    for from_socket, host in ((True, "127.0.0.2"), (False, STRANGER)):
        senders[from_socket] = sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, 0))
    try:
        for start in range(0, len(fed), 50):
            for datagram, from_socket in fed[start : start + 50]:
                senders[from_socket].sendto(datagram, ("127.0.0.1", simulator.port))
            await wait_for(lambda: endpoint.stats.received >= received + start)  # paced
        await wait_for(lambda: endpoint.stats.received >= received + len(fed))
    finally:
        for sock in senders.values():
            sock.close()
    assert loop_errors == []  # nothing escaped into the event loop
    assert endpoint.is_open
    # Still fully usable: a command is confirmed and the true state read back.
    await client.set_power(not vs.state)
    wanted = vs.state
    assert await client.subscribe() is wanted and client.state is wanted
    await client.stop()


async def test_the_relays_tap_hears_a_moved_sockets_announcement_and_no_spoof(
    simulator: Simulator, endpoint: S20Endpoint, raw_sender: socket.socket
) -> None:
    """What the endpoint hands its taps (Home Assistant's relay, which passes it to other
    programs): a socket's own datagrams and its announcement from a new address, never a
    spoofed datagram. Kills endpoint `_route__mutmut_32` and `_route__mutmut_33`."""
    vs = simulator.add_socket(ip="127.0.0.2", mac=MAC)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert await client.subscribe() is False
    tapped: list[tuple[str, str]] = []
    remove = endpoint.add_tap(lambda datagram, host: tapped.append((datagram[4:6].decode(), host)))
    _spoof(raw_sender, simulator, StateReport(mac=MAC, state=PowerState.ON))
    _spoof(raw_sender, simulator, DiscoveryReply(command=Command.DISCOVER, mac=MAC, product_id="SOC005",
                                                 clock=0, state=PowerState.ON))
    await wait_for(lambda: endpoint.stats.spoofed == 1 and tapped)
    assert tapped == [(Command.DISCOVER.value, STRANGER)]  # the move, for a scan through the relay
    vs.press_button()
    await wait_for(lambda: client.state is True)
    assert (Command.STATE.value, "127.0.0.2") in tapped[1:]
    remove()
    await client.stop()
