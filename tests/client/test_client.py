"""The client against the simulator over real UDP on the loopback LAN."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
import socket

import pytest

from custom_components.orvibo_s20.client import (
    ClientTiming,
    EndpointConfig,
    S20Client,
    S20Endpoint,
    discover,
    probe_host,
    probe_mac,
)
from custom_components.orvibo_s20.protocol import (
    EncodeError,
    EndpointError,
    Mac,
    PowerState,
    S20ConnectionError,
    S20TimeoutError,
    StateReport,
    Timer,
    Weekday,
    encode,
)
from simulator import Faults, Simulator

from .conftest import FAST, wait_for


async def test_subscribe_reads_true_state(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    assert await client.subscribe() is True
    assert client.available
    vs.press_button()
    assert await client.subscribe() is False
    await client.stop()


async def test_power_confirmed_by_socket(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.set_power(True)
    assert vs.state is True
    assert client.state is True
    await client.set_power(False)
    assert vs.state is False
    await client.stop()


@pytest.mark.parametrize(
    ("to_device", "from_device"),
    [(0.3, 0.0), (0.0, 0.3), (0.3, 0.3)],
    ids=["requests-lost", "replies-lost", "both-ways"],
)
async def test_power_survives_loss(
    to_device: float, from_device: float, simulator: Simulator, endpoint: S20Endpoint
) -> None:
    """A lost `dc` must be sent again; a lost ack or push must not leave a switched socket unconfirmed."""
    simulator.set_faults(Faults(loss_to_device=to_device, loss_from_device=from_device))
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=replace(FAST, deadline_s=10.0))
    wanted = True
    for _ in range(30):
        await client.set_power(wanted)
        # Never a success for a state the socket is not in.
        assert vs.state is wanted
        wanted = not wanted
    await client.stop()
    assert client.stats.resent > 0
    # Every datagram the client sent reached the simulator; the losses were the injected ones,
    # in the directions asked for (the seeded injector decides which).
    await wait_for(lambda: simulator.counters.received == client.stats.sent)
    lost_to_device = client.stats.sent - vs.counters.received
    lost_from_device = simulator.counters.dropped_loss - lost_to_device
    assert (lost_to_device > 0) is (to_device > 0)
    assert (lost_from_device > 0) is (from_device > 0)


async def test_timeout_is_a_clear_error(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    simulator.set_online(vs.mac, False)
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=replace(FAST, deadline_s=0.4))
    with pytest.raises(S20TimeoutError, match="did not answer"):
        await client.set_power(True)
    assert client.stats.timeouts == 1
    assert not client.available
    await client.stop()


async def test_button_press_is_pushed(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    changed = asyncio.Event()
    remove = client.add_listener(changed.set)
    vs.press_button()
    await asyncio.wait_for(changed.wait(), 1)
    assert client.state is True
    remove()
    await client.stop()


async def test_keepalive_survives_subscription_expiry_and_reboot(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    timing = replace(FAST, keepalive_s=0.3, keepalive_retry_s=0.2)
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=timing)
    client.start()
    await wait_for(lambda: client.available)
    # Longer than the simulator's subscription timeout: keepalives keep us subscribed.
    await asyncio.sleep(1.5)
    vs.press_button()
    await wait_for(lambda: client.state is True)
    # A reboot forgets subscribers and switches the relay off; the client subscribes again.
    await simulator.reboot(vs.mac)
    await wait_for(lambda: client.available and vs.subscribers, timeout=5)
    vs.press_button()
    await wait_for(lambda: client.state is True)
    await client.stop()


async def test_spoofed_and_malformed_datagrams_dropped(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    assert client.state is False
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker.bind(("127.0.0.66", 0))
    target = ("127.0.0.1", endpoint.config.port)
    attacker.sendto(encode(StateReport(mac=vs.mac, state=PowerState.ON)), target)
    attacker.sendto(b"hd\x00\x05garbage", target)
    attacker.sendto(b"\x00" * 3, target)
    await wait_for(lambda: endpoint.stats.spoofed == 1 and endpoint.stats.malformed == 2)
    attacker.close()
    assert client.state is False
    await client.set_power(True)
    assert vs.state is True
    await client.stop()


async def test_port_in_use_is_reported(simulator: Simulator) -> None:
    port = Simulator.free_port()
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", port))
    endpoint = S20Endpoint(EndpointConfig(bind_host="127.0.0.1", port=port, reuse_address=True))
    with pytest.raises(EndpointError, match=f"UDP port {port}"):
        await endpoint.open()
    holder.close()


async def test_discovery_deduplicates_bursts(simulator: Simulator, endpoint: S20Endpoint) -> None:
    macs = {simulator.add_socket(ip=f"127.0.0.{i}").mac for i in range(2, 7)}
    found = await discover(endpoint, window_s=0.8)
    assert {f.mac for f in found} == macs
    assert sorted(f.host for f in found) == [f"127.0.0.{i}" for i in range(2, 7)]


async def test_locked_socket_found_by_mac_not_by_scan(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.set_locked(True)
    assert vs.socket_data.discoverable is False
    await asyncio.sleep(0.3)
    assert await discover(endpoint, window_s=0.5) == []
    found = await probe_mac(endpoint, vs.mac, timeout_s=1.0)
    assert found is not None and found.host == "127.0.0.2"
    await client.set_locked(False)
    assert vs.socket_data.discoverable is True
    await client.stop()


async def test_probe_host_learns_mac(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.3")
    found = await probe_host(endpoint, "127.0.0.3", timeout_s=1.0)
    assert found is not None and found.mac == vs.mac and found.product_id.startswith("SOC")
    assert await probe_host(endpoint, "127.0.0.9", timeout_s=0.3) is None


async def test_no_request_into_discovery_burst(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    dropped = simulator.counters.dropped_busy
    scan = asyncio.create_task(discover(endpoint, window_s=0.4))
    await asyncio.sleep(0.02)  # the socket is answering the scan now
    await client.set_power(True)
    await scan
    assert vs.state is True
    assert simulator.counters.dropped_busy == dropped
    await client.stop()


@pytest.mark.parametrize("firmware", ["new", "old"])
async def test_rename_and_socket_data(firmware: str, simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", firmware=firmware)
    before = vs.socket_data
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    data = await client.read_socket_data()
    assert data == before
    assert data.record_length == (190 if firmware == "new" else 138)
    await client.rename("Kitchen kettle")
    assert vs.socket_data.name == "Kitchen kettle"
    # Nothing the user did not change is altered.
    assert replace(vs.socket_data, name_raw=before.name_raw) == before
    with pytest.raises(EncodeError):
        await client.rename("a name that is far too long")
    with pytest.raises(EncodeError):
        await client.rename("Küche")
    assert vs.socket_data.name == "Kitchen kettle"
    await client.stop()


async def test_auto_off_and_timezone(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=replace(FAST, keepalive_s=0.3))
    client.start()  # stay subscribed (the simulator forgets idle peers after 1 s) to hear the push
    await client.set_auto_off(True, 1)
    assert vs.socket_data.auto_off_enabled and vs.socket_data.auto_off_seconds == 1
    await client.set_power(True)
    await wait_for(lambda: vs.state is False, timeout=3)
    await wait_for(lambda: client.state is False)
    await client.set_auto_off(False)
    assert not vs.socket_data.auto_off_enabled
    with pytest.raises(EncodeError):
        await client.set_auto_off(True, 70000)
    await client.set_timezone(timedelta(hours=-4, minutes=-30))
    assert vs.socket_data.timezone_hours == -4 and vs.socket_data.dst_flags == 3
    await client.set_clock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await client.stop()


async def test_countdown_start_read_cancel_fire(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=replace(FAST, keepalive_s=0.3))
    client.start()
    assert await client.get_countdown() is None
    await client.start_countdown(600, action=True)
    countdown = await client.get_countdown()
    assert countdown is not None and countdown.action is PowerState.ON and 590 <= countdown.remaining_s <= 600
    await client.cancel_countdown()
    assert await client.get_countdown() is None
    await client.start_countdown(1, action=True)
    await wait_for(lambda: vs.state is True and client.state is True, timeout=3)
    with pytest.raises(EncodeError):
        await client.start_countdown(0, action=True)
    await client.stop()


async def test_timers_add_modify_delete(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    assert await client.get_timers() == ()
    weekly = await client.add_timer(
        Timer.weekly(
            code=0, at=time(7, 30), weekdays=frozenset({Weekday.MONDAY, Weekday.FRIDAY}),
            action=PowerState.ON, today=date(2026, 11, 25),
        )
    )
    once = await client.add_timer(Timer.once(code=0, at=time(22, 0), on=date(2026, 12, 24), action=PowerState.OFF))
    timers = {t.code: t for t in await client.get_timers()}
    assert set(timers) == {weekly.code, once.code} == set(vs.timers)
    assert timers[weekly.code].weekdays == {Weekday.MONDAY, Weekday.FRIDAY}
    assert timers[once.code].date == date(2026, 12, 24) and timers[once.code].action is PowerState.OFF
    await client.modify_timer(replace(once, hour=23))
    assert vs.timers[once.code].hour == 23
    await client.delete_timer(weekly.code)
    assert set(vs.timers) == {once.code}
    impossible = Timer(code=0, action=PowerState.ON, year=2026, month=2, day=30, hour=1, minute=0)
    with pytest.raises(EncodeError):
        await client.add_timer(impossible)
    assert set(vs.timers) == {once.code}
    await client.stop()


async def test_ip_change_followed(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=replace(FAST, deadline_s=0.5))
    await client.subscribe()
    simulator.move(vs.mac, "127.0.0.20")
    with pytest.raises(S20TimeoutError):
        await client.set_power(True)
    found = await probe_mac(endpoint, vs.mac, timeout_s=1.0)
    assert found is not None and found.host == "127.0.0.20"
    client.set_host(found.host)
    await client.set_power(True)
    assert vs.state is True
    await client.stop()


def test_mac_parsing() -> None:
    assert str(Mac.parse("ACCF2335E6AA")) == "ac:cf:23:35:e6:aa"
    assert Mac.parse("ac-cf-23-35-e6-aa") == Mac.parse("ac:cf:23:35:e6:aa")
    with pytest.raises(EncodeError):
        Mac.parse("not a mac")


async def test_reboot_seen_after_our_clock_sync(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Once we set the clock, a discovery reply with the clock reset means the socket rebooted."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    await client.set_clock(datetime.now(UTC))
    assert client.clock_synced is True  # known from what we sent, before any discovery reply
    await simulator.reboot(vs.mac)
    assert await probe_host(endpoint, "127.0.0.2", timeout_s=1.0) is not None
    assert client.reboots == 1
    assert client.clock_synced is False
    await client.stop()


async def test_repeat_of_an_old_push_does_not_flip_the_state_back(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    """on then off at once: the ~45 ms repeat of the `sf` on arrives after off and is not news."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    seen: list[bool | None] = []
    client.add_listener(lambda: seen.append(client.state))
    await client.set_power(True)
    await client.set_power(False)
    await asyncio.sleep(3 * simulator.timing.sf_repeat_s)
    assert vs.state is False
    assert client.state is False
    assert seen == [True, False]
    # A real change after the repeat window is taken at once.
    await asyncio.sleep(0.15)
    vs.press_button()
    await wait_for(lambda: client.state is True)
    assert seen == [True, False, True]
    await client.stop()


