"""Side by side with the incumbent: `scripts/bench --compare` (issue 5).

Our client and `orvibo` 1.1.2 (the library of Home Assistant core's `orvibo` integration) against
the same simulator process in the same run, each library in its own worker process so that the CPU
figures are the library's alone. `scripts/bench` installs `orvibo` into `.venv-bench/` (never into
`.venv`) and runs all of this in an isolated network namespace with only loopback.

Network layout, everything on the real port 10000: the simulator binds each virtual socket's own
address (`--bind-each`): 127.0.0.2 is the incumbent's socket, 127.0.0.3 ours. `orvibo` binds
('', 10000) at import; it sets no SO_REUSEADDR, so its worker sets that option on the socket before
the bind (nothing else about the library is changed) — without it nothing else could use port 10000
in the namespace. It is built with explicit host and MAC (no discovery; its broadcasts to
255.255.255.255 could not leave the namespace anyway), sends from 127.0.0.1 and gets the replies to
127.0.0.1:10000. Our client binds 127.0.0.250:10000, so the kernel hands each library only its own
replies (the most specific bind wins).

Per library and loss level: N toggles; after each call that reported success the simulator's true
state (control port) must equal the request, else it counts as "wrong success"; latency p50/p95/p99
of the successful calls; CPU seconds of the library's process over the phase / N. Then button
presses on the simulator: the time until the library's state shows the press without any call
(ours: `client.state` via a listener; `orvibo` has no state attribute — `S20.on` is a network
query — so a press is never visible until the next poll).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import socket
import sys
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INCUMBENT = "orvibo 1.1.2"
OURS = "orvibo_s20"
RAW = "raw UDP"
BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
OUR_BIND = "127.0.0.250"  # not a virtual socket; any 127/8 address but .1 (the incumbent's source)
RAW_BIND = "127.0.0.251"
PORT = 10000
_NEVER = ("never until a poll (no state attribute; S20.on is a network query; HA core polls it every"
          " 30 s, the switch platform's SCAN_INTERVAL)")


# --- worker processes (one per library), JSON lines on stdin/stdout ------------------------------


def _incumbent_worker(host: str, mac: str) -> None:
    """Drive orvibo.s20.S20 synchronously, as HA core's integration does."""
    real_socket = socket.socket

    class _Reusable(real_socket):
        def bind(self, address: Any) -> None:
            # Only so that the simulator can bind 127.0.0.x:10000 next to it (see module doc).
            self.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            super().bind(address)

    socket.socket = _Reusable  # type: ignore[misc]
    try:
        from orvibo import s20  # noqa: PLC0415  binds ('', 10000) and starts its thread at import
    finally:
        socket.socket = real_socket  # type: ignore[misc]
    device = s20.S20(host, mac)
    _reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "toggle":
            t0 = time.perf_counter()
            try:
                device.on = request["state"]
                error = None
            except s20.S20Exception as err:
                error = str(err)
            _reply({"ok": error is None, "elapsed": time.perf_counter() - t0, "error": error})
        elif op == "cpu":
            _reply({"cpu": time.process_time()})
        elif op == "peek":
            # What it knows without a call: nothing (no cached state anywhere in the library).
            _reply({"state": None, "changed_at": None})
        else:
            return


def _raw_worker(host: str, mac: str) -> None:
    """The measured floor: the least a controller can do for a confirmed toggle, no library.

    One blocking UDP socket, datagrams built once, no event loop: per toggle one `dc`, then wait
    for its ack and the `sf` push with the wanted state, the exchange our client completes at 0 %
    loss. It never resends, so it only runs without loss. Its own virtual socket and address, so
    its subscription and pushes touch neither library.
    """
    from custom_components.orvibo_s20.protocol import (  # noqa: PLC0415
        Mac,
        PowerRequest,
        PowerState,
        SubscribeRequest,
        encode,
    )

    the_mac = Mac.parse(mac)
    power = {on: encode(PowerRequest(mac=the_mac, state=PowerState.ON if on else PowerState.OFF)) for on in (True, False)}
    subscribe = encode(SubscribeRequest(mac=the_mac))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((RAW_BIND, PORT))
    sock.settimeout(2.0)
    subscribed_at = -1e9

    def until(command: bytes, state: int | None = None) -> None:
        while True:
            data = sock.recv(2048)
            if data[4:6] == command and (state is None or data[22] == state):
                return

    _reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "toggle":
            error = None
            try:
                if time.monotonic() - subscribed_at > 60.0:  # the socket forgets a peer after ~4 min
                    sock.sendto(subscribe, (host, PORT))
                    until(b"cl")
                    time.sleep(0.02)  # commands just after the subscribe ack are ignored (§3.3)
                    subscribed_at = time.monotonic()
                t0 = time.perf_counter()
                sock.sendto(power[request["state"]], (host, PORT))
                until(b"dc")
                # Only after the ack: a stale repeat of an older push cannot end the wait before
                # the ack, which leaves the socket together with the true sf.
                until(b"sf", int(request["state"]))
                elapsed = time.perf_counter() - t0
            except TimeoutError:
                error, elapsed = "no answer within 2 s", 0.0
            _reply({"ok": error is None, "elapsed": elapsed, "error": error})
        elif op == "cpu":
            _reply({"cpu": time.process_time()})
        else:
            return


