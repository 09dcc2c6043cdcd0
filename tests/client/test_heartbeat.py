"""heartbeat(): one `hb` echoed by a socket that knows us; a `cl` for one that does not.

The simulator notes every datagram's arrival on loop time, so what the client sent and when is
exact: a socket that never heard of us ignores `hb` (counted), and the client's resends carry a
`cl` that renews the subscription one RTO later.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from simulator import Faults, Simulator

from .conftest import FAST

TIMING = replace(FAST, initial_rto_s=0.1, min_rto_s=0.1)  # every first resend after 0.1 s
EXACT = 1e-6


async def test_a_heartbeat_is_one_echoed_datagram(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await client.subscribe()
    loop = asyncio.get_running_loop()
    for _ in range(40):  # sessions are random: every one of them must go out
        sent = simulator.record_arrivals()
        start = loop.time()
        await client.heartbeat()
        assert [t - start for t in sent] == [0.0]  # the echo came at once: no resend, no pause
        assert loop.time() == start
    assert vs.counters.ignored_unsubscribed == 0
    assert (client.stats.resent, client.available) == (0, True)
    await client.stop()


async def test_a_heartbeat_before_any_subscription_subscribes(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    sent = simulator.record_arrivals()
    await client.heartbeat()
    assert len(sent) == 1 and vs.counters.ignored_unsubscribed == 0  # a `cl`, not an `hb`
    assert (client.available, client.state) == (True, True)
    assert vs.subscribers == ("127.0.0.1",)
    await client.stop()


async def test_a_heartbeat_to_a_socket_that_forgot_us_subscribes_again(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(TIMING, resubscribe_idle_s=100.0))
    await client.subscribe()
    await asyncio.sleep(simulator.timing.subscription_timeout_s + 0.5)  # the socket forgets us
    sent = simulator.record_arrivals()
    loop = asyncio.get_running_loop()
    start = loop.time()
    await client.heartbeat()
    # hb (ignored), then hb + cl one RTO later: the cl's reply ends it, after the post-subscribe gap.
    assert [t - start for t in sent] == pytest.approx([0.0, 0.1, 0.1], abs=EXACT)
    assert vs.counters.ignored_unsubscribed == 2  # both hb: the cl came after the second
    assert loop.time() - start == pytest.approx(0.1 + TIMING.post_subscribe_gap_s, abs=EXACT)
    assert client.available is True and vs.subscribers == ("127.0.0.1",)
    # Subscribed again: a command goes straight out, no `cl` first.
    sent = simulator.record_arrivals()
    await client.set_power(True)
    assert len(sent) == 1 and vs.state is True
    await client.stop()



async def test_another_clients_reply_does_not_answer_our_heartbeat(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    """Theirs, a power command, is acked and pushed while our heartbeat waits for its echo."""
    vs = simulator.add_socket(ip="127.0.0.2")
    ours = S20Client(endpoint, vs.mac, vs.ip, timing=replace(TIMING, initial_rto_s=0.2, min_rto_s=0.2))
    theirs = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await ours.subscribe()
    await theirs.subscribe()
    simulator.set_faults(Faults(latency_to_device_s=0.05))  # every request lands 50 ms after it left
    power = asyncio.create_task(theirs.set_power(True))  # acked and pushed at 0.05
    await asyncio.sleep(0.02)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await ours.heartbeat()  # echoed at 0.07
    assert loop.time() - start == pytest.approx(0.05, abs=EXACT)
    await power
    await ours.stop()
    await theirs.stop()
