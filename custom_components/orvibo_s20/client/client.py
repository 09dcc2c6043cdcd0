"""`S20Client`: one socket's request queue, resends, subscription and push listeners.

Theory of operation (PROTOCOL.md §3–§4):

* **One request at a time.** The socket answers with no request id, so each client keeps one
  outstanding request (an asyncio lock is the queue) and accepts the first reply that matches
  it (command, MAC and source IP, checked by the endpoint). A request is resent with an
  adaptive interval (smoothed round-trip time, Karn's rule, exponential backoff) until its
  proper reply arrives or the deadline passes, which raises `S20TimeoutError`.
* **Subscribe before control, and keep it.** The socket ignores control from a peer that has
  not sent `cl` recently; it forgets an idle peer after about 3–5 minutes. The client subscribes
  before its first command and, once started, again every `keepalive_s` (10 s): the reply
  carries the relay state, so a push lost on the air is corrected within that. An unanswered
  keepalive is tried again after `keepalive_retry_s`, and at once when the socket is heard from
  (its announcement after a reboot, a push).
* **Available until silent.** Lossy Wi-Fi must not flap entities: the socket counts as gone only
  when a subscribe goes unanswered after `unavailable_after_s` (20 s) without a datagram from it,
  and as back with the first subscribe it answers.
* **Power is confirmed by state, not by the ack.** The `dc` ack carries no state; the socket
  pushes `sf` with the new state after it. A `set_power` succeeds on an `sf` with the wanted
  state that arrives after an ack of ours, or on a fresh `cl` reply showing the state
  (re-subscribing returns the true relay state). So a stale push never confirms a command the
  socket did not receive.
* **No requests into a discovery burst.** The socket answers `qa`/`qg` ten times, ~15 ms
  apart, and drops other requests meanwhile (§3.1): after seeing a discovery reply from the
  socket, the client holds requests back for `burst_guard_s`.
* **Pushes.** `sf` from a button press, a timer or another controller updates the state and
  calls the listeners at once.
* **Relayed requests.** A program on the host that talks to the socket through the relay
  (client/relay.py) has its requests sent in turn with ours (`relay_request`), each holding the
  queue until its reply or one RTO: never between a request of ours and its answer. A change
  its `dc` asked for is marked `change_relayed`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
import logging
import random
from typing import TypeVar

from ..protocol import (
    COUNTDOWN_MAX_S,
    Ack,
    ClockRequest,
    Command,
    CountdownMode,
    CountdownReply,
    CountdownRequest,
    DeviceMessage,
    DiscoveryReply,
    EncodeError,
    HeartbeatRequest,
    Mac,
    PowerRequest,
    PowerState,
    ReadTableRequest,
    S20ConnectionError,
    S20TimeoutError,
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
from .endpoint import S20Endpoint

_LOGGER = logging.getLogger(__name__)


def _now() -> float:
    """The event loop's clock, on which its timers run (time.monotonic, unless a test drives it)."""
    return asyncio.get_running_loop().time()

_T = TypeVar("_T")
type Listener = Callable[[], None]

# After a reboot the clock restarts at 0 or 2000-01-01 (PROTOCOL.md §4.1): a clock that went
# back by more than this, or is still in January 2000, tells of a reboot / an unset clock.
_REBOOT_CLOCK_SLACK_S = 60.0
# The socket sends every `sf` twice, ~45 ms apart (PROTOCOL.md §3.5). The repeat can arrive
# after a newer state (a second command right after the first), so each push heard expects
# one repeat of its state within this window; a push that confirms a command is always new.
_SF_REPEAT_WINDOW_S = 0.15
_CLOCK_SET_AFTER = 3155673600 + 31 * 86400
# A relay client's `dc` went through our queue: a change to its state heard this soon after is
# its doing (the push, or the `cl` reply to its resend when both pushes were lost).
_RELAYED_CHANGE_WINDOW_S = 2.0