async def _our_worker(host: str, mac: str) -> None:
    from custom_components.orvibo_s20.client import (  # noqa: PLC0415
        ClientTiming,
        EndpointConfig,
        S20Client,
        S20Endpoint,
    )
    from custom_components.orvibo_s20.protocol import Mac, S20Error  # noqa: PLC0415

    endpoint = S20Endpoint(
        EndpointConfig(
            bind_host=OUR_BIND, port=PORT, broadcast_addresses=("127.255.255.255",),
            broadcast_listen_host="127.255.255.255", reuse_address=True,
        )
    )
    await endpoint.open()
    client = S20Client(endpoint, Mac.parse(mac), host, timing=ClientTiming(deadline_s=10.0))
    await client.subscribe()
    client.start()  # keep-alive, as the integration runs it
    changed_at: list[float | None] = [None]
    last: list[bool | None] = [client.state]

    def on_change() -> None:
        if client.state != last[0]:
            last[0] = client.state
            changed_at[0] = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes

    client.add_listener(on_change)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _reply({"ready": True})
    try:
        while line := await reader.readline():
            request = json.loads(line)
            op = request["op"]
            if op == "toggle":
                t0 = time.perf_counter()
                try:
                    await client.set_power(request["state"])
                    error = None
                except S20Error as err:
                    error = str(err)
                _reply({"ok": error is None, "elapsed": time.perf_counter() - t0, "error": error})
            elif op == "cpu":
                _reply({"cpu": time.process_time()})
            elif op == "peek":
                _reply({"state": client.state, "changed_at": changed_at[0]})
            else:
                break
    finally:
        await client.stop()
        endpoint.close()


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Worker:
    """One library's worker process, spoken to in JSON lines."""

    def __init__(self, name: str, python: Path | str, kind: str, host: str, mac: str) -> None:
        self.name, self.host, self.mac = name, host, mac
        self._args = [str(python), str(Path(__file__).resolve()), "--worker", kind, host, mac]
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            *self._args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        ready = await self._read(30.0)
        if not ready.get("ready"):
            raise RuntimeError(f"{self.name} worker did not start: {ready}")

    async def request(self, message: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write((json.dumps(message) + "\n").encode())
        await self._proc.stdin.drain()
        return await self._read(timeout)

    async def _read(self, timeout: float) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = await asyncio.wait_for(self._proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"{self.name} worker exited (code {await self._proc.wait()})")
        result: dict[str, Any] = json.loads(line)
        return result

    async def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.returncode is None:
            try:
                await self.request({"op": "quit"}, timeout=0.1)
            except (TimeoutError, RuntimeError, ConnectionError):
                pass
            try:
                await asyncio.wait_for(self._proc.wait(), 5.0)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()


# --- the benchmark ------------------------------------------------------------------------------


async def _toggles(worker: Worker, sim: Any, toggles: int, loss: float, latency: float) -> dict[str, Any]:
    from bench import _percentile  # noqa: PLC0415

    await sim.faults(loss, latency)
    wanted = not await sim.state(worker.mac)
    latencies: list[float] = []
    reported = correct = wrong = failed_but_switched = 0
    cpu0 = (await worker.request({"op": "cpu"}))["cpu"]
    wall0 = time.perf_counter()
    for _ in range(toggles):
        result = await worker.request({"op": "toggle", "state": wanted})
        # Checked after the call returned, outside its timed window.
        true_state = await sim.state(worker.mac)
        if result["ok"]:
            reported += 1
            latencies.append(result["elapsed"])
            if true_state == wanted:
                correct += 1
            else:
                wrong += 1
        elif true_state == wanted:
            failed_but_switched += 1
        wanted = not true_state  # always a real change next, whatever happened
    cpu = (await worker.request({"op": "cpu"}))["cpu"] - cpu0
    return {
        "library": worker.name,
        "loss": loss,
        "latency_s": latency,
        "floor_ms": 2 * latency * 1000,
        "toggles": toggles,
        "reported_success": reported,
        "correct": correct,
        "success_rate": correct / toggles,
        "wrong_success": wrong,
        "failed_but_switched": failed_but_switched,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p95_ms": _percentile(latencies, 95) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "cpu_ms_per_toggle": cpu / toggles * 1000,
        "wall_s": time.perf_counter() - wall0,
    }


async def _presses(worker: Worker, sim: Any, presses: int, latency: float) -> dict[str, Any]:
    from bench import _percentile  # noqa: PLC0415

    await sim.faults(0.0, latency)
    delays: list[float] = []
    unseen = 0
    for _ in range(presses):
        t_press = time.monotonic()
        new_state = await sim.control.press(worker.mac)
        seen = None
        while time.monotonic() - t_press < 1.0:
            peek = await worker.request({"op": "peek"})
            if peek["state"] == new_state and peek["changed_at"] is not None and peek["changed_at"] >= t_press:
                seen = peek["changed_at"] - t_press
                break
            await asyncio.sleep(0.005)
        if seen is None:
            unseen += 1
        else:
            delays.append(seen)
        await asyncio.sleep(0.2)  # let the pushes' repeats end
    row: dict[str, Any] = {"library": worker.name, "presses": presses, "latency_s": latency, "seen": len(delays),
                           "not_seen_within_1s": unseen}
    if delays:
        row |= {"p50_ms": _percentile(delays, 50) * 1000, "p99_ms": _percentile(delays, 99) * 1000}
    else:
        row["visible"] = _NEVER if worker.name == INCUMBENT else "never"
    return row


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench import SimulatorProcess  # noqa: PLC0415

    from simulator import Simulator  # noqa: PLC0415

    if not BENCH_PYTHON.exists():
        raise SystemExit(f"{BENCH_PYTHON} is missing: run `bash scripts/bench --compare` (it installs orvibo there)")
    losses = [float(x) for x in args.losses.split(",")]
    latencies = [float(x) for x in args.latencies.split(",")]
    report: dict[str, Any] = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "setup": "one simulator process (--bind-each, port 10000, no reply delay); each library in its own process;"
        " orvibo 1.1.2 from .venv-bench with SO_REUSEADDR set on its socket before its bind, nothing else changed",
        "toggles": [],
        "presses": [],
    }
    control = Simulator.free_port()
    async with SimulatorProcess(port=PORT, sockets=3, control_port=control,
                                extra=["--bind-each", "--seed", "1"]) as sim:
        infos = await sim.sockets()
        incumbent = Worker(INCUMBENT, BENCH_PYTHON, "orvibo", str(infos[0]["ip"]), str(infos[0]["mac"]))
        ours = Worker(OURS, sys.executable, "ours", str(infos[1]["ip"]), str(infos[1]["mac"]))
        raw = Worker(RAW, sys.executable, "raw", str(infos[2]["ip"]), str(infos[2]["mac"]))
        try:
            await incumbent.start()
            await ours.start()
            await raw.start()
            for latency in latencies:
                for loss in losses:
                    # One at a time: the incumbent busy-waits on a core. The raw client never
                    # resends: it measures the floor, without loss only.
                    for worker in (ours, incumbent, raw) if loss == 0 else (ours, incumbent):
                        row = await _toggles(worker, sim, args.toggles, loss, latency)
                        report["toggles"].append(row)
                        _print_row(row)
            _add_floor_ratios(report["toggles"])
            for worker in (ours, incumbent):
                report["presses"].append(await _presses(worker, sim, args.presses, latencies[0]))
        finally:
            await raw.stop()
            await ours.stop()
            await incumbent.stop()
    return report


