"""The move from Home Assistant's core `orvibo` integration to this one.

Core `orvibo` keeps one config entry per socket since 2026 (data `host` and `mac`, unique ID and
switch unique ID the lower-case MAC, one device with that MAC); before, a YAML `switch` platform
(`platform: orvibo`, `switches:` of `host`, optional `mac`, `name`) whose switches have no unique
ID, so their entity ID is the slug of their name. Both need UDP port 10000, so they cannot run
beside this integration.

A fixable repair issue offers the move; nothing happens before the user confirms it
(`repairs.py`). Then, for each socket that answers us: the core entry is disabled (kept, so the
user can go back, and so core's own YAML import does not add it again), an import flow adds the
socket here, and its set-up takes over the core switch's entity registry entry (entity ID, name,
icon, area: automations and dashboards keep working) and its device (area, name). A YAML switch
is taken off its platform and its entity ID given to ours; its YAML lines must go by hand, which
a second issue says until they are gone.
"""

from __future__ import annotations

from dataclasses import dataclass
import inspect
import logging
from typing import Any

from homeassistant.config import async_hass_config_yaml
from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntry, ConfigEntryDisabler
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PLATFORM, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_platform,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

from .const import CONF_MAC, DOMAIN, ISSUE_CORE_MOVE, ISSUE_CORE_YAML_LEFT
from .discovery import DATA_NETWORK
from .protocol import EncodeError, EndpointError, Mac, S20ConnectionError

_LOGGER = logging.getLogger(__name__)

CORE_DOMAIN = "orvibo"
SWITCH_DOMAIN = Platform.SWITCH.value
# Core's YAML switches: the key of their list, and the name a switch without one gets.
CONF_SWITCHES = "switches"
CORE_YAML_DEFAULT_NAME = "Orvibo S20 Switch"
# Our switch of the relay (entity.py: f"{mac}_{description.key}", switch.py: POWER).
POWER_KEY = "power"

DATA_CORE_YAML: HassKey[tuple[CoreSocket, ...]] = HassKey(f"{DOMAIN}_core_yaml")
DATA_ADOPT: HassKey[dict[str, CoreSocket]] = HassKey(f"{DOMAIN}_core_adopt")


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreSocket:
    """A socket set up in core `orvibo`: where it is and what its switch is called."""

    host: str
    mac: str | None  # format_mac; None for a YAML switch without one (asked of the socket)
    name: str  # the switch's name as Home Assistant shows it
    entity_id: str | None  # the core switch; None if core never registered one
    entry_id: str | None  # the core config entry; None for YAML

    @property
    def label(self) -> str:
        """How the issue lists it: its name and host (core's default name holds the host already)."""
        return self.name if self.host in self.name else f"{self.name} ({self.host})"


@dataclass(frozen=True, slots=True)
class MoveResult:
    """What a move did: the sockets now here, and those that did not answer."""

    moved: tuple[CoreSocket, ...]
    silent: tuple[CoreSocket, ...]


class PortTaken(Exception):
    """Our UDP port is taken (core `orvibo` holds it while it runs): nothing could be asked."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.port = port


def power_unique_id(mac: str) -> str:
    return f"{mac}_{POWER_KEY}"


# --- finding core's sockets -----------------------------------------------------------------------


def yaml_sockets(config: ConfigType) -> tuple[CoreSocket, ...]:
    """The switches of core's YAML `switch` platform (`platform: orvibo`) in the configuration."""
    blocks = config.get(SWITCH_DOMAIN) or []
    if isinstance(blocks, dict):
        blocks = [blocks]
    found: list[CoreSocket] = []
    for block in blocks:
        if not isinstance(block, dict) or block.get(CONF_PLATFORM) != CORE_DOMAIN:
            continue
        switches = block.get(CONF_SWITCHES) or []
        for switch in switches if isinstance(switches, list) else [switches]:
            if not isinstance(switch, dict) or not switch.get(CONF_HOST):
                continue
            mac = str(switch[CONF_MAC]) if switch.get(CONF_MAC) else None
            if mac is not None and not Mac.is_mac(mac):
                mac = None
            name = str(switch.get(CONF_NAME) or CORE_YAML_DEFAULT_NAME)
            found.append(
                CoreSocket(
                    host=str(switch[CONF_HOST]),
                    mac=format_mac(str(Mac.parse(mac))) if mac else None,
                    name=name,
                    entity_id=f"{SWITCH_DOMAIN}.{slugify(name)}",
                    entry_id=None,
                )
            )
    return tuple(found)


async def async_yaml_sockets(hass: HomeAssistant, config: ConfigType) -> tuple[CoreSocket, ...]:
    """Core's YAML switches: from the configuration given, or (set up by a flow, with none given)
    from `configuration.yaml` itself."""
    if SWITCH_DOMAIN not in config:
        try:
            config = await async_hass_config_yaml(hass)
        except (HomeAssistantError, OSError) as err:
            _LOGGER.debug("No YAML configuration to look for core orvibo switches in: %s", err)
            return ()
    return yaml_sockets(config)


