"""Every path of the config flow, against the simulator over real UDP on the loopback LAN.

User (scan, host, host + MAC), DHCP and integration discovery (background scan and an
announcement heard by the endpoint), onboarding, reconfigure, and the errors of each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
import socket
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import CONF_MAC, DOMAIN
from custom_components.orvibo_s20.discovery import DATA_NETWORK, S20Network
from custom_components.orvibo_s20.protocol import ClientMessage, DiscoverRequest
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.setup import async_setup_component
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import wait_for
from .conftest import BROADCAST, make_entry

NOWHERE = "127.0.0.9"  # nothing answers there (until a socket moves there)


@pytest.fixture
async def ready(hass: HomeAssistant, sim_socket: VirtualSocket, setup_network: None) -> None:
    """The integration set up, its start-up scan over and the flows it started removed."""
    await hass.async_block_till_done(wait_background_tasks=True)
    for flow in hass.config_entries.flow.async_progress():
        hass.config_entries.flow.async_abort(flow["flow_id"])


@pytest.fixture(autouse=True)
async def unload_entries(hass: HomeAssistant) -> AsyncIterator[None]:
    """Entries the flows created are unloaded, so no client or timer is left behind."""
    yield
    await hass.async_block_till_done(wait_background_tasks=True)
    for config_entry in hass.config_entries.async_entries(DOMAIN):
        if config_entry.state.recoverable:
            await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def network(hass: HomeAssistant) -> S20Network:
    return hass.data[DATA_NETWORK]


async def start_connect(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["connect", "wifi"]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "connect"})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "connect"
    return result


async def configure(hass: HomeAssistant, result: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


def dhcp(ip: str, mac: str) -> DhcpServiceInfo:
    return DhcpServiceInfo(ip=ip, hostname="HF-LPB100", macaddress=mac.replace(":", "").lower())


async def init_dhcp(hass: HomeAssistant, ip: str, mac: str) -> dict[str, Any]:
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_DHCP}, data=dhcp(ip, mac))


def flows_for(hass: HomeAssistant, mac: str) -> list[dict[str, Any]]:
    return [flow for flow in hass.config_entries.flow.async_progress() if flow["context"].get("unique_id") == mac]


def assert_entry_for(result: dict[str, Any], sock: VirtualSocket, title: str) -> None:
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["result"].unique_id == str(sock.mac)
    assert result["data"] == {CONF_HOST: sock.ip, CONF_MAC: str(sock.mac)}


async def assert_controls(hass: HomeAssistant, sock: VirtualSocket, entity_id: str = "switch.desk_lamp") -> None:
    """The entry is loaded and really reaches the socket."""
    await hass.services.async_call("switch", "toggle", {"entity_id": entity_id}, blocking=True)
    before = sock.state
    await hass.services.async_call("switch", "toggle", {"entity_id": entity_id}, blocking=True)
    assert sock.state is not before


async def assert_dhcp_move_followed(
    hass: HomeAssistant, simulator: Simulator, sock: VirtualSocket, entry: MockConfigEntry
) -> None:
    """Move the socket; DHCP reports it; the entry follows, reloads and controls it there."""
    simulator.move(sock.mac, NOWHERE)
    result = await init_dhcp(hass, NOWHERE, str(sock.mac))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == NOWHERE
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_for(lambda: entry.state is ConfigEntryState.LOADED, what="the reload")
    await assert_controls(hass, sock)  # at its new address


def suggested(result: dict[str, Any], key: str) -> object:
    """The value a form shows pre-filled for key."""
    (marker,) = (marker for marker in result["data_schema"].schema if marker == key)
    return (marker.description or {}).get("suggested_value")


def lock(sock: VirtualSocket) -> None:
    """A locked socket ignores `qa`, as one on another subnet does: only its MAC reaches it."""
    sock.socket_data = replace(sock.socket_data, discoverable=False)


# --- user: scan ---------------------------------------------------------------------------------


async def test_scan_offers_unconfigured_sockets(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    configured = simulator.add_socket(name="Configured")
    make_entry(configured).add_to_hass(hass)
    result = await start_connect(hass)
    assert result["description_placeholders"] == {"port": str(simulator.port)}
    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_device"
    options = result["data_schema"].schema["device"].config["options"]
    # Listed by the name the socket stores (read while scanning), its address and MAC.
    assert options == [{"value": str(sim_socket.mac), "label": f"Desk lamp (127.0.0.2, {sim_socket.mac})"}]
    result = await configure(hass, result, {"device": str(sim_socket.mac)})
    assert_entry_for(result, sim_socket, "Desk lamp")  # the name the socket stores
    await hass.async_block_till_done(wait_background_tasks=True)
    assert result["result"].state is ConfigEntryState.LOADED
    await assert_controls(hass, sim_socket)


async def test_scan_finds_nothing_then_recovers(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    simulator.set_online(sim_socket.mac, False)
    result = await configure(hass, await start_connect(hass), {})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "connect"
    assert result["errors"] == {"base": "no_devices_found"}
    simulator.set_online(sim_socket.mac, True)
    result = await configure(hass, result, {CONF_HOST: " ", CONF_MAC: ""})  # blank is empty
    assert result["step_id"] == "pick_device"
    result = await configure(hass, result, {"device": str(sim_socket.mac)})
    assert_entry_for(result, sim_socket, "Desk lamp")


async def test_picked_socket_stops_answering_then_recovers(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    result = await configure(hass, await start_connect(hass), {})
    assert result["step_id"] == "pick_device"
    simulator.set_online(sim_socket.mac, False)
    result = await configure(hass, result, {"device": str(sim_socket.mac)})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_device"
    assert result["errors"] == {"base": "cannot_connect"}
    simulator.set_online(sim_socket.mac, True)
    result = await configure(hass, result, {"device": str(sim_socket.mac)})
    assert_entry_for(result, sim_socket, "Desk lamp")


async def test_scan_names_what_it_cannot_add(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    """A HomeMate device and an unknown product answer beside the socket: listed as found but not
    supported, by address and family; the socket is still picked and added."""
    simulator.add_homemate(ip="127.0.0.40")
    stranger = simulator.add_socket(ip="127.0.0.41", product_id="KEP001")
    result = await configure(hass, await start_connect(hass), {})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_device_with_unsupported"
    assert result["description_placeholders"] == {
        "port": str(simulator.port),
        "unsupported": f"127.0.0.40 (HomeMate), 127.0.0.41 (Orvibo KEP001 {stranger.mac})",
    }
    options = result["data_schema"].schema["device"].config["options"]
    assert options == [{"value": str(sim_socket.mac), "label": f"Desk lamp (127.0.0.2, {sim_socket.mac})"}]
    result = await configure(hass, result, {"device": str(sim_socket.mac)})
    assert_entry_for(result, sim_socket, "Desk lamp")


async def test_scan_with_only_a_homemate_device_says_so(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    """No socket to add, a HomeMate device heard: not "nothing found", but what and why."""
    simulator.set_online(sim_socket.mac, False)
    homemate = simulator.add_homemate(ip="127.0.0.40")
    result = await configure(hass, await start_connect(hass), {})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "connect"
    assert result["errors"] == {"base": "unsupported_found"}
    assert result["description_placeholders"] == {"port": str(simulator.port), "unsupported": "127.0.0.40 (HomeMate)"}
    assert homemate.heard > 0  # it answered the scan itself
    # Gone, and the socket back: an ordinary scan again.
    simulator.remove_homemate("127.0.0.40")
    simulator.set_online(sim_socket.mac, True)
    result = await configure(hass, result, {})
    assert result["step_id"] == "pick_device"
    result = await configure(hass, result, {"device": str(sim_socket.mac)})
    assert_entry_for(result, sim_socket, "Desk lamp")


def drop_off_after_the_scan(simulator: Simulator, sock: VirtualSocket) -> None:
    """Script the socket to leave Wi-Fi right after its next answer to a scan (`qa`): its
    first reply goes out, nothing after it (the rest of its burst, a subscription) is answered."""
    handle = sock.handle

    def handle_then_leave(message: ClientMessage, host: str) -> None:
        handle(message, host)
        if isinstance(message, DiscoverRequest):
            sock.handle = handle  # type: ignore[method-assign]
            simulator.set_online(sock.mac, False)

    sock.handle = handle_then_leave  # type: ignore[method-assign]


async def test_socket_silent_after_the_scan_is_listed_by_address(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    """A socket that answers the scan but not the name read is offered by address and MAC."""
    kettle = simulator.add_socket(name="Kettle")
    drop_off_after_the_scan(simulator, kettle)
    result = await configure(hass, await start_connect(hass), {})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_device"
    assert not kettle.online  # it answered the scan, then left
    options = result["data_schema"].schema["device"].config["options"]
    assert options == [
        {"value": str(sim_socket.mac), "label": f"Desk lamp (127.0.0.2, {sim_socket.mac})"},
        {"value": str(kettle.mac), "label": f"127.0.0.3 ({kettle.mac})"},
    ]
    # Picking it reads the name again: still gone, then back.
    result = await configure(hass, result, {"device": str(kettle.mac)})
    assert result["step_id"] == "pick_device" and result["errors"] == {"base": "cannot_connect"}
    simulator.set_online(kettle.mac, True)
    result = await configure(hass, result, {"device": str(kettle.mac)})
    assert_entry_for(result, kettle, "Kettle")


async def test_unnamed_socket_gets_a_name_from_its_mac(
    hass: HomeAssistant, simulator: Simulator, ready: None
) -> None:
    unnamed = simulator.add_socket()
    result = await configure(hass, await start_connect(hass), {CONF_HOST: unnamed.ip})
    assert_entry_for(result, unnamed, "S20 000003")


# --- user: host, host + MAC ---------------------------------------------------------------------


async def test_host_only_learns_the_mac(hass: HomeAssistant, sim_socket: VirtualSocket, ready: None) -> None:
    result = await configure(hass, await start_connect(hass), {CONF_HOST: " 127.0.0.2 "})
    assert_entry_for(result, sim_socket, "Desk lamp")


async def test_host_and_mac_reach_a_socket_that_ignores_qa(
    hass: HomeAssistant, sim_socket: VirtualSocket, ready: None
) -> None:
    lock(sim_socket)
    result = await configure(hass, await start_connect(hass), {CONF_HOST: sim_socket.ip})
    assert result["errors"] == {"base": "cannot_connect"}  # the unicast qa is not answered
    result = await configure(hass, result, {CONF_HOST: sim_socket.ip, CONF_MAC: "AC-CF-23-00-00-02"})
    assert_entry_for(result, sim_socket, "Desk lamp")
    assert sim_socket.counters.ignored_locked > 0


async def test_host_and_wrong_mac_cannot_connect(
    hass: HomeAssistant, sim_socket: VirtualSocket, ready: None
) -> None:
    result = await configure(hass, await start_connect(hass), {CONF_HOST: sim_socket.ip, CONF_MAC: "ac:cf:23:aa:bb:cc"})
    assert result["errors"] == {"base": "cannot_connect"}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_invalid_mac_and_mac_without_host(hass: HomeAssistant, sim_socket: VirtualSocket, ready: None) -> None:
    result = await configure(hass, await start_connect(hass), {CONF_HOST: "127.0.0.2", CONF_MAC: "ac:cf:23"})
    assert result["errors"] == {CONF_MAC: "invalid_mac"}
    result = await configure(hass, result, {CONF_MAC: str(sim_socket.mac)})
    assert result["errors"] == {CONF_HOST: "host_needed"}
    # What was typed stays in the form.
    assert suggested(result, CONF_MAC) == str(sim_socket.mac)
    result = await configure(hass, result, {CONF_HOST: "127.0.0.2", CONF_MAC: str(sim_socket.mac)})
    assert_entry_for(result, sim_socket, "Desk lamp")


async def test_silent_host_then_recovery(hass: HomeAssistant, sim_socket: VirtualSocket, ready: None) -> None:
    result = await configure(hass, await start_connect(hass), {CONF_HOST: NOWHERE})
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "cannot_connect"}
    result = await configure(hass, result, {CONF_HOST: sim_socket.ip})
    assert_entry_for(result, sim_socket, "Desk lamp")


async def test_configured_socket_gets_its_new_host(
    hass: HomeAssistant, sim_socket: VirtualSocket, ready: None
) -> None:
    old = MockConfigEntry(
        domain=DOMAIN, unique_id=str(sim_socket.mac), title="Desk lamp",
        data={CONF_HOST: NOWHERE, CONF_MAC: str(sim_socket.mac)},
    )
    old.add_to_hass(hass)
    result = await configure(hass, await start_connect(hass), {CONF_HOST: sim_socket.ip})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    assert old.data[CONF_HOST] == sim_socket.ip
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_loaded_socket_keeps_working_after_a_manual_attempt(
    hass: HomeAssistant, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    # The flow aborts before it opens a client of its own; the entry's client is untouched.
    result = await configure(hass, await start_connect(hass), {CONF_HOST: sim_socket.ip})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"
    await assert_controls(hass, sim_socket)


# --- the UDP port taken by another program ------------------------------------------------------


@pytest.fixture
def held_port(socket_enabled: None) -> Iterator[int]:
    """A UDP port on 127.0.0.1 held WITHOUT SO_REUSEADDR, as a foreign program would."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    yield holder.getsockname()[1]
    holder.close()


