"""Run simulated S20 sockets (and AllOnes) on the loopback LAN until SIGINT/SIGTERM.

    python -m simulator --port 10000 --sockets 3 --allones 1 --first-ip 127.0.0.2 --control 127.0.0.1:8765

Prints one line per socket: `<ip> <mac> <name>`, then one per AllOne, on the next IPs, named
`AllOne <n>`. The control port speaks the JSON-lines
protocol of `simulator/control.py`. `--wifi ap|smartlink` adds a socket waiting to be paired
(`simulator/wifi.py`): it prints `wifi <mode> <address>:<port> <mac>`, and `joined <ip> <mac>`
once paired.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from ipaddress import IPv4Address
import logging
import signal
import sys

from custom_components.orvibo_s20.protocol import AT_PORT, PORT, SMARTLINK_PORT, clock_from_datetime

from .control import ControlServer
from .faults import Faults
from .lan import DEFAULT_BROADCAST, FIRST_IP, Simulator
from .timing import Timing
from .wifi import WifiMode, WifiModule


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host, int(port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=PORT, help="UDP port of the sockets (default %(default)s)")
    parser.add_argument("--bind", default="0.0.0.0", help="UDP bind address (default %(default)s)")
    parser.add_argument("--bind-each", action="store_true",
                        help="one UDP socket per virtual IP (and the broadcast address) instead of one on --bind,"
                        " so a controller bound to 0.0.0.0:<port> with SO_REUSEADDR can share the port")
    parser.add_argument("--reply-port", type=int, help="port replies go to (default: --port)")
    parser.add_argument("--broadcast", default=DEFAULT_BROADCAST, help="announcement address (default %(default)s)")
    parser.add_argument("--sockets", type=int, default=1, help="how many sockets (default %(default)s)")
    parser.add_argument("--allones", type=int, default=0,
                        help="how many AllOne IR/RF blasters after the sockets (default %(default)s)")
    parser.add_argument("--first-ip", default=FIRST_IP, help="IP of the first socket; the next ones follow")
    parser.add_argument("--firmware", choices=("new", "old", "mixed"), default="new",
                        help="table-4 layout: fw 26 (190 bytes), old fw 10 (138 bytes), or alternating")
    parser.add_argument("--name-prefix", default="Socket", help="names are '<prefix> <n>' (default %(default)r)")
    parser.add_argument("--unnamed", action="store_true", help="leave names unset, as on a fresh socket")
    parser.add_argument("--synced-clock", action="store_true",
                        help="start the clocks at the current UTC time instead of 2000-01-01 (just booted)")
    parser.add_argument("--control", type=_host_port, help="HOST:PORT of the JSON control port (loopback)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fault generator")
    parser.add_argument("--loss", type=float, default=0.0, help="loss probability, both directions")
    parser.add_argument("--latency", type=float, default=0.0, help="one-way latency in seconds, both directions")
    parser.add_argument("--jitter", type=float, default=0.0, help="extra random delay up to this many seconds")
    parser.add_argument("--duplicate", type=float, default=0.0, help="probability of a duplicated datagram")
    parser.add_argument("--reorder", type=float, default=0.0, help="probability of a datagram held back 50 ms")
    parser.add_argument("--subscription-timeout", type=float, help="idle seconds before a subscriber is forgotten")
    parser.add_argument("--reply-delay", type=float, help="seconds before each reply (default 0.01; 0 for benchmarks)")
    parser.add_argument("--reply-jitter", type=float, help="extra random reply delay up to this many seconds")
    parser.add_argument("--announce", action="store_true", help="broadcast qa announcements after boot (§3.1)")
    parser.add_argument("--wifi", choices=("ap", "smartlink"),
                        help="also run an unpaired socket's Wi-Fi module in AP or SmartLink mode")
    parser.add_argument("--at-port", type=int, default=AT_PORT, help="its AT port (default %(default)s)")
    parser.add_argument("--smartlink-port", type=int, default=SMARTLINK_PORT,
                        help="its SmartLink port (default %(default)s)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging to stderr")
    return parser


async def _run(args: argparse.Namespace) -> None:
    timing = Timing()
    if args.subscription_timeout is not None:
        timing = replace(timing, subscription_timeout_s=args.subscription_timeout)
    if args.reply_delay is not None:
        # --reply-delay 0 (benchmarks) also makes the sf push immediate.
        timing = replace(timing, reply_delay_s=args.reply_delay, push_delay_s=min(timing.push_delay_s, args.reply_delay))
    if args.reply_jitter is not None:
        timing = replace(timing, reply_jitter_s=args.reply_jitter)
    if not args.announce:
        timing = replace(timing, announce_count=0)
    faults = Faults(
        loss_to_device=args.loss, loss_from_device=args.loss, latency_to_device_s=args.latency,
        latency_from_device_s=args.latency, jitter_s=args.jitter, duplicate=args.duplicate, reorder=args.reorder,
    )
    sim = Simulator(
        port=args.port, bind=args.bind, reply_port=args.reply_port, broadcast=args.broadcast,
        seed=args.seed, faults=faults, timing=timing, bind_each=args.bind_each,
    )
    clock = clock_from_datetime(datetime.now(UTC)) if args.synced_clock else None
    first = IPv4Address(args.first_ip)
    for n in range(args.sockets):
        firmware = args.firmware if args.firmware != "mixed" else ("new", "old")[n % 2]
        name = None if args.unnamed else f"{args.name_prefix} {n + 1}"
        sim.add_socket(ip=str(first + n), firmware=firmware, name=name, clock=clock)
    for n in range(args.allones):
        sim.add_allone(ip=str(first + args.sockets + n), name=None if args.unnamed else f"AllOne {n + 1}", clock=clock)
    await sim.start()
    control = None
    if args.control:
        control = ControlServer(sim, *args.control)
        await control.start()
    for device in sim:
        print(device.ip, device.mac, device.name or "", flush=True)
    module, joined = await _start_wifi(sim, args) if args.wifi else (None, None)
    logging.getLogger(__name__).info(
        "%d devices on UDP %d%s", len(sim), sim.port, f", control on {args.control[0]}:{control.port}" if control else ""
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if joined is not None:
            joined.cancel()
        if module is not None:
            await module.stop()
        if control is not None:
            await control.stop()
        await sim.stop()


async def _start_wifi(sim: Simulator, args: argparse.Namespace) -> tuple[WifiModule, asyncio.Task[None]]:
    module = WifiModule(sim, mode=WifiMode(args.wifi), at_port=args.at_port, smartlink_port=args.smartlink_port,
                        broadcast=args.broadcast)
    await module.start()
    if module.mode is WifiMode.AP:
        print("wifi ap", f"{module.ap_host}:{module.at_port}", module.mac, flush=True)
    else:
        print("wifi smartlink", f"{module.broadcast}:{module.smartlink_port}", module.mac, flush=True)

    async def report() -> None:
        device = await module.wait_joined(None)
        print("joined", device.ip, device.mac, flush=True)  # never the key

    return module, asyncio.create_task(report())


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m simulator`."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_run(args))
    except ValueError as err:  # a non-loopback address, a bad name: say so, no traceback
        print(f"simulator: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"simulator: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
