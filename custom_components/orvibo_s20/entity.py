"""The base entities of a socket and an AllOne, and the one place library errors become Home Assistant errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .allone_coordinator import AllOneCoordinator, allone_name
from .const import DOMAIN, MANUFACTURER, MODEL, MODEL_ALLONE
from .coordinator import S20Coordinator, device_name
from .protocol import EncodeError, S20ConnectionError


class S20Entity(CoordinatorEntity[S20Coordinator]):
    """An entity of one S20 socket."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: S20Coordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        mac = coordinator.mac
        socket_data = coordinator.data.socket_data
        self._attr_unique_id = f"{mac}_{description.key}"
        self._attr_device_info = _with_model_id(
            DeviceInfo(
                connections={(CONNECTION_NETWORK_MAC, mac)},
                identifiers={(DOMAIN, mac)},
                manufacturer=MANUFACTURER,
                model=MODEL,
                name=device_name(mac, socket_data),
                sw_version=str(socket_data.firmware_version) if socket_data else None,
                hw_version=str(socket_data.hardware_version) if socket_data else None,
            ),
            coordinator.client.product_id,
        )


class AllOneEntity(CoordinatorEntity[AllOneCoordinator]):
    """An entity of one AllOne."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: AllOneCoordinator, description: EntityDescription) -> None:
        super().__init__(coordinator)
        self.entity_description = description
        mac = coordinator.mac
        self._attr_unique_id = f"{mac}_{description.key}"
        self._attr_device_info = _with_model_id(
            DeviceInfo(
                connections={(CONNECTION_NETWORK_MAC, mac)},
                identifiers={(DOMAIN, mac)},
                manufacturer=MANUFACTURER,
                model=MODEL_ALLONE,
                name=allone_name(mac),
            ),
            coordinator.client.product_id,
        )


def _with_model_id(info: DeviceInfo, product_id: str | None) -> DeviceInfo:
    """Add the model id when a discovery reply named it: None would erase the registered one.

    At a restart the start-up scan runs once Home Assistant has started, after the entities
    registered; the coordinator adds the model id from its reply (`async_update_registered_device`).
    """
    if product_id is not None:
        info["model_id"] = product_id
    return info


def s20_exception_handler[_E: S20Entity | AllOneEntity, **_P, _R](
    func: Callable[Concatenate[_E, _P], Coroutine[Any, Any, _R]],
) -> Callable[Concatenate[_E, _P], Coroutine[Any, Any, _R]]:
    """Turn library errors of an entity command into translated Home Assistant errors.

    A value the device cannot take is the user's mistake (`ServiceValidationError`, and
    nothing was sent); a device that does not confirm is the device's (`HomeAssistantError`).
    """

    async def handler(self: _E, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await func(self, *args, **kwargs)
        except EncodeError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_value",
                translation_placeholders={"error": str(err)},
            ) from err
        except S20ConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"name": self.coordinator.device_name, "error": str(err)},
            ) from err

    return handler
