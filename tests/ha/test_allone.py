"""An AllOne in Home Assistant against the simulated AllOne over real UDP on the loopback LAN.

Learning is driven as a person does it: `remote.learn_command` puts the AllOne in learning mode,
then the test points a code at it (the simulator's `point_code`); the AllOne's log of what it
emitted (`emitted`) is the judge of every send, and the integration's storage of what it learned.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.orvibo_s20.commands import storage_key
from custom_components.orvibo_s20.const import CONF_FAMILY, CONF_MAC, DOMAIN, MANUFACTURER, MODEL_ALLONE
from custom_components.orvibo_s20.protocol import MAX_CODE_LENGTH
from homeassistant.components import persistent_notification
from homeassistant.config_entries import SOURCE_DHCP, SOURCE_INTEGRATION_DISCOVERY, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from simulator import Faults, Simulator
from simulator.allone import VirtualAllOne

from .common import assert_model_id_comes_with_a_scan, network, socket_device, wait_for

CODES = [bytes.fromhex("0000000098000000") + bytes([n]) * 40 for n in range(1, 11)]


def b64(code: bytes) -> str:
    return "b64:" + base64.b64encode(code).decode()


@pytest.fixture
def allone(simulator: Simulator) -> VirtualAllOne:
    """One AllOne at 127.0.0.2."""
    return simulator.add_allone(ip="127.0.0.2")


def allone_entry(device: VirtualAllOne) -> MockConfigEntry:
    mac = str(device.mac)
    return MockConfigEntry(
        domain=DOMAIN, unique_id=mac, title="AllOne", data={CONF_HOST: device.ip, CONF_MAC: mac, CONF_FAMILY: "allone"}
    )


@pytest.fixture
async def entry(hass: HomeAssistant, setup_network: None, allone: VirtualAllOne) -> AsyncIterator[MockConfigEntry]:
    """The AllOne set up as a config entry; unloaded at the end."""
    config_entry = allone_entry(allone)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    yield config_entry
    if config_entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()


def entity_id(hass: HomeAssistant, domain: str, device: VirtualAllOne, key: str) -> str:
    found = er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"{device.mac}_{key}")
    assert found is not None, (domain, key)
    return found


def remote(hass: HomeAssistant, device: VirtualAllOne) -> str:
    return entity_id(hass, "remote", device, "remote")


async def call(hass: HomeAssistant, service: str, target: VirtualAllOne, **data: Any) -> None:
    await hass.services.async_call("remote", service, {"entity_id": remote(hass, target), **data}, blocking=True)


async def learn(hass: HomeAssistant, target: VirtualAllOne, codes: list[bytes], **data: Any) -> None:
    """remote.learn_command, pointing each code at the AllOne once it is in learning mode."""
    task = asyncio.ensure_future(call(hass, "learn_command", target, **data))
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    client = entry.runtime_data.client
    for command, code in zip(data["command"], codes, strict=True):
        # Both sides in learning mode: the AllOne (its ring red) and the client (it heard the ack).
        await wait_for(lambda: task.done() or (target.learning and client.learning), what="learning mode")
        if task.done():
            break
        # The prompt is up while the AllOne waits, and the remote names the command.
        (prompt,) = persistent_notification._async_get_or_create_notifications(hass).values()
        assert f"“{command}”" in prompt["message"] and "AllOne" in prompt["message"]
        assert hass.states.get(remote(hass, target)).attributes["learning"] == command
        assert target.point_code(code)
        await wait_for(lambda: task.done() or not target.learning, what="the code taken")
    await task


def stored(hass_storage: dict[str, Any], device: VirtualAllOne) -> dict[str, Any]:
    return dict(hass_storage[storage_key(str(device.mac))]["data"])


# --- found and added ----------------------------------------------------------------------------


async def test_scan_finds_and_adds_an_allone(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, allone: VirtualAllOne
) -> None:
    """Scan → pick: the AllOne is listed beside a socket, added as an AllOne device with its
    remote and button event."""
    simulator.add_socket(name="Desk lamp")
    await hass.async_block_till_done(wait_background_tasks=True)
    for flow in hass.config_entries.flow.async_progress():
        hass.config_entries.flow.async_abort(flow["flow_id"])
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "connect"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "pick_device"
    mac = str(allone.mac)
    labels = {option["value"]: option["label"] for option in result["data_schema"].schema["device"].config["options"]}
    suffix = mac.replace(":", "")[-6:].upper()
    assert labels[mac] == f"AllOne {suffix} ({allone.ip}, {mac})"
    assert len(labels) == 2
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"device": mac})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"AllOne {suffix}"
    assert result["data"] == {CONF_HOST: allone.ip, CONF_MAC: mac, CONF_FAMILY: "allone"}
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    device = socket_device(hass, entry)
    assert (device.manufacturer, device.model, device.name) == (MANUFACTURER, MODEL_ALLONE, f"AllOne {suffix}")
    assert device.model_id == "IRD013"  # the scan's reply, heard before the entry's client existed
    assert hass.states.get(remote(hass, allone)).state == "on"
    assert hass.states.get(entity_id(hass, "event", allone, "button")).state == STATE_UNKNOWN
    # No socket entity on an AllOne.
    assert {e.domain for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)} == {"remote", "event"}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_model_id_comes_with_the_first_discovery_reply(
    hass: HomeAssistant, setup_network: None, simulator: Simulator
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)  # the start-up scan is over
    allone = simulator.add_allone(ip="127.0.0.2")  # not heard by any scan yet
    await assert_model_id_comes_with_a_scan(hass, allone_entry(allone), "IRD013")


async def test_host_alone_adds_an_allone(
    hass: HomeAssistant, setup_network: None, allone: VirtualAllOne
) -> None:
    """A host typed in: the AllOne's reply says what it is."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "connect"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_HOST: allone.ip})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_FAMILY] == "allone"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_background_scan_offers_an_allone(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, allone: VirtualAllOne
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)
    for flow in hass.config_entries.flow.async_progress():
        hass.config_entries.flow.async_abort(flow["flow_id"])
    await network(hass).async_discover()
    await hass.async_block_till_done(wait_background_tasks=True)
    (flow,) = [f for f in hass.config_entries.flow.async_progress() if f["context"].get("unique_id") == str(allone.mac)]
    assert flow["context"]["source"] == SOURCE_INTEGRATION_DISCOVERY
    assert flow["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_FAMILY] == "allone"
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


async def test_dhcp_offers_an_allone(hass: HomeAssistant, setup_network: None, allone: VirtualAllOne) -> None:
    """The AllOne's Hi-Flying module asks for an address: the manifest's DHCP matcher fits it too."""
    await hass.async_block_till_done(wait_background_tasks=True)
    for flow in hass.config_entries.flow.async_progress():
        hass.config_entries.flow.async_abort(flow["flow_id"])
    mac = str(allone.mac)
    info = DhcpServiceInfo(ip=allone.ip, hostname="HF-LPB100", macaddress=mac.replace(":", ""))
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_DHCP}, data=info)
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_HOST: allone.ip, CONF_MAC: mac, CONF_FAMILY: "allone"}
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(result["result"].entry_id)


