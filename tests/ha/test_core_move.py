"""The move from core `orvibo`: offered as a repair issue, done on the user's yes, nothing lost.

Core `orvibo` cannot be set up here (its library, python-orvibo, is not installed, and it would
take UDP port 10000 of the host), so its config entries, devices, switches and states are made
as its code makes them (homeassistant/components/orvibo in 2026.10: entry data `host` + `mac`,
unique ID the lower-case MAC, the switch's unique ID the MAC, `has_entity_name` with no name, a
device with the MAC as identifier and connection). The sockets are simulated, over real UDP.
Home Assistant 2025.4 has no core config entries (YAML only): those tests are skipped there
with that reason, and the YAML switch platform is tested on both legs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
import socket as pysocket
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DOMAIN, ISSUE_CORE_MOVE, ISSUE_CORE_YAML_LEFT
from custom_components.orvibo_s20.core_move import CORE_DOMAIN, power_unique_id
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import (
    SOURCE_IMPORT,
    SOURCE_INTEGRATION_DISCOVERY,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC
from homeassistant.setup import async_setup_component
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import wait_for
from .conftest import BROADCAST, SIM_TIMING, make_entry

# Core's package is not imported: its __init__ imports python-orvibo, which is not installed.
_CORE_SPEC = find_spec("homeassistant.components.orvibo")
assert _CORE_SPEC is not None and _CORE_SPEC.origin is not None
CORE_HAS_ENTRIES = (Path(_CORE_SPEC.origin).parent / "config_flow.py").exists()
needs_core_entries = pytest.mark.skipif(
    not CORE_HAS_ENTRIES, reason="core orvibo has no config entries before 2026 (a YAML switch platform only)"
)
OLD_ID = "switch.living_room_lamp"


def core_entry(
    hass: HomeAssistant, sock: VirtualSocket, *, entity_id: str | None = None, area: str | None = None,
    state: str = STATE_OFF,
) -> tuple[MockConfigEntry, str]:
    """A core `orvibo` entry for a socket as core's config flow and switch platform leave it."""
    mac = str(sock.mac)
    title = f"S20 ({sock.ip})"
    entry = MockConfigEntry(
        domain=CORE_DOMAIN, unique_id=mac, title=title, data={"host": sock.ip, "mac": mac}, version=1, minor_version=1
    )
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(CORE_DOMAIN, mac)},
        connections={(CONNECTION_NETWORK_MAC, mac)},
        name=title,
        manufacturer="Orvibo",
        model="S20",
    )
    if area is not None:
        area_id = ar.async_get(hass).async_get_or_create(area).id
        dr.async_get(hass).async_update_device(device.id, area_id=area_id)
    ent_reg = er.async_get(hass)
    registered = ent_reg.async_get_or_create(
        "switch", CORE_DOMAIN, mac, config_entry=entry, device_id=device.id, has_entity_name=True, original_name=None
    )
    if entity_id is not None:  # the user gave it their own entity ID and name
        registered = ent_reg.async_update_entity(registered.entity_id, new_entity_id=entity_id, name="Living room lamp")
    hass.states.async_set(registered.entity_id, state, {"friendly_name": registered.name or title})
    return entry, registered.entity_id


async def setup_ours(hass: HomeAssistant, network_config: dict[str, Any], **extra: Any) -> None:
    assert await async_setup_component(hass, "repairs", {})
    assert await async_setup_component(hass, DOMAIN, {**network_config, **extra})
    await hass.async_block_till_done()


async def start_fix(hass: HomeAssistant) -> tuple[str, dict[str, Any]]:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": ISSUE_CORE_MOVE})
    return result["flow_id"], dict(result)


async def confirm(hass: HomeAssistant, flow_id: str) -> dict[str, Any]:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_configure(flow_id, {})
    await hass.async_block_till_done()
    return dict(result)


async def automation_turns_on(hass: HomeAssistant, entity_id: str) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "lamp at dusk",
                "trigger": {"platform": "event", "event_type": "dusk"},
                "action": {"service": "switch.turn_on", "target": {"entity_id": entity_id}},
            }
        },
    )
    await hass.async_block_till_done()


def device_entries(device: dr.DeviceEntry) -> set[str]:
    """A device's config entries (one since 2026.8, `config_entries` deprecated there)."""
    if hasattr(device, "config_entry_id"):
        return {device.config_entry_id}
    return set(device.config_entries)


def our_entries(hass: HomeAssistant) -> list[Any]:
    return hass.config_entries.async_entries(DOMAIN)


