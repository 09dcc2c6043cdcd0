"""The Wi-Fi steps of the config flow, end to end with the simulated Wi-Fi module (simulator/wifi.py).

AP mode and SmartLink each put a new socket on the loopback LAN and end with its config entry;
the module reports what it was given, so the SSID, key and security are checked byte for byte.
The key must appear in no log record, entry, or flow result.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
import json
import logging
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20 import config_flow
from custom_components.orvibo_s20.const import CONF_FAMILY, CONF_MAC, DOMAIN
from custom_components.orvibo_s20.discovery import DATA_NETWORK
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant import data_entry_flow
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from simulator import Simulator
from simulator.wifi import WifiFaults, WifiMode

from tests.loopback import (  # noqa: F401 (fixtures)
    AP_HOST,
    WIFI_TIMING,
    ModuleFactory,
    at_port_fixture,
    module_factory_fixture,
    smartlink_port_fixture,
)

from .common import clock_in_step, wait_for
from .conftest import BROADCAST

SSID = "Home Net"
KEY = "s3cret-Wi-Fi-key"  # must never leak
NOWHERE = "127.0.0.9"


@pytest.fixture
def network_config(network_config: dict[str, Any], at_port: int, smartlink_port: int) -> dict[str, Any]:
    """The loopback LAN, plus where the Wi-Fi module and the SmartLink sniffer listen."""
    return {
        DOMAIN: {
            **network_config[DOMAIN],
            "wifi_module_address": AP_HOST,
            "wifi_at_port": at_port,
            "smartlink_port": smartlink_port,
            "smartlink_broadcast_address": BROADCAST,
        }
    }


@pytest.fixture(autouse=True)
def fast_pairing() -> Iterator[None]:
    """Loopback answers at once: short AT timeouts, SmartLink at 50× speed, a quick join."""
    flow = "custom_components.orvibo_s20.config_flow"
    with (
        patch(f"{flow}.AP_REPLY_TIMEOUT_S", 0.15),
        patch(f"{flow}.SMARTLINK_SPEED", 50.0),
        patch(f"{flow}.SMARTLINK_WINDOW_S", 3.0),
        patch(f"{flow}.JOIN_WINDOW_S", 1.5),
        patch(f"{flow}.JOIN_SCAN_INTERVAL_S", 0.1),
    ):
        yield


@pytest.fixture
async def ready(hass: HomeAssistant, setup_network: None, caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    """The integration set up (its start-up scan over); every log record kept; entries unloaded after."""
    caplog.set_level(logging.DEBUG)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Nothing may be sent to the real 10.10.100.254 or 255.255.255.255.
    settings = hass.data[DATA_NETWORK].settings
    assert (settings.wifi_module_address, settings.smartlink_broadcast_address) == (AP_HOST, BROADCAST)
    yield
    await hass.async_block_till_done()
    for config_entry in hass.config_entries.async_entries(DOMAIN):
        if config_entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


# Modules that know the network `Home Net` / KEY.
make_module = module_factory_fixture(network=(SSID, KEY))


class Flow:
    """Drive one user flow and keep every result, to search them for the key."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.results: list[dict[str, Any]] = []
        self.flow_id = ""

    def _keep(self, result: dict[str, Any]) -> dict[str, Any]:
        self.results.append(result)
        return result

    async def start(self, method: str) -> dict[str, Any]:
        result = await self.hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        self.flow_id = result["flow_id"]
        result = await self.configure({"next_step_id": "wifi"})
        assert result["type"] is FlowResultType.MENU and result["menu_options"] == ["wifi_ap", "wifi_smartlink"]
        result = await self.configure({"next_step_id": method})
        assert result["type"] is FlowResultType.FORM and result["step_id"] == method
        return result

    async def configure(self, data: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._keep(await self.hass.config_entries.flow.async_configure(self.flow_id, data))

    async def pair(self, data: dict[str, Any], action: str) -> dict[str, Any]:
        """Submit the form, watch the progress step end, and return the step after it."""
        result = await self.configure(data)
        assert result["type"] is FlowResultType.SHOW_PROGRESS, result
        assert result["step_id"] == "wifi_pair" and result["progress_action"] == action
        await self.hass.async_block_till_done()  # the pairing task ends; the flow moves on by itself
        return await self.configure()

    def assert_no_key(self) -> None:
        assert self.results
        for result in self.results:
            assert KEY not in repr(result)


def suggested(result: dict[str, Any], key: str) -> object:
    (marker,) = (marker for marker in result["data_schema"].schema if marker == key)
    return (marker.description or {}).get("suggested_value")


def assert_key_nowhere(hass: HomeAssistant, caplog: pytest.LogCaptureFixture, flow: Flow) -> None:
    flow.assert_no_key()
    assert caplog.records  # the DEBUG records were captured
    assert KEY not in caplog.text
    assert all(KEY not in record.getMessage() for record in caplog.records)
    for config_entry in hass.config_entries.async_entries(DOMAIN):
        assert KEY not in repr((config_entry.title, config_entry.data, config_entry.options))


# --- AP mode ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "key", "written"),
    [
        ("wpa2psk_aes", KEY, "WPA2PSK,AES"),
        ("wpapsk_tkip", KEY, "WPAPSK,TKIP"),
        ("wep_shared_ascii", "abcde", "SHARED,WEP-A"),
        ("open", "", "OPEN,NONE"),
    ],
)
async def test_ap_mode_adds_the_socket(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture,
    security: str, key: str, written: str,
) -> None:
    module = await make_module(network=(SSID, key))
    flow = Flow(hass)
    result = await flow.start("wifi_ap")
    assert suggested(result, "security") is None  # the schema's default, WPA2-PSK/AES, applies
    data = {"ssid": SSID, "security": security, "name": "Porch"} | ({"password": key} if key else {})
    result = await flow.pair(data, "wifi_ap")
    joined = await module.wait_joined()
    assert (module.joined_ssid, module.joined_key, module.joined_security) == (SSID, key, written)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Porch"
    assert result["result"].unique_id == str(module.mac)
    assert result["data"] == {CONF_HOST: joined.ip, CONF_MAC: str(module.mac)}
    # The defaults a fresh socket needs were set before the entry was made.
    assert joined.name == "Porch" and clock_in_step(joined)
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert hass.states.get("switch.porch") is not None
    assert not hass.config_entries.flow.async_progress()  # no discovery flow left for it
    assert_key_nowhere(hass, caplog, flow)


