"""Behaviour of client/relayed.py that surviving mutants showed untested, on loop time.

Each test names the mutants it kills (`RelayedEndpoint` methods); all run real UDP on loopback,
against the simulator and a real relay, or a stand-in relay socket where the test needs a relay
that misbehaves or stays silent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
import contextlib
from dataclasses import replace
import socket

import pytest

from custom_components.orvibo_s20.client import (
    EndpointConfig,
    RelayConfig,
    RelayedEndpoint,
    S20Client,
    S20Endpoint,
    S20Relay,
    discover,
)
from custom_components.orvibo_s20.client.relayed import HELLO_TIMEOUT_S
from custom_components.orvibo_s20.protocol import EndpointError, Mac, SubscribeRequest, encode
from custom_components.orvibo_s20.protocol.relay import HELLO, encode_envelope
from simulator import Simulator
from tests.loopback import loopback_config, wait_for

from .conftest import FAST

# TEST-NET-1 (RFC 5737): no host has it, so binding it fails at once; nothing is sent.
UNASSIGNED = "192.0.2.1"


@pytest.fixture
async def relay(endpoint: S20Endpoint) -> AsyncIterator[S20Relay]:
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port()))
    await relay.open()
    yield relay
    relay.close()


type MakeRelayed = Callable[..., RelayedEndpoint]


@pytest.fixture
def make_relayed(simulator: Simulator) -> Iterator[MakeRelayed]:
    """RelayedEndpoints on the simulator's loopback LAN, closed at teardown whatever the test did."""
    made: list[RelayedEndpoint] = []

    def make(port: int, *, relay_host: str = "127.0.0.1", config: EndpointConfig | None = None) -> RelayedEndpoint:
        config = config or loopback_config(simulator.port)
        made.append(RelayedEndpoint(config, relay_host=relay_host, relay_port=port))
        return made[-1]

    yield make
    for relayed in made:
        relayed.close()


