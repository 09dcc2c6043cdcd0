"""The coordinator of one socket: pushes first, the client's keepalive, a poll as the backstop.

The client pushes every state change it hears (a button press, a timer, another app) and the
coordinator hands it to the entities at once (`async_set_updated_data`). The client's keepalive
subscribes again every 10 s, which renews the subscription and reads the true relay state, so a
lost push is corrected within it; it also judges availability (a socket is gone after 20 s of
silence, back at its first answer), and the coordinator follows it with a refresh each way,
which logs once when the socket is lost and once when it is back. The poll, every
`POLL_INTERVAL` (tests change it with the YAML `poll_interval`), reads the running countdown,
and table 4 and the timers (table 3) every `SOCKET_DATA_EVERY_POLLS` polls: the vendor app can
change both, and nothing pushes that. The timers are also read at setup and after every change
Home Assistant makes (`async_add_timer`, `async_delete_timer`), so the calendar and the
next-switch sensor show what the socket stores.

Timers run on the socket's own clock in its local time, and the vendor's time service is gone:
the clock and time zone are set on setup, every night after any DST change, and whenever the
socket rebooted or reports an unset clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import contextlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util

from .client import Countdown, S20Client
from .const import (
    CLOCK_SYNC_AT,
    DOMAIN,
    SOCKET_DATA_EVERY_POLLS,
    TIMER_EVENT_SLACK,
    DeviceEvent,
)
from .device_coordinator import DeviceCoordinator
from .discovery import DATA_NETWORK
from .occurrences import next_occurrence
from .protocol import (
    DiscoveryReply,
    EncodeError,
    PowerState,
    S20ConnectionError,
    SocketData,
    Timer,
    clock_from_datetime,
)

_LOGGER = logging.getLogger(__name__)

# A clock before this was not set by anyone since the socket booted (it restarts at 2000-01-01).
_CLOCK_SET_AFTER = clock_from_datetime(datetime(2020, 1, 1, tzinfo=UTC))
# A countdown read again within this much of the known end is the same countdown.
_COUNTDOWN_SLACK = timedelta(seconds=2)


@dataclass(frozen=True, slots=True, kw_only=True)
class S20Countdown:
    """A running countdown: the relay goes to `action` at `ends_at`."""

    action: bool
    ends_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class S20State:
    """What the entities show: relay, table 4, the countdown and the timers (table 3)."""

    is_on: bool | None
    socket_data: SocketData | None
    countdown: S20Countdown | None
    timers: tuple[Timer, ...] = ()


@dataclass(slots=True)
class S20Data:
    """The runtime objects of one config entry."""

    client: S20Client
    coordinator: S20Coordinator


type S20ConfigEntry = ConfigEntry[S20Data]


def default_name(mac: str) -> str:
    """Return the name of a socket that stores none: "S20 " and the end of its MAC."""
    return f"S20 {mac.replace(':', '')[-6:].upper()}"


def device_name(mac: str, socket_data: SocketData | None) -> str:
    """Return the socket's stored name, else a name made from its MAC."""
    if socket_data is not None and socket_data.name:
        return socket_data.name
    return default_name(mac)


