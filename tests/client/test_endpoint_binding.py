"""Opening and closing the shared endpoint: what the kernel has bound at each step.

The endpoint owns UDP port 10000 (here a free port) twice on the loopback LAN: a unicast socket
and a broadcast listener. Opening is all or nothing, a second open changes nothing, an address
the host does not have is reported as such, and a closed endpoint sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path
import socket

import pytest

from custom_components.orvibo_s20.client import EndpointConfig, S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import EndpointError
from simulator import Simulator
from tests.loopback import BROADCAST, loopback_config

from .conftest import FAST

# RFC 5737 documentation address: no interface has it, so binding it fails (nothing is sent).
NOT_OURS = "192.0.2.1"


def bound(port: int) -> list[str]:
    """The local addresses of the UDP sockets bound to port in this network namespace, one per socket."""
    found = []
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        address, port_hex = line.split()[1].split(":")
        if int(port_hex, 16) == port:
            found.append(str(IPv4Address(bytes.fromhex(address)[::-1])))
    return sorted(found)


@pytest.fixture
def port(socket_enabled: None) -> int:
    return Simulator.free_port()


@pytest.fixture
def holder(port: int) -> Iterator[socket.socket]:
    """Another program's socket on the broadcast address and port (no SO_REUSEADDR: exclusive)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((BROADCAST, port))
    yield sock
    sock.close()


async def test_open_twice_binds_once_and_close_frees_the_port(port: int) -> None:
    endpoint = S20Endpoint(loopback_config(port))
    await endpoint.open()
    await endpoint.open()
    assert endpoint.is_open
    assert bound(port) == sorted(["127.0.0.1", BROADCAST])  # one unicast socket, one listener
    endpoint.close()
    assert not endpoint.is_open
    await asyncio.sleep(0)  # a transport lets go of its socket on the loop's next turn
    assert bound(port) == []


async def test_a_taken_broadcast_listener_leaves_nothing_bound(port: int, holder: socket.socket) -> None:
    """The unicast bind succeeds, the listener's fails: the unicast socket is let go too."""
    endpoint = S20Endpoint(loopback_config(port))
    with pytest.raises(EndpointError, match=f"UDP port {port} on {BROADCAST} is already in use") as caught:
        await endpoint.open()
    assert (caught.value.host, caught.value.port) == (BROADCAST, port)
    assert caught.value.in_use is True  # the CLI then goes through Home Assistant's relay
    assert not endpoint.is_open
    assert bound(port) == [BROADCAST]  # only the other program's socket
    # The port is free for whoever comes next, even without SO_REUSEADDR.
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", port))
    probe.close()
    # Once the other program is gone, the same endpoint opens.
    holder.close()
    await endpoint.open()
    assert bound(port) == sorted(["127.0.0.1", BROADCAST])
    endpoint.close()


async def test_an_address_the_host_lacks_is_reported(port: int) -> None:
    endpoint = S20Endpoint(EndpointConfig(bind_host=NOT_OURS, port=port))
    with pytest.raises(EndpointError, match=f"cannot listen on UDP {NOT_OURS}:{port}") as caught:
        await endpoint.open()
    assert (caught.value.host, caught.value.port) == (NOT_OURS, port)
    assert "already in use" not in str(caught.value)
    assert caught.value.in_use is False  # no relay could help: the CLI reports it as it is
    assert not endpoint.is_open and bound(port) == []


async def test_a_closed_endpoint_sends_nothing(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A request through a closed endpoint fails at once with EndpointError; the socket hears nothing."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    await client.set_power(True)
    received, sent = vs.counters.received, endpoint.stats.sent
    endpoint.close()
    with pytest.raises(EndpointError, match="the S20 endpoint is closed"):
        await client.set_power(False)
    assert vs.state is True
    assert (vs.counters.received, endpoint.stats.sent) == (received, sent)
    await client.stop()
