"""Diagnostics of a socket: its entry, what it stores, its state and the protocol counters."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from ipaddress import IPv4Address
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .coordinator import S20ConfigEntry
from .discovery import DATA_NETWORK
from .protocol import Mac, SocketData

# The remote password guards the vendor's cloud control; the network data locates the home.
# Wi-Fi credentials are never stored in an entry; redacted anyway should one ever be.
TO_REDACT = {"remote_password", "gateway", "local_ip", "netmask", "ssid", "wifi_key", "password"}


def _plain(value: Any) -> Any:
    """Turn table 4's values into JSON: bytes as hex, addresses and MACs as text."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (IPv4Address, Mac)):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in fields(value)}
    return value


def _socket_data(data: SocketData | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {**_plain(data), "name": data.name}


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: S20ConfigEntry) -> dict[str, Any]:
    """Return the diagnostics of one socket."""
    data = entry.runtime_data
    client, coordinator = data.client, data.coordinator
    state = coordinator.data
    network = hass.data[DATA_NETWORK]
    endpoint = network.endpoint
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "socket": {
            "host": client.host,
            "product_id": client.product_id,
            "available": client.available,
            "is_on": state.is_on if state else None,
            "countdown": (
                {"action": state.countdown.action, "ends_at": state.countdown.ends_at.isoformat()}
                if state and state.countdown
                else None
            ),
            "clock_synced": client.clock_synced,
            "reboots": client.reboots,
            "stored": async_redact_data(_socket_data(client.socket_data), TO_REDACT),
        },
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "update_interval_s": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
        },
        "protocol": {
            "client": client.stats.as_dict(),
            "endpoint": endpoint.stats.as_dict() if endpoint is not None else None,
            # Counts only: never a relay client's address or what it sent.
            "relay": network.relay.stats.as_dict() if network.relay is not None else None,
            "network": {
                "port": network.settings.port,
                "bind_address": network.settings.bind_address,
                "broadcast_addresses": list(network.settings.broadcast_addresses),
                "relay_port": network.settings.relay_port,
            },
            # Devices on the port this integration cannot control, and the frames each sent.
            "unsupported_devices": [
                {
                    "family": device.family.value,
                    "reason": device.reason,
                    "host": device.host,
                    "product_id": device.product_id,
                    "frames": frames,
                }
                for device, frames in network.unsupported.items()
            ],
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: S20ConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of the socket's device (one device per entry)."""
    return await async_get_config_entry_diagnostics(hass, entry)