def _entry_socket(hass: HomeAssistant, entry: ConfigEntry) -> CoreSocket | None:
    """A core config entry as a socket; None if its data is not core's."""
    host, raw_mac = entry.data.get(CONF_HOST), entry.data.get(CONF_MAC)
    if not isinstance(host, str) or not isinstance(raw_mac, str) or not Mac.is_mac(raw_mac):
        return None
    mac = format_mac(str(Mac.parse(raw_mac)))
    ent_reg = er.async_get(hass)
    entity_id = ent_reg.async_get_entity_id(SWITCH_DOMAIN, CORE_DOMAIN, raw_mac) or ent_reg.async_get_entity_id(
        SWITCH_DOMAIN, CORE_DOMAIN, mac
    )
    name = entry.title
    if entity_id is not None and (registered := ent_reg.async_get(entity_id)) is not None:
        name = _shown_name(hass, registered) or name
    return CoreSocket(host=host, mac=mac, name=name, entity_id=entity_id, entry_id=entry.entry_id)


def _shown_name(hass: HomeAssistant, registered: er.RegistryEntry) -> str | None:
    """The name Home Assistant shows for a core switch (its own, else its device's)."""
    if registered.name:
        return registered.name
    if registered.has_entity_name and registered.original_name is None and registered.device_id:
        device = dr.async_get(hass).async_get(registered.device_id)
        if device is not None:
            return device.name_by_user or device.name
    return registered.original_name


@callback
def async_core_sockets(hass: HomeAssistant) -> list[CoreSocket]:
    """Core's sockets not yet moved here: its config entries, then its YAML switches."""
    ours = hass.config_entries.async_entries(DOMAIN, include_ignore=False)
    our_macs = {entry.unique_id for entry in ours}
    our_hosts = {entry.data.get(CONF_HOST) for entry in ours}
    found: list[CoreSocket] = []
    for entry in hass.config_entries.async_entries(CORE_DOMAIN, include_ignore=False):
        socket = _entry_socket(hass, entry)
        if socket is not None and socket.mac not in our_macs:
            found.append(socket)
    core_hosts = {socket.host for socket in found} | {
        entry.data.get(CONF_HOST) for entry in hass.config_entries.async_entries(CORE_DOMAIN)
    }
    # Core imports its YAML into entries since 2026: a switch with an entry is counted once.
    for socket in hass.data.get(DATA_CORE_YAML, ()):
        if socket.host in core_hosts or socket.host in our_hosts or (socket.mac and socket.mac in our_macs):
            continue
        found.append(socket)
    return found


# --- the issues -----------------------------------------------------------------------------------


@callback
def async_check_core(hass: HomeAssistant) -> None:
    """Offer the move while core has sockets left; say when its YAML lines stay behind."""
    sockets = async_core_sockets(hass)
    if sockets:
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_CORE_MOVE,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CORE_MOVE,
            translation_placeholders={"sockets": ", ".join(socket.label for socket in sockets)},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_CORE_MOVE)
    ours = {entry.data.get(CONF_HOST) for entry in hass.config_entries.async_entries(DOMAIN)}
    left = [socket for socket in hass.data.get(DATA_CORE_YAML, ()) if socket.host in ours]
    if left:
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_CORE_YAML_LEFT,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CORE_YAML_LEFT,
            translation_placeholders={"hosts": ", ".join(socket.host for socket in left)},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_CORE_YAML_LEFT)


# --- the move -------------------------------------------------------------------------------------


async def _async_answering_mac(hass: HomeAssistant, socket: CoreSocket) -> str | None:
    """The socket's MAC if it answers us (read whole, as setting it up will); raises PortTaken."""
    network = hass.data[DATA_NETWORK]
    try:
        if socket.mac is None:
            found = await network.async_probe(socket.host)
            if found is None:
                return None
            mac = format_mac(str(found.mac))
        else:
            mac = socket.mac
        await network.async_read_socket(socket.host, Mac.parse(mac))
    except EndpointError as err:
        raise PortTaken(err.port) from err
    except (S20ConnectionError, EncodeError) as err:
        _LOGGER.debug("Core socket %s does not answer: %s", socket.host, err)
        return None
    return mac


async def _async_retire(hass: HomeAssistant, socket: CoreSocket) -> None:
    """Stop core's switch: disable its entry, or take a YAML switch off its platform."""
    if socket.entry_id is not None:
        await hass.config_entries.async_set_disabled_by(socket.entry_id, ConfigEntryDisabler.USER)
        return
    if socket.entity_id is None:
        return
    for platform in entity_platform.async_get_platforms(hass, CORE_DOMAIN):
        if platform.domain == SWITCH_DOMAIN and socket.entity_id in platform.entities:
            await platform.async_remove_entity(socket.entity_id)


