"""The coordinator against the simulator: pushes, availability, reboots, moves, names, clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.orvibo_s20.const import DOMAIN, POLL_INTERVAL
from custom_components.orvibo_s20.protocol import encode_name
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
from simulator import Simulator
from simulator.device import VirtualSocket
from simulator.timing import BOOT_CLOCK

from .common import (
    AUTO_OFF,
    COUNTDOWN,
    DURATION,
    POWER,
    assert_model_id_comes_with_a_scan,
    availability_logs,
    clock_in_step,
    coordinator,
    network,
    socket_device,
    wait_for,
)
from .conftest import make_entry

LONG = timedelta(hours=1)


@pytest.fixture
def network_config(network_config: dict[str, Any]) -> dict[str, Any]:
    """No poll runs by itself during a test: what arrives was pushed, polls are explicit."""
    return {DOMAIN: {**network_config[DOMAIN], "poll_interval": LONG}}


def _local_offset_hours() -> tuple[int, int]:
    """The time zone the socket should store: (hours, dst_flags) for HA's current offset."""
    offset = dt_util.now().utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return (hours if minutes >= 0 else -hours), 1 + (2 if rest == 30 else 0)


def _timezone_of(sock: VirtualSocket) -> tuple[int, int]:
    return sock.socket_data.timezone_hours, sock.socket_data.dst_flags


def _unset_clock_and_zone(sock: VirtualSocket) -> None:
    sock.set_clock(BOOT_CLOCK)
    sock.socket_data = replace(sock.socket_data, timezone_hours=8, dst_flags=0)


# --- pushes ------------------------------------------------------------------------------------


async def test_button_press_is_pushed_without_a_poll(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """Each press shows, in order, with no request to the socket in between (how fast: scripts/bench)."""
    assert coordinator(entry).update_interval == LONG
    arrived: list[str] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            arrived.append(new.state)

    remove = async_track_state_change_event(hass, [POWER], _changed)
    for expected in (STATE_ON, STATE_OFF, STATE_ON):
        requests_before = sim_socket.counters.received
        simulator.press(sim_socket.mac)
        await wait_for(lambda: arrived and arrived[-1] == expected, what="the push")
        assert sim_socket.counters.received == requests_before  # pushed, not polled
        assert hass.states.get(POWER).state == expected
    remove()
    assert arrived == [STATE_ON, STATE_OFF, STATE_ON]  # one state per press, none lost or doubled


# --- availability ------------------------------------------------------------------------------


async def test_availability_grace_and_logging(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unanswered keepalive keeps the state; a socket silent for `unavailable_after_s` makes the
    entities unavailable; logged once each way, polls meanwhile add nothing."""
    mac = str(sim_socket.mac)
    coord = coordinator(entry)
    client = entry.runtime_data.client
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON)

    timeouts = client.stats.timeouts
    simulator.set_online(sim_socket.mac, False)
    await wait_for(lambda: client.stats.timeouts > timeouts, what="an unanswered keepalive")
    assert hass.states.get(POWER).state == STATE_ON
    assert availability_logs(caplog, mac) == []

    await wait_for(lambda: hass.states.get(POWER).state == STATE_UNAVAILABLE, what="unavailable")
    assert client.silent_s >= client.timing.unavailable_after_s
    assert hass.states.get(AUTO_OFF).state == STATE_UNAVAILABLE
    await coord.async_refresh()
    logs = availability_logs(caplog, mac)
    assert len(logs) == 1 and "Error fetching" in logs[0]
    assert "stopped answering" in logs[0]  # the translated message

    simulator.set_online(sim_socket.mac, True)
    sim_socket.press_button()  # switched off by hand while we could not see it
    await wait_for(lambda: hass.states.get(POWER).state == STATE_OFF, what="back, with its true state")
    await coord.async_refresh()
    logs = availability_logs(caplog, mac)
    assert len(logs) == 2 and "recovered" in logs[1]


async def test_push_during_the_grace_period_is_shown(
    hass: HomeAssistant, short_deadline: None, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """A push heard after an unanswered keepalive is taken (the socket is evidently there)."""
    client = entry.runtime_data.client
    timeouts = client.stats.timeouts
    simulator.set_online(sim_socket.mac, False)
    await wait_for(lambda: client.stats.timeouts > timeouts, what="an unanswered keepalive")
    simulator.set_online(sim_socket.mac, True)
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON, what="the push")


async def test_lost_push_corrected_by_the_keepalive(
    hass: HomeAssistant, short_deadline: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """A press whose pushes never arrive shows after the next keepalive, with no poll."""
    client = entry.runtime_data.client
    received = sim_socket.counters.received
    assert sim_socket.press_button(push=False) is True
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON, what="the keepalive's subscribe")
    assert sim_socket.counters.received > received
    assert client.timing.keepalive_s < POLL_INTERVAL.total_seconds()


async def test_push_brings_an_unavailable_socket_back(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Once the client hears the socket again, the entities come back without waiting for a poll."""
    simulator.set_online(sim_socket.mac, False)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_UNAVAILABLE, what="unavailable")
    simulator.set_online(sim_socket.mac, True)
    await entry.runtime_data.client.subscribe()  # what the client's keepalive does
    await wait_for(lambda: hass.states.get(POWER).state == STATE_OFF, what="availability")
    logs = availability_logs(caplog, str(sim_socket.mac))
    assert len(logs) == 2 and "recovered" in logs[1]


# --- reboots and moves -------------------------------------------------------------------------


async def test_recovers_after_a_reboot(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """After a power cycle: subscribed again, relay off, clock and time zone set again."""
    simulator.timing = replace(simulator.timing, announce_count=2, announce_interval_s=0.3)
    await wait_for(lambda: clock_in_step(sim_socket))
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON)
    # Someone changed the zone meanwhile: the sync after the reboot sets it again.
    sim_socket.socket_data = replace(sim_socket.socket_data, timezone_hours=8, dst_flags=0)

    await simulator.reboot(sim_socket.mac)
    assert not clock_in_step(sim_socket)
    await wait_for(lambda: "127.0.0.1" in sim_socket.subscribers, what="the re-subscribe")
    await wait_for(lambda: hass.states.get(POWER).state == STATE_OFF, what="the relay off")
    await wait_for(lambda: clock_in_step(sim_socket), what="the clock")
    await wait_for(lambda: _timezone_of(sim_socket) == _local_offset_hours(), what="the time zone")
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON, what="a push after the reboot")


