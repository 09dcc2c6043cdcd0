"""The relay: another program reaches the sockets through the endpoint that owns the port.

The owner's endpoint (Home Assistant's, here the `endpoint` fixture) and its client of one socket;
a relay on a free loopback port; a `RelayedEndpoint` with a client of its own, as the CLI has.
Everything crosses real UDP to the simulator, the relay's envelopes included.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
import json
from pathlib import Path
import socket

import pytest

from custom_components.orvibo_s20.client import (
    RelayConfig,
    RelayedEndpoint,
    S20Client,
    S20Endpoint,
    S20Relay,
    discover,
)
from custom_components.orvibo_s20.protocol import (
    Command,
    DecodeError,
    EndpointError,
    LogoutRequest,
    Mac,
    PowerRequest,
    PowerState,
    SubscribeRequest,
    encode,
)
from custom_components.orvibo_s20.protocol.relay import HELLO, Envelope, decode_envelope, encode_envelope
from simulator import Faults, Simulator
from tests.loopback import loopback_config

from .conftest import FAST, wait_for
from .relay_client import RawClient

VECTORS = json.loads((Path(__file__).parents[1] / "protocol" / "vectors.json").read_text())


# --- the codec ------------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS[:12], ids=lambda v: v["name"])
def test_envelope_round_trip_of_captured_frames(vector: dict[str, str]) -> None:
    frame = bytes.fromhex(vector["hex"])
    wrapped = encode_envelope("192.168.1.42", frame)
    assert wrapped == bytes([192, 168, 1, 42]) + frame
    assert decode_envelope(wrapped) == Envelope("192.168.1.42", frame)


def test_hello_and_refusals() -> None:
    assert HELLO == b"\0\0\0\0"
    assert decode_envelope(HELLO) is None
    frame = encode(SubscribeRequest(mac=Mac.parse("ac:cf:23:00:00:01")))
    with pytest.raises(ValueError, match="hello"):
        encode_envelope("0.0.0.0", frame)
    with pytest.raises(ValueError, match="carries a datagram"):
        encode_envelope("127.0.0.2", b"")
    for bad, why in [
        (b"\x7f\0\0", "4-byte address"),
        (HELLO + frame, "nothing after"),
        (b"\x7f\0\0\x02" + b"xx" + frame[2:], "no 'hd'"),
        (b"\x7f\0\0\x02" + frame[:-1], "length field"),
        (b"\x7f\0\0\x02hd", "length field"),
    ]:
        with pytest.raises(DecodeError, match=why):
            decode_envelope(bad)


# --- the relay ------------------------------------------------------------------------------------


@pytest.fixture
async def relay(endpoint: S20Endpoint) -> AsyncIterator[S20Relay]:
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port(), client_ttl_s=5.0))
    await relay.open()
    yield relay
    relay.close()


@pytest.fixture
async def relayed(simulator: Simulator, relay: S20Relay) -> AsyncIterator[RelayedEndpoint]:
    endpoint = RelayedEndpoint(loopback_config(simulator.port), relay_port=relay.config.port, hello_every_s=2.0)
    await endpoint.open()
    yield endpoint
    endpoint.close()


async def test_a_relayed_power_command_goes_through_the_owners_queue(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay, relayed: RelayedEndpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    changes: list[tuple[bool | None, bool, bool]] = []
    owner.add_listener(lambda: changes.append((owner.state, owner.change_requested, owner.change_relayed)))
    other = S20Client(relayed, vs.mac, vs.ip, timing=FAST)
    await other.set_power(True)
    assert vs.state is True and other.state is True
    await wait_for(lambda: owner.state is True)
    assert changes == [(True, False, True)]  # the owner heard it, and knows who asked
    assert relay.stats.queued >= 2 and relay.stats.queued == relay.stats.to_sockets  # cl, dc
    assert relay.stats.to_clients >= 3  # the cl reply, the dc ack, the pushes
    assert set(vs.subscribers) == {"127.0.0.1"}  # one controller, as far as the socket knows
    # A press afterwards is no relayed change.
    vs.press_button()
    await wait_for(lambda: owner.state is False)
    assert changes[-1] == (False, False, False)
    await other.stop()
    await owner.stop()


async def test_every_command_of_a_socket_nobody_owns_goes_directly(
    simulator: Simulator, relay: S20Relay, relayed: RelayedEndpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", name="Porch")
    found = await discover(relayed, window_s=0.3, expected=1)
    assert [(s.mac, s.host) for s in found] == [(vs.mac, "127.0.0.2")]
    other = S20Client(relayed, vs.mac, vs.ip, timing=FAST)
    assert (await other.read_socket_data()).name == "Porch"
    await other.rename("Desk")
    await other.start_countdown(60, action=True)
    assert vs.socket_data.name == "Desk" and vs.countdown is not None
    assert relay.stats.queued == 0 and relay.stats.to_sockets > 4
    await other.stop()


async def test_owner_requests_and_relayed_ones_never_interleave(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay, relayed: RelayedEndpoint
) -> None:
    """Both hammer one socket while every datagram takes 20 ms to it: each request of the owner
    is answered before anything else (but its own resends) is sent to the socket."""
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    other = S20Client(relayed, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    await other.subscribe()
    timeline: list[tuple[str, str]] = []
    send = endpoint.send_datagram

    def logged_send(datagram: bytes, host: str) -> None:
        timeline.append(("sent", datagram[4:6].decode()))
        send(datagram, host)

    endpoint.send_datagram = logged_send  # type: ignore[method-assign]
    endpoint.add_tap(lambda datagram, _host: timeline.append(("heard", datagram[4:6].decode())))
    simulator.set_faults(Faults(latency_to_device_s=0.02))

    async def owner_work() -> None:
        for _ in range(5):
            await owner.read_socket_data()
            await owner.get_countdown()

    async def other_work() -> None:
        for on in (True, False, True, False):
            await other.set_power(on)

    await asyncio.gather(owner_work(), other_work())
    assert vs.state is False and owner.state is False
    assert owner.stats.timeouts == other.stats.timeouts == 0
    owners = {Command.READ_TABLE.value, Command.COUNTDOWN.value}
    for index, (what, command) in enumerate(timeline):
        if what == "sent" and command in owners:
            rest = timeline[index + 1 :]
            answered = rest.index(("heard", command))
            between = [sent for kind, sent in rest[:answered] if kind == "sent"]
            assert set(between) <= {command}, timeline[index : index + answered + 2]  # its own resends only
    assert relay.stats.queued >= 4
    await other.stop()
    await owner.stop()


async def test_watch_through_the_relay_hears_every_push(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay, relayed: RelayedEndpoint
) -> None:
    """A watcher that only listens stays registered by its hellos, long past the relay's TTL."""
    vs = simulator.add_socket(ip="127.0.0.2")
    # The owner's keepalive keeps the socket's pushes coming (it forgets a peer after 1 s here).
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, keepalive_s=0.5))
    await owner.subscribe()
    owner.start()
    watcher = S20Client(relayed, vs.mac, vs.ip, timing=FAST)
    await watcher.subscribe()
    seen: list[bool | None] = []
    watcher.add_listener(lambda: seen.append(watcher.state))
    for _ in range(4):
        await asyncio.sleep(relay.config.client_ttl_s)  # loop time: 20 s in all, no datagram of its own
        vs.press_button()
        await wait_for(lambda: len(seen) and seen[-1] is vs.state)
    assert seen == [True, False, True, False]
    assert relay.stats.expired == 0
    await watcher.stop()
    await owner.stop()