async def test_a_scan_burst_does_not_undo_a_push(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """The 10 replies of a burst repeat the state of when the scan came: a push since is newer."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    assert client.state is False
    probe = asyncio.create_task(probe_host(endpoint, "127.0.0.2", timeout_s=1.0))
    await asyncio.sleep(2 * simulator.timing.burst_interval_s)
    vs.press_button()  # during the burst (10 replies, 15 ms apart)
    await wait_for(lambda: client.state is True)
    assert await probe is not None
    await asyncio.sleep(simulator.timing.burst_count * simulator.timing.burst_interval_s)
    assert vs.state is True
    assert client.state is True
    await client.stop()


async def test_stop_fails_the_request_in_flight(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A command still waiting for its ack when the client stops (entry unload, Home Assistant
    stopping) fails with a connection error, as a lost socket would; it is not a cancellation of
    the caller, who was never cancelled (an automation would stop, a WebSocket call get no answer)."""
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    simulator.set_faults(Faults(latency_to_device_s=0.1, latency_from_device_s=0.1))
    command = asyncio.create_task(client.set_power(True))
    await wait_for(lambda: vs.state is True)  # the socket switched; its ack is on the way back
    await client.stop()
    with pytest.raises(S20ConnectionError, match="stopped"):
        await command
    assert not command.cancelled()
