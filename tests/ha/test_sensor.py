"""The countdown sensor: when a running countdown fires, unknown when none runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DOMAIN
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_DEVICE_CLASS, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from simulator.device import VirtualSocket

from .common import COUNTDOWN, POWER


async def test_countdown_sensor(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, entity_registry: er.EntityRegistry
) -> None:
    """Shows the moment and the action of a started countdown; unknown again once cancelled."""
    state = hass.states.get(COUNTDOWN)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.TIMESTAMP
    assert state.attributes["action"] is None
    assert entity_registry.async_get(COUNTDOWN).translation_key == "countdown"

    before = dt_util.utcnow()
    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": "00:10:00", "action": "on"}, blocking=True
    )
    after = dt_util.utcnow()
    state = hass.states.get(COUNTDOWN)
    assert state.attributes["action"] == "on"
    # Ten minutes from when the call ran, shown to the second.
    ends_at = datetime.fromisoformat(state.state)
    assert before + timedelta(seconds=599) <= ends_at <= after + timedelta(seconds=601)
    assert sim_socket.countdown is not None and sim_socket.countdown.action is True

    await hass.services.async_call(DOMAIN, "cancel_countdown", {"entity_id": POWER}, blocking=True)
    assert hass.states.get(COUNTDOWN).state == STATE_UNKNOWN
    assert sim_socket.countdown is None
