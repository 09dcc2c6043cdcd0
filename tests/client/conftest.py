"""Fixtures: a simulator and a client endpoint on the loopback LAN (no Home Assistant)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import time

import pytest

from custom_components.orvibo_s20.client import ClientTiming, EndpointConfig, S20Endpoint
from simulator import Simulator, Timing

# Faster than the real device's defaults so the suite runs in seconds.
FAST = ClientTiming(initial_rto_s=0.05, min_rto_s=0.02, max_rto_s=0.2, deadline_s=2.0, burst_guard_s=0.2)
SIM_TIMING = Timing(
    reply_delay_s=0.0, push_delay_s=0.0, subscription_timeout_s=1.0, announce_count=0,
    announce_every_s=None, reboot_s=0.3, tick_s=0.1,
)


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """No Home Assistant here: replaces the root conftest's autouse fixture."""


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    sim = Simulator(port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=SIM_TIMING)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def endpoint(simulator: Simulator) -> AsyncIterator[S20Endpoint]:
    endpoint = S20Endpoint(
        EndpointConfig(
            bind_host="127.0.0.1", port=simulator.port, broadcast_addresses=("127.255.255.255",),
            broadcast_listen_host="127.255.255.255", reuse_address=True,
        )
    )
    await endpoint.open()
    yield endpoint
    endpoint.close()


async def wait_for(condition: Callable[[], object], timeout: float = 2.0) -> None:
    """Wait until condition() is true (polling the loop), or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
