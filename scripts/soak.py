"""Fault and load campaign of the S20 client against the simulator; prints a table and JSON.

Run through `scripts/soak` (venv + an isolated network namespace; loopback LAN only).

N simulated sockets (one in-process simulator, so their true state can be read directly) get M
mixed commands through the shipped client with its default timing: power, rename, countdown,
auto-off, timer add and timer remove, at the given loss in both directions. Meanwhile a seeded
chaos task reboots sockets, takes them off Wi-Fi for a while and presses their buttons.

What is checked:
* every command ends confirmed or failed with a reason (issued = confirmed + failed, no crash);
* a confirmed command is true in the simulator at the moment it returns ("false confirmations",
  skipped when a press or reboot of that socket happened during the command);
* at the end (chaos stopped, network healed, reboots over) the client's belief equals the
  simulator's truth: the relay from pushes alone after a 1 s grace (informational: a press
  whose two `sf` pushes were both lost is invisible without a poll), then after one backstop
  poll per socket (what the integration does every poll interval), which must finish within
  1 s and match on relay, name, auto-off, timers and countdown. Names, auto-off and timers are
  also checked against the commands' outcomes: the last confirmed value, or the value of a
  failed attempt after it (a timed-out write may have landed).

Exit status 0 only when nothing was lost, nothing falsely confirmed and nothing mismatched.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, time as dtime
import json
from pathlib import Path
import random
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.orvibo_s20.client import (  # noqa: E402
    ClientTiming,
    EndpointConfig,
    S20Client,
    S20Endpoint,
)
from custom_components.orvibo_s20.protocol import (  # noqa: E402
    PowerState,
    S20Error,
    S20TimeoutError,
    Timer,
    Weekday,
)
from simulator import Faults, Simulator, Timing  # noqa: E402
from simulator.device import VirtualSocket  # noqa: E402

KINDS = ("power", "rename", "countdown", "auto_off", "timer_add", "timer_remove")
_WEIGHTS = (40, 12, 12, 12, 12, 12)
# Long enough never to fire during a run: the end check compares them, it does not model them.
_LONG_S = (3600, 7200)
# Real firmware timing except: a 2 s power cycle (8 s real) and 3 announcements 0.5 s apart
# after boot / Wi-Fi rejoin (21 × 3.17 s real), so that a run stays short.
SIM_TIMING = Timing(reboot_s=2.0, announce_count=3, announce_interval_s=0.5, announce_every_s=None)


def _percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


@dataclass(slots=True)
class Outcome:
    """What became of one command."""

    kind: str
    confirmed: bool
    reason: str | None
    latency_s: float


@dataclass(slots=True)
class Plug:
    """One simulated socket, its client, and what the commands' outcomes allow its tables to be."""

    vs: VirtualSocket
    client: S20Client
    rng: random.Random
    names: set[str | None] = field(default_factory=set)  # acceptable names
    auto_off: set[tuple[bool, int]] = field(default_factory=set)  # acceptable (enabled, seconds)
    timers_sure: set[int] = field(default_factory=set)  # confirmed added, not since removed
    timers_maybe: set[int] = field(default_factory=set)  # a failed add / remove left it unknown


