"""A socket off Wi-Fi for ten minutes, on Home Assistant's clock with the real poll interval.

The UDP is real (the simulator stops answering); the minutes are not: Home Assistant's clock is
moved on a minute at a time, so the backstop poll (POLL_INTERVAL, 60 s) runs as it would over ten
real minutes, while the client's keepalive (test timing: every 0.3 s, gone after 1 s of silence)
judges availability on the real clock.
"""

from __future__ import annotations

from datetime import timedelta
import logging

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.orvibo_s20.const import POLL_INTERVAL
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import POWER, availability_logs, coordinator, wait_for


async def test_ten_minutes_offline_on_home_assistants_clock(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Ten minutes off Wi-Fi: unavailable once the keepalive found the socket silent, one line
    logged; the poll runs every minute meanwhile and changes nothing; back online, the entities
    show what changed meanwhile."""
    assert coordinator(entry).update_interval == POLL_INTERVAL == timedelta(minutes=1)
    mac = str(sim_socket.mac)
    client = entry.runtime_data.client
    simulator.set_online(sim_socket.mac, False)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_UNAVAILABLE, what="unavailable")
    polls_before = client.stats.requests
    start = dt_util.utcnow()
    shown = []
    for minute in range(1, 11):
        async_fire_time_changed(hass, start + timedelta(minutes=minute))
        await hass.async_block_till_done(wait_background_tasks=True)  # the poll that was due
        shown.append(hass.states.get(POWER).state)
    assert shown == [STATE_UNAVAILABLE] * 10
    assert client.stats.requests > polls_before  # the keepalive kept trying
    logs = availability_logs(caplog, mac)
    assert len(logs) == 1 and "stopped answering" in logs[0]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR and "stopped answering" not in r.getMessage()] == []

    sim_socket.press_button()  # switched on by hand while Home Assistant could not see it
    simulator.set_online(sim_socket.mac, True)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON, what="the state after the return")
    logs = availability_logs(caplog, mac)
    assert len(logs) == 2 and "recovered" in logs[1]
    sim_socket.press_button()  # and the pushes reach Home Assistant again
    await wait_for(lambda: hass.states.get(POWER).state == STATE_OFF, what="a push after the return")
