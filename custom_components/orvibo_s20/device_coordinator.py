"""What the coordinators of the device families share: the client, its availability, the registry.

A socket's coordinator (`coordinator.py`) and an AllOne's (`allone_coordinator.py`) are peers on
the shared endpoint. Both follow their client's availability (its keepalive is the judge) with a
refresh each way, which logs once when the device is lost and once when it is back; both keep the
device registry up to date with what the client learns after the entities registered (the model
id of a discovery reply; a socket's stored name and firmware too); both stop on unload.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .client import DeviceClient
from .const import DOMAIN
from .protocol import DiscoveryReply


class DeviceCoordinator[_DataT, _ClientT: DeviceClient](DataUpdateCoordinator[_DataT]):
    """The coordinator of one device of any family, over its client."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        logger: logging.Logger,
        entry: ConfigEntry[Any],
        client: _ClientT,
        *,
        update_interval: timedelta | None,
    ) -> None:
        self.client = client
        self.mac = str(client.mac)
        super().__init__(
            hass,
            logger,
            config_entry=entry,
            name=self.mac,
            update_interval=update_interval,
            always_update=False,
        )
        self._available = False  # the client's availability the entities last followed
        self._shut_down = False

    @callback
    def _async_listen(self) -> None:
        """Follow the client and the discovery replies until the entry unloads (ends the set-up)."""
        self._available = self.client.available
        entry = self.config_entry
        entry.async_on_unload(self.client.add_listener(self._async_on_client_change))
        entry.async_on_unload(self.client.endpoint.add_discovery_listener(self._async_on_discovery_reply))

    @callback
    def _async_on_client_change(self) -> None:
        if not self._shut_down:
            self._async_follow_availability()

    @callback
    def _async_follow_availability(self) -> bool:
        """If the client was lost or is back, refresh (entities follow, logged once); say whether."""
        if self.client.available == self._available:
            return False
        self._available = self.client.available
        # Refreshes queue on the coordinator's lock; when back, the refresh reads what changed.
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"orvibo_s20 availability {self.mac}"
        )
        return True

    @callback
    def _async_on_discovery_reply(self, reply: DiscoveryReply, _host: str) -> None:
        if reply.mac == self.client.mac:
            # The model id, when no reply came before the entities registered (nothing if known).
            self._async_update_registered_device(model_id=reply.product_id)

    @callback
    def _async_update_registered_device(self, **changes: Any) -> None:
        """Change the registered device, if it is registered yet (name_by_user still wins)."""
        registry = dr.async_get(self.hass)
        # By this entry's devices: async_get_device(identifiers=...) is deprecated from 2026.9
        # (identifiers are unique per config entry only), and this works on every release.
        device = next(
            (
                device
                for device in dr.async_entries_for_config_entry(registry, self.config_entry.entry_id)
                if (DOMAIN, self.mac) in device.identifiers
            ),
            None,
        )
        if device is not None:
            registry.async_update_device(device.id, **changes)

    async def async_shutdown(self) -> None:
        """Stop following the client and starting work (the entry unloads)."""
        self._shut_down = True
        await super().async_shutdown()
