"""Behaviour of the relay (client/relay.py) that its surviving mutants showed untested, on loop time.

Each test names the mutants it kills (short names, after `S20Relayǁ` or `_Bucketǁ`). Relay
clients are raw UDP sockets on loopback; everything crosses real UDP to the simulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
import errno
import os
import resource
from typing import Any

import pytest

from custom_components.orvibo_s20.client import RelayConfig, S20Client, S20Endpoint, S20Relay
from custom_components.orvibo_s20.protocol import (
    DiscoverRequest,
    EndpointError,
    LogoutRequest,
    PowerRequest,
    PowerState,
    S20Error,
    SubscribeRequest,
    encode,
)
from custom_components.orvibo_s20.protocol.relay import HELLO, RELAY_BROADCAST, decode_envelope, encode_envelope
from simulator import Faults, Simulator, VirtualSocket
from tests.loopback import loopback_config, wait_for

from .conftest import FAST, SIM_TIMING
from .relay_client import RawClient

OWNER_HOLDS_S = 0.3  # latency to the socket: the owner's request holds its queue about twice that


type OpenRelay = Callable[..., Awaitable[S20Relay]]


@pytest.fixture
async def open_relay(endpoint: S20Endpoint) -> AsyncIterator[OpenRelay]:
    """Open relays on free ports with the given RelayConfig fields; closed at teardown."""
    relays: list[S20Relay] = []

    async def make(**fields: Any) -> S20Relay:
        relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port(), **fields))
        relays.append(relay)
        await relay.open()
        return relay

    yield make
    for relay in relays:
        relay.close()


async def _owner(simulator: Simulator, endpoint: S20Endpoint) -> tuple[S20Client, VirtualSocket]:
    """A socket at 127.0.0.2 that the endpoint's own client controls (its queue is registered)."""
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    return owner, vs


async def _hold_owners_queue(simulator: Simulator, owner: S20Client) -> asyncio.Task[object]:
    """Slow the way to the socket and start an owner's read: relayed requests wait behind it."""
    simulator.set_faults(Faults(latency_to_device_s=OWNER_HOLDS_S))
    reading: asyncio.Task[object] = asyncio.create_task(owner.read_socket_data())
    await asyncio.sleep(0.01)
    return reading


async def _hellos_answered(raw: RawClient, relay: S20Relay, count: int) -> int:
    """Send count hellos at once (one loop instant); how many the relay answered."""
    start = relay.stats.received
    for _ in range(count):
        raw.send(HELLO)
    await wait_for(lambda: relay.stats.received - start == count)
    await asyncio.sleep(0.01)  # loop time: the answers are on loopback by now
    return len(raw.received())


# --- the rate limit ------------------------------------------------------------------------------


async def test_a_client_sends_burst_datagrams_at_once_earns_more_at_its_rate_and_locks_nobody_out(
    open_relay: OpenRelay,
) -> None:
    """Kills _Bucket take 7, 10, 11, 15 and datagram_received 15, 24.

    On loop time no token trickles in between datagrams of one instant, so `burst` is exact.
    """
    relay = await open_relay(burst=3.0, rate_per_s=10.0)
    flooder = RawClient(relay)
    assert await _hellos_answered(flooder, relay, 1) == 1  # registered (a stranger's token)
    assert await _hellos_answered(flooder, relay, 5) == 3  # its own bucket: burst 3
    assert relay.stats.rate_limited == 2
    await asyncio.sleep(0.25)  # 2.5 tokens at 10/s
    assert await _hellos_answered(flooder, relay, 3) == 2
    assert relay.stats.rate_limited == 3
    # The flooder spent its own bucket, not the strangers': a newcomer still gets in.
    newcomer = RawClient(relay)
    assert await _hellos_answered(newcomer, relay, 1) == 1
    assert relay.stats.clients == 2
    flooder.close()
    newcomer.close()


# --- counters ------------------------------------------------------------------------------------


