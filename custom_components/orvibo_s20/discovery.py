"""The LAN side of one Home Assistant instance: the shared endpoint, scans and discovery flows.

Every S20 answers to UDP port 10000 of whoever asked, so one endpoint per Home Assistant
instance serves all sockets (`S20Network`, kept in `hass.data` under `DATA_NETWORK`). It is
opened by the first user (a config entry, a config flow or a scan) and closed when the last one
lets go, and when Home Assistant stops. If the port is taken, a repair issue names it; the issue
goes away as soon as the endpoint opens. While it is open, a relay on loopback (client/relay.py,
on unless the YAML says `relay: false`) lets other programs on this host (the CLI, Node-RED)
reach the sockets through it, their requests in turn with Home Assistant's.

Background discovery (at start and every `scan_interval`) and the discovery replies the endpoint
hears anyway (a socket announcing itself after a reboot or at a new IP) start integration
discovery flows, which add new sockets and move known ones to their new address.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
import logging

from homeassistant.components import network
from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.const import CONF_HOST
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import discovery_flow, issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.start import async_at_started
from homeassistant.util.hass_dict import HassKey

from .client import (
    AllOneClient,
    ClientTiming,
    DiscoveredSocket,
    EndpointConfig,
    RelayConfig,
    S20Client,
    S20Endpoint,
    S20Relay,
    discover,
    probe_host,
)
from .client.device import DeviceClient
from .client.unsupported import UnsupportedDevice, collect_unsupported
from .const import CONF_MAC, DOMAIN, ISSUE_PORT_IN_USE, POLL_INTERVAL
from .network_check import NetworkProblem
from .pairing import AP_MODULE_HOST
from .pairing.provision import DEFAULT_BROADCAST
from .protocol import AT_PORT, SMARTLINK_PORT, DeviceFamily, DiscoveryReply, EndpointError, Mac, SocketData, family_of
from .protocol.relay import RELAY_PORT

_LOGGER = logging.getLogger(__name__)

DATA_NETWORK: HassKey[S20Network] = HassKey(DOMAIN)

# Read at call time, so tests (and only tests) can shorten them.
CLIENT_TIMING = ClientTiming()
SCAN_WINDOW_S = 1.5
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSettings:
    """Where the shared endpoint listens and sends (the `orvibo_s20:` YAML block)."""

    bind_address: str
    port: int
    remote_port: int | None
    broadcast_addresses: tuple[str, ...]
    broadcast_listen_address: str | None
    reuse_address: bool
    scan_interval: timedelta
    # Wi-Fi pairing of a new socket: its module in AP mode, and where SmartLink broadcasts.
    wifi_module_address: str = AP_MODULE_HOST
    wifi_at_port: int = AT_PORT
    smartlink_port: int = SMARTLINK_PORT
    smartlink_broadcast_address: str = DEFAULT_BROADCAST
    poll_interval: timedelta = POLL_INTERVAL  # the YAML option is for tests
    relay_port: int | None = RELAY_PORT  # on 127.0.0.1; None: no relay

    def endpoint_config(self) -> EndpointConfig:
        """Return the library's endpoint configuration."""
        return EndpointConfig(
            bind_host=self.bind_address,
            port=self.port,
            remote_port=self.remote_port,
            broadcast_addresses=self.broadcast_addresses,
            broadcast_listen_host=self.broadcast_listen_address,
            reuse_address=self.reuse_address,
        )


