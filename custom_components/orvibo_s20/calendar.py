"""The socket's schedule as a calendar: its timers (table 3) and the running countdown.

A timer switches at one moment, and Home Assistant's calendar has no instant events: an event
must last at least a second when it is created, and one of no length is never "on". So each
switch is a one-minute event (start = the switch), which keeps the calendar's state and its
automation triggers working; an event created in the calendar may last up to that minute.

* a weekly timer is a recurring event (`FREQ=WEEKLY;BYDAY=…`), uid = the timer's code and
  recurrence id = the occurrence's local start;
* a one-off timer is one event on its date, uid = its code;
* the running countdown is one event, uid `countdown`.

Titles are the action in the user's language ("Switch on"/"Switch off": the words the
countdown sensor's action already uses). Creating an event adds a timer (a single time → a
one-off timer, weekly on chosen days → a weekly timer, the title says which way), deleting one
removes the timer or cancels the countdown. What the socket cannot store is refused before
anything is sent, with a translated error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from homeassistant.components.calendar import CalendarEntity, CalendarEntityDescription, CalendarEvent
from homeassistant.components.calendar.const import CalendarEntityFeature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util

from .const import ACTION_OFF, ACTION_ON, DOMAIN, MAX_TIMERS
from .coordinator import S20ConfigEntry, S20Countdown
from .entity import S20Entity, s20_exception_handler
from .occurrences import next_occurrence, occurrences, socket_wall_time
from .protocol import PowerState, Timer, Weekday
from .services import _validation_error

# Each socket serves one request at a time; its client queues them anyway.
PARALLEL_UPDATES = 1

CALENDAR = CalendarEntityDescription(key="schedule", translation_key="schedule")

# How long a switch shows in the calendar, and the longest event that can become a timer.
EVENT_LENGTH = timedelta(minutes=1)
COUNTDOWN_UID = "countdown"
# The recurrence id of a weekly timer's occurrence: its local start, as iCalendar writes it.
RECURRENCE_ID_FORMAT = "%Y%m%dT%H%M%S"
THIS_AND_FUTURE = "THISANDFUTURE"
# How far ahead `event` (the calendar's state) looks: every weekly timer fires within a week.
_LOOKAHEAD = timedelta(days=8)

_BYDAY: dict[str, Weekday] = dict(zip(("MO", "TU", "WE", "TH", "FR", "SA", "SU"), Weekday, strict=True))
_BYDAY_NAMES = {day: name for name, day in _BYDAY.items()}
# Parts of a rule the socket's weekly timer stores (WKST changes nothing for a weekly rule).
_RULE_PARTS = frozenset({"FREQ", "BYDAY", "WKST"})
_DEFAULT_TITLES = {ACTION_ON: "Switch on", ACTION_OFF: "Switch off"}


async def async_setup_entry(
    hass: HomeAssistant, entry: S20ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the schedule calendar of a socket."""
    async_add_entities([S20Calendar(entry.runtime_data.coordinator, CALENDAR)])


def _action_name(action: PowerState | bool) -> str:
    return ACTION_ON if action in (PowerState.ON, True) else ACTION_OFF


