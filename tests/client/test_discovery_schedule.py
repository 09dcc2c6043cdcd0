"""When scans and probes send, when they stop, and what they report, on loop time.

The simulator notes the arrival of every datagram (on loopback, its send time), so the schedule
of `qa` broadcasts, unicast probes and `qg` broadcasts is asserted exactly.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import DiscoveredSocket, S20Endpoint, discover, probe_host, probe_mac
from custom_components.orvibo_s20.client.discovery import SCAN_REPEATS_AT_S, SCAN_WINDOW_S
from custom_components.orvibo_s20.protocol import Mac
from simulator import Simulator

EXACT = 1e-6


class Clock:
    """Loop time since the clock was made."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.start = self._loop.time()

    def __call__(self) -> float:
        return self._loop.time() - self.start

    async def offsets(self, times: list[float]) -> list[float]:
        """The arrival times as offsets, once anything sent as the call ended has landed."""
        await asyncio.sleep(0.01)
        return [t - self.start for t in times]



async def test_a_scan_repeats_its_broadcast_and_lasts_its_window(simulator: Simulator, endpoint: S20Endpoint) -> None:
    sent = simulator.record_arrivals()
    clock = Clock()
    assert await discover(endpoint) == []
    assert clock() == pytest.approx(SCAN_WINDOW_S, abs=EXACT)
    assert await clock.offsets(sent) == pytest.approx(list(SCAN_REPEATS_AT_S), abs=EXACT)


async def test_a_short_scan_sends_only_the_repeats_inside_its_window(simulator: Simulator, endpoint: S20Endpoint) -> None:
    sent = simulator.record_arrivals()
    clock = Clock()
    await discover(endpoint, window_s=SCAN_REPEATS_AT_S[1])  # the second repeat would fall on its end
    assert clock() == pytest.approx(SCAN_REPEATS_AT_S[1], abs=EXACT)
    assert await clock.offsets(sent) == [0.0]


async def test_a_late_answer_inside_the_window_is_found(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Answers take 0.8 s: after the last repeat (0.7 s), before the window's end (1.5 s).
    simulator.timing = replace(simulator.timing, reply_delay_s=0.8)
    vs = simulator.add_socket(ip="127.0.0.2")
    found = await discover(endpoint)
    assert [s.mac for s in found] == [vs.mac]


async def test_a_scan_ends_once_the_expected_sockets_answered(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.timing = replace(simulator.timing, reply_delay_s=0.1)
    macs = {simulator.add_socket(ip=f"127.0.0.{i}").mac for i in (2, 3)}
    sent = simulator.record_arrivals()
    clock = Clock()
    found = await discover(endpoint, expected=2)
    assert {s.mac for s in found} == macs
    assert clock() == pytest.approx(0.1, abs=EXACT)  # both answered the first broadcast at 0.1 s
    assert await clock.offsets(sent) == [0.0]  # no repeat after that
    assert len(await discover(endpoint, window_s=0.5, expected=3)) == 2  # fewer: the whole window


async def test_a_scan_reports_what_each_socket_said(
    simulator: Simulator, endpoint: S20Endpoint, loop_errors: list[dict[str, object]]
) -> None:
    on = simulator.add_socket(ip="127.0.0.2", state=True)
    off = simulator.add_socket(ip="127.0.0.3", state=False, product_id="SOC002")
    found = await discover(endpoint, window_s=0.2)
    assert found == [
        DiscoveredSocket(mac=on.mac, host="127.0.0.2", product_id="SOC005", is_on=True, clock=on.clock),
        DiscoveredSocket(mac=off.mac, host="127.0.0.3", product_id="SOC002", is_on=False, clock=off.clock),
    ]
    # Both answer in the same instant: the first suffices, the second is kept too.
    assert {s.mac for s in await discover(endpoint, window_s=0.2, expected=1)} == {on.mac, off.mac}
    await asyncio.sleep(0.2)
    assert loop_errors == []  # every later reply and repeat was taken in stride


async def test_a_scan_lists_only_s20_sockets(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.add_socket(ip="127.0.0.2", product_id="IRD003")  # an AllOne: another product
    s20 = simulator.add_socket(ip="127.0.0.3")
    assert [s.mac for s in await discover(endpoint, window_s=0.2)] == [s20.mac]


async def test_a_scan_goes_to_the_addresses_given(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.add_socket(ip="127.0.0.2")
    wanted = simulator.add_socket(ip="127.0.0.3")
    found = await discover(endpoint, window_s=0.2, addresses=iter(["127.0.0.3"]))  # unicast: only it hears
    assert [s.mac for s in found] == [wanted.mac]


async def test_a_host_probe_backs_off_until_its_timeout(simulator: Simulator, endpoint: S20Endpoint) -> None:
    sent = simulator.record_arrivals()
    clock = Clock()
    assert await probe_host(endpoint, "127.0.0.9", timeout_s=3.0) is None
    assert clock() == pytest.approx(3.0, abs=EXACT)
    # Every 0.25, 0.5, then 1 s: at most one probe per second after the first second.
    assert await clock.offsets(sent) == pytest.approx([0.0, 0.25, 0.75, 1.75, 2.75], abs=EXACT)


async def test_a_host_probe_takes_only_that_hosts_answer(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.timing = replace(simulator.timing, reply_delay_s=0.1)
    other = simulator.add_socket(ip="127.0.0.2")
    vs = simulator.add_socket(ip="127.0.0.3")
    scan = asyncio.create_task(discover(endpoint, window_s=0.3))  # another socket answers meanwhile
    await asyncio.sleep(0.05)
    found = await probe_host(endpoint, "127.0.0.3", timeout_s=1.0)
    assert found is not None and (found.mac, found.host) == (vs.mac, "127.0.0.3")
    assert {s.mac for s in await scan} == {other.mac, vs.mac}


async def test_a_mac_probe_asks_three_times_within_its_timeout(simulator: Simulator, endpoint: S20Endpoint) -> None:
    sent = simulator.record_arrivals()
    clock = Clock()
    assert await probe_mac(endpoint, Mac.parse("ac:cf:23:00:00:99"), timeout_s=1.5) is None
    assert clock() == pytest.approx(1.5, abs=EXACT)
    assert await clock.offsets(sent) == pytest.approx([0.0, 0.5, 1.0], abs=EXACT)


async def test_a_mac_probe_takes_only_that_macs_answer(simulator: Simulator, endpoint: S20Endpoint) -> None:
    simulator.add_socket(ip="127.0.0.2")
    scan = asyncio.create_task(discover(endpoint, window_s=0.3))  # another socket answers meanwhile
    assert await probe_mac(endpoint, Mac.parse("ac:cf:23:00:00:99"), timeout_s=0.6) is None
    await scan
    vs = simulator.add_socket(ip="127.0.0.3")
    found = await probe_mac(endpoint, vs.mac, timeout_s=0.6)
    assert found is not None and (found.mac, found.host) == (vs.mac, "127.0.0.3")
