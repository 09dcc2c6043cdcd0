"""`scripts/bench --availability`: how fast a real Home Assistant notices a silent socket, a
socket back, and a lost push; whether 30 % loss ever makes an entity unavailable; what it costs.

A real Home Assistant process (scripts/hass_harness.py) with N simulated sockets added through
config flows, the integration's default poll (10 s), on the loopback LAN with a simulated
one-way latency (5 ms). Every time is taken from the control port's request to the
`state_changed` event on the WebSocket:

* unplug: K sockets go silent (the control port's `offline`), each at a random moment of its
  poll cycle; seconds until its switch is `unavailable`;
* plug back in (`online`, after the socket's button was pressed while away); seconds until the
  switch shows the socket's true state again;
* lost push: a button press whose `sf` pushes are all lost (`press` with `push: false`);
  seconds until the switch shows the new state anyway;
* loss: 30 % of the datagrams lost both ways for a while (30 minutes by default): how many
  times any of the N switches became unavailable;
* cost, idle at no loss: datagrams per socket per minute (the simulator's counters, both ways)
  and the Home Assistant process's CPU (utime + stime), as a share of one core.

Targets are printed beside the figures, not asserted. Everything stays on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict, dataclass, field
import json
import os
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from typing import Any

from bench_hass import _add_entries, _all_available, _percentile, _pid, _switch_ids, cpu_seconds
from hass_harness import HarnessError, HassConfig, HassWebSocket, Stage, free_tcp_port, free_udp_port, wait_for


@dataclass(frozen=True, slots=True)
class Targets:
    """Issue 11's bounds (printed, not asserted)."""

    unavailable_s: float = 45.0
    recover_s: float = 5.0
    lost_push_s: float = 15.0
    false_unavailable: int = 0
    cpu_percent: float = 1.0


@dataclass(slots=True)
class AvailabilityReport:
    """What one run measured (seconds unless named otherwise)."""

    sockets: int
    trials: int
    latency_ms: float
    unavailable_s: list[float] = field(default_factory=list)
    recover_s: list[float] = field(default_factory=list)
    lost_push_s: list[float] = field(default_factory=list)
    loss: float = 0.0
    loss_minutes: float = 0.0
    false_unavailable: int = 0
    loss_datagrams_per_socket_minute: float = 0.0
    idle_seconds: float = 0.0
    idle_datagrams_per_socket_minute: float = 0.0
    idle_cpu_percent: float = 0.0