async def unload_ours(hass: HomeAssistant) -> None:
    for entry in our_entries(hass):
        await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@needs_core_entries
async def test_move_keeps_entity_ids_names_area_and_automations(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    """Two core sockets: offered, moved on the yes; entity IDs, names, area, states and an automation survive."""
    lamp = simulator.add_socket(name="Desk lamp")
    heater = simulator.add_socket(name="Heater", state=True)
    lamp_entry, lamp_id = core_entry(hass, lamp, entity_id=OLD_ID, area="Living room")
    heater_entry, heater_id = core_entry(hass, heater, state=STATE_ON)
    assert heater_id == "switch.s20_127_0_0_3"  # core's default: the device name (its entry title)
    heater_device_id = er.async_get(hass).async_get(heater_id).device_id
    assert heater_device_id is not None
    await automation_turns_on(hass, OLD_ID)
    await setup_ours(hass, network_config)

    # Offered, and nothing moved before the yes.
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE)
    assert issue is not None and issue.is_fixable
    assert issue.translation_placeholders["sockets"] == "Living room lamp (127.0.0.2), S20 (127.0.0.3)"
    flow_id, form = await start_fix(hass)
    assert form["type"] is FlowResultType.FORM and form["step_id"] == "confirm"
    assert not our_entries(hass)
    assert lamp_entry.disabled_by is None and heater_entry.disabled_by is None

    done = await confirm(hass, flow_id)
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is None

    # Core's entries are disabled (its YAML import cannot add them again); ours are loaded.
    assert lamp_entry.disabled_by is ConfigEntryDisabler.USER
    assert heater_entry.disabled_by is ConfigEntryDisabler.USER
    assert sorted(entry.unique_id for entry in our_entries(hass)) == sorted([str(lamp.mac), str(heater.mac)])
    assert all(entry.state is ConfigEntryState.LOADED for entry in our_entries(hass))

    # Same entity IDs, now ours, with the socket's state and the names the user knew.
    ent_reg = er.async_get(hass)
    for entity_id, sock in ((OLD_ID, lamp), (heater_id, heater)):
        registered = ent_reg.async_get(entity_id)
        assert registered is not None
        assert (registered.platform, registered.unique_id) == (DOMAIN, power_unique_id(str(sock.mac)))
        assert registered.disabled_by is None
    assert hass.states.get(OLD_ID).state == STATE_OFF
    assert hass.states.get(heater_id).state == STATE_ON
    assert hass.states.get(OLD_ID).attributes["friendly_name"] == "Living room lamp"
    assert hass.states.get(heater_id).attributes["friendly_name"] == "S20 (127.0.0.3)"
    assert not any(e.platform == CORE_DOMAIN for e in ent_reg.entities.values())

    # Core's device is ours now: same device ID (device automations), same area.
    lamp_switch = ent_reg.async_get(OLD_ID)
    assert lamp_switch is not None and lamp_switch.device_id is not None
    device = dr.async_get(hass).async_get(lamp_switch.device_id)
    assert device is not None
    ours = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, str(lamp.mac))
    assert ours is not None and device_entries(device) == {ours.entry_id}
    assert (DOMAIN, str(lamp.mac)) in device.identifiers and (CORE_DOMAIN, str(lamp.mac)) not in device.identifiers
    assert device.area_id == ar.async_get(hass).async_get_area_by_name("Living room").id
    heater_switch = ent_reg.async_get(heater_id)
    assert heater_switch is not None and heater_switch.device_id == heater_device_id

    # The automation written for core's switch switches the socket.
    hass.bus.async_fire("dusk")
    await wait_for(lambda: lamp.state is True, what="the automation to switch the socket on")
    await wait_for(lambda: hass.states.get(OLD_ID).state == STATE_ON, what="the switch to follow")
    # And the socket's own button reaches the same entity ID.
    heater.press_button()
    await wait_for(lambda: hass.states.get(heater_id).state == STATE_OFF, what="the pushed change")
    await unload_ours(hass)