async def test_port_in_use(hass: HomeAssistant, held_port: int) -> None:
    config = {
        DOMAIN: {
            "bind_address": "127.0.0.1", "port": held_port, "broadcast_addresses": [BROADCAST],
            "broadcast_listen_address": BROADCAST, "reuse_address": True, "scan_interval": {"days": 1},
        }
    }
    assert await async_setup_component(hass, DOMAIN, config)
    await hass.async_block_till_done(wait_background_tasks=True)
    result = await start_connect(hass)
    assert result["description_placeholders"] == {"port": str(held_port)}
    result = await configure(hass, result, {})
    assert result["errors"] == {"base": "port_in_use"}
    result = await configure(hass, result, {CONF_HOST: "127.0.0.2"})
    assert result["errors"] == {"base": "port_in_use"}
    result = await configure(hass, result, {CONF_HOST: "127.0.0.2", CONF_MAC: "ac:cf:23:00:00:02"})
    assert result["errors"] == {"base": "port_in_use"}

    # Discovery cannot check the socket either.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_HOST: "127.0.0.5", CONF_MAC: "ac:cf:23:00:00:05"},
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "port_in_use"
    assert result["description_placeholders"] == {"port": str(held_port)}

    # An entry waits in setup retry; reconfiguring it says why.
    config_entry = MockConfigEntry(
        domain=DOMAIN, unique_id="ac:cf:23:00:00:02", title="Desk lamp",
        data={CONF_HOST: "127.0.0.2", CONF_MAC: "ac:cf:23:00:00:02"},
    )
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    result = await config_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, {CONF_HOST: "127.0.0.3"})
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "port_in_use"}


