"""A running countdown is read back with the seconds it has left, down to its last second."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import Countdown, S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import COUNTDOWN_MAX_S, EncodeError, PowerState
from simulator import Simulator

from .conftest import FAST


async def test_the_last_seconds_of_a_countdown(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.timing = replace(simulator.timing, subscription_timeout_s=240.0)  # the real socket's, > 60 s
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.start_countdown(60, action=True)
    started = asyncio.get_running_loop().time()
    await asyncio.sleep(58.5)
    assert await client.get_countdown() == Countdown(action=PowerState.ON, remaining_s=2)
    await asyncio.sleep(started + 59.5 - asyncio.get_running_loop().time())
    assert await client.get_countdown() == Countdown(action=PowerState.ON, remaining_s=1)
    # A hair before it fires the socket reports 0 s left: that is no countdown any more.
    await asyncio.sleep(started + 60 - 1e-7 - asyncio.get_running_loop().time())
    assert await client.get_countdown() is None
    assert vs.state is False
    await client.stop()


async def test_a_cancelled_countdown_never_fires(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.start_countdown(5, action=True)
    await client.cancel_countdown()
    assert vs.countdown is None
    await asyncio.sleep(6)
    assert vs.state is False and vs.counters.countdowns_fired == 0
    await client.stop()


async def test_a_countdown_that_switches_off(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.start_countdown(30, action=False)
    assert await client.get_countdown() == Countdown(action=PowerState.OFF, remaining_s=30)
    await asyncio.sleep(30.5)
    assert vs.state is False
    await client.stop()


async def test_the_longest_countdown_is_taken(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.start_countdown(COUNTDOWN_MAX_S, action=True)
    assert await client.get_countdown() == Countdown(action=PowerState.ON, remaining_s=COUNTDOWN_MAX_S)
    await client.stop()


@pytest.mark.parametrize("seconds", [0, COUNTDOWN_MAX_S + 1])
async def test_a_countdown_out_of_range_is_refused_before_sending(
    simulator: Simulator, endpoint: S20Endpoint, seconds: int
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    with pytest.raises(EncodeError, match=f"^countdown must be 1–{COUNTDOWN_MAX_S} seconds, not {seconds}$"):
        await client.start_countdown(seconds, action=True)
    assert simulator.counters.received == 0
    await client.stop()