class Campaign:
    """The run: sockets, clients, chaos and the ledger of outcomes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.sim = Simulator(port=args.port or Simulator.free_port(), seed=args.seed, timing=SIM_TIMING)
        self.endpoint = S20Endpoint(
            EndpointConfig(
                bind_host="127.0.0.1", port=self.sim.port, broadcast_addresses=("127.255.255.255",),
                broadcast_listen_host="127.255.255.255", reuse_address=True,
            )
        )
        self.plugs: list[Plug] = []
        self.outcomes: list[Outcome] = []
        self.false_confirmations: list[str] = []
        self.crashes: list[str] = []
        self.chaos_counts: Counter[str] = Counter()
        self.reboots: list[asyncio.Future[None]] = []
        self.offline_tasks: set[asyncio.Task[None]] = set()
        self.not_run = 0

    # --- setup ---------------------------------------------------------------------------------

    async def setup(self) -> None:
        await self.sim.start()
        await self.endpoint.open()
        for i in range(self.args.sockets):
            vs = self.sim.add_socket(name=f"soak {i}", state=self.rng.random() < 0.5)
            client = S20Client(self.endpoint, vs.mac, vs.ip, timing=ClientTiming())
            plug = Plug(vs, client, random.Random(f"{self.args.seed}/{i}"))
            plug.names.add(vs.name)
            plug.auto_off.add((vs.socket_data.auto_off_enabled, vs.socket_data.auto_off_seconds))
            self.plugs.append(plug)
        # Subscribe on a clean network, as the integration's setup would, then turn the faults on.
        await asyncio.gather(*(p.client.subscribe() for p in self.plugs))
        for plug in self.plugs:
            plug.client.start()
        self.sim.faults = Faults(loss_to_device=self.args.loss, loss_from_device=self.args.loss)

    async def teardown(self) -> None:
        for task in self.offline_tasks:
            task.cancel()
        await asyncio.gather(*(p.client.stop() for p in self.plugs), return_exceptions=True)
        self.endpoint.close()
        await self.sim.stop()

    # --- commands ------------------------------------------------------------------------------

    async def worker(self, plug: Plug, count: int, deadline: float) -> None:
        for n in range(count):
            if time.monotonic() >= deadline:
                self.not_run += count - n
                return
            kind = plug.rng.choices(KINDS, _WEIGHTS)[0]
            try:
                await self.command(plug, kind)
            except Exception as err:  # noqa: BLE001  # a bug, not an outcome: reported, the run goes on
                self.crashes.append(f"{plug.vs.mac} {kind}: {type(err).__name__}: {err}")

    async def command(self, plug: Plug, kind: str) -> None:
        vs, client, rng = plug.vs, plug.client, plug.rng
        presses, reboots = vs.counters.button_presses, vs.counters.reboots
        check: str | None = None  # what must be true in the simulator if confirmed
        started = time.monotonic()
        try:
            match kind:
                case "power":
                    wanted = rng.random() < 0.5
                    await client.set_power(wanted)
                    if vs.state is not wanted:
                        check = f"relay {vs.state} after a confirmed power {wanted}"
                case "rename":
                    name = f"s{rng.randrange(10**6)}"
                    plug.names.add(name)  # acceptable from now on, whatever the outcome
                    await client.rename(name)
                    plug.names = {name}
                    if vs.name != name:
                        check = f"name {vs.name!r} after a confirmed rename to {name!r}"
                case "auto_off":
                    value = (rng.random() < 0.5, rng.randrange(*_LONG_S))
                    plug.auto_off.add(value)
                    await client.set_auto_off(*value)
                    plug.auto_off = {value}
                    data = vs.socket_data
                    if (data.auto_off_enabled, data.auto_off_seconds) != value:
                        check = f"auto-off {data.auto_off_enabled, data.auto_off_seconds} after {value}"
                case "countdown":
                    if rng.random() < 0.3:
                        await client.cancel_countdown()
                        if vs.countdown is not None:
                            check = f"countdown {vs.countdown} after a confirmed cancel"
                    else:
                        action = rng.random() < 0.5
                        await client.start_countdown(rng.randrange(*_LONG_S), action)
                        if vs.countdown is None or vs.countdown.action is not action:
                            check = f"countdown {vs.countdown} after a confirmed start ({action})"
                case "timer_add":
                    timer = Timer.weekly(
                        code=0, at=dtime(rng.randrange(6, 22), rng.randrange(60)),
                        weekdays=frozenset(rng.sample(list(Weekday), rng.randrange(1, 8))),
                        action=rng.choice((PowerState.ON, PowerState.OFF)), today=date(2026, 1, 1),
                    )
                    try:
                        stored = await client.add_timer(timer)
                    except S20Error:
                        # The code is drawn inside add_timer: any code the socket has now and we
                        # did not know of may be this attempt's.
                        plug.timers_maybe |= set(vs.timers) - plug.timers_sure
                        raise
                    plug.timers_sure.add(stored.code)
                    if stored.code not in vs.timers:
                        check = f"timer {stored.code:04x} missing after a confirmed add"
                case "timer_remove":
                    known = sorted(plug.timers_sure | plug.timers_maybe)
                    code = rng.choice(known) if known else rng.randrange(1, 0x10000)
                    plug.timers_maybe.add(code)
                    plug.timers_sure.discard(code)
                    await client.delete_timer(code)
                    plug.timers_maybe.discard(code)
                    if code in vs.timers:
                        check = f"timer {code:04x} still there after a confirmed delete"
        except S20Error as err:
            reason = "timeout" if isinstance(err, S20TimeoutError) else f"{type(err).__name__}: {err}"
            self.outcomes.append(Outcome(kind, False, reason, time.monotonic() - started))
            return
        self.outcomes.append(Outcome(kind, True, None, time.monotonic() - started))
        disturbed = vs.counters.button_presses != presses or vs.counters.reboots != reboots
        if check is not None and not (disturbed and kind in ("power", "countdown")):
            self.false_confirmations.append(f"{vs.mac}: {check}")

    # --- chaos ---------------------------------------------------------------------------------

    async def chaos(self, stop: asyncio.Event) -> None:
        a = self.args
        total = a.press_rate + a.reboot_rate + a.offline_rate
        if total <= 0:
            return
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.rng.expovariate(total))
                return
            except TimeoutError:
                pass
            plug = self.rng.choice(self.plugs)
            roll = self.rng.random() * total
            if roll < a.press_rate:
                self.chaos_counts["button_presses"] += 1
                plug.vs.press_button()
            elif roll < a.press_rate + a.reboot_rate:
                self.chaos_counts["reboots"] += 1
                self.reboots.append(self.sim.reboot(plug.vs.mac))
            elif plug.vs.online:
                self.chaos_counts["offline_periods"] += 1
                self.sim.set_online(plug.vs.mac, False)
                task = asyncio.create_task(self._back_online(plug, self.rng.uniform(1.0, a.max_offline_s)))
                self.offline_tasks.add(task)
                task.add_done_callback(self.offline_tasks.discard)

    async def _back_online(self, plug: Plug, after: float) -> None:
        await asyncio.sleep(after)
        self.sim.set_online(plug.vs.mac, True)

    # --- the end -------------------------------------------------------------------------------

    async def heal(self) -> None:
        """Stop the faults: network clean, every socket online and booted."""
        self.sim.faults = Faults()
        for task in tuple(self.offline_tasks):
            task.cancel()
        for plug in self.plugs:
            self.sim.set_online(plug.vs.mac, True)
        await asyncio.gather(*self.reboots, return_exceptions=True)
        for plug in self.plugs:
            self.sim.set_online(plug.vs.mac, True)  # a socket rebooted while offline stays off

    def relay_mismatches(self) -> list[str]:
        return [
            f"{p.vs.mac}: relay {p.vs.state}, client believes {p.client.state}"
            for p in self.plugs if p.client.state is not p.vs.state
        ]

    async def reconcile(self, plug: Plug) -> list[str]:
        """One backstop poll, then compare everything the client reports with the simulator."""
        vs, client = plug.vs, plug.client
        await client.subscribe()
        data = await client.read_socket_data()
        timers = {t.code for t in await client.get_timers()}
        countdown = await client.get_countdown()
        found: list[str] = []
        if client.state is not vs.state:
            found.append(f"relay {vs.state}, client {client.state}")
        if data.name != vs.name:
            found.append(f"name {vs.name!r}, client {data.name!r}")
        auto = (vs.socket_data.auto_off_enabled, vs.socket_data.auto_off_seconds)
        if (data.auto_off_enabled, data.auto_off_seconds) != auto:
            found.append(f"auto-off {auto}, client {(data.auto_off_enabled, data.auto_off_seconds)}")
        if timers != set(vs.timers):
            found.append(f"timers {sorted(vs.timers)}, client {sorted(timers)}")
        truth = vs.countdown
        if (truth is None) != (countdown is None) or (
            truth is not None and countdown is not None
            and ((countdown.action is PowerState.ON) is not truth.action or abs(countdown.remaining_s - truth.remaining_s) > 2)
        ):
            found.append(f"countdown {truth}, client {countdown}")
        # Against the ledger: confirmed writes landed, nothing appeared from nowhere.
        if vs.name not in plug.names:
            found.append(f"name {vs.name!r} is no command's ({sorted(map(str, plug.names))})")
        if auto not in plug.auto_off:
            found.append(f"auto-off {auto} is no command's ({sorted(plug.auto_off)})")
        codes = set(vs.timers)
        if not plug.timers_sure <= codes or not codes <= plug.timers_sure | plug.timers_maybe:
            found.append(f"timers {sorted(codes)}: confirmed {sorted(plug.timers_sure)}, maybe {sorted(plug.timers_maybe)}")
        return [f"{vs.mac}: {text}" for text in found]

    # --- run -----------------------------------------------------------------------------------

    async def run(self) -> dict[str, object]:
        a = self.args
        await self.setup()
        try:
            stop = asyncio.Event()
            chaos = asyncio.create_task(self.chaos(stop))
            per_socket = [a.commands // a.sockets + (1 if i < a.commands % a.sockets else 0) for i in range(a.sockets)]
            started = time.monotonic()
            deadline = started + a.max_seconds
            await asyncio.gather(*(self.worker(p, n, deadline) for p, n in zip(self.plugs, per_socket, strict=True)))
            run_s = time.monotonic() - started
            stop.set()
            await chaos
            await self.heal()
            await asyncio.sleep(1.0)  # the grace: pushes and announcements still on their way
            push_only = self.relay_mismatches()
            t0 = time.monotonic()
            results = await asyncio.gather(*(self.reconcile(p) for p in self.plugs), return_exceptions=True)
            reconcile_s = time.monotonic() - t0
            mismatches: list[str] = []
            for plug, result in zip(self.plugs, results, strict=True):
                if isinstance(result, BaseException):
                    mismatches.append(f"{plug.vs.mac}: backstop poll failed: {type(result).__name__}: {result}")
                else:
                    mismatches.extend(result)
            return self.report(run_s, push_only, mismatches, reconcile_s)
        finally:
            await self.teardown()

    def report(self, run_s: float, push_only: list[str], mismatches: list[str], reconcile_s: float) -> dict[str, object]:
        a = self.args
        by_kind: dict[str, Counter[str]] = defaultdict(Counter)
        latencies: dict[str, list[float]] = defaultdict(list)
        reasons: Counter[str] = Counter()
        for o in self.outcomes:
            by_kind[o.kind]["confirmed" if o.confirmed else "failed"] += 1
            if o.confirmed:
                latencies[o.kind].append(o.latency_s)
                latencies["all"].append(o.latency_s)
            else:
                reasons[o.reason or "?"] += 1
        confirmed = sum(c["confirmed"] for c in by_kind.values())
        failed = sum(c["failed"] for c in by_kind.values())
        issued = a.commands - self.not_run
        lost = issued - confirmed - failed - len(self.crashes)
        ok = (
            lost == 0 and not self.crashes and not self.false_confirmations and not mismatches
            and reconcile_s <= 1.0
        )
        return {
            "ok": ok,
            "config": {
                "sockets": a.sockets, "commands": a.commands, "loss_each_way": a.loss, "seed": a.seed,
                "max_seconds": a.max_seconds, "press_rate_per_s": a.press_rate, "reboot_rate_per_s": a.reboot_rate,
                "offline_rate_per_s": a.offline_rate, "max_offline_s": a.max_offline_s,
                "client_timing": "defaults (deadline 5 s)", "sim_reboot_s": SIM_TIMING.reboot_s,
            },
            "run_s": round(run_s, 1),
            "issued": issued,
            "not_run": self.not_run,
            "confirmed": confirmed,
            "failed": failed,
            "lost": lost,
            "crashes": self.crashes,
            "by_kind": {k: {**by_kind[k], "p50_ms": _ms(_percentile(latencies[k], 50)),
                            "p99_ms": _ms(_percentile(latencies[k], 99))} for k in KINDS},
            "failure_reasons": dict(reasons),
            "latency_ms": {"p50": _ms(_percentile(latencies["all"], 50)), "p99": _ms(_percentile(latencies["all"], 99)),
                           "max": _ms(max(latencies["all"], default=None))},
            "false_confirmations": self.false_confirmations,
            "chaos": dict(self.chaos_counts),
            "end": {
                "relay_mismatches_push_only": len(push_only),
                "push_only_details": push_only,
                "backstop_poll_s": round(reconcile_s, 3),
                "mismatches_after_poll": mismatches,
            },
            "client_totals": dict(sum((Counter(p.client.stats.as_dict()) for p in self.plugs), Counter())),
            "endpoint": self.endpoint.stats.as_dict(),
            "simulator": self.sim.counters.as_dict(),
        }


def _table(report: dict[str, object]) -> str:
    by_kind = report["by_kind"]
    assert isinstance(by_kind, dict)
    lines = [f"{'command':<14}{'confirmed':>10}{'failed':>8}{'p50 ms':>9}{'p99 ms':>9}"]
    for kind, row in by_kind.items():
        lines.append(
            f"{kind:<14}{row.get('confirmed', 0):>10}{row.get('failed', 0):>8}"
            f"{row['p50_ms'] if row['p50_ms'] is not None else '-':>9}{row['p99_ms'] if row['p99_ms'] is not None else '-':>9}"
        )
    end = report["end"]
    assert isinstance(end, dict)
    lat = report["latency_ms"]
    assert isinstance(lat, dict)
    lines += [
        f"{'all':<14}{report['confirmed']:>10}{report['failed']:>8}{lat['p50']:>9}{lat['p99']:>9}",
        "",
        f"issued {report['issued']} (not run: {report['not_run']}), lost {report['lost']}, "
        f"crashes {len(report['crashes'])}, false confirmations {len(report['false_confirmations'])}",  # type: ignore[arg-type]
        f"failure reasons: {report['failure_reasons']}",
        f"chaos: {report['chaos']}; run {report['run_s']} s",
        f"end: relay mismatches from pushes alone {end['relay_mismatches_push_only']}; "
        f"after one backstop poll ({end['backstop_poll_s']} s): {len(end['mismatches_after_poll'])} mismatches",
        f"result: {'OK' if report['ok'] else 'FAILED'}",
    ]
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--loss", type=float, default=0.2, help="loss probability in each direction")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop issuing commands after this")
    parser.add_argument("--press-rate", type=float, default=5.0, help="button presses per second (all sockets)")
    parser.add_argument("--reboot-rate", type=float, default=1.0, help="reboots per second (all sockets)")
    parser.add_argument("--offline-rate", type=float, default=0.5, help="Wi-Fi drops per second (all sockets)")
    parser.add_argument("--max-offline-s", type=float, default=6.0, help="longest offline period")
    parser.add_argument("--port", type=int, default=0, help="UDP port (default: a free one)")
    parser.add_argument("--json", type=Path, help="also write the JSON report here")
    args = parser.parse_args()
    if args.sockets < 1 or args.commands < 0:
        parser.error("--sockets must be ≥ 1 and --commands ≥ 0")
    report = await Campaign(args).run()
    text = json.dumps(report, indent=2)
    print(_table(report))
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