async def test_garbage_floods_and_strangers_are_dropped_and_counted(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    raw = RawClient(relay)
    for bad in (b"", b"\x01", HELLO + b"x", encode_envelope("127.0.0.2", b"hd\x00\x07xx!")):
        raw.send(bad)
    await wait_for(lambda: relay.stats.received == 4)
    assert relay.stats.malformed == 4 and relay.stats.clients == 0  # garbage registers nobody
    relay.datagram_received(HELLO, ("192.0.2.1", 10010))  # as if from the LAN
    assert relay.stats.not_loopback == 1
    # A flood from one registered client: the bucket lets `burst` through, the rest is dropped.
    raw.send(HELLO)
    await wait_for(lambda: raw.received() == [HELLO])
    flood = encode_envelope("127.0.0.2", encode(PowerRequest(mac=vs.mac, state=PowerState.ON)))
    start = relay.stats.received
    for index in range(int(relay.config.burst) + 100):
        raw.send(flood)
        if index % 50 == 49:
            await asyncio.sleep(0.001)  # let the relay read: the kernel's buffer is not the test
    await wait_for(lambda: relay.stats.received - start == int(relay.config.burst) + 100)
    assert relay.stats.rate_limited >= 90
    assert relay.stats.queue_full > 0  # of those let through, at most 4 wait for the socket at once
    await owner.set_power(False)  # the owner's commands still go through, and say so
    assert vs.state is False and owner.change_requested
    raw.close()
    await owner.stop()


async def test_a_logout_to_an_owned_socket_is_refused(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    raw = RawClient(relay)
    raw.send(encode_envelope("127.0.0.2", encode(LogoutRequest(mac=vs.mac))))
    await wait_for(lambda: relay.stats.refused == 1)
    assert vs.counters.received == 1  # only the owner's cl
    raw.close()
    await owner.stop()


async def test_a_client_gone_before_its_turn_is_abandoned_and_the_owner_loses_nothing(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port(), client_ttl_s=0.1))
    await relay.open()
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    simulator.set_faults(Faults(latency_to_device_s=0.3))  # the owner's request holds the queue 0.6 s
    reading = asyncio.create_task(owner.read_socket_data())
    await asyncio.sleep(0.01)
    raw = RawClient(relay)
    raw.send(encode_envelope("127.0.0.2", encode(PowerRequest(mac=vs.mac, state=PowerState.ON))))
    raw.close()  # and gone, mid-command
    await reading
    await wait_for(lambda: relay.stats.abandoned == 1)
    assert vs.state is False and relay.stats.queued == 0
    relay.close()
    await owner.stop()


async def test_no_relay_no_endpoint(simulator: Simulator) -> None:
    port = Simulator.free_port()
    relayed = RelayedEndpoint(loopback_config(simulator.port), relay_port=port, hello_timeout_s=0.2)
    with pytest.raises(EndpointError, match=f"no relay answered at UDP 127.0.0.1:{port}"):
        await relayed.open()
    assert not relayed.is_open


async def test_the_relay_refuses_to_listen_beyond_loopback(endpoint: S20Endpoint) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        S20Relay(endpoint, RelayConfig(host="0.0.0.0"))


async def test_a_taken_relay_port_is_named(endpoint: S20Endpoint, relay: S20Relay) -> None:
    second = S20Relay(endpoint, RelayConfig(port=relay.config.port))
    with pytest.raises(EndpointError, match=f"relay's UDP port {relay.config.port} on 127.0.0.1 is already in use"):
        await second.open()


async def test_a_full_relay_makes_room_for_a_new_client(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A script running the CLI in a loop: the longest-silent client goes, the new one is served."""
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port(), max_clients=2))
    await relay.open()
    vs = simulator.add_socket(ip="127.0.0.2")
    clients = [RawClient(relay) for _ in range(3)]
    for raw in clients:
        raw.send(HELLO)
        await wait_for(lambda raw=raw: raw.received() == [HELLO])  # type: ignore[misc]
        await asyncio.sleep(0.1)
    assert relay.stats.clients == 3 and relay.stats.evicted == 1 and relay.active_clients == 2
    clients[2].send(encode_envelope("127.0.0.2", encode(SubscribeRequest(mac=vs.mac))))
    await wait_for(lambda: relay.stats.to_clients == 2)  # its reply, to the two registered only
    assert [len(raw.received()) for raw in clients] == [0, 1, 1]
    for raw in clients:
        raw.close()
    relay.close()
    assert not relay.is_open


async def test_the_relayed_endpoint_takes_only_the_relays_wellformed_datagrams(simulator: Simulator) -> None:
    """A stand-in relay answers the hello, then sends garbage; a stranger sends a fine envelope."""
    fake = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fake.bind(("127.0.0.1", 0))
    fake.setblocking(False)
    relayed = RelayedEndpoint(loopback_config(simulator.port), relay_port=fake.getsockname()[1])
    loop = asyncio.get_running_loop()
    opening = asyncio.create_task(relayed.open())
    hello, client_addr = await loop.sock_recvfrom(fake, 64)
    assert hello == HELLO
    fake.sendto(HELLO, client_addr)
    await opening
    await relayed.open()  # open already: nothing more
    assert relayed.is_open
    frame = encode(SubscribeRequest(mac=Mac.parse("ac:cf:23:00:00:01")))
    fake.sendto(b"\x7f\0", client_addr)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.sendto(encode_envelope("127.0.0.2", frame), client_addr)
        await wait_for(lambda: relayed.stats.received == 2)
    assert relayed.stats.malformed == 1 and relayed.stats.spoofed == 1
    relayed.close()
    fake.close()
    with pytest.raises(EndpointError, match="relayed S20 endpoint is closed"):
        relayed.send_datagram(frame, "127.0.0.2")


async def test_one_client_has_at_most_four_requests_waiting_for_a_socket(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    simulator.set_faults(Faults(latency_to_device_s=0.3))  # the owner's read holds the queue meanwhile
    reading = asyncio.create_task(owner.read_socket_data())
    await asyncio.sleep(0.01)
    raw = RawClient(relay)
    for _ in range(6):
        raw.send(encode_envelope("127.0.0.2", encode(SubscribeRequest(mac=vs.mac))))
    await wait_for(lambda: relay.stats.received == 6)
    assert relay.stats.queue_full == 2
    await reading
    await wait_for(lambda: relay.stats.queued == 4)
    assert owner.stats.timeouts == 0
    raw.close()
    await owner.stop()
