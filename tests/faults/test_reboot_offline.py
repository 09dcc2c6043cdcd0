"""A socket that reboots in the middle of a command, or drops off Wi-Fi for a long while."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import S20TimeoutError
from simulator import Simulator
from tests.client.conftest import FAST, wait_for

from .conftest import KEEPALIVE, SET_CLOCK


async def test_reboot_during_power_command(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Replies 50 ms after each request: the reboot lands between the request and its reply.
    simulator.timing = replace(simulator.timing, reply_delay_s=0.05)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, initial_rto_s=0.1))
    await client.subscribe()
    command = asyncio.create_task(client.set_power(True))
    await wait_for(lambda: vs.counters.received >= 2)  # the dc arrived; its ack is scheduled
    booted = simulator.reboot(vs.mac)
    await command  # resends (with cl) re-subscribe after the boot and switch on again
    assert vs.counters.reboots == 1 and booted.done()
    assert vs.state is True and client.state is True
    assert client.stats.resent > 0
    await client.stop()


async def test_reboot_longer_than_deadline_fails_clearly_then_recovers(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    simulator.timing = replace(simulator.timing, reboot_s=0.6)
    vs = simulator.add_socket(ip="127.0.0.2", name="before")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(FAST, deadline_s=0.3))
    await client.subscribe()
    booted = simulator.reboot(vs.mac)
    with pytest.raises(S20TimeoutError, match="did not answer"):
        await client.rename("during")
    assert vs.name == "before"  # reported failed, and indeed not applied
    await booted
    await client.rename("after")  # the next command subscribes again by itself
    assert vs.name == "after"
    await client.stop()


async def test_reboot_seen_from_announcement_resubscribes_for_pushes(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    simulator.timing = replace(simulator.timing, announce_count=2, announce_interval_s=0.05)
    vs = simulator.add_socket(ip="127.0.0.2", state=True, clock=SET_CLOCK)
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(KEEPALIVE, keepalive_s=30.0))
    client.start()
    await wait_for(lambda: client.device_clock is not None and client.available)
    await simulator.reboot(vs.mac)
    # The relay came back off and the clock went back: the client re-subscribes on its own
    # (no keepalive is due for 30 s), so the press after the boot is pushed to it.
    await wait_for(lambda: client.reboots == 1 and client.state is False)
    await wait_for(lambda: "127.0.0.1" in vs.subscribers)
    vs.press_button()
    await wait_for(lambda: client.state is True)
    await client.stop()


@pytest.mark.parametrize("announce", [True, False], ids=["announces", "silent"])
async def test_long_offline_then_back(announce: bool, simulator: Simulator, endpoint: S20Endpoint) -> None:
    # 1.5 s offline at test speed is 7 keepalives and longer than the (1 s) subscription: the
    # real-time equivalent of a socket gone for 10 minutes.
    announce_count = 2 if announce else 0
    simulator.timing = replace(simulator.timing, announce_count=announce_count, announce_interval_s=0.05)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=KEEPALIVE)
    changes: list[tuple[bool | None, bool]] = []
    client.add_listener(lambda: changes.append((client.state, client.available)))
    client.start()
    await wait_for(lambda: client.available)
    simulator.set_online(vs.mac, False)
    await wait_for(lambda: not client.available, timeout=3.0)
    with pytest.raises(S20TimeoutError):
        await client.set_power(True)
    vs.press_button()  # pressed while offline: nothing is pushed
    await asyncio.sleep(1.5)
    assert vs.subscribers == ()  # the socket forgot us meanwhile
    simulator.set_online(vs.mac, True)
    await wait_for(lambda: client.available, timeout=3.0)
    assert client.state is True  # the re-subscription read the press made while away
    vs.press_button()
    await wait_for(lambda: client.state is False)  # pushes reach us again
    await client.set_power(True)
    assert vs.state is True
    assert (False, False) in changes and changes[-1] == (True, True)  # listeners saw it all
    await client.stop()


async def test_a_heartbeat_to_a_socket_that_forgot_us_subscribes_again(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    """No announcement told us (a clock never set does not go back): the heartbeat's resend
    carries a subscribe, so a command queued behind it does not wait the whole deadline."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=replace(KEEPALIVE, keepalive_s=30.0, deadline_s=2.0))
    await client.subscribe()
    await asyncio.sleep(1.1)  # longer than the (1 s) subscription
    assert vs.subscribers == ()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await client.heartbeat()
    assert "127.0.0.1" in vs.subscribers
    await client.set_power(True)
    assert loop.time() - t0 < 0.5
    assert vs.state is True
    await client.stop()
