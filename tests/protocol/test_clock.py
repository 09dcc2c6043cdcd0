"""The socket's clock: u32 little-endian seconds since 1900-01-01T00:00:00Z, 0 = never set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.orvibo_s20.protocol import (
    DiscoveryReply,
    EncodeError,
    clock_from_datetime,
    datetime_from_clock,
    decode_from_device,
)

from . import vector_bytes

EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
# The first instant after the epoch (0 means "unset") and the last before the u32 wraps.
FIRST = EPOCH + timedelta(seconds=1)
LAST = EPOCH + timedelta(seconds=0xFFFFFFFF)

DEFAULT_SETTINGS = settings(deadline=None, database=None)


def _announcement(name: str) -> DiscoveryReply:
    message = decode_from_device(vector_bytes(name))
    assert isinstance(message, DiscoveryReply)
    return message


def test_captured_unsynced_clock() -> None:
    """After boot without Internet the clock counts from 2000-01-01T00:00:00Z."""
    message = _announcement("qa unsolicited announcement after boot")

    assert message.clock == 3155680001
    assert datetime_from_clock(3155680001) == datetime(2000, 1, 1, 1, 46, 41, tzinfo=UTC)
    assert message.device_time == datetime(2000, 1, 1, 1, 46, 41, tzinfo=UTC)


def test_captured_zero_clock_is_unset() -> None:
    """A fresh socket sends 0: no time at all, not 1900."""
    message = _announcement("qa unsolicited announcement, clock zero (fresh after SmartLink)")

    assert message.clock == 0
    assert datetime_from_clock(0) is None
    assert message.device_time is None


@pytest.mark.parametrize(
    ("moment", "clock"),
    [
        (datetime(2016, 1, 30, 19, 43, 24, tzinfo=UTC), 3663171804),  # the captured `cs`
        (datetime(2016, 1, 30, 20, 43, 24, tzinfo=timezone(timedelta(hours=1))), 3663171804),
        (datetime(1970, 1, 1, tzinfo=UTC), 2208988800),
        (FIRST, 1),
        (LAST, 0xFFFFFFFF),
        (datetime(2036, 2, 7, 6, 28, 15, tzinfo=UTC), 0xFFFFFFFF),
    ],
)
def test_clock_values(moment: datetime, clock: int) -> None:
    """Known instants and the ends of the u32 range."""
    assert clock_from_datetime(moment) == clock
    assert datetime_from_clock(clock) == moment


@pytest.mark.parametrize(
    ("moment", "clock"),
    [
        (datetime(2016, 1, 30, 19, 43, 24, 999999, tzinfo=UTC), 3663171804),
        (datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC), 2208988799),
        (datetime(1900, 1, 1, 0, 0, 1, 1, tzinfo=UTC), 1),
    ],
)
def test_clock_drops_fractions(moment: datetime, clock: int) -> None:
    """Fractions of a second are dropped towards the past, before 1970 as after."""
    assert clock_from_datetime(moment) == clock


def test_naive_datetime_rejected() -> None:
    """Without a time zone the instant is ambiguous."""
    with pytest.raises(EncodeError):
        clock_from_datetime(datetime(2016, 1, 30, 19, 43, 24))  # noqa: DTZ001


@pytest.mark.parametrize(
    "moment",
    [EPOCH - timedelta(seconds=1), LAST + timedelta(seconds=1), datetime(9999, 1, 1, tzinfo=UTC)],
)
def test_out_of_range_rejected(moment: datetime) -> None:
    """Instants outside the u32 range cannot be sent."""
    with pytest.raises(EncodeError):
        clock_from_datetime(moment)


_offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@DEFAULT_SETTINGS
@given(
    moment=st.datetimes(
        min_value=FIRST.replace(tzinfo=None),
        max_value=LAST.replace(tzinfo=None),
        timezones=st.just(UTC),
    ),
    zone=_offsets,
)
def test_datetime_round_trip(moment: datetime, zone: timezone) -> None:
    """An aware datetime survives u32 and back, to the second, in any zone."""
    whole = moment.replace(microsecond=0)
    clock = clock_from_datetime(moment.astimezone(zone))

    assert clock == (whole - EPOCH) // timedelta(seconds=1)
    assert datetime_from_clock(clock) == whole


@DEFAULT_SETTINGS
@given(clock=st.integers(1, 0xFFFFFFFF))
def test_clock_round_trip(clock: int) -> None:
    """u32 → datetime → u32 is the identity for every set clock."""
    moment = datetime_from_clock(clock)
    assert moment is not None
    assert moment.tzinfo is UTC
    assert clock_from_datetime(moment) == clock
