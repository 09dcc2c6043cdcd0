"""The schedule calendar against the simulator: timers shown as events, events made into timers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.orvibo_s20.const import DOMAIN
from custom_components.orvibo_s20.protocol import PowerState, Timer, Weekday, encode_name
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from simulator.device import VirtualSocket

from .common import POWER

CALENDAR = "calendar.desk_lamp_schedule"
BERLIN = ZoneInfo("Europe/Berlin")
# Europe/Berlin's next changes after the suite's dates: summer time from 2027-03-28 02:00 (+1 → +2).
SPRING_CHANGE = date(2027, 3, 28)
AUTUMN_CHANGE = date(2027, 10, 31)


@pytest.fixture
async def berlin(hass: HomeAssistant) -> None:
    """Home Assistant (and so the socket, set up after) in a zone with DST (request it before `entry`)."""
    await hass.config.async_set_time_zone("Europe/Berlin")


def _weekly(code: int, at: time, days: set[Weekday], action: PowerState) -> Timer:
    return Timer.weekly(code=code, at=at, weekdays=frozenset(days), action=action, today=date(2026, 1, 5))


async def _events(hass: HomeAssistant, start: datetime, end: datetime) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        "calendar", "get_events", {"entity_id": CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True, return_response=True,
    )
    return response[CALENDAR]["events"]  # type: ignore[index,no-any-return]


def _stored(sock: VirtualSocket) -> tuple[object, ...]:
    """Everything a refused event could have written."""
    return sock.table_versions, sock.timers, sock.countdown


class _Ws:
    """The calendar's websocket commands, as the calendar panel sends them."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.id = 0

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        self.id += 1
        await self.client.send_json({"id": self.id, "entity_id": CALENDAR, **message})
        return await self.client.receive_json()  # type: ignore[no-any-return]


@pytest.fixture
async def ws(hass: HomeAssistant, hass_ws_client: WebSocketGenerator) -> _Ws:
    return _Ws(await hass_ws_client(hass))


# --- reading -----------------------------------------------------------------------------------


