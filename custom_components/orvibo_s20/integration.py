"""Set-up and tear-down of the integration (the package `__init__` re-exports it).

Only set-up and tear-down here: the shared endpoint and discovery live in `discovery.py`, one
socket's state in `coordinator.py`, the entities in their platforms.
"""

from __future__ import annotations

from typing import cast

from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType
from homeassistant.helpers.update_coordinator import UpdateFailed

from .const import (
    CONF_BIND_ADDRESS,
    CONF_BROADCAST_ADDRESSES,
    CONF_BROADCAST_LISTEN_ADDRESS,
    CONF_MAC,
    CONF_POLL_INTERVAL,
    CONF_RELAY,
    CONF_RELAY_PORT,
    CONF_REMOTE_PORT,
    CONF_REUSE_ADDRESS,
    CONF_SMARTLINK_BROADCAST_ADDRESS,
    CONF_SMARTLINK_PORT,
    CONF_WIFI_AT_PORT,
    CONF_WIFI_MODULE_ADDRESS,
    DEFAULT_BIND_ADDRESS,
    DEFAULT_PORT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    POLL_INTERVAL,
)
from .allone_coordinator import AllOneConfigEntry, async_create_allone_data
from .coordinator import S20ConfigEntry, S20Coordinator, S20Data
from .core_move import DATA_CORE_YAML, async_adopt, async_check_core, async_yaml_sockets
from .discovery import DATA_NETWORK, NetworkSettings, S20Network, async_broadcast_addresses
from .network_check import async_network_view, async_report
from .pairing import AP_MODULE_HOST
from .pairing.provision import DEFAULT_BROADCAST
from .protocol import AT_PORT, SMARTLINK_PORT, DeviceFamily, EndpointError, Mac
from .protocol.relay import RELAY_PORT
from .runtime import FAMILY_PLATFORMS, OrviboConfigEntry, OrviboData, entry_family
from .schema import vol
from .services import async_setup_services

# Every platform of every family; an entry sets up its family's (FAMILY_PLATFORMS).
PLATFORMS: list[Platform] = sorted({platform for platforms in FAMILY_PLATFORMS.values() for platform in platforms})

