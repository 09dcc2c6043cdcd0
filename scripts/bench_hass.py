"""`scripts/bench --hass`: a real Home Assistant process with N simulated sockets configured.

Measures (issue 5, "Real Home Assistant at scale"):
* time from Home Assistant's start until all N switch entities are available (on/off);
* idle CPU of the Home Assistant process over a window (/proc/<pid>/stat utime + stime);
* memory growth: RSS of the process restarted with 0 entries, after the N entries load into it,
  and after a restart with them (both growths against the first);
* button press (simulator control port) → `state_changed` on the WebSocket, p50/p99.

Everything listens on and sends to loopback only (see scripts/hass_harness.py); scripts/bench
runs this in an isolated network namespace. Targets are printed next to the figures, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict, dataclass
import json
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time

import aiohttp

from hass_harness import (
    DOMAIN,
    HarnessError,
    HassApi,
    HassConfig,
    HassWebSocket,
    SimSocket,
    Stage,
    free_tcp_port,
    free_udp_port,
    wait_for,
)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Targets:
    """The issue's targets (printed, not asserted)."""

    all_available_s: float = 10.0
    idle_cpu_percent: float = 1.0
    memory_mb: float = 30.0
    press_p99_ms: float = 100.0


@dataclass(slots=True)
class HassReport:
    """What one run measured."""

    sockets: int
    first_boot_running_s: float = 0.0
    config_flows_s: float = 0.0
    restart_http_up_s: float = 0.0
    restart_all_available_s: float = 0.0
    idle_seconds: float = 0.0
    idle_cpu_percent: float = 0.0
    rss_before_entries_mb: float = 0.0
    rss_after_entries_mb: float = 0.0
    rss_after_restart_mb: float = 0.0
    presses: int = 0
    press_p50_ms: float = 0.0
    press_p99_ms: float = 0.0
    press_max_ms: float = 0.0

    @property
    def growth_mb(self) -> float:
        """RSS that the N entries added to the running process."""
        return self.rss_after_entries_mb - self.rss_before_entries_mb

    @property
    def restart_growth_mb(self) -> float:
        """RSS of a restarted HA with N entries minus that of the same HA restarted with none."""
        return self.rss_after_restart_mb - self.rss_before_entries_mb


def cpu_seconds(pid: int) -> float:
    """utime + stime of pid (fields 14 and 15 of /proc/<pid>/stat), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    """Resident set size of pid in MiB (/proc/<pid>/statm)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES / 2**20


def _pid(stage: Stage) -> int:
    assert stage.hass.process is not None
    return stage.hass.process.pid


async def _settled_rss(pid: int, seconds: float = 5.0) -> float:
    """RSS after a short settle (startup tasks finish; a single sample right after is noisy)."""
    await asyncio.sleep(seconds)
    return rss_mb(pid)


async def _add_entries(api: HassApi, sockets: list[SimSocket]) -> None:
    """One config flow per socket: user menu → connect → host + MAC (no probe needed)."""
    for sim in sockets:
        flow = await api.post("/api/config/config_entries/flow", {"handler": DOMAIN})
        flow = await api.post(f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": "connect"})
        result = await api.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}", {"host": sim.ip, "mac": sim.mac}
        )
        if result.get("type") != "create_entry":
            raise HarnessError(f"the flow for {sim.ip} did not create an entry: {result}")


async def _switch_ids(ws: HassWebSocket, sockets: list[SimSocket]) -> dict[str, str]:
    """entity_id of each socket's power switch, by MAC (the entity registry's unique ids)."""
    wanted = {f"{sim.mac}_power": sim.mac for sim in sockets}
    found = {
        wanted[entry["unique_id"]]: str(entry["entity_id"])
        for entry in await ws.command("config/entity_registry/list")
        if entry["platform"] == DOMAIN and entry["unique_id"] in wanted
    }
    if len(found) != len(sockets):
        raise HarnessError(f"{len(found)} of {len(sockets)} switch entities registered")
    return found