# --- DHCP ---------------------------------------------------------------------------------------


async def test_dhcp_new_socket_is_confirmed(hass: HomeAssistant, sim_socket: VirtualSocket, ready: None) -> None:
    result = await init_dhcp(hass, sim_socket.ip, str(sim_socket.mac))
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {"name": "Desk lamp", "host": "127.0.0.2"}
    (flow,) = flows_for(hass, str(sim_socket.mac))
    assert flow["context"]["title_placeholders"] == {"name": "Desk lamp", "host": "127.0.0.2"}
    # A second discovery of the same socket does not start a second flow.
    again = await init_dhcp(hass, sim_socket.ip, str(sim_socket.mac))
    assert again["type"] is FlowResultType.ABORT and again["reason"] == "already_in_progress"
    result = await configure(hass, result, {})
    assert_entry_for(result, sim_socket, "Desk lamp")
    await hass.async_block_till_done(wait_background_tasks=True)
    await assert_controls(hass, sim_socket)


async def test_dhcp_known_socket_at_new_ip_updates_the_entry(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    await assert_dhcp_move_followed(hass, simulator, sim_socket, entry)



async def test_dhcp_move_is_followed_while_another_flow_for_the_socket_is_open(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, ready: None
) -> None:
    """A scan's flow, begun before the socket was added, does not stop a DHCP move from counting."""
    scan_flow = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_INTEGRATION_DISCOVERY},
        data={CONF_HOST: sim_socket.ip, CONF_MAC: str(sim_socket.mac)},
    )
    assert scan_flow["type"] is FlowResultType.FORM and scan_flow["step_id"] == "discovery_confirm"
    config_entry = make_entry(sim_socket)  # added meanwhile, by address
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await assert_dhcp_move_followed(hass, simulator, sim_socket, config_entry)


