"""asyncio S20 client: one shared UDP endpoint, a client per socket, discovery. No Home Assistant."""

from .client import ClientStats, ClientTiming, Countdown, S20Client
from .discovery import DiscoveredSocket, discover, probe_host, probe_mac
from .endpoint import EndpointConfig, EndpointStats, S20Endpoint
from .relay import RelayConfig, RelayStats, S20Relay
from .relayed import RelayedEndpoint

__all__ = [
    "ClientStats",
    "ClientTiming",
    "Countdown",
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
