"""Config flow of the Orvibo S20: scan, manual entry, DHCP and integration discovery, reconfigure, Wi-Fi.

Every path talks to the socket before an entry is made: the MAC (the unique ID) comes from the
socket's own discovery reply, never from what the user typed alone, and the entry's title is
the name the socket stores. The Wi-Fi steps put a new socket on the network first (AP mode or
SmartLink, `pairing/`); the Wi-Fi key lives only in this flow object until the pairing task ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import logging
from typing import Any

from homeassistant.components import onboarding
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.setup import async_setup_component

from .client import DiscoveredSocket
from .client.unsupported import UnsupportedDevice
from .allone_coordinator import allone_name
from .const import CONF_FAMILY, CONF_MAC, DOMAIN
from .coordinator import device_name
from .core_move import PortTaken, async_core_sockets, async_move
from . import discovery
from .discovery import DATA_NETWORK, S20Network
from .pairing import (
    AP_NETWORK_NAME,
    AP_STEPS,
    SMARTLINK_STEPS,
    Auth,
    Encryption,
    InvalidCredentialsError,
    ModuleRefusedError,
    PairedSocket,
    PairingStep,
    PairingTimeoutError,
    Progress,
    WifiCredentials,
    complete_pairing,
    provision_ap,
    provision_smartlink,
    share_done,
    wait_for_new_socket,
)
from .pairing.at import ERROR_CODES
from .pairing.smartlink import password_bytes
from .pairing.provision import AT_REPLY_TIMEOUT_S, JOIN_TIMEOUT_S, SCAN_INTERVAL_S, SMARTLINK_TIMEOUT_S
from .protocol import DeviceFamily, EncodeError, EndpointError, Mac, S20ConnectionError, encode_name, family_of
from .runtime import entry_family
from .schema import vol

_LOGGER = logging.getLogger(__name__)

# An AllOne's module (the same Hi-Flying one) opens this network in AP mode instead.
ALLONE_AP_NETWORK_NAME = "WiWo-AllOne"

CONF_DEVICE = "device"
CONF_SSID = "ssid"
CONF_SECURITY = "security"

# Read at call time, so tests (and only tests) can shorten them.
AP_REPLY_TIMEOUT_S = AT_REPLY_TIMEOUT_S
SMARTLINK_WINDOW_S = SMARTLINK_TIMEOUT_S
SMARTLINK_SPEED = 1.0
JOIN_WINDOW_S = JOIN_TIMEOUT_S
JOIN_SCAN_INTERVAL_S = SCAN_INTERVAL_S

STEP_CONNECT_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_HOST): TextSelector(),
        vol.Optional(CONF_MAC): TextSelector(),
    }
)

# The `AT+WSKEY` settings a user can pick (keys are translation keys of the selector).
SECURITY_OPTIONS: dict[str, tuple[Auth, Encryption]] = {
    "wpa2psk_aes": (Auth.WPA2PSK, Encryption.AES),
    "wpa2psk_tkip": (Auth.WPA2PSK, Encryption.TKIP),
    "wpapsk_aes": (Auth.WPAPSK, Encryption.AES),
    "wpapsk_tkip": (Auth.WPAPSK, Encryption.TKIP),
    "wep_hex": (Auth.OPEN, Encryption.WEP_HEX),
    "wep_ascii": (Auth.OPEN, Encryption.WEP_ASCII),
    "wep_shared_hex": (Auth.SHARED, Encryption.WEP_HEX),
    "wep_shared_ascii": (Auth.SHARED, Encryption.WEP_ASCII),
    "open": (Auth.OPEN, Encryption.NONE),
}
DEFAULT_SECURITY = "wpa2psk_aes"
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

STEP_WIFI_AP_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_SSID): TextSelector(),
        vol.Optional(CONF_PASSWORD): _PASSWORD,
        vol.Required(CONF_SECURITY, default=DEFAULT_SECURITY): SelectSelector(
            SelectSelectorConfig(
                options=list(SECURITY_OPTIONS), translation_key=CONF_SECURITY, mode=SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Optional(CONF_NAME): TextSelector(),
    }
)
# SmartLink sends only the password: the socket joins the network this host is on.
STEP_WIFI_SMARTLINK_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_PASSWORD): _PASSWORD,
        vol.Optional(CONF_NAME): TextSelector(),
    }
)

# Where a pairing timed out → the error that says what to check.
_TIMEOUT_ERRORS: dict[PairingStep, str] = {
    PairingStep.FIND_MODULE: "module_not_found",
    PairingStep.SMARTLINK: "smartlink_timeout",
    PairingStep.WAIT_FOR_SOCKET: "socket_not_joined",
}


def _unsupported_text(devices: list[UnsupportedDevice]) -> str:
    """`127.0.0.40 (HomeMate), …`: the strings around it say why (translated), so no words here."""
    return ", ".join(f"{device.host} ({device.name})" for device in devices)


def _socket_label(host: str, mac: str, name: str | None) -> str:
    """How a found socket is listed: by its stored name when it told it."""
    return f"{name} ({host}, {mac})" if name else f"{host} ({mac})"


class CannotConnect(Exception):
    """The socket did not answer; `reason` is the translated error key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _WifiFailure:
    """Why a pairing failed: a `config.error` key and its placeholders."""

    error: str
    placeholders: dict[str, str] = field(default_factory=dict)