async def test_the_diagnostics_count_each_datagram_once(
    simulator: Simulator, endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills RelayStats as_dict 1, datagram_received 8, _forward 22 and 31."""
    relay = await open_relay()
    owned, _ = await _owner(simulator, endpoint)
    free = simulator.add_socket(ip="127.0.0.3")  # nobody controls it: requests go directly
    raw = RawClient(relay)
    raw.send(encode_envelope("127.0.0.3", encode(SubscribeRequest(mac=free.mac))))
    await wait_for(lambda: relay.stats.to_clients == 1)  # its reply, to the one client
    logout = encode_envelope("127.0.0.2", encode(LogoutRequest(mac=owned.mac)))
    raw.send(logout)
    raw.send(logout)
    await wait_for(lambda: relay.stats.received == 3)
    for _ in range(2):
        relay.datagram_received(HELLO, ("192.0.2.1", 10010))  # as if from the LAN
    assert [decode_envelope(d).host for d in raw.received()] == ["127.0.0.3"]  # type: ignore[union-attr]
    expected = {"received": 5, "to_sockets": 1, "to_clients": 1, "clients": 1, "refused": 2, "not_loopback": 2}
    assert relay.stats.as_dict() == dict.fromkeys(relay.stats.as_dict(), 0) | expected
    raw.close()
    await owned.stop()


async def test_clients_silent_past_their_ttl_stop_hearing_the_sockets(
    simulator: Simulator, endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills _forward 80 (a finished request's task kept: its client never expires) and _expire 5-8."""
    relay = await open_relay(client_ttl_s=1.0)
    owner, _ = await _owner(simulator, endpoint)
    requester, watcher = RawClient(relay), RawClient(relay)
    requester.send(encode_envelope("127.0.0.2", encode(PowerRequest(mac=owner.mac, state=PowerState.ON))))
    await wait_for(lambda: relay.stats.queued == 1 and owner.state is True)  # through the owner's queue
    await asyncio.sleep(0.1)  # loop time: the socket's replies and pushes are in
    requester.received()
    watcher.send(HELLO)
    await wait_for(lambda: relay.stats.clients == 2 and watcher.received() == [HELLO])
    heard = relay.stats.to_clients
    await asyncio.sleep(1.5)  # loop time: both silent past their TTL
    await owner.subscribe()  # the socket's reply passes the relay's tap
    assert relay.stats.expired == 2
    assert relay.stats.to_clients == heard
    assert requester.received() == [] and watcher.received() == []
    requester.close()
    watcher.close()
    await owner.stop()


async def test_a_full_relay_lets_expired_clients_go_before_evicting_a_live_one(
    open_relay: OpenRelay,
) -> None:
    """Kills _register 2 (only evicts at max_clients, never expires first) and 11 (counts one eviction)."""
    relay = await open_relay(max_clients=2, client_ttl_s=1.0)
    clients = [RawClient(relay) for _ in range(5)]
    for raw in clients[:4]:  # all live: the 3rd and 4th each push the longest silent out
        assert await _hellos_answered(raw, relay, 1) == 1
        await asyncio.sleep(0.1)
    assert relay.stats.evicted == 2 and relay.stats.expired == 0
    await asyncio.sleep(1.5)  # loop time: the two left are past their TTL
    assert await _hellos_answered(clients[4], relay, 1) == 1
    assert relay.stats.evicted == 2 and relay.stats.expired == 2 and relay.active_clients == 1
    for raw in clients:
        raw.close()


# --- the bounds on requests waiting in the owner's queue ----------------------------------------


async def test_a_client_has_at_most_max_queued_waiting_and_room_again_once_they_went(
    simulator: Simulator, endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills _forward 36, 46, 47, 48 and _in_turn 4, 5, 6."""
    relay = await open_relay(max_queued=2, max_queued_per_socket=4)
    owner, _ = await _owner(simulator, endpoint)
    raw = RawClient(relay)
    request = encode_envelope("127.0.0.2", encode(SubscribeRequest(mac=owner.mac)))
    for round_ in (1, 2):
        reading = await _hold_owners_queue(simulator, owner)
        for _ in range(3):
            raw.send(request)
        await wait_for(lambda round_=round_: relay.stats.received == 3 * round_)  # type: ignore[misc]
        assert relay.stats.queue_full == round_  # the third of each round
        await reading
        await wait_for(lambda round_=round_: relay.stats.queued == 2 * round_)  # type: ignore[misc]
        await asyncio.sleep(0.5)  # loop time: the relayed requests' replies are in
    assert relay.stats.queued == 4 and relay.stats.abandoned == 0
    raw.close()
    await owner.stop()


async def test_a_bound_of_one_per_socket_lets_one_request_wait(
    simulator: Simulator, endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills _forward 41 (a socket nobody of the client waits for counted as one already)."""
    relay = await open_relay(max_queued_per_socket=1)
    owner, _ = await _owner(simulator, endpoint)
    raw = RawClient(relay)
    reading = await _hold_owners_queue(simulator, owner)
    for _ in range(2):
        raw.send(encode_envelope("127.0.0.2", encode(SubscribeRequest(mac=owner.mac))))
    await wait_for(lambda: relay.stats.received == 2)
    assert relay.stats.queue_full == 1
    await reading
    await wait_for(lambda: relay.stats.queued == 1)
    raw.close()
    await owner.stop()


async def test_requests_in_turn_when_the_endpoint_closed_are_abandoned(
    simulator: Simulator, endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills _in_turn 3 (a request that failed to go out counted as sent) and 19 (counts one).

    The owner's endpoint closes while two relayed requests wait behind the owner's read: their
    turn comes, sending fails, and the relay counts them abandoned and carries on.
    """
    relay = await open_relay()
    owner, vs = await _owner(simulator, endpoint)
    raw = RawClient(relay)
    reading = await _hold_owners_queue(simulator, owner)
    for state in (PowerState.ON, PowerState.OFF):
        raw.send(encode_envelope("127.0.0.2", encode(PowerRequest(mac=owner.mac, state=state))))
    await wait_for(lambda: relay.stats.received == 2)
    endpoint.close()
    with contextlib.suppress(S20Error):
        await reading
    await wait_for(lambda: relay.stats.abandoned == 2)
    assert relay.stats.queued == 0 and relay.stats.to_sockets == 0
    assert vs.state is False and relay.is_open
    raw.close()
    await owner.stop()


# --- where a direct request goes -----------------------------------------------------------------


@pytest.fixture
async def per_address_lan(socket_enabled: None) -> AsyncIterator[tuple[Simulator, S20Endpoint]]:
    """A simulator whose sockets listen on their own IP and the subnet's broadcast address only
    (`bind_each`), and an endpoint on it: as on a host with more than one network, the subnet's
    broadcast address reaches them and 255.255.255.255 does not."""
    sim = Simulator(port=Simulator.free_port(), seed=1, timing=SIM_TIMING, bind_each=True, precise_timers=False)
    await sim.start()
    endpoint = S20Endpoint(loopback_config(sim.port))
    await endpoint.open()
    yield sim, endpoint
    endpoint.close()
    await sim.stop()


async def test_a_request_goes_to_its_host_and_a_broadcast_to_every_broadcast_address(
    per_address_lan: tuple[Simulator, S20Endpoint],
) -> None:
    """Kills _forward 24, 25, 26: a discovery `qa` to one IP reaches that socket only; to
    255.255.255.255 the relay sends it to the endpoint's broadcast addresses (127.255.255.255
    here, so nothing leaves loopback), and both sockets get it."""
    simulator, endpoint = per_address_lan
    first = simulator.add_socket(ip="127.0.0.2")
    second = simulator.add_socket(ip="127.0.0.3")
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port()))
    await relay.open()
    raw = RawClient(relay)
    qa = encode(DiscoverRequest())
    raw.send(encode_envelope("127.0.0.2", qa))
    await wait_for(lambda: first.counters.received == 1 and relay.stats.to_clients >= 1)
    await asyncio.sleep(0.3)  # loop time: past the socket's 10-reply burst, during which it is deaf
    assert second.counters.received == 0
    raw.send(encode_envelope(RELAY_BROADCAST, qa))
    await wait_for(lambda: first.counters.received == 2 and second.counters.received == 1)
    hosts = {decode_envelope(d).host for d in raw.received()}  # type: ignore[union-attr]
    assert hosts == {"127.0.0.2", "127.0.0.3"}
    assert relay.stats.to_sockets == 2
    raw.close()
    relay.close()


# --- opening and closing -------------------------------------------------------------------------


async def test_close_is_safe_before_open_after_a_failed_open_and_twice(
    endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills __init__ 11 and close 1 (closing a relay never opened, or whose open failed, calls no
    tap remover) and close 2 (nor does a second close)."""
    S20Relay(endpoint, RelayConfig(port=Simulator.free_port())).close()
    relay = await open_relay()
    taken = S20Relay(endpoint, RelayConfig(port=relay.config.port))
    with pytest.raises(EndpointError):
        await taken.open()
    taken.close()
    relay.close()
    relay.close()
    assert not relay.is_open


async def test_closed_and_reopened_the_relay_delivers_each_device_datagram_once(
    simulator: Simulator, open_relay: OpenRelay
) -> None:
    """Kills close 1 (the endpoint's tap stayed after close: after a reopen, two taps)."""
    relay = await open_relay()
    relay.close()
    await asyncio.sleep(0)  # the transport lets go of the port on the next loop pass
    await relay.open()
    vs = simulator.add_socket(ip="127.0.0.2")  # nobody controls it: the request goes directly
    raw = RawClient(relay)
    raw.send(encode_envelope("127.0.0.2", encode(SubscribeRequest(mac=vs.mac))))
    await wait_for(lambda: relay.stats.to_clients >= 1)
    await asyncio.sleep(0.1)  # loop time: a second copy would be in
    assert len(raw.received()) == 1 and relay.stats.to_clients == 1
    raw.close()


async def test_a_taken_relay_port_names_host_and_port(
    endpoint: S20Endpoint, open_relay: OpenRelay
) -> None:
    """Kills open 20 and 21 (the error's host or port None)."""
    relay = await open_relay()
    with pytest.raises(EndpointError, match="is already in use") as caught:
        await S20Relay(endpoint, RelayConfig(port=relay.config.port)).open()
    assert (caught.value.host, caught.value.port, caught.value.in_use) == ("127.0.0.1", relay.config.port, True)


async def test_a_relay_port_that_fails_for_another_reason_says_why(endpoint: S20Endpoint) -> None:
    """Kills open 15 (every failure blamed on another program holding the port).

    No descriptor left for the relay's socket (EMFILE): the soft limit is lowered to the lowest
    free descriptor for the one call.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowest_free = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest_free)
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port()))
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))
    try:
        with pytest.raises(EndpointError, match="cannot be opened: Too many open files") as caught:
            await relay.open()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert caught.value.__cause__ is not None and caught.value.__cause__.errno == errno.EMFILE  # type: ignore[attr-defined]
    assert not relay.is_open
