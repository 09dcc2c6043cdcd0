"""Fixtures of the fault tests: the simulator and the endpoint on the loopback LAN, fast timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
import socket

import pytest

from custom_components.orvibo_s20.client import EndpointConfig, S20Endpoint
from simulator import Simulator
from tests.client.conftest import FAST, SIM_TIMING

# Keepalive at test speed: heartbeats and retries every few hundred ms instead of 30 s / 10 s.
KEEPALIVE = replace(FAST, heartbeat_s=0.2, retry_unavailable_s=0.3, deadline_s=0.4)
# A socket clock that was set (a reboot brings it back to 2000-01-01): seconds since 1900.
SET_CLOCK = 3_960_000_000


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


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, object]]]:
    """Every exception the event loop had to swallow (e.g. from datagram_received)."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(previous)


@pytest.fixture
def raw_sender() -> Iterator[socket.socket]:
    """A plain UDP socket at a loopback address no virtual socket uses (a stranger on the LAN)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.66", 0))
    yield sock
    sock.close()
