"""Fixtures: a simulator, its Wi-Fi module and a client endpoint on the loopback LAN (no Home Assistant)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
import time

import pytest

from custom_components.orvibo_s20.client import ClientTiming
from simulator import Timing
from simulator.wifi import WifiMode, WifiModule, WifiTiming
from tests.loopback import (  # noqa: F401 (fixtures)
    AP_HOST,
    BROADCAST,
    WIFI_TIMING,
    ModuleFactory,
    at_port_fixture,
    loop_time_fixture,
    endpoint_fixture,
    module_factory_fixture,
    no_home_assistant,
    simulator_fixture,
    wait_for,
    smartlink_port_fixture,
)

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

make_module = module_factory_fixture()


@pytest.fixture
async def ap_module(make_module: ModuleFactory) -> WifiModule:
    return await make_module()


@pytest.fixture
async def smartlink_module(make_module: ModuleFactory) -> WifiModule:
    return await make_module(WifiMode.SMARTLINK)


def never_calibrates() -> WifiTiming:
    """A sniffer that never trusts what it sees: it listens until the test ends."""
    return replace(WIFI_TIMING, calibration_count=10**9)



simulator = simulator_fixture(SIM_TIMING)  # this directory's timing