class S20Network:
    """The shared endpoint of this Home Assistant instance, its users and its scans."""

    def __init__(self, hass: HomeAssistant, settings: NetworkSettings) -> None:
        self.hass = hass
        self.settings = settings
        self.endpoint: S20Endpoint | None = None
        self.relay: S20Relay | None = None
        self.clients: set[DeviceClient] = set()
        self._users: set[object] = set()
        self._remove_listener: Callable[[], None] | None = None
        self._remove_unsupported_listener: Callable[[], None] | None = None
        # Devices heard that cannot be controlled here, and how many frames each sent (diagnostics).
        self.unsupported: dict[UnsupportedDevice, int] = {}
        self._seen: dict[str, str] = {}  # MAC -> the host it was last heard from
        # MAC -> the product id its last discovery reply named: a client created after the reply
        # (an entry added from a scan, or set up while the start-up scan was under way) starts with it.
        self._product_ids: dict[str, str] = {}
        self._open_lock = asyncio.Lock()
        self._stopped = False
        # Why broadcasts cannot reach the LAN (network_check.py), if they cannot.
        self.problem: NetworkProblem | None = None

    # --- the endpoint ------------------------------------------------------------------------

    async def async_acquire(self, user: object) -> S20Endpoint:
        """Return the open endpoint, opening it for the first user; raises EndpointError."""
        # Opening yields to the loop: a second user must wait, not bind the port twice.
        async with self._open_lock:
            endpoint = self.endpoint
            if endpoint is None:
                endpoint = S20Endpoint(self.settings.endpoint_config())
                try:
                    await endpoint.open()
                except EndpointError as err:
                    self._async_port_issue(err)
                    raise
                ir.async_delete_issue(self.hass, DOMAIN, ISSUE_PORT_IN_USE)
                self._remove_listener = endpoint.add_discovery_listener(self._async_on_discovery_reply)
                self._remove_unsupported_listener = endpoint.add_unsupported_listener(self._async_on_unsupported)
                self.endpoint = endpoint
                _LOGGER.debug("Listening on UDP %s:%d", self.settings.bind_address, self.settings.port)
                await self._async_open_relay(endpoint)
            self._users.add(user)
            return endpoint

    @callback
    def async_release(self, user: object) -> None:
        """Let go of the endpoint; the last user closes it."""
        self._users.discard(user)
        if not self._users:
            self._async_close()

    @asynccontextmanager
    async def async_endpoint(self) -> AsyncIterator[S20Endpoint]:
        """Hold the endpoint for the duration of a scan or a probe."""
        token = object()
        endpoint = await self.async_acquire(token)
        try:
            yield endpoint
        finally:
            self.async_release(token)

    async def _async_open_relay(self, endpoint: S20Endpoint) -> None:
        """Offer the relay; a taken relay port costs only the relay (logged once per opening)."""
        if self.settings.relay_port is None:
            return
        relay = S20Relay(endpoint, RelayConfig(port=self.settings.relay_port))
        try:
            await relay.open()
        except EndpointError as err:
            _LOGGER.warning("No relay for other programs on this host: %s", err)
            return
        self.relay = relay

    @callback
    def _async_close(self) -> None:
        if self.relay is not None:
            self.relay.close()
            self.relay = None
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        if self._remove_unsupported_listener is not None:
            self._remove_unsupported_listener()
            self._remove_unsupported_listener = None
        if self.endpoint is not None:
            self.endpoint.close()
            self.endpoint = None
            _LOGGER.debug("Closed UDP port %d", self.settings.port)

    @callback
    def _async_port_issue(self, err: EndpointError) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            ISSUE_PORT_IN_USE,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_PORT_IN_USE,
            translation_placeholders={"port": str(err.port), "host": err.host},
        )

    async def async_stop(self, _event: Event | None = None) -> None:
        """Stop every client and close the endpoint (Home Assistant is stopping)."""
        self._stopped = True
        for client in tuple(self.clients):
            await client.stop()
        self.clients.clear()
        self._users.clear()
        self._async_close()

    # --- clients -----------------------------------------------------------------------------

    @callback
    def async_create_client(self, endpoint: S20Endpoint, mac: Mac, host: str) -> S20Client:
        """Create the client of a config entry (stopped with the others when HA stops)."""
        return self._async_track(S20Client(endpoint, mac, host, timing=CLIENT_TIMING))

    @callback
    def async_create_allone_client(self, endpoint: S20Endpoint, mac: Mac, host: str) -> AllOneClient:
        """Create the client of an AllOne's config entry (stopped with the others when HA stops)."""
        return self._async_track(AllOneClient(endpoint, mac, host, timing=CLIENT_TIMING))

    @callback
    def _async_track[_C: DeviceClient](self, client: _C) -> _C:
        client.product_id = self._product_ids.get(str(client.mac))
        self.clients.add(client)
        return client

    async def async_stop_client(self, client: DeviceClient) -> None:
        """Stop a client created by async_create_client."""
        self.clients.discard(client)
        await client.stop()

    # --- probes and scans ----------------------------------------------------------------------

    async def async_scan(self) -> list[DiscoveredSocket]:
        """Broadcast a scan and return the sockets and AllOnes that answered; raises EndpointError."""
        async with self.async_endpoint() as endpoint:
            return await discover(endpoint, window_s=SCAN_WINDOW_S, families=tuple(DeviceFamily))

    async def async_scan_all(self) -> tuple[list[DiscoveredSocket], list[UnsupportedDevice]]:
        """Scan, and also name what answered but cannot be controlled here; raises EndpointError."""
        async with self.async_endpoint() as endpoint, collect_unsupported(endpoint) as unsupported:
            return await self.async_scan(), unsupported

    async def async_probe(self, host: str) -> DiscoveredSocket | None:
        """Ask one host who it is (unicast); None when nothing answers; raises EndpointError."""
        async with self.async_endpoint() as endpoint:
            return await probe_host(endpoint, host, timeout_s=PROBE_TIMEOUT_S)

    async def async_read_socket(self, host: str, mac: Mac) -> SocketData:
        """Subscribe to a socket and read its table 4 with a short-lived client.

        Raises EndpointError, or S20ConnectionError when the socket does not answer.
        """
        async with self.async_endpoint() as endpoint:
            client = S20Client(endpoint, mac, host, timing=CLIENT_TIMING)
            try:
                await client.subscribe()
                return await client.read_socket_data()
            finally:
                await client.stop()

    async def async_check_allone(self, host: str, mac: Mac) -> None:
        """Subscribe to an AllOne with a short-lived client: it answers, or S20ConnectionError.

        Raises EndpointError when the port cannot be opened.
        """
        async with self.async_endpoint() as endpoint:
            client = AllOneClient(endpoint, mac, host, timing=CLIENT_TIMING)
            try:
                await client.subscribe()
            finally:
                await client.stop()

    # --- background discovery ------------------------------------------------------------------

    @callback
    def async_start_discovery(self) -> None:
        """Scan when Home Assistant has started, then every scan_interval."""

        @callback
        def _async_scan_soon(*_: object) -> None:
            if not self._stopped:
                self.hass.async_create_background_task(self.async_discover(), "orvibo_s20 discovery")

        async_at_started(self.hass, _async_scan_soon)
        async_track_time_interval(
            self.hass, _async_scan_soon, self.settings.scan_interval, cancel_on_shutdown=True
        )

    async def async_discover(self) -> None:
        """Scan the LAN and start a discovery flow for every socket found."""
        try:
            found = await self.async_scan()
        except EndpointError as err:
            _LOGGER.debug("Background scan skipped: %s", err)
            return
        for socket in found:
            self._seen[str(socket.mac)] = socket.host
            async_trigger_discovery(self.hass, socket.host, str(socket.mac))

    @callback
    def _async_on_unsupported(self, device: UnsupportedDevice) -> None:
        self.unsupported[device] = self.unsupported.get(device, 0) + 1

    @callback
    def _async_on_discovery_reply(self, reply: DiscoveryReply, host: str) -> None:
        # Any reply or announcement heard: a socket plugged in, rebooted or moved shows up
        # here first. One flow per new MAC or new address; the flow does the rest.
        if family_of(reply.product_id) is None:
            return
        mac = str(reply.mac)
        self._product_ids[mac] = reply.product_id
        if self._seen.get(mac) == host:
            return
        self._seen[mac] = host
        async_trigger_discovery(self.hass, host, mac)


async def async_broadcast_addresses(hass: HomeAssistant) -> tuple[str, ...]:
    """Return the broadcast addresses of the networks Home Assistant is on (wiz does the same)."""
    addresses = await network.async_get_ipv4_broadcast_addresses(hass)
    return tuple(sorted(str(address) for address in addresses))


@callback
def async_trigger_discovery(hass: HomeAssistant, host: str, mac: str) -> None:
    """Start an integration discovery flow for a socket seen at host."""
    discovery_flow.async_create_flow(
        hass,
        DOMAIN,
        context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_HOST: host, CONF_MAC: mac},
        discovery_key=discovery_flow.DiscoveryKey(domain=DOMAIN, key=mac, version=1),
    )
