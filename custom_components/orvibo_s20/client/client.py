"""`S20Client`: one socket's operations on the shared request machinery (`device.py`).

Theory of operation (PROTOCOL.md §3–§4); the queue, resends, subscription, keepalive and
availability are `DeviceClient`'s. What a socket adds:

* **The relay state rides on the subscription.** The `cl` reply carries it, so the keepalive
  every `keepalive_s` (10 s) corrects a push lost on the air within that.
* **Power is confirmed by state, not by the ack.** The `dc` ack carries no state; the socket
  pushes `sf` with the new state after it. A `set_power` succeeds on an `sf` with the wanted
  state that arrives after an ack of ours, or on a fresh `cl` reply showing the state
  (re-subscribing returns the true relay state). So a stale push never confirms a command the
  socket did not receive.
* **Pushes.** `sf` from a button press, a timer or another controller updates the state and
  calls the listeners at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import logging
import random

from ..protocol import (
    COUNTDOWN_MAX_S,
    Ack,
    ClockRequest,
    Command,
    CountdownMode,
    CountdownReply,
    CountdownRequest,
    DeviceFamily,
    DeviceMessage,
    DiscoveryReply,
    EncodeError,
    Mac,
    PowerRequest,
    PowerState,
    ReadTableRequest,
    SocketData,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    SubscribeRequest,
    Table,
    TableListReply,
    TableVersion,
    Timer,
    TimersReply,
    clock_from_datetime,
    encode_name,
    socket_data_write,
    timer_delete,
    timer_write,
)
from ..protocol.messages import ClientMessage
from .device import ClientStats, ClientTiming, DeviceClient, _now
from .endpoint import S20Endpoint

__all__ = ["ClientStats", "ClientTiming", "Countdown", "S20Client"]

_LOGGER = logging.getLogger(__name__)

# The socket sends every `sf` twice, ~45 ms apart (PROTOCOL.md §3.5). The repeat can arrive
# after a newer state (a second command right after the first), so each push heard expects
# one repeat of its state within this window; a push that confirms a command is always new.
_SF_REPEAT_WINDOW_S = 0.15
# A relay client's `dc` went through our queue: a change to its state heard this soon after is
# its doing (the push, or the `cl` reply to its resend when both pushes were lost).
_RELAYED_CHANGE_WINDOW_S = 2.0
# The time zones a socket can store are whole or half hours from UTC (PROTOCOL.md §4.6).
_HALF_HOUR = timedelta(minutes=30)


@dataclass(frozen=True, slots=True, kw_only=True)
class Countdown:
    """A running countdown: what it will do and when."""

    action: PowerState
    remaining_s: int


class S20Client(DeviceClient):
    """Control one S20 over the shared endpoint."""

    family = DeviceFamily.SOCKET

    def __init__(
        self,
        endpoint: S20Endpoint,
        mac: Mac,
        host: str,
        *,
        timing: ClientTiming | None = None,
    ) -> None:
        super().__init__(endpoint, mac, host, timing=timing)
        self.state: bool | None = None
        # Whether the latest change of `state` answered a request of ours (a `set_power` here):
        # the socket's push says nothing of its cause (PROTOCOL.md §3.5), so only we know.
        self.change_requested = False
        # Whether it answered a relay client's `dc` instead (another program on this host).
        self.change_relayed = False
        self._relayed_power: tuple[bool, float] | None = None  # (state, until when)
        self._power_pending = False  # a set_power is waiting for its confirmation
        self.socket_data: SocketData | None = None
        self._acks_seen = 0
        # The repeats still to come: (state, until when), one per push heard, oldest first.
        self._repeats: deque[tuple[bool, float]] = deque()

    # --- incoming --------------------------------------------------------------------------

    def _handle(self, message: DeviceMessage, answers_request: bool) -> None:
        if isinstance(message, DiscoveryReply):
            # Only a first hint: the replies of a burst can be older than a push just taken.
            if message.state is not None and self.state is None:
                self._update_state(message.state is PowerState.ON)
        elif isinstance(message, StateReport):
            self.stats.pushes += 1
            state = message.state is PowerState.ON
            if self._is_repeat(state, _now(), confirms=answers_request):
                return  # maybe of a state a newer command already replaced
            self._update_state(state, requested=answers_request and self._power_pending)
        elif isinstance(message, SubscribeReply):
            self._update_state(message.state is PowerState.ON, requested=answers_request and self._power_pending)
        elif isinstance(message, Ack) and message.command is Command.POWER:
            self._acks_seen += 1

    def _subscribed(self, reply: SubscribeReply) -> None:
        self._update_state(reply.state is PowerState.ON)

    def _is_repeat(self, state: bool, now: float, *, confirms: bool) -> bool:
        """Tell the repeat of a push from a new push; a push that confirms a command is new."""
        repeats = self._repeats
        while repeats and repeats[0][1] <= now:  # every window is as long: the oldest ends first
            repeats.popleft()
        if not confirms:
            for index, (expected, _) in enumerate(repeats):
                if expected is state:
                    del repeats[index]
                    return True
        repeats.append((state, now + _SF_REPEAT_WINDOW_S))
        return False

    def _update_state(self, state: bool, *, requested: bool = False) -> None:
        if state != self.state:
            self.state = state
            self.change_requested = requested
            self.change_relayed = not requested and self._relayed_change(state)
            self._notify()

    def _relayed_change(self, state: bool) -> bool:
        """Whether a relay client's `dc` asked for this state just now (used up once taken)."""
        relayed, self._relayed_power = self._relayed_power, None  # a change either way ends its wait
        return relayed is not None and relayed[0] is state and _now() <= relayed[1]

    def _relaying(self, request: ClientMessage) -> None:
        if isinstance(request, PowerRequest):
            self._relayed_power = (request.state is PowerState.ON, _now() + _RELAYED_CHANGE_WINDOW_S)

    # --- operations --------------------------------------------------------------------------

    async def subscribe(self) -> bool:
        """Subscribe (again) and return the relay state."""
        reply = await self._subscribe()
        return reply.state is PowerState.ON

    async def async_update(self) -> bool:
        """Refresh the state by re-subscribing (the backstop poll)."""
        return await self.subscribe()

    async def set_power(self, on: bool) -> None:
        """Switch the relay and wait until the socket confirms the new state."""
        mac, wanted = self.mac, PowerState.ON if on else PowerState.OFF
        first: tuple[ClientMessage, ...] = (PowerRequest(mac=mac, state=wanted),)
        # Resends also ask for the true state: a cl reply shows it even when the ack or the
        # pushes of an earlier, successful attempt were lost.
        again = (*first, SubscribeRequest(mac=mac))

        def messages(attempt: int) -> tuple[ClientMessage, ...]:
            return first if attempt == 0 else again

        def replies(message: DeviceMessage) -> bool:
            # The sf that confirms may be the repeat, ~45 ms later: no round trip.
            return isinstance(message, SubscribeReply) or (isinstance(message, Ack) and message.command is Command.POWER)

        def match(message: DeviceMessage) -> bool | None:
            if isinstance(message, StateReport) and self._acks_seen > acks_before:
                return True if message.state is wanted else None
            if isinstance(message, SubscribeReply) and message.state is wanted:
                return True
            return None

        async with self._lock:
            await self._ensure_subscribed()
            await self._settle()
            acks_before = self._acks_seen
            self._power_pending = True
            try:
                await self._request(messages, match, what=f"power {'on' if on else 'off'}", replies=replies)
            finally:
                self._power_pending = False
        # The confirming sf or cl reply has set the state already (_handle): setting it again
        # here could undo a press heard since.

    async def turn_on(self) -> None:
        """Switch on."""
        await self.set_power(True)

    async def turn_off(self) -> None:
        """Switch off."""
        await self.set_power(False)

    async def toggle(self) -> bool:
        """Flip the relay; returns the new state."""
        if self.state is None:
            await self.subscribe()
        target = not self.state
        await self.set_power(target)
        return target

    async def _read_table_locked(self, table: Table) -> DeviceMessage:
        mac = self.mac
        expected = {Table.TABLES: TableListReply, Table.TIMERS: TimersReply, Table.SOCKET_DATA: SocketDataReply}[table]
        return await self._request(
            lambda _: (ReadTableRequest(mac=mac, table=table),),
            lambda m: m if isinstance(m, expected) else None,
            what=f"read table {int(table)}",
        )

    async def _write_locked(self, request: ClientMessage, what: str) -> None:
        await self._request(
            lambda _: (request,),
            lambda m: True if isinstance(m, Ack) and m.command is Command.WRITE_TABLE else None,
            what=what,
        )

    async def read_tables(self) -> tuple[TableVersion, ...]:
        """Read table 1: the tables and their change counters."""
        reply = await self._command(
            lambda _: (ReadTableRequest(mac=self.mac, table=Table.TABLES),),
            lambda m: m if isinstance(m, TableListReply) else None,
            what="read table 1",
        )
        return reply.tables

    async def read_socket_data(self) -> SocketData:
        """Read table 4 (name, versions, lock, time zone, auto-off...)."""
        async with self._lock:
            return await self._read_socket_data_locked()

    async def _read_socket_data_locked(self) -> SocketData:
        await self._ensure_subscribed()
        reply = await self._read_table_locked(Table.SOCKET_DATA)
        assert isinstance(reply, SocketDataReply)
        self.socket_data = reply.data
        return reply.data

    async def update_socket_data(self, change: Callable[[SocketData], SocketData], what: str) -> SocketData:
        """Read table 4, apply change, write every field back, return the new record."""
        async with self._lock:
            current = await self._read_socket_data_locked()
            updated = change(current)  # may raise EncodeError before anything is sent
            if updated == current:
                return current
            await self._write_locked(socket_data_write(self.mac, updated), what)
        self.socket_data = updated
        self._notify()
        return updated

    async def rename(self, name: str) -> SocketData:
        """Store a new name in the socket (≤ 16 ASCII bytes; checked before sending)."""
        new_name = name.strip()
        encode_name(new_name or None)  # raises EncodeError before anything is sent
        return await self.update_socket_data(lambda d: d.with_name(new_name or None), "rename")

    async def set_auto_off(self, enabled: bool, seconds: int | None = None) -> SocketData:
        """Enable or disable switching off automatically `seconds` after each switch-on."""
        if seconds is not None and not 1 <= seconds <= COUNTDOWN_MAX_S:
            raise EncodeError(f"auto-off must be 1–{COUNTDOWN_MAX_S} seconds, not {seconds}")

        def change(data: SocketData) -> SocketData:
            secs = data.auto_off_seconds if seconds is None else seconds
            if enabled and secs == 0:
                raise EncodeError("auto-off needs a duration")
            action = 0x00 if enabled else data.auto_off_action
            return replace(data, auto_off_enabled=enabled, auto_off_seconds=secs, auto_off_action=action)

        return await self.update_socket_data(change, "set auto-off")

    async def set_locked(self, locked: bool) -> SocketData:
        """Lock (hide from discovery) or unlock the socket."""
        return await self.update_socket_data(lambda d: replace(d, discoverable=not locked), "set lock")

    async def set_timezone(self, utc_offset: timedelta, *, dst: bool = False) -> SocketData:
        """Store the time zone the socket uses for its timers (whole or half hours)."""
        minutes = int(utc_offset.total_seconds() // 60)
        hours, rest = divmod(abs(minutes), 60)
        # Whole and half hours only (seconds too: +05:00:30 is not +05:00). The hours byte is
        # signed and carries the sign of the half hour too: −00:30 would read back as +00:30
        # (no zone uses it).
        if utc_offset % _HALF_HOUR or hours > 14 or minutes == -30:
            raise EncodeError(f"the socket cannot represent UTC offset {utc_offset}")
        half_hour = rest == 30
        tz_hours = hours if minutes >= 0 else -hours
        # rec 132: 00 DST on, 01 DST off, +2 for a half-hour zone (PROTOCOL.md §4.6).
        flags = (0 if dst else 1) + (2 if half_hour else 0)
        return await self.update_socket_data(
            lambda d: replace(d, timezone_hours=tz_hours, dst_flags=flags), "set time zone"
        )

    async def set_clock(self, now: datetime) -> None:
        """Set the socket's clock (UTC)."""
        clock = clock_from_datetime(now)
        await self._command(
            lambda attempt: (ClockRequest(mac=self.mac, clock=clock + attempt),),
            lambda m: True if isinstance(m, Ack) and m.command is Command.CLOCK else None,
            what="set clock",
        )
        # What the socket now counts from: a later announcement with an earlier clock is a reboot.
        self.device_clock, self._device_clock_at = clock, _now()

    # --- countdown -----------------------------------------------------------------------------

    async def get_countdown(self) -> Countdown | None:
        """Read the running countdown, None when there is none."""
        reply = await self._command(
            lambda _: (CountdownRequest(mac=self.mac, mode=CountdownMode.READ),),
            lambda m: m if isinstance(m, CountdownReply) else None,
            what="read countdown",
        )
        if reply.action is None or reply.seconds == 0:
            return None
        return Countdown(action=reply.action, remaining_s=reply.seconds)

    async def start_countdown(self, seconds: int, action: bool) -> None:
        """Switch on (action True) or off after `seconds` (1–65535)."""
        if not 1 <= seconds <= COUNTDOWN_MAX_S:
            raise EncodeError(f"countdown must be 1–{COUNTDOWN_MAX_S} seconds, not {seconds}")
        state = PowerState.ON if action else PowerState.OFF
        await self._countdown_set(state, seconds, "start countdown")

    async def cancel_countdown(self) -> None:
        """Cancel a running countdown."""
        await self._countdown_set(None, 0, "cancel countdown")

    async def _countdown_set(self, action: PowerState | None, seconds: int, what: str) -> None:
        await self._command(
            lambda _: (CountdownRequest(mac=self.mac, mode=CountdownMode.SET, action=action, seconds=seconds),),
            lambda m: True if isinstance(m, CountdownReply) else None,
            what=what,
        )

    # --- timers --------------------------------------------------------------------------------

    async def get_timers(self) -> tuple[Timer, ...]:
        """Read table 3."""
        async with self._lock:
            return await self._get_timers_locked()

    async def _get_timers_locked(self) -> tuple[Timer, ...]:
        await self._ensure_subscribed()
        reply = await self._read_table_locked(Table.TIMERS)
        assert isinstance(reply, TimersReply)
        return reply.timers

    async def add_timer(self, timer: Timer) -> Timer:
        """Add a timer; its code is replaced by a fresh unused one. Returns what was stored."""
        timer.encode()  # validate before anything is sent
        async with self._lock:
            existing = {t.code for t in await self._get_timers_locked()}
            code = next(c for c in iter(lambda: random.randint(1, 0xFFFF), None) if c not in existing)
            stored = replace(timer, code=code)
            await self._write_locked(timer_write(self.mac, stored, replace=False), "add timer")
        return stored

    async def modify_timer(self, timer: Timer) -> None:
        """Replace the timer with the same code."""
        timer.encode()
        async with self._lock:
            await self._ensure_subscribed()
            await self._write_locked(timer_write(self.mac, timer, replace=True), "modify timer")

    async def delete_timer(self, code: int) -> None:
        """Delete the timer with this code."""
        async with self._lock:
            await self._ensure_subscribed()
            await self._write_locked(timer_delete(self.mac, code), "delete timer")

