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
    """Messages that are no `cl` reply (here the socket's discovery burst) do not answer it."""
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert await probe_host(endpoint, vs.ip, timeout_s=0.5) is not None  # its 10 replies come
    simulator.set_faults(Faults(loss_to_device=1.0))  # and our cl is lost, until 0.5 s
    asyncio.get_running_loop().call_later(0.5, simulator.set_faults, Faults())
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
    vs.press_button(push=False)  # on again, its pushes lost: the next subscribe reads it
    await client.subscribe()
    assert seen == [(True, True), (False, False), (True, False)]
    await client.stop()


async def test_a_first_state_read_is_not_a_change_we_asked_for(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    assert await client.subscribe() is True
    assert client.change_requested is False
    await client.stop()


async def test_a_command_confirmed_by_a_resends_cl_is_ours(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    seen: list[tuple[bool | None, bool]] = []
    client.add_listener(lambda: seen.append((client.state, client.change_requested)))
    simulator.set_faults(Faults(loss_to_device=1.0, loss_from_device=1.0))
    # The first dc is lost; the resend (dc + cl) lands, and only its cl reply gets back.
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, simulator.set_faults, Faults(loss_from_device=1.0))
    loop.call_later(0.03, simulator.set_faults, Faults())
    await client.set_power(True)
    assert vs.state is True and seen == [(True, True)]
    await client.stop()


async def test_a_press_while_our_command_waits_is_not_ours(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    seen: list[tuple[bool | None, bool]] = []
    client.add_listener(lambda: seen.append((client.state, client.change_requested)))
    simulator.set_faults(Faults(loss_to_device=1.0))  # our dc is lost for now
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, vs.press_button)  # on by hand: its push says so, and is not our confirmation
    loop.call_later(0.05, simulator.set_faults, Faults())
    await client.set_power(True)
    assert vs.state is True and seen == [(True, False)]
    await client.stop()