async def test_timers_show_on_their_days_and_times(
    hass: HomeAssistant, berlin: None, sim_socket: VirtualSocket, entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Weekly timers recur on their weekdays, a one-off timer is on its date, each titled with its action."""
    sim_socket.add_timer(_weekly(11, time(6, 30), {Weekday.MONDAY, Weekday.WEDNESDAY}, PowerState.ON))
    day = dt_util.now().date() + timedelta(days=3)
    sim_socket.add_timer(
        Timer(code=12, name_raw=encode_name("Night"), action=PowerState.OFF,
              year=day.year, month=day.month, day=day.day, hour=22, minute=15)
    )
    await hass.services.async_call(DOMAIN, "get_timers", {"entity_id": POWER}, blocking=True, return_response=True)
    assert entity_registry.async_get(CALENDAR).translation_key == "schedule"

    start = datetime.combine(dt_util.now().date(), time(0), tzinfo=BERLIN)
    events = await _events(hass, start, start + timedelta(days=14))
    weekly = [event for event in events if event["summary"] == "Switch on"]
    moments = [datetime.fromisoformat(event["start"]) for event in weekly]
    assert len(weekly) == 4
    assert {moment.weekday() for moment in moments} == {0, 2}
    assert {moment.astimezone(BERLIN).time() for moment in moments} == {time(6, 30)}
    assert all(
        datetime.fromisoformat(event["end"]) - datetime.fromisoformat(event["start"]) == timedelta(minutes=1)
        for event in events
    )
    [once] = [event for event in events if event["summary"] == "Switch off"]
    assert datetime.fromisoformat(once["start"]) == datetime.combine(day, time(22, 15), tzinfo=BERLIN)
    assert once["description"] == "Night"

    # The calendar's state: the next switch.
    state = hass.states.get(CALENDAR)
    assert state.state == "off"
    now = dt_util.now()
    first = min(m for m in [*moments, datetime.fromisoformat(once["start"])] if m + timedelta(minutes=1) > now)
    assert state.attributes["start_time"] == first.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M:%S")


async def test_weekly_events_carry_their_rule(
    hass: HomeAssistant, berlin: None, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    """The calendar panel sees a recurring event: the socket's code as uid, the rule, one id per day."""
    sim_socket.add_timer(_weekly(11, time(6, 30), {Weekday.FRIDAY, Weekday.MONDAY}, PowerState.ON))
    await hass.services.async_call(DOMAIN, "get_timers", {"entity_id": POWER}, blocking=True, return_response=True)
    start = datetime.combine(dt_util.now().date(), time(0), tzinfo=BERLIN)
    events = await _events(hass, start, start + timedelta(days=7))
    assert len(events) == 2
    entity = hass.data["calendar"].get_entity(CALENDAR)
    listed = await entity.async_get_events(hass, start, start + timedelta(days=7))
    assert {event.uid for event in listed} == {"11"}
    assert {event.rrule for event in listed} == {"FREQ=WEEKLY;BYDAY=MO,FR"}
    assert len({event.recurrence_id for event in listed}) == 2


async def test_countdown_is_one_event(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    """A running countdown shows as one event where it ends; none once cancelled."""
    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": "02:00:00", "action": "on"}, blocking=True
    )
    now = dt_util.now()
    [event] = await _events(hass, now, now + timedelta(days=1))
    assert event["summary"] == "Switch on"
    assert abs(datetime.fromisoformat(event["start"]) - (now + timedelta(hours=2))) <= timedelta(seconds=2)
    await hass.services.async_call(DOMAIN, "cancel_countdown", {"entity_id": POWER}, blocking=True)
    assert await _events(hass, now, now + timedelta(days=1)) == []


async def test_times_stay_right_across_dst_changes(
    hass: HomeAssistant, berlin: None, sim_socket: VirtualSocket, entry: MockConfigEntry
) -> None:
    """A daily 06:30 timer is at 06:30 local time before and after each change; a timer in the
    spring change's missing hour fires an hour later, as the socket still on winter time does."""
    every_day = set(Weekday)
    sim_socket.add_timer(_weekly(21, time(6, 30), every_day, PowerState.ON))
    sim_socket.add_timer(_weekly(22, time(2, 30), every_day, PowerState.OFF))
    await hass.services.async_call(DOMAIN, "get_timers", {"entity_id": POWER}, blocking=True, return_response=True)
    for change in (SPRING_CHANGE, AUTUMN_CHANGE):
        start = datetime.combine(change - timedelta(days=1), time(0), tzinfo=BERLIN)
        events = await _events(hass, start, start + timedelta(days=3))
        mornings = [datetime.fromisoformat(e["start"]) for e in events if e["summary"] == "Switch on"]
        assert [m.astimezone(BERLIN).time() for m in mornings] == [time(6, 30)] * 3
        offsets = [m.utcoffset() for m in mornings]
        assert offsets[0] != offsets[2]  # the zone did change in between
        nights = {
            datetime.fromisoformat(e["start"]).date(): datetime.fromisoformat(e["start"]).astimezone(BERLIN)
            for e in events if e["summary"] == "Switch off"
        }
        if change == SPRING_CHANGE:
            # 02:30 does not exist that night; the socket, on +1 until the 03:00 sync, fires at 01:30 UTC.
            assert nights[change].time() == time(3, 30)
            assert nights[change].astimezone(UTC).time() == time(1, 30)
        else:
            # 02:30 happens twice; the socket, still on +2, fires at the first.
            assert nights[change].astimezone(UTC).time() == time(0, 30)
        assert nights[change + timedelta(days=1)].time() == time(2, 30)


# --- creating ----------------------------------------------------------------------------------


async def test_created_events_become_timers(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket, ws: _Ws
) -> None:
    """A single time becomes a one-off timer, a weekly rule a weekly timer, in local time."""
    day = dt_util.now().date() + timedelta(days=2)
    start = datetime.combine(day, time(21, 45), tzinfo=BERLIN)
    await hass.services.async_call(
        "calendar", "create_event",
        {"entity_id": CALENDAR, "summary": "Switch off", "start_date_time": start,
         "end_date_time": start + timedelta(minutes=1)},
        blocking=True,
    )
    [once] = sim_socket.timers.values()
    assert (once.date, once.at, once.action, once.is_weekly) == (day, time(21, 45), PowerState.OFF, False)

    start = datetime.combine(day, time(7, 5, 30), tzinfo=BERLIN)
    reply = await ws.send({
        "type": "calendar/event/create",
        "event": {"summary": "on", "dtstart": start.isoformat(), "dtend": (start + timedelta(seconds=30)).isoformat(),
                  "rrule": "FREQ=WEEKLY;BYDAY=TU,SA"},
    })
    assert reply["success"], reply
    [weekly] = [timer for timer in sim_socket.timers.values() if timer.is_weekly]
    assert weekly.weekdays == {Weekday.TUESDAY, Weekday.SATURDAY}
    assert (weekly.at, weekly.action) == (time(7, 5, 30), PowerState.ON)

    # Shown at once, as the socket stores them.
    events = await _events(hass, start - timedelta(days=1), start + timedelta(days=8))
    ons = [datetime.fromisoformat(event["start"]) for event in events if event["summary"] == "Switch on"]
    assert len(ons) >= 2
    assert {moment.weekday() for moment in ons} == {1, 5}
    assert {moment.time() for moment in ons} == {time(7, 5, 30)}
    assert [event["start"] for event in events if event["summary"] == "Switch off"] == [
        datetime.combine(day, time(21, 45), tzinfo=BERLIN).isoformat()
    ]


async def test_weekly_rule_without_days_takes_the_start_day(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket, ws: _Ws
) -> None:
    start = datetime(2027, 1, 7, 8, 0, tzinfo=BERLIN)  # a Thursday
    reply = await ws.send({
        "type": "calendar/event/create",
        "event": {"summary": "Switch on", "dtstart": start.isoformat(),
                  "dtend": (start + timedelta(minutes=1)).isoformat(), "rrule": "FREQ=WEEKLY"},
    })
    assert reply["success"], reply
    [weekly] = sim_socket.timers.values()
    assert weekly.weekdays == {Weekday.THURSDAY}


@pytest.mark.parametrize(
    ("minutes", "summary", "key"),
    [
        (60, "Switch on", "timer_event_length"),
        (1, "Heat", "timer_event_action"),
    ],
)
async def test_refused_events_write_nothing(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket,
    minutes: int, summary: str, key: str,
) -> None:
    """An event with a length or a title that is no action is refused, and the socket untouched."""
    before = _stored(sim_socket)
    start = dt_util.now() + timedelta(days=1)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "calendar", "create_event",
            {"entity_id": CALENDAR, "summary": summary, "start_date_time": start,
             "end_date_time": start + timedelta(minutes=minutes)},
            blocking=True,
        )
    assert caught.value.translation_domain == DOMAIN
    assert caught.value.translation_key == key
    assert _stored(sim_socket) == before


