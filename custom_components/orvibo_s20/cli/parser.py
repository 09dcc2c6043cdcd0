"""The argument parser: global network options, then one sub-command."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..client.allone import LEARN_TIMEOUT_S, MAX_REPEATS
from ..client.discovery import SCAN_WINDOW_S
from ..client.endpoint import DEFAULT_BIND_HOST, DEFAULT_BROADCAST
from ..pairing import AP_MODULE_HOST
from ..pairing.provision import JOIN_TIMEOUT_S, SMARTLINK_TIMEOUT_S
from ..protocol import DEFAULT_RF_KEY, PORT, SMARTLINK_PORT
from ..protocol.relay import RELAY_PORT
from . import values

PROG = "python -m custom_components.orvibo_s20"
_EPILOG = """\
TARGET is a socket's or an AllOne's IP (asked directly) or its MAC (asked by broadcast; works
for a locked socket). Exit status: 0 success, 1 the socket or Wi-Fi module failed or did not answer,
2 bad usage or a value the socket cannot store."""


def _on_off(parser: argparse.ArgumentParser, *, required: bool, help_text: str) -> None:
    parser.add_argument("--action", choices=("on", "off"), required=required, help=help_text)


def _check_countdown(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    """Reject the combinations argparse cannot express: SECONDS with --action, or --cancel alone."""

    def check(args: argparse.Namespace) -> None:
        if args.cancel and (args.seconds is not None or args.action is not None):
            parser.error("--cancel takes no SECONDS or --action")
        if args.seconds is not None and args.action is None:
            parser.error("starting a countdown needs --action on|off")
        if args.seconds is None and args.action is not None:
            parser.error("--action needs SECONDS")

    return check


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the whole command line."""
    parser = argparse.ArgumentParser(prog=PROG, description="Control Orvibo S20 sockets and AllOne IR/RF blasters on the LAN.", epilog=_EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    net = parser.add_argument_group("network (defaults are the real LAN's)")
    net.add_argument("--bind", type=values.host, default=DEFAULT_BIND_HOST, metavar="ADDR",
                     help=f"address to listen on (default {DEFAULT_BIND_HOST}; any other shares the port)")
    net.add_argument("--port", type=values.port, default=PORT, metavar="N",
                     help=f"UDP port to listen on; the socket always answers to {PORT} (default {PORT})")
    net.add_argument("--remote-port", type=values.port, metavar="N",
                     help="port the sockets listen on (default: --port)")
    net.add_argument("--broadcast", type=values.host, action="append", metavar="ADDR",
                     help=f"where scans go, repeatable (default {DEFAULT_BROADCAST})")
    net.add_argument("--broadcast-listen", type=values.host, metavar="ADDR",
                     help="also listen on this broadcast address (needed when --bind is a unicast address)")
    net.add_argument("--relay-port", type=values.port, default=RELAY_PORT, metavar="N",
                     help="when --port is taken (Home Assistant runs the integration), go through its relay "
                     f"on 127.0.0.1:N (default {RELAY_PORT})")
    net.add_argument("--timeout", type=values.positive_float, default=5.0, metavar="S",
                     help="seconds to wait for each answer, resends included (default 5)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr (no secrets)")

    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("discover", help="list the sockets and AllOnes that answer a broadcast")
    p.add_argument("--window", type=values.positive_float, default=SCAN_WINDOW_S, metavar="S",
                   help=f"how long to listen (default {SCAN_WINDOW_S:g})")
    p.add_argument("--expect", type=values.positive_int, metavar="N", help="stop as soon as N sockets answered")
    p.add_argument("--names", action="store_true", help="also read each socket's name")

    def with_target(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("target", type=values.target, metavar="TARGET", help="IP or MAC of the socket")
        return sub

    with_target("info", "show what the socket reports about itself")
    with_target("on", "switch on (waits until the socket confirms)")
    with_target("off", "switch off (waits until the socket confirms)")
    with_target("toggle", "switch to the other state")
    p = with_target("rename", "store a new name in the socket")
    p.add_argument("name", type=values.socket_name, metavar="NAME", help="≤ 16 ASCII characters; '' clears it")

    p = with_target("countdown", "read (no arguments), start or cancel the countdown")
    p.add_argument("seconds", type=values.duration, nargs="?", metavar="SECONDS",
                   help="start one: 90, 15m, 1h30m (at most 65535 s); needs --action")
    _on_off(p, required=False, help_text="what the countdown does when it ends")
    p.add_argument("--cancel", action="store_true", help="cancel the running countdown")
    p.set_defaults(check=_check_countdown(p))

    p = with_target("auto-off", "read, set or disable switching off automatically after each switch-on")
    group = p.add_mutually_exclusive_group()
    group.add_argument("seconds", type=values.duration, nargs="?", metavar="SECONDS", help="e.g. 3600 or 1h")
    group.add_argument("--disable", action="store_true", help="turn auto-off off")

    p = with_target("timers", "list, add or remove timers (times are the socket's local time)")
    timers = p.add_subparsers(dest="timers_command", metavar="{list,add,remove}")
    timers.add_parser("list", help="list the timers (the default)")
    add = timers.add_parser("add", help="add a weekly or one-shot timer")
    add.add_argument("--at", type=values.time_of_day, required=True, metavar="HH:MM[:SS]")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--days", type=values.weekdays, metavar="mon,...",
                      help="weekly: mon,…,sun, daily, weekdays, weekend")
    when.add_argument("--date", type=values.day, metavar="YYYY-MM-DD", help="once, on this date")
    _on_off(add, required=True, help_text="switch on or off")
    remove = timers.add_parser("remove", help="remove a timer by its id")
    remove.add_argument("id", type=values.positive_int, metavar="ID")

    p = with_target("clock", "show the socket's clock and time zone")
    p.add_argument("--sync", action="store_true",
                   help="set the clock to now and the time zone to this computer's current UTC offset")

    p = with_target("watch", "print state changes until Ctrl-C")
    p.add_argument("--count", type=values.positive_int, metavar="N", help="stop after N changes")
    p.add_argument("--duration", type=values.positive_float, metavar="S", help="stop after S seconds")

    p = commands.add_parser("decode", help="decode one frame, e.g. pasted from Wireshark")
    p.add_argument("frame", type=values.frame_bytes, metavar="HEX", help="hex bytes; spaces and colons allowed")
    p.add_argument("--direction", choices=("auto", "device", "client"), default="auto",
                   help="who sent it: device (socket → controller), client (controller → socket), auto: try both")

    _add_pair(commands)
    _add_allone(commands)
    return parser


def _add_allone(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ir = commands.add_parser("ir", help="learn and send infrared codes with an AllOne")
    ir_commands = ir.add_subparsers(dest="ir_command", metavar="{learn,send}", required=True)
    learn = ir_commands.add_parser(
        "learn", help="put the AllOne in learning mode and print the next code it sees (base64)",
        description="Point the remote at the AllOne's ring (it glows red) and press the button to learn.",
    )
    learn.add_argument("target", type=values.target, metavar="TARGET", help="IP or MAC of the AllOne")
    learn.add_argument("--timeout", dest="learn_timeout", type=values.positive_float, default=LEARN_TIMEOUT_S,
                       metavar="S", help=f"how long to wait for the remote (default {LEARN_TIMEOUT_S:g})")
    send = ir_commands.add_parser("send", help="send a learned code (waits until the AllOne confirms)")
    send.add_argument("target", type=values.target, metavar="TARGET", help="IP or MAC of the AllOne")
    send.add_argument("code", type=values.ir_code, metavar="CODE", help="the code in base64, as `ir learn` printed "
                      "it ('b64:…' also accepted)")
    send.add_argument("--repeat", type=values.positive_int, default=1, metavar="N",
                      help=f"send it N times (at most {MAX_REPEATS})")
    send.add_argument("--delay", type=values.positive_float, metavar="S", help="seconds between repeats (default 0)")

    rf = commands.add_parser("rf", help="switch Orvibo T030 433 MHz switches with an AllOne")
    rf_commands = rf.add_subparsers(dest="rf_command", metavar="{send}", required=True)
    send = rf_commands.add_parser(
        "send", help="switch a T030 on or off (waits until the AllOne confirms)",
        description="RF_ID and --key are what the switch learned when it was paired in learning mode "
        "(node-orvibo's defaults: any id, key 42).",
    )
    send.add_argument("target", type=values.target, metavar="TARGET", help="IP or MAC of the AllOne")
    send.add_argument("rf_id", type=values.rf_id, metavar="RF_ID", help="the switch's RF id in hex, e.g. abcdef")
    send.add_argument("state", choices=("on", "off"), help="switch on or off")
    send.add_argument("--key", type=values.rf_key, default=DEFAULT_RF_KEY, metavar="N",
                      help=f"the RF key, 0–65535 (default {DEFAULT_RF_KEY})")


def _add_pair(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pair = commands.add_parser("pair", help="put a new socket on Wi-Fi (AP mode or SmartLink)")
    methods = pair.add_subparsers(dest="method", metavar="{ap,smartlink}", required=True)

    ap = methods.add_parser(
        "ap", help="AP mode: socket blinking blue fast, this computer joined its WiWo-S20 network",
        description="The key travels in clear over the socket's open WiWo-S20 network: use a temporary one if "
        "you can. WPA-Enterprise is not supported.",
    )
    ap.add_argument("--ssid", required=True, help="the Wi-Fi network the socket should join")
    ap.add_argument("--password", metavar="P", help="its key ('-' reads it from stdin); none for OPEN")
    ap.add_argument("--security", type=values.security, default="WPA2PSK,AES", metavar="AUTH,ENC",
                    help="WPA2PSK,AES (default), WPA2PSK,TKIP, WPAPSK,AES, WPAPSK,TKIP, OPEN, OPEN,WEP-H, …")
    ap.add_argument("--target", type=values.module_address, default=AP_MODULE_HOST, metavar="HOST[:PORT]",
                    help=f"the module's address (default {AP_MODULE_HOST}:48899)")

    sl = methods.add_parser(
        "smartlink", help="SmartLink: socket blinking red fast, this computer on the network it should join"
    )
    sl.add_argument("--password", required=True, metavar="P", help="the Wi-Fi key ('-' reads it from stdin)")
    sl.add_argument("--ssid", help="the network's name (only checked: SmartLink sends just the password)")
    sl.add_argument("--broadcast", dest="smartlink_broadcast", type=values.host, metavar="ADDR",
                    help="the LAN's broadcast address (default: the first --broadcast, else 255.255.255.255)")
    sl.add_argument("--timeout", dest="smartlink_timeout", type=values.positive_float, default=SMARTLINK_TIMEOUT_S,
                    metavar="S", help=f"give up after S seconds without confirmation (default {SMARTLINK_TIMEOUT_S:g})")
    sl.add_argument("--smartlink-port", type=values.port, default=SMARTLINK_PORT, help=argparse.SUPPRESS)
    # The SmartLink schedule divided by this: for tests against the simulated module only.
    sl.add_argument("--speed", type=values.positive_float, default=1.0, help=argparse.SUPPRESS)

    for method in (ap, sl):
        method.add_argument("--name", type=values.socket_name, help="name to store in the socket once it is found")
        method.add_argument("--join-timeout", type=values.positive_float, default=JOIN_TIMEOUT_S, metavar="S",
                            help=f"how long to wait for the socket on the network (default {JOIN_TIMEOUT_S:g})")
