"""When timers fire: time zone offsets and the tick window (pure, no sockets)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.orvibo_s20.protocol import Mac, PowerState, SocketData, Timer, clock_from_datetime
from simulator.schedule import MAX_CATCH_UP_S, due_timers, local_offset_s, local_time

DATA = SocketData(mac=Mac.parse("ac:cf:23:00:00:02"))


@pytest.mark.parametrize(
    ("hours", "flags", "offset_h"),
    [
        (8, 0x01, 8),  # factory default: China, DST off
        (1, 0x01, 1),  # Paris in winter
        (1, 0x00, 2),  # DST on adds an hour (assumed model)
        (-4, 0x03, -4.5),  # Caracas
        (5, 0x03, 5.5),  # India
        (0, 0x01, 0),
    ],
)
def test_local_offset(hours: int, flags: int, offset_h: float) -> None:
    data = SocketData(mac=DATA.mac, timezone_hours=hours, dst_flags=flags)
    assert local_offset_s(data) == offset_h * 3600


def _clock(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> int:
    return clock_from_datetime(datetime(year, month, day, hour, minute, second, tzinfo=UTC))


def test_local_time() -> None:
    assert local_time(_clock(2026, 1, 5, 5, 30), 7200) == datetime(2026, 1, 5, 7, 30)


def test_weekly_timer_fires_on_its_weekdays_only() -> None:
    monday_wednesday = Timer(code=1, action=PowerState.ON, year=2020, month=1, day=1, hour=7, minute=0, repeat=0x80 | 0x01 | 0x04)
    for day, fires in ((5, True), (6, False), (7, True), (11, True), (12, True)):  # 2026-01-05 is a Monday
        at = _clock(2026, 1, day, 7, 0)
        # Sunday (day 11) has bit 64, not set; Monday 12 is set.
        expected = fires and day != 11
        assert (due_timers([monday_wednesday], at - 1, at, 0) == [monday_wednesday]) is expected, day


def test_one_shot_timer_fires_on_its_date() -> None:
    once = Timer(code=2, action=PowerState.OFF, year=2026, month=3, day=1, hour=23, minute=59, second=59)
    at = _clock(2026, 3, 1, 23, 59, 59)
    assert due_timers([once], at - 1, at, 0) == [once]
    assert due_timers([once], at, at + 1, 0) == []
    assert due_timers([once], at - 1 + 86400, at + 86400, 0) == []


def test_window_bounds() -> None:
    every_day = Timer(code=3, action=PowerState.ON, year=2020, month=1, day=1, hour=12, minute=0, repeat=0xFF)
    at = _clock(2026, 6, 1, 12, 0)
    assert due_timers([every_day], at - 5, at + 5, 0) == [every_day]  # a late tick catches up
    assert due_timers([every_day], at - MAX_CATCH_UP_S - 5, at + 5, 0) == []  # a clock jump does not
    assert due_timers([every_day], at, at, 0) == []
    assert due_timers([every_day], at - 1 - 3600, at - 3600, 3600) == [every_day]  # local = UTC + 1 h