async def test_dhcp_host_that_does_not_answer(hass: HomeAssistant, ready: None) -> None:
    result = await init_dhcp(hass, NOWHERE, "ac:cf:23:00:00:09")
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "cannot_connect"


async def test_dhcp_mac_of_another_device(hass: HomeAssistant, sim_socket: VirtualSocket, ready: None) -> None:
    # Something else with a Hi-Flying MAC asked for 127.0.0.2; the S20 there has another MAC.
    result = await init_dhcp(hass, sim_socket.ip, "ac:cf:23:aa:bb:cc")
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "not_s20"
    result = await init_dhcp(hass, sim_socket.ip, "not a mac")
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "not_s20"


async def test_discovery_before_onboarding_creates_the_entry(
    hass: HomeAssistant, sim_socket: VirtualSocket, ready: None
) -> None:
    with patch("custom_components.orvibo_s20.config_flow.onboarding.async_is_onboarded", return_value=False):
        result = await init_dhcp(hass, sim_socket.ip, str(sim_socket.mac))
    assert_entry_for(result, sim_socket, "Desk lamp")


# --- integration discovery ----------------------------------------------------------------------


async def test_background_scan_starts_a_flow(hass: HomeAssistant, simulator: Simulator, ready: None) -> None:
    new = simulator.add_socket(name="Kettle")
    assert not flows_for(hass, str(new.mac))
    await network(hass).async_discover()
    await hass.async_block_till_done(wait_background_tasks=True)
    (flow,) = flows_for(hass, str(new.mac))
    assert flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flow["step_id"] == "discovery_confirm"
    assert flow["context"]["title_placeholders"] == {"name": "Kettle", "host": new.ip}
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert_entry_for(result, new, "Kettle")


