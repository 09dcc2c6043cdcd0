"""The keepalive, on loop time: a `cl` on a shared grid of keepalive_s, at once when not yet
subscribed, retried after keepalive_retry_s when unanswered; unavailable only after
unavailable_after_s of silence; and a command right behind a keepalive waits out the socket's
deaf moment after its `cl` ack."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, probe_host
from simulator import Simulator

from .conftest import FAST

TIMING = replace(FAST, keepalive_s=1.0, keepalive_retry_s=0.3, deadline_s=0.2, unavailable_after_s=0.5)
EXACT = 1e-6


def _on_grid(times: list[float], period: float) -> list[float]:
    """How far each time lies past a multiple of period (0 for each on the grid)."""
    return [round(t % period, 6) % period for t in times]


async def test_a_subscribed_client_keeps_to_the_grid(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await client.subscribe()
    loop = asyncio.get_running_loop()
    await asyncio.sleep(TIMING.keepalive_s - loop.time() % TIMING.keepalive_s + 0.3)  # 0.3 s past the grid
    sent = simulator.record_arrivals()
    start = loop.time()
    client.start()
    await asyncio.sleep(3.5)
    await client.stop()
    assert len(sent) == 3 and sent[0] > start  # none at once: it was subscribed
    assert _on_grid(sent, TIMING.keepalive_s) == pytest.approx([0.0] * 3, abs=EXACT)
    assert client.stats.resubscribes == 0


async def test_a_new_client_subscribes_at_once(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    sent = simulator.record_arrivals()
    start = asyncio.get_running_loop().time()
    client.start()
    await asyncio.sleep(0.01)
    assert [t - start for t in sent] == [0.0] and client.available is True
    assert client.stats.resubscribes == 1  # not subscribed before: counted as a subscription regained
    await client.stop()


async def test_each_lost_subscription_is_counted_and_renewed(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await client.subscribe()
    client.start()
    loop = asyncio.get_running_loop()
    for outage in (1, 2):
        # Off Wi-Fi from just before a keepalive until before its retry: that one times out
        # (the subscription counts as lost), the retry 0.2 + 0.3 s after it renews it.
        grid = (loop.time() // TIMING.keepalive_s + 2) * TIMING.keepalive_s
        await asyncio.sleep(grid - 0.05 - loop.time())
        simulator.set_online(vs.mac, False)
        await asyncio.sleep(0.35)
        simulator.set_online(vs.mac, True)
        await asyncio.sleep(simulator.timing.reboot_s)  # back on Wi-Fi before the retry
        assert client.stats.resubscribes == outage and client.stats.timeouts == outage
    await client.stop()


async def test_an_unanswered_keepalive_is_retried_and_silence_makes_it_unavailable(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    client.start()
    await asyncio.sleep(0.05)
    assert client.available is True
    simulator.set_online(vs.mac, False)
    sent = simulator.record_arrivals()
    while client.available:
        await asyncio.sleep(0.01)
    assert client.available is False
    # Keepalives on the grid, each tried for deadline_s, then again keepalive_retry_s later;
    # unavailable at the end of the first one unanswered after 0.5 s of silence.
    assert client.silent_s >= TIMING.unavailable_after_s  # since its last reply, before the socket left
    firsts = [t for i, t in enumerate(sent) if i == 0 or t - sent[i - 1] > TIMING.deadline_s]
    assert [round(b - a, 6) for a, b in zip(firsts[1:], firsts[2:], strict=False)] == [
        TIMING.deadline_s + TIMING.keepalive_retry_s
    ] * (len(firsts) - 2)
    await client.stop()


async def test_a_command_right_behind_a_keepalive_waits_out_the_deaf_moment(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    simulator.timing = replace(simulator.timing, reply_delay_s=0.01)  # the cl reply comes at 0.01 s
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    sent = simulator.record_arrivals()
    start = asyncio.get_running_loop().time()
    client.start()  # subscribes at once, holding the lock until the reply
    await asyncio.sleep(0.005)
    assert len(sent) == 1
    await client.set_power(True)  # queued behind it
    assert vs.state is True
    assert (simulator.counters.dropped_busy, client.stats.resent) == (0, 0)
    # The dc left post_subscribe_gap_s after the cl's reply, when the socket hears again.
    assert [round(t - start, 6) for t in sent] == [0.0, 0.01 + TIMING.post_subscribe_gap_s]
    await client.stop()


async def test_a_socket_heard_while_unavailable_is_subscribed_at_once(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    # Retries seconds apart; a deadline longer than the burst guard (else the held-back cl expires).
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(TIMING, keepalive_retry_s=5.0, deadline_s=0.5))
    client.start()
    await asyncio.sleep(0.05)
    simulator.set_online(vs.mac, False)
    while client.available:
        await asyncio.sleep(0.01)
    simulator.set_online(vs.mac, True)
    await asyncio.sleep(simulator.timing.reboot_s + 0.1)  # back, but the next retry is seconds away
    sent = simulator.record_arrivals()
    loop = asyncio.get_running_loop()
    heard = loop.time()
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None  # its answer wakes the keepalive
    await asyncio.sleep(TIMING.burst_guard_s + 0.01)
    assert client.available is True
    # The probe, then the cl as soon as the socket's reply burst is over.
    assert [round(t - heard, 6) for t in sent] == [0.0, TIMING.burst_guard_s]
    await client.stop()


async def test_the_keepalive_task_is_named_after_its_socket(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    client.start()
    assert f"orvibo_s20 keepalive {vs.mac}" in {task.get_name() for task in asyncio.all_tasks()}
    await client.stop()
