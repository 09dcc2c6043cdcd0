"""Sub-millisecond timers for the simulated network's delays (latency, reply and push delays).

asyncio's timers wake the loop through epoll, whose timeout is whole milliseconds (`selectors`
rounds it up), so a 5 ms `call_later` fires 5–6 ms late and a round trip over a "5 ms" link took
up to 2 ms more than configured. A `timerfd` armed at the earliest deadline wakes the same epoll
with the kernel's high-resolution timer instead (timer slack ~50 µs) and costs no busy-waiting.
Where there is no timerfd (not Linux), or a test drives the loop's clock, `loop.call_later` is
used, with its millisecond error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import heapq
import itertools
import os
import time

_NS = 1_000_000_000


class PreciseTimers:
    """Run callbacks after a delay, to the kernel's timer precision, on one asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, kernel_timer: bool = True) -> None:
        self._loop = loop
        # (deadline in monotonic ns, sequence: first scheduled runs first, callback)
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._armed_at: int | None = None
        self._fallback: set[asyncio.TimerHandle] = set()
        self._fd: int | None = None
        # Without kernel_timer (a test drives the loop's clock) the loop's timers serve instead.
        if kernel_timer and hasattr(os, "timerfd_create"):
            try:
                self._fd = os.timerfd_create(time.CLOCK_MONOTONIC, flags=os.TFD_NONBLOCK | os.TFD_CLOEXEC)
                loop.add_reader(self._fd, self._run_due)
            except (OSError, NotImplementedError):
                self._close_fd()

    @property
    def precise(self) -> bool:
        """Whether a timerfd is in use (else asyncio's millisecond timers)."""
        return self._fd is not None

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run callback after delay seconds (cancelled only all at once, by clear or close)."""
        if self._fd is None:
            handle: asyncio.TimerHandle

            def run() -> None:
                self._fallback.discard(handle)
                callback()

            handle = self._loop.call_later(delay, run)
            self._fallback.add(handle)
            return
        deadline = time.monotonic_ns() + int(delay * _NS)
        heapq.heappush(self._heap, (deadline, next(self._sequence), callback))
        if self._armed_at is None or deadline < self._armed_at:
            self._arm(deadline)

    def clear(self) -> None:
        """Drop everything scheduled."""
        self._heap.clear()
        for handle in self._fallback:
            handle.cancel()
        self._fallback.clear()
        if self._fd is not None and self._armed_at is not None:
            os.timerfd_settime_ns(self._fd, initial=0)  # disarm
        self._armed_at = None

    def close(self) -> None:
        """Drop everything scheduled and release the timerfd."""
        self.clear()
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._close_fd()

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _arm(self, deadline: int) -> None:
        assert self._fd is not None
        # Absolute time: no drift between reading the clock and arming. A deadline already
        # past fires at once.
        os.timerfd_settime_ns(self._fd, flags=os.TFD_TIMER_ABSTIME, initial=max(deadline, 1))
        self._armed_at = deadline

    def _run_due(self) -> None:
        assert self._fd is not None
        try:
            os.read(self._fd, 8)  # the expiry count; only clears readability
        except BlockingIOError:
            pass  # re-armed or disarmed since it fired
        self._armed_at = None
        heap = self._heap
        try:
            now = time.monotonic_ns()
            while heap and heap[0][0] <= now:
                callback = heapq.heappop(heap)[2]
                try:
                    callback()
                except Exception as err:  # noqa: BLE001  one failing send must not stop the others
                    self._loop.call_exception_handler(
                        {"message": "simulator timer callback failed", "exception": err}
                    )
        finally:
            if heap and self._fd is not None:
                self._arm(heap[0][0])