def _add_floor_ratios(rows: list[dict[str, Any]]) -> None:
    """p50 over the two floors of each latency: the link's (2 × one-way) and the raw client's p50."""
    measured = {row["latency_s"]: row["p50_ms"] for row in rows if row["library"] == RAW}
    for row in rows:
        if row["loss"] == 0 and row["library"] != RAW:
            if row["floor_ms"] > 0:
                row["p50_over_floor"] = row["p50_ms"] / row["floor_ms"]
            if (raw_p50 := measured.get(row["latency_s"])) is not None:
                row["measured_floor_ms"] = raw_p50
                row["p50_over_measured_floor"] = row["p50_ms"] / raw_p50


def _floor_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for row in report["toggles"]:
        if "p50_over_measured_floor" not in row:
            continue
        nominal = (f"{row['p50_over_floor']:.2f}x the link's {row['floor_ms']:.1f} ms (2 × one-way), "
                   if "p50_over_floor" in row else "")
        lines.append(
            f"{row['library']} at {row['latency_s'] * 1000:.0f} ms one-way: p50 {row['p50_ms']:.2f} ms = {nominal}"
            f"{row['p50_over_measured_floor']:.2f}x the raw UDP client's {row['measured_floor_ms']:.2f} ms"
        )
    return lines


def _print_row(row: dict[str, Any]) -> None:
    print(
        f"{row['library']:<13} {row['loss']:>5.0%} {row['latency_s'] * 1000:>6.0f} {row['toggles']:>5} "
        f"{row['success_rate'] * 100:>6.1f}% {row['wrong_success']:>6} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} "
        f"{row['p99_ms']:>8.2f} {row['cpu_ms_per_toggle']:>9.3f}",
        flush=True,
    )


