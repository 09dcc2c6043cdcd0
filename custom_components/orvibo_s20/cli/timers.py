"""`timers TARGET [list | add … | remove ID]`: the socket's table 3."""

from __future__ import annotations

import argparse
from datetime import date

from ..protocol import PowerState, S20ConnectionError, Timer
from .output import JsonValue, Output, jsonable, table
from .session import connect
from .values import day_names


class TimerNotFoundError(S20ConnectionError):
    """The socket holds no timer with the code given."""


def timer_json(timer: Timer) -> dict[str, JsonValue]:
    """A timer as JSON: id, action, time and either weekdays or a date."""
    when = timer.date
    return {
        "id": timer.code,
        "action": timer.action.name.lower(),
        "at": timer.at.isoformat(),
        "weekly": timer.is_weekly,
        "days": jsonable(timer.weekdays) if timer.is_weekly else None,
        "date": None if when is None else when.isoformat(),
        "name": timer.name,
    }


def _when(timer: Timer) -> str:
    if timer.is_weekly:
        return "every " + ",".join(day_names(timer.weekdays))
    when = timer.date
    return f"once on {when.isoformat()}" if when is not None else "once (invalid date)"


def _row(timer: Timer) -> list[str]:
    return [str(timer.code), timer.action.name.lower(), timer.at.isoformat(), _when(timer)]


async def cmd_timers(args: argparse.Namespace, out: Output) -> None:
    """List, add or remove timers (times are the socket's local time)."""
    action = args.timers_command or "list"
    async with connect(args) as session:
        base: dict[str, JsonValue] = {"mac": str(session.found.mac), "host": session.found.host}
        client = session.client
        if action == "add":
            state = PowerState.ON if args.action == "on" else PowerState.OFF
            if args.date is not None:
                new = Timer.once(code=0, at=args.at, on=args.date, action=state)
            else:
                new = Timer.weekly(code=0, at=args.at, weekdays=args.days, action=state, today=date.today())
            stored = await client.add_timer(new)
            out.result(
                {**base, "timer": timer_json(stored)},
                f"{session.label}: added timer {stored.code}: {stored.action.name.lower()} at "
                f"{stored.at.isoformat()} {_when(stored)}",
            )
            return
        if action == "remove":
            codes = {t.code for t in await client.get_timers()}
            if args.id not in codes:
                raise TimerNotFoundError(f"{session.label} has no timer {args.id} (see `timers {args.target}`)")
            await client.delete_timer(args.id)
            out.result({**base, "removed": args.id}, f"{session.label}: removed timer {args.id}")
            return
        timers = sorted(await client.get_timers(), key=lambda t: (t.hour, t.minute, t.second, t.code))
    rows = [["ID", "ACTION", "AT", "WHEN"], *(_row(t) for t in timers)]
    out.result(
        {**base, "timers": [timer_json(t) for t in timers]},
        table(rows) if timers else f"{session.label}: no timers",
    )