async def test_refused_in_the_past_and_all_day(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    before = _stored(sim_socket)
    start = dt_util.now() - timedelta(hours=1)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "calendar", "create_event",
            {"entity_id": CALENDAR, "summary": "off", "start_date_time": start,
             "end_date_time": start + timedelta(minutes=1)},
            blocking=True,
        )
    assert caught.value.translation_key == "timer_in_past"
    tomorrow = dt_util.now().date() + timedelta(days=1)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "calendar", "create_event",
            {"entity_id": CALENDAR, "summary": "off", "start_date": tomorrow, "end_date": tomorrow + timedelta(days=1)},
            blocking=True,
        )
    assert caught.value.translation_key == "timer_event_all_day"
    assert _stored(sim_socket) == before


@pytest.mark.parametrize(
    "rrule",
    ["FREQ=MONTHLY", "FREQ=DAILY", "FREQ=WEEKLY;COUNT=3", "FREQ=WEEKLY;UNTIL=20270101T000000Z",
     "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=1MO"],
)
async def test_rules_the_socket_cannot_store_are_refused(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket, ws: _Ws, rrule: str
) -> None:
    before = _stored(sim_socket)
    start = dt_util.now() + timedelta(days=1)
    reply = await ws.send({
        "type": "calendar/event/create",
        "event": {"summary": "on", "dtstart": start.isoformat(),
                  "dtend": (start + timedelta(minutes=1)).isoformat(), "rrule": rrule},
    })
    assert not reply["success"]
    assert "cannot be stored" in reply["error"]["message"], reply
    assert _stored(sim_socket) == before