async def test_ip_change_updates_the_entry(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """A socket announcing itself at a new address: the entry follows and works there."""
    simulator.timing = replace(simulator.timing, announce_count=1)
    simulator.move(sim_socket.mac, "127.0.0.9")
    await wait_for(lambda: entry.data["host"] == "127.0.0.9", what="the entry update")
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_for(lambda: entry.state is ConfigEntryState.LOADED)
    assert entry.runtime_data.client.host == "127.0.0.9"
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    assert sim_socket.state is True
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(POWER).state == STATE_OFF, what="a push from the new address")


async def test_retrying_entry_is_rescued_by_discovery(
    hass: HomeAssistant, short_deadline: None, setup_network: None, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """An entry stuck retrying at an old address is set up once a scan finds the socket."""
    entry = make_entry(sim_socket, host="127.0.0.50")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    await hass.data[DOMAIN].async_discover()
    await hass.async_block_till_done(wait_background_tasks=True)
    await wait_for(lambda: entry.state is ConfigEntryState.LOADED)
    assert entry.data["host"] == sim_socket.ip
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


# --- the socket's name -------------------------------------------------------------------------


async def test_stored_name_follows_to_the_device(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    sim_socket: VirtualSocket,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A name stored by the vendor app shows as the device's name, unless the user named it."""
    coord = coordinator(entry)
    device = socket_device(hass, entry)
    assert device is not None and device.name == "Desk lamp"
    with patch("custom_components.orvibo_s20.coordinator.SOCKET_DATA_EVERY_POLLS", 1):
        sim_socket.socket_data = replace(sim_socket.socket_data, name_raw=encode_name("Reading lamp"))
        await coord.async_refresh()
        await coord.async_refresh()
        device = socket_device(hass, entry)
        assert device.name == "Reading lamp"
        assert hass.states.get(POWER).attributes["friendly_name"] == "Reading lamp"

        device_registry.async_update_device(device.id, name_by_user="Mine")
        sim_socket.socket_data = replace(sim_socket.socket_data, name_raw=encode_name("Vendor name"))
        await coord.async_refresh()
        await coord.async_refresh()
    device = socket_device(hass, entry)
    assert device.name_by_user == "Mine"
    assert device.name == "Vendor name"
    assert hass.states.get(POWER).attributes["friendly_name"] == "Mine"


async def test_unnamed_socket_gets_a_name_from_its_mac(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """A socket that stores no name is called "S20" and the end of its MAC.

    Found by a scan before it is added, as the config flow finds it: the entry's client starts
    with the model id of the reply the network heard, so the device is registered with it.
    """
    sock = simulator.add_socket()
    await hass.async_block_till_done(wait_background_tasks=True)  # the start-up scan is over
    assert sock.mac in {found.mac for found in await network(hass).async_scan()}
    entry = make_entry(sock)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    device = socket_device(hass, entry)
    assert device.name == "S20 " + sock.mac.compact[-6:]
    assert device.manufacturer == "Orvibo" and device.model == "S20" and device.model_id == "SOC005"
    assert device.sw_version == "26" and device.hw_version == "32"
    assert (dr.CONNECTION_NETWORK_MAC, str(sock.mac)) in device.connections
    assert device.configuration_url is None
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_model_id_comes_with_the_first_discovery_reply(
    hass: HomeAssistant, setup_network: None, simulator: Simulator
) -> None:
    await hass.async_block_till_done(wait_background_tasks=True)  # the start-up scan is over
    sock = simulator.add_socket()  # not heard by any scan yet
    await assert_model_id_comes_with_a_scan(hass, make_entry(sock), "SOC005")


async def test_registered_model_id_is_kept_at_a_restart(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, device_registry: dr.DeviceRegistry
) -> None:
    """The device as a previous run registered it: set up before any reply, its model id stays."""
    await hass.async_block_till_done(wait_background_tasks=True)  # the start-up scan is over
    sock = simulator.add_socket()
    entry = make_entry(sock)
    entry.add_to_hass(hass)
    mac = str(sock.mac)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, mac)}, model_id="SOC005", name="S20"
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert coordinator(entry).client.product_id is None  # no reply heard since the "restart"
    assert socket_device(hass, entry).model_id == "SOC005"
    assert await hass.config_entries.async_unload(entry.entry_id)


# --- countdown ---------------------------------------------------------------------------------


async def test_countdown_after_auto_off_switch_on(
    hass: HomeAssistant, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """With auto-off on, every switch-on starts a countdown; the sensor shows when it fires."""
    assert hass.states.get(COUNTDOWN).state == STATE_UNKNOWN
    await hass.services.async_call("number", "set_value", {"entity_id": DURATION, "value": 120}, blocking=True)
    await hass.services.async_call("switch", "turn_on", {"entity_id": AUTO_OFF}, blocking=True)

    before = dt_util.utcnow()
    await hass.services.async_call("switch", "turn_on", {"entity_id": POWER}, blocking=True)
    await wait_for(lambda: hass.states.get(COUNTDOWN).state != STATE_UNKNOWN, what="the countdown")
    ends_at = datetime.fromisoformat(hass.states.get(COUNTDOWN).state)
    assert before + timedelta(seconds=118) <= ends_at <= dt_util.utcnow() + timedelta(seconds=121)
    assert hass.states.get(COUNTDOWN).attributes["action"] == "off"
    assert sim_socket.countdown is not None and sim_socket.countdown.action is False

    # A poll reads the same countdown back: the timestamp does not move.
    await coordinator(entry).async_refresh()
    assert datetime.fromisoformat(hass.states.get(COUNTDOWN).state) == ends_at

    # Switched off by hand: the socket drops the countdown, and so does the sensor.
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(COUNTDOWN).state == STATE_UNKNOWN, what="no countdown")
    assert hass.states.get(COUNTDOWN).attributes["action"] is None

    # A press that switches on starts it again.
    simulator.press(sim_socket.mac)
    await wait_for(lambda: hass.states.get(COUNTDOWN).state != STATE_UNKNOWN, what="the new countdown")


async def test_countdown_unread_when_the_socket_goes_quiet(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Switched on with auto-off, then gone: the countdown stays unknown, nothing is raised."""
    await hass.services.async_call("switch", "turn_on", {"entity_id": AUTO_OFF}, blocking=True)
    simulator.press(sim_socket.mac)
    simulator.set_online(sim_socket.mac, False)
    await wait_for(lambda: "could not read the countdown" in caplog.text, what="the failed read")
    assert hass.states.get(POWER).state == STATE_ON
    assert hass.states.get(COUNTDOWN).state == STATE_UNKNOWN


async def test_countdown_fires_and_clears(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """start_countdown shows the moment; when it fires the relay switches and the sensor clears."""
    before = dt_util.utcnow()
    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": {"seconds": 1}, "action": "on"}, blocking=True
    )
    after = dt_util.utcnow()
    state = hass.states.get(COUNTDOWN)
    assert state.attributes["action"] == "on"
    ends_at = datetime.fromisoformat(state.state)
    assert before <= ends_at <= after + timedelta(seconds=2)  # a second from the call, shown to the second
    await wait_for(lambda: hass.states.get(POWER).state == STATE_ON, what="the countdown firing")
    assert sim_socket.state is True
    await wait_for(lambda: hass.states.get(COUNTDOWN).state == STATE_UNKNOWN)


async def test_poll_reads_a_countdown_started_elsewhere(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """A countdown started by the vendor app shows after the next poll."""
    sim_socket._start_countdown(True, 600)  # what a `cd` from another controller does
    await coordinator(entry).async_refresh()
    state = hass.states.get(COUNTDOWN)
    assert state.attributes["action"] == "on"
    ends_at = datetime.fromisoformat(state.state)
    assert abs((ends_at - dt_util.utcnow()).total_seconds() - 600) < 3


# --- the socket's clock ------------------------------------------------------------------------


async def test_clock_and_time_zone_set_on_setup_and_daily(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Set at setup, and again every night at 03:00:30 local time."""
    await wait_for(lambda: clock_in_step(sim_socket), what="the clock at setup")
    assert _timezone_of(sim_socket) == _local_offset_hours()

    _unset_clock_and_zone(sim_socket)
    now = dt_util.now()
    # 03:00:29 local: not yet.
    not_yet = now.replace(hour=3, minute=0, second=29, microsecond=0)
    if not_yet <= now:
        not_yet += timedelta(days=1)
    async_fire_time_changed(hass, not_yet)
    await hass.async_block_till_done()
    assert not clock_in_step(sim_socket)
    async_fire_time_changed(hass, not_yet + timedelta(seconds=1))
    await hass.async_block_till_done()
    await wait_for(lambda: clock_in_step(sim_socket), what="the daily clock")
    await wait_for(lambda: _timezone_of(sim_socket) == _local_offset_hours(), what="the daily time zone")


async def test_half_hour_time_zone(hass: HomeAssistant, setup_network: None, sim_socket: VirtualSocket) -> None:
    """India: UTC+05:30 is stored as 5 h plus the half-hour flag."""
    await hass.config.async_set_time_zone("Asia/Kolkata")
    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(lambda: _timezone_of(sim_socket) == (5, 3), what="the time zone")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_time_zone_the_socket_cannot_store_warns_once(
    hass: HomeAssistant,
    setup_network: None,
    sim_socket: VirtualSocket,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nepal (UTC+05:45) cannot be stored: the clock is set, one warning says timers run in UTC."""
    await hass.config.async_set_time_zone("Asia/Kathmandu")
    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for(lambda: clock_in_step(sim_socket))
    coord = coordinator(entry)
    coord._clock_due = True
    await coord.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "time zone not set" in r.getMessage()]
    assert len(warnings) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def test_clock_sync_retried_after_a_failure(
    hass: HomeAssistant, short_deadline: None, entry: MockConfigEntry, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """A sync the socket did not answer is tried again on the next poll."""
    coord = coordinator(entry)
    await wait_for(lambda: clock_in_step(sim_socket))
    _unset_clock_and_zone(sim_socket)
    simulator.set_online(sim_socket.mac, False)
    coord._clock_due = True
    await coord._async_sync_clock()
    assert coord._clock_due
    simulator.set_online(sim_socket.mac, True)
    await coord.async_refresh()
    await wait_for(lambda: not coord._clock_due, what="the retry")
    assert clock_in_step(sim_socket)
