"""Several clients of one socket on one endpoint (an entry's, a config flow's, the pairing's)."""

from __future__ import annotations

import asyncio

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from simulator import Simulator

from .conftest import FAST


async def test_two_clients_of_one_mac_both_get_replies(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(name="Shared")
    long_lived = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    short_lived = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    # Concurrent requests: before routes were shared, the second registration took every reply.
    first, second = await asyncio.gather(long_lived.read_socket_data(), short_lived.read_socket_data())
    assert first.name == second.name == "Shared"
    await short_lived.stop()
    # The survivor keeps its route after the other one unregistered.
    await long_lived.set_power(True)
    assert vs.state is True
    await long_lived.stop()
    await long_lived.stop()  # idempotent
    assert endpoint.stats.unknown_mac == 0
