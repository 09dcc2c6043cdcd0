"""The loopback LAN of the tests without Home Assistant: a simulator and a client endpoint.

The simulator binds 0.0.0.0:<free port> and serves virtual sockets at 127.0.0.2, .3, …; the
endpoint binds 127.0.0.1 on the same port (both with SO_REUSEADDR) and broadcasts to
127.255.255.255, so nothing leaves the machine. Each test directory picks its own timing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from custom_components.orvibo_s20.client import EndpointConfig, S20Endpoint
from simulator import Simulator, Timing

BROADCAST = "127.255.255.255"


def loopback_config(port: int) -> EndpointConfig:
    """The client side of the loopback LAN of a simulator on port."""
    return EndpointConfig(
        bind_host="127.0.0.1", port=port, broadcast_addresses=(BROADCAST,),
        broadcast_listen_host=BROADCAST, reuse_address=True,
    )


def simulator_fixture(timing: Timing) -> Any:
    """A `simulator` fixture: a running simulator with this timing on a free port."""

    @pytest.fixture(name="simulator")
    async def _simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
        sim = Simulator(port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=timing)
        await sim.start()
        yield sim
        await sim.stop()

    return _simulator


@pytest.fixture(name="endpoint")
async def endpoint_fixture(simulator: Simulator) -> AsyncIterator[S20Endpoint]:
    """An open client endpoint on the simulator's loopback LAN."""
    endpoint = S20Endpoint(loopback_config(simulator.port))
    await endpoint.open()
    yield endpoint
    endpoint.close()


@pytest.fixture(name="auto_enable_custom_integrations")
def no_home_assistant() -> None:
    """No Home Assistant here: replaces the root conftest's autouse fixture of the same name."""
