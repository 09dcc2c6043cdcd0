"""`scripts/bench --relay`: how fast Home Assistant follows a command sent through its relay.

A real Home Assistant process owns the simulator's port with one socket added; this process is
another program on the same host. It measures:
* a relayed `on`/`off` (the CLI's own machinery: `RelayedEndpoint` + `S20Client`, connected once)
  → Home Assistant's `state_changed` for the switch on the WebSocket, p50/p90/max;
* whole CLI runs (`python -m custom_components.orvibo_s20 --bind 0.0.0.0 … on|off IP`, a new
  process each, which finds the port taken and goes through the relay by itself): wall time,
  exit status, and whether Home Assistant's state had followed when the CLI returned.

Everything listens on and sends to loopback only (scripts/hass_harness.py); scripts/bench runs
this in an isolated network namespace. The target (issue 13: Home Assistant follows a CLI `on`
within 100 ms) is printed next to the figures, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

from bench_hass import _add_entries, _all_available, _percentile, _switch_ids
from hass_harness import HarnessError, HassConfig, HassWebSocket, Stage, free_tcp_port, free_udp_port, wait_for

from custom_components.orvibo_s20.client import ClientTiming, EndpointConfig, RelayedEndpoint, S20Client
from custom_components.orvibo_s20.protocol import Mac

BROADCAST = "127.255.255.255"
TARGET_MS = 100.0
REPO = Path(__file__).resolve().parents[1]


async def _state_changed(events: asyncio.Queue[dict[str, Any]], entity_id: str, expected: str) -> None:
    async with asyncio.timeout(10):
        while True:
            data = (await events.get())["data"]
            if data["entity_id"] == entity_id and (data.get("new_state") or {}).get("state") == expected:
                return


def _drain(events: asyncio.Queue[dict[str, Any]]) -> None:
    while not events.empty():
        events.get_nowait()


async def _relayed_commands(
    udp_port: int, ip: str, mac: str, events: asyncio.Queue[dict[str, Any]], entity_id: str, count: int
) -> list[float]:
    """Seconds from a relayed set_power's start to Home Assistant's state_changed, alternating on/off."""
    endpoint = RelayedEndpoint(EndpointConfig(bind_host="127.0.0.1", port=udp_port, broadcast_addresses=(BROADCAST,)))
    await endpoint.open()
    client = S20Client(endpoint, Mac.parse(mac), ip, timing=ClientTiming())
    latencies: list[float] = []
    try:
        state = await client.subscribe()
        for _ in range(count):
            state = not state
            _drain(events)
            started = time.monotonic()
            await client.set_power(state)
            await _state_changed(events, entity_id, "on" if state else "off")
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.05)
    finally:
        await client.stop()
        endpoint.close()
    return latencies


async def _cli_runs(
    udp_port: int, ip: str, events: asyncio.Queue[dict[str, Any]], entity_id: str, api_state: Any, count: int
) -> tuple[list[float], list[int], int]:
    """Whole CLI processes: wall times, exit statuses, and how often HA had followed by the exit."""
    walls: list[float] = []
    statuses: list[int] = []
    followed = 0
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for n in range(count):
        command = "on" if n % 2 == 0 else "off"
        _drain(events)
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "custom_components.orvibo_s20", "--bind", "0.0.0.0", "--port", str(udp_port),
            "--broadcast", BROADCAST, command, ip, cwd=REPO, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        statuses.append(await process.wait())
        walls.append(time.monotonic() - started)
        state = await api_state(entity_id)
        if state is not None and state["state"] == command:
            followed += 1
        else:  # the next run starts from the state this one set
            await _state_changed(events, entity_id, command)
    return walls, statuses, followed


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Boot HA with one socket, then measure relayed commands and whole CLI runs."""
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        config = HassConfig(
            config_dir=Path(tmp) / "config", http_port=free_tcp_port(), udp_port=free_udp_port(),
            history=False, log_level="warning", name="Orvibo S20 relay bench",
        )
        async with Stage.run(config, sockets=1, simulator_args=()) as stage:
            print(f"Home Assistant {config.config_dir}; booting …", file=sys.stderr, flush=True)
            api = await stage.boot()
            sockets = await stage.start_simulator()
            await _add_entries(api, sockets)
            async with HassWebSocket.connect(api) as ws:
                switches = await _switch_ids(ws, sockets)
                entity_id = switches[sockets[0].mac]
                await wait_for(lambda: _all_available(api, {entity_id}), timeout=60, what="the switch")
                events = await ws.subscribe_events("state_changed")
                sim = sockets[0]
                relayed = await _relayed_commands(config.udp_port, sim.ip, sim.mac, events, entity_id, args.commands)
                walls, statuses, followed = await _cli_runs(
                    config.udp_port, sim.ip, events, entity_id, api.state, args.cli_runs
                )
            version = stage.version
    return {
        "home_assistant": version, "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "relayed_commands": len(relayed),
        "relayed_p50_ms": 1000 * statistics.median(relayed),
        "relayed_p90_ms": 1000 * _percentile(relayed, 0.9),
        "relayed_max_ms": 1000 * max(relayed),
        "cli_runs": len(walls), "cli_exit_statuses": sorted(set(statuses)),
        "cli_wall_p50_ms": 1000 * statistics.median(walls),
        "cli_ha_followed_by_exit": followed,
        "target_ms": TARGET_MS,
    }


async def main(argv: list[str]) -> None:
    """Entry point of `scripts/bench --relay`."""
    parser = argparse.ArgumentParser(prog="bench --relay", description=__doc__.splitlines()[0])
    parser.add_argument("--relay", action="store_true", help="(selects this benchmark)")
    parser.add_argument("--commands", type=int, default=100, help="relayed on/off commands (default %(default)s)")
    parser.add_argument("--cli-runs", type=int, default=10, help="whole CLI processes (default %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        report = await run(args)
    except HarnessError as err:
        print(f"bench --relay: {err}", file=sys.stderr)
        raise SystemExit(1) from err
    print(f"\nHome Assistant {report['home_assistant']} owns the port; commands through its relay\n")
    print("| measure | figure | target |\n|---|---|---|")
    print(f"| relayed on/off → HA state_changed, p50 / p90 / max ({report['relayed_commands']}) | "
          f"{report['relayed_p50_ms']:.1f} / {report['relayed_p90_ms']:.1f} / {report['relayed_max_ms']:.1f} ms | "
          f"< {TARGET_MS:.0f} ms |")
    print(f"| whole CLI process on/off, wall p50 ({report['cli_runs']} runs, exit {report['cli_exit_statuses']}) | "
          f"{report['cli_wall_p50_ms']:.0f} ms | |")
    print(f"| HA already showed the CLI's state when the CLI exited | {report['cli_ha_followed_by_exit']} of "
          f"{report['cli_runs']} | |")
    text = json.dumps(report, indent=2)
    print("\n" + text)
    if args.json:
        args.json.write_text(text + "\n")