class S20Calendar(S20Entity, CalendarEntity):
    """The socket's timers and countdown."""

    _attr_supported_features = CalendarEntityFeature.CREATE_EVENT | CalendarEntityFeature.DELETE_EVENT

    _titles: dict[str, str] = _DEFAULT_TITLES

    async def async_added_to_hass(self) -> None:
        """Take the event titles in the user's language."""
        await super().async_added_to_hass()
        self._titles = await self._async_titles()

    async def _async_titles(self) -> dict[str, str]:
        strings = await async_get_translations(self.hass, self.hass.config.language, "entity", {DOMAIN})
        prefix = f"component.{DOMAIN}.entity.sensor.countdown.state_attributes.action.state"
        return {action: strings.get(f"{prefix}.{action}", title) for action, title in _DEFAULT_TITLES.items()}

    # --- reading ---------------------------------------------------------------------------------

    @property
    def event(self) -> CalendarEvent | None:
        """The switch under way or the next one."""
        now = dt_util.now()
        events = self._events(now, now + _LOOKAHEAD)
        if not events:
            return None
        return min(events, key=lambda event: event.start_datetime_local)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The switches in the range, in order."""
        return sorted(self._events(start_date, end_date), key=lambda event: event.start_datetime_local)

    def _events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        zone = dt_util.get_default_time_zone()
        # An event overlaps [start, end) when it starts before end and ends after start.
        since = start - EVENT_LENGTH + timedelta(microseconds=1)
        data = self.coordinator.data
        events = [
            self._timer_event(timer, moment)
            for timer in data.timers
            for moment in occurrences(timer, since, end, zone)
        ]
        countdown = data.countdown
        if countdown is not None and since <= countdown.ends_at < end:
            events.append(self._countdown_event(countdown, zone))
        return events

    def _timer_event(self, timer: Timer, moment: datetime) -> CalendarEvent:
        rrule = recurrence_id = None
        if timer.is_weekly:
            rrule = "FREQ=WEEKLY;BYDAY=" + ",".join(_BYDAY_NAMES[day] for day in sorted(timer.weekdays))
            recurrence_id = moment.strftime(RECURRENCE_ID_FORMAT)
        return CalendarEvent(
            start=moment,
            end=moment + EVENT_LENGTH,
            summary=self._titles[_action_name(timer.action)],
            description=timer.name,
            uid=str(timer.code),
            recurrence_id=recurrence_id,
            rrule=rrule,
        )

    def _countdown_event(self, countdown: S20Countdown, zone: tzinfo) -> CalendarEvent:
        start = countdown.ends_at.astimezone(zone)
        return CalendarEvent(
            start=start,
            end=start + EVENT_LENGTH,
            summary=self._titles[_action_name(countdown.action)],
            uid=COUNTDOWN_UID,
        )

    # --- writing ---------------------------------------------------------------------------------

    @s20_exception_handler
    async def async_create_event(self, **kwargs: Any) -> None:
        """Add the event as a timer, or refuse what the socket cannot store."""
        timer = self._timer_from_event(kwargs)
        coordinator = self.coordinator
        if len(await coordinator.async_read_timers()) >= MAX_TIMERS:
            raise _validation_error("too_many_timers", max=MAX_TIMERS)
        await coordinator.async_add_timer(timer)

    def _timer_from_event(self, event: dict[str, Any]) -> Timer:
        start: date | datetime = event["dtstart"]
        end: date | datetime = event["dtend"]
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            raise _validation_error("timer_event_all_day")
        if end - start > EVENT_LENGTH:
            raise _validation_error("timer_event_length", duration=end - start)
        action = self._action_from_title(str(event.get("summary", "")))
        zone = dt_util.get_default_time_zone()
        start = start.astimezone(zone).replace(microsecond=0)
        day, at = socket_wall_time(start, zone)
        rrule: str | None = event.get("rrule")
        if rrule:
            weekdays = _weekdays_from_rule(rrule, start)
            return Timer.weekly(code=0, at=at, weekdays=weekdays, action=action, today=day)
        if start <= dt_util.now():
            raise _validation_error("timer_in_past", date=start.date(), time=start.time())
        return Timer.once(code=0, at=at, on=day, action=action)

    def _action_from_title(self, title: str) -> PowerState:
        wanted = title.strip().casefold()
        for action, names in (
            (PowerState.ON, {ACTION_ON, _DEFAULT_TITLES[ACTION_ON], self._titles[ACTION_ON]}),
            (PowerState.OFF, {ACTION_OFF, _DEFAULT_TITLES[ACTION_OFF], self._titles[ACTION_OFF]}),
        ):
            if wanted in {name.casefold() for name in names}:
                return action
        raise _validation_error("timer_event_action", title=title, on=self._titles[ACTION_ON], off=self._titles[ACTION_OFF])

    @s20_exception_handler
    async def async_delete_event(
        self, uid: str, recurrence_id: str | None = None, recurrence_range: str | None = None
    ) -> None:
        """Remove the timer (a weekly one whole) or cancel the countdown."""
        coordinator = self.coordinator
        if uid == COUNTDOWN_UID:
            await coordinator.async_cancel_countdown()
            return
        timers = {str(timer.code): timer for timer in await coordinator.async_read_timers()}
        timer = timers.get(uid)
        if timer is None:
            raise _validation_error("unknown_timer", id=uid)
        if timer.is_weekly and recurrence_id and not _ends_the_series(timer, recurrence_id, recurrence_range):
            raise _validation_error("timer_occurrence")
        await coordinator.async_delete_timer(timer.code)


def _weekdays_from_rule(rrule: str, start: datetime) -> frozenset[Weekday]:
    """The weekdays of a FREQ=WEEKLY rule, or a translated refusal of any other rule."""
    try:
        parts = dict(part.split("=", 1) for part in rrule.upper().split(";") if part)
    except ValueError as err:
        raise _validation_error("timer_event_rule", rule=rrule) from err
    if parts.get("FREQ") != "WEEKLY" or not set(parts) <= _RULE_PARTS:
        raise _validation_error("timer_event_rule", rule=rrule)
    names = [name for name in parts.get("BYDAY", "").split(",") if name]
    if not names:
        return frozenset({tuple(Weekday)[start.weekday()]})  # weekly on the start's day
    if any(name not in _BYDAY for name in names):
        raise _validation_error("timer_event_rule", rule=rrule)  # e.g. 1MO, a monthly position
    return frozenset(_BYDAY[name] for name in names)


def _ends_the_series(timer: Timer, recurrence_id: str, recurrence_range: str | None) -> bool:
    """Whether deleting from this occurrence on is deleting the timer: "this and the following"
    from an occurrence no later than the next one (the socket cannot skip a single day)."""
    if recurrence_range != THIS_AND_FUTURE:
        return False
    zone = dt_util.get_default_time_zone()
    try:
        moment = datetime.strptime(recurrence_id, RECURRENCE_ID_FORMAT).replace(tzinfo=zone)
    except ValueError:
        return False
    upcoming = next_occurrence(timer, dt_util.now(), zone)
    return upcoming is None or moment.astimezone(UTC) <= upcoming.astimezone(UTC)

