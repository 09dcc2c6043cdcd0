"""The auto-off duration of a socket (table 4): how long after each switch-on it switches off."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .coordinator import S20ConfigEntry
from .entity import S20Entity, s20_exception_handler
from .protocol import COUNTDOWN_MAX_S

# Each socket serves one request at a time; its client queues them anyway.
PARALLEL_UPDATES = 1

AUTO_OFF_DURATION = NumberEntityDescription(
    key="auto_off_duration",
    translation_key="auto_off_duration",
    entity_category=EntityCategory.CONFIG,
    device_class=NumberDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.SECONDS,
    native_min_value=1,
    native_max_value=COUNTDOWN_MAX_S,
    native_step=1,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant, entry: S20ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the auto-off duration of a socket."""
    async_add_entities([S20AutoOffDuration(entry.runtime_data.coordinator, AUTO_OFF_DURATION)])


class S20AutoOffDuration(S20Entity, NumberEntity):
    """Seconds after a switch-on at which the socket switches itself off (when enabled)."""

    @property
    def native_value(self) -> int | None:
        """Return the stored duration; unknown while none is stored."""
        data = self.coordinator.data.socket_data
        if data is None or not data.auto_off_seconds:
            return None
        return data.auto_off_seconds

    @s20_exception_handler
    async def async_set_native_value(self, value: float) -> None:
        """Store a new duration, keeping auto-off on or off as it was."""
        client = self.coordinator.client
        enabled = bool(client.socket_data and client.socket_data.auto_off_enabled)
        await client.set_auto_off(enabled, round(value))
