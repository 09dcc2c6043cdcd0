"""The coordinator of one AllOne: its availability, its button, and the command it is learning.

An AllOne has no state to poll: the client's keepalive (a `cl` every 10 s) judges whether it
answers, and the coordinator follows it with a refresh each way (logged once when lost, once
when back), as a socket's does. Its button comes as a push (`di`) and goes straight to the
event entity; what the remote is learning is shown on the remote entity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import UpdateFailed

from .client import AllOneClient
from .commands import CommandStore
from .const import DOMAIN, MODEL_ALLONE
from .device_coordinator import DeviceCoordinator
from .protocol import S20ConnectionError

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AllOneState:
    """What the entities show: the command being learned (None when not learning)."""

    learning: str | None = None


@dataclass(slots=True)
class AllOneData:
    """The runtime objects of one AllOne's config entry."""

    client: AllOneClient
    coordinator: AllOneCoordinator
    commands: CommandStore


type AllOneConfigEntry = ConfigEntry[AllOneData]


def allone_name(mac: str) -> str:
    """The name of an AllOne: "AllOne " and the end of its MAC (it stores no name we read)."""
    return f"{MODEL_ALLONE} {mac.replace(':', '')[-6:].upper()}"


class AllOneCoordinator(DeviceCoordinator[AllOneState, AllOneClient]):
    """Keep one AllOne subscribed and say whether it answers; hand its button presses on."""

    config_entry: AllOneConfigEntry

    def __init__(self, hass: HomeAssistant, entry: AllOneConfigEntry, client: AllOneClient) -> None:
        # No poll: availability is the keepalive's (client), every change is pushed.
        super().__init__(hass, _LOGGER, entry, client, update_interval=None)

    @property
    def device_name(self) -> str:
        """The AllOne's default name (errors name the device by it)."""
        return allone_name(self.mac)

    async def _async_setup(self) -> None:
        """Subscribe (the AllOne answers or the entry retries), then follow the client."""
        try:
            await self.client.subscribe()
        except S20ConnectionError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"host": self.client.host, "error": str(err)},
            ) from err
        self._async_listen()

    async def _async_update_data(self) -> AllOneState:
        if not self.client.available:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="unreachable",
                translation_placeholders={"host": self.client.host, "error": f"silent for {self.client.silent_s:.0f} s"},
            )
        return self.data if self.data is not None else AllOneState()

    @callback
    def async_set_learning(self, command: str | None) -> None:
        """Show which command the AllOne is learning (None: done)."""
        self.async_set_updated_data(AllOneState(learning=command))

    @callback
    def async_add_button_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call listener on every press of the AllOne's button; returns the remover."""
        return self.client.add_button_listener(listener)


async def async_create_allone_data(hass: HomeAssistant, entry: AllOneConfigEntry, client: AllOneClient) -> AllOneData:
    """The runtime objects of an AllOne entry, its learned commands loaded."""
    commands = CommandStore(hass, str(client.mac))
    await commands.async_load()
    return AllOneData(client=client, coordinator=AllOneCoordinator(hass, entry, client), commands=commands)