def _cancelling() -> bool:
    """Whether the running task itself is being cancelled (by whoever owns it)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientTiming:
    """Timing of the request queue and the subscription; seconds."""

    initial_rto_s: float = 0.25  # first resend before any round trip was measured
    min_rto_s: float = 0.05
    max_rto_s: float = 1.0
    backoff: float = 1.3
    deadline_s: float = 5.0  # per request, resends included
    keepalive_s: float = 10.0  # a `cl` this often once started (the vendor app's `hb`: 30 s, §3.6)
    keepalive_retry_s: float = 2.0  # the next keepalive after one went unanswered
    unavailable_after_s: float = 20.0  # silence before an unanswered subscribe makes it unavailable
    resubscribe_idle_s: float = 60.0  # subscribe again before a command after this much silence
    burst_guard_s: float = 0.2  # the 10× discovery burst lasts ~150 ms (§3.1)
    post_subscribe_gap_s: float = 0.01  # commands < ~6 ms after a cl ack are ignored (§4.4)


@dataclass(slots=True)
class ClientStats:
    """Per-socket protocol counters (diagnostics)."""

    requests: int = 0
    sent: int = 0
    resent: int = 0
    timeouts: int = 0
    pushes: int = 0
    resubscribes: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Countdown:
    """A running countdown: what it will do and when."""

    action: PowerState
    remaining_s: int


class _Pending:
    """The one outstanding request: its matcher, its result once matched, and the current
    attempt's waiter, woken by the matching reply or when it is time to resend.

    One future and one timer per attempt: wait_for + shield cost a task cancellation on every
    resend and an extra loop pass on every reply.
    """

    __slots__ = ("deadline", "echo", "match", "replies", "resend_at", "result", "rto", "sent_at", "timer", "waiter")

    def __init__(
        self,
        match: Callable[[DeviceMessage], object | None],
        replies: Callable[[DeviceMessage], bool] | None,
        deadline: float,
    ) -> None:
        self.match = match
        self.replies = replies
        self.deadline = deadline
        self.result: object | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.sent_at = 0.0  # when the current attempt was sent (loop time)
        self.echo: float | None = None  # then how long until its first direct reply came
        self.rto = 0.0
        self.resend_at = 0.0

    def sent(self, now: float) -> None:
        """A new attempt left now."""
        self.sent_at, self.echo = now, None

    def wait(self, rto: float) -> asyncio.Future[None]:
        """Wait for the answer to the attempt just sent, at most rto unless the socket replies."""
        loop = asyncio.get_running_loop()
        self.rto = rto
        self.resend_at = min(self.sent_at + rto, self.deadline)
        self.waiter = loop.create_future()
        self.timer = loop.call_later(self.resend_at - self.sent_at, self._resend_due)
        return self.waiter

    def stop_waiting(self) -> None:
        """Drop the resend timer (the attempt is over)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def heard(self, message: DeviceMessage, matched: bool, now: float) -> None:
        """Time the current attempt's first direct reply (by default: a matching one)."""
        if self.echo is None and (self.replies(message) if self.replies is not None else matched):
            self.echo = now - self.sent_at
            if not matched:
                # The socket has the request and its confirmation is on the way (a push can
                # lag its ack by 40 ms): give that one more RTO before resending.
                self.resend_at = min(max(self.resend_at, now + self.rto), self.deadline)

    def _resend_due(self) -> None:
        if (left := self.resend_at - _now()) > 0:
            self.timer = asyncio.get_running_loop().call_later(left, self._resend_due)
        else:
            self.timer = None
            self.wake()

    def wake(self) -> None:
        """End the current attempt's wait (a reply matched, or time to resend)."""
        if (waiter := self.waiter) is not None and not waiter.done():
            waiter.set_result(None)

    def cancel(self) -> None:
        """Fail the wait: the client stopped."""
        self.stop_waiting()
        if (waiter := self.waiter) is not None:
            waiter.cancel()


