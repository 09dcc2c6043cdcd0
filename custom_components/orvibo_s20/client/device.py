"""`DeviceClient`: the request machinery every Orvibo device client shares (S20, AllOne).

Theory of operation (PROTOCOL.md §3–§4). A subclass adds its family's operations and reads its
family's messages in `_handle`; everything else lives here, once:

* **One request at a time.** A device answers with no request id, so each client keeps one
  outstanding request (an asyncio lock is the queue) and accepts the first reply that matches
  it (command, MAC and source IP, checked by the endpoint). A request is resent with an
  adaptive interval (smoothed round-trip time, Karn's rule, exponential backoff) until its
  proper reply arrives or the deadline passes, which raises `S20TimeoutError`.
* **Subscribe before control, and keep it.** The device ignores control from a peer that has
  not sent `cl` recently; it forgets an idle peer after about 3–5 minutes. The client subscribes
  before its first command and, once started, again every `keepalive_s` (10 s). An unanswered
  keepalive is tried again after `keepalive_retry_s`, and at once when the device is heard from
  (its announcement after a reboot, a push).
* **Available until silent.** Lossy Wi-Fi must not flap entities: the device counts as gone only
  when a subscribe goes unanswered after `unavailable_after_s` (20 s) without a datagram from it,
  and as back with the first subscribe it answers.
* **No requests into a discovery burst.** The device answers `qa`/`qg` ten times, ~15 ms
  apart, and drops other requests meanwhile (§3.1): after seeing a discovery reply from it,
  the client holds requests back for `burst_guard_s`.
* **Relayed requests.** A program on the host that talks to the device through the relay
  (client/relay.py) has its requests sent in turn with ours (`relay_request`), each holding the
  queue until its reply or one RTO: never between a request of ours and its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import asdict, dataclass
import logging
import random
from typing import ClassVar, TypeVar

from ..protocol import (
    Ack,
    Command,
    DeviceFamily,
    DeviceMessage,
    DiscoveryReply,
    HeartbeatRequest,
    Mac,
    S20ConnectionError,
    S20TimeoutError,
    SubscribeReply,
    SubscribeRequest,
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
_CLOCK_SET_AFTER = 3155673600 + 31 * 86400


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



class DeviceClient:
    """One device over the shared endpoint: its request queue, subscription and availability."""

    family: ClassVar[DeviceFamily]  # what a subclass controls

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
        self.available = False
        self.product_id: str | None = None
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
        self._keepalive: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopped = False
        self.reboots = 0
        self.device_clock: int | None = None
        self._device_clock_at = 0.0
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

    # --- what a family adds ----------------------------------------------------------------

    def _handle(self, message: DeviceMessage, answers_request: bool) -> None:
        """Read a message of the family (its state, its pushes); `answers_request`: it matched the request."""

    def _subscribed(self, reply: SubscribeReply) -> None:
        """Take what a subscribe reply tells (a socket's relay state)."""

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
                _LOGGER.debug("%s: clock went back, the device rebooted", self.mac)
                self.reboots += 1
                self._subscribed_at = None
                self._wake.set()
            self.device_clock, self._device_clock_at = message.clock, now
        self._handle(message, result is not None)
        if result is not None:
            assert pending is not None
            pending.result = result
            pending.wake()

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

        It holds the queue until the device's reply to it (same command) or one RTO: the relay
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
                self._relaying(request)
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

    def _relaying(self, request: ClientMessage) -> None:
        """A relay client's request goes out now (a family marks what it will change)."""

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

    async def _subscribe_locked(self, *, settle: bool = True) -> SubscribeReply:
        mac = self.mac
        reply = await self._request(
            lambda _: (SubscribeRequest(mac=mac),),
            lambda m: m if isinstance(m, SubscribeReply) else None,
            what="subscribe",
        )
        self._subscribed_at = _now()
        self._subscribed(reply)
        self._set_available(True)
        if settle:
            await asyncio.sleep(self.timing.post_subscribe_gap_s)
        else:
            # The keepalive: only our next request waits out the socket's deaf moment after a
            # cl ack (§4.4), so a keepalive with nothing behind it costs no extra wake-up.
            self._quiet_until = max(self._quiet_until, self._subscribed_at + self.timing.post_subscribe_gap_s)
        return reply

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

    async def _subscribe(self, *, settle: bool = True) -> SubscribeReply:
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
