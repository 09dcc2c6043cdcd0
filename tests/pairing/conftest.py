"""Fixtures: a simulator, its Wi-Fi module and a client endpoint on the loopback LAN (no Home Assistant)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
import time
from typing import Any

import pytest

from custom_components.orvibo_s20.client import ClientTiming
from simulator import Simulator, Timing
from simulator.wifi import WifiFaults, WifiMode, WifiModule, WifiTiming
from tests.loopback import endpoint_fixture, no_home_assistant, simulator_fixture  # noqa: F401 (fixtures)

BROADCAST = "127.255.255.255"
AP_HOST = "127.0.0.254"  # stands in for 10.10.100.254
LOCAL = ("127.0.0.1", 0)  # where the pairing drivers bind: loopback, an ephemeral port
# The SmartLink schedule at 100× speed: a round of an 8-character password takes 0.12 s.
SPEED = 100.0
# Short AT timeouts: the module answers at once on loopback, so 0.15 s only costs on a loss.
AT_FAST: dict[str, float] = {"reply_timeout_s": 0.15, "timeout_s": 5.0}
# For the tests that wait out every retry on purpose.
AT_TIMEOUT_FAST: dict[str, float] = {"reply_timeout_s": 0.05, "timeout_s": 5.0}

# A short discovery burst (3 replies 5 ms apart instead of 10 × 15 ms) and a guard to match.
CLIENT_TIMING = ClientTiming(initial_rto_s=0.05, min_rto_s=0.02, max_rto_s=0.2, deadline_s=2.0, burst_guard_s=0.03)
SIM_TIMING = Timing(
    reply_delay_s=0.0, push_delay_s=0.0, post_subscribe_deaf_s=0.0, announce_count=0, announce_every_s=None,
    reboot_s=0.2, tick_s=0.1, burst_count=3, burst_interval_s=0.005,
)
WIFI_TIMING = WifiTiming(join_s=0.02, beacon_bursts=3, beacon_interval_s=0.05)

type ModuleFactory = Callable[..., Coroutine[Any, Any, WifiModule]]


@pytest.fixture
def at_port(socket_enabled: None) -> int:
    return Simulator.free_port()


@pytest.fixture
def smartlink_port(socket_enabled: None) -> int:
    return Simulator.free_port()


@pytest.fixture
async def make_module(
    simulator: Simulator, at_port: int, smartlink_port: int
) -> AsyncIterator[ModuleFactory]:
    """Start Wi-Fi modules (AP mode unless told) on the test's ports; stopped at teardown."""
    modules: list[WifiModule] = []

    async def make(
        mode: WifiMode = WifiMode.AP, *, faults: WifiFaults | None = None, **kwargs: Any
    ) -> WifiModule:
        timing = kwargs.pop("timing", WIFI_TIMING)
        module = WifiModule(
            simulator, mode=mode, ap_host=AP_HOST, at_port=at_port, smartlink_port=smartlink_port,
            broadcast=BROADCAST, timing=timing, faults=faults, **kwargs,
        )
        await module.start()
        modules.append(module)
        return module

    yield make
    for module in modules:
        await module.stop()


@pytest.fixture
async def ap_module(make_module: ModuleFactory) -> WifiModule:
    return await make_module()


@pytest.fixture
async def smartlink_module(make_module: ModuleFactory) -> WifiModule:
    return await make_module(WifiMode.SMARTLINK)


def never_calibrates() -> WifiTiming:
    """A sniffer that never trusts what it sees: it listens until the test ends."""
    return replace(WIFI_TIMING, calibration_count=10**9)


async def wait_for(condition: Callable[[], object], timeout: float = 2.0) -> None:
    """Wait until condition() is true (polling the loop), or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


simulator = simulator_fixture(SIM_TIMING)  # this directory's timing
