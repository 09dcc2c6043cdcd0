"""The event entity against the simulator: the button, a timer, the countdown, another program; never HA."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.cli.main import async_main
from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol import PowerState, Timer
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import POWER, record_events, wait_for

EVENT = "event.desk_lamp_switched"
LONG = timedelta(hours=1)


@pytest.fixture
def network_config(network_config: dict[str, Any]) -> dict[str, Any]:
    """No poll runs by itself: what arrives was pushed."""
    return {DOMAIN: {**network_config[DOMAIN], "poll_interval": LONG}}


@pytest.fixture
def fired(hass: HomeAssistant) -> list[tuple[str, str]]:
    """Each event the entity fires: (event type, action)."""
    return record_events(hass, EVENT)


async def test_button_press_fires_button(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, fired: list[tuple[str, str]],
    entity_registry: er.EntityRegistry,
) -> None:
    assert entity_registry.async_get(EVENT).translation_key == "switched"
    assert hass.states.get(EVENT).attributes["event_types"] == ["button", "timer", "other_controller"]
    sim_socket.press_button()
    await wait_for(lambda: fired, what="the press's event")
    sim_socket.press_button()
    await wait_for(lambda: len(fired) == 2, what="the second press's event")
    assert fired == [("button", "on"), ("button", "off")]
    assert hass.states.get(POWER).state == "off"


async def test_home_assistants_own_switches_fire_nothing(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, fired: list[tuple[str, str]]
) -> None:
    """Commands from Home Assistant, then a press: only the press fires."""
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    await hass.services.async_call("switch", "turn_off", {"entity_id": POWER}, blocking=True)
    await hass.services.async_call("switch", "toggle", {"entity_id": POWER}, blocking=True)
    assert sim_socket.state is True
    sim_socket.press_button()  # off, by hand: an event after everything HA did was heard
    await wait_for(lambda: fired, what="the press's event")
    await hass.async_block_till_done()
    assert fired == [("button", "off")]


async def test_timer_and_countdown_fire_timer(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, fired: list[tuple[str, str]]
) -> None:
    """The socket's own timer switches on, its countdown off: both are `timer`."""
    soon = (dt_util.now() + timedelta(seconds=2)).replace(microsecond=0)
    sim_socket.add_timer(Timer.once(code=3, at=soon.time(), on=soon.date(), action=PowerState.ON))
    await hass.services.async_call(DOMAIN, "get_timers", {"entity_id": POWER}, blocking=True, return_response=True)
    await wait_for(lambda: fired, timeout=10, what="the timer's event")
    assert sim_socket.counters.timers_fired == 1
    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": "00:00:01", "action": "off"}, blocking=True
    )
    await wait_for(lambda: len(fired) == 2, timeout=10, what="the countdown's event")
    assert fired == [("timer", "on"), ("timer", "off")]


async def test_another_program_fires_like_the_button(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket,
    fired: list[tuple[str, str]],
) -> None:
    """The command-line tool on another address switches the socket: Home Assistant did not ask,
    and the push cannot tell it from a press (the tool's ack goes to the tool alone)."""
    status = await async_main(
        ["--bind", "127.0.0.3", "--port", str(simulator.port), "--broadcast", "127.255.255.255",
         "--timeout", "2", "on", sim_socket.ip]
    )
    assert status == 0
    await wait_for(lambda: fired, what="the other program's event")
    assert fired == [("button", "on")]
    assert set(sim_socket.subscribers) == {"127.0.0.1", "127.0.0.3"}  # two controllers
