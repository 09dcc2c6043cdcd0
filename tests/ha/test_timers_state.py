"""Table 3 in the coordinator's state: read at setup, after Home Assistant's changes, and by the poll."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol import PowerState, Timer, Weekday
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from simulator.device import VirtualSocket

from .common import POWER, coordinator

LONG = timedelta(hours=1)
VENDOR_TIMER = Timer.weekly(
    code=7, at=time(6, 30), weekdays=frozenset({Weekday.MONDAY}), action=PowerState.ON, today=dt_util.now().date()
)


@pytest.fixture
def network_config(network_config: dict[str, Any]) -> dict[str, Any]:
    """No poll runs by itself: each test refreshes by hand."""
    return {DOMAIN: {**network_config[DOMAIN], "poll_interval": LONG}}


@pytest.fixture
def sim_socket(sim_socket: VirtualSocket) -> VirtualSocket:
    """The socket already stores a timer set with the vendor app."""
    sim_socket.add_timer(VENDOR_TIMER)
    return sim_socket


async def test_timers_read_at_setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The timer the socket stored before setup is in the state from the start."""
    assert coordinator(entry).data.timers == (VENDOR_TIMER,)


async def test_timers_follow_home_assistants_changes(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """A timer added or removed by a service shows at once, as the socket stores it."""
    coord = coordinator(entry)
    day = (dt_util.now() + timedelta(days=2)).date()
    response = await hass.services.async_call(
        DOMAIN, "add_timer", {"entity_id": POWER, "time": "22:15", "date": day.isoformat(), "action": "off"},
        blocking=True, return_response=True,
    )
    code = response[POWER]["id"]  # type: ignore[index]
    assert {timer.code for timer in coord.data.timers} == {7, code}
    assert coord.data.timers == tuple(sorted(sim_socket.timers.values(), key=lambda timer: timer.code))

    await hass.services.async_call(DOMAIN, "remove_timer", {"entity_id": POWER, "id": 7}, blocking=True)
    assert [timer.code for timer in coord.data.timers] == [code]
    await hass.services.async_call(DOMAIN, "clear_timers", {"entity_id": POWER}, blocking=True)
    assert coord.data.timers == ()
    assert sim_socket.timers == {}


async def test_poll_reads_timers_set_elsewhere(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """A timer the vendor app adds shows with the poll that re-reads table 4, not before."""
    coord = coordinator(entry)
    other = Timer.once(code=9, at=time(23, 0), on=(dt_util.now() + timedelta(days=1)).date(), action=PowerState.OFF)
    sim_socket.add_timer(other)
    with patch("custom_components.orvibo_s20.coordinator.SOCKET_DATA_EVERY_POLLS", 2):
        await coord.async_refresh()  # the countdown only
        assert coord.data.timers == (VENDOR_TIMER,)
        await coord.async_refresh()
        await coord.async_refresh()  # every second poll: tables 4 and 3
    assert coord.data.timers == (VENDOR_TIMER, other)
