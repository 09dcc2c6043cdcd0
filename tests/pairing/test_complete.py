"""After pairing: find the new socket on the loopback LAN and give it its defaults (clock, zone, name)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import logging
import time

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.pairing import (
    PairingStep,
    PairingTimeoutError,
    Progress,
    WifiCredentials,
    apply_defaults,
    complete_pairing,
    provision_ap,
    provision_smartlink,
    wait_for_new_socket,
)
from custom_components.orvibo_s20.protocol import EncodeError, Mac, clock_from_datetime
from simulator import Simulator
from simulator.timing import BOOT_CLOCK
from simulator.wifi import WifiMode, WifiModule, WifiTiming

from .conftest import AP_HOST, AT_FAST, BROADCAST, CLIENT_TIMING, LOCAL, SIM_TIMING, SPEED, ModuleFactory

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
FAST = {"scan_interval_s": 0.1, "timeout_s": 3.0, "client_timing": CLIENT_TIMING}


async def test_after_ap_mode(ap_module: WifiModule, endpoint: S20Endpoint, simulator: Simulator) -> None:
    result = await provision_ap(
        WifiCredentials(ssid="Home", key="12345678"), target=(AP_HOST, ap_module.at_port), local_addr=LOCAL, **AT_FAST
    )
    steps: list[Progress] = []
    paired = await complete_pairing(
        endpoint, result.mac, name="  Desk lamp ", now=NOW, utc_offset=timedelta(hours=5, minutes=30),
        progress=steps.append, **FAST,
    )
    device = simulator.get(result.mac)
    assert (paired.mac, paired.host, paired.product_id, paired.name) == (result.mac, device.ip, "SOC005", "Desk lamp")
    assert device.name == "Desk lamp"
    assert abs(device.clock - clock_from_datetime(NOW)) <= 2
    data = device.socket_data
    assert (data.timezone_hours, data.dst_flags) == (5, 1 + 2)  # no DST, half-hour zone (§4.6)
    assert [p.step for p in steps] == [
        PairingStep.WAIT_FOR_SOCKET, PairingStep.SOCKET_FOUND, PairingStep.SET_CLOCK, PairingStep.SET_TIMEZONE,
        PairingStep.RENAME, PairingStep.DONE,
    ]
    assert not endpoint.stats.as_dict().get("unknown_mac")  # the short-lived client's route is gone too


async def test_after_smartlink(smartlink_module: WifiModule, endpoint: S20Endpoint, simulator: Simulator) -> None:
    result = await provision_smartlink(
        "abcdefgh", broadcast=BROADCAST, port=smartlink_module.smartlink_port, listen_host=BROADCAST,
        local_addr=LOCAL, speed=SPEED, timeout_s=5.0,
    )
    paired = await complete_pairing(
        endpoint, result.mac, host=result.host, now=NOW, utc_offset=timedelta(hours=-3), dst=True, **FAST
    )
    device = simulator.get(result.mac)
    assert paired.host == device.ip == result.host and paired.name is None
    assert device.name is None  # no name asked for: none set
    assert abs(device.clock - clock_from_datetime(NOW)) <= 2
    assert (device.socket_data.timezone_hours, device.socket_data.dst_flags) == (-3, 0)


async def test_found_by_its_announcements(make_module: ModuleFactory, endpoint: S20Endpoint, simulator: Simulator) -> None:
    """Scans are far apart here: only the socket's own qa broadcasts after joining can find it."""
    simulator.timing = replace(SIM_TIMING, announce_count=3, announce_interval_s=0.05)
    module = await make_module(WifiMode.SMARTLINK)
    started = asyncio.get_running_loop().time()
    await provision_smartlink(
        "abcdefgh", broadcast=BROADCAST, port=module.smartlink_port, listen_host=BROADCAST, local_addr=LOCAL,
        speed=SPEED, timeout_s=5.0,
    )
    found = await wait_for_new_socket(endpoint, module.mac, scan_interval_s=30.0, timeout_s=3.0)
    assert found.mac == module.mac and found.host == module.joined.ip  # type: ignore[union-attr]
    assert BOOT_CLOCK <= found.clock <= BOOT_CLOCK + 5  # fresh: just booted, clock not set
    assert asyncio.get_running_loop().time() - started < 2.0
    assert module.joined is not None and module.joined.counters.announcements >= 1


