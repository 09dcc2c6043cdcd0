"""When the socket's timers fire, as moments in Home Assistant's time zone.

A timer stores a wall time in the socket's local time (PROTOCOL.md §3.7). The coordinator keeps
the socket's zone at Home Assistant's current UTC offset, with no DST rule, and sets it again
every night at `CLOCK_SYNC_AT` (just after any DST change). So on a day with a DST change a
timer before the nightly sync runs on the day before's offset: a 02:30 timer on the spring
change fires at 03:30 summer time, and on the autumn change at the first 02:30. These functions
model exactly that, so the calendar and the next-switch sensor say what the socket will do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .const import CLOCK_SYNC_AT
from .protocol import Timer

_SYNC_AT = time(*CLOCK_SYNC_AT)
_DAY = timedelta(days=1)
# A weekly timer fires at least once in any 8 days; a one-off on one day.
_SEARCH_DAYS = 8


def _socket_offset(day: date, at: time, zone: tzinfo) -> timedelta:
    """The UTC offset the socket applies at wall time `at` on `day`: the last nightly sync's."""
    synced_on = day if at >= _SYNC_AT else day - _DAY
    return datetime.combine(synced_on, _SYNC_AT, tzinfo=zone).utcoffset() or timedelta(0)


def fire_time(day: date, at: time, zone: tzinfo) -> datetime:
    """The moment, in `zone`, a timer set for wall time `at` fires on `day`."""
    utc = datetime.combine(day, at, tzinfo=UTC) - _socket_offset(day, at, zone)
    return utc.astimezone(zone)


def socket_wall_time(moment: datetime, zone: tzinfo) -> tuple[date, time]:
    """The day and wall time a timer must store to fire at `moment` (the inverse of fire_time)."""
    local = moment.astimezone(zone)
    offset = _socket_offset(local.date(), local.time(), zone)
    wall = (moment.astimezone(UTC) + offset).replace(tzinfo=None)
    return wall.date(), wall.time()


def fires_on(timer: Timer, day: date) -> bool:
    """Whether the timer fires on this (socket-local) day."""
    if not timer.is_weekly:
        return timer.date == day
    # The socket checks the weekday bits only (not the date it stores as the day it was set).
    return any(bit == 1 << day.weekday() for bit in timer.weekdays)


def occurrences(timer: Timer, start: datetime, end: datetime, zone: tzinfo) -> Iterator[datetime]:
    """The moments in [start, end) the timer fires, in order."""
    # A day's firing can land on the neighbouring local day (a DST shift): look one day wider.
    day = start.astimezone(zone).date() - _DAY
    last = end.astimezone(zone).date() + _DAY
    while day <= last:
        if fires_on(timer, day):
            moment = fire_time(day, timer.at, zone)
            if start <= moment < end:
                yield moment
        day += _DAY


def next_occurrence(timer: Timer, after: datetime, zone: tzinfo) -> datetime | None:
    """The first moment after `after` the timer fires; None when it never fires again."""
    if not timer.is_weekly:
        day = timer.date
        if day is None:
            return None
        moment = fire_time(day, timer.at, zone)
        return moment if moment > after else None
    return next(occurrences(timer, after + timedelta(microseconds=1), after + _SEARCH_DAYS * _DAY, zone), None)