class S20Client:
    """Control one S20 over the shared endpoint."""

    def __init__(
        self,
        endpoint: S20Endpoint,
        mac: Mac,
        host: str,
        *,
        timing: ClientTiming | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.mac = mac
        self.host = host
        self.timing = timing or ClientTiming()
        self.stats = ClientStats()
        self.state: bool | None = None
        # Whether the latest change of `state` answered a request of ours (a `set_power` here):
        # the socket's push says nothing of its cause (PROTOCOL.md §3.5), so only we know.
        self.change_requested = False
        # Whether it answered a relay client's `dc` instead (another program on this host).
        self.change_relayed = False
        self._relayed_power: tuple[bool, float] | None = None  # (state, until when)
        self._power_pending = False  # a set_power is waiting for its confirmation
        self.available = False
        self.product_id: str | None = None
        self.socket_data: SocketData | None = None
        self._listeners: list[Listener] = []
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._srtt: float | None = None
        self._rttvar = 0.0
        self._rtt_trusted = False  # whether the estimate is from a sample newer than any doubt on it
        self._subscribed_at: float | None = None
        self._last_heard = 0.0
        self._quiet_until = 0.0
        self._settle_until = 0.0  # late replies to a resent request may arrive until then
        self._acks_seen = 0
        self._keepalive: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopped = False
        self.reboots = 0
        self.device_clock: int | None = None
        self._device_clock_at = 0.0
        # The repeats still to come: (state, until when), one per push heard, oldest first.
        self._repeats: deque[tuple[bool, float]] = deque()
        self._unregister: Callable[[], None] | None = endpoint.register(
            mac, host, self._on_message, queue=self.relay_request
        )

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the keepalive task (heartbeat, re-subscribe); idempotent."""
        if self._keepalive is None or self._keepalive.done():
            self._keepalive = asyncio.get_running_loop().create_task(
                self._keepalive_loop(), name=f"orvibo_s20 keepalive {self.mac}"
            )

    async def stop(self) -> None:
        """Stop background work and stop routing this socket's messages.

        A request still waiting for its answer, and any made after, fails with S20ConnectionError.
        """
        self._stopped = True
        if self._keepalive is not None:
            self._keepalive.cancel()
            try:
                await self._keepalive
            except asyncio.CancelledError:
                if _cancelling():
                    raise
            self._keepalive = None
        if self._pending is not None:
            self._pending.cancel()
        if self._unregister is not None:
            self._unregister()
            self._unregister = None

    def set_host(self, host: str) -> None:
        """Follow the socket to a new IP (from a scan or DHCP)."""
        if host != self.host:
            _LOGGER.debug("%s: moved from %s to %s", self.mac, self.host, host)
            self.host = host
            self.endpoint.set_host(self.mac, host)
            self._subscribed_at = None

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call listener whenever state or availability changes; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in tuple(self._listeners):
            listener()

    def _set_available(self, available: bool) -> None:
        if available != self.available:
            self.available = available
            self._notify()

    # --- incoming --------------------------------------------------------------------------

    def _on_message(self, message: DeviceMessage) -> None:
        now = _now()
        self._last_heard = now
        if not self.available:
            self._wake.set()  # it is back (or rebooted): the keepalive subscribes at once
        pending = self._pending
        result = None
        if pending is not None and pending.result is None:
            result = pending.match(message)
            pending.heard(message, result is not None, now)
        if isinstance(message, DiscoveryReply):
            # A reply burst is under way: hold requests back (§3.1). An announcement we did
            # not ask for follows a reboot or Wi-Fi join, after which the subscription is gone.
            self._quiet_until = now + self.timing.burst_guard_s
            self.product_id = message.product_id
            if self._clock_went_back(message.clock, now) and self._subscribed_at is not None:
                _LOGGER.debug("%s: clock went back, the socket rebooted", self.mac)
                self.reboots += 1
                self._subscribed_at = None
                self._wake.set()
            self.device_clock, self._device_clock_at = message.clock, now
            # Only a first hint: the replies of a burst can be older than a push just taken.
            if message.state is not None and self.state is None:
                self._update_state(message.state is PowerState.ON)
        elif isinstance(message, StateReport):
            self.stats.pushes += 1
            state = message.state is PowerState.ON
            if self._is_repeat(state, now, confirms=result is not None):
                return  # maybe of a state a newer command already replaced
            self._update_state(state, requested=result is not None and self._power_pending)
        elif isinstance(message, SubscribeReply):
            self._update_state(message.state is PowerState.ON, requested=result is not None and self._power_pending)
        elif isinstance(message, Ack) and message.command is Command.POWER:
            self._acks_seen += 1
        if result is not None:
            assert pending is not None
            pending.result = result
            pending.wake()

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

    def _clock_went_back(self, clock: int, now: float) -> bool:
        if self.device_clock is None:
            return False
        expected = self.device_clock + (now - self._device_clock_at)
        return clock < expected - _REBOOT_CLOCK_SLACK_S

    @property
    def clock_synced(self) -> bool | None:
        """Whether the socket's clock looks set (None until a discovery reply was seen)."""
        if self.device_clock is None:
            return None
        return self.device_clock >= _CLOCK_SET_AFTER

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

    # --- the request queue ------------------------------------------------------------------

    def _rto(self) -> float:
        t = self.timing
        if self._srtt is None:
            return t.initial_rto_s
        return min(t.max_rto_s, max(t.min_rto_s, self._srtt + 4 * self._rttvar))

    def _measure(self, rtt: float) -> None:
        self._rtt_trusted = True
        if self._srtt is None:
            self._srtt, self._rttvar = rtt, rtt / 2
        else:
            self._rttvar = 0.75 * self._rttvar + 0.25 * abs(self._srtt - rtt)
            self._srtt = 0.875 * self._srtt + 0.125 * rtt

    async def _request(
        self,
        messages: Callable[[int], tuple[ClientMessage, ...]],
        match: Callable[[DeviceMessage], _T | None],
        *,
        what: str,
        replies: Callable[[DeviceMessage], bool] | None = None,
    ) -> _T:
        """Send messages(attempt) until match() accepts a reply; the caller holds the lock.

        `replies` tells the socket's direct answers to the messages, which time the round trip,
        when the message that matches can come later (a push and its repeat); default: the match.
        """
        self.stats.requests += 1
        if self._stopped:
            raise self._stopped_error(what)
        await self._settle()
        started = _now()
        deadline = started + self.timing.deadline_s
        pending = _Pending(match, replies, deadline)
        self._pending = pending
        rto = self._rto()
        attempt = 0
        try:
            while True:
                if (wait := self._quiet_until - _now()) > 0:
                    await asyncio.sleep(wait)
                sent_at = _now()
                pending.sent(sent_at)
                for message in messages(attempt):
                    self.endpoint.send(message, self.host)
                    self.stats.sent += 1
                if sent_at >= deadline:
                    break
                if pending.result is None:  # else answered while we waited for the quiet
                    waiter = pending.wait(rto)
                    try:
                        await waiter
                    except asyncio.CancelledError:
                        # stop() cancelled the wait, not our caller: the request failed, nobody cancelled it.
                        if self._stopped and waiter.cancelled() and not _cancelling():
                            raise self._stopped_error(what) from None
                        raise
                    finally:
                        pending.stop_waiting()
                if pending.result is None:  # the resend timer woke us
                    attempt += 1
                    self.stats.resent += 1
                    if attempt == 1:
                        _LOGGER.debug("%s: no reply to %s, resending", self.mac, what)
                    rto = min(self.timing.max_rto_s, rto * self.timing.backoff)
                    if _now() >= deadline:
                        break
                    continue
                now = _now()
                if attempt == 0:
                    if pending.echo is not None:  # else its direct reply was lost: no sample
                        self._measure(pending.echo)
                else:
                    self._settle_after_resends(now, started, sent_at, pending.echo)
                return pending.result  # type: ignore[return-value]  # the matcher returned a _T
        finally:
            self._pending = None
        self.stats.timeouts += 1
        self._subscribed_at = None  # maybe forgotten by the socket: subscribe before the next request
        _LOGGER.debug("%s: %s timed out after %d attempts", self.mac, what, attempt)
        raise S20TimeoutError(f"{self.mac} at {self.host} did not answer {what}")

    async def relay_request(self, datagram: bytes, request: ClientMessage, alive: Callable[[], bool]) -> bool:
        """Send a relay client's datagram in turn with our requests; False if it was not sent.

        It holds the queue until the socket's reply to it (same command) or one RTO: the relay
        client resends by itself. A reply after that may still come, so the next request
        waits it out. Not sent when the client stopped or the relay client is gone by its turn.
        """
        command = request.command
        async with self._lock:
            if self._stopped or not alive():
                return False
            await self._settle()
            if (wait := self._quiet_until - _now()) > 0:
                await asyncio.sleep(wait)
            pending = _Pending(lambda m: True if m.command == command else None, None, _now() + self.timing.max_rto_s)
            self._pending = pending
            try:
                if isinstance(request, PowerRequest):
                    self._relayed_power = (request.state is PowerState.ON, _now() + _RELAYED_CHANGE_WINDOW_S)
                pending.sent(_now())
                self.endpoint.send_datagram(datagram, self.host)
                if pending.result is None:
                    waiter = pending.wait(self._rto())
                    try:
                        await waiter
                    except asyncio.CancelledError:
                        if self._stopped and waiter.cancelled() and not _cancelling():
                            return True  # stop() ended the wait: the datagram went out
                        raise
                    finally:
                        pending.stop_waiting()
            finally:
                self._pending = None
            if pending.result is None:
                self._settle_until = max(self._settle_until, _now() + self._rto())
            return True

    def _stopped_error(self, what: str) -> S20ConnectionError:
        return S20ConnectionError(f"{self.mac}: the client stopped before {what} was answered")

    def _settle_after_resends(self, now: float, started: float, last_sent: float, echo: float | None) -> None:
        """Let the late replies of a resent request land before the next request.

        Replies carry no request id, so the next request could take a late one for its own.
        Each copy is answered a round trip after it was sent. While the round-trip estimate is
        trusted, the last copy's direct reply is due within its bound (srtt + 4 rttvar). If it
        came in time, or the request ended before it was due (a push of an earlier copy
        confirmed it), earlier copies' replies are lost or already in, and one RTO after the
        last copy (≥ min_rto) covers the last one's. A reply later than the bound means the
        round trip outgrew the estimate: an earlier copy may have been the one answered, its
        successors' replies still on the way (Karn's rule: which copy is unknown), and the
        estimate is not trusted again until an unambiguous sample. Then, or when the last
        copy's reply was lost, the round trip is only known to be at most what the request took.
        """
        srtt = self._srtt
        if srtt is not None and self._rtt_trusted:
            bound = srtt + 4 * self._rttvar
            if echo is not None and echo > bound:
                self._rtt_trusted = False
            elif echo is not None or now - last_sent <= bound:
                self._settle_until = last_sent + self._rto()
                return
        self._settle_until = now + min(now - started, self.timing.max_rto_s)

    async def _settle(self) -> None:
        """Wait out the late replies of the previous request (see _request)."""
        if (wait := self._settle_until - _now()) > 0:
            await asyncio.sleep(wait)

    async def _subscribe_locked(self, *, settle: bool = True) -> bool:
        mac = self.mac
        state = await self._request(
            lambda _: (SubscribeRequest(mac=mac),),
            lambda m: m.state is PowerState.ON if isinstance(m, SubscribeReply) else None,
            what="subscribe",
        )
        self._subscribed_at = _now()
        self._update_state(state)
        self._set_available(True)
        if settle:
            await asyncio.sleep(self.timing.post_subscribe_gap_s)
        else:
            # The keepalive: only our next request waits out the socket's deaf moment after a
            # cl ack (§4.4), so a keepalive with nothing behind it costs no extra wake-up.
            self._quiet_until = max(self._quiet_until, self._subscribed_at + self.timing.post_subscribe_gap_s)
        return state

    async def _ensure_subscribed(self) -> None:
        now = _now()
        if self._subscribed_at is None or now - self._last_heard > self.timing.resubscribe_idle_s:
            await self._subscribe_locked()

    async def _command(
        self,
        messages: Callable[[int], tuple[ClientMessage, ...]],
        match: Callable[[DeviceMessage], _T | None],
        *,
        what: str,
    ) -> _T:
        async with self._lock:
            await self._ensure_subscribed()
            return await self._request(messages, match, what=what)

    # --- operations --------------------------------------------------------------------------

    async def subscribe(self) -> bool:
        """Subscribe (again) and return the relay state."""
        return await self._subscribe()

    async def _subscribe(self, *, settle: bool = True) -> bool:
        async with self._lock:
            try:
                return await self._subscribe_locked(settle=settle)
            except S20TimeoutError:
                if self.silent_s >= self.timing.unavailable_after_s:
                    self._set_available(False)
                raise

    @property
    def silent_s(self) -> float:
        """Seconds since the last datagram from the socket."""
        return _now() - self._last_heard

    async def async_update(self) -> bool:
        """Refresh the state by re-subscribing (the backstop poll)."""
        return await self.subscribe()

    async def set_power(self, on: bool) -> None:
        """Switch the relay and wait until the socket confirms the new state."""
        mac, wanted = self.mac, PowerState.ON if on else PowerState.OFF
        acks_before = self._acks_seen
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
        self._update_state(on, requested=True)

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

    async def heartbeat(self) -> None:
        """Send one heartbeat and wait for its echo.

        Resends also subscribe: a socket that rebooted (or dropped off Wi-Fi for minutes)
        forgot us and ignores heartbeats, and its cl reply renews the subscription one RTO
        later instead of after the whole deadline, which the requests queued behind would wait.
        """
        mac = self.mac
        session = random.getrandbits(32).to_bytes(4, "little")
        beat: tuple[ClientMessage, ...] = (HeartbeatRequest(mac=mac, session=session),)
        again = (*beat, SubscribeRequest(mac=mac))

        def match(message: DeviceMessage) -> bool | None:
            if isinstance(message, Ack) and message.command is Command.HEARTBEAT:
                return True
            return False if isinstance(message, SubscribeReply) else None  # its state is taken already

        async with self._lock:
            if self._subscribed_at is None:
                await self._subscribe_locked()
                return
            echoed = await self._request(lambda attempt: beat if attempt == 0 else again, match, what="heartbeat")
            if not echoed:
                self._subscribed_at = _now()
                self._set_available(True)
                await asyncio.sleep(self.timing.post_subscribe_gap_s)

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
        if rest not in (0, 30) or hours > 14:
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

    # --- keepalive -----------------------------------------------------------------------------

    def _until_next_keepalive(self) -> float:
        """Seconds to the next multiple of keepalive_s on the loop's clock: every client's
        keepalive falls due at the same moments, so one wake-up of the event loop serves them all."""
        period = self.timing.keepalive_s
        return period - _now() % period

    async def _keepalive_loop(self) -> None:
        delay = 0.0 if self._subscribed_at is None else self._until_next_keepalive()
        while True:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            if self._subscribed_at is None:
                self.stats.resubscribes += 1  # lost: a reboot, a timeout, a new address
            try:
                await self._subscribe(settle=False)
            except S20ConnectionError:
                delay = self.timing.keepalive_retry_s
            else:
                delay = self._until_next_keepalive()