# Optional: only unusual networks (and the tests and demo, on the loopback LAN) need it.
CONFIG_SCHEMA = vol.Schema(
    {
        DOMAIN: vol.Schema(
            {
                vol.Optional(CONF_BIND_ADDRESS, default=DEFAULT_BIND_ADDRESS): cv.string,
                vol.Optional(CONF_PORT, default=DEFAULT_PORT): cv.port,
                vol.Optional(CONF_REMOTE_PORT): cv.port,
                vol.Optional(CONF_BROADCAST_ADDRESSES): vol.All(cv.ensure_list, [cv.string]),
                vol.Optional(CONF_BROADCAST_LISTEN_ADDRESS): cv.string,
                vol.Optional(CONF_REUSE_ADDRESS, default=False): cv.boolean,
                vol.Optional(CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL): cv.time_period,
                vol.Optional(CONF_WIFI_MODULE_ADDRESS, default=AP_MODULE_HOST): cv.string,
                vol.Optional(CONF_WIFI_AT_PORT, default=AT_PORT): cv.port,
                vol.Optional(CONF_SMARTLINK_PORT, default=SMARTLINK_PORT): cv.port,
                vol.Optional(CONF_SMARTLINK_BROADCAST_ADDRESS, default=DEFAULT_BROADCAST): cv.string,
                vol.Optional(CONF_POLL_INTERVAL, default=POLL_INTERVAL): cv.time_period,
                vol.Optional(CONF_RELAY, default=True): cv.boolean,
                vol.Optional(CONF_RELAY_PORT, default=RELAY_PORT): cv.port,
            }
        )
    },
    extra=vol.ALLOW_EXTRA,
)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Open nothing yet: keep the network settings, register services, start discovery."""
    conf = config.get(DOMAIN) or CONFIG_SCHEMA({DOMAIN: {}})[DOMAIN]
    broadcast = conf.get(CONF_BROADCAST_ADDRESSES)
    settings = NetworkSettings(
        bind_address=conf[CONF_BIND_ADDRESS],
        port=conf[CONF_PORT],
        remote_port=conf.get(CONF_REMOTE_PORT),
        broadcast_addresses=tuple(broadcast) if broadcast else await async_broadcast_addresses(hass),
        broadcast_listen_address=conf.get(CONF_BROADCAST_LISTEN_ADDRESS),
        reuse_address=conf[CONF_REUSE_ADDRESS],
        scan_interval=conf[CONF_SCAN_INTERVAL],
        poll_interval=conf[CONF_POLL_INTERVAL],
        wifi_module_address=conf[CONF_WIFI_MODULE_ADDRESS],
        wifi_at_port=conf[CONF_WIFI_AT_PORT],
        smartlink_port=conf[CONF_SMARTLINK_PORT],
        smartlink_broadcast_address=conf[CONF_SMARTLINK_BROADCAST_ADDRESS],
        relay_port=conf[CONF_RELAY_PORT] if conf[CONF_RELAY] else None,
    )
    network = S20Network(hass, settings)
    # A container's bridge or no broadcast address: say so now, not with empty scans later.
    network.problem = async_report(hass, await async_network_view(hass), broadcast_configured=bool(broadcast))
    hass.data[DATA_NETWORK] = network
    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, network.async_stop)
    async_setup_services(hass)
    network.async_start_discovery()
    hass.data[DATA_CORE_YAML] = await async_yaml_sockets(hass, config)
    async_check_core(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: OrviboConfigEntry) -> bool:
    """Subscribe to one device (a socket or an AllOne) and set up its family's entities."""
    network = hass.data[DATA_NETWORK]
    try:
        endpoint = await network.async_acquire(entry)
    except EndpointError as err:
        # The repair issue says what to do; retrying picks the port up once it is free.
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="port_in_use",
            translation_placeholders={"port": str(err.port)},
        ) from err
    family = entry_family(entry.data)
    mac, host = Mac.parse(entry.data[CONF_MAC]), entry.data[CONF_HOST]
    data: OrviboData
    if family is DeviceFamily.ALLONE:
        # The casts are the family's entry type, which the entry's data named just above.
        allone = network.async_create_allone_client(endpoint, mac, host)
        data = await async_create_allone_data(hass, cast(AllOneConfigEntry, entry), allone)
    else:
        client = network.async_create_client(endpoint, mac, host)
        data = S20Data(client=client, coordinator=S20Coordinator(hass, cast(S20ConfigEntry, entry), client))
    coordinator = data.coordinator
    try:
        await coordinator.async_config_entry_first_refresh()
    except BaseException as err:
        # Nothing of a failed attempt stays behind: the retry starts afresh.
        await network.async_stop_client(data.client)
        network.async_release(entry)
        cause = coordinator.last_exception
        if isinstance(err, ConfigEntryNotReady) and isinstance(cause, UpdateFailed) and cause.translation_key:
            # The coordinator raises a bare ConfigEntryNotReady: give the entry the reason.
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key=cause.translation_key,
                translation_placeholders=cause.translation_placeholders,
            ) from cause
        raise
    entry.runtime_data = data
    data.client.start()
    if family is DeviceFamily.SOCKET:
        # A socket moved from core `orvibo` takes over its switch's entity ID, name and device.
        async_adopt(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, FAMILY_PLATFORMS[family])
    return True


async def async_unload_entry(hass: HomeAssistant, entry: OrviboConfigEntry) -> bool:
    """Unload the entities, stop the device's client and let go of the shared endpoint."""
    if not await hass.config_entries.async_unload_platforms(entry, FAMILY_PLATFORMS[entry_family(entry.data)]):
        return False
    network = hass.data[DATA_NETWORK]
    await network.async_stop_client(entry.runtime_data.client)
    network.async_release(entry)
    return True