async def test_ap_mode_adds_an_allone(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """An AllOne's module (the same Hi-Flying one): paired the same way, added as an AllOne."""
    module = await make_module(allone=True)
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    joined = await module.wait_joined()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"AllOne {str(module.mac).replace(':', '')[-6:].upper()}"
    assert result["data"] == {CONF_HOST: joined.ip, CONF_MAC: str(module.mac), CONF_FAMILY: "allone"}
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    entities = er.async_entries_for_config_entry(er.async_get(hass), result["result"].entry_id)
    assert {entity.domain for entity in entities} == {"remote", "event"}
    assert_key_nowhere(hass, caplog, flow)


async def test_ap_mode_without_a_module_then_retry(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes", "name": "Porch"}, "wifi_ap")
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "wifi_ap"
    assert result["errors"] == {"base": "module_not_found"}
    assert result["description_placeholders"]["network"] == "WiWo-S20"
    assert result["description_placeholders"]["allone_network"] == "WiWo-AllOne"  # an AllOne's module
    # What was typed comes back, except the key.
    assert suggested(result, "ssid") == SSID and suggested(result, "name") == "Porch"
    assert suggested(result, "security") == "wpa2psk_aes" and suggested(result, "password") is None
    module = await make_module()  # the user put the socket in AP mode
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "S20 FE0001"  # no name given: one from the MAC
    assert module.joined_key == KEY
    assert_key_nowhere(hass, caplog, flow)


async def test_ap_mode_module_refuses(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    module = await make_module(faults=WifiFaults(errors={"AT+WSKEY": -4}))
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    assert result["errors"] == {"base": "module_refused"}
    placeholders = result["description_placeholders"]
    assert (placeholders["command"], placeholders["error"]) == ("AT+WSKEY", "+ERR=-4 (invalid parameter)")
    assert module.joined is None
    assert_key_nowhere(hass, caplog, flow)


async def test_ap_mode_module_stops_answering(hass: HomeAssistant, ready: None, make_module: ModuleFactory) -> None:
    await make_module(faults=WifiFaults(ignore=frozenset({"AT+WMODE"})))
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    assert result["errors"] == {"base": "module_timeout"}


async def test_ap_mode_socket_does_not_join(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # The module takes the settings, but the access point refuses the key.
    module = await make_module(network=(SSID, "the-real-key"))
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    assert result["errors"] == {"base": "socket_not_joined"}
    assert module.mode is WifiMode.FAILED
    assert not hass.config_entries.async_entries(DOMAIN)
    assert_key_nowhere(hass, caplog, flow)


async def test_ap_mode_socket_does_not_answer_after_joining(
    hass: HomeAssistant, ready: None, simulator: Simulator, make_module: ModuleFactory
) -> None:
    # Each scan keeps the new socket busy for seconds: found, but its defaults cannot be set.
    simulator.timing = replace(simulator.timing, burst_interval_s=0.5)
    await make_module()
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    assert result["errors"] == {"base": "cannot_connect"}


async def test_ap_mode_for_a_configured_socket_moves_its_entry(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory
) -> None:
    module = await make_module()
    known = MockConfigEntry(
        domain=DOMAIN, unique_id=str(module.mac), title="Porch", data={CONF_HOST: NOWHERE, CONF_MAC: str(module.mac)}
    )
    known.add_to_hass(hass)
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.pair({"ssid": SSID, "password": KEY, "security": "wpa2psk_aes"}, "wifi_ap")
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    joined = await module.wait_joined()
    assert known.data[CONF_HOST] == joined.ip
    assert joined.name is None  # its entry, not the pairing, looks after it
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"ssid": "x" * 33, "password": KEY}, {"ssid": "invalid_ssid"}),
        ({"ssid": SSID, "password": "short"}, {"password": "invalid_key"}),
        ({"ssid": SSID, "password": "abcdef", "security": "wep_hex"}, {"password": "invalid_key"}),
        ({"ssid": SSID, "password": KEY, "security": "open"}, {"password": "invalid_key"}),
        ({"ssid": SSID, "password": KEY, "name": "A name far too long"}, {"name": "invalid_name"}),
        ({"ssid": SSID, "password": KEY, "name": "Café"}, {"name": "invalid_name"}),
    ],
)
async def test_ap_mode_checks_the_form(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, data: dict[str, str], errors: dict[str, str]
) -> None:
    module = await make_module()
    flow = Flow(hass)
    await flow.start("wifi_ap")
    result = await flow.configure({"security": "wpa2psk_aes"} | data)
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "wifi_ap"
    assert result["errors"] == errors
    assert suggested(result, "password") is None
    assert module.counters.assist == 0  # nothing was sent
    flow.assert_no_key()


