"""What switched the socket when Home Assistant did not: its button (or another app), its timers,
or another program on this host through the integration's relay.

Fired from the push path (the coordinator hears the client's push and says why, `DeviceEvent`);
never for a switch Home Assistant asked for. Each event says which way the relay went (`action`).
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import ACTION_OFF, ACTION_ON, ATTR_ACTION, DeviceEvent
from .coordinator import S20ConfigEntry
from .entity import S20Entity

# Read-only: the coordinator does all the talking.
PARALLEL_UPDATES = 0

SWITCHED = EventEntityDescription(
    key="switched",
    translation_key="switched",
    event_types=[str(cause) for cause in DeviceEvent],
)


async def async_setup_entry(
    hass: HomeAssistant, entry: S20ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the event entity of a socket."""
    async_add_entities([S20SwitchedEvent(entry.runtime_data.coordinator, SWITCHED)])


class S20SwitchedEvent(S20Entity, EventEntity):
    """The socket switched by itself or by another hand, and to which state."""

    async def async_added_to_hass(self) -> None:
        """Listen to the coordinator's device events."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_device_event_listener(self._async_on_device_event))

    @callback
    def _async_on_device_event(self, cause: DeviceEvent, state: bool) -> None:
        self._trigger_event(str(cause), {ATTR_ACTION: ACTION_ON if state else ACTION_OFF})
        self.async_write_ha_state()