class S20Coordinator(DeviceCoordinator[S20State, S20Client]):
    """Keep one socket's state: pushes, the backstop poll, availability and its clock."""

    config_entry: S20ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: S20ConfigEntry, client: S20Client) -> None:
        super().__init__(
            hass, _LOGGER, entry, client, update_interval=hass.data[DATA_NETWORK].settings.poll_interval
        )
        self._polls = 0
        # What the last clock sync saw, to tell when the socket needs another one.
        self._clock_due = True
        self._clock_set = False  # by us, since the last reboot we know of
        self._resubscribe = False
        self._reboots_at_sync = client.reboots
        self._device_clock_at_sync: int | None = None
        self._timezone_warned = False
        self._clock_task: asyncio.Task[None] | None = None
        self._countdown_task: asyncio.Task[None] | None = None
        self._timers: tuple[Timer, ...] = ()  # table 3 as last read, by code
        self._event_listeners: list[Callable[[DeviceEvent, bool], None]] = []

    @property
    def device_name(self) -> str:
        """The socket's name as Home Assistant shows it by default."""
        return device_name(self.mac, self.client.socket_data)

    # --- setup and polling ---------------------------------------------------------------------

    async def _async_setup(self) -> None:
        """Subscribe, read table 4 and set the clock; then listen to the client."""
        client = self.client
        try:
            await client.subscribe()
            await client.read_socket_data()
            self._timers = _by_code(await client.get_timers())
        except S20ConnectionError as err:
            await self._async_raise_not_ours(err)
        await self._async_sync_clock()
        self._async_listen()
        hour, minute, second = CLOCK_SYNC_AT
        self.config_entry.async_on_unload(
            async_track_time_change(self.hass, self._async_daily_sync, hour=hour, minute=minute, second=second)
        )

    async def _async_raise_not_ours(self, err: S20ConnectionError) -> None:
        """Raise UpdateFailed, saying so when another socket now has our address."""
        client = self.client
        found = None
        with contextlib.suppress(S20ConnectionError):  # no endpoint: just "cannot connect"
            found = await self.hass.data[DATA_NETWORK].async_probe(client.host)
        if found is not None and found.mac != client.mac:
            # The address now belongs to another socket (DHCP gave it away). Our socket is
            # found again by discovery, which updates the entry's host.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="wrong_device",
                translation_placeholders={"host": client.host, "mac": self.mac, "other": str(found.mac)},
            ) from err
        raise UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"host": client.host, "error": str(err)},
        ) from err

    async def _async_update_data(self) -> S20State:
        """Poll: the countdown (now and then table 4); the relay as the client keeps it."""
        client = self.client
        if not client.available:
            raise self._unreachable(f"silent for {client.silent_s:.0f} s")
        try:
            countdown = await client.get_countdown()
            if self._polls and self._polls % SOCKET_DATA_EVERY_POLLS == 0:
                await client.read_socket_data()
                self._timers = _by_code(await client.get_timers())
        except S20ConnectionError as err:
            if self.data is None or not client.available:
                raise self._unreachable(str(err)) from err
            # One lost exchange: the keepalive, which tries again within seconds, is the judge.
            _LOGGER.debug("%s: poll failed (%s); keeping the last state", self.mac, err)
            return self.data
        self._polls += 1
        self._async_check_clock()
        return self._async_state(client.state, self._countdown_from(countdown))

    def _unreachable(self, error: str) -> UpdateFailed:
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="unreachable",
            translation_placeholders={"host": self.client.host, "error": error},
        )

    @callback
    def _async_state(self, is_on: bool | None, countdown: S20Countdown | None) -> S20State:
        socket_data = self.client.socket_data
        previous = self.data.socket_data if self.data is not None else None
        if socket_data is not None and previous is not None and _device_fields(socket_data) != _device_fields(
            previous
        ):
            self._async_update_device(socket_data)
        return S20State(is_on=is_on, socket_data=socket_data, countdown=countdown, timers=self._timers)

    def _countdown_from(self, countdown: Countdown | None) -> S20Countdown | None:
        if countdown is None:
            return None
        action = countdown.action is PowerState.ON
        ends_at = dt_util.utcnow() + timedelta(seconds=countdown.remaining_s)
        known = self.data.countdown if self.data is not None else None
        # The socket counts in whole seconds: don't move the timestamp by a second each poll.
        if known is not None and known.action == action and abs(known.ends_at - ends_at) <= _COUNTDOWN_SLACK:
            return known
        return S20Countdown(action=action, ends_at=ends_at)

    # --- pushes --------------------------------------------------------------------------------

    @callback
    def _async_on_client_change(self) -> None:
        """Take a pushed state (or a new table 4) from the client at once."""
        client = self.client
        if self._shut_down or self.data is None or self._async_follow_availability():
            return
        if not client.available:
            return
        countdown = self.data.countdown
        was_on = self.data.is_on
        if client.state is not None and was_on is not None and client.state != was_on and not client.change_requested:
            cause = DeviceEvent.OTHER_CONTROLLER if client.change_relayed else self._cause(client.state)
            self._async_fire_device_event(cause, client.state)
        if countdown is not None and client.state == countdown.action:
            countdown = None  # reached its target: the socket drops it
        state = self._async_state(client.state, countdown)
        if not self.last_update_success:
            self.logger.info("Fetching %s data recovered", self.name)
        if state != self.data or not self.last_update_success:
            self.async_set_updated_data(state)
        socket_data = state.socket_data
        if client.state and not was_on and socket_data is not None and socket_data.auto_off_enabled:
            # Switched on with auto-off: the socket started a countdown (PROTOCOL.md §3.9).
            self._async_start_task("_countdown_task", self._async_read_countdown, "countdown")
        self._async_check_clock()

    # --- what happened on the device --------------------------------------------------------------

    @callback
    def async_add_device_event_listener(self, listener: Callable[[DeviceEvent, bool], None]) -> Callable[[], None]:
        """Call listener(cause, new state) on each relay change Home Assistant did not ask for."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    @callback
    def _async_fire_device_event(self, cause: DeviceEvent, state: bool) -> None:
        for listener in tuple(self._event_listeners):
            listener(cause, state)

    def _cause(self, state: bool) -> DeviceEvent:
        """A timer or the countdown when one that switches this way was due now, else the button."""
        now = dt_util.utcnow()
        assert self.data is not None
        countdown = self.data.countdown
        if countdown is not None and countdown.action == state and abs(countdown.ends_at - now) <= TIMER_EVENT_SLACK:
            return DeviceEvent.TIMER
        zone = dt_util.get_default_time_zone()
        for timer in self._timers:
            if (timer.action is PowerState.ON) != state:
                continue
            moment = next_occurrence(timer, now - TIMER_EVENT_SLACK, zone)
            if moment is not None and moment <= now + TIMER_EVENT_SLACK:
                return DeviceEvent.TIMER
        return DeviceEvent.BUTTON

    @callback
    def async_set_countdown(self, countdown: S20Countdown | None) -> None:
        """Show a countdown just started or cancelled by a service."""
        if self.data is not None:
            self.async_set_updated_data(replace(self.data, countdown=countdown))

    # --- timers (table 3) ----------------------------------------------------------------------

    async def async_add_timer(self, timer: Timer) -> Timer:
        """Store a timer on the socket, then show table 3 as the socket now has it."""
        stored = await self.client.add_timer(timer)
        await self._async_reread_timers()
        return stored

    async def async_delete_timer(self, code: int) -> None:
        """Delete a timer from the socket, then show table 3 as the socket now has it."""
        await self.client.delete_timer(code)
        await self._async_reread_timers()

    async def async_read_timers(self) -> tuple[Timer, ...]:
        """Read table 3 now (the services' get_timers) and show it."""
        await self._async_reread_timers()
        return self._timers

    async def _async_reread_timers(self) -> None:
        self._timers = _by_code(await self.client.get_timers())
        if self.data is not None and self.data.timers != self._timers:
            self.async_set_updated_data(replace(self.data, timers=self._timers))

    async def async_cancel_countdown(self) -> None:
        """Cancel the running countdown on the socket and show that none runs."""
        await self.client.cancel_countdown()
        self.async_set_countdown(None)

    async def _async_read_countdown(self) -> None:
        try:
            countdown = await self.client.get_countdown()
        except S20ConnectionError as err:
            _LOGGER.debug("%s: could not read the countdown: %s", self.mac, err)
            return
        self.async_set_countdown(self._countdown_from(countdown))

    @callback
    def _async_update_device(self, socket_data: SocketData) -> None:
        """Let the device follow a new stored name or firmware (name_by_user still wins)."""
        self._async_update_registered_device(
            name=device_name(self.mac, socket_data),
            sw_version=str(socket_data.firmware_version),
            hw_version=str(socket_data.hardware_version),
        )

    # --- the socket's clock --------------------------------------------------------------------

    @callback
    def _async_on_discovery_reply(self, reply: DiscoveryReply, host: str) -> None:
        super()._async_on_discovery_reply(reply, host)
        if reply.mac != self.client.mac:
            return
        if self._clock_set and reply.clock < _CLOCK_SET_AFTER:
            # We set this clock and only a power cycle resets it: the socket rebooted and
            # forgot our subscription too. Subscribe again (the relay is off now), then sync.
            _LOGGER.debug("%s: clock reset, the socket rebooted", self.mac)
            self._clock_set = False
            self._resubscribe = True
        # The client reads the reply after us (its own reboot detection): look on the next turn.
        self.hass.loop.call_soon(self._async_check_clock)

    @callback
    def _async_daily_sync(self, _now: datetime) -> None:
        self._clock_due = True
        self._async_check_clock()

    @callback
    def _async_check_clock(self) -> None:
        """Set the clock again if it is due, the socket rebooted or its clock is unset."""
        client = self.client
        due = (
            self._clock_due
            or self._resubscribe
            or client.reboots != self._reboots_at_sync
            or (client.clock_synced is False and client.device_clock != self._device_clock_at_sync)
        )
        if due:
            self._async_start_task("_clock_task", self._async_sync_clock, "clock")

    async def _async_sync_clock(self) -> None:
        """Set the socket's clock (UTC) and time zone (HA's current UTC offset, no DST rule)."""
        client = self.client
        reboots, device_clock = client.reboots, client.device_clock
        try:
            if self._resubscribe:
                await client.subscribe()
                self._resubscribe = False
            await client.set_clock(dt_util.utcnow())
            offset = dt_util.now().utcoffset() or timedelta(0)
            try:
                await client.set_timezone(offset, dst=False)
            except EncodeError as err:
                if not self._timezone_warned:
                    self._timezone_warned = True
                    _LOGGER.warning("%s: time zone not set, timers will run in UTC: %s", self.mac, err)
        except S20ConnectionError as err:
            _LOGGER.debug("%s: clock not set: %s", self.mac, err)
            self._clock_due = True
            return
        _LOGGER.debug("%s: clock and time zone set", self.mac)
        self._clock_due = False
        self._clock_set = True
        self._reboots_at_sync = reboots
        self._device_clock_at_sync = device_clock

    # --- housekeeping --------------------------------------------------------------------------

    @callback
    def _async_start_task(
        self, attribute: str, work: Callable[[], Coroutine[Any, Any, None]], what: str
    ) -> None:
        """Run work in the background unless the same work is still running."""
        task: asyncio.Task[None] | None = getattr(self, attribute)
        if self._shut_down or (task is not None and not task.done()):
            return
        setattr(
            self,
            attribute,
            self.config_entry.async_create_background_task(self.hass, work(), f"orvibo_s20 {what} {self.mac}"),
        )


def _by_code(timers: tuple[Timer, ...]) -> tuple[Timer, ...]:
    """Table 3 in a stable order (the socket returns records in the order written)."""
    return tuple(sorted(timers, key=lambda timer: timer.code))


def _device_fields(data: SocketData) -> tuple[object, ...]:
    return (data.name, data.firmware_version, data.hardware_version)
