"""The switches: power (confirmed by the socket), auto-off and lock (table 4), and failures."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DEFAULT_AUTO_OFF_S, DOMAIN
from homeassistant.components.switch import SwitchDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import AUTO_OFF, LOCKED, POWER, wait_for


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call("switch", service, {"entity_id": entity_id}, blocking=True)


async def test_power_on_off_toggle(hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket) -> None:
    """Each command returns once the socket switched; the state follows."""
    state = hass.states.get(POWER)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_DEVICE_CLASS] == SwitchDeviceClass.OUTLET
    assert state.attributes["friendly_name"] == "Desk lamp"  # the main feature: the device's name

    await _switch(hass, "turn_on", POWER)
    assert sim_socket.state is True
    assert hass.states.get(POWER).state == STATE_ON
    await _switch(hass, "turn_off", POWER)
    assert sim_socket.state is False
    assert hass.states.get(POWER).state == STATE_OFF
    await _switch(hass, "toggle", POWER)
    assert sim_socket.state is True
    await _switch(hass, "toggle", POWER)
    assert sim_socket.state is False
    assert hass.states.get(POWER).state == STATE_OFF


async def test_command_to_an_offline_socket_raises(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
) -> None:
    """A socket that does not confirm: a translated error, and the relay is as it was."""
    simulator.set_online(sim_socket.mac, False)
    with pytest.raises(HomeAssistantError) as caught:
        await _switch(hass, "turn_on", POWER)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == "command_failed"
    assert caught.value.translation_placeholders["name"] == "Desk lamp"
    assert "Desk lamp did not confirm the command" in str(caught.value)
    assert sim_socket.state is False
    with pytest.raises(HomeAssistantError) as caught:
        await _switch(hass, "turn_on", AUTO_OFF)
    assert caught.value.translation_key == "command_failed"
    assert not sim_socket.socket_data.auto_off_enabled


async def test_auto_off_writes_only_table_4_auto_off(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """On stores the default duration when none is stored; off keeps the duration."""
    before = sim_socket.socket_data
    assert hass.states.get(AUTO_OFF).state == STATE_OFF
    await _switch(hass, "turn_on", AUTO_OFF)
    after_on = sim_socket.socket_data
    assert after_on == replace(before, auto_off_enabled=True, auto_off_seconds=DEFAULT_AUTO_OFF_S, auto_off_action=0)
    assert hass.states.get(AUTO_OFF).state == STATE_ON
    assert hass.states.get("number.desk_lamp_auto_off_duration").state == str(DEFAULT_AUTO_OFF_S)

    await _switch(hass, "turn_off", AUTO_OFF)
    assert sim_socket.socket_data == replace(after_on, auto_off_enabled=False)
    assert hass.states.get(AUTO_OFF).state == STATE_OFF

    # A stored duration is kept when auto-off is switched on again.
    sim_socket.socket_data = replace(sim_socket.socket_data, auto_off_seconds=90)
    await entry.runtime_data.client.read_socket_data()
    await _switch(hass, "turn_on", AUTO_OFF)
    assert sim_socket.socket_data.auto_off_enabled
    assert sim_socket.socket_data.auto_off_seconds == 90


async def test_lock_disabled_by_default_and_works_when_enabled(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, entity_registry: er.EntityRegistry
) -> None:
    """The lock hides the socket from scans: rarely wanted, so off in the registry."""
    registry_entry = entity_registry.async_get(LOCKED)
    assert registry_entry is not None
    assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert registry_entry.entity_category is EntityCategory.CONFIG
    assert registry_entry.translation_key == "locked"
    assert hass.states.get(LOCKED) is None
    auto_off = entity_registry.async_get(AUTO_OFF)
    assert auto_off.disabled_by is None and auto_off.entity_category is EntityCategory.CONFIG

    entity_registry.async_update_entity(LOCKED, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(LOCKED).state == STATE_OFF

    before = sim_socket.socket_data
    await _switch(hass, "turn_on", LOCKED)
    assert sim_socket.socket_data == replace(before, discoverable=False)
    assert hass.states.get(LOCKED).state == STATE_ON
    # Locked, the socket still obeys the subscribed controller.
    await _switch(hass, "turn_on", POWER)
    assert sim_socket.state is True
    await _switch(hass, "turn_off", LOCKED)
    assert sim_socket.socket_data == before
    await wait_for(lambda: hass.states.get(LOCKED).state == STATE_OFF)
