"""Benchmark the S20 client against the simulator on the loopback LAN; prints a table and JSON.

Run through `scripts/bench` (which sets up the venv and an isolated network namespace).
The simulator runs in its own process so that the CPU figures are the client's alone.

Measures (issue 2 §5):
* toggle → confirmed latency p50/p95/p99 and success rate over N toggles at 0 %, 10 %, 30 % loss
  (both directions); success = confirmed *and* the simulator's true state equals the request;
* client CPU per toggle (process time / toggles) at 0 % loss;
* discovery of 50 sockets at 10 % loss: time until all found, and how many;
* steady state: 250 subscribed sockets kept alive (heartbeat every 30 s) for 60 s: client CPU
  share of one core and memory (RSS growth and tracemalloc peak).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.orvibo_s20.client import (  # noqa: E402
    ClientTiming,
    EndpointConfig,
    S20Client,
    S20Endpoint,
    discover,
)
from custom_components.orvibo_s20.protocol import Mac, S20Error  # noqa: E402
from simulator import Simulator  # noqa: E402
from simulator.control import ControlClient  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class SimulatorProcess:
    """`python -m simulator` in a child process, driven through its control port."""

    def __init__(self, *, port: int, sockets: int, control_port: int, extra: list[str]) -> None:
        self.port, self.control_port = port, control_port
        self._args = [
            sys.executable, "-m", "simulator", "--port", str(port), "--sockets", str(sockets),
            "--first-ip", "127.0.0.2", "--control", f"127.0.0.1:{control_port}", *extra,
        ]
        self._proc: subprocess.Popen[bytes] | None = None
        self.control = ControlClient("127.0.0.1", control_port)

    async def __aenter__(self) -> SimulatorProcess:
        self._proc = subprocess.Popen(self._args, cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(200):
            try:
                # No artificial reply delay: measure the client, not the device model.
                await self.control.request({"op": "timing", "reply_delay_s": 0.0, "push_delay_s": 0.0})
                return self
            except OSError:
                await asyncio.sleep(0.05)
        raise RuntimeError("simulator did not start")

    async def __aexit__(self, *exc: object) -> None:
        await self.control.close()
        assert self._proc is not None
        self._proc.terminate()
        self._proc.wait(10)

    async def sockets(self) -> list[dict[str, object]]:
        reply = await self.control.request({"op": "list"})
        return list(reply["sockets"])

    async def faults(self, loss: float, latency: float = 0.0) -> None:
        await self.control.request(
            {"op": "faults", "loss_to_device": loss, "loss_from_device": loss, "latency_s": latency}
        )

    async def state(self, mac: str) -> bool:
        reply = await self.control.request({"op": "get", "mac": mac})
        return bool(reply["state"])


def _endpoint_config(port: int) -> EndpointConfig:
    return EndpointConfig(
        bind_host="127.0.0.1",
        port=port,
        broadcast_addresses=("127.255.255.255",),
        broadcast_listen_host="127.255.255.255",
        reuse_address=True,
    )


async def bench_toggles(port: int, control_port: int, toggles: int, losses: list[float], latency: float) -> list[dict[str, object]]:
    results = []
    async with SimulatorProcess(port=port, sockets=1, control_port=control_port, extra=["--seed", "1"]) as sim:
        info = (await sim.sockets())[0]
        endpoint = S20Endpoint(_endpoint_config(port))
        await endpoint.open()
        client = S20Client(endpoint, Mac.parse(str(info["mac"])), str(info["ip"]), timing=ClientTiming(deadline_s=10.0))
        try:
            await client.subscribe()
            for loss in losses:
                await sim.faults(loss, latency)
                latencies: list[float] = []
                confirmed = correct = 0
                cpu = 0.0
                wanted = not client.state
                for _ in range(toggles):
                    cpu0, t0 = time.process_time(), time.perf_counter()
                    try:
                        await client.set_power(wanted)
                        ok = True
                    except S20Error:
                        ok = False
                    elapsed = time.perf_counter() - t0
                    cpu += time.process_time() - cpu0
                    if ok:
                        confirmed += 1
                        latencies.append(elapsed)
                        # Checked outside the timed window: never a success for a wrong state.
                        if await sim.state(str(info["mac"])) == wanted:
                            correct += 1
                    wanted = not wanted
                results.append(
                    {
                        "loss": loss,
                        "latency_s": latency,
                        "toggles": toggles,
                        "confirmed": confirmed,
                        "correct": correct,
                        "success_rate": correct / toggles,
                        "p50_ms": _percentile(latencies, 50) * 1000,
                        "p95_ms": _percentile(latencies, 95) * 1000,
                        "p99_ms": _percentile(latencies, 99) * 1000,
                        "cpu_ms_per_toggle": cpu / toggles * 1000,
                        "resent": client.stats.resent,
                    }
                )
        finally:
            await client.stop()
            endpoint.close()
    return results


async def bench_discovery(port: int, control_port: int, count: int, loss: float, runs: int) -> dict[str, object]:
    times: list[float] = []
    found: list[int] = []
    async with SimulatorProcess(port=port, sockets=count, control_port=control_port, extra=["--seed", "2"]) as sim:
        await sim.faults(loss)
        endpoint = S20Endpoint(_endpoint_config(port))
        await endpoint.open()
        try:
            for _ in range(runs):
                t0 = time.perf_counter()
                sockets = await discover(endpoint, window_s=1.5, expected=count)
                times.append(time.perf_counter() - t0)
                found.append(len(sockets))
                await asyncio.sleep(0.3)  # let the reply bursts end
        finally:
            endpoint.close()
    return {
        "sockets": count,
        "loss": loss,
        "runs": runs,
        "median_s": statistics.median(times),
        "max_s": max(times),
        "found_min": min(found),
        "found_median": statistics.median(found),
    }


async def bench_steady(port: int, control_port: int, count: int, seconds: float) -> dict[str, object]:
    async with SimulatorProcess(port=port, sockets=count, control_port=control_port, extra=["--seed", "3"]) as sim:
        infos = await sim.sockets()
        endpoint = S20Endpoint(_endpoint_config(port))
        await endpoint.open()
        clients = [S20Client(endpoint, Mac.parse(str(i["mac"])), str(i["ip"])) for i in infos]
        try:
            tracemalloc.start()
            rss0 = _rss_mb()
            await asyncio.gather(*(c.subscribe() for c in clients))
            for c in clients:
                c.start()
            await asyncio.sleep(1.0)
            cpu0, t0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - t0
            available = sum(c.available for c in clients)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss1 = _rss_mb()
            heartbeats = sum(c.stats.requests for c in clients)
        finally:
            await asyncio.gather(*(c.stop() for c in clients))
            endpoint.close()
    return {
        "sockets": count,
        "seconds": round(wall, 1),
        "available": available,
        "cpu_percent_of_core": cpu / wall * 100,
        "rss_growth_mb": rss1 - rss0,
        "tracemalloc_peak_mb": peak / 1e6,
        "requests": heartbeats,
    }


def _print_table(report: dict[str, object]) -> None:
    print("\nToggle → confirmed (client and simulator in separate processes, loopback LAN)")
    print(f"{'loss':>5} {'lat ms':>6} {'n':>5} {'ok %':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'CPU ms/toggle':>14}")
    for row in report["toggles"]:  # type: ignore[union-attr]
        print(
            f"{row['loss']:>5.0%} {row['latency_s'] * 1000:>6.0f} {row['toggles']:>5} {row['success_rate'] * 100:>6.1f}% "
            f"{row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['cpu_ms_per_toggle']:>14.3f}"
        )
    if d := report.get("discovery"):
        print(
            f"\nDiscovery of {d['sockets']} sockets at {d['loss']:.0%} loss ({d['runs']} runs): "
            f"median {d['median_s']:.3f} s, max {d['max_s']:.3f} s, found ≥ {d['found_min']}"
        )
    if s := report.get("steady"):
        print(
            f"\nSteady state, {s['sockets']} subscribed sockets for {s['seconds']} s: "
            f"{s['cpu_percent_of_core']:.2f} % of one core, RSS +{s['rss_growth_mb']:.1f} MB, "
            f"tracemalloc peak {s['tracemalloc_peak_mb']:.1f} MB, {s['available']} available"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--toggles", type=int, default=500)
    parser.add_argument("--losses", default="0,0.1,0.3")
    parser.add_argument("--latency", type=float, default=0.0, help="one-way simulated latency, seconds")
    parser.add_argument("--discovery-sockets", type=int, default=50)
    parser.add_argument("--discovery-runs", type=int, default=5)
    parser.add_argument("--steady-sockets", type=int, default=250)
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the JSON report here")
    args = parser.parse_args()
    if args.quick:
        args.toggles, args.discovery_runs, args.steady_sockets, args.steady_seconds = 50, 2, 50, 5.0
    port, control = Simulator.free_port(), Simulator.free_port()
    losses = [float(x) for x in args.losses.split(",")]
    report: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    report["toggles"] = await bench_toggles(port, control, args.toggles, losses, args.latency)
    report["discovery"] = await bench_discovery(port, control, args.discovery_sockets, 0.1, args.discovery_runs)
    report["steady"] = await bench_steady(port, control, args.steady_sockets, args.steady_seconds)
    report["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _print_table(report)
    text = json.dumps(report, indent=2)
    print("\n" + text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    if "--availability" in sys.argv[1:]:  # a real Home Assistant: availability and staleness
        from bench_availability import main as availability_main

        asyncio.run(availability_main(sys.argv[1:]))
    elif "--relay" in sys.argv[1:]:  # a real Home Assistant and commands through its relay
        from bench_relay import main as relay_main

        asyncio.run(relay_main(sys.argv[1:]))
    elif "--allone" in sys.argv[1:]:  # a real Home Assistant with an AllOne: button and send latency
        from bench_allone import main as allone_main

        asyncio.run(allone_main(sys.argv[1:]))
    elif "--hass" in sys.argv[1:]:  # a real Home Assistant with 100 sockets: its own module
        from bench_hass import main as hass_main

        asyncio.run(hass_main(sys.argv[1:]))
    elif "--compare" in sys.argv[1:]:  # side by side with the incumbent: its own module
        from bench_compare import main as compare_main

        asyncio.run(compare_main(sys.argv[1:]))
    else:
        asyncio.run(main())