async def test_found_by_scanning_while_it_joins(make_module: ModuleFactory, endpoint: S20Endpoint) -> None:
    """The wait starts before the socket is on the LAN (AT+Z just sent): a later scan finds it."""
    module = await make_module(timing=WifiTiming(join_s=0.15))
    result = await provision_ap(
        WifiCredentials(ssid="Home", key="12345678"), target=(AP_HOST, module.at_port), local_addr=LOCAL, **AT_FAST
    )
    assert module.joined is None
    found = await wait_for_new_socket(endpoint, result.mac, scan_interval_s=0.1, timeout_s=3.0)
    assert found.mac == result.mac


async def test_unknown_mac_takes_the_first_new_socket(make_module: ModuleFactory, endpoint: S20Endpoint,
                                                      simulator: Simulator) -> None:
    old = simulator.add_socket()
    simulator.add_socket(product_id="AAA005")  # not a socket: no SOC product id
    module = await make_module(WifiMode.SMARTLINK)
    await provision_smartlink(
        "abcdefgh", broadcast=BROADCAST, port=module.smartlink_port, listen_host=BROADCAST, local_addr=LOCAL,
        speed=SPEED, timeout_s=5.0,
    )
    found = await wait_for_new_socket(endpoint, ignore=[old.mac], scan_interval_s=0.1, timeout_s=3.0)
    assert found.mac == module.mac


async def test_socket_never_appears(endpoint: S20Endpoint, simulator: Simulator) -> None:
    other = simulator.add_socket(ip="127.0.0.77")  # answers the probe of that IP, but is not ours
    started = asyncio.get_running_loop().time()
    with pytest.raises(PairingTimeoutError, match="did not appear") as err:
        await wait_for_new_socket(
            endpoint, Mac.parse("ac:cf:23:99:99:99"), host="127.0.0.77", scan_interval_s=0.05, timeout_s=0.15
        )
    assert err.value.step is PairingStep.WAIT_FOR_SOCKET
    assert asyncio.get_running_loop().time() - started == pytest.approx(0.15, abs=1e-6)  # loop time: the deadline
    assert other.counters.received >= 1


@pytest.mark.parametrize("name", ["a name far longer than sixteen", "Küche"])
async def test_bad_name_refused_before_waiting(endpoint: S20Endpoint, name: str) -> None:
    started = asyncio.get_running_loop().time()
    with pytest.raises(EncodeError):
        await complete_pairing(endpoint, Mac.parse("ac:cf:23:99:99:99"), name=name, **FAST)
    assert asyncio.get_running_loop().time() == started  # loop time: refused before any wait


async def test_zone_the_socket_cannot_store_is_skipped(
    endpoint: S20Endpoint, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    device = simulator.add_socket(name=None)
    zone = (device.socket_data.timezone_hours, device.socket_data.dst_flags)
    client = S20Client(endpoint, device.mac, device.ip, timing=CLIENT_TIMING)
    try:
        with caplog.at_level(logging.INFO):
            await apply_defaults(client, "Nepal", now=NOW, utc_offset=timedelta(hours=5, minutes=45))
    finally:
        await client.stop()
    assert device.name == "Nepal" and abs(device.clock - clock_from_datetime(NOW)) <= 2
    assert (device.socket_data.timezone_hours, device.socket_data.dst_flags) == zone  # untouched
    assert "time zone not set" in caplog.text


async def test_defaults_default_to_now_and_the_host_zone(endpoint: S20Endpoint, simulator: Simulator) -> None:
    device = simulator.add_socket(name="Old name")
    client = S20Client(endpoint, device.mac, device.ip, timing=CLIENT_TIMING)
    try:
        await apply_defaults(client, "   ")  # a blank name is no name
    finally:
        await client.stop()
    assert abs(device.clock - clock_from_datetime(datetime.now(UTC))) <= 2
    offset = datetime.now().astimezone().utcoffset() or timedelta()
    assert device.socket_data.timezone_hours == int(offset.total_seconds() // 3600)
    assert device.name == "Old name"  # not renamed to blanks
