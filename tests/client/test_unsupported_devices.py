"""Devices that answer on the port but cannot be controlled are counted and named, never dropped.

A HomeMate device (the simulator's sends a real captured `pk` frame) and a device with a product
id the integration does not know answer a scan beside an S20: the scan lists the S20, the
endpoint counts every frame of the others by family, and `collect_unsupported` names them.
"""

from __future__ import annotations

import asyncio

from custom_components.orvibo_s20.client import S20Endpoint, discover
from custom_components.orvibo_s20.client.unsupported import UnsupportedDevice, collect_unsupported
from custom_components.orvibo_s20.protocol.families import UnsupportedFamily
from simulator import Simulator

from .conftest import wait_for


async def test_a_scan_names_a_homemate_device_and_counts_its_frames(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    lamp = simulator.add_socket(ip="127.0.0.2")
    homemate = simulator.add_homemate(ip="127.0.0.40")
    await wait_for(lambda: endpoint.stats.homemate == 1)  # its broadcast when plugged in
    async with collect_unsupported(endpoint) as unsupported:
        found = await discover(endpoint)
    assert [socket.mac for socket in found] == [lamp.mac]
    assert unsupported == [UnsupportedDevice(family=UnsupportedFamily.HOMEMATE, host="127.0.0.40")]
    assert unsupported[0].label == "HomeMate at 127.0.0.40"
    assert unsupported[0].reason == "encrypted cloud protocol"
    # It answered each of the scan's three broadcasts: every frame it sent was counted, none
    # as malformed.
    assert homemate.heard == 3
    await wait_for(lambda: endpoint.stats.homemate == homemate.sent == 4)
    assert (endpoint.stats.malformed, endpoint.stats.unknown_product) == (0, 0)


async def test_a_scan_names_a_device_with_an_unknown_product_id(simulator: Simulator, endpoint: S20Endpoint) -> None:
    lamp = simulator.add_socket(ip="127.0.0.2")
    stranger = simulator.add_socket(ip="127.0.0.41", product_id="KEP001")
    allone = simulator.add_socket(ip="127.0.0.42", product_id="IRD012")  # the AllOne is not unknown
    async with collect_unsupported(endpoint) as unsupported:
        found = await discover(endpoint)
    assert [socket.mac for socket in found] == [lamp.mac]
    assert unsupported == [
        UnsupportedDevice(family=UnsupportedFamily.UNKNOWN, host="127.0.0.41", mac=stranger.mac, product_id="KEP001")
    ]
    assert unsupported[0].label == f"Orvibo KEP001 {stranger.mac} at 127.0.0.41"
    assert unsupported[0].reason == "unknown product id"
    # Every reply of its burst is counted; the AllOne's are not.
    await wait_for(lambda: endpoint.stats.unknown_product == stranger.counters.replies > 0)
    assert allone.counters.replies > 0
    assert (endpoint.stats.malformed, endpoint.stats.homemate) == (0, 0)


async def test_an_idle_endpoint_counts_homemate_broadcasts(simulator: Simulator, endpoint: S20Endpoint) -> None:
    heard: list[UnsupportedDevice] = []
    remove = endpoint.add_unsupported_listener(heard.append)
    homemate = simulator.add_homemate(ip="127.0.0.40", announce_every_s=1.0)
    await asyncio.sleep(2.5)  # at 0, 1 and 2 s
    assert homemate.heard == 0  # nobody asked it anything
    assert endpoint.stats.homemate == homemate.sent == 3
    assert heard == [UnsupportedDevice(family=UnsupportedFamily.HOMEMATE, host="127.0.0.40")] * 3
    remove()
    simulator.remove_homemate("127.0.0.40")
    await asyncio.sleep(2.0)
    assert endpoint.stats.homemate == 3 and len(heard) == 3  # unplugged: silent, and nobody listens
