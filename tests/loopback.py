"""The loopback LAN of the tests: a simulator, a client endpoint and the Wi-Fi module of a socket.

The simulator binds 0.0.0.0:<free port> and serves virtual sockets at 127.0.0.2, .3, …; the
endpoint binds 127.0.0.1 on the same port (both with SO_REUSEADDR) and broadcasts to
127.255.255.255, so nothing leaves the machine. Each test directory picks its own timing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from custom_components.orvibo_s20.client import EndpointConfig, S20Endpoint
from simulator import Simulator, Timing
from simulator.wifi import WifiMode, WifiModule, WifiTiming

BROADCAST = "127.255.255.255"
AP_HOST = "127.0.0.254"  # stands in for the module's 10.10.100.254 in AP mode
# A quick join and a short SmartLink beacon: loopback answers at once.
WIFI_TIMING = WifiTiming(join_s=0.02, beacon_bursts=3, beacon_interval_s=0.05)

type ModuleFactory = Callable[..., Coroutine[Any, Any, WifiModule]]


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


@pytest.fixture(name="at_port")
def at_port_fixture(socket_enabled: None) -> int:
    """Where the Wi-Fi module answers AT commands (48899 on a real socket)."""
    return Simulator.free_port()


@pytest.fixture(name="smartlink_port")
def smartlink_port_fixture(socket_enabled: None) -> int:
    """Where SmartLink packets go and the module's `smart_config` beacons come back (49999 for real)."""
    return Simulator.free_port()


def module_factory_fixture(**defaults: Any) -> Any:
    """A `make_module` fixture: start Wi-Fi modules (AP mode unless told) of the test's simulator
    on the test's ports, with these WifiModule arguments unless a test gives its own; stopped at
    teardown."""

    @pytest.fixture(name="make_module")
    async def _make_module(simulator: Simulator, at_port: int, smartlink_port: int) -> AsyncIterator[ModuleFactory]:
        modules: list[WifiModule] = []

        async def make(mode: WifiMode = WifiMode.AP, **kwargs: Any) -> WifiModule:
            module = WifiModule(
                simulator, mode=mode, ap_host=AP_HOST, at_port=at_port, smartlink_port=smartlink_port,
                broadcast=BROADCAST, **({"timing": WIFI_TIMING} | defaults | kwargs),
            )
            await module.start()
            modules.append(module)
            return module

        yield make
        for module in modules:
            await module.stop()

    return _make_module
