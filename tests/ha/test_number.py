"""The auto-off duration (table 4): written to the socket without touching anything else."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol import COUNTDOWN_MAX_S
from homeassistant.const import STATE_UNKNOWN, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import AUTO_OFF, DURATION


async def _set(hass: HomeAssistant, value: float) -> None:
    await hass.services.async_call("number", "set_value", {"entity_id": DURATION, "value": value}, blocking=True)


async def test_duration_written_to_table_4(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, entity_registry: er.EntityRegistry
) -> None:
    """Unknown while none is stored; a new value keeps auto-off as it was, and every other field."""
    state = hass.states.get(DURATION)
    assert state.state == STATE_UNKNOWN
    assert state.attributes["min"] == 1 and state.attributes["max"] == COUNTDOWN_MAX_S
    assert state.attributes["unit_of_measurement"] == "s"
    assert entity_registry.async_get(DURATION).entity_category is EntityCategory.CONFIG

    before = sim_socket.socket_data
    await _set(hass, 600)
    assert sim_socket.socket_data == replace(before, auto_off_seconds=600, auto_off_enabled=False, auto_off_action=0xFF)
    assert hass.states.get(DURATION).state == "600"
    assert not sim_socket.socket_data.auto_off_enabled

    await hass.services.async_call("switch", "turn_on", {"entity_id": AUTO_OFF}, blocking=True)
    enabled = sim_socket.socket_data
    await _set(hass, 45)
    assert sim_socket.socket_data == replace(enabled, auto_off_seconds=45)
    assert sim_socket.socket_data.auto_off_enabled
    assert hass.states.get(DURATION).state == "45"


async def test_duration_out_of_range_is_refused(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Home Assistant's own range check: nothing reaches the socket."""
    versions = sim_socket.table_versions
    for value in (0, COUNTDOWN_MAX_S + 1):
        with pytest.raises(ServiceValidationError):
            await _set(hass, value)
    assert sim_socket.table_versions == versions


async def test_duration_to_an_offline_socket_raises(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
) -> None:
    """A socket that does not answer: a translated HomeAssistantError."""
    simulator.set_online(sim_socket.mac, False)
    with pytest.raises(HomeAssistantError) as caught:
        await _set(hass, 30)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == "command_failed"
    assert sim_socket.socket_data.auto_off_seconds == 0