@needs_core_entries
async def test_a_silent_socket_stays_with_core(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    """A socket that does not answer is not moved (its core entry stays enabled); the others are."""
    lamp = simulator.add_socket(name="Desk lamp")
    gone = simulator.add_socket(name="Garage")
    simulator.set_online(gone.mac, False)
    lamp_entry, lamp_id = core_entry(hass, lamp)
    gone_entry, gone_id = core_entry(hass, gone)
    await setup_ours(hass, network_config)
    flow_id, _ = await start_fix(hass)
    result = await confirm(hass, flow_id)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "silent"}
    assert result["description_placeholders"]["silent"] == "S20 (127.0.0.3)"
    assert lamp_entry.disabled_by is ConfigEntryDisabler.USER
    assert gone_entry.disabled_by is None
    assert [entry.unique_id for entry in our_entries(hass)] == [str(lamp.mac)]
    assert er.async_get(hass).async_get(gone_id).platform == CORE_DOMAIN
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE)
    assert issue is not None and issue.translation_placeholders["sockets"] == "S20 (127.0.0.3)"

    # Back online: the same flow moves it.
    simulator.set_online(gone.mac, True)
    result = await confirm(hass, flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert gone_entry.disabled_by is ConfigEntryDisabler.USER
    assert er.async_get(hass).async_get(gone_id).platform == DOMAIN
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is None
    await unload_ours(hass)


@pytest.fixture
async def split_port_simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """Sockets that answer to another port than the one they listen on (test_init.py's)."""
    sim = Simulator(
        port=Simulator.free_port(), reply_port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=SIM_TIMING
    )
    await sim.start()
    yield sim
    await sim.stop()


def split_port_config(sim: Simulator) -> dict[str, object]:
    """Our YAML for split_port_simulator's sockets: we listen on the port they answer to."""
    return {
        "bind_address": "127.0.0.1", "port": sim.reply_port, "remote_port": sim.port,
        "broadcast_addresses": [BROADCAST], "broadcast_listen_address": BROADCAST,
        "reuse_address": True, "scan_interval": timedelta(days=1),
    }


@needs_core_entries
async def test_port_taken_disables_core_on_yes_and_asks_for_a_restart(
    hass: HomeAssistant, split_port_simulator: Simulator, issue_registry: ir.IssueRegistry
) -> None:
    """Core holding the port: nothing can be asked; on a second yes core is disabled, the move waits."""
    sim = split_port_simulator
    lamp = sim.add_socket(name="Desk lamp")
    lamp_entry, lamp_id = core_entry(hass, lamp)
    port = sim.reply_port
    config = {DOMAIN: split_port_config(sim)}
    holder = pysocket.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))  # as core holds it while it runs; no SO_REUSEADDR
    try:
        await setup_ours(hass, config)
        flow_id, _ = await start_fix(hass)
        result = await confirm(hass, flow_id)
        assert result["type"] is FlowResultType.FORM and result["step_id"] == "port_taken"
        assert result["description_placeholders"] == {"port": str(port)}
        assert lamp_entry.disabled_by is None  # not before the second yes
        result = await confirm(hass, flow_id)
        assert result["type"] is FlowResultType.ABORT and result["reason"] == "restart_needed"
        assert lamp_entry.disabled_by is ConfigEntryDisabler.USER
        assert not our_entries(hass)
    finally:
        holder.close()
    # Still offered (a disabled core entry is not moved yet), and with the port free it moves.
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is not None
    flow_id, _ = await start_fix(hass)
    assert (await confirm(hass, flow_id))["type"] is FlowResultType.CREATE_ENTRY
    assert er.async_get(hass).async_get(lamp_id).platform == DOMAIN
    assert hass.states.get(lamp_id).state == STATE_OFF
    await hass.services.async_call("switch", "turn_on", {"entity_id": lamp_id}, blocking=True)
    assert lamp.state is True
    await unload_ours(hass)


async def test_no_core_sockets_no_issue(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    """Without core `orvibo` nothing is offered."""
    await setup_ours(hass, network_config)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is None
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_YAML_LEFT) is None


