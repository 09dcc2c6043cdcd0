"""Replies that arrive after the client resent: a late ack must not confirm the next request.

Found by the soak (seed 2): a timer delete was confirmed by the late second ack of the
previous write, while the delete itself was lost and the timer stayed.
"""

from __future__ import annotations

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

