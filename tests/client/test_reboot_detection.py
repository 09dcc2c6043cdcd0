"""A discovery reply whose clock went back more than a minute from what the client expects tells
of a reboot: the client counts it and subscribes again. A clock that kept counting does not."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, probe_host
from custom_components.orvibo_s20.protocol import clock_from_datetime
from simulator import Simulator

from .conftest import FAST

NOON = datetime(2026, 12, 7, 12, tzinfo=UTC)
ELAPSED = 130  # seconds between setting the clock and hearing it again


async def test_a_clock_that_kept_counting_is_no_reboot(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.set_clock(NOON)
    await asyncio.sleep(ELAPSED)
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None
    assert client.reboots == 0
    await client.stop()


async def test_a_clock_that_fell_behind_by_more_than_a_minute_is_a_reboot(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.set_clock(NOON)
    await asyncio.sleep(ELAPSED)
    vs.set_clock(clock_from_datetime(NOON) + ELAPSED - 61)  # set back by someone, 61 s
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None
    assert client.reboots == 1
    # Taken as a reboot: the subscription is renewed before the next command.
    sent = simulator.record_arrivals()
    await client.set_power(True)
    assert len(sent) == 2 and vs.state is True  # cl, then dc
    await client.stop()


async def test_a_clock_less_than_a_minute_behind_is_no_reboot(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.set_clock(NOON)
    await asyncio.sleep(ELAPSED)
    vs.set_clock(clock_from_datetime(NOON) + ELAPSED - 59)
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None
    assert client.reboots == 0
    await client.stop()


async def test_every_reboot_is_counted(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    for count in (1, 2):
        await client.set_clock(NOON)
        vs.set_clock(clock_from_datetime(NOON) - 61)  # as if it rebooted and someone set it back
        assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None
        assert client.reboots == count
    await client.stop()
