"""The resend schedule, pinned on loop time: first resend, back-off, cap, deadline, defaults.

Every request goes over real UDP to the simulator, which loses it (or answers) through its fault
injector. The tests here run on loop time (tests/loopback.py's loop_time), and the simulator notes
each datagram's arrival on that clock: on loopback, the client's send times, exact however loaded
the machine is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields, replace

import pytest

from custom_components.orvibo_s20.client import ClientTiming, S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import S20ConnectionError, S20TimeoutError
from simulator import Faults, Simulator

# Round numbers, each distinct, so that every term of the schedule shows in the send times.
TIMING = ClientTiming(initial_rto_s=0.1, min_rto_s=0.02, max_rto_s=0.5, backoff=2.0, deadline_s=2.0)
LOST = Faults(loss_to_device=1.0)
EXACT = 1e-6  # sums of the loop's nanosecond clock; any real error is milliseconds


@dataclass(frozen=True)
class Outcome:
    """One request's datagrams as the simulator received them, and how the request ended."""

    sends: list[float]  # offsets from the first send, loop seconds
    ended_after: float  # when the call returned or raised, from the first send
    error: BaseException | None
    sent: int
    timeouts: int


async def lost_request(
    simulator: Simulator,
    endpoint: S20Endpoint,
    timing: ClientTiming,
    *,
    reply_delay_s: float | None = None,
    restore_at: float | None = None,
) -> Outcome:
    """A subscribe whose datagrams the simulator loses (until restore_at, if given).

    With reply_delay_s, one subscribe is answered first (after that delay), so the lost one is
    resent at the RTO measured from it; without, the lost subscribe is the client's first request.
    """
    if reply_delay_s is not None:
        simulator.timing = replace(simulator.timing, reply_delay_s=reply_delay_s)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=timing)
    if reply_delay_s is not None:
        assert await client.subscribe() is False
    sent_before = client.stats.sent
    simulator.set_faults(LOST)
    arrivals = simulator.record_arrivals()
    loop = asyncio.get_running_loop()
    start = loop.time()
    if restore_at is not None:
        loop.call_at(start + restore_at, simulator.set_faults, Faults())
    error: BaseException | None = None
    try:
        await client.subscribe()
    except S20ConnectionError as err:
        error = err
    ended = loop.time() - start
    await client.stop()
    sends = [t - start for t in arrivals]
    return Outcome(sends, ended, error, client.stats.sent - sent_before, client.stats.timeouts)


def gaps(sends: list[float]) -> list[float]:
    return [b - a for a, b in zip(sends, sends[1:], strict=False)]


@pytest.fixture
async def lost(simulator: Simulator, endpoint: S20Endpoint) -> Outcome:
    """The schedule of TIMING for a first request that is never answered."""
    return await lost_request(simulator, endpoint, TIMING)


def test_first_resend_comes_after_the_initial_rto(lost: Outcome) -> None:
    assert lost.sends[0] == 0.0
    assert lost.sends[1] == pytest.approx(TIMING.initial_rto_s, abs=EXACT)


def test_each_resend_waits_backoff_times_longer_until_the_cap(lost: Outcome) -> None:
    # 0.1, 0.2, 0.4, then 0.8 capped at 0.5
    assert gaps(lost.sends)[:4] == pytest.approx([0.1, 0.2, 0.4, 0.5], abs=EXACT)
    first, second, third = gaps(lost.sends)[:3]
    assert second / first == pytest.approx(TIMING.backoff)
    assert third / second == pytest.approx(TIMING.backoff)


def test_the_interval_stays_at_the_cap(lost: Outcome) -> None:
    assert gaps(lost.sends)[3:5] == pytest.approx([TIMING.max_rto_s] * 2, abs=EXACT)


def test_it_gives_up_at_the_deadline(lost: Outcome) -> None:
    # The copy due at 2.2 would leave after the deadline: none is sent then.
    assert lost.sends == pytest.approx([0.0, 0.1, 0.3, 0.7, 1.2, 1.7], abs=EXACT)
    assert lost.ended_after == pytest.approx(TIMING.deadline_s, abs=EXACT)
    assert isinstance(lost.error, S20TimeoutError)
    assert isinstance(lost.error, TimeoutError)  # documented: also the builtin
    assert str(lost.error) == "ac:cf:23:00:00:02 at 127.0.0.2 did not answer subscribe"
    assert (lost.sent, lost.timeouts) == (6, 1)


async def test_shipped_defaults(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """The values docs/client-api.md and the README describe, and the schedule they give."""
    assert {f.name: getattr(ClientTiming(), f.name) for f in fields(ClientTiming)} == {
        "initial_rto_s": 0.25,
        "min_rto_s": 0.05,
        "max_rto_s": 1.0,
        "backoff": 1.3,
        "deadline_s": 5.0,
        "keepalive_s": 10.0,
        "keepalive_retry_s": 2.0,
        "unavailable_after_s": 20.0,
        "resubscribe_idle_s": 60.0,
        "burst_guard_s": 0.2,
        "post_subscribe_gap_s": 0.01,
    }
    outcome = await lost_request(simulator, endpoint, ClientTiming())
    # 0.25 × 1.3ⁿ: 0.25, 0.325, 0.4225, 0.549, 0.714, 0.928, then capped at 1 s; gives up at 5 s.
    assert outcome.sends == pytest.approx(
        [0.0, 0.25, 0.575, 0.9975, 1.54675, 2.260775, 3.1890075, 4.1890075], abs=EXACT
    )
    assert isinstance(outcome.error, S20TimeoutError)
    assert outcome.ended_after == pytest.approx(5.0, abs=EXACT)


@pytest.mark.parametrize(
    ("timing", "reply_delay_s", "first_rto"),
    [
        (TIMING, 0.03, 0.09),  # srtt 0.03 + 4 × rttvar 0.015
        (TIMING, 0.0, 0.02),  # clamped up to min_rto_s
        # 0.3 + 4 × 0.15 = 0.9, clamped down to max_rto_s (the initial RTO lets the reply in unresent)
        (replace(TIMING, initial_rto_s=1.0), 0.3, 0.5),
    ],
)
async def test_after_a_measured_round_trip_the_first_resend_follows_it(
    simulator: Simulator, endpoint: S20Endpoint, timing: ClientTiming, reply_delay_s: float, first_rto: float
) -> None:
    outcome = await lost_request(simulator, endpoint, timing, reply_delay_s=reply_delay_s)
    assert gaps(outcome.sends)[0] == pytest.approx(first_rto, abs=EXACT)
    assert gaps(outcome.sends)[1] == pytest.approx(min(first_rto * TIMING.backoff, TIMING.max_rto_s), abs=EXACT)
    assert isinstance(outcome.error, S20TimeoutError)


async def test_an_answer_ends_the_resends(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Lost at 0 and 0.1; the copy at 0.3 is answered: no fourth copy, no error.
    outcome = await lost_request(simulator, endpoint, TIMING, restore_at=0.25)
    assert outcome.sends == pytest.approx([0.0, 0.1, 0.3], abs=EXACT)
    assert outcome.error is None
    assert outcome.ended_after == pytest.approx(0.3 + TIMING.post_subscribe_gap_s, abs=EXACT)
    assert (outcome.sent, outcome.timeouts) == (3, 0)
