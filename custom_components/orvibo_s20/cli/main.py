"""Entry point: parse, run one command, map the library's errors to exit statuses.

0 success; 1 the socket or Wi-Fi module failed, refused or did not answer (one line on
stderr, no traceback); 2 bad usage, including values the socket cannot store, which the
library rejects (`EncodeError`, `InvalidCredentialsError`) before anything is sent.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
import contextlib
import io
import logging
import sys

from ..pairing import InvalidCredentialsError
from ..protocol import EncodeError, S20Error
from .allone import cmd_ir_learn, cmd_ir_send, cmd_rf_send
from .commands import cmd_auto_off, cmd_clock, cmd_countdown, cmd_discover, cmd_info, cmd_power, cmd_rename
from .decode import cmd_decode
from .output import Output
from .pair import cmd_pair_ap, cmd_pair_smartlink
from .parser import build_parser
from .timers import cmd_timers
from .watch import cmd_watch

type Command = Callable[[argparse.Namespace, Output], Awaitable[None]]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_COMMANDS: dict[str, Command] = {
    "auto-off": cmd_auto_off,
    "clock": cmd_clock,
    "countdown": cmd_countdown,
    "decode": cmd_decode,
    "discover": cmd_discover,
    "info": cmd_info,
    "off": cmd_power,
    "on": cmd_power,
    "rename": cmd_rename,
    "timers": cmd_timers,
    "toggle": cmd_power,
    "watch": cmd_watch,
}
_PAIR_METHODS: dict[str, Command] = {"ap": cmd_pair_ap, "smartlink": cmd_pair_smartlink}
_ALLONE_COMMANDS: dict[tuple[str, str], Command] = {
    ("ir", "learn"): cmd_ir_learn,
    ("ir", "send"): cmd_ir_send,
    ("rf", "send"): cmd_rf_send,
}
_PACKAGE_LOGGER = "custom_components.orvibo_s20"


def _secrets(argv: Sequence[str]) -> list[str]:
    """Values given to --password (or an abbreviation argparse accepts), to keep out of errors."""
    found: list[str] = []
    for index, arg in enumerate(argv):
        option, has_value, value = arg.partition("=")
        if len(option) < 4 or not "--password".startswith(option):
            continue
        if has_value:
            found.append(value)
        elif index + 1 < len(argv):
            found.append(argv[index + 1])
    return [secret for secret in found if secret and secret != "-"]


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace | int:
    """Parse the command line; on bad usage print argparse's message and return the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            args = build_parser().parse_args(args_list)
            if check := getattr(args, "check", None):
                check(args)
    except SystemExit as exc:
        message = captured.getvalue()
        for secret in _secrets(args_list):
            message = message.replace(secret, "***")
        sys.stderr.write(message)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return args


def _command(args: argparse.Namespace) -> Command:
    if args.command == "pair":
        return _PAIR_METHODS[args.method]
    if args.command in ("ir", "rf"):
        return _ALLONE_COMMANDS[args.command, getattr(args, f"{args.command}_command")]
    return _COMMANDS[args.command]


async def run(args: argparse.Namespace, out: Output) -> int:
    """Run the parsed command; return the exit status."""
    handler: logging.Handler | None = None
    logger = logging.getLogger(_PACKAGE_LOGGER)
    if args.verbose:
        # The package's loggers redact the Wi-Fi key themselves (pairing/at.py redact()).
        handler = logging.StreamHandler(out.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        await _command(args)(args, out)
    except (EncodeError, InvalidCredentialsError) as err:
        out.error(str(err))
        return EXIT_USAGE
    except S20Error as err:
        out.error(str(err) or type(err).__name__)
        return EXIT_FAILED
    except OSError as err:  # e.g. no route for a broadcast: the network, not the user
        out.error(f"network error: {err.strerror or err}")
        return EXIT_FAILED
    finally:
        if handler is not None:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
    return EXIT_OK


async def async_main(argv: Sequence[str] | None = None) -> int:
    """Run a command line inside a running event loop (tests, embedding); returns the exit status."""
    args = parse(argv)
    if isinstance(args, int):
        return args
    return await run(args, Output(as_json=args.json))


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command line; returns the exit status (`python -m` passes it to sys.exit)."""
    args = parse(argv)
    if isinstance(args, int):
        return args
    out = Output(as_json=args.json)
    try:
        return asyncio.run(run(args, out))
    except KeyboardInterrupt:
        if args.command == "watch":
            return EXIT_OK  # Ctrl-C is how a watch ends
        out.error("interrupted")
        return EXIT_INTERRUPTED