async def test_yaml_switches_move_with_their_entity_ids(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    """Core's YAML switch platform (the only form before 2026): offered, moved, its entity ID kept.

    Core's YAML switches have no unique ID, so no registry entry: their entity ID is the slug of
    their name. Its lines must then go by hand, which a second issue says.
    """
    lamp = simulator.add_socket(name="Desk lamp")
    heater = simulator.add_socket(name="Heater", state=True)
    yaml = {
        "switch": [
            {"platform": "orvibo", "switches": [
                {"host": lamp.ip, "mac": str(lamp.mac).upper(), "name": "Porch light"},
                {"host": heater.ip},  # no MAC, no name: core asks the socket, calls it Orvibo S20 Switch
            ]},
        ]
    }
    # What core's platform showed while it ran.
    hass.states.async_set("switch.porch_light", STATE_OFF, {"friendly_name": "Porch light"})
    hass.states.async_set("switch.orvibo_s20_switch", STATE_ON, {"friendly_name": "Orvibo S20 Switch"})
    await automation_turns_on(hass, "switch.porch_light")
    await setup_ours(hass, network_config, **yaml)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE)
    assert issue is not None
    assert issue.translation_placeholders["sockets"] == "Porch light (127.0.0.2), Orvibo S20 Switch (127.0.0.3)"

    flow_id, _ = await start_fix(hass)
    assert (await confirm(hass, flow_id))["type"] is FlowResultType.CREATE_ENTRY
    ent_reg = er.async_get(hass)
    assert ent_reg.async_get_entity_id("switch", DOMAIN, power_unique_id(str(lamp.mac))) == "switch.porch_light"
    assert ent_reg.async_get_entity_id("switch", DOMAIN, power_unique_id(str(heater.mac))) == "switch.orvibo_s20_switch"
    assert hass.states.get("switch.porch_light").attributes["friendly_name"] == "Porch light"
    assert hass.states.get("switch.orvibo_s20_switch").state == STATE_ON
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is None
    left = issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_YAML_LEFT)
    assert left is not None and left.translation_placeholders["hosts"] == "127.0.0.2, 127.0.0.3"

    hass.bus.async_fire("dusk")
    await wait_for(lambda: lamp.state is True, what="the automation to switch the socket on")
    await unload_ours(hass)


async def test_add_integration_offers_the_move_too(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any]
) -> None:
    """Add integration → Orvibo S20 lists the move while core has sockets, and makes it on the yes;
    a socket core has is not offered by discovery (a discovered entry would lose its entity ID)."""
    lamp = simulator.add_socket(name="Desk lamp")
    switches = [{"host": lamp.ip, "mac": str(lamp.mac), "name": "Porch light"}]
    yaml = {"switch": {"platform": "orvibo", "switches": switches}}
    await setup_ours(hass, network_config, **yaml)

    discovered = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_INTEGRATION_DISCOVERY}, data={"host": lamp.ip, "mac": str(lamp.mac)}
    )
    assert discovered["type"] is FlowResultType.ABORT and discovered["reason"] == "core_socket"

    menu = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert menu["menu_options"] == ["connect", "wifi", "core_move"]
    form = await hass.config_entries.flow.async_configure(menu["flow_id"], {"next_step_id": "core_move"})
    assert form["type"] is FlowResultType.FORM
    assert form["description_placeholders"]["sockets"] == "Porch light (127.0.0.2)"
    assert not our_entries(hass)  # nothing before the yes
    done = await hass.config_entries.flow.async_configure(form["flow_id"], {})
    await hass.async_block_till_done()
    assert done["type"] is FlowResultType.ABORT and done["reason"] == "core_moved"
    assert [entry.unique_id for entry in our_entries(hass)] == [str(lamp.mac)]
    moved = er.async_get(hass).async_get_entity_id("switch", DOMAIN, power_unique_id(str(lamp.mac)))
    assert moved == "switch.porch_light"
    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.porch_light"}, blocking=True)
    assert lamp.state is True

    # Nothing left to move: the menu is as before.
    menu = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert menu["menu_options"] == ["connect", "wifi"]
    await unload_ours(hass)


async def test_yaml_is_read_when_set_up_by_a_flow(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any], tmp_path: Path,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Set up by Add integration (no configuration given), core's YAML switches are read from
    configuration.yaml: the move is offered for them too."""
    lamp = simulator.add_socket(name="Desk lamp")
    (tmp_path / "configuration.yaml").write_text(
        f"switch:\n  - platform: orvibo\n    switches:\n      - host: {lamp.ip}\n        name: Porch light\n"
    )
    hass.config.config_dir = str(tmp_path)
    await setup_ours(hass, network_config)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE)
    assert issue is not None and issue.translation_placeholders["sockets"] == "Porch light (127.0.0.2)"


@needs_core_entries
async def test_socket_added_here_by_hand_the_repair_has_nothing_to_move(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any], issue_registry: ir.IssueRegistry
) -> None:
    """The user added core's socket here themselves: the repair says there is nothing left, and goes."""
    lamp = simulator.add_socket(name="Desk lamp")
    lamp_entry, _ = core_entry(hass, lamp)
    await setup_ours(hass, network_config)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is not None
    make_entry(lamp).add_to_hass(hass)
    _, result = await start_fix(hass)
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "nothing_to_move"
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_CORE_MOVE) is None
    assert lamp_entry.disabled_by is None  # nothing done without the yes


