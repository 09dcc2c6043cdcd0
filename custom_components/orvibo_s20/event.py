"""What happened on the device: a socket switched by itself, by another hand or by another program on
this host through the integration's relay; an AllOne's button.

A socket's event fires from the push path (the coordinator hears the client's push and says why,
`DeviceEvent`); never for a switch Home Assistant asked for. Each says which way the relay went
(`action`). An AllOne's fires on each press of its button (its `di` push, `button`).
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import ACTION_OFF, ACTION_ON, ATTR_ACTION, DeviceEvent
from .allone_coordinator import AllOneData
from .entity import AllOneEntity, S20Entity
from .runtime import OrviboConfigEntry

# Read-only: the coordinator does all the talking.
PARALLEL_UPDATES = 0

SWITCHED = EventEntityDescription(
    key="switched",
    translation_key="switched",
    event_types=[str(cause) for cause in DeviceEvent],
)


PRESSED = EventEntityDescription(
    key="button",
    translation_key="button",
    event_types=[DeviceEvent.BUTTON.value],
)


async def async_setup_entry(
    hass: HomeAssistant, entry: OrviboConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the event entity of a socket or of an AllOne."""
    data = entry.runtime_data
    if isinstance(data, AllOneData):
        async_add_entities([AllOneButtonEvent(data.coordinator, PRESSED)])
    else:
        async_add_entities([S20SwitchedEvent(data.coordinator, SWITCHED)])


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


class AllOneButtonEvent(AllOneEntity, EventEntity):
    """The AllOne's own button was pressed."""

    async def async_added_to_hass(self) -> None:
        """Listen to the AllOne's button."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_button_listener(self._async_on_press))

    @callback
    def _async_on_press(self) -> None:
        self._trigger_event(DeviceEvent.BUTTON.value)
        self.async_write_ha_state()
