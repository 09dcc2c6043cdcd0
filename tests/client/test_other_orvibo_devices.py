"""Another Orvibo product on the LAN: an AllOne (IR blaster) answers `qa` with 41 bytes and no
relay state (PROTOCOL.md §3.1). A probe of its address reports it as it is, with no state, so
that whoever asked can refuse it; a scan lists only S20s (test_discovery_schedule.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import socket

import pytest

from custom_components.orvibo_s20.client import DiscoveredSocket, S20Endpoint, probe_host
from custom_components.orvibo_s20.protocol import Command, DiscoveryReply, Mac, encode
from simulator import Simulator

ALLONE_IP = "127.0.0.66"
ALLONE = DiscoveryReply(command=Command.DISCOVER, mac=Mac.parse("ac:cf:23:66:66:66"), product_id="IRD005",
                        clock=3_960_000_000, state=None)


@pytest.fixture
async def allone(simulator: Simulator) -> AsyncIterator[None]:
    """An AllOne at ALLONE_IP on the simulator's port: answers every datagram with its `qa` reply."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # beside the simulator's 0.0.0.0 bind
    sock.bind((ALLONE_IP, simulator.port))
    sock.setblocking(False)
    reply = encode(ALLONE)
    assert len(reply) == 41

    async def answer() -> None:
        while True:
            _, peer = await loop.sock_recvfrom(sock, 2048)
            await loop.sock_sendto(sock, reply, peer)

    task = asyncio.create_task(answer())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    sock.close()


async def test_a_probe_of_an_allone_reports_it_without_a_state(endpoint: S20Endpoint, allone: None) -> None:
    found = await probe_host(endpoint, ALLONE_IP, timeout_s=1.0)
    assert found == DiscoveredSocket(mac=ALLONE.mac, host=ALLONE_IP, product_id="IRD005", is_on=None,
                                     clock=ALLONE.clock)