async def test_more_timers_than_the_socket_holds_are_refused(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    sim_socket.add_timer(_weekly(1, time(6), {Weekday.MONDAY}, PowerState.ON))
    sim_socket.add_timer(_weekly(2, time(7), {Weekday.MONDAY}, PowerState.OFF))
    before = _stored(sim_socket)
    start = dt_util.now() + timedelta(days=1)
    with patch("custom_components.orvibo_s20.calendar.MAX_TIMERS", 2), pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            "calendar", "create_event",
            {"entity_id": CALENDAR, "summary": "on", "start_date_time": start,
             "end_date_time": start + timedelta(minutes=1)},
            blocking=True,
        )
    assert caught.value.translation_key == "too_many_timers"
    assert caught.value.translation_placeholders == {"max": "2"}
    assert _stored(sim_socket) == before


# --- deleting ----------------------------------------------------------------------------------


async def test_deleting_events_removes_timers(
    hass: HomeAssistant, berlin: None, entry: MockConfigEntry, sim_socket: VirtualSocket, ws: _Ws
) -> None:
    """Deleting a one-off event or a whole weekly series removes the timer; one day of a weekly
    timer cannot be skipped; deleting the countdown's event cancels it."""
    day = dt_util.now().date() + timedelta(days=2)
    sim_socket.add_timer(Timer.once(code=31, at=time(20, 0), on=day, action=PowerState.OFF))
    sim_socket.add_timer(_weekly(32, time(6, 0), set(Weekday), PowerState.ON))
    await hass.services.async_call(DOMAIN, "get_timers", {"entity_id": POWER}, blocking=True, return_response=True)

    assert (await ws.send({"type": "calendar/event/delete", "uid": "31"}))["success"]
    assert set(sim_socket.timers) == {32}

    entity = hass.data["calendar"].get_entity(CALENDAR)
    now = dt_util.now()
    upcoming = await entity.async_get_events(hass, now, now + timedelta(days=3))
    later = upcoming[-1].recurrence_id
    reply = await ws.send({"type": "calendar/event/delete", "uid": "32", "recurrence_id": upcoming[0].recurrence_id})
    assert not reply["success"]
    reply = await ws.send(
        {"type": "calendar/event/delete", "uid": "32", "recurrence_id": later, "recurrence_range": "THISANDFUTURE"}
    )
    assert not reply["success"]  # the occurrences before it would be lost too
    assert set(sim_socket.timers) == {32}
    reply = await ws.send({
        "type": "calendar/event/delete", "uid": "32", "recurrence_id": upcoming[0].recurrence_id,
        "recurrence_range": "THISANDFUTURE",
    })
    assert reply["success"], reply
    assert sim_socket.timers == {}

    reply = await ws.send({"type": "calendar/event/delete", "uid": "32"})
    assert not reply["success"]

    await hass.services.async_call(
        DOMAIN, "start_countdown", {"entity_id": POWER, "duration": "01:00:00", "action": "off"}, blocking=True
    )
    assert sim_socket.countdown is not None
    assert (await ws.send({"type": "calendar/event/delete", "uid": "countdown"}))["success"]
    assert sim_socket.countdown is None
    assert await entity.async_get_events(hass, now, now + timedelta(days=3)) == []


def test_berlin_has_the_changes_the_tests_assume() -> None:
    """The DST dates above are Europe/Berlin's (tzdata), so the DST test crosses real changes."""
    for change in (SPRING_CHANGE, AUTUMN_CHANGE):
        before = datetime.combine(change, time(0), tzinfo=BERLIN).utcoffset()
        after = datetime.combine(change, time(12), tzinfo=BERLIN).utcoffset()
        assert before != after