class StateWatch:
    """The switches' states as `state_changed` events bring them, with a waiter per entity."""

    def __init__(self, events: asyncio.Queue[dict[str, Any]]) -> None:
        self.events = events
        self.unavailable = 0  # transitions to unavailable seen
        self._states: dict[str, str] = {}
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            event = await self.events.get()
            data = event["data"]
            new = (data.get("new_state") or {}).get("state")
            if new is None:
                continue
            if new == "unavailable" and self._states.get(data["entity_id"]) != "unavailable":
                self.unavailable += 1
            async with self._changed:
                self._states[data["entity_id"]] = new
                self._changed.notify_all()

    async def until(self, entity_id: str, state: str, timeout: float) -> float:
        """Wait until entity_id shows state; the monotonic time it did."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self._states.get(entity_id) == state)
        return time.monotonic()

    def close(self) -> None:
        self._task.cancel()


async def _datagrams(stage: Stage) -> int:
    """Datagrams the simulator received plus sent (its whole LAN)."""
    counters = (await stage.simulator.control.request({"op": "counters"}))["counters"]
    return int(counters["received"]) + int(counters["sent"])


async def _trial(stage: Stage, watch: StateWatch, mac: str, entity_id: str, report: AvailabilityReport) -> None:
    control = stage.simulator.control
    await asyncio.sleep(random.uniform(0, 10))  # any moment of the 10 s poll cycle
    # Unplugged.
    started = time.monotonic()
    await control.set_online(mac, False)
    report.unavailable_s.append(await watch.until(entity_id, "unavailable", 120) - started)
    # Switched by hand while away, then plugged back in.
    relay = await control.press(mac)
    await asyncio.sleep(random.uniform(0, 3))
    started = time.monotonic()
    await control.set_online(mac, True)
    report.recover_s.append(await watch.until(entity_id, "on" if relay else "off", 60) - started)
    # A press whose pushes never arrive.
    await asyncio.sleep(random.uniform(0, 10))
    started = time.monotonic()
    relay = await control.press(mac, push=False)
    report.lost_push_s.append(await watch.until(entity_id, "on" if relay else "off", 120) - started)


async def run(args: argparse.Namespace) -> AvailabilityReport:
    """Boot Home Assistant with N sockets, then the trials, the idle window and the loss window."""
    report = AvailabilityReport(sockets=args.sockets, trials=args.trials, latency_ms=1000 * args.latency)
    with tempfile.TemporaryDirectory(prefix="bench-availability-") as tmp:
        tmp = str(args.dir or tmp)
        config = HassConfig(
            config_dir=Path(tmp) / "config", http_port=free_tcp_port(), udp_port=free_udp_port(),
            history=False, log_level="warning", name="Orvibo S20 availability bench",
        )
        async with Stage.run(config, sockets=args.sockets, simulator_args=()) as stage:
            print(f"Home Assistant in {config.config_dir}; booting …", file=sys.stderr, flush=True)
            api = await stage.boot()
            sockets = await stage.start_simulator()
            await _add_entries(api, sockets)
            async with HassWebSocket.connect(api) as ws:
                switches = await _switch_ids(ws, sockets)
                ids = set(switches.values())
                await wait_for(lambda: _all_available(api, ids), timeout=120, what="all switches")
                control = stage.simulator.control
                await control.request({"op": "faults", "latency_s": args.latency})
                watch = StateWatch(await ws.subscribe_events("state_changed"))
                try:
                    print(f"{len(ids)} sockets; Home Assistant {stage.version}; {args.trials} unplug/"
                          "replug/lost-push trials …", file=sys.stderr, flush=True)
                    macs = random.sample(sorted(switches), args.trials)
                    await asyncio.gather(*(_trial(stage, watch, mac, switches[mac], report) for mac in macs))
                    await wait_for(lambda: _all_available(api, ids), timeout=60, what="all switches again")

                    print(f"idle for {args.idle_seconds:.0f} s …", file=sys.stderr, flush=True)
                    await asyncio.sleep(10)  # the trials' tail
                    pid = _pid(stage)
                    datagrams, cpu, wall = await _datagrams(stage), cpu_seconds(pid), time.monotonic()
                    await asyncio.sleep(args.idle_seconds)
                    wall = time.monotonic() - wall
                    report.idle_seconds = wall
                    report.idle_cpu_percent = 100 * (cpu_seconds(pid) - cpu) / wall
                    report.idle_datagrams_per_socket_minute = (
                        (await _datagrams(stage) - datagrams) / args.sockets / (wall / 60)
                    )

                    print(f"{100 * args.loss:.0f} % loss both ways for {args.loss_minutes:g} min …",
                          file=sys.stderr, flush=True)
                    unavailable_before, datagrams = watch.unavailable, await _datagrams(stage)
                    started = time.monotonic()
                    await control.request({"op": "faults", "loss": args.loss})
                    await asyncio.sleep(60 * args.loss_minutes)
                    await control.request({"op": "faults", "loss": 0.0})
                    minutes = (time.monotonic() - started) / 60
                    report.loss, report.loss_minutes = args.loss, minutes
                    report.false_unavailable = watch.unavailable - unavailable_before
                    report.loss_datagrams_per_socket_minute = (
                        (await _datagrams(stage) - datagrams) / args.sockets / minutes
                    )
                finally:
                    watch.close()
    return report


def _stats(values: list[float]) -> str:
    if not values:
        return "—"
    return (f"median {statistics.median(values):.1f} s, p90 {_percentile(values, 0.9):.1f} s, "
            f"worst {max(values):.1f} s ({len(values)} trials)")


def _print_table(report: AvailabilityReport, targets: Targets) -> None:
    rows = [
        ("silent socket → unavailable", _stats(report.unavailable_s), f"< {targets.unavailable_s:g} s"),
        ("back → available, true state", _stats(report.recover_s), f"< {targets.recover_s:g} s"),
        ("lost push → corrected", _stats(report.lost_push_s), f"< {targets.lost_push_s:g} s"),
        (f"unavailable at {100 * report.loss:.0f} % loss, {report.sockets} sockets, {report.loss_minutes:.0f} min",
         str(report.false_unavailable), str(targets.false_unavailable)),
        (f"datagrams per socket per minute (idle; at {100 * report.loss:.0f} % loss)",
         f"{report.idle_datagrams_per_socket_minute:.1f}; {report.loss_datagrams_per_socket_minute:.1f}", ""),
        (f"Home Assistant CPU, {report.sockets} sockets idle", f"{report.idle_cpu_percent:.2f} % of a core",
         f"< {targets.cpu_percent:g} %"),
    ]
    print(f"\nAvailability, real Home Assistant, {report.sockets} sockets, {report.latency_ms:g} ms one-way latency")
    print("| figure | measured | target |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


async def main(argv: list[str]) -> None:
    """Entry point of `scripts/bench --availability`."""
    parser = argparse.ArgumentParser(prog="bench --availability", description=__doc__.splitlines()[0])
    parser.add_argument("--availability", action="store_true", help="(selects this benchmark)")
    parser.add_argument("--sockets", type=int, default=250)
    parser.add_argument("--trials", type=int, default=20, help="sockets unplugged, replugged and pressed")
    parser.add_argument("--latency", type=float, default=0.005, help="one-way, seconds (default %(default)s)")
    parser.add_argument("--idle-seconds", type=float, default=120.0)
    parser.add_argument("--loss", type=float, default=0.3)
    parser.add_argument("--loss-minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--dir", type=Path, help="keep Home Assistant's config dir and logs here")
    args = parser.parse_args(argv)
    random.seed(args.seed)
    try:
        report = await run(args)
    except HarnessError as err:
        print(f"bench --availability: {err}", file=sys.stderr)
        raise SystemExit(1) from err
    targets = Targets()
    _print_table(report, targets)
    text = json.dumps({"python": sys.version.split()[0], "cpus": os.cpu_count(), "report": asdict(report),
                       "targets": asdict(targets)}, indent=2)
    print("\n" + text)
    if args.json:
        args.json.write_text(text + "\n")
