"""Setting entries up and down: the shared endpoint, retries, the wrong socket, the port, stopping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from ipaddress import IPv4Address
import socket
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.orvibo_s20.const import DOMAIN, ISSUE_PORT_IN_USE
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import POWER, bound_udp, coordinator, network, wait_for
from .conftest import BROADCAST, SIM_TIMING, make_entry

# The entry's own addresses: the unicast endpoint and the broadcast listener.
OURS = {"127.0.0.1", BROADCAST}


async def _retry_setup(hass: HomeAssistant) -> None:
    """Let Home Assistant's setup retry run now (its back-off is 5 s and more)."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_setup_and_unload_leave_nothing_behind(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """A loaded entry holds the endpoint and a client; unloading releases both."""
    assert entry.state is ConfigEntryState.LOADED
    net = network(hass)
    client = entry.runtime_data.client
    assert net.endpoint is not None and net.endpoint.is_open
    assert client in net.clients
    assert bound_udp(simulator.port) >= OURS
    assert sim_socket.subscribers == ("127.0.0.1",)

    # The startup scan (and the discovery flows it starts) hold the endpoint for a moment too.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert net.endpoint is None
    assert not net.clients
    assert client._keepalive is None  # the keepalive task is gone (phacc checks lingering tasks)
    assert not bound_udp(simulator.port) & OURS
    assert hass.states.get(POWER).state == "unavailable"


async def test_two_entries_share_one_endpoint(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """Both sockets are served by one endpoint, which closes with the last entry."""
    other = simulator.add_socket(name="Kettle")
    first, second = make_entry(sim_socket), make_entry(other)
    for config_entry in (first, second):
        config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    net = network(hass)
    assert first.runtime_data.client.endpoint is second.runtime_data.client.endpoint is net.endpoint
    # One unicast socket and one broadcast listener for both entries.
    assert bound_udp(simulator.port) >= OURS

    # A scan while both are loaded: each coordinator hears the other's reply too; no new flows.
    flows_before = {flow["flow_id"] for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)}
    await net.async_discover()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert {flow["flow_id"] for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)} <= flows_before

    assert await hass.config_entries.async_unload(first.entry_id)
    await hass.async_block_till_done()
    assert net.endpoint is not None and net.endpoint.is_open
    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.kettle"}, blocking=True)
    assert other.state is True

    assert await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    assert net.endpoint is None
    assert not bound_udp(simulator.port) & OURS