async def test_announcement_heard_by_the_endpoint_starts_a_flow(
    hass: HomeAssistant, simulator: Simulator, entry: MockConfigEntry
) -> None:
    # The entry holds the endpoint open; a socket plugged in announces itself.
    simulator.timing = replace(simulator.timing, announce_count=1)
    new = simulator.add_socket(name="Kettle")
    await wait_for(lambda: flows_for(hass, str(new.mac)), what="a discovery flow")
    await hass.async_block_till_done(wait_background_tasks=True)
    (flow,) = flows_for(hass, str(new.mac))
    assert flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flow["step_id"] == "discovery_confirm"


async def test_discovery_rescues_an_entry_in_setup_retry(
    hass: HomeAssistant, sim_socket: VirtualSocket, ready: None
) -> None:
    stuck = MockConfigEntry(
        domain=DOMAIN, unique_id=str(sim_socket.mac), title="Desk lamp",
        data={CONF_HOST: NOWHERE, CONF_MAC: str(sim_socket.mac)},
    )
    stuck.add_to_hass(hass)
    await hass.config_entries.async_setup(stuck.entry_id)
    assert stuck.state is ConfigEntryState.SETUP_RETRY
    await network(hass).async_discover()  # finds the socket at 127.0.0.2
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_for(lambda: stuck.state is ConfigEntryState.LOADED, what="the rescue")
    assert stuck.data[CONF_HOST] == sim_socket.ip
    assert not flows_for(hass, str(sim_socket.mac))
    await assert_controls(hass, sim_socket)


# --- reconfigure --------------------------------------------------------------------------------


async def test_reconfigure_to_the_new_host(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    simulator.move(sim_socket.mac, NOWHERE)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "reconfigure"
    assert suggested(result, CONF_HOST) == "127.0.0.2"
    assert result["description_placeholders"] == {"name": "Desk lamp", "port": str(simulator.port)}
    result = await configure(hass, result, {CONF_HOST: NOWHERE})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == NOWHERE
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    await assert_controls(hass, sim_socket)


async def test_reconfigure_reaches_a_socket_that_ignores_qa(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    lock(sim_socket)
    simulator.move(sim_socket.mac, NOWHERE)
    result = await configure(hass, await entry.start_reconfigure_flow(hass), {CONF_HOST: NOWHERE})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_HOST] == NOWHERE
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    await assert_controls(hass, sim_socket)


async def test_reconfigure_refuses_another_socket(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    other = simulator.add_socket(name="Other")
    result = await configure(hass, await entry.start_reconfigure_flow(hass), {CONF_HOST: other.ip})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "wrong_device"
    assert entry.data[CONF_HOST] == sim_socket.ip
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    await assert_controls(hass, sim_socket)


async def test_reconfigure_cannot_connect_then_recovery(
    hass: HomeAssistant, simulator: Simulator, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    result = await configure(hass, await entry.start_reconfigure_flow(hass), {CONF_HOST: NOWHERE})
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "cannot_connect"}
    assert entry.data[CONF_HOST] == sim_socket.ip
    await assert_controls(hass, sim_socket)  # the entry's own client still works meanwhile
    simulator.move(sim_socket.mac, NOWHERE)
    result = await configure(hass, result, {CONF_HOST: NOWHERE})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED


# --- a flow before anything set the integration up ----------------------------------------------


async def test_flow_sets_the_integration_up_when_first(hass: HomeAssistant) -> None:
    # No YAML block and no entry: Home Assistant has not run async_setup. Discovery is held
    # back here because phacc's mocked network would broadcast to 10.10.10.255.
    with patch("custom_components.orvibo_s20.discovery.S20Network.async_start_discovery") as start:
        result = await start_connect(hass)
    assert result["description_placeholders"] == {"port": "10000"}
    assert DOMAIN in hass.config.components
    assert network(hass).endpoint is None  # nothing opened, nothing sent
    start.assert_called_once()
    hass.config_entries.flow.async_abort(result["flow_id"])
