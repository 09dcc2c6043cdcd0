"""Home Assistant owns the port; the CLI on the same host goes through the integration's relay.

As on a real host, the integration binds its port without SO_REUSEADDR (here 127.0.0.1 and the
port the simulated sockets answer to, `reply_port`), so the CLI's own bind fails and it goes
through the relay on loopback by itself. Home Assistant's switch follows a CLI `on` with an
`other_controller` event; a flood of garbage into the relay while Home Assistant switches the
socket changes nothing of Home Assistant's, and the diagnostics count the drops.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
import socket
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.orvibo_s20.cli.main import async_main
from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol.relay import HELLO, encode_envelope
from homeassistant.core import HomeAssistant
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import POWER, bound_udp, network, record_events, wait_for
from .conftest import BROADCAST, SIM_TIMING

EVENT = "event.desk_lamp_switched"


@pytest.fixture(name="simulator")
async def simulator_fixture(socket_enabled: None) -> AsyncIterator[Simulator]:
    """Sockets that answer to another port than they listen on, as real ones answer to 10000."""
    sim = Simulator(port=Simulator.free_port(), reply_port=Simulator.free_port(), seed=1, timing=SIM_TIMING)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def relay_port(socket_enabled: None) -> int:
    return Simulator.free_port()


@pytest.fixture
def network_config(simulator: Simulator, relay_port: int) -> dict[str, Any]:
    """Home Assistant owns its port alone; the relay on a free loopback port; no poll."""
    return {
        DOMAIN: {
            "bind_address": "127.0.0.1",
            "port": simulator.reply_port,
            "remote_port": simulator.port,
            "broadcast_addresses": [BROADCAST],
            "broadcast_listen_address": BROADCAST,
            "reuse_address": False,
            "scan_interval": timedelta(days=1),
            "poll_interval": timedelta(hours=1),
            "relay_port": relay_port,
        }
    }


@pytest.fixture
def fired(hass: HomeAssistant) -> list[tuple[str, str]]:
    """Each event the Switched entity fires: (event type, action)."""
    return record_events(hass, EVENT)


async def cli(simulator: Simulator, relay_port: int, *argv: str) -> int:
    return await async_main([
        "--bind", "127.0.0.1", "--port", str(simulator.reply_port), "--remote-port", str(simulator.port),
        "--broadcast", BROADCAST, "--relay-port", str(relay_port), "--timeout", "2", *argv,
    ])


async def test_a_cli_on_turns_home_assistants_switch_on(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket, relay_port: int,
    fired: list[tuple[str, str]],
) -> None:
    assert bound_udp(relay_port) == {"127.0.0.1"}  # loopback only
    assert hass.states.get(EVENT).attributes["event_types"] == ["button", "timer", "other_controller"]
    assert hass.states.get(POWER).state == "off"
    assert await cli(simulator, relay_port, "on", sim_socket.ip) == 0
    assert sim_socket.state is True
    await wait_for(lambda: hass.states.get(POWER).state == "on", what="the switch to follow the CLI")
    await wait_for(lambda: fired, what="the CLI's event")
    assert await cli(simulator, relay_port, "off", str(sim_socket.mac)) == 0
    await wait_for(lambda: len(fired) == 2, what="the second CLI command's event")
    sim_socket.press_button()  # and a press is still a press
    await wait_for(lambda: len(fired) == 3, what="the press's event")
    assert fired == [("other_controller", "on"), ("other_controller", "off"), ("button", "on")]
    assert hass.states.get(POWER).state == "on"
    relay = network(hass).relay
    assert relay is not None and relay.stats.queued > 0
    assert set(sim_socket.subscribers) == {"127.0.0.1"}  # the socket saw one controller: Home Assistant


async def test_a_flood_into_the_relay_leaves_home_assistant_whole(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry, simulator: Simulator,
    sim_socket: VirtualSocket, relay_port: int, fired: list[tuple[str, str]],
) -> None:
    """Garbage of every kind, as fast as one socket sends it, while Home Assistant switches."""
    garbage = [
        b"", b"\x7f", HELLO + b"\x01", encode_envelope(sim_socket.ip, b"hd\x00\x05x"),
        encode_envelope(sim_socket.ip, b"hd\x00\x08zz\x00\x00"), b"\xff" * 1500,
    ]
    flooder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flooder.bind(("127.0.0.1", 0))
    sent = 0
    stop = asyncio.Event()

    async def flood() -> None:
        nonlocal sent
        while not stop.is_set():
            for data in garbage:  # the kernel drops what the loop has no time to read: not the test
                flooder.sendto(data, ("127.0.0.1", relay_port))
                sent += 1
            await asyncio.sleep(0)

    flooding = asyncio.create_task(flood())
    relay = network(hass).relay
    assert relay is not None
    try:
        await wait_for(lambda: relay.stats.received > 100, what="the flood")
        for service, state in [("turn_on", True), ("turn_off", False), ("toggle", True), ("toggle", False),
                               ("turn_on", True)]:
            await hass.services.async_call("switch", service, {"entity_id": POWER}, blocking=True)
            assert sim_socket.state is state
            assert hass.states.get(POWER).state == ("on" if state else "off")
        await wait_for(lambda: relay.stats.rate_limited > 0, what="the flood over the relay's rate")
    finally:
        stop.set()
        await flooding
        flooder.close()
    await wait_for(lambda: relay.stats.received == relay.stats.malformed + relay.stats.rate_limited, what="drops")
    assert relay.stats.malformed > 0 and relay.stats.rate_limited > 0
    assert relay.stats.to_sockets == relay.stats.clients == 0  # nothing of it went anywhere
    assert fired == []  # every change was Home Assistant's own
    assert entry.runtime_data.client.stats.timeouts == 0
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    counted = diagnostics["protocol"]["relay"]
    assert counted["malformed"] > 0 and counted["rate_limited"] > 0 and counted["received"] <= sent
    assert diagnostics["protocol"]["network"]["relay_port"] == relay_port


@pytest.fixture
def no_relay(network_config: dict[str, Any]) -> dict[str, Any]:
    network_config[DOMAIN]["relay"] = False
    return network_config


async def test_relay_false_offers_none(
    hass: HomeAssistant, no_relay: dict[str, Any], entry: MockConfigEntry, simulator: Simulator,
    sim_socket: VirtualSocket, relay_port: int, capsys: pytest.CaptureFixture[str],
) -> None:
    assert network(hass).relay is None and bound_udp(relay_port) == set()
    capsys.readouterr()
    assert await cli(simulator, relay_port, "on", sim_socket.ip) == 1
    assert "already in use" in capsys.readouterr().err
    assert sim_socket.state is False


@pytest.fixture
def relay_port_taken(relay_port: int) -> Iterator[None]:
    """Another program holds the relay's port before Home Assistant sets up."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", relay_port))
    yield
    holder.close()


async def test_a_taken_relay_port_costs_only_the_relay(
    hass: HomeAssistant, relay_port_taken: None, entry: MockConfigEntry, sim_socket: VirtualSocket,
    relay_port: int, caplog: pytest.LogCaptureFixture,
) -> None:
    assert network(hass).relay is None
    assert [r.getMessage() for r in caplog.get_records("setup") if "No relay" in r.getMessage()] == [
        f"No relay for other programs on this host: the relay's UDP port {relay_port} on 127.0.0.1 is already "
        "in use by another program"
    ]
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    assert sim_socket.state is True and hass.states.get(POWER).state == "on"
