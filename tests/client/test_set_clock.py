"""set_clock: a resent clock is a second later, and only the socket's own `cs` ack confirms it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import clock_from_datetime
from simulator import Faults, Simulator

from .conftest import FAST

TIMING = replace(FAST, initial_rto_s=0.1, min_rto_s=0.1)  # resends 0.1 s apart
NOON = datetime(2026, 12, 7, 12, tzinfo=UTC)
EXACT = 1e-6


async def test_each_resend_of_the_clock_is_a_second_later(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(TIMING, backoff=1.0))
    await client.subscribe()
    simulator.set_faults(Faults(loss_to_device=1.0))
    loop = asyncio.get_running_loop()
    loop.call_later(0.25, simulator.set_faults, Faults())  # copies at 0, 0.1, 0.2 lost; 0.3 lands
    await client.set_clock(NOON)
    assert vs.clock == clock_from_datetime(NOON) + 3
    assert client.device_clock == clock_from_datetime(NOON)  # what the client counts from
    await client.stop()


async def test_another_clients_ack_does_not_confirm_the_clock(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Two clients of one socket (an entry's and a config flow's): each waits for its own reply."""
    vs = simulator.add_socket(ip="127.0.0.2")
    ours = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    theirs = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await ours.subscribe()
    await theirs.subscribe()
    simulator.set_faults(Faults(latency_to_device_s=0.05))  # every request lands 50 ms after it left
    loop = asyncio.get_running_loop()
    start = loop.time()
    power = asyncio.create_task(theirs.set_power(True))
    await asyncio.sleep(0.01)
    # Their dc is acked (and pushed) at 0.05; our cs, sent at 0.01, is acked at 0.06.
    await ours.set_clock(NOON)
    assert loop.time() - start == pytest.approx(0.06, abs=EXACT)
    assert vs.clock == clock_from_datetime(NOON)
    await power
    await ours.stop()
    await theirs.stop()
