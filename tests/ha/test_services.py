"""The entity services, read back from the simulator, and every bad input refused before sending."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any
from unittest.mock import Mock, patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol import COUNTDOWN_MAX_S, PowerState, Timer, Weekday, encode_name
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, service
from homeassistant.helpers.entity_platform import DATA_DOMAIN_PLATFORM_ENTITIES
from homeassistant.helpers.typing import VolDictType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import AUTO_OFF, COUNTDOWN, POWER, socket_device, wait_for
from .conftest import make_entry

SERVICES = (
    "rename", "start_countdown", "cancel_countdown", "add_timer", "remove_timer", "clear_timers", "get_timers",
)


async def _call(
    hass: HomeAssistant, service_name: str, entity_id: str = POWER, response: bool = False, **data: Any
) -> ServiceResponse:
    return await hass.services.async_call(
        DOMAIN, service_name, {"entity_id": entity_id, **data}, blocking=True, return_response=response
    )


def _stored(sock: VirtualSocket) -> tuple[object, ...]:
    """Everything a service could write."""
    return sock.table_versions, sock.socket_data, sock.timers, sock.countdown


def _tomorrow() -> date:
    return dt_util.now().date() + timedelta(days=1)


# --- the stored name ---------------------------------------------------------------------------


async def test_rename_and_the_device_name_follows(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, device_registry: dr.DeviceRegistry
) -> None:
    """The name is stored in the socket, and the device follows unless the user renamed it."""
    await _call(hass, "rename", name="  Hall light ")
    assert sim_socket.name == "Hall light"
    device = socket_device(hass, entry)
    await wait_for(lambda: device_registry.async_get(device.id).name == "Hall light")
    assert hass.states.get(POWER).attributes["friendly_name"] == "Hall light"

    # Sixteen ASCII bytes fit exactly.
    await _call(hass, "rename", entity_id=AUTO_OFF, name="A" * 16)
    assert sim_socket.name == "A" * 16

    device_registry.async_update_device(device.id, name_by_user="My lamp")
    await _call(hass, "rename", name="Porch")
    assert sim_socket.name == "Porch"
    await wait_for(lambda: device_registry.async_get(device.id).name == "Porch")
    assert device_registry.async_get(device.id).name_by_user == "My lamp"
    assert hass.states.get(POWER).attributes["friendly_name"] == "My lamp"

    # An empty name clears the stored one: the device is named after its MAC again.
    device_registry.async_update_device(device.id, name_by_user=None)
    await _call(hass, "rename", name="")
    assert sim_socket.socket_data.name_raw == encode_name(None)
    await wait_for(lambda: device_registry.async_get(device.id).name == "S20 " + sim_socket.mac.compact[-6:])


async def test_rename_refuses_what_the_socket_cannot_store(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """17 bytes, non-ASCII, control characters: a translated validation error, the name untouched."""
    before = _stored(sim_socket)
    for name in ("A" * 17, "Lampe à café", "Bell\x07"):
        with pytest.raises(ServiceValidationError) as caught:
            await _call(hass, "rename", name=name)
        assert caught.value.translation_domain == DOMAIN
        assert caught.value.translation_key == "invalid_name", name
        assert caught.value.translation_placeholders["length"] == "16"
        assert "at most 16 bytes" in str(caught.value)
        assert _stored(sim_socket) == before, name


# --- countdown ---------------------------------------------------------------------------------


async def test_start_and_cancel_countdown(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """start_countdown runs on the socket (default action: off); cancel stops it."""
    await _call(hass, "start_countdown", duration={"minutes": 5})
    countdown = sim_socket.countdown
    assert countdown is not None and countdown.action is False and 298 <= countdown.remaining_s <= 300
    assert hass.states.get(COUNTDOWN).attributes["action"] == "off"

    await _call(hass, "start_countdown", duration=COUNTDOWN_MAX_S, action="on")
    assert sim_socket.countdown.action is True
    assert sim_socket.countdown.remaining_s >= COUNTDOWN_MAX_S - 2

    await _call(hass, "cancel_countdown")
    assert sim_socket.countdown is None
    assert hass.states.get(COUNTDOWN).state == STATE_UNKNOWN


async def test_start_countdown_refuses_bad_durations(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Zero, too long, fractional, negative: a translated validation error, and nothing is sent."""
    received = sim_socket.counters.received
    for duration in ({"seconds": 0}, {"seconds": COUNTDOWN_MAX_S + 1}, {"seconds": 1.5}, "-00:01:00"):
        with pytest.raises(ServiceValidationError) as caught:
            await _call(hass, "start_countdown", duration=duration)
        assert caught.value.translation_domain == DOMAIN
        assert caught.value.translation_key == "invalid_duration", duration
        assert caught.value.translation_placeholders["max"] == str(COUNTDOWN_MAX_S)
    assert sim_socket.counters.received == received
    assert sim_socket.countdown is None