# --- learn, send, delete ------------------------------------------------------------------------


async def test_learned_codes_are_stored_survive_a_reload_and_are_sent_by_name(
    hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne, hass_storage: dict[str, Any]
) -> None:
    await learn(hass, allone, CODES[:2], device="tv", command=["power", "mute"])
    assert stored(hass_storage, allone) == {"tv": {"power": b64(CODES[0])[4:], "mute": b64(CODES[1])[4:]}}
    assert hass.states.get(remote(hass, allone)).attributes["learning"] is None
    assert not persistent_notification._async_get_or_create_notifications(hass)
    assert allone.emitted == []  # learning emits nothing
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await call(hass, "send_command", allone, device="tv", command=["power", "mute"], num_repeats=2, delay_secs=0)
    assert [(e.kind, e.code) for e in allone.emitted] == [("ir", code) for code in (*CODES[:2], *CODES[:2])]


async def test_raw_code_sent_with_repeats(hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne) -> None:
    await call(hass, "send_command", allone, command=[b64(CODES[3])], num_repeats=3, delay_secs=0.01)
    assert [e.code for e in allone.emitted] == [CODES[3]] * 3
    assert len({e.request_id for e in allone.emitted}) == 3  # three emits, not resends of one


async def test_delete_command(
    hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne, hass_storage: dict[str, Any]
) -> None:
    await learn(hass, allone, CODES[:2], device="tv", command=["power", "mute"])
    await call(hass, "delete_command", allone, device="tv", command=["power"])
    assert stored(hass_storage, allone) == {"tv": {"mute": b64(CODES[1])[4:]}}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_command", allone, device="tv", command=["power"])
    assert err.value.translation_key == "unknown_command"
    await call(hass, "delete_command", allone, device="tv", command=["mute"])
    assert stored(hass_storage, allone) == {}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "delete_command", allone, device="tv", command=["mute"])
    assert err.value.translation_key == "unknown_device"
    assert allone.emitted == []