async def test_setup_refuses_another_socket_at_the_host(
    hass: HomeAssistant, short_deadline: None, setup_network: None, sim_socket: VirtualSocket
) -> None:
    """The address now belongs to another socket: retry, and say so."""
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="ac:cf:23:aa:bb:cc", title="Gone",
        data={"host": sim_socket.ip, "mac": "ac:cf:23:aa:bb:cc"},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "wrong_device"
    assert entry.error_reason_translation_placeholders == {
        "host": sim_socket.ip, "mac": "ac:cf:23:aa:bb:cc", "other": str(sim_socket.mac),
    }
    assert str(sim_socket.mac) in (entry.reason or "")
    # Nothing of the failed attempt is left: no client, and the endpoint closed with it.
    net = network(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not net.clients
    assert net.endpoint is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_offline_at_setup_retries_then_recovers(
    hass: HomeAssistant, short_deadline: None, setup_network: None, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """A socket that is off at setup is set up by the retry once it is back."""
    simulator.set_online(sim_socket.mac, False)
    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "cannot_connect"
    assert hass.states.get(POWER) is None

    simulator.set_online(sim_socket.mac, True)
    sim_socket.press_button()  # on while nobody listened: read at setup
    await _retry_setup(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(POWER).state == STATE_ON
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def split_port_simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A simulator whose sockets answer to another port than they listen on.

    So the port Home Assistant listens on can be taken by a stranger without taking the
    simulator's own port.
    """
    sim = Simulator(
        port=Simulator.free_port(), reply_port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=SIM_TIMING
    )
    await sim.start()
    yield sim
    await sim.stop()


async def test_port_in_use_raises_a_repair_issue_until_free(
    hass: HomeAssistant, split_port_simulator: Simulator, issue_registry: ir.IssueRegistry
) -> None:
    """Another program on our port: a repair issue names it, and goes once the port is free."""
    sim = split_port_simulator
    sock = sim.add_socket(name="Desk lamp")
    port = sim.reply_port
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.1", port))  # no SO_REUSEADDR: nobody else can bind it
    try:
        config = {
            DOMAIN: {
                "bind_address": "127.0.0.1", "port": port, "remote_port": sim.port,
                "broadcast_addresses": [BROADCAST], "broadcast_listen_address": BROADCAST,
                "reuse_address": True, "scan_interval": timedelta(days=1),
            }
        }
        assert await async_setup_component(hass, DOMAIN, config)
        entry = make_entry(sock)
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY
        assert entry.error_reason_translation_key == "port_in_use"
        issue = issue_registry.async_get_issue(DOMAIN, ISSUE_PORT_IN_USE)
        assert issue is not None
        assert issue.translation_key == ISSUE_PORT_IN_USE
        assert issue.translation_placeholders["port"] == str(port)
        assert issue.severity is ir.IssueSeverity.ERROR
    finally:
        stranger.close()

    await _retry_setup(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_PORT_IN_USE) is None
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    assert sock.state is True
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_home_assistant_stop_closes_everything(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """Stopping Home Assistant stops every client and closes the endpoint."""
    client = entry.runtime_data.client
    await hass.async_stop()
    net = network(hass)
    assert net.endpoint is None
    assert not net.clients
    assert client._keepalive is None
    assert not bound_udp(simulator.port) & OURS
    # Nothing more is sent: the background scan is off and a poll fails quietly.
    received = simulator.counters.received
    await coordinator(entry).async_refresh()
    assert simulator.counters.received == received
    assert sim_socket.state is False


async def test_pushes_reach_the_switch_after_a_reload(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """A reload opens the endpoint again and subscribes again."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON, what="the press")
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_OFF, what="the second press")


async def test_only_sockets_start_discovery_flows(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """An Orvibo AllOne (IR blaster) announcing itself is not offered; a new S20 is."""
    simulator.timing = replace(simulator.timing, announce_count=1)
    net = network(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    async with net.async_endpoint() as endpoint:  # listening, as a loaded entry would be
        blaster = simulator.add_socket(product_id="IRD001")
        kettle = simulator.add_socket(name="Kettle")
        await wait_for(lambda: str(kettle.mac) in net._seen, what="the announcement")
        await hass.async_block_till_done(wait_background_tasks=True)
        assert endpoint.stats.unknown_product >= 1  # the IR blaster was heard
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["unique_id"] for flow in flows] == [str(kettle.mac)]
    assert str(kettle.mac) in net._seen and str(blaster.mac) not in net._seen
    for flow in flows:
        hass.config_entries.flow.async_abort(flow["flow_id"])


async def test_broadcast_addresses_from_home_assistant_networks(
    hass: HomeAssistant, network_config: dict[str, Any]
) -> None:
    """Without broadcast_addresses in YAML, the scan goes where HA's network integration says."""
    config = {DOMAIN: {key: value for key, value in network_config[DOMAIN].items() if key != "broadcast_addresses"}}
    with patch(
        "homeassistant.components.network.async_get_ipv4_broadcast_addresses",
        return_value={IPv4Address("127.255.255.255"), IPv4Address("127.0.255.255")},
    ) as addresses:
        assert await async_setup_component(hass, DOMAIN, config)
    addresses.assert_awaited_once()
    assert network(hass).settings.broadcast_addresses == ("127.0.255.255", "127.255.255.255")
    await hass.async_block_till_done(wait_background_tasks=True)
