"""Commands that talk to an AllOne: `ir learn`, `ir send`, `rf send`."""

from __future__ import annotations

import argparse

from ..protocol import code_to_text
from .output import Output
from .session import connect_allone


async def cmd_ir_learn(args: argparse.Namespace, out: Output) -> None:
    """Put the AllOne in learning mode and print the code it learned, in base64."""
    async with connect_allone(args) as session:
        out.progress(f"{session.label}: learning; point the remote at the AllOne and press the button "
                     f"(within {args.learn_timeout:g} s)")
        code = await session.client.learn(timeout_s=args.learn_timeout)
    text = code_to_text(code)
    out.result({"mac": str(session.found.mac), "code": text}, text)


async def cmd_ir_send(args: argparse.Namespace, out: Output) -> None:
    """Send a learned code, `--repeat` times; each emit is confirmed by the AllOne."""
    async with connect_allone(args) as session:
        await session.client.send_ir(args.code, repeat=args.repeat, delay_s=args.delay or 0.0)
    times = "" if args.repeat == 1 else f" {args.repeat} times"
    out.result(
        {"mac": str(session.found.mac), "host": session.found.host, "sent": len(args.code), "repeat": args.repeat},
        f"{session.label}: sent {len(args.code)}-byte code{times}",
    )


async def cmd_rf_send(args: argparse.Namespace, out: Output) -> None:
    """Switch a T030 433 MHz switch on or off through the AllOne."""
    on = args.state == "on"
    async with connect_allone(args) as session:
        await session.client.send_rf(args.rf_id, on, rf_key=args.key)
    out.result(
        {
            "mac": str(session.found.mac), "host": session.found.host, "rf_id": args.rf_id.hex(),
            "rf_key": args.key, "state": args.state,
        },
        f"{session.label}: RF {args.rf_id.hex()} (key {args.key}) {args.state}",
    )