async def test_sends_at_20_percent_loss_are_confirmed_or_reported(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, allone: VirtualAllOne
) -> None:
    """Every send the service confirmed was emitted, exactly once; a failed one raised (never silent)."""
    simulator.set_faults(Faults(loss_to_device=0.2, loss_from_device=0.2))
    confirmed: list[bytes] = []
    failed: list[bytes] = []
    for code in CODES:
        try:
            await call(hass, "send_command", allone, command=[b64(code)])
        except HomeAssistantError as err:
            assert err.translation_key == "command_failed"
            failed.append(code)
        else:
            confirmed.append(code)
    emitted = [e.code for e in allone.emitted]
    assert len(emitted) == len(set(emitted))  # a resend after a lost ack emitted nothing more
    assert [code for code in emitted if code in confirmed] == confirmed
    assert set(emitted) <= set(CODES)
    assert len(confirmed) >= len(CODES) // 2
    assert simulator.counters.dropped_loss > 0 and entry.runtime_data.client.stats.resent > 0


async def test_learn_and_send_at_20_percent_loss(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, allone: VirtualAllOne,
    hass_storage: dict[str, Any],
) -> None:
    """Through 20 % loss each way a learn either stores exactly the code pointed at the AllOne or
    fails with an error naming the command (its code frame lost: tried again); the stored code
    sent back is emitted, or the send is reported failed."""
    simulator.set_faults(Faults(loss_to_device=0.2, loss_from_device=0.2))
    failures: list[HomeAssistantError] = []
    for _ in range(8):
        try:
            await learn(hass, allone, [CODES[5]], device="tv", command=["power"], timeout=1)
        except HomeAssistantError as err:
            assert err.translation_key == "learn_failed" and "power" in str(err)
            failures.append(err)
            continue
        break
    else:
        pytest.fail(f"eight learns failed: {failures}")
    assert stored(hass_storage, allone) == {"tv": {"power": b64(CODES[5])[4:]}}
    try:
        await call(hass, "send_command", allone, device="tv", command=["power"])
    except HomeAssistantError as err:
        assert err.translation_key == "command_failed"
    else:
        assert allone.emitted[-1].code == CODES[5]
    assert {e.code for e in allone.emitted} <= {CODES[5]}


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"device": "radio", "command": ["power"]}, "unknown_device"),
        ({"device": "tv", "command": ["power", "nope"]}, "unknown_command"),
        ({"command": ["power"]}, "device_needed"),
        ({"command": [b64(CODES[0]), "b64:not base64!"]}, "invalid_code"),
        ({"command": ["b64:"]}, "invalid_code"),
        ({"command": [b64(bytes(MAX_CODE_LENGTH + 1))]}, "invalid_code"),
        ({"command": [b64(CODES[0])], "num_repeats": 0}, "invalid_repeats"),
        ({"command": [b64(CODES[0])], "num_repeats": 21}, "invalid_repeats"),
        ({"command": [b64(CODES[0])], "delay_secs": -1}, "invalid_delay"),
    ],
)
async def test_bad_sends_are_refused_and_send_nothing(
    hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne, data: dict[str, Any], key: str
) -> None:
    await learn(hass, allone, CODES[:1], device="tv", command=["power"])
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_command", allone, **data)
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN
    assert key not in str(err.value)  # the English message, not the bare key
    assert allone.emitted == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"command": ["power"]}, "no_device"),
        ({"device": "tv", "command": ["power"], "command_type": "rf"}, "command_type_unsupported"),
        ({"device": "tv", "command": ["b64:AAAA"]}, "invalid_command_name"),
    ],
)
async def test_bad_learns_are_refused(
    hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne, data: dict[str, Any], key: str,
    hass_storage: dict[str, Any],
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "learn_command", allone, **data)
    assert err.value.translation_key == key
    assert not allone.learning
    assert storage_key(str(allone.mac)) not in hass_storage


