"""A relayed request in the owner's queue: when it goes out, how long it holds the queue, and
what the endpoint's relay hooks (relay_queue, taps, unsupported listeners) hand over.

Kills the surviving mutants of `DeviceClient.relay_request` (client/device.py) and three of
client/endpoint.py. A relay client by hand (`RawClient`) sends envelopes over real UDP to a relay
on the owner's endpoint; the owner's sends and what it hears are logged on loop time, which is
exact (looptime), so the asserted instants are the schedule's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from custom_components.orvibo_s20.client import ClientTiming, RelayConfig, S20Client, S20Endpoint, S20Relay
from custom_components.orvibo_s20.client.unsupported import collect_unsupported
from custom_components.orvibo_s20.protocol import (
    Command,
    DiscoverMacRequest,
    HeartbeatRequest,
    PowerRequest,
    PowerState,
)
from simulator import Faults, Simulator

from .conftest import FAST, wait_for
from .relay_client import RawClient

# One RTO of 0.5 s once the owner measured the (zero) loopback round trip: long enough for a
# reply delayed 0.1 s to come within it and one delayed 0.7 s to miss it.
SLOW_RTO = ClientTiming(initial_rto_s=0.5, min_rto_s=0.5, max_rto_s=1.0, deadline_s=4.0, burst_guard_s=0.2)
RTO = SLOW_RTO.min_rto_s


@pytest.fixture
async def relay(endpoint: S20Endpoint) -> AsyncIterator[S20Relay]:
    relay = S20Relay(endpoint, RelayConfig(port=Simulator.free_port(), client_ttl_s=5.0))
    await relay.open()
    yield relay
    relay.close()


@dataclass
class Timeline:
    """What the owner's endpoint sent and heard, by command, at which loop time."""

    events: list[tuple[str, str, float]] = field(default_factory=list)

    @classmethod
    def of(cls, endpoint: S20Endpoint) -> Timeline:
        timeline = cls()
        loop = asyncio.get_running_loop()
        send = endpoint.send_datagram

        def logged_send(datagram: bytes, host: str) -> None:
            timeline.events.append(("sent", datagram[4:6].decode(), loop.time()))
            send(datagram, host)

        endpoint.send_datagram = logged_send  # type: ignore[method-assign]
        endpoint.add_tap(lambda datagram, _host: timeline.events.append(("heard", datagram[4:6].decode(), loop.time())))
        return timeline

    def times(self, what: str, command: Command) -> list[float]:
        return [at for kind, sent, at in self.events if kind == what and sent == command.value]

    def has(self, what: str, command: Command) -> bool:
        return bool(self.times(what, command))


async def owner_of(simulator: Simulator, endpoint: S20Endpoint, timing: ClientTiming) -> tuple[S20Client, Timeline]:
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=timing)
    await owner.subscribe()
    return owner, Timeline.of(endpoint)


