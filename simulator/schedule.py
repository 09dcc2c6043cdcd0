"""When timers fire: the socket's clock, its time zone, and the timer table (PROTOCOL.md §3.7, §4.6).

Pure functions, no clock of their own: the ticker passes the window of device-clock seconds
that elapsed since its previous look, and gets back the timers whose moment fell inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from custom_components.orvibo_s20.protocol import SocketData, Timer

_EPOCH_1900 = datetime(1900, 1, 1)
# A longer gap means the clock was set (`cs`) or the loop stalled: do not replay a backlog.
MAX_CATCH_UP_S = 10


def local_offset_s(data: SocketData) -> int:
    """Return the UTC offset the socket applies to its clock for timers.

    Table 4 holds whole hours (rec 135, signed) and flags (rec 132): bit 0 clear = DST on,
    bit 1 = half-hour zone, the half hour going the way of the hours (Caracas −4:30 is
    hours −4 with flags 03; PROTOCOL.md §4.6). How the real firmware applies "DST on" is
    unknown (the fw-26 rules block is never interpreted here); this model adds one hour
    whenever the flag says DST is on.
    """
    offset = data.timezone_hours * 3600
    if data.dst_flags & 0x02:
        offset += -1800 if data.timezone_hours < 0 else 1800
    if not data.dst_flags & 0x01:
        offset += 3600
    return offset


def local_time(clock: int, offset_s: int) -> datetime:
    """Return the naive local wall time of a device clock value."""
    return _EPOCH_1900 + timedelta(seconds=clock + offset_s)


def timer_matches(timer: Timer, moment: datetime) -> bool:
    """Return whether the timer fires at this local second."""
    if (moment.hour, moment.minute, moment.second) != (timer.hour, timer.minute, timer.second):
        return False
    if timer.is_weekly:
        # Weekday bits 1 Mon … 64 Sun (PROTOCOL.md §3.7, Fernando's order).
        return bool(timer.repeat & (1 << moment.weekday()))
    return (moment.year, moment.month, moment.day) == (timer.year, timer.month, timer.day)


def due_timers(timers: Iterable[Timer], after: int, until: int, offset_s: int) -> list[Timer]:
    """Return the timers that fire in the device-clock window (after, until], in order."""
    if until <= after or until - after > MAX_CATCH_UP_S:
        return []
    pending = list(timers)
    fired: list[Timer] = []
    for clock in range(after + 1, until + 1):
        moment = local_time(clock, offset_s)
        fired.extend(t for t in pending if timer_matches(t, moment))
    return fired
