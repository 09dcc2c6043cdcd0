"""Fixtures: Home Assistant with the integration on the loopback LAN, against the simulator.

The `orvibo_s20:` YAML block points the shared endpoint at 127.0.0.1 and the loopback broadcast
address (phacc's mocked network would otherwise give 10.10.10.255 and 255.255.255.255: nothing
may ever be sent there). Timings are shortened so the suite runs in seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.client import ClientTiming
from custom_components.orvibo_s20.const import CONF_MAC, DOMAIN
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from simulator import Simulator, Timing
from simulator.device import VirtualSocket

BROADCAST = "127.255.255.255"
FAST_CLIENT = ClientTiming(initial_rto_s=0.05, min_rto_s=0.02, max_rto_s=0.2, deadline_s=1.5, burst_guard_s=0.1)
SIM_TIMING = Timing(
    reply_delay_s=0.0, push_delay_s=0.0, subscription_timeout_s=30.0, announce_count=0,
    announce_every_s=None, reboot_s=0.2, tick_s=0.1,
)


@pytest.fixture(autouse=True)
def fast_timing() -> Iterator[None]:
    """Shorter resends, scans and probes than on a real LAN."""
    with (
        patch("custom_components.orvibo_s20.discovery.CLIENT_TIMING", FAST_CLIENT),
        patch("custom_components.orvibo_s20.discovery.SCAN_WINDOW_S", 0.3),
        patch("custom_components.orvibo_s20.discovery.PROBE_TIMEOUT_S", 0.5),
    ):
        yield


@pytest.fixture
def short_deadline() -> Iterator[None]:
    """Give up on an unanswered request sooner, and lose a silent socket after 1 s (its keepalive
    every 0.3 s): for tests that wait for failures (request it before `entry`)."""
    timing = replace(FAST_CLIENT, deadline_s=0.4, keepalive_s=0.3, keepalive_retry_s=0.1, unavailable_after_s=1.0)
    with patch("custom_components.orvibo_s20.discovery.CLIENT_TIMING", timing):
        yield


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    sim = Simulator(port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=SIM_TIMING)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def sim_socket(simulator: Simulator) -> VirtualSocket:
    """One named socket at 127.0.0.2."""
    return simulator.add_socket(name="Desk lamp")


@pytest.fixture
def network_config(simulator: Simulator) -> dict[str, object]:
    return {
        DOMAIN: {
            "bind_address": "127.0.0.1",
            "port": simulator.port,
            "broadcast_addresses": [BROADCAST],
            "broadcast_listen_address": BROADCAST,
            "reuse_address": True,
            # The background scan is triggered by hand in tests.
            "scan_interval": timedelta(days=1),
        }
    }


@pytest.fixture
async def setup_network(hass: HomeAssistant, network_config: dict[str, object]) -> None:
    """Set the integration up with the loopback LAN settings (no entry yet)."""
    assert await async_setup_component(hass, DOMAIN, network_config)
    await hass.async_block_till_done()


def make_entry(sock: VirtualSocket, **data: str) -> MockConfigEntry:
    mac = str(sock.mac)
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=mac,
        title=sock.name or mac,
        data={CONF_HOST: sock.ip, CONF_MAC: mac, **data},
    )


@pytest.fixture
async def entry(hass: HomeAssistant, setup_network: None, sim_socket: VirtualSocket) -> AsyncIterator[MockConfigEntry]:
    """The socket at 127.0.0.2 set up as a config entry; unloaded at the end."""
    config_entry = make_entry(sim_socket)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    yield config_entry
    await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