class S20ConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an Orvibo S20 socket."""

    VERSION = 1

    def __init__(self) -> None:
        self._host: str | None = None
        self._mac: str | None = None
        self._name: str | None = None
        self._family = DeviceFamily.SOCKET  # what the device's discovery reply said it is
        self._found: dict[str, DiscoveredSocket] = {}
        self._found_names: dict[str, str] = {}
        self._unsupported: list[UnsupportedDevice] = []  # what else answered the scan
        # Wi-Fi pairing: the method's step, what to pair with (the key), the task and its outcome.
        self._wifi_method: str | None = None
        self._wifi_credentials: WifiCredentials | None = None
        self._wifi_password: str | None = None
        self._wifi_name: str | None = None
        self._wifi_suggested: dict[str, str] = {}  # what a retry shows again: never the key
        self._wifi_task: asyncio.Task[PairedSocket | _WifiFailure] | None = None
        self._wifi_failure: _WifiFailure | None = None

    # --- asking the socket ---------------------------------------------------------------------

    async def _async_network(self) -> S20Network:
        """Return the shared endpoint's owner, setting the integration up if this flow is first.

        Home Assistant sets an integration up for its YAML block or its first entry, not for a
        flow: without either, the defaults apply, which is what async_setup gives with no YAML.
        """
        if DATA_NETWORK not in self.hass.data:
            await async_setup_component(self.hass, DOMAIN, {})
        return self.hass.data[DATA_NETWORK]

    async def _async_port(self) -> str:
        return str((await self._async_network()).settings.port)

    async def _async_mac(self, host: str, mac: str | None, *, fallback: str | None = None) -> str:
        """Return the MAC of the device at host: asked by a unicast `qa`, or the one given.

        The reply also tells the family (socket or AllOne). With a MAC (a device on another
        subnet, which may not answer `qa` from afar) a silent `qa` is no failure: reading the
        device with that MAC proves it, as a socket unless the reply said otherwise.
        `fallback` is used when `qa` is silent.
        """
        network = await self._async_network()
        try:
            found = await network.async_probe(host)
        except EndpointError as err:
            _LOGGER.debug("Cannot open the UDP port: %s", err)
            raise CannotConnect("port_in_use") from err
        if mac is not None:
            given = Mac.parse(mac)
            if found is not None and found.mac == given:
                self._family = found.family or DeviceFamily.SOCKET
            return format_mac(str(given))
        if found is not None:
            self._family = found.family or DeviceFamily.SOCKET
            return format_mac(str(found.mac))
        if fallback is not None:
            return fallback
        raise CannotConnect("cannot_connect")

    async def _async_name(self, host: str, mac: str, family: DeviceFamily | None = None) -> str:
        """Subscribe to the device and return its name (a socket's stored one); raise CannotConnect.

        `family`: what the device is, when not this flow's device (`self._family`).
        """
        network = await self._async_network()
        try:
            if (family or self._family) is DeviceFamily.ALLONE:
                await network.async_check_allone(host, Mac.parse(mac))
                return allone_name(mac)
            socket_data = await network.async_read_socket(host, Mac.parse(mac))
        except EndpointError as err:
            _LOGGER.debug("Cannot open the UDP port: %s", err)
            raise CannotConnect("port_in_use") from err
        except S20ConnectionError as err:
            _LOGGER.debug("No answer from %s: %s", host, err)
            raise CannotConnect("cannot_connect") from err
        return device_name(mac, socket_data)

    def _async_create(self) -> ConfigFlowResult:
        assert self._host is not None and self._mac is not None and self._name is not None
        # No family key: a socket, as in the entries made before AllOnes were supported.
        family = {} if self._family is DeviceFamily.SOCKET else {CONF_FAMILY: self._family.value}
        return self.async_create_entry(title=self._name, data={CONF_HOST: self._host, CONF_MAC: self._mac, **family})

    # --- the user's steps ----------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Connect to a socket already on the network, or put a new one on Wi-Fi."""
        options = ["connect", "wifi"]
        if async_core_sockets(self.hass):
            options.append("core_move")
        return self.async_show_menu(step_id="user", menu_options=options)

    async def async_step_connect(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Scan (no host), probe a host, or reach host + MAC on another subnet."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host = (user_input.get(CONF_HOST) or "").strip()
            given_mac = (user_input.get(CONF_MAC) or "").strip() or None
            if not host and given_mac is None:
                return await self._async_scan()
            if not host:
                errors[CONF_HOST] = "host_needed"
            elif given_mac is not None and not Mac.is_mac(given_mac):
                errors[CONF_MAC] = "invalid_mac"
            else:
                try:
                    mac = await self._async_mac(host, given_mac)
                    # Before reading it: a configured socket only gets its new host.
                    await self.async_set_unique_id(mac, raise_on_progress=False)
                    self._abort_if_unique_id_configured(updates={CONF_HOST: host})
                    name = await self._async_name(host, mac)
                except CannotConnect as err:
                    errors["base"] = err.reason
                else:
                    self._host, self._mac, self._name = host, mac, name
                    return self._async_create()
        return await self._async_show_connect(user_input or {}, errors)

    async def _async_show_connect(
        self, user_input: dict[str, Any], errors: dict[str, str], placeholders: dict[str, str] | None = None
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id="connect",
            data_schema=self.add_suggested_values_to_schema(STEP_CONNECT_SCHEMA, user_input),
            errors=errors,
            description_placeholders={"port": await self._async_port(), **(placeholders or {})},
        )

    async def _async_scan(self) -> ConfigFlowResult:
        network = await self._async_network()
        try:
            found, self._unsupported = await network.async_scan_all()
        except EndpointError:
            return await self._async_show_connect({}, {"base": "port_in_use"})
        if not found and network.problem is not None:
            # Not an empty LAN: the broadcast never reached it (the repair issue says why).
            return await self._async_show_connect({}, {"base": "no_lan"})
        configured = self._async_current_ids(include_ignore=False)
        self._found = {
            format_mac(str(socket.mac)): socket
            for socket in found
            if format_mac(str(socket.mac)) not in configured
        }
        if not self._found and self._unsupported:
            # Not "nothing found": say what answered and why it cannot be added.
            unsupported = {"unsupported": _unsupported_text(self._unsupported)}
            return await self._async_show_connect({}, {"base": "unsupported_found"}, unsupported)
        if not self._found:
            return await self._async_show_connect({}, {"base": "no_devices_found"})
        self._found_names = await self._async_found_names()
        return await self.async_step_pick_device()

    async def _async_found_names(self) -> dict[str, str]:
        """The stored names of the sockets found, read side by side: the list shows them.

        A socket that does not answer in time is listed by address only; the pick reads the
        name again either way (and reports a socket gone by then).
        """

        async def name_of(mac: str) -> str | None:
            found = self._found[mac]
            if found.family is DeviceFamily.ALLONE:
                return allone_name(mac)  # named by its MAC: nothing to read
            try:
                return await self._async_name(found.host, mac, DeviceFamily.SOCKET)
            except CannotConnect:
                return None

        macs = list(self._found)
        names = await asyncio.gather(*(name_of(mac) for mac in macs))
        return {mac: name for mac, name in zip(macs, names, strict=True) if name is not None}

    async def async_step_pick_device(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick one of the sockets the scan found."""
        errors: dict[str, str] = {}
        if user_input is not None:
            mac = user_input[CONF_DEVICE]
            socket = self._found[mac]
            self._family = socket.family or DeviceFamily.SOCKET
            await self.async_set_unique_id(mac, raise_on_progress=False)
            self._abort_if_unique_id_configured(updates={CONF_HOST: socket.host})
            try:
                name = await self._async_name(socket.host, mac)
            except CannotConnect as err:
                errors["base"] = err.reason
            else:
                self._host, self._mac, self._name = socket.host, mac, name
                return self._async_create()
        options = [
            SelectOptionDict(value=mac, label=_socket_label(socket.host, mac, self._found_names.get(mac)))
            for mac, socket in sorted(self._found.items(), key=lambda item: item[1].host)
        ]
        return self.async_show_form(
            # The same pick; its description also names what answered but cannot be added.
            step_id="pick_device_with_unsupported" if self._unsupported else "pick_device",
            data_schema=vol.Schema(
                {vol.Required(CONF_DEVICE): SelectSelector(SelectSelectorConfig(options=options))}
            ),
            errors=errors,
            description_placeholders={
                "port": await self._async_port(),
                "unsupported": _unsupported_text(self._unsupported),
            },
        )

    async def async_step_pick_device_with_unsupported(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick one of the sockets the scan found (devices that cannot be added answered too)."""
        return await self.async_step_pick_device(user_input)

    # --- the move from core `orvibo` (core_move.py, on the user's yes in the repair issue) ------

    async def async_step_core_move(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The move its repair issue offers, from here: on the user's yes, like every other path."""
        await self._async_network()  # the YAML switches are read at set-up
        sockets = async_core_sockets(self.hass)
        if not sockets:
            return self.async_abort(reason="nothing_to_move")
        errors: dict[str, str] = {}
        placeholders = {"sockets": ", ".join(socket.label for socket in sockets), "silent": ""}
        if user_input is not None:
            try:
                result = await async_move(self.hass, sockets)
            except PortTaken as err:
                return self.async_abort(reason="core_holds_port", description_placeholders={"port": str(err.port)})
            if not result.silent:
                return self.async_abort(reason="core_moved")
            errors["base"] = "silent"
            silent = ", ".join(socket.label for socket in result.silent)
            placeholders = {"sockets": silent, "silent": silent}
        return self.async_show_form(
            step_id="core_move", data_schema=vol.Schema({}), errors=errors, description_placeholders=placeholders
        )

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """Add a socket moved from core `orvibo`: it must answer, as on every other path."""
        mac = format_mac(str(Mac.parse(import_data[CONF_MAC])))
        host = import_data[CONF_HOST]
        await self.async_set_unique_id(mac, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        try:
            name = await self._async_name(host, mac)
        except CannotConnect as err:
            return self.async_abort(reason=err.reason)
        self._host, self._mac, self._name = host, mac, name
        return self._async_create()

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
        # A known socket at a new IP: update the entry (which reloads it, rescuing a retry), even
        # while another flow for it is open (a scan's, begun before the socket was added).
        await self.async_set_unique_id(mac, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host})
        await self.async_set_unique_id(mac)  # a new one: a single flow at a time
        if any(socket.mac == mac for socket in async_core_sockets(self.hass)):
            # Core `orvibo` has it: only the move keeps its entity ID (core_move.py).
            return self.async_abort(reason="core_socket")
        # The OUI is Hi-Flying's, not only Orvibo's: only a socket that answers is offered.
        try:
            found_mac = await self._async_mac(host, None)
            if found_mac != mac:
                return self.async_abort(reason="not_s20")
            name = await self._async_name(host, mac)
        except CannotConnect as err:
            return self.async_abort(reason=err.reason, description_placeholders={"port": await self._async_port()})
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
        self._family = entry_family(entry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            host = user_input[CONF_HOST].strip()
            try:
                # A socket on another subnet may ignore `qa`: then the entry's MAC must answer.
                mac = await self._async_mac(host, None, fallback=entry.data[CONF_MAC])
                # Another flow may be offering the socket found there: not a reason to stop.
                await self.async_set_unique_id(mac, raise_on_progress=False)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                await self._async_name(host, mac)
            except CannotConnect as err:
                errors["base"] = err.reason
            else:
                return self.async_update_reload_and_abort(entry, data_updates={CONF_HOST: host})
        schema = vol.Schema({vol.Required(CONF_HOST): TextSelector()})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or entry.data),
            errors=errors,
            description_placeholders={"name": entry.title, "port": await self._async_port()},
        )

    # --- a new socket on Wi-Fi -----------------------------------------------------------------

    async def async_step_wifi(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Put a new or reset socket on Wi-Fi: choose AP mode or SmartLink."""
        return self.async_show_menu(step_id="wifi", menu_options=["wifi_ap", "wifi_smartlink"])

    def _wifi_name_error(self, user_input: dict[str, Any]) -> str | None:
        """Keep the optional name; return the error key if the socket cannot store it."""
        name = (user_input.get(CONF_NAME) or "").strip() or None
        try:
            encode_name(name)
        except EncodeError:
            return "invalid_name"
        self._wifi_name = name
        return None

    async def _async_wifi_form(
        self, step_id: str, schema: vol.Schema, user_input: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult:
        """Show a method's form again: the last pairing's error, never the password back."""
        port = await self._async_port()
        if not errors and (failure := self._wifi_failure) is not None:
            errors, placeholders = {"base": failure.error}, failure.placeholders
        else:
            placeholders = {}
        self._wifi_failure = None
        suggested = {key: value for key, value in user_input.items() if key != CONF_PASSWORD}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={
                "network": AP_NETWORK_NAME, "allone_network": ALLONE_AP_NETWORK_NAME, "port": port, **placeholders
            },
        )

    async def async_step_wifi_ap(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """AP mode: the socket serves its own open network; give it the SSID, key and security."""
        errors: dict[str, str] = {}
        if user_input is not None:
            auth, encryption = SECURITY_OPTIONS[user_input[CONF_SECURITY]]
            try:
                credentials = WifiCredentials(
                    ssid=user_input[CONF_SSID], key=user_input.get(CONF_PASSWORD) or "", auth=auth,
                    encryption=encryption,
                )
            except InvalidCredentialsError as err:
                # The selector offers only valid combinations: the SSID or the key is wrong.
                if err.field == "key":
                    errors[CONF_PASSWORD] = "invalid_key"
                else:
                    errors[CONF_SSID] = "invalid_ssid"
            else:
                if (error := self._wifi_name_error(user_input)) is None:
                    self._wifi_method, self._wifi_credentials = "wifi_ap", credentials
                    self._wifi_remember(user_input)
                    return await self.async_step_wifi_pair()
                errors[CONF_NAME] = error
        return await self._async_wifi_form("wifi_ap", STEP_WIFI_AP_SCHEMA, user_input or self._wifi_suggested, errors)

    async def async_step_wifi_smartlink(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """SmartLink: broadcast the password on the network this host is on."""
        errors: dict[str, str] = {}
        if user_input is not None:
            password = user_input.get(CONF_PASSWORD) or ""
            try:
                password_bytes(password)
            except InvalidCredentialsError:
                errors[CONF_PASSWORD] = "invalid_smartlink_key"
            else:
                if (error := self._wifi_name_error(user_input)) is None:
                    self._wifi_method, self._wifi_password = "wifi_smartlink", password
                    self._wifi_remember(user_input)
                    return await self.async_step_wifi_pair()
                errors[CONF_NAME] = error
        return await self._async_wifi_form(
            "wifi_smartlink", STEP_WIFI_SMARTLINK_SCHEMA, user_input or self._wifi_suggested, errors
        )

    def _wifi_remember(self, user_input: dict[str, Any]) -> None:
        self._wifi_suggested = {key: value for key, value in user_input.items() if key != CONF_PASSWORD}

    async def async_step_wifi_pair(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show progress while the pairing task runs; then add the socket or say what failed."""
        assert self._wifi_method is not None
        if self._wifi_task is None:
            # Not eager: a pairing that fails at once must still show its progress step first.
            self._wifi_task = self.hass.async_create_task(
                self._async_pair(), "orvibo_s20 Wi-Fi pairing", eager_start=False
            )
        if not self._wifi_task.done():
            return self.async_show_progress(
                step_id="wifi_pair", progress_action=self._wifi_method, progress_task=self._wifi_task,
                description_placeholders={"network": AP_NETWORK_NAME, "allone_network": ALLONE_AP_NETWORK_NAME},
            )
        outcome = self._wifi_task.result()
        self._wifi_task = None
        if isinstance(outcome, _WifiFailure):
            self._wifi_failure = outcome
            return self.async_show_progress_done(next_step_id=self._wifi_method)
        self._host, self._mac = outcome.host, format_mac(str(outcome.mac))
        self._family = family_of(outcome.product_id) or DeviceFamily.SOCKET
        default = allone_name(self._mac) if self._family is DeviceFamily.ALLONE else device_name(self._mac, None)
        self._name = outcome.name or default
        return self.async_show_progress_done(next_step_id="wifi_finish")

    async def async_step_wifi_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The paired socket is on the network: add it (or move its existing entry there)."""
        assert self._mac is not None
        # A discovery flow may have seen the new socket first: this flow is the user's.
        await self.async_set_unique_id(self._mac, raise_on_progress=False)
        self._abort_if_unique_id_configured(updates={CONF_HOST: self._host})
        return self._async_create()

    async def _async_pair(self) -> PairedSocket | _WifiFailure:
        """Run the pairing; map every failure to what the user should check. Forgets the key."""
        try:
            return await self._async_run_pairing()
        except ModuleRefusedError as err:
            code = "" if err.code is None else f"={err.code}"
            meaning = ERROR_CODES.get(err.code, "unknown error") if err.code is not None else "no error code"
            return _WifiFailure("module_refused", {"command": err.command, "error": f"+ERR{code} ({meaning})"})
        except PairingTimeoutError as err:
            _LOGGER.debug("Wi-Fi pairing timed out at %s", err.step)
            return _WifiFailure(_TIMEOUT_ERRORS.get(err.step, "module_timeout"))
        except EndpointError as err:
            _LOGGER.debug("Wi-Fi pairing cannot bind: %s", err)
            return _WifiFailure("port_in_use", {"port": str(err.port)})
        except S20ConnectionError as err:
            _LOGGER.debug("The paired socket stopped answering: %s", err)
            return _WifiFailure("cannot_connect")
        finally:
            self._wifi_password = self._wifi_credentials = None

    async def _async_run_pairing(self) -> PairedSocket:
        network = await self._async_network()
        settings = network.settings
        local = (settings.bind_address, 0)
        last_step: list[PairingStep] = []
        steps = AP_STEPS if self._wifi_method == "wifi_ap" else SMARTLINK_STEPS
        # The frontend's progress bar, where this Home Assistant has one for flows.
        update_bar: Callable[[float], None] | None = getattr(self, "async_update_progress", None)
        shown = [0.0]

        def progress(report: Progress) -> None:
            if not last_step or last_step[-1] is not report.step:
                last_step.append(report.step)
                _LOGGER.debug("Wi-Fi pairing: %s", report.step)
            share = share_done(steps, report)
            # Forwards only, by 1 % or more: SmartLink reports every packet group.
            if update_bar is not None and share is not None and share >= shown[0] + 0.01:
                shown[0] = share
                update_bar(share)

        host: str | None = None
        if self._wifi_method == "wifi_ap":
            assert self._wifi_credentials is not None
            result = await provision_ap(
                self._wifi_credentials, target=(settings.wifi_module_address, settings.wifi_at_port),
                local_addr=local, progress=progress, reply_timeout_s=AP_REPLY_TIMEOUT_S,
            )
            mac = result.mac
        else:
            assert self._wifi_password is not None
            confirmed = await provision_smartlink(
                self._wifi_password, broadcast=settings.smartlink_broadcast_address, port=settings.smartlink_port,
                listen_host=settings.broadcast_listen_address or settings.bind_address, local_addr=local,
                progress=progress, timeout_s=SMARTLINK_WINDOW_S, speed=SMARTLINK_SPEED,
            )
            mac, host = confirmed.mac, confirmed.host
        # Claim the MAC: a discovery flow for the joining socket now aborts (already in progress).
        await self.async_set_unique_id(format_mac(str(mac)), raise_on_progress=False)
        async with network.async_endpoint() as endpoint:
            if self.unique_id in self._async_current_ids(include_ignore=False):
                # A configured socket put on another network: its entry sets it up again.
                found = await wait_for_new_socket(
                    endpoint, mac, host=host, timeout_s=JOIN_WINDOW_S, scan_interval_s=JOIN_SCAN_INTERVAL_S,
                    progress=progress,
                )
                return PairedSocket(mac=found.mac, host=found.host, product_id=found.product_id, name=None)
            return await complete_pairing(
                endpoint, mac, host=host, name=self._wifi_name, timeout_s=JOIN_WINDOW_S,
                scan_interval_s=JOIN_SCAN_INTERVAL_S, client_timing=discovery.CLIENT_TIMING, progress=progress,
            )