# --- the same move from Add integration → Orvibo S20: what the flow says on each outcome -----------


async def _menu_core_move(hass: HomeAssistant) -> dict[str, Any]:
    """Add integration → Orvibo S20 → Move from core: the form that asks for the yes."""
    menu = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert "core_move" in menu["menu_options"]
    form = await hass.config_entries.flow.async_configure(menu["flow_id"], {"next_step_id": "core_move"})
    assert form["type"] is FlowResultType.FORM and form["step_id"] == "core_move"
    return dict(form)


async def test_add_integration_names_a_silent_socket_and_moves_it_once_back(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any]
) -> None:
    """A silent socket stays with core and the form says which; the same yes moves it once it answers."""
    lamp = simulator.add_socket(name="Desk lamp")
    simulator.set_online(lamp.mac, False)
    yaml = {"switch": {"platform": "orvibo", "switches": [{"host": lamp.ip, "mac": str(lamp.mac), "name": "Porch light"}]}}
    await setup_ours(hass, network_config, **yaml)
    form = await _menu_core_move(hass)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], {})
    assert result["type"] is FlowResultType.FORM and result["errors"] == {"base": "silent"}
    assert result["description_placeholders"] == {"sockets": "Porch light (127.0.0.2)", "silent": "Porch light (127.0.0.2)"}
    assert not our_entries(hass)
    simulator.set_online(lamp.mac, True)
    result = await hass.config_entries.flow.async_configure(form["flow_id"], {})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "core_moved"
    assert [entry.unique_id for entry in our_entries(hass)] == [str(lamp.mac)]
    await unload_ours(hass)


async def test_add_integration_says_when_the_move_was_made_meanwhile(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any]
) -> None:
    """The form was open while the repair made the move: its yes finds nothing left to move."""
    lamp = simulator.add_socket(name="Desk lamp")
    yaml = {"switch": {"platform": "orvibo", "switches": [{"host": lamp.ip, "mac": str(lamp.mac), "name": "Porch light"}]}}
    await setup_ours(hass, network_config, **yaml)
    form = await _menu_core_move(hass)
    flow_id, _ = await start_fix(hass)
    assert (await confirm(hass, flow_id))["type"] is FlowResultType.CREATE_ENTRY
    result = await hass.config_entries.flow.async_configure(form["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "nothing_to_move"
    assert [entry.unique_id for entry in our_entries(hass)] == [str(lamp.mac)]
    await unload_ours(hass)


async def test_add_integration_says_when_core_holds_the_port(
    hass: HomeAssistant, split_port_simulator: Simulator
) -> None:
    """With UDP 10000 held (as core holds it while it runs) the flow names the port; nothing moves."""
    sim = split_port_simulator
    lamp = sim.add_socket(name="Desk lamp")
    port = sim.reply_port
    config = {
        DOMAIN: split_port_config(sim),
        "switch": {"platform": "orvibo", "switches": [{"host": lamp.ip, "mac": str(lamp.mac), "name": "Porch light"}]},
    }
    holder = pysocket.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))  # no SO_REUSEADDR: ours cannot share it
    try:
        await setup_ours(hass, config)
        form = await _menu_core_move(hass)
        result = await hass.config_entries.flow.async_configure(form["flow_id"], {})
    finally:
        holder.close()
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "core_holds_port"
    assert result["description_placeholders"] == {"port": str(port)}
    assert not our_entries(hass)


async def test_an_import_of_a_socket_that_does_not_answer_adds_nothing(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any]
) -> None:
    """The move's import step reads the socket first, as every path does: a silent one is refused."""
    lamp = simulator.add_socket(name="Desk lamp")
    simulator.set_online(lamp.mac, False)
    await setup_ours(hass, network_config)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_IMPORT}, data={"host": lamp.ip, "mac": str(lamp.mac)}
    )
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "cannot_connect"
    assert not our_entries(hass)


async def test_an_import_while_the_port_is_held_says_so(hass: HomeAssistant, split_port_simulator: Simulator) -> None:
    """The import step cannot read the socket while another program holds the port: it says so."""
    sim = split_port_simulator
    lamp = sim.add_socket(name="Desk lamp")
    port = sim.reply_port
    config = {DOMAIN: split_port_config(sim)}
    holder = pysocket.socket(pysocket.AF_INET, pysocket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))
    try:
        await setup_ours(hass, config)
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_IMPORT}, data={"host": lamp.ip, "mac": str(lamp.mac)}
        )
    finally:
        holder.close()
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "port_in_use"
    assert not our_entries(hass)
