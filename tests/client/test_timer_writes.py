"""Timer writes: a modify replaces the timer with its code and never adds one the socket lacks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import PowerState, Timer
from simulator import Simulator

from .conftest import FAST

EVE = Timer.once(code=0, at=time(22, 0), on=date(2026, 12, 24), action=PowerState.OFF)


async def test_modifying_a_timer_the_socket_lacks_adds_nothing(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    stored = await client.add_timer(EVE)
    assert 1 <= stored.code <= 0xFFFF and set(vs.timers) == {stored.code}
    await client.modify_timer(replace(EVE, code=stored.code % 0xFFFF + 1, hour=23))  # another code
    assert set(vs.timers) == {stored.code} and vs.timers[stored.code].hour == 22
    await client.modify_timer(replace(stored, hour=23))
    assert vs.timers[stored.code].hour == 23
    await client.stop()
