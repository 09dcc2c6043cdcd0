"""`timers`: list, add (weekly and one-shot) and remove, read back from the simulated socket."""

from __future__ import annotations

from datetime import date, time

from custom_components.orvibo_s20.protocol import PowerState, Timer, Weekday
from simulator import Simulator

from .conftest import RunCli


async def test_add_weekly_and_once_then_list(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    result = await run_cli("timers", "127.0.0.2", "add", "--at", "07:30", "--days", "mon,fri", "--action", "on",
                           json_output=True)
    assert result.status == 0, result.stderr
    weekly = result.json()["timer"]
    stored = vs.timers[weekly["id"]]
    assert stored.is_weekly and stored.weekdays == {Weekday.MONDAY, Weekday.FRIDAY}
    assert stored.at == time(7, 30) and stored.action is PowerState.ON
    assert weekly == {"id": stored.code, "action": "on", "at": "07:30:00", "weekly": True, "days": ["mon", "fri"],
                      "date": None, "name": None}

    result = await run_cli("timers", "127.0.0.2", "add", "--at", "22:15:30", "--date", "2030-12-24", "--action", "off")
    assert result.status == 0, result.stderr
    assert "off at 22:15:30 once on 2030-12-24" in result.stdout
    once = next(t for t in vs.timers.values() if not t.is_weekly)
    assert once.date == date(2030, 12, 24) and once.at == time(22, 15, 30) and once.action is PowerState.OFF

    result = await run_cli("timers", "127.0.0.2")
    assert result.status == 0, result.stderr
    assert result.lines[0].split() == ["ID", "ACTION", "AT", "WHEN"]
    assert result.lines[1].split() == [str(stored.code), "on", "07:30:00", "every", "mon,fri"]
    assert result.lines[2].split() == [str(once.code), "off", "22:15:30", "once", "on", "2030-12-24"]

    result = await run_cli("timers", "127.0.0.2", "list", json_output=True)
    assert [t["id"] for t in result.json()["timers"]] == [stored.code, once.code]


async def test_day_groups(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    result = await run_cli("timers", "127.0.0.2", "add", "--at", "06:00", "--days", "weekend,Monday", "--action", "on")
    assert result.status == 0, result.stderr
    (timer,) = vs.timers.values()
    assert timer.weekdays == {Weekday.SATURDAY, Weekday.SUNDAY, Weekday.MONDAY}


async def test_remove(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    vs.add_timer(Timer.once(code=4660, at=time(8, 0), on=date(2031, 1, 1), action=PowerState.ON))
    result = await run_cli("timers", "127.0.0.2", "remove", "4660", json_output=True)
    assert result.status == 0, result.stderr
    assert result.json()["removed"] == 4660
    assert vs.timers == {}


async def test_remove_unknown_id_fails(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    vs.add_timer(Timer.once(code=1, at=time(8, 0), on=date(2031, 1, 1), action=PowerState.ON))
    result = await run_cli("timers", "127.0.0.2", "remove", "99")
    assert result.status == 1
    assert result.stderr.count("\n") == 1 and "has no timer 99" in result.stderr
    assert set(vs.timers) == {1}


async def test_empty_list(simulator: Simulator, run_cli: RunCli) -> None:
    simulator.add_socket(ip="127.0.0.2")
    result = await run_cli("timers", "127.0.0.2")
    assert result.status == 0
    assert "no timers" in result.stdout
    result = await run_cli("timers", "127.0.0.2", json_output=True)
    assert result.json()["timers"] == []


async def test_bad_timer_values_are_usage_errors(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    for argv in (
        ("add", "--at", "25:00", "--days", "mon", "--action", "on"),
        ("add", "--at", "07:00", "--days", "funday", "--action", "on"),
        ("add", "--at", "07:00", "--date", "2030-02-30", "--action", "on"),
        ("add", "--at", "07:00", "--days", "mon", "--date", "2030-01-01", "--action", "on"),
        ("add", "--at", "07:00", "--action", "on"),
        ("add", "--at", "07:00", "--days", "mon"),
        ("remove", "abc"),
    ):
        result = await run_cli("timers", "127.0.0.2", *argv)
        assert result.status == 2, argv
        assert "usage:" in result.stderr
    assert vs.timers == {}
