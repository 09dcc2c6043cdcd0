"""`watch`: the state now, then a line per change (the button, another controller)."""

from __future__ import annotations

import asyncio
import json

from simulator import Simulator

from .conftest import RunCli


async def _subscribed(simulator: Simulator, ip: str) -> None:
    vs = simulator.get(ip)
    async with asyncio.timeout(3):
        while "127.0.0.1" not in vs.subscribers:
            await asyncio.sleep(0.01)


async def test_watch_sees_button_presses(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    task = asyncio.create_task(run_cli("watch", "127.0.0.2", "--count", "2", "--duration", "5"))
    await _subscribed(simulator, "127.0.0.2")
    await asyncio.sleep(0.05)
    vs.press_button()
    await asyncio.sleep(0.1)
    vs.press_button()
    result = await task
    assert result.status == 0, result.stderr
    assert [line.split()[-1] for line in result.lines] == ["off", "on", "off"]
    assert all(f"{vs.mac} at 127.0.0.2" in line for line in result.lines)


async def test_watch_json_lines(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", state=True)
    task = asyncio.create_task(run_cli("watch", str(vs.mac), "--count", "1", json_output=True))
    await _subscribed(simulator, "127.0.0.2")
    await asyncio.sleep(0.05)
    vs.press_button()
    result = await task
    assert result.status == 0, result.stderr
    events = [json.loads(line) for line in result.lines]
    assert [(e["event"], e["state"], e["available"]) for e in events] == [
        ("initial", "on", True), ("change", "off", True),
    ]
    assert {e["mac"] for e in events} == {str(vs.mac)} and {e["host"] for e in events} == {"127.0.0.2"}


async def test_watch_duration_without_changes(simulator: Simulator, run_cli: RunCli) -> None:
    simulator.add_socket(ip="127.0.0.2")
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await run_cli("watch", "127.0.0.2", "--duration", "0.3")
    assert result.status == 0, result.stderr
    assert loop.time() - started >= 0.3
    assert len(result.lines) == 1 and result.lines[0].endswith(" off")


async def test_watch_offline_socket_fails(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    simulator.set_online(vs.mac, False)
    result = await run_cli("watch", "127.0.0.2", "--count", "1", timeout=0.3)
    assert result.status == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: no S20 answered at 127.0.0.2")