_HEADER = (
    f"{'library':<13} {'loss':>5} {'lat ms':>6} {'n':>5} {'ok %':>7} {'wrong':>6} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'CPU ms/t':>9}"
)


def _print_table(report: dict[str, Any]) -> None:
    print(f"\nToggle → true state (each library in its own process, same simulator; {INCUMBENT} vs {OURS})")
    print("ok % = simulator's state equals the request after a call that reported success; wrong = success"
          " reported while the socket was in the other state")
    print(_HEADER)
    for row in report["toggles"]:
        _print_row(row)
    print("\nThe floor at 0 % loss: the link's round trip, and the raw UDP client's measured one")
    for line in _floor_lines(report):
        print(line)
    print("\nButton press on the socket → visible in the library's state without any call")
    for row in report["presses"]:
        if "p50_ms" in row:
            print(f"{row['library']:<13} p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms "
                  f"({row['seen']}/{row['presses']} seen within 1 s)")
        else:
            print(f"{row['library']:<13} {row['visible']} (0/{row['presses']} seen within 1 s)")


def _print_markdown(report: dict[str, Any]) -> None:
    print("\n| library | loss | one-way latency | confirmed and true | success for the wrong state "
          "| p50 | p95 | p99 | CPU per toggle |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in report["toggles"]:
        print(f"| {row['library']} | {row['loss']:.0%} | {row['latency_s'] * 1000:.0f} ms "
              f"| {row['success_rate'] * 100:.1f} % | {row['wrong_success']} of {row['toggles']} "
              f"| {row['p50_ms']:.1f} ms | {row['p95_ms']:.1f} ms | {row['p99_ms']:.1f} ms "
              f"| {row['cpu_ms_per_toggle']:.2f} ms |")
    print()
    for line in _floor_lines(report):
        print(line)
    print()
    for row in report["presses"]:
        seen = "never, until a poll (HA core: every 30 s)"
        if "p50_ms" in row:
            seen = f"p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms"
        print(f"Button press visible without polling, {row['library']}: {seen}")


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench --compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--toggles", type=int, default=300, help="per library and loss level (default 300)")
    parser.add_argument("--losses", default="0,0.1,0.3")
    parser.add_argument("--latencies", default="0", help="one-way simulated latencies, seconds, e.g. 0,0.005")
    parser.add_argument("--latency", type=float, help="same as --latencies with one value")
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    parser.add_argument("--json", type=Path, help="also write the JSON report here")
    args = parser.parse_args(argv)
    if args.latency is not None:
        args.latencies = str(args.latency)
    if args.quick:
        args.toggles, args.presses = 30, 5
    print(_HEADER, flush=True)
    report = await run(args)
    _print_table(report)
    _print_markdown(report)
    text = json.dumps(report, indent=2)
    print("\n" + text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        _kind, _host, _mac = sys.argv[2:]
        if _kind == "orvibo":
            _incumbent_worker(_host, _mac)
        elif _kind == "raw":
            _raw_worker(_host, _mac)
        else:
            asyncio.run(_our_worker(_host, _mac))
    else:
        asyncio.run(main(sys.argv[1:]))
