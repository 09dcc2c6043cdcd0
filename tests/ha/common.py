"""Helpers of the Home Assistant tests: waiting on real UDP, and what the kernel has bound."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from ipaddress import IPv4Address
import logging
from pathlib import Path
import time

import pytest

from custom_components.orvibo_s20.coordinator import S20Coordinator
from custom_components.orvibo_s20.discovery import DATA_NETWORK, S20Network
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from simulator.device import VirtualSocket

POWER = "switch.desk_lamp"
AUTO_OFF = "switch.desk_lamp_auto_off"
LOCKED = "switch.desk_lamp_locked"
DURATION = "number.desk_lamp_auto_off_duration"
COUNTDOWN = "sensor.desk_lamp_countdown"

_NTP_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


async def wait_for(condition: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> float:
    """Wait until condition() is true (the loop keeps running); returns the seconds it took.

    The timeout only ends a wait for what never comes: it is generous, since a busy machine may
    take seconds for what takes milliseconds alone (how fast is scripts/bench's question).
    """
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.005)
    return time.monotonic() - start


def availability_logs(caplog: pytest.LogCaptureFixture, mac: str) -> list[str]:
    """The lines the coordinator logged about the socket going away or coming back."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.INFO and mac in record.getMessage()
        and ("Error fetching" in record.getMessage() or "recovered" in record.getMessage())
    ]


def network(hass: HomeAssistant) -> S20Network:
    """The shared endpoint of this Home Assistant instance."""
    return hass.data[DATA_NETWORK]


def coordinator(entry: ConfigEntry) -> S20Coordinator:
    """The coordinator of a loaded entry."""
    return entry.runtime_data.coordinator


def socket_device(hass: HomeAssistant, entry: ConfigEntry) -> dr.DeviceEntry:
    """The entry's one device (not async_get_device(identifiers=...), deprecated from 2026.9)."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert len(devices) == 1, devices
    return devices[0]


async def assert_model_id_comes_with_a_scan(hass: HomeAssistant, entry: ConfigEntry, model_id: str) -> None:
    """Set up an entry whose device no discovery reply has named yet (as at a restart, where the
    start-up scan comes after the entities): no model id until the next scan's reply fills it in."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert socket_device(hass, entry).model_id is None
    await network(hass).async_discover()
    await wait_for(lambda: socket_device(hass, entry).model_id == model_id, what="the model id")
    assert await hass.config_entries.async_unload(entry.entry_id)


def bound_udp(port: int) -> set[str]:
    """Local IPv4 addresses with a UDP socket bound to port (this network namespace)."""
    found: set[str] = set()
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        local = line.split()[1]
        address, port_hex = local.split(":")
        if int(port_hex, 16) == port:
            found.add(str(IPv4Address(bytes.fromhex(address)[::-1])))
    return found


def socket_clock_utc(sock: VirtualSocket) -> datetime:
    """The simulated socket's clock (seconds since 1900, UTC) as a datetime."""
    return datetime.fromtimestamp(sock.clock + _NTP_EPOCH.timestamp(), UTC)


def clock_in_step(sock: VirtualSocket) -> bool:
    """Whether the socket's clock is within a few seconds of the real time."""
    return abs((socket_clock_utc(sock) - datetime.now(UTC)).total_seconds()) < 5


def record_events(hass: HomeAssistant, entity_id: str) -> list[tuple[str, str]]:
    """Each event the Switched entity fires from now on: (event type, action)."""
    seen: list[tuple[str, str]] = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is not None and state.state not in (STATE_UNKNOWN, "unavailable"):
            seen.append((state.attributes["event_type"], state.attributes["action"]))

    async_track_state_change_event(hass, entity_id, changed)
    return seen