async def async_move(hass: HomeAssistant, sockets: list[CoreSocket]) -> MoveResult:
    """Move every socket that answers from core `orvibo` here; raises PortTaken."""
    moved: list[CoreSocket] = []
    silent: list[CoreSocket] = []
    for socket in sockets:
        mac = await _async_answering_mac(hass, socket)
        if mac is None:
            silent.append(socket)
            continue
        await _async_retire(hass, socket)
        # Our set-up (async_adopt) takes the core switch's place before its entities exist.
        hass.data.setdefault(DATA_ADOPT, {})[mac] = socket
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_IMPORT}, data={CONF_HOST: socket.host, CONF_MAC: mac}
        )
        if result["type"] is FlowResultType.CREATE_ENTRY:
            moved.append(socket)
        else:
            # Nothing to adopt; a set-up that failed keeps its adoption for the retry.
            hass.data[DATA_ADOPT].pop(mac, None)
            _LOGGER.debug("Import of %s ended with %s", socket.host, result.get("reason"))
            silent.append(socket)
    async_check_core(hass)
    return MoveResult(tuple(moved), tuple(silent))


@callback
def async_adopt(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Give a socket moved from core its core switch's entity ID, name and device.

    Runs in our set-up before the platforms: the entities then find their registry entry (and
    device) by unique ID and identifiers, and take them as they are.
    """
    mac = entry.unique_id
    socket = hass.data.get(DATA_ADOPT, {}).pop(mac or "", None)
    if mac is None or socket is None or socket.entity_id is None:
        return
    ent_reg = er.async_get(hass)
    if ent_reg.async_get_entity_id(SWITCH_DOMAIN, DOMAIN, power_unique_id(mac)) is not None:
        return  # ours already
    try:
        _async_take_over(hass, entry, socket, mac)
    except ValueError as err:
        # Never in the way of the set-up: the switch then gets an entity ID of its own.
        _LOGGER.warning("Could not give %s to the socket at %s: %s", socket.entity_id, socket.host, err)


def _async_take_over(hass: HomeAssistant, entry: ConfigEntry, socket: CoreSocket, mac: str) -> None:
    """Take the core switch's registry entry (or, for YAML, its entity ID) for our switch."""
    assert socket.entity_id is not None
    ent_reg = er.async_get(hass)
    # The core switch is stopped: what is left of it is its last (or restored) state.
    hass.states.async_remove(socket.entity_id)
    registered = ent_reg.async_get(socket.entity_id)
    if registered is None or registered.platform != CORE_DOMAIN:
        # YAML: no registry entry; reserve its entity ID and name for our switch.
        if registered is None:
            created = ent_reg.async_get_or_create(
                SWITCH_DOMAIN,
                DOMAIN,
                power_unique_id(mac),
                config_entry=entry,
                suggested_object_id=socket.entity_id.split(".", 1)[1],
            )
            ent_reg.async_update_entity(created.entity_id, name=socket.name)
        return
    # The switch first: taking core's entry off its device removes core's entities on it.
    ent_reg.async_update_entity_platform(
        socket.entity_id,
        DOMAIN,
        new_config_entry_id=entry.entry_id,
        new_unique_id=power_unique_id(mac),
        new_device_id=registered.device_id,
    )
    _adopt_device(hass, registered, entry, mac)
    ent_reg.async_update_entity(
        socket.entity_id,
        # Core's entry is disabled: its switch was disabled with it, not by the user.
        disabled_by=None if registered.disabled_by is er.RegistryEntryDisabler.CONFIG_ENTRY else registered.disabled_by,
        # Our switch would show the socket's stored name: keep the one the user knew.
        name=registered.name or socket.name,
    )


def _adopt_device(hass: HomeAssistant, registered: er.RegistryEntry, entry: ConfigEntry, mac: str) -> None:
    """Move core's device (area, name, labels, device automations) to our entry."""
    if registered.device_id is None or registered.config_entry_id is None:
        return
    dev_reg = dr.async_get(hass)
    device = dev_reg.async_get(registered.device_id)
    if device is None:
        return
    disabled_by = None if device.disabled_by is dr.DeviceEntryDisabler.CONFIG_ENTRY else device.disabled_by
    if "new_config_entry_id" in inspect.signature(dev_reg.async_update_device).parameters:
        # From 2026.8 a device belongs to one config entry: it is moved, not shared.
        moved: dict[str, Any] = {"new_config_entry_id": entry.entry_id}
        dev_reg.async_update_device(device.id, new_identifiers={(DOMAIN, mac)}, disabled_by=disabled_by, **moved)
        return
    dev_reg.async_update_device(device.id, add_config_entry_id=entry.entry_id)
    dev_reg.async_update_device(
        device.id,
        remove_config_entry_id=registered.config_entry_id,
        new_identifiers={(DOMAIN, mac)},
        disabled_by=disabled_by,
    )