async def test_learn_timeout_is_reported_and_stores_nothing(
    hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne, hass_storage: dict[str, Any]
) -> None:
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "learn_command", allone, device="tv", command=["power"], timeout=1)
    assert err.value.translation_key == "learn_failed"
    assert "power" in str(err.value)
    assert storage_key(str(allone.mac)) not in hass_storage
    assert not persistent_notification._async_get_or_create_notifications(hass)


async def test_turned_off_remote_refuses(hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne) -> None:
    await hass.services.async_call("remote", "turn_off", {"entity_id": remote(hass, allone)}, blocking=True)
    assert hass.states.get(remote(hass, allone)).state == "off"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_command", allone, command=[b64(CODES[0])])
    assert err.value.translation_key == "remote_off"
    await hass.services.async_call("remote", "turn_on", {"entity_id": remote(hass, allone)}, blocking=True)
    await call(hass, "send_command", allone, command=[b64(CODES[0])])
    assert [e.code for e in allone.emitted] == [CODES[0]]


# --- button, diagnostics ------------------------------------------------------------------------


async def test_button_fires_the_event(hass: HomeAssistant, entry: MockConfigEntry, allone: VirtualAllOne) -> None:
    event = entity_id(hass, "event", allone, "button")
    assert hass.states.get(event).attributes["event_types"] == ["button"]
    allone.press_button()
    await wait_for(lambda: hass.states.get(event).state != STATE_UNKNOWN, what="the press's event")
    first = hass.states.get(event)
    assert first.attributes["event_type"] == "button"
    allone.press_button()
    await wait_for(lambda: hass.states.get(event).state != first.state, what="the second press's event")
    assert entry.runtime_data.client.button_presses == 2


async def test_diagnostics_count_and_name_the_commands(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry, allone: VirtualAllOne
) -> None:
    short = bytes(range(8))
    await learn(hass, allone, [CODES[0], CODES[1], short], device="tv", command=["power", "mute", "ok"])
    await learn(hass, allone, [CODES[2]], device="amp", command=["volume up"])
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    learned = diagnostics["allone"]["learned"]
    assert learned["count"] == 4
    assert learned["devices"]["tv"]["count"] == 3
    assert learned["devices"]["tv"]["commands"] == ["mute", "ok", "power"]
    assert learned["devices"]["amp"]["commands"] == ["volume up"]
    assert learned["devices"]["tv"]["codes"]["power"] == {"bytes": len(CODES[0])}
    assert learned["devices"]["tv"]["codes"]["ok"] == {"bytes": 8, "code": b64(short)[4:]}
    text = json.dumps(diagnostics)
    assert b64(CODES[0])[4:] not in text  # long codes' bytes are not shown
    assert diagnostics["allone"]["available"] is True
    assert diagnostics["protocol"]["client"]["sent"] > 0


# --- availability -------------------------------------------------------------------------------


async def test_an_allone_that_does_not_answer_is_retried(
    hass: HomeAssistant, short_deadline: None, setup_network: None, simulator: Simulator, allone: VirtualAllOne
) -> None:
    """Off Wi-Fi at set-up: the entry retries, and says why."""
    simulator.set_online(allone.mac, False)
    config_entry = allone_entry(allone)
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.error_reason_translation_key == "cannot_connect"


async def test_an_allone_gone_silent_is_unavailable_until_it_answers_again(
    hass: HomeAssistant, short_deadline: None, simulator: Simulator, entry: MockConfigEntry, allone: VirtualAllOne
) -> None:
    """The keepalive finds it silent: its entities go unavailable, and come back with it."""
    remote_id, button_id = remote(hass, allone), entity_id(hass, "event", allone, "button")
    assert hass.states.get(remote_id).state != STATE_UNAVAILABLE
    simulator.set_online(allone.mac, False)
    await wait_for(lambda: hass.states.get(remote_id).state == STATE_UNAVAILABLE, what="the remote unavailable")
    assert hass.states.get(button_id).state == STATE_UNAVAILABLE
    simulator.set_online(allone.mac, True)
    await wait_for(lambda: hass.states.get(remote_id).state != STATE_UNAVAILABLE, what="the remote back")
    assert hass.states.get(button_id).state != STATE_UNAVAILABLE
