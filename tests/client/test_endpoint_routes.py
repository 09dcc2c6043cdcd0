"""The endpoint's routing and its own counters: a stopped client hears nothing more, a socket's
messages without a client are counted, our own broadcasts heard back are no errors, and an
endpoint without a broadcast listener (Home Assistant's, bound to 0.0.0.0) sends from its one
socket. Failures name the port and what to do."""

from __future__ import annotations

import asyncio
import socket

import pytest

from custom_components.orvibo_s20.client import (
    EndpointConfig,
    S20Client,
    S20Endpoint,
    discover,
    probe_mac,
)
from custom_components.orvibo_s20.protocol import EndpointError, Mac
from simulator import Simulator

from .conftest import FAST


async def test_a_stopped_client_hears_nothing_more(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    stopped = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    other = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await stopped.subscribe()
    await stopped.stop()
    calls: list[bool | None] = []
    stopped.add_listener(lambda: calls.append(stopped.state))
    assert await other.subscribe() is False
    vs.press_button()
    await asyncio.sleep(0.1)
    assert other.state is True
    assert stopped.state is False and calls == []
    await other.stop()


async def test_an_unregister_callable_does_nothing_the_second_time(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A route removed twice (a caller's cleanup running again) is no error, and the other
    route of the same socket keeps hearing it. Kills endpoint `register__mutmut_15` and `_17`."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    heard: list[str] = []
    unregister = endpoint.register(vs.mac, vs.ip, lambda message: heard.append(message.command.value))
    unregister()
    unregister()
    assert await client.subscribe() is False  # the client's own route still works
    assert heard == []
    await client.stop()
    unregister()  # with no route left for the MAC at all
    assert heard == []


async def test_messages_of_a_socket_without_a_client_are_counted(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.subscribe()
    await client.stop()  # the socket still has us subscribed: its pushes come, for nobody
    vs.press_button()
    vs.press_button()
    await asyncio.sleep(0.1)
    assert endpoint.stats.unknown_mac == 4  # two pushes, each repeated
    assert endpoint.stats.malformed == 0


async def test_our_own_broadcasts_heard_back_are_no_errors(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.add_socket(ip="127.0.0.2")
    await discover(endpoint, window_s=0.5)  # three `qa`, each heard back by our broadcast listener
    await probe_mac(endpoint, Mac.parse("ac:cf:23:00:00:99"), timeout_s=0.3)  # three `qg`, likewise
    assert endpoint.stats.received > 6
    assert (endpoint.stats.malformed, endpoint.stats.unknown_mac, endpoint.stats.spoofed) == (0, 0, 0)


async def test_an_endpoint_without_a_broadcast_listener_works(simulator: Simulator) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    endpoint = S20Endpoint(EndpointConfig(bind_host="127.0.0.1", port=simulator.port, reuse_address=True))
    await endpoint.open()
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.set_power(True)
    assert vs.state is True
    await client.stop()
    endpoint.close()


async def test_a_taken_port_says_what_to_do(simulator: Simulator) -> None:
    port = Simulator.free_port()
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))
    endpoint = S20Endpoint(EndpointConfig(bind_host="127.0.0.1", port=port, reuse_address=True))
    with pytest.raises(EndpointError) as failure:
        await endpoint.open()
    holder.close()
    assert str(failure.value) == (
        f"UDP port {port} on 127.0.0.1 is already in use by another program "
        "(another S20 controller?); stop it or choose another port"
    )


async def test_a_closed_endpoint_names_itself(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    endpoint.close()
    with pytest.raises(EndpointError) as failure:
        await client.subscribe()
    assert str(failure.value) == "the S20 endpoint is closed"
    assert (failure.value.host, failure.value.port) == ("127.0.0.1", simulator.port)
    await client.stop()
