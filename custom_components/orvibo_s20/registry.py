"""The device-registry entry of a config entry's device, and keeping it up to date.

What the entities register comes from what the client knew when they were added; what it learns
later (a new stored name or firmware, the model id of a discovery reply) reaches the registry here.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import DOMAIN


@callback
def async_update_registered_device(hass: HomeAssistant, entry: ConfigEntry, mac: str, **changes: Any) -> None:
    """Change the registered device of an entry, if it is registered (name_by_user still wins)."""
    registry = dr.async_get(hass)
    # By this entry's devices: async_get_device(identifiers=...) is deprecated from 2026.9
    # (identifiers are unique per config entry only), and this works on every release.
    device = next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if (DOMAIN, mac) in device.identifiers
        ),
        None,
    )
    if device is not None:
        registry.async_update_device(device.id, **changes)