@contextlib.contextmanager
def stand_in_relay() -> Iterator[socket.socket]:
    """A UDP socket on loopback where a relay would be; it answers nothing by itself."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def _drain(sock: socket.socket) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(sock.recv(2048))
        except BlockingIOError:
            return got


async def _opened_through(fake: socket.socket, make_relayed: MakeRelayed) -> tuple[RelayedEndpoint, tuple[str, int]]:
    """A RelayedEndpoint opened against the stand-in, which answers its first hello."""
    relayed = make_relayed(fake.getsockname()[1])
    opening = asyncio.create_task(relayed.open())
    hello, client_addr = await asyncio.get_running_loop().sock_recvfrom(fake, 64)
    assert hello == HELLO
    fake.sendto(HELLO, client_addr)
    await opening
    return relayed, client_addr


# --- opening ----------------------------------------------------------------------------------


async def test_two_programs_reach_the_sockets_through_the_relay_at_once(
    simulator: Simulator, relay: S20Relay, make_relayed: MakeRelayed
) -> None:
    """`watch` running while a script runs another command: both are relay clients at once.

    Kills open 10 (the relayed endpoint binds port 1 instead of a free one: the second program's
    open fails, the port being the first one's).
    """
    vs = simulator.add_socket(ip="127.0.0.2", name="Porch")
    first, second = make_relayed(relay.config.port), make_relayed(relay.config.port)
    await first.open()
    await second.open()
    clients = [S20Client(endpoint, vs.mac, vs.ip, timing=FAST) for endpoint in (first, second)]
    names = [(await client.read_socket_data()).name for client in clients]
    assert names == ["Porch", "Porch"]
    for client in clients:
        await client.stop()


async def test_a_relay_address_that_cannot_be_bound_is_named(make_relayed: MakeRelayed) -> None:
    """The local socket toward the relay cannot be made: the error says where, for the caller.

    Kills open 11, 12 (message lost), 13, 14 (host or port None), 15, 16, 17 (an argument left
    out: a TypeError instead of the EndpointError).
    """
    port = Simulator.free_port()
    relayed = make_relayed(port, relay_host=UNASSIGNED)
    with pytest.raises(EndpointError, match=rf"^cannot reach the relay at UDP {UNASSIGNED}:{port}: \S") as caught:
        await relayed.open()
    assert (caught.value.host, caught.value.port) == (UNASSIGNED, port)
    assert isinstance(caught.value.__cause__, OSError)
    assert not relayed.is_open


async def test_a_silent_relay_is_given_up_on_after_the_hello_timeout(make_relayed: MakeRelayed) -> None:
    """Four hellos spread over `hello_timeout_s`, then the error naming the relay.

    Kills open 30 (each hello waits timeout × 4 instead of timeout / 4: the CLI hangs 16 s, not
    1 s, before saying the port is taken), 33, 34 (the error's host or port None).
    """
    loop = asyncio.get_running_loop()
    with stand_in_relay() as fake:
        port = fake.getsockname()[1]
        relayed = make_relayed(port)
        start = loop.time()
        with pytest.raises(EndpointError, match=f"^no relay answered at UDP 127.0.0.1:{port}$") as caught:
            await relayed.open()
        waited = loop.time() - start
        assert _drain(fake) == [HELLO] * 4
    assert waited == pytest.approx(HELLO_TIMEOUT_S, abs=1e-3)  # loop time
    assert (caught.value.host, caught.value.port) == ("127.0.0.1", port)
    assert not relayed.is_open


# --- the configuration it was given -------------------------------------------------------------


async def test_a_scan_through_the_relay_goes_to_the_configured_broadcast_address(
    simulator: Simulator, relay: S20Relay, make_relayed: MakeRelayed
) -> None:
    """The CLI's `--broadcast ADDR` holds through the relay: the scan goes to ADDR, not to the
    relay's own broadcast addresses (its endpoint's 127.255.255.255 here, reaching every socket).
    On the loopback LAN one socket's address stands in for a subnet's broadcast address.

    Kills __init__ 2 (the config is dropped: the defaults' 255.255.255.255 goes to the relay,
    which broadcasts on its own addresses).
    """
    simulator.add_socket(ip="127.0.0.2")
    wanted = simulator.add_socket(ip="127.0.0.3")
    config = replace(loopback_config(simulator.port), broadcast_addresses=("127.0.0.3",))
    relayed = make_relayed(relay.config.port, config=config)
    await relayed.open()
    found = await discover(relayed, window_s=0.3)
    assert [(s.mac, s.host) for s in found] == [(wanted.mac, "127.0.0.3")]


# --- closing ------------------------------------------------------------------------------------


async def test_closing_twice_is_harmless(relay: S20Relay, make_relayed: MakeRelayed) -> None:
    """As with the direct endpoint, a second close (a caller's cleanup after another's) does nothing.

    Kills close 2 (the keepalive handle left as "" after the first close: the second one calls
    "".cancel() and raises).
    """
    relayed = make_relayed(relay.config.port)
    await relayed.open()
    relayed.close()
    relayed.close()
    assert not relayed.is_open
    await relayed.open()  # and it opens again
    assert relayed.is_open


async def test_sending_on_a_closed_relayed_endpoint_names_the_relay(relay: S20Relay, make_relayed: MakeRelayed) -> None:
    """Kills send_datagram 3, 4, 11 (the error's host None, port None, host the port number)
    and 8 (its text changed)."""
    relayed = make_relayed(relay.config.port)
    await relayed.open()
    relayed.close()
    frame = encode(SubscribeRequest(mac=Mac.parse("ac:cf:23:00:00:01")))
    with pytest.raises(EndpointError) as caught:
        relayed.send_datagram(frame, "127.0.0.2")
    assert str(caught.value) == "the relayed S20 endpoint is closed"
    assert (caught.value.host, caught.value.port) == ("127.0.0.1", relay.config.port)


# --- the counters (shown in diagnostics and by the CLI) -----------------------------------------


async def test_every_datagram_sent_through_the_relay_is_counted_once(
    simulator: Simulator, relay: S20Relay, make_relayed: MakeRelayed
) -> None:
    """What the relayed endpoint counts as sent is what reached the socket (nobody owns it here,
    so the relay forwards each envelope as it comes); hellos are no datagrams to a socket.

    Kills send_datagram 13 (sent = 1), 14 (sent -= 1), 15 (sent += 2).
    """
    vs = simulator.add_socket(ip="127.0.0.2")
    relayed = make_relayed(relay.config.port)
    await relayed.open()
    client = S20Client(relayed, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    await client.set_power(True)
    await client.read_socket_data()
    assert vs.state is True
    assert vs.counters.received >= 3
    assert relayed.stats.sent == vs.counters.received
    await client.stop()


async def test_each_dropped_datagram_is_counted(make_relayed: MakeRelayed) -> None:
    """Two garbage datagrams from the relay, then two fine envelopes from strangers: every one counts.

    Kills datagram_received 10 (received = 1 on a malformed one), 13 (malformed = 1),
    5 (spoofed = 1).
    """
    with stand_in_relay() as fake:
        relayed, client_addr = await _opened_through(fake, make_relayed)
        frame = encode(SubscribeRequest(mac=Mac.parse("ac:cf:23:00:00:01")))
        for garbage in (b"\x7f\0", HELLO + b"x"):
            fake.sendto(garbage, client_addr)
        await wait_for(lambda: relayed.stats.malformed >= 1 and relayed.stats.received >= 1)
        await asyncio.sleep(0.01)  # let the second one in too
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            for _ in range(2):
                stranger.sendto(encode_envelope("127.0.0.2", frame), client_addr)
            await wait_for(lambda: relayed.stats.spoofed >= 1)
            await asyncio.sleep(0.01)
        assert (relayed.stats.received, relayed.stats.malformed, relayed.stats.spoofed) == (4, 2, 2)
