"""The loopback LAN of the tests: a simulator, a client endpoint and the Wi-Fi module of a socket.

The simulator binds 0.0.0.0:<free port> and serves virtual sockets at 127.0.0.2, .3, …; the
endpoint binds 127.0.0.1 on the same port (both with SO_REUSEADDR) and broadcasts to
127.255.255.255, so nothing leaves the machine. Each test directory picks its own timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import looptime
import pytest

from custom_components.orvibo_s20.client import EndpointConfig, S20Endpoint
from simulator import Simulator, Timing
from simulator.wifi import WifiMode, WifiModule, WifiTiming

BROADCAST = "127.255.255.255"
AP_HOST = "127.0.0.254"  # stands in for the module's 10.10.100.254 in AP mode
# A quick join and a short SmartLink beacon: loopback answers at once.
WIFI_TIMING = WifiTiming(join_s=0.02, beacon_bursts=3, beacon_interval_s=0.05)

type ModuleFactory = Callable[..., Coroutine[Any, Any, WifiModule]]


async def wait_for(condition: Callable[[], object], timeout: float = 2.0, poll: float = 0.01) -> None:
    """Wait until condition() is true, polling on the loop's clock, or fail after timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(poll)


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
        sim = Simulator(port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=timing, precise_timers=False)
        await sim.start()
        yield sim
        await sim.stop()

    return _simulator


@pytest.fixture(name="loop_time", autouse=True)
async def loop_time_fixture(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Run the test on loop time: the event loop's clock jumps over idle waits (looptime).

    Resend schedules, deadlines and reply delays are then exact in loop time however busy the
    machine is, and the tests assert them without wall-clock slack. Datagrams between the client
    and the in-process simulator cross loopback inside a send call, so a jump never outruns one.
    Enabled for the whole test, fixtures' teardown included: timers set on loop time must not
    fall due on the wall clock's. A test marked `wall_clock` waits for another process, which
    loop time would outrun, and keeps the wall clock.
    """
    if request.node.get_closest_marker("wall_clock"):  # it waits for another process
        yield
        return
    loop = asyncio.get_running_loop()
    now = loop.time()
    # Home Assistant's test plugin gives its loops a `time` of their own (for its frozen clock);
    # looptime's clock is the class's method, so that attribute steps aside for the test.
    own_time = vars(loop).pop("time", None)
    patched = looptime.patch_event_loop(loop, _enabled=False)  # type: ignore[arg-type]
    # Loop time goes on from the wall clock's, in nanoseconds (looptime's default is microseconds).
    patched.setup_looptime(start=now, resolution=1e-9, _enabled=False)
    try:
        with patched.looptime_enabled():
            yield
    finally:
        if own_time is not None:
            loop.time = own_time  # type: ignore[method-assign]


@pytest.fixture(name="endpoint")
async def endpoint_fixture(simulator: Simulator) -> AsyncIterator[S20Endpoint]:
    """An open client endpoint on the simulator's loopback LAN."""
    endpoint = S20Endpoint(loopback_config(simulator.port))
    await endpoint.open()
    yield endpoint
    endpoint.close()


@pytest.fixture(name="loop_errors")
async def loop_errors_fixture() -> AsyncIterator[list[dict[str, object]]]:
    """Every exception the event loop had to swallow (from datagram_received or a listener, say)."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    loop.set_exception_handler(previous)


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
