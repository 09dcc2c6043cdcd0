"""Listeners are called on every change until removed; a removed one is never called again."""

from __future__ import annotations

from custom_components.orvibo_s20.client import S20Client, S20Endpoint, discover
from custom_components.orvibo_s20.protocol import DiscoveryReply
from simulator import Simulator

from .conftest import FAST


async def test_a_removed_state_listener_is_not_called(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    kept: list[bool | None] = []
    removed: list[bool | None] = []
    client.add_listener(lambda: kept.append(client.state))
    remove = client.add_listener(lambda: removed.append(client.state))
    await client.set_power(True)
    heard = len(removed)
    assert heard > 0
    remove()
    await client.set_power(False)
    assert len(removed) == heard and kept[-1] is False
    await client.stop()


async def test_a_removed_discovery_listener_is_not_called(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.add_socket(ip="127.0.0.2")
    heard: list[str] = []

    def listener(reply: DiscoveryReply, host: str) -> None:
        heard.append(host)

    remove = endpoint.add_discovery_listener(listener)
    assert len(await discover(endpoint, window_s=0.2)) == 1
    assert heard and set(heard) == {"127.0.0.2"}
    count = len(heard)
    remove()
    assert len(await discover(endpoint, window_s=0.2)) == 1
    assert len(heard) == count
