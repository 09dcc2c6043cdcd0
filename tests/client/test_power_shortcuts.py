"""turn_on, turn_off and toggle: each switches the socket's relay and returns once it confirmed."""

from __future__ import annotations

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from simulator import Simulator

from .conftest import FAST


async def test_turn_on_and_off_switch_the_relay(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.turn_on()
    assert vs.state is True and client.state is True
    await client.turn_on()  # already on: stays on
    assert vs.state is True
    await client.turn_off()
    assert vs.state is False and client.state is False
    await client.stop()


async def test_toggle_reads_the_state_first_then_flips_it(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert client.state is None  # nothing heard yet: the socket's own state decides
    assert await client.toggle() is False
    assert vs.state is False and client.state is False
    assert await client.toggle() is True
    assert vs.state is True
    vs.press_button()  # off by hand: the push tells the client
    await client.subscribe()
    assert await client.toggle() is True
    assert vs.state is True
    await client.stop()
