"""A socket that moves to a new IP; duplicated and reordered datagrams."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
import random

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, probe_mac
from custom_components.orvibo_s20.protocol import (
    DiscoveryReply,
    PowerState,
    S20TimeoutError,
    Timer,
    Weekday,
)
from simulator import Faults, Simulator
from tests.client.conftest import FAST, wait_for


async def test_move_followed_from_announcement(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.timing = replace(simulator.timing, announce_count=2, announce_interval_s=0.05)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=0.3))
    await client.set_power(True)

    def follow(reply: DiscoveryReply, host: str) -> None:
        # What the integration's discovery does: the MAC announced itself from a new IP.
        if reply.mac == client.mac:
            client.set_host(host)

    endpoint.add_discovery_listener(follow)
    simulator.move(vs.mac, "127.0.0.9")
    await wait_for(lambda: client.host == "127.0.0.9")
    await client.set_power(False)  # subscribes again at the new address first
    assert vs.state is False
    assert simulator.counters.unreachable == 0
    await client.stop()


async def test_move_found_by_probe_after_a_failed_command(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=0.3))
    await client.subscribe()
    simulator.move(vs.mac, "127.0.0.9")  # no announcements in this timing: a silent move
    with pytest.raises(S20TimeoutError):
        await client.set_power(True)
    assert vs.state is False  # failed, and indeed not applied
    assert simulator.counters.unreachable > 0  # the old address has nobody
    found = await probe_mac(endpoint, vs.mac, timeout_s=1.0)
    assert found is not None and found.host == "127.0.0.9"
    client.set_host(found.host)
    await client.set_power(True)
    assert vs.state is True and client.state is True
    await client.stop()


@pytest.mark.parametrize(
    "faults",
    [
        Faults(duplicate=0.5, loss_to_device=0.1, loss_from_device=0.1),
        Faults(reorder=0.3, reorder_delay_s=0.005),
        Faults(reorder=0.3, reorder_delay_s=0.03, jitter_s=0.003),
    ],
    ids=["duplicates+loss", "reorder-5ms", "reorder-30ms+jitter"],
)
@pytest.mark.parametrize("seed", [1, 2])
async def test_duplicated_and_reordered_datagrams(
    faults: Faults, seed: int, simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Late copies of requests, acks and pushes overtake each other; the device keeps its own
    # 10 ms processing time and its second `sf` 45 ms after the first, as the real socket.
    # Not covered: a duplicate that arrives *later* than its twin, with loss. Then a late copy
    # of an earlier command's ack (plus, for power, the 45 ms repeat of an earlier `sf`) can
    # confirm a request that was lost: acks carry no request id (reported in issue 5).
    simulator.timing = replace(simulator.timing, reply_delay_s=0.01, push_delay_s=0.006)
    simulator.set_faults(faults)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=5.0))
    rng = random.Random(seed)
    for _ in range(25):
        wanted = rng.random() < 0.5
        await client.set_power(wanted)
        assert vs.state is wanted  # never a success for a state the socket is not in
        assert client.state is wanted
    await client.rename(f"dup {seed}")
    assert vs.name == f"dup {seed}"
    await client.start_countdown(600, True)
    countdown = await client.get_countdown()
    assert countdown is not None and countdown.remaining_s > 590
    codes = []
    for hour in (7, 8):
        stored = await client.add_timer(
            Timer.weekly(code=0, at=time(hour), weekdays=frozenset({Weekday.MONDAY}), action=PowerState.ON,
                         today=date(2026, 1, 1))
        )
        codes.append(stored.code)
    await client.delete_timer(codes[0])
    assert set(vs.timers) == {codes[1]}
    assert {t.code for t in await client.get_timers()} == {codes[1]}
    assert (simulator.counters.duplicated > 0) is (faults.duplicate > 0)
    await wait_for(lambda: client.state is vs.state)
    await client.stop()
