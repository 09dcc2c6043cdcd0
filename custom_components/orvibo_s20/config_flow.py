"""Config flow of the Orvibo S20: scan, manual entry, DHCP and integration discovery, reconfigure.

Every path talks to the socket before an entry is made: the MAC (the unique ID) comes from the
socket's own discovery reply, never from what the user typed alone, and the entry's title is
the name the socket stores.
"""

from __future__ import annotations

import logging
from typing import Any

import voluptuous as vol

from homeassistant.components import onboarding
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo

from .client import DiscoveredSocket
from .const import CONF_MAC, DOMAIN
from .coordinator import device_name
from .discovery import DATA_NETWORK
from .protocol import EncodeError, EndpointError, Mac, S20ConnectionError

_LOGGER = logging.getLogger(__name__)

CONF_DEVICE = "device"

STEP_CONNECT_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_HOST): TextSelector(),
        vol.Optional(CONF_MAC): TextSelector(),
    }
)


class CannotConnect(Exception):
    """The socket did not answer; `reason` is the translated error key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class S20ConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Orvibo S20 socket."""

    VERSION = 1

    def __init__(self) -> None:
        self._host: str | None = None
        self._mac: str | None = None
        self._name: str | None = None
        self._found: dict[str, DiscoveredSocket] = {}

    # --- asking the socket ---------------------------------------------------------------------

    async def _async_identify(self, host: str, mac: str | None) -> tuple[str, str]:
        """Return (MAC, name) of the socket at host; raise CannotConnect.

        Without a MAC, a unicast `qa` asks the socket who it is. With one (a socket on another
        subnet, which may not answer `qa` from afar), subscribing to that MAC proves it.
        """
        network = self.hass.data[DATA_NETWORK]
        try:
            if mac is None:
                found = await network.async_probe(host)
                if found is None:
                    raise CannotConnect("cannot_connect")
                parsed = found.mac
            else:
                parsed = Mac.parse(mac)
            socket_data = await network.async_read_socket(host, parsed)
        except EndpointError as err:
            _LOGGER.debug("Cannot open the UDP port: %s", err)
            raise CannotConnect("port_in_use") from err
        except S20ConnectionError as err:
            _LOGGER.debug("No answer from %s: %s", host, err)
            raise CannotConnect("cannot_connect") from err
        return str(parsed), device_name(str(parsed), socket_data)

    @property
    def _port(self) -> str:
        return str(self.hass.data[DATA_NETWORK].settings.port)

    def _async_create(self) -> ConfigFlowResult:
        assert self._host is not None and self._mac is not None and self._name is not None
        return self.async_create_entry(title=self._name, data={CONF_HOST: self._host, CONF_MAC: self._mac})

    # --- the user's steps ----------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Connect to a socket already on the network, or put a new one on Wi-Fi."""
        return self.async_show_menu(step_id="user", menu_options=["connect", "wifi"])

    async def async_step_connect(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Scan (no host), probe a host, or reach host + MAC on another subnet."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = (user_input.get(CONF_HOST) or "").strip()
            mac = (user_input.get(CONF_MAC) or "").strip() or None
            if not host and mac is None:
                return await self._async_scan()
            if not host:
                errors[CONF_HOST] = "host_needed"
            elif mac is not None and not Mac.is_mac(mac):
                errors[CONF_MAC] = "invalid_mac"
            else:
                try:
                    mac, name = await self._async_identify(host, mac)
                except CannotConnect as err:
                    errors["base"] = err.reason
                else:
                    await self.async_set_unique_id(format_mac(mac), raise_on_progress=False)
                    self._abort_if_unique_id_configured(updates={CONF_HOST: host})
                    self._host, self._mac, self._name = host, format_mac(mac), name
                    return self._async_create()
        return self.async_show_form(
            step_id="connect",
            data_schema=self.add_suggested_values_to_schema(STEP_CONNECT_SCHEMA, user_input or {}),
            errors=errors,
            description_placeholders={"port": self._port},
        )

    async def _async_scan(self) -> ConfigFlowResult:
        network = self.hass.data[DATA_NETWORK]
        try:
            found = await network.async_scan()
        except EndpointError:
            return self._async_connect_error("port_in_use")
        configured = self._async_current_ids(include_ignore=False)
        self._found = {
            format_mac(str(socket.mac)): socket
            for socket in found
            if format_mac(str(socket.mac)) not in configured
        }
        if not self._found:
            return self._async_connect_error("no_devices_found")
        return await self.async_step_pick_device()

    def _async_connect_error(self, error: str) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="connect",
            data_schema=STEP_CONNECT_SCHEMA,
            errors={"base": error},
            description_placeholders={"port": self._port},
        )

    async def async_step_pick_device(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick one of the sockets the scan found."""
        errors: dict[str, str] = {}
        if user_input is not None:
            mac = user_input[CONF_DEVICE]
            socket = self._found[mac]
            await self.async_set_unique_id(mac, raise_on_progress=False)
            self._abort_if_unique_id_configured(updates={CONF_HOST: socket.host})
            try:
                _, name = await self._async_identify(socket.host, mac)
            except CannotConnect as err:
                errors["base"] = err.reason
            else:
                self._host, self._mac, self._name = socket.host, mac, name
                return self._async_create()
        options = [
            SelectOptionDict(value=mac, label=f"{socket.host} ({mac})")
            for mac, socket in sorted(self._found.items(), key=lambda item: item[1].host)
        ]
        return self.async_show_form(
            step_id="pick_device",
            data_schema=vol.Schema(
                {vol.Required(CONF_DEVICE): SelectSelector(SelectSelectorConfig(options=options))}
            ),
            errors=errors,
        )

    # --- discovery -----------------------------------------------------------------------------

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """A Hi-Flying module asked for an address (a new socket, or a known one moved)."""
        return await self._async_handle_discovery(discovery_info.ip, discovery_info.macaddress)

    async def async_step_integration_discovery(self, discovery_info: dict[str, Any]) -> ConfigFlowResult:
        """Our own scan or an announcement found a socket."""
        return await self._async_handle_discovery(discovery_info[CONF_HOST], discovery_info[CONF_MAC])

    async def _async_handle_discovery(self, host: str, mac: str) -> ConfigFlowResult:
        """Follow a known socket to its new address, or offer a new one once it answered."""
        try:
            mac = format_mac(str(Mac.parse(mac)))
        except EncodeError:
            return self.async_abort(reason="not_s20")
        await self.async_set_unique_id(mac)
        # A known socket at a new IP: update the entry (which reloads it, rescuing a retry).
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        self._async_abort_entries_match({CONF_HOST: host})
        # The OUI is Hi-Flying's, not only Orvibo's: only a socket that answers is offered.
        try:
            found_mac, name = await self._async_identify(host, None)
        except CannotConnect as err:
            return self.async_abort(reason=err.reason)
        if found_mac != mac:
            return self.async_abort(reason="not_s20")
        self._host, self._mac, self._name = host, mac, name
        self.context["title_placeholders"] = {"name": name, "host": host}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Confirm a discovered socket (not asked before onboarding is done, as wiz does)."""
        if user_input is not None or not onboarding.async_is_onboarded(self.hass):
            return self._async_create()
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={"name": self._name or "", "host": self._host or ""},
        )

    # --- reconfigure ---------------------------------------------------------------------------

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Point the entry at the socket's new address; refuse a different socket."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            try:
                # The entry's MAC goes along: a socket on another subnet may ignore a `qa`.
                found = await self.hass.data[DATA_NETWORK].async_probe(host)
                mac, _ = await self._async_identify(host, str(found.mac) if found else entry.data[CONF_MAC])
            except CannotConnect as err:
                errors["base"] = err.reason
            except EndpointError:
                errors["base"] = "port_in_use"
            else:
                await self.async_set_unique_id(format_mac(mac))
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self.async_update_reload_and_abort(entry, data_updates={CONF_HOST: host})
        schema = vol.Schema({vol.Required(CONF_HOST): TextSelector()})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or entry.data),
            errors=errors,
            description_placeholders={"name": entry.title, "port": self._port},
        )

    # --- a new socket on Wi-Fi -----------------------------------------------------------------

    async def async_step_wifi(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Put a new or reset socket on Wi-Fi (AP mode or SmartLink)."""
        return self.async_abort(reason="wifi_not_available")
