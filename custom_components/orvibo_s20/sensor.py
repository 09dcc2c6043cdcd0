"""Timestamps of a socket: when its running countdown fires (`cd`), and its next switch by itself.

The next switch is the earliest of the timers' next moments (occurrences.py: Home Assistant's
zone, right across DST changes) and the countdown's end. Auto-off needs no reckoning of its own:
the socket copies it into the countdown on every switch-on (PROTOCOL.md §3.9), which the
coordinator then reads, so it is the countdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import ACTION_OFF, ACTION_ON, ATTR_ACTION
from .coordinator import S20ConfigEntry, S20State
from .entity import S20Entity
from .occurrences import next_occurrence
from .protocol import PowerState

# Read-only: the coordinator does all the talking.
PARALLEL_UPDATES = 0

COUNTDOWN = SensorEntityDescription(
    key="countdown",
    translation_key="countdown",
    device_class=SensorDeviceClass.TIMESTAMP,
)
NEXT_SWITCH = SensorEntityDescription(
    key="next_switch",
    translation_key="next_switch",
    device_class=SensorDeviceClass.TIMESTAMP,
)
# Look again this long after a switch was due: its push (if the relay changed) came first.
_RECHECK_AFTER = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class NextSwitch:
    """When the socket next switches by itself, and which way."""

    at: datetime
    action: bool


def next_switch(state: S20State, now: datetime) -> NextSwitch | None:
    """The earliest of the timers' next moments and the countdown's end; None when none is due."""
    zone = dt_util.get_default_time_zone()
    candidates = [
        NextSwitch(moment, timer.action is PowerState.ON)
        for timer in state.timers
        if (moment := next_occurrence(timer, now, zone)) is not None
    ]
    countdown = state.countdown
    if countdown is not None and countdown.ends_at > now:
        candidates.append(NextSwitch(countdown.ends_at, countdown.action))
    if not candidates:
        return None
    return min(candidates, key=lambda switch: switch.at)


async def async_setup_entry(
    hass: HomeAssistant, entry: S20ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """Add the countdown and next-switch sensors of a socket."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities([S20CountdownSensor(coordinator, COUNTDOWN), S20NextSwitchSensor(coordinator, NEXT_SWITCH)])


class S20CountdownSensor(S20Entity, SensorEntity):
    """When the running countdown switches the socket, and to which state."""

    @property
    def native_value(self) -> datetime | None:
        """Return when the countdown fires; None when none runs."""
        countdown = self.coordinator.data.countdown
        return countdown.ends_at if countdown else None

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Return what the countdown will do."""
        countdown = self.coordinator.data.countdown
        if countdown is None:
            return {ATTR_ACTION: None}
        return {ATTR_ACTION: ACTION_ON if countdown.action else ACTION_OFF}


class S20NextSwitchSensor(S20Entity, SensorEntity):
    """The next time the socket switches by itself (a timer or the countdown), and which way."""

    _next: NextSwitch | None = None
    _unsub_recheck: Callable[[], None] | None = None

    async def async_added_to_hass(self) -> None:
        """Schedule the first look past the next switch."""
        await super().async_added_to_hass()
        self.async_on_remove(self._cancel_recheck)

    @callback
    def _cancel_recheck(self) -> None:
        if self._unsub_recheck is not None:
            self._unsub_recheck()
            self._unsub_recheck = None

    @callback
    def _async_write_ha_state(self) -> None:
        # Work out the next switch once per write, and look again once it is past: a timer that
        # finds the relay already as it wants it changes nothing, and nothing else would tell.
        self._next = next_switch(self.coordinator.data, dt_util.utcnow())
        self._cancel_recheck()
        if self._next is not None and self.hass is not None:
            self._unsub_recheck = async_track_point_in_utc_time(
                self.hass, self._async_recheck, self._next.at + _RECHECK_AFTER
            )
        super()._async_write_ha_state()

    @callback
    def _async_recheck(self, _now: datetime) -> None:
        self._unsub_recheck = None
        self.async_write_ha_state()

    @property
    def native_value(self) -> datetime | None:
        """Return when the socket next switches; None when nothing is due."""
        return self._next.at if self._next else None

    @property
    def extra_state_attributes(self) -> dict[str, str | None]:
        """Return which way it switches."""
        if self._next is None:
            return {ATTR_ACTION: None}
        return {ATTR_ACTION: ACTION_ON if self._next.action else ACTION_OFF}
