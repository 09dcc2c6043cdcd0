"""Fixtures: a running simulator and raw UDP peers on the loopback LAN (no Home Assistant)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sim_peer import FAST, Peer

from simulator import Simulator
from tests.loopback import loop_time_fixture  # noqa: F401 (an autouse fixture: tests run on loop time)


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """No Home Assistant here: replaces the root conftest's autouse fixture of the same name."""


@pytest.fixture
def sockets_allowed(request: pytest.FixtureRequest) -> None:
    """Turn pytest-socket off for this test when the plugin is installed (phacc installs it)."""
    try:
        request.getfixturevalue("socket_enabled")
    except pytest.FixtureLookupError:
        pass


@pytest.fixture
def port() -> int:
    return Simulator.free_port()


@pytest.fixture
async def sim(sockets_allowed: None, port: int) -> AsyncIterator[Simulator]:
    simulator = Simulator(port=port, seed=1, timing=FAST, precise_timers=False)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
def make_peer(sockets_allowed: None, port: int) -> Iterator[Callable[[str], Peer]]:
    peers: list[Peer] = []

    def make(host: str) -> Peer:
        peer = Peer(host, port)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
def peer(make_peer: Callable[[str], Peer]) -> Peer:
    """The controller under test, where the real client binds: 127.0.0.1:<port>."""
    return make_peer("127.0.0.1")
