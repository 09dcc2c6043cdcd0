"""What a client knows before it heard anything, and what it learns from what it hears.

A new client knows nothing (Home Assistant shows unknown and unavailable); a discovery reply tells
it the product and, until something better, the relay state; a subscribe returns only once the
socket subscribed us; any client's `cl` reply updates every client of that socket; a change says
whether it answered our own set_power.
"""

from __future__ import annotations

import asyncio

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, probe_host
from simulator import Faults, Simulator

from .conftest import FAST


async def test_a_new_client_knows_nothing(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert (client.state, client.available, client.product_id, client.socket_data) == (None, False, None, None)
    assert (client.device_clock, client.clock_synced, client.reboots) == (None, None, 0)
    assert client.change_requested is False
    await client.stop()


async def test_a_discovery_reply_tells_the_product_and_a_first_state(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True, product_id="SOC002")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None
    assert (client.product_id, client.state, client.available) == ("SOC002", True, False)
    assert client.device_clock == vs.clock and client.clock_synced is False  # still counting from 2000
    await client.stop()


async def test_a_subscribe_returns_once_the_socket_subscribed_us(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    simulator.set_faults(Faults(loss_to_device=1.0))
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, vs.press_button)  # its push reaches us while our `cl` is lost
    loop.call_later(0.1, simulator.set_faults, Faults())
    assert await client.subscribe() is True
    assert vs.subscribers == ("127.0.0.1",)
    await client.stop()


async def test_another_clients_subscribe_updates_this_one(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    ours = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    theirs = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert await ours.subscribe() is False
    vs.press_button(push=False)  # switched on, its pushes lost
    assert await theirs.subscribe() is True
    assert ours.state is True and ours.change_requested is False
    await ours.stop()
    await theirs.stop()


async def test_a_change_says_whether_we_asked_for_it(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    seen: list[tuple[bool | None, bool]] = []
    client.add_listener(lambda: seen.append((client.state, client.change_requested)))
    await client.set_power(True)
    vs.press_button()
    await asyncio.sleep(0.1)
    assert seen == [(True, True), (False, False)]
    await client.stop()
