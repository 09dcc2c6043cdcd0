"""`watch TARGET`: stream the socket's state changes (button, timers, other controllers)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import datetime

from .output import JsonValue, Output, state_text
from .session import Session, connect


def _event(session: Session, kind: str) -> tuple[dict[str, JsonValue], str]:
    client = session.client
    now = datetime.now().astimezone()
    state = state_text(client.state)
    data: dict[str, JsonValue] = {
        "time": now.isoformat(timespec="milliseconds"),
        "event": kind,
        "mac": str(session.found.mac),
        "host": client.host,
        "available": client.available,
        "state": state,
    }
    shown = (state or "?") if client.available else "unavailable"
    return data, f"{now.strftime('%H:%M:%S.%f')[:-3]}  {session.label}  {shown}"


async def cmd_watch(args: argparse.Namespace, out: Output) -> None:
    """Print the state now, then a line per change until Ctrl-C, `--count` changes or `--duration`."""
    async with connect(args) as session:
        client = session.client
        await client.subscribe()
        out.event(*_event(session, "initial"))
        last = (client.state, client.available)
        changes = 0
        done = asyncio.Event()

        def on_change() -> None:
            nonlocal last, changes
            now = (client.state, client.available)
            if now == last:
                return  # e.g. socket data refreshed: not a state change
            last = now
            changes += 1
            out.event(*_event(session, "change"))
            if args.count is not None and changes >= args.count:
                done.set()

        remove = client.add_listener(on_change)
        client.start()  # keepalives keep the subscription and the state; re-subscribes after a reboot
        try:
            if args.duration is None:
                await done.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), args.duration)
        finally:
            remove()
