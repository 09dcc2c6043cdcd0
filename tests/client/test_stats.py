"""The counters diagnostics show: what the client and the endpoint sent, resent and received."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import S20TimeoutError
from simulator import Faults, Simulator

from .conftest import FAST


async def test_counters_of_a_short_session(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()  # cl → cl reply
    await client.set_power(True)  # dc → ack and two pushes
    vs.press_button()  # two pushes
    simulator.set_faults(Faults(loss_to_device=1.0))
    asyncio.get_running_loop().call_later(0.01, simulator.set_faults, Faults())
    await client.get_countdown()  # lost once, answered on the resend
    await asyncio.sleep(0.2)  # the repeats of the pushes come in
    assert client.stats.as_dict() == {
        "requests": 3, "sent": 4, "resent": 1, "timeouts": 0, "pushes": 4, "resubscribes": 0,
    }
    assert endpoint.stats.as_dict() == {
        "sent": 4, "received": 7, "malformed": 0, "spoofed": 0, "unknown_mac": 0, "homemate": 0, "unknown_product": 0,
    }
    await client.stop()


async def test_every_timeout_is_counted(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=0.2))
    await client.subscribe()
    simulator.set_online(vs.mac, False)
    for _ in range(2):
        with pytest.raises(S20TimeoutError):
            await client.get_countdown()
    assert client.stats.timeouts == 2
    await client.stop()
