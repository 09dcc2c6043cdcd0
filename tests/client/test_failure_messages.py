"""A request the socket never answers fails with S20TimeoutError naming the socket and the request.

The message is what the command-line tool prints and Home Assistant shows: each operation must
say which of its requests went unanswered (a settings change first reads the record, then writes
it; which one failed tells a socket gone mid-change from one gone before it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, probe_host
from custom_components.orvibo_s20.protocol import PowerState, S20ConnectionError, S20TimeoutError, Timer
from simulator import Faults, Simulator

from .conftest import FAST

SHORT = replace(FAST, initial_rto_s=0.2, deadline_s=0.3)  # no resend of an answered request
DELAY = 0.05  # each request reaches the socket this long after it was sent
A_TIMER = Timer.once(code=7, at=time(7, 30), on=date(2026, 12, 24), action=PowerState.ON)

type Operation = Callable[[S20Client], Awaitable[object]]

# Operations of one request (after the subscription), and what their failure names.
ONE_REQUEST: list[tuple[str, Operation, str]] = [
    ("subscribe", lambda c: c.subscribe(), "subscribe"),
    ("on", lambda c: c.set_power(True), "power on"),
    ("off", lambda c: c.set_power(False), "power off"),
    ("heartbeat", lambda c: c.heartbeat(), "heartbeat"),
    ("tables", lambda c: c.read_tables(), "read table 1"),
    ("socket data", lambda c: c.read_socket_data(), "read table 4"),
    ("timers", lambda c: c.get_timers(), "read table 3"),
    ("countdown", lambda c: c.get_countdown(), "read countdown"),
    ("start countdown", lambda c: c.start_countdown(60, action=False), "start countdown"),
    ("cancel countdown", lambda c: c.cancel_countdown(), "cancel countdown"),
    ("clock", lambda c: c.set_clock(datetime(2026, 12, 7, 12, tzinfo=UTC)), "set clock"),
    ("modify timer", lambda c: c.modify_timer(A_TIMER), "modify timer"),
    ("delete timer", lambda c: c.delete_timer(7), "delete timer"),
]
# Operations that read a table, then write it: the write goes unanswered.
READ_THEN_WRITE: list[tuple[str, Operation, str]] = [
    ("rename", lambda c: c.rename("Desk"), "rename"),
    ("auto-off", lambda c: c.set_auto_off(True, 60), "set auto-off"),
    ("lock", lambda c: c.set_locked(True), "set lock"),
    ("time zone", lambda c: c.set_timezone(timedelta(hours=1)), "set time zone"),
    ("add timer", lambda c: c.add_timer(replace(A_TIMER, code=0)), "add timer"),
]


def _ids(cases: list[tuple[str, Operation, str]]) -> list[str]:
    return [case[0] for case in cases]


@pytest.mark.parametrize(("name", "operation", "what"), ONE_REQUEST, ids=_ids(ONE_REQUEST))
async def test_an_unanswered_request_is_named(
    simulator: Simulator, endpoint: S20Endpoint, name: str, operation: Operation, what: str
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=SHORT)
    await client.subscribe()
    simulator.set_online(vs.mac, False)
    with pytest.raises(S20TimeoutError) as failure:
        await operation(client)
    assert str(failure.value) == f"{vs.mac} at 127.0.0.2 did not answer {what}"
    await client.stop()


@pytest.mark.parametrize(("name", "operation", "what"), READ_THEN_WRITE, ids=_ids(READ_THEN_WRITE))
async def test_an_unanswered_write_after_its_read_is_named(
    simulator: Simulator, endpoint: S20Endpoint, name: str, operation: Operation, what: str
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=SHORT)
    simulator.set_faults(Faults(latency_to_device_s=DELAY))
    await client.subscribe()
    # The read arrives at DELAY and is answered at once; the write, sent then, would arrive at
    # 2 × DELAY: the socket leaves Wi-Fi in between.
    asyncio.get_running_loop().call_later(1.5 * DELAY, simulator.set_online, vs.mac, False)
    with pytest.raises(S20TimeoutError) as failure:
        await operation(client)
    assert str(failure.value) == f"{vs.mac} at 127.0.0.2 did not answer {what}"
    assert vs.counters.dropped_offline > 0  # the write (and its resends) reached a socket gone
    await client.stop()


async def test_a_request_cut_short_by_stop_is_named(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=SHORT)
    await client.subscribe()
    simulator.set_online(vs.mac, False)
    waiting = asyncio.create_task(client.get_countdown())
    await asyncio.sleep(0.05)
    await client.stop()
    with pytest.raises(S20ConnectionError) as failure:
        await waiting
    assert str(failure.value) == f"{vs.mac}: the client stopped before read countdown was answered"
    with pytest.raises(S20ConnectionError) as failure:
        await client.set_power(True)  # after stop(): refused before anything is sent
    assert str(failure.value) == f"{vs.mac}: the client stopped before power on was answered"
    assert not isinstance(failure.value, S20TimeoutError)


async def test_a_request_held_back_past_its_deadline_times_out(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A discovery burst holds requests back for burst_guard_s; one whose deadline passes
    meanwhile is sent once, then fails: it does not return as if answered."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(SHORT, deadline_s=0.1, burst_guard_s=0.2))
    await client.subscribe()
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None  # its burst starts
    simulator.set_online(vs.mac, False)
    with pytest.raises(S20TimeoutError, match="did not answer read countdown$"):
        await client.get_countdown()
    await client.stop()
