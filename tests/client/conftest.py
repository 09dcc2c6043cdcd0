"""Fixtures: a simulator and a client endpoint on the loopback LAN (no Home Assistant)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time

from custom_components.orvibo_s20.client import ClientTiming
from simulator import Timing
from tests.loopback import (  # noqa: F401 (fixtures)
    endpoint_fixture,
    loop_errors_fixture,
    loop_time_fixture,
    no_home_assistant,
    simulator_fixture,
    wait_for,
)

# Faster than the real device's defaults so the suite runs in seconds.
FAST = ClientTiming(initial_rto_s=0.05, min_rto_s=0.02, max_rto_s=0.2, deadline_s=2.0, burst_guard_s=0.2)
SIM_TIMING = Timing(
    reply_delay_s=0.0, push_delay_s=0.0, subscription_timeout_s=1.0, announce_count=0,
    announce_every_s=None, reboot_s=0.3, tick_s=0.1,
)



simulator = simulator_fixture(SIM_TIMING)  # this directory's timing
