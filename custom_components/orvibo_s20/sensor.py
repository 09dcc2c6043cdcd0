"""When a socket's running countdown fires (`cd`): a timestamp, unknown when none runs."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import ACTION_OFF, ACTION_ON, ATTR_ACTION
from .coordinator import S20ConfigEntry
from .entity import S20Entity

# Read-only: the coordinator does all the talking.
PARALLEL_UPDATES = 0

COUNTDOWN = SensorEntityDescription(
    key="countdown",
    translation_key="countdown",
    device_class=SensorDeviceClass.TIMESTAMP,
)


async def async_setup_entry(
    hass: HomeAssistant, entry: S20ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the countdown sensor of a socket."""
    async_add_entities([S20CountdownSensor(entry.runtime_data.coordinator, COUNTDOWN)])


class S20CountdownSensor(S20Entity, SensorEntity):
    """When the running countdown switches the socket, and to which state."""

    @property
    def native_value(self) -> datetime | None:
        """Return when the countdown fires; None when none runs."""
        countdown = self.coordinator.data.countdown
        return countdown.ends_at if countdown else None

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Return what the countdown will do."""
        countdown = self.coordinator.data.countdown
        if countdown is None:
            return {ATTR_ACTION: None}
        return {ATTR_ACTION: ACTION_ON if countdown.action else ACTION_OFF}
