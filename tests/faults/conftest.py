"""Fixtures of the fault tests: the simulator and the endpoint on the loopback LAN, fast timing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
import socket

import pytest

from tests.client.conftest import FAST, SIM_TIMING
from tests.loopback import (  # noqa: F401 (fixtures)
    endpoint_fixture,
    loop_errors_fixture,
    loop_time_fixture,
    no_home_assistant,
    simulator_fixture,
)

# Keepalive at test speed: a subscribe every 0.2 s, gone after 0.5 s of silence (10 s / 20 s for real).
KEEPALIVE = replace(FAST, keepalive_s=0.2, keepalive_retry_s=0.3, deadline_s=0.4, unavailable_after_s=0.5)
# A socket clock that was set (a reboot brings it back to 2000-01-01): seconds since 1900.
SET_CLOCK = 3_960_000_000



@pytest.fixture
def raw_sender() -> Iterator[socket.socket]:
    """A plain UDP socket at a loopback address no virtual socket uses (a stranger on the LAN)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.66", 0))
    yield sock
    sock.close()


simulator = simulator_fixture(SIM_TIMING)  # this directory's timing