async def _api_up(stage: Stage, api: HassApi) -> bool:
    """Whether the REST API answers (GET /api/onboarding is gone once onboarding is done)."""
    stage.hass.check_alive()
    try:
        await api.get("/api/")
    except (HarnessError, aiohttp.ClientError):
        return False
    return True


async def _all_available(api: HassApi, entity_ids: set[str]) -> bool:
    """Whether every entity has a state of on or off (REST /api/states)."""
    try:
        states = await api.get("/api/states")
    except (HarnessError, aiohttp.ClientError):
        return False  # HTTP up, API not yet
    ready = {s["entity_id"] for s in states if s["entity_id"] in entity_ids and s["state"] in ("on", "off")}
    return ready == entity_ids


async def _presses(stage: Stage, ws: HassWebSocket, switches: dict[str, str], count: int) -> list[float]:
    """Press buttons round the sockets; seconds from the press request to the state_changed event."""
    events = await ws.subscribe_events("state_changed")
    macs = list(switches)
    latencies: list[float] = []
    for n in range(count):
        mac = macs[n % len(macs)]
        entity_id = switches[mac]
        while not events.empty():
            events.get_nowait()
        started = time.monotonic()
        relay = await stage.simulator.control.press(mac)
        expected = "on" if relay else "off"
        async with asyncio.timeout(10):
            while True:
                event = await events.get()
                data = event["data"]
                if data["entity_id"] == entity_id and (data.get("new_state") or {}).get("state") == expected:
                    break
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(0.05)  # presses a person makes, not a flood
    return latencies


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _restart(stage: Stage, api: HassApi) -> float:
    """Stop and start Home Assistant; return the seconds from the start until the API answers."""
    await stage.hass.stop()
    started = time.monotonic()
    await stage.hass.start()
    await wait_for(lambda: _api_up(stage, api), timeout=120, what="HTTP after the restart", interval=0.05)
    return time.monotonic() - started


async def run(args: argparse.Namespace) -> HassReport:
    """Boot HA, add N entries, restart, then measure availability, idle CPU, memory and presses."""
    report = HassReport(sockets=args.sockets)
    with tempfile.TemporaryDirectory(prefix="bench-hass-") as tmp:
        tmp = str(args.dir or tmp)
        config = HassConfig(
            config_dir=Path(tmp) / "config", http_port=free_tcp_port(), udp_port=free_udp_port(),
            history=False, log_level="warning", name="Orvibo S20 bench",
        )
        async with Stage.run(config, sockets=args.sockets, simulator_args=()) as stage:
            print(f"Home Assistant in {config.config_dir}; booting …", file=sys.stderr, flush=True)
            api = await stage.boot()
            report.first_boot_running_s = stage.timings["running_s"]
            # The baseline: the same Home Assistant restarted (as after onboarding) with no entries;
            # the entries are then added to this process, and it is restarted once more with them.
            await _restart(stage, api)
            await wait_for(lambda: _all_available(api, set()), timeout=60, what="the restart with no entries")
            report.rss_before_entries_mb = await _settled_rss(_pid(stage), args.settle_seconds)
            sockets = await stage.start_simulator()
            started = time.monotonic()
            await _add_entries(api, sockets)
            report.config_flows_s = time.monotonic() - started
            async with HassWebSocket.connect(api) as ws:
                switches = await _switch_ids(ws, sockets)
            ids = set(switches.values())
            await wait_for(lambda: _all_available(api, ids), timeout=60, what="all switches after the flows")
            report.rss_after_entries_mb = await _settled_rss(_pid(stage))
            print(f"{len(ids)} entries in {report.config_flows_s:.1f} s; restarting …", file=sys.stderr, flush=True)

            started = time.monotonic()
            report.restart_http_up_s = await _restart(stage, api)
            await wait_for(lambda: _all_available(api, ids), timeout=120, what="all switches after the restart")
            report.restart_all_available_s = time.monotonic() - started
            pid = _pid(stage)

            await asyncio.sleep(args.settle_seconds)  # startup's tail (timers, first writes) is not idle
            report.rss_after_restart_mb = rss_mb(pid)
            print(f"idle for {args.idle_seconds:.0f} s …", file=sys.stderr, flush=True)
            cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(args.idle_seconds)
            cpu_used, wall = cpu_seconds(pid) - cpu_before, time.monotonic() - wall_before
            report.idle_seconds = wall
            report.idle_cpu_percent = 100 * cpu_used / wall

            async with HassWebSocket.connect(api) as ws:
                latencies = await _presses(stage, ws, switches, args.presses)
            report.presses = len(latencies)
            report.press_p50_ms = 1000 * statistics.median(latencies)
            report.press_p99_ms = 1000 * _percentile(latencies, 0.99)
            report.press_max_ms = 1000 * max(latencies)
    return report