# --- the progress bar ---------------------------------------------------------------------------


@pytest.fixture
def progress_bar(hass: HomeAssistant) -> Iterator[list[float]]:
    """Every value the flow gives the frontend's progress bar.

    Where this Home Assistant has `async_update_progress` (the newest leg), as the frontend gets
    them: the events it fires. Where it does not, a stand-in notes the calls.
    """
    shown: list[float] = []
    if hasattr(config_flow.S20ConfigFlow, "async_update_progress"):

        @callback
        def _progress(event: Event[dict[str, Any]]) -> None:
            if event.data["handler"] == DOMAIN:
                shown.append(event.data["progress"])

        remove = hass.bus.async_listen(data_entry_flow.EVENT_DATA_ENTRY_FLOW_PROGRESS_UPDATE, _progress)
        yield shown
        remove()
        return

    def update(flow: config_flow.S20ConfigFlow, progress: float) -> None:
        shown.append(progress)

    with patch.object(config_flow.S20ConfigFlow, "async_update_progress", update, create=True):
        yield shown


@pytest.mark.parametrize(("method", "mode"), [("wifi_ap", WifiMode.AP), ("wifi_smartlink", WifiMode.SMARTLINK)])
async def test_the_progress_bar_moves_to_the_end(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, progress_bar: list[float], method: str,
    mode: WifiMode,
) -> None:
    """Through every step the pairing reports, in order: never back, and full when the socket is set."""
    await make_module(mode)
    flow = Flow(hass)
    await flow.start(method)
    data = {"ssid": SSID, "password": KEY} if method == "wifi_ap" else {"password": KEY}
    result = await flow.pair(data | {"name": "Porch"}, method)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(progress_bar) >= 5, progress_bar
    assert progress_bar == sorted(set(progress_bar)), progress_bar  # strictly forwards
    assert 0.0 < progress_bar[0] < 0.5 and progress_bar[-1] == 1.0


# --- SmartLink ----------------------------------------------------------------------------------


