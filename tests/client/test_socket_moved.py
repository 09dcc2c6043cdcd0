"""A socket followed to a new address is subscribed again there before the next command."""

from __future__ import annotations

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from simulator import Simulator

from .conftest import FAST


async def test_a_new_address_is_subscribed_before_the_next_command(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    client.set_host("127.0.0.2")  # the same address: nothing to do
    sent = simulator.record_arrivals()
    await client.set_power(True)
    assert len(sent) == 1  # dc only
    simulator.move(vs.mac, "127.0.0.20")
    client.set_host("127.0.0.20")
    sent = simulator.record_arrivals()
    await client.set_power(False)
    assert len(sent) == 2 and vs.state is False  # cl, then dc
    assert client.host == "127.0.0.20"
    await client.stop()


async def test_following_a_stopped_client_to_a_new_address_is_harmless(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.stop()  # its route is gone from the endpoint
    client.set_host("127.0.0.20")
    assert client.host == "127.0.0.20"
