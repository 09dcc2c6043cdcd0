"""asyncio Orvibo client: one shared UDP endpoint, a client per device (S20, AllOne), discovery. No Home Assistant."""

from .allone import AllOneClient, ButtonListener
from .client import ClientStats, ClientTiming, Countdown, S20Client
from .device import DeviceClient
from .discovery import DiscoveredDevice, DiscoveredSocket, discover, probe_host, probe_mac
from .endpoint import EndpointConfig, EndpointStats, S20Endpoint
from .relay import RelayConfig, RelayStats, S20Relay
from .relayed import RelayedEndpoint

__all__ = [
    "AllOneClient",
    "ButtonListener",
    "ClientStats",
    "ClientTiming",
    "Countdown",
    "DeviceClient",
    "DiscoveredDevice",
    "DiscoveredSocket",
    "EndpointConfig",
    "EndpointStats",
    "RelayConfig",
    "RelayStats",
    "RelayedEndpoint",
    "S20Client",
    "S20Endpoint",
    "S20Relay",
    "discover",
    "probe_host",
    "probe_mac",
]
