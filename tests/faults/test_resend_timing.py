"""Resends are timed by the socket's direct replies, and wait for a push that lags its ack.

A power command is confirmed by the `sf` push, which the real socket sends 4–40 ms after its
ack and repeats ~45 ms later (PROTOCOL.md §3.5). Timing the round trip by the push (or by its
repeat, when the push was lost) took that lag for network delay and stretched every resend;
timing it by the ack alone must not resend while the push is on its way.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from simulator import Faults, Simulator
from tests.client.conftest import FAST


async def test_resends_follow_the_ack_and_wait_for_a_lagging_push(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Ack after 20 ms, push 40 ms after the ack: the push comes after one RTO (50 ms) from the send.
    simulator.timing = replace(simulator.timing, reply_delay_s=0.02, push_delay_s=0.04)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, min_rto_s=0.05))
    await client.subscribe()
    for _ in range(4):
        await client.set_power(True)
        await client.set_power(False)
    assert client.stats.resent == 0  # the ack bought the push one more RTO
    simulator.set_faults(Faults(loss_to_device=1.0))
    lost_before = simulator.counters.dropped_loss
    command = asyncio.create_task(client.set_power(True))
    await asyncio.sleep(0.085)
    # Sent at 0 and resent (with a cl) at 50 ms; timed by the push (60 ms) it would wait > 100 ms.
    assert simulator.counters.dropped_loss - lost_before >= 3
    simulator.set_faults(Faults())
    await command
    assert vs.state is True
    await client.stop()