async def test_smartlink_adds_the_socket(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    module = await make_module(WifiMode.SMARTLINK)
    flow = Flow(hass)
    await flow.start("wifi_smartlink")
    result = await flow.pair({"password": KEY, "name": "Garden"}, "wifi_smartlink")
    joined = await module.wait_joined()
    assert module.joined_key == KEY  # decoded from packet lengths alone
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Garden"
    assert result["result"].unique_id == str(module.mac)
    assert result["data"] == {CONF_HOST: joined.ip, CONF_MAC: str(module.mac)}
    assert joined.name == "Garden" and clock_in_step(joined)
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress()
    assert_key_nowhere(hass, caplog, flow)


async def test_smartlink_open_network(hass: HomeAssistant, ready: None, make_module: ModuleFactory) -> None:
    module = await make_module(WifiMode.SMARTLINK, network=(SSID, ""))
    flow = Flow(hass)
    await flow.start("wifi_smartlink")
    result = await flow.pair({}, "wifi_smartlink")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert module.joined_key == ""


async def test_smartlink_unconfirmed_then_retry(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # The socket is not in SmartLink mode yet: nothing confirms.
    flow = Flow(hass)
    await flow.start("wifi_smartlink")
    result = await flow.pair({"password": KEY, "name": "Garden"}, "wifi_smartlink")
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "wifi_smartlink"
    assert result["errors"] == {"base": "smartlink_timeout"}
    assert suggested(result, "name") == "Garden" and suggested(result, "password") is None
    module = await make_module(WifiMode.SMARTLINK)
    result = await flow.pair({"password": KEY, "name": "Garden"}, "wifi_smartlink")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert module.joined_key == KEY
    assert_key_nowhere(hass, caplog, flow)


async def test_smartlink_checks_the_form(hass: HomeAssistant, ready: None) -> None:
    flow = Flow(hass)
    await flow.start("wifi_smartlink")
    result = await flow.configure({"password": "x" * 65})
    assert result["errors"] == {"password": "invalid_smartlink_key"}
    result = await flow.configure({"password": KEY, "name": "x" * 17})
    assert result["errors"] == {"name": "invalid_name"}
    flow.assert_no_key()


async def test_smartlink_port_in_use(hass: HomeAssistant, ready: None, smartlink_port: int) -> None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # no SO_REUSEADDR: a foreign program
    holder.bind((BROADCAST, smartlink_port))
    try:
        flow = Flow(hass)
        await flow.start("wifi_smartlink")
        result = await flow.pair({"password": KEY}, "wifi_smartlink")
    finally:
        holder.close()
    assert result["errors"] == {"base": "port_in_use"}
    assert result["description_placeholders"]["port"] == str(smartlink_port)


async def test_closing_the_flow_stops_the_pairing(
    hass: HomeAssistant, ready: None, make_module: ModuleFactory
) -> None:
    # A sniffer that never trusts what it hears: SmartLink would broadcast until its deadline.
    module = await make_module(WifiMode.SMARTLINK, timing=replace(WIFI_TIMING, calibration_count=10**9))
    flow = Flow(hass)
    await flow.start("wifi_smartlink")
    result = await flow.configure({"password": KEY})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await wait_for(lambda: module.counters.smartlink_packets > 50, what="SmartLink broadcasts")
    hass.config_entries.flow.async_abort(flow.flow_id)
    await hass.async_block_till_done()
    await asyncio.sleep(0.05)  # what was already on its way
    sent = module.counters.smartlink_packets
    await asyncio.sleep(0.2)
    assert module.counters.smartlink_packets == sent  # the broadcasts stopped with the flow
    assert not hass.config_entries.flow.async_progress()


# --- translations -------------------------------------------------------------------------------


def test_translations_cover_the_flow() -> None:
    """Every step, error, abort, progress action and security option the flow uses has English text."""
    strings = json.loads(
        (Path(config_flow.__file__).parent / "translations" / "en.json").read_text(encoding="utf-8")
    )
    config = strings["config"]
    steps = {
        "user", "connect", "pick_device", "discovery_confirm", "reconfigure", "wifi", "wifi_ap", "wifi_smartlink",
        "core_move",
    }
    assert steps <= set(config["step"])
    assert set(config["step"]["user"]["menu_options"]) == {"connect", "wifi", "core_move"}
    assert set(config["step"]["wifi"]["menu_options"]) == {"wifi_ap", "wifi_smartlink"}
    errors = {
        "cannot_connect", "no_devices_found", "port_in_use", "host_needed", "invalid_mac", "invalid_ssid",
        "invalid_key", "invalid_smartlink_key", "invalid_name", "module_refused", "module_timeout",
        "no_lan", "silent", *config_flow._TIMEOUT_ERRORS.values(),
    }
    assert errors <= set(config["error"])
    aborts = {
        "already_configured", "already_in_progress", "cannot_connect", "not_s20", "port_in_use",
        "reconfigure_successful", "wrong_device", "nothing_to_move", "core_moved", "core_holds_port", "core_socket",
    }
    assert aborts <= set(config["abort"])
    assert "wifi_not_available" not in config["abort"]
    assert set(config["progress"]) == {"wifi_ap", "wifi_smartlink"}
    assert set(strings["selector"]["security"]["options"]) == set(config_flow.SECURITY_OPTIONS)
    # Fields of the Wi-Fi forms are labelled.
    forms = (("wifi_ap", config_flow.STEP_WIFI_AP_SCHEMA), ("wifi_smartlink", config_flow.STEP_WIFI_SMARTLINK_SCHEMA))
    for step, schema in forms:
        assert {str(key) for key in schema.schema} == set(config["step"][step]["data"])
