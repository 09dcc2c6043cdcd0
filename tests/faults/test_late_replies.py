"""Replies that arrive after the client resent: a late ack must not confirm the next request.

Found by the soak (seed 2): a timer delete was confirmed by the late second ack of the
previous write, while the delete itself was lost and the timer stayed.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, time

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import PowerState, S20TimeoutError, Timer, Weekday
from simulator import Faults, Simulator
from tests.client.conftest import FAST

# The socket takes 80 ms to answer (the real one: 10–300 ms) and the client first resends
# after 50 ms: each write is acked twice, the second ack after the write was confirmed.
SLOW_REPLY_S = 0.08


async def test_late_ack_of_a_resent_write_does_not_confirm_the_next(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    simulator.timing = replace(simulator.timing, reply_delay_s=SLOW_REPLY_S)
    vs = simulator.add_socket(ip="127.0.0.2")
    vs.add_timer(Timer.weekly(code=7, at=time(7), weekdays=frozenset({Weekday.MONDAY}), action=PowerState.ON,
                              today=date(2026, 1, 1)))
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, initial_rto_s=0.05, deadline_s=0.5))
    await client.subscribe()
    await client.rename("late")  # its write is resent once: a second ack is on its way
    assert client.stats.resent > 0
    simulator.set_faults(Faults(loss_to_device=1.0))  # from now on nothing reaches the socket
    with pytest.raises(S20TimeoutError):
        await client.delete_timer(7)
    assert 7 in vs.timers
    await client.stop()


async def test_a_round_trip_that_outgrew_the_estimate_still_guards_late_replies(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    """The estimate says replies come in about a millisecond, then the socket slows to 110 ms.

    A command is resent at 20, 46 and 80 ms and the first copy is answered 30 ms after the last
    copy left: more than the estimate allows, so the later copies' acks (at 130, 156 and 190 ms)
    must be waited out. One RTO after the last copy would have let them confirm the next write.
    """
    vs = simulator.add_socket(ip="127.0.0.2")
    vs.add_timer(Timer.weekly(code=7, at=time(7), weekdays=frozenset({Weekday.MONDAY}), action=PowerState.ON,
                              today=date(2026, 1, 1)))
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=0.5))
    await client.subscribe()
    for on in (True, False, True, False):  # unambiguous samples: the estimate is trusted
        await client.set_power(on)
    assert client.stats.resent == 0
    simulator.timing = replace(simulator.timing, reply_delay_s=0.11)
    await client.rename("slow")  # its read and its write are each resent three times
    assert client.stats.resent >= 6
    simulator.set_faults(Faults(loss_to_device=1.0))  # from now on nothing reaches the socket
    with pytest.raises(S20TimeoutError):
        await client.delete_timer(7)
    assert 7 in vs.timers
    await client.stop()


async def test_after_a_resent_command_the_next_waits_one_rto_not_the_whole_command(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    """Resends because of loss, with the round trip as estimated: the last copy was answered.

    The next command waits one RTO (20 ms here) after that copy, not the 0.48 s the resent one
    took (at 30 % loss such waits made the p99 of a toggle exceed 1 s).
    """
    # A few ms of reply jitter widen the estimate's bound, so that a busy machine's hiccup on
    # the one reply that counts is not taken for a grown round trip.
    simulator.timing = replace(simulator.timing, reply_delay_s=0.002, reply_jitter_s=0.004)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, max_rto_s=1.0))
    await client.subscribe()
    for _ in range(5):
        await client.set_power(True)
        await client.set_power(False)
    simulator.set_faults(Faults(loss_to_device=1.0))
    command = asyncio.create_task(client.set_power(True))
    await asyncio.sleep(0.4)  # resent at 20, 46, 80, 124, 181, 255 and 351 ms, all lost
    simulator.set_faults(Faults())
    started = asyncio.get_running_loop().time()
    await command  # the copy sent at 476 ms gets through
    took = asyncio.get_running_loop().time() - started + 0.4
    assert client.stats.resent >= 7
    t0 = asyncio.get_running_loop().time()
    await client.set_power(False)
    assert asyncio.get_running_loop().time() - t0 < min(0.25, took / 2)
    assert vs.state is False
    await client.stop()
