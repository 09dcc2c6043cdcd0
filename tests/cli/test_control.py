"""discover, info, on/off/toggle, rename, countdown, auto-off and clock against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import re
import time

import pytest

from custom_components.orvibo_s20.protocol import clock_from_datetime
from simulator import Simulator

from .conftest import RunCli


async def test_discover_lists_every_socket(simulator: Simulator, run_cli: RunCli) -> None:
    a = simulator.add_socket(ip="127.0.0.2", state=True)
    b = simulator.add_socket(ip="127.0.0.3", name="Desk")
    result = await run_cli("discover", "--expect", "2")
    assert result.status == 0
    assert result.lines[0].split() == ["IP", "MAC", "KIND", "PRODUCT", "STATE"]
    assert result.lines[1].split() == ["127.0.0.2", str(a.mac), "socket", "SOC005", "on"]
    assert result.lines[2].split() == ["127.0.0.3", str(b.mac), "socket", "SOC005", "off"]

    result = await run_cli("discover", "--expect", "2", "--names", json_output=True)
    assert result.status == 0
    found = result.json()
    assert [(s["host"], s["mac"], s["state"], s["name"]) for s in found] == [
        ("127.0.0.2", str(a.mac), "on", None),
        ("127.0.0.3", str(b.mac), "off", "Desk"),
    ]


async def test_discover_nothing_found(run_cli: RunCli) -> None:
    result = await run_cli("discover", "--window", "0.2", json_output=True)
    assert result.status == 0
    assert result.json() == []
    result = await run_cli("discover", "--window", "0.2")
    assert result.status == 0
    assert result.stdout == ""
    assert "No S20 or AllOne answered" in result.stderr


async def test_info_by_ip_and_by_mac(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", name="Kitchen", state=True)
    result = await run_cli("info", "127.0.0.2")
    assert result.status == 0, result.stderr
    assert result.lines[0] == f"{vs.mac} at 127.0.0.2"
    text = result.stdout
    assert "Kitchen" in text and "SOC005" in text and "(not set)" in text

    result = await run_cli("info", str(vs.mac).upper(), json_output=True)
    assert result.status == 0, result.stderr
    info = result.json()
    assert info["mac"] == str(vs.mac) and info["host"] == "127.0.0.2"
    assert info["name"] == "Kitchen" and info["state"] == "on" and info["locked"] is False
    assert info["firmware_version"] == vs.socket_data.firmware_version
    assert info["clock"]["set"] is False
    assert "remote_password" not in info and "888888" not in result.stdout


async def test_info_old_firmware(simulator: Simulator, run_cli: RunCli) -> None:
    simulator.add_socket(ip="127.0.0.2", firmware="old")
    result = await run_cli("info", "127.0.0.2", json_output=True)
    assert result.status == 0, result.stderr
    assert result.json()["firmware_version"] == 10


@pytest.mark.parametrize(("command", "start", "expected"), [("on", False, True), ("off", True, False),
                                                            ("toggle", False, True), ("toggle", True, False)])
async def test_power(simulator: Simulator, run_cli: RunCli, command: str, start: bool, expected: bool) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=start)
    result = await run_cli(command, "127.0.0.2")
    assert result.status == 0, result.stderr
    assert vs.state is expected
    assert result.stdout == f"{vs.mac} at 127.0.0.2: {'on' if expected else 'off'}\n"


async def test_power_json_by_mac(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.3")
    result = await run_cli("on", str(vs.mac), json_output=True)
    assert result.status == 0, result.stderr
    assert result.json() == {"mac": str(vs.mac), "host": "127.0.0.3", "state": "on"}
    assert vs.state is True


async def test_rename_and_clear(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", name="Old")
    result = await run_cli("rename", "127.0.0.2", "Living room", json_output=True)
    assert result.status == 0, result.stderr
    assert result.json()["name"] == "Living room"
    assert vs.name == "Living room"
    before = vs.socket_data
    result = await run_cli("rename", "127.0.0.2", "")
    assert result.status == 0, result.stderr
    assert "name cleared" in result.stdout
    assert vs.name is None
    # Nothing but the name was rewritten.
    assert vs.socket_data.auto_off_seconds == before.auto_off_seconds
    assert vs.socket_data.timezone_hours == before.timezone_hours


async def test_rename_too_long_is_usage_error_and_sends_nothing(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", name="Keep")
    received = simulator.counters.received
    result = await run_cli("rename", "127.0.0.2", "x" * 17)
    assert result.status == 2
    assert "17 bytes" in result.stderr and "Traceback" not in result.stderr
    result = await run_cli("rename", "127.0.0.2", "Café")
    assert result.status == 2
    assert "ASCII" in result.stderr
    assert vs.name == "Keep"
    assert simulator.counters.received == received


async def test_countdown_start_read_cancel(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    result = await run_cli("countdown", "127.0.0.2")
    assert result.status == 0, result.stderr
    assert "no countdown running" in result.stdout

    result = await run_cli("countdown", "127.0.0.2", "1h30m", "--action", "on", json_output=True)
    assert result.status == 0, result.stderr
    countdown = result.json()["countdown"]
    assert countdown["action"] == "on" and 5390 <= countdown["remaining_s"] <= 5400
    assert vs.countdown is not None and vs.countdown.action is True

    result = await run_cli("countdown", "127.0.0.2")
    assert "countdown on in 5" in result.stdout

    result = await run_cli("countdown", "127.0.0.2", "--cancel", json_output=True)
    assert result.status == 0, result.stderr
    assert result.json()["countdown"] is None
    assert vs.countdown is None


async def test_auto_off_set_read_disable(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    result = await run_cli("auto-off", "127.0.0.2", "3600")
    assert result.status == 0, result.stderr
    assert vs.socket_data.auto_off_enabled is True and vs.socket_data.auto_off_seconds == 3600
    assert "auto-off after 3600 s (1:00:00)" in result.stdout

    result = await run_cli("auto-off", "127.0.0.2", json_output=True)
    assert result.json()["auto_off"] == {"enabled": True, "seconds": 3600}

    result = await run_cli("auto-off", "127.0.0.2", "--disable", json_output=True)
    assert result.status == 0, result.stderr
    assert result.json()["auto_off"]["enabled"] is False
    assert vs.socket_data.auto_off_enabled is False


async def test_clock_read(simulator: Simulator, run_cli: RunCli) -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    simulator.add_socket(ip="127.0.0.2", clock=clock_from_datetime(moment))
    result = await run_cli("clock", "127.0.0.2", json_output=True)
    assert result.status == 0, result.stderr
    data = result.json()
    assert data["synced"] is False
    assert data["clock"]["set"] is True
    assert datetime.fromisoformat(data["clock"]["utc"]) - moment < timedelta(seconds=5)
    result = await run_cli("clock", "127.0.0.2")
    assert "clock 2024-05-06 07:08:" in result.stdout and "from this computer" in result.stdout


@pytest.mark.parametrize(("zone", "hours", "half"), [("UTC", 0, False), ("Asia/Kolkata", 5, True),
                                                    ("America/Sao_Paulo", -3, False)])
async def test_clock_sync_sets_clock_and_local_zone(
    simulator: Simulator, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, zone: str, hours: int, half: bool
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        vs = simulator.add_socket(ip="127.0.0.2")
        result = await run_cli("clock", "127.0.0.2", "--sync", json_output=True)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert result.status == 0, result.stderr
    assert abs(vs.clock - clock_from_datetime(datetime.now(UTC))) <= 2
    assert vs.socket_data.timezone_hours == hours
    assert bool(vs.socket_data.dst_flags & 0x02) is half
    data = result.json()
    assert data["synced"] is True and data["timezone"]["hours"] == hours


async def test_clock_sync_zone_the_socket_cannot_store(
    simulator: Simulator, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # UTC+05:45
    time.tzset()
    try:
        vs = simulator.add_socket(ip="127.0.0.2")
        tz_before = vs.socket_data.timezone_hours
        result = await run_cli("clock", "127.0.0.2", "--sync")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert result.status == 0, result.stderr
    assert "warning: time zone not set" in result.stderr
    assert abs(vs.clock - clock_from_datetime(datetime.now(UTC))) <= 2
    assert vs.socket_data.timezone_hours == tz_before


async def test_discover_names_what_it_cannot_control(simulator: Simulator, run_cli: RunCli) -> None:
    lamp = simulator.add_socket(ip="127.0.0.2")
    simulator.add_homemate(ip="127.0.0.40")
    stranger = simulator.add_socket(ip="127.0.0.41", product_id="KEP001")
    result = await run_cli("discover", "--window", "0.5")
    assert result.status == 0
    assert [re.split(r"\s{2,}", line) for line in result.lines] == [
        ["IP", "MAC", "KIND", "PRODUCT", "STATE"],
        ["127.0.0.2", str(lamp.mac), "socket", "SOC005", "off"],
        [""],
        ['Found, but not supported (see "Supported devices" in the README):'],
        ["127.0.0.40", "HomeMate", "encrypted cloud protocol"],
        ["127.0.0.41", f"Orvibo KEP001 {stranger.mac}", "unknown product id"],
    ]
    # JSON stays the list of sockets; the others are named on stderr.
    result = await run_cli("discover", "--window", "0.5", json_output=True)
    assert [s["mac"] for s in result.json()] == [str(lamp.mac)]
    assert result.stderr.splitlines() == [
        "warning: HomeMate at 127.0.0.40: not supported (encrypted cloud protocol); see the README",
        f"warning: Orvibo KEP001 {stranger.mac} at 127.0.0.41: not supported (unknown product id); see the README",
    ]


async def test_discover_with_only_a_homemate_device(simulator: Simulator, run_cli: RunCli) -> None:
    simulator.add_homemate(ip="127.0.0.40")
    result = await run_cli("discover", "--window", "0.5")
    assert result.status == 0
    assert "No S20 or AllOne answered within 0.5 s." in result.stderr
    assert result.lines == [
        'Found, but not supported (see "Supported devices" in the README):',
        "127.0.0.40  HomeMate  encrypted cloud protocol",
    ]