# --- timers ------------------------------------------------------------------------------------


async def test_timers_add_get_remove_clear(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Weekly and one-off timers land in table 3 as asked; get_timers returns them."""
    weekly = await _call(hass, "add_timer", response=True, time="07:30:00", weekdays=["mon", "fri"], action="on")
    weekly_id = weekly[POWER]["id"]
    stored = sim_socket.timers[weekly_id]
    assert stored.is_weekly and stored.weekdays == {Weekday.MONDAY, Weekday.FRIDAY}
    assert stored.at == time(7, 30) and stored.action is PowerState.ON

    day = _tomorrow()
    once = await _call(hass, "add_timer", response=True, time="22:15", date=day.isoformat(), action="off")
    once_id = once[POWER]["id"]
    stored = sim_socket.timers[once_id]
    assert not stored.is_weekly and stored.date == day
    assert stored.at == time(22, 15) and stored.action is PowerState.OFF

    # A timer stored by the vendor app, with its name.
    sim_socket.add_timer(
        Timer(
            code=7, name_raw=encode_name("Wake up"), action=PowerState.ON,
            year=day.year, month=day.month, day=day.day, hour=6, minute=0,
        )
    )
    response = await _call(hass, "get_timers", response=True)
    timers = response[POWER]["timers"]
    assert [timer["id"] for timer in timers] == sorted([weekly_id, once_id, 7])
    by_id = {timer["id"]: timer for timer in timers}
    assert by_id[weekly_id] == {
        "id": weekly_id, "action": "on", "time": "07:30:00", "weekdays": ["mon", "fri"], "date": None, "name": None,
    }
    assert by_id[once_id] == {
        "id": once_id, "action": "off", "time": "22:15:00", "weekdays": [], "date": day.isoformat(), "name": None,
    }
    assert by_id[7]["name"] == "Wake up"

    await _call(hass, "remove_timer", id=weekly_id)
    assert set(sim_socket.timers) == {once_id, 7}
    await _call(hass, "clear_timers")
    assert sim_socket.timers == {}
    assert (await _call(hass, "get_timers", response=True))[POWER] == {"timers": []}


async def test_remove_unknown_timer_is_refused(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """An id the socket does not have: a translated validation error, nothing deleted."""
    await _call(hass, "add_timer", time="08:00", weekdays="sun", action="off")
    before = _stored(sim_socket)
    unknown = next(code for code in range(1, 10) if code not in sim_socket.timers)
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "remove_timer", id=unknown)
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == "unknown_timer"
    assert caught.value.translation_placeholders == {"id": str(unknown)}
    assert _stored(sim_socket) == before


BAD_TIMERS: tuple[tuple[dict[str, Any], str], ...] = (
    ({"date": "2026-02-30"}, "invalid_date"),  # impossible
    ({"date": "next tuesday"}, "invalid_date"),
    ({"date": "2020-01-01"}, "timer_in_past"),
    ({"weekdays": ["mon"], "date": "2099-01-01"}, "timer_weekdays_and_date"),
    ({}, "timer_needs_day"),
    ({"weekdays": []}, "timer_needs_day"),
)


async def test_add_timer_refuses_bad_input(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Each bad day: a translated validation error, and nothing is sent or written."""
    before = _stored(sim_socket)
    received = sim_socket.counters.received
    for data, key in BAD_TIMERS:
        with pytest.raises(ServiceValidationError) as caught:
            await _call(hass, "add_timer", time="07:00", action="on", **data)
        assert caught.value.translation_domain == DOMAIN
        assert caught.value.translation_key == key, data
        assert str(caught.value) != key  # the message comes from translations/en.json
    assert _stored(sim_socket) == before
    assert sim_socket.counters.received == received


async def test_add_timer_earlier_today_is_in_the_past(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """Today at a time already gone (in Home Assistant's time zone) is refused."""
    now = dt_util.now()
    if now.hour == 0 and now.minute == 0:
        pytest.skip("no earlier time today")
    with pytest.raises(ServiceValidationError) as caught:
        await _call(hass, "add_timer", time="00:00:00", date=now.date().isoformat(), action="on")
    assert caught.value.translation_key == "timer_in_past"
    assert sim_socket.timers == {}


async def test_service_to_an_offline_socket_raises(
    hass: HomeAssistant,
    short_deadline: None,
    entry: MockConfigEntry,
    simulator: Simulator,
    sim_socket: VirtualSocket,
) -> None:
    """A socket that does not answer: a translated HomeAssistantError (not a validation error)."""
    simulator.set_online(sim_socket.mac, False)
    for name, data in (("get_timers", {}), ("rename", {"name": "Porch"})):
        with pytest.raises(HomeAssistantError) as caught:
            await _call(hass, name, response=name == "get_timers", **data)
        assert not isinstance(caught.value, ServiceValidationError)
        assert caught.value.translation_domain == DOMAIN
        assert caught.value.translation_key == "command_failed"
    assert sim_socket.name == "Desk lamp"


# --- registration ------------------------------------------------------------------------------


async def test_services_registered_by_the_switch_platform(
    hass: HomeAssistant,
    network_config: dict[str, object],
    sim_socket: VirtualSocket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before Home Assistant 2025.10 the services come with the first socket's switch platform."""
    # On a newer Home Assistant, without what an older one lacks.
    monkeypatch.delattr(service, "async_register_platform_entity_service", raising=False)
    assert await async_setup_component(hass, DOMAIN, network_config)
    assert not hass.services.has_service(DOMAIN, "rename")
    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    for name in SERVICES:
        assert hass.services.has_service(DOMAIN, name)
    assert hass.services.supports_response(DOMAIN, "get_timers") is SupportsResponse.ONLY
    assert hass.services.supports_response(DOMAIN, "add_timer") is SupportsResponse.OPTIONAL
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _register_platform_entity_service(
    hass: HomeAssistant,
    service_domain: str,
    service_name: str,
    *,
    entity_domain: str,
    func: Any,
    schema: VolDictType,
    required_features: Any = None,
    supports_response: SupportsResponse = SupportsResponse.NONE,
) -> None:
    """What Home Assistant 2025.10 does: an entity service over one integration's entities of a domain."""
    entities = hass.data.setdefault(DATA_DOMAIN_PLATFORM_ENTITIES, {}).setdefault((entity_domain, service_domain), {})
    service.async_register_entity_service(
        hass, service_domain, service_name, entities=entities, func=func, job_type=None,
        required_features=required_features, schema=schema, supports_response=supports_response,
    )


@pytest.fixture
def platform_entity_services() -> Iterator[Mock | None]:
    """Home Assistant ≥ 2025.10 has `service.async_register_platform_entity_service`.

    Where it does (the newest leg), nothing stands in: None, and the test sees the real one at
    work. Where it does not, what it does, written out above, as a Mock that counts its calls.
    """
    if hasattr(service, "async_register_platform_entity_service"):
        yield None
        return
    register = Mock(wraps=_register_platform_entity_service)
    with patch.object(service, "async_register_platform_entity_service", register, create=True):
        yield register


async def test_services_registered_at_setup_on_newer_home_assistant(
    hass: HomeAssistant,
    platform_entity_services: Mock | None,
    network_config: dict[str, object],
    sim_socket: VirtualSocket,
) -> None:
    """From 2025.10 the services are registered once, in async_setup, and the platform adds none."""
    assert await async_setup_component(hass, DOMAIN, network_config)
    if platform_entity_services is not None:
        assert sorted(call.args[2] for call in platform_entity_services.call_args_list) == sorted(SERVICES)
        for call in platform_entity_services.call_args_list:
            assert call.args[:2] == (hass, DOMAIN)
            assert call.kwargs["entity_domain"] == "switch"
    # Before any socket is set up: only async_setup can have registered them.
    assert sorted(hass.services.async_services_for_domain(DOMAIN)) == sorted(SERVICES)

    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    if platform_entity_services is not None:
        assert platform_entity_services.call_count == len(SERVICES)
    await _call(hass, "rename", name="Porch")
    assert sim_socket.name == "Porch"
    response = await _call(hass, "get_timers", response=True)
    assert response == {POWER: {"timers": []}}
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
