"""Stopping and cancelling: a cancelled caller stays cancelled, and stop() always finishes its job.

stop() fails the request in flight with S20ConnectionError (test_client.py); a caller that was
itself cancelled (a Home Assistant service call timing out, a task torn down) must see its own
CancelledError, even when the client stops at the same moment.
"""

from __future__ import annotations

import asyncio

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, probe_host
from custom_components.orvibo_s20.protocol import S20ConnectionError
from simulator import Simulator

from .conftest import FAST


async def test_a_cancelled_request_is_cancelled_even_while_the_client_stops(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    simulator.set_online(vs.mac, False)
    request = asyncio.create_task(client.get_countdown())
    await asyncio.sleep(0.01)  # waiting for its reply
    request.cancel()
    await client.stop()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert request.cancelled()


async def test_a_cancelled_stop_is_cancelled(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    client.start()
    await asyncio.sleep(0.01)  # the keepalive task runs
    stopping = asyncio.create_task(client.stop())
    await asyncio.sleep(0)  # stop() now waits for the keepalive task to end
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert stopping.cancelled()
    await client.stop()  # stopping again finishes the job


async def test_stopping_twice_is_harmless(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    client.start()
    await asyncio.sleep(0.01)
    await client.stop()
    await client.stop()


async def test_stop_while_a_request_waits_out_a_discovery_burst(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """The request has not left yet (a burst holds it back): stop() returns, and it fails."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None  # the burst guard starts
    request = asyncio.create_task(client.get_countdown())
    await asyncio.sleep(0.01)  # held back
    await client.stop()
    with pytest.raises(S20ConnectionError):
        await request
