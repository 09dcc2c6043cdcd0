"""The next-switch sensor against the simulator: timers, the countdown, auto-off, DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol import PowerState, Timer, Weekday
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from simulator.device import VirtualSocket

from .common import AUTO_OFF, DURATION, POWER, wait_for

NEXT = "sensor.desk_lamp_next_switch"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def berlin(hass: HomeAssistant) -> None:
    """Home Assistant (and so the socket, set up after) in a zone with DST (request it before `entry`)."""
    await hass.config.async_set_time_zone("Europe/Berlin")


async def _reread_timers(hass: HomeAssistant) -> None:
    await hass.services.async_call(DOMAIN, "get_timers", {"entity_id": POWER}, blocking=True, return_response=True)


def _next(hass: HomeAssistant) -> tuple[datetime | None, str | None]:
    state = hass.states.get(NEXT)
    at = None if state.state == STATE_UNKNOWN else datetime.fromisoformat(state.state)
    return at, state.attributes["action"]


async def test_timers_and_countdown(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket,
    entity_registry: er.EntityRegistry,
) -> None:
    """Unknown with nothing due; the earliest of a timer and the countdown, and which way."""
    state = hass.states.get(NEXT)
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.TIMESTAMP
    assert entity_registry.async_get(NEXT).translation_key == "next_switch"
    assert _next(hass) == (None, None)

    tomorrow = dt_util.now().date() + timedelta(days=1)
    sim_socket.add_timer(Timer.once(code=5, at=time(6, 30), on=tomorrow, action=PowerState.ON))
    sim_socket.add_timer(Timer.once(code=6, at=time(9, 0), on=tomorrow, action=PowerState.OFF))
    await _reread_timers(hass)
    assert _next(hass) == (datetime.combine(tomorrow, time(6, 30), tzinfo=BERLIN), "on")

    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": "00:10:00", "action": "off"}, blocking=True
    )
    at, action = _next(hass)
    assert action == "off"
    assert at == sim_socket_countdown_end(hass)
    await hass.services.async_call(DOMAIN, "cancel_countdown", {"entity_id": POWER}, blocking=True)
    assert _next(hass) == (datetime.combine(tomorrow, time(6, 30), tzinfo=BERLIN), "on")


def sim_socket_countdown_end(hass: HomeAssistant) -> datetime:
    """The countdown's end as the countdown sensor shows it (the same coordinator data)."""
    return datetime.fromisoformat(hass.states.get("sensor.desk_lamp_countdown").state)


async def test_auto_off_shows_as_the_next_switch(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Switched on with auto-off, the socket starts a countdown: that is its next switch, off."""
    await hass.services.async_call("number", "set_value", {"entity_id": DURATION, "value": 1800}, blocking=True)
    await hass.services.async_call("switch", "turn_on", {"entity_id": AUTO_OFF}, blocking=True)
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    await wait_for(lambda: _next(hass)[0] is not None, what="the auto-off countdown read")
    at, action = _next(hass)
    assert action == "off"
    assert sim_socket.countdown is not None and sim_socket.countdown.action is False
    assert at is not None and timedelta(minutes=29) < at - dt_util.utcnow() <= timedelta(minutes=30)


async def test_right_across_dst_changes(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Set in winter time: a timer after the spring change is at its local time on summer time,
    one in the hour the change skips fires an hour later (the socket is on +1 until its nightly sync)."""
    sim_socket.add_timer(Timer.once(code=8, at=time(6, 30), on=date(2027, 4, 1), action=PowerState.ON))
    await _reread_timers(hass)
    assert _next(hass) == (datetime(2027, 4, 1, 4, 30, tzinfo=UTC), "on")
    sim_socket.add_timer(Timer.once(code=9, at=time(2, 30), on=date(2027, 3, 28), action=PowerState.OFF))
    await _reread_timers(hass)
    assert _next(hass) == (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "off")


async def test_moves_on_once_a_timer_fired(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """The socket's timer fires (the relay switches) and the sensor moves to the following one."""
    soon = (dt_util.now() + timedelta(seconds=2)).replace(microsecond=0)
    sim_socket.add_timer(Timer.once(code=3, at=soon.time(), on=soon.date(), action=PowerState.ON))
    later = soon + timedelta(days=1)
    weekday = tuple(Weekday)[later.weekday()]
    sim_socket.add_timer(
        Timer.weekly(code=4, at=later.time(), weekdays=frozenset({weekday}), action=PowerState.OFF, today=soon.date())
    )
    await _reread_timers(hass)
    assert _next(hass) == (soon, "on")
    await wait_for(lambda: sim_socket.state, timeout=10, what="the timer switching the relay on")
    await wait_for(lambda: _next(hass)[0] == later, timeout=5, what="the sensor moving on")
    assert _next(hass) == (later, "off")
    assert hass.states.get(POWER).state == "on"