def _print_table(report: HassReport, targets: Targets) -> None:
    n = report.sockets
    rows = [
        (f"all {n} switches available after HA start", f"{report.restart_all_available_s:.1f} s",
         f"< {targets.all_available_s:.0f} s"),
        ("  (of which HTTP up)", f"{report.restart_http_up_s:.1f} s", ""),
        (f"idle CPU of HA over {report.idle_seconds:.0f} s", f"{report.idle_cpu_percent:.2f} % of a core",
         f"< {targets.idle_cpu_percent:.0f} %"),
        (f"RSS growth for {n} entries (same process)", f"{report.growth_mb:.1f} MB",
         f"< {targets.memory_mb:.0f} MB"),
        (f"RSS growth for {n} entries (restarted with them vs with 0)", f"{report.restart_growth_mb:.1f} MB",
         f"< {targets.memory_mb:.0f} MB"),
        ("  RSS with 0 / entries added / restarted with entries",
         f"{report.rss_before_entries_mb:.0f} / {report.rss_after_entries_mb:.0f} / "
         f"{report.rss_after_restart_mb:.0f} MB", ""),
        (f"press → state_changed p50 / p99 ({report.presses} presses)",
         f"{report.press_p50_ms:.1f} / {report.press_p99_ms:.1f} ms", f"p99 < {targets.press_p99_ms:.0f} ms"),
        ("  max", f"{report.press_max_ms:.1f} ms", ""),
        (f"{n} config flows over REST (setup, not a target)", f"{report.config_flows_s:.1f} s", ""),
    ]
    print(f"\nReal Home Assistant with {n} simulated sockets (loopback, {os.cpu_count()} CPUs)\n")
    print("| measure | figure | target |\n|---|---|---|")
    for name, figure, target in rows:
        print(f"| {name} | {figure} | {target} |")


async def main(argv: list[str]) -> None:
    """Entry point of `scripts/bench --hass`."""
    parser = argparse.ArgumentParser(prog="bench --hass", description=__doc__.splitlines()[0])
    parser.add_argument("--hass", action="store_true", help="(selects this benchmark)")
    parser.add_argument("--sockets", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=300.0, help="idle CPU window (default %(default)s)")
    parser.add_argument("--settle-seconds", type=float, default=10.0, help="wait after all are available")
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--dir", type=Path, help="keep Home Assistant's config dir and logs here")
    args = parser.parse_args(argv)
    try:
        report = await run(args)
    except HarnessError as err:
        print(f"bench --hass: {err}", file=sys.stderr)
        raise SystemExit(1) from err
    targets = Targets()
    _print_table(report, targets)
    text = json.dumps(
        {"python": sys.version.split()[0], "cpus": os.cpu_count(), "report": asdict(report),
         "growth_mb": report.growth_mb, "restart_growth_mb": report.restart_growth_mb, "targets": asdict(targets)}, indent=2,
    )
    print("\n" + text)
    if args.json:
        args.json.write_text(text + "\n")
