"""Switches of a socket: the relay (outlet), auto-off after switch-on, and the lock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import (  # type: ignore[attr-defined,unused-ignore]
    # Public on every release; from 2026.9 its type information names it in switch.const only.
    SwitchDeviceClass,
    SwitchEntity,
    SwitchEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .client import S20Client
from .const import DEFAULT_AUTO_OFF_S
from .coordinator import S20ConfigEntry, S20State
from .entity import S20Entity, s20_exception_handler
from .services import async_setup_platform_services

# Each socket serves one request at a time; its client queues them anyway.
PARALLEL_UPDATES = 1


async def _set_auto_off(client: S20Client, enabled: bool) -> object:
    data = client.socket_data
    seconds = None if data is not None and data.auto_off_seconds else DEFAULT_AUTO_OFF_S
    return await client.set_auto_off(enabled, seconds)


@dataclass(frozen=True, kw_only=True)
class S20SwitchEntityDescription(SwitchEntityDescription):
    """A switch of the socket: how to read it and how to set it."""

    is_on_fn: Callable[[S20State], bool | None]
    set_fn: Callable[[S20Client, bool], Awaitable[object]]


POWER = S20SwitchEntityDescription(
    key="power",
    name=None,
    device_class=SwitchDeviceClass.OUTLET,
    is_on_fn=lambda state: state.is_on,
    set_fn=lambda client, on: client.set_power(on),
)
SWITCHES = (
    S20SwitchEntityDescription(
        key="auto_off",
        translation_key="auto_off",
        entity_category=EntityCategory.CONFIG,
        is_on_fn=lambda state: state.socket_data.auto_off_enabled if state.socket_data else None,
        set_fn=_set_auto_off,
    ),
    S20SwitchEntityDescription(
        key="locked",
        translation_key="locked",
        entity_category=EntityCategory.CONFIG,
        # Rarely wanted: a locked socket no longer answers scans.
        entity_registry_enabled_default=False,
        is_on_fn=lambda state: not state.socket_data.discoverable if state.socket_data else None,
        set_fn=lambda client, locked: client.set_locked(locked),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant, entry: S20ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the switches of a socket."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        [S20Switch(coordinator, description) for description in (POWER, *SWITCHES)]
    )
    async_setup_platform_services()


class S20Switch(S20Entity, SwitchEntity):
    """A switch of the socket."""

    entity_description: S20SwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Return the state the socket reported."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @s20_exception_handler
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch on; returns once the socket confirmed."""
        await self.entity_description.set_fn(self.coordinator.client, True)

    @s20_exception_handler
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch off; returns once the socket confirmed."""
        await self.entity_description.set_fn(self.coordinator.client, False)
