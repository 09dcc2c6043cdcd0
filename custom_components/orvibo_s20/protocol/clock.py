"""The socket's clock: u32 little-endian seconds since 1900-01-01 UTC (PROTOCOL.md §4.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .const import NTP_TO_UNIX_OFFSET
from .errors import EncodeError

_U32_MAX = 0xFFFFFFFF
_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


def clock_from_datetime(moment: datetime) -> int:
    """Return the device clock value for an aware datetime."""
    if moment.tzinfo is None:
        raise EncodeError("clock needs a timezone-aware datetime")
    # Exact integer floor: int(timestamp()) truncates towards 1970 and loses a second before it.
    value = (moment - _EPOCH) // timedelta(seconds=1)
    if not 0 <= value <= _U32_MAX:
        raise EncodeError(f"{moment.isoformat()} is outside the socket's clock range")
    return value


def datetime_from_clock(value: int) -> datetime | None:
    """Return the UTC datetime of a device clock value, or None for an unset (zero) clock."""
    if value == 0:
        return None
    return datetime.fromtimestamp(value - NTP_TO_UNIX_OFFSET, UTC)