async def test_a_relayed_request_waits_out_a_discovery_burst(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    """A relayed `qg` makes the socket answer with a discovery reply: the relayed `hb` queued
    behind it goes out only burst_guard_s after the last reply, as the owner's would (§3.1).
    Kills relay_request__mutmut_7 (waits only over 1 s: sent at once) and _8 (sleep(None):
    never sent)."""
    owner, timeline = await owner_of(simulator, endpoint, FAST)
    raw = RawClient(relay)
    raw.send_message(owner.host, DiscoverMacRequest(mac=owner.mac))
    raw.send_message(owner.host, HeartbeatRequest(mac=owner.mac))
    await wait_for(lambda: timeline.has("heard", Command.HEARTBEAT))
    assert relay.stats.queued == 2 and relay.stats.abandoned == 0
    [sent_hb] = timeline.times("sent", Command.HEARTBEAT)
    assert sent_hb == pytest.approx(timeline.times("heard", Command.DISCOVER_MAC)[0] + FAST.burst_guard_s, abs=1e-6)
    raw.close()
    await owner.stop()


async def test_a_relayed_request_holds_the_queue_until_its_own_reply_only(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    """The relayed `hb` takes 0.1 s to the socket; a button press pushes `sf` to the owner
    meanwhile. The owner's `rt`, asked right after the `hb` left, goes out the moment the `hb`
    reply is heard: not on the push (relay_request__mutmut_17: any message ends the wait), not
    one RTO after the `hb` left (_20: a deadline in the past, _28: no wait at all) nor one RTO
    after its reply (_36: the queue settles after an answered request)."""
    owner, timeline = await owner_of(simulator, endpoint, SLOW_RTO)
    simulator.set_faults(Faults(latency_to_device_s=0.1))
    raw = RawClient(relay)
    raw.send_message(owner.host, HeartbeatRequest(mac=owner.mac))
    await wait_for(lambda: timeline.has("sent", Command.HEARTBEAT), poll=0.001)
    reading = asyncio.create_task(owner.read_socket_data())
    await asyncio.sleep(0.05)
    simulator.sockets[owner.mac].press_button()
    await reading
    heard_push = timeline.times("heard", Command.STATE)[0]
    [heard_hb] = timeline.times("heard", Command.HEARTBEAT)
    [sent_rt] = timeline.times("sent", Command.READ_TABLE)
    assert heard_push < heard_hb
    assert sent_rt == pytest.approx(heard_hb, abs=1e-6)
    assert relay.stats.queued == 1
    raw.close()
    await owner.stop()


async def test_after_an_unanswered_relayed_request_the_queue_waits_for_its_late_reply(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    """The relayed `hb` is answered 0.7 s later, after the RTO (0.5 s) it holds the queue: the
    owner's next request waits one more RTO, so the late reply lands before it leaves and
    cannot be taken for its own. Kills relay_request__mutmut_36 (no settle after an unanswered
    request) and _42 (settles until one RTO in the past)."""
    owner, timeline = await owner_of(simulator, endpoint, SLOW_RTO)
    simulator.set_faults(Faults(latency_to_device_s=0.7))
    raw = RawClient(relay)
    raw.send_message(owner.host, HeartbeatRequest(mac=owner.mac))
    await wait_for(lambda: timeline.has("sent", Command.HEARTBEAT), poll=0.001)
    await owner.read_socket_data()
    [sent_hb] = timeline.times("sent", Command.HEARTBEAT)
    [heard_hb] = timeline.times("heard", Command.HEARTBEAT)
    sent_rt = timeline.times("sent", Command.READ_TABLE)[0]  # then resent: it too takes 0.7 s
    assert sent_hb + RTO < heard_hb < sent_rt
    assert sent_rt == pytest.approx(sent_hb + 2 * RTO, abs=1e-6)
    raw.close()
    await owner.stop()


async def test_a_relayed_request_the_owners_stop_interrupts_was_sent(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    """The owner's client stops while a relayed `hb` waits for its reply: the datagram went
    out, and the relay counts it sent (not abandoned). Kills relay_request__mutmut_33 (the stop
    escapes as a cancellation: counted neither way) and _34 (returns False: abandoned)."""
    owner, timeline = await owner_of(simulator, endpoint, SLOW_RTO)
    simulator.set_faults(Faults(latency_to_device_s=0.1))
    raw = RawClient(relay)
    raw.send_message(owner.host, HeartbeatRequest(mac=owner.mac))
    await wait_for(lambda: timeline.has("sent", Command.HEARTBEAT), poll=0.001)
    await owner.stop()
    await asyncio.sleep(0.2)  # the relayed request's task ends, the late reply comes
    assert (relay.stats.queued, relay.stats.to_sockets, relay.stats.abandoned) == (1, 1, 0)
    raw.close()


async def test_a_relayed_request_to_another_host_is_not_redirected_to_the_owners_socket(
    simulator: Simulator, endpoint: S20Endpoint, relay: S20Relay
) -> None:
    """A relay client sends a power-on for the owned socket's MAC to a host where the owner
    does not know it: it goes straight to that host, not through the owner's queue to the
    owner's socket. Kills endpoint relay_queue__mutmut_8 (host or queue: any route's queue)."""
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await owner.subscribe()
    raw = RawClient(relay)
    raw.send_message("127.0.0.3", PowerRequest(mac=vs.mac, state=PowerState.ON))
    await wait_for(lambda: relay.stats.to_sockets == 1)
    await asyncio.sleep(0.2)
    assert vs.state is False and owner.state is False
    assert relay.stats.queued == 0
    raw.close()
    await owner.stop()


async def test_a_removed_tap_hears_nothing_more(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Kills endpoint add_tap__mutmut_2 (the remover does nothing)."""
    vs = simulator.add_socket(ip="127.0.0.2")
    owner = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    tapped: list[str] = []
    remove = endpoint.add_tap(lambda datagram, _host: tapped.append(datagram[4:6].decode()))
    await owner.subscribe()
    assert tapped == [Command.SUBSCRIBE.value]
    remove()
    await owner.read_socket_data()
    vs.press_button()
    await wait_for(lambda: owner.state is True)
    assert tapped == [Command.SUBSCRIBE.value]
    await owner.stop()


async def test_collect_unsupported_takes_nothing_after_its_block(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A HomeMate plugged in after the block is counted by the endpoint but not added to the
    block's list. Kills endpoint add_unsupported_listener__mutmut_2 (the remover does nothing)."""
    async with collect_unsupported(endpoint) as unsupported:
        pass
    simulator.add_homemate(ip="127.0.0.40")  # it broadcasts when plugged in
    await wait_for(lambda: endpoint.stats.homemate == 1)
    assert unsupported == []
