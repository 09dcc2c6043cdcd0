"""Two clients of one socket at once (an entry's and a config flow's, say): the endpoint gives
each of them every message of the socket, and each request takes only its own kind of reply.

Every request lands 50 ms after it left; theirs is a power command whose ack and pushes arrive
while ours waits: ours must still end only with its own reply, its effect on the socket done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from simulator import Faults, Simulator, VirtualSocket

from .conftest import FAST

TIMING = replace(FAST, initial_rto_s=0.2, min_rto_s=0.2)  # no resends within these round trips
LATENCY = 0.05

type Operation = Callable[[S20Client], Awaitable[object]]
type Done = Callable[[VirtualSocket], bool]

# (name, our operation, what it leaves in the socket, when theirs leaves relative to ours)
CASES: list[tuple[str, Operation, Done, float]] = [
    # Ours reads at 0 (answered at 0.05) and writes at 0.05 (acked at 0.10); theirs, sent at
    # 0.02, is acked and pushed at 0.07.
    ("write", lambda c: c.set_locked(True), lambda vs: vs.socket_data.discoverable is False, 0.02),
    # Ours leaves at 0.02 and is answered at 0.07; theirs, sent at 0, is acked at 0.05.
    ("countdown", lambda c: c.start_countdown(600, action=True), lambda vs: vs.countdown is not None, -0.02),
    ("read", lambda c: c.read_tables(), lambda vs: True, -0.02),
]


async def _after(delay: float, command: Awaitable[None]) -> None:
    await asyncio.sleep(delay)
    await command


@pytest.mark.parametrize(("name", "operation", "done", "theirs_at"), CASES, ids=[c[0] for c in CASES])
async def test_their_power_reply_does_not_answer_our_request(
    simulator: Simulator, endpoint: S20Endpoint, name: str, operation: Operation, done: Done, theirs_at: float
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    ours = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    theirs = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await ours.subscribe()
    await theirs.subscribe()
    simulator.set_faults(Faults(latency_to_device_s=LATENCY))
    if theirs_at < 0:
        power = asyncio.create_task(theirs.set_power(True))
        await asyncio.sleep(-theirs_at)
    else:
        power = asyncio.create_task(_after(theirs_at, theirs.set_power(True)))
    result = await operation(ours)
    assert done(vs)  # ended by its own reply: what it asked for is in the socket
    if name == "read":
        assert {t.table for t in result} == {4}  # type: ignore[attr-defined]
    await power
    assert vs.state is True
    await ours.stop()
    await theirs.stop()
