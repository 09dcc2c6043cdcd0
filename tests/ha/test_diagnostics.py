"""Diagnostics of an entry and its device: the socket's data redacted, counters, JSON all the way."""

from __future__ import annotations

import json
from typing import Any

from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.orvibo_s20.client import probe_host
from custom_components.orvibo_s20.const import DOMAIN
from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import POWER, network, socket_device, wait_for
from .conftest import make_entry


def _check(diagnostics: dict[str, Any], sock: VirtualSocket) -> None:
    # What went over HTTP is JSON; this asserts nothing odd (bytes, dataclasses) slipped through.
    json.dumps(diagnostics)
    stored = diagnostics["socket"]["stored"]
    for secret in ("remote_password", "local_ip", "gateway", "netmask"):
        assert stored[secret] == REDACTED
    text = json.dumps(diagnostics)
    assert "888888" not in text and sock.socket_data.remote_password.hex() not in text
    assert "192.168.1." not in text  # the socket's LAN addresses
    assert stored["name"] == "Desk lamp"
    assert stored["firmware_version"] == 26
    assert stored["timezone_block"]["dst_start"] == sock.socket_data.timezone_block.dst_start.hex()
    assert diagnostics["entry"]["data"]["mac"] == str(sock.mac)
    assert diagnostics["socket"]["is_on"] is True
    assert diagnostics["socket"]["available"] is True
    assert diagnostics["socket"]["product_id"] == "SOC005"
    client = diagnostics["protocol"]["client"]
    for counter in ("requests", "sent", "resent", "timeouts", "pushes", "resubscribes"):
        assert isinstance(client[counter], int)
    assert client["sent"] > 0
    endpoint = diagnostics["protocol"]["endpoint"]
    for counter in ("sent", "received", "malformed", "spoofed", "unknown_mac"):
        assert isinstance(endpoint[counter], int)
    assert diagnostics["coordinator"]["last_update_success"] is True


async def _heard_a_discovery_reply(hass: HomeAssistant, entry: MockConfigEntry, sock: VirtualSocket) -> None:
    """The product id comes with a discovery reply: the start-up scan's, which a busy machine may
    have answered before the entry's client was listening, so ask the socket once more."""
    endpoint = network(hass).endpoint
    assert endpoint is not None
    assert await probe_host(endpoint, sock.ip, timeout_s=5.0) is not None
    await wait_for(lambda: entry.runtime_data.client.product_id is not None, what="a discovery reply")

async def test_config_entry_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Over Home Assistant's HTTP API: redacted, with the protocol counters."""
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": 60, "action": "off"}, blocking=True
    )
    await _heard_a_discovery_reply(hass, entry, sim_socket)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    _check(diagnostics, sim_socket)
    assert diagnostics["socket"]["countdown"]["action"] is False
    assert diagnostics["protocol"]["network"]["port"] == hass.data[DOMAIN].settings.port


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    sim_socket: VirtualSocket,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The device's diagnostics are the socket's."""
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    device = socket_device(hass, entry)
    await _heard_a_discovery_reply(hass, entry, sim_socket)
    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)
    _check(diagnostics, sim_socket)
    assert diagnostics["socket"]["countdown"] is None


async def test_wifi_credentials_in_an_entry_are_redacted(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, setup_network: None, sim_socket: VirtualSocket
) -> None:
    """Entries never hold Wi-Fi credentials; should one ever (an edited store), none shows."""
    credentials = {"ssid": "Home network 5G", "wifi_key": "correct horse battery", "password": "hunter2-orvibo"}
    entry = make_entry(sim_socket, **credentials)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=credentials)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _heard_a_discovery_reply(hass, entry, sim_socket)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    for section in ("data", "options"):
        assert {key: diagnostics["entry"][section][key] for key in credentials} == dict.fromkeys(credentials, REDACTED)
    text = json.dumps(diagnostics)
    assert not [value for value in credentials.values() if value in text]
    assert diagnostics["entry"]["data"]["mac"] == str(sim_socket.mac)  # the rest is still there
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_diagnostics_count_what_cannot_be_controlled(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry, simulator: Simulator
) -> None:
    """A HomeMate device on the port: its frames are counted, and it is named with the reason."""
    await hass.async_block_till_done(wait_background_tasks=True)  # the start-up scan is over
    homemate = simulator.add_homemate(ip="127.0.0.40")  # broadcasts its `pk` frame once
    network = hass.data[DOMAIN]
    await wait_for(lambda: network.endpoint.stats.homemate == 1, what="the HomeMate frame")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    json.dumps(diagnostics)
    assert diagnostics["protocol"]["endpoint"]["homemate"] == homemate.sent == 1
    assert diagnostics["protocol"]["endpoint"]["malformed"] == 0
    assert diagnostics["protocol"]["unsupported_devices"] == [
        {"family": "homemate", "reason": "encrypted cloud protocol", "host": "127.0.0.40", "product_id": None,
         "frames": 1},
    ]
