"""A loopback LAN on a clock the test drives: exact timing over real UDP, whatever the machine's load.

The event loop's clock (and the client's and the simulator's `time.monotonic`) is a virtual clock
that stands still while anything can run and jumps to the next timer when the loop would sleep.
Before it jumps, the loop waits (in real time) until every datagram sent between the endpoint and
the simulator has been read, so a datagram in the kernel's hands never sees the clock move: it
arrives at the virtual instant it was sent. The simulator's delays (reply, push, latency) run on
the loop's timers, hence on the same clock.

Nothing is mocked: the client sends real datagrams to the simulator, which decodes them, drops or
answers them through its fault injector. Only the passing of time is the test's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
import selectors
import time
from types import SimpleNamespace
from typing import Any

import pytest

from custom_components.orvibo_s20.client import S20Endpoint
import custom_components.orvibo_s20.client.client as client_module
from simulator import Simulator, Timing
import simulator.lan as simulator_lan
import simulator.precise as simulator_precise
from tests.loopback import loopback_config

# A datagram on loopback is read within microseconds; waiting this long (real time) means it was lost.
_REAL_PATIENCE_S = 10.0
# A scenario that waits on nothing but timers would spin the clock for ever: stop it here (virtual).
_VIRTUAL_LIMIT_S = 3600.0


class VirtualClock:
    """Seconds that pass only when the event loop has nothing to do until its next timer."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start

    def monotonic(self) -> float:
        """The current virtual time (stands in for time.monotonic)."""
        return self.now

    def elapsed(self) -> float:
        """Virtual seconds since the clock was made."""
        return self.now - self.start


class _JumpingSelector(selectors.BaseSelector):
    """The real selector, except that sleeping moves the virtual clock instead of waiting."""

    def __init__(self, clock: VirtualClock) -> None:
        self._real = selectors.DefaultSelector()
        self._clock = clock
        self.settled: Callable[[], bool] = lambda: True  # every datagram sent has been read
        self.observers: list[Callable[[], None]] = []

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        for observe in self.observers:
            observe()
        ready = self._real.select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        give_up = time.monotonic() + _REAL_PATIENCE_S
        while not self.settled():
            if ready := self._real.select(0.001):
                return ready
            if time.monotonic() > give_up:
                raise RuntimeError("a datagram sent on the loopback LAN was never read")
        for observe in self.observers:  # what the last reads brought, stamped before time moves
            observe()
        if timeout is None:  # nothing scheduled: only another thread could wake the loop
            if ready := self._real.select(_REAL_PATIENCE_S):
                return ready
            raise RuntimeError("the event loop waits for nothing that can happen")
        if self._clock.elapsed() + timeout > _VIRTUAL_LIMIT_S:
            raise RuntimeError(f"still waiting after {_VIRTUAL_LIMIT_S:.0f} virtual seconds")
        self._clock.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on a VirtualClock."""

    def __init__(self, clock: VirtualClock) -> None:
        self._jumping = _JumpingSelector(clock)
        super().__init__(self._jumping)
        self.clock = clock

    def time(self) -> float:
        return self.clock.now

    def settle_on(self, settled: Callable[[], bool]) -> None:
        """Let the clock move only while settled() is true."""
        self._jumping.settled = settled

    def observe(self, observer: Callable[[], None]) -> None:
        """Call observer before every poll of the selector (and before every jump of the clock)."""
        self._jumping.observers.append(observer)


@dataclass
class ArrivalLog:
    """The virtual time at which the simulator read each datagram (= when it was sent)."""

    simulator: Simulator
    clock: VirtualClock
    times: list[float] = field(default_factory=list)

    def __call__(self) -> None:
        for _ in range(self.simulator.counters.received - len(self.times)):
            self.times.append(self.clock.now)

    def since(self, start: float) -> list[float]:
        """Arrival times after start, as offsets from it."""
        return [t - start for t in self.times if t >= start]


@dataclass(frozen=True)
class VirtualLan:
    """What a scenario gets: the simulator, the client endpoint, the clock and the arrivals."""

    simulator: Simulator
    endpoint: S20Endpoint
    clock: VirtualClock
    arrivals: ArrivalLog

    def settled(self) -> bool:
        """Whether every datagram sent either way has been read."""
        sim, endpoint = self.simulator, self.endpoint
        return sim.counters.received == endpoint.stats.sent and endpoint.stats.received == sim.counters.sent

    async def drain(self) -> None:
        """Let the datagrams still on the wire be read (the clock stands still meanwhile)."""
        while not self.settled():
            await asyncio.sleep(0)
        self.arrivals()


def drive_clocks(monkeypatch: pytest.MonkeyPatch, clock: VirtualClock) -> None:
    """Put the client and the simulator on clock (both read time.monotonic through their `time`)."""
    virtual_time = SimpleNamespace(monotonic=clock.monotonic)
    monkeypatch.setattr(client_module, "time", virtual_time)
    monkeypatch.setattr(simulator_lan, "time", virtual_time)
    # Without a timerfd the simulator's delays of datagrams in flight use the loop's timers.
    monkeypatch.setattr(simulator_precise, "os", SimpleNamespace())


def run_on_virtual_lan[T](
    monkeypatch: pytest.MonkeyPatch, timing: Timing, scenario: Callable[[VirtualLan], Awaitable[T]]
) -> T:
    """Run scenario with a started simulator and an open endpoint, on a virtual clock."""
    clock = VirtualClock()
    drive_clocks(monkeypatch, clock)

    async def main() -> T:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        sim = Simulator(port=Simulator.free_port(), bind="0.0.0.0", seed=1, timing=timing)
        await sim.start()
        endpoint = S20Endpoint(loopback_config(sim.port))
        await endpoint.open()
        lan = VirtualLan(sim, endpoint, clock, ArrivalLog(sim, clock))
        loop.settle_on(lan.settled)
        loop.observe(lan.arrivals)
        try:
            return await scenario(lan)
        finally:
            endpoint.close()
            await sim.stop()

    return asyncio.run(main(), loop_factory=lambda: VirtualTimeLoop(clock))
