"""What the CLI prints: results on stdout (text or one JSON document), progress and errors on stderr."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum, StrEnum
from ipaddress import IPv4Address
import json
import sys
from typing import Any, TextIO

from ..client import Countdown, DiscoveredSocket
from ..protocol import DiscoveryReply, Mac, SocketData, Timer, Weekday, datetime_from_clock

type JsonValue = None | bool | int | float | str | list[JsonValue] | dict[str, JsonValue]

# Derived values worth showing beside a type's fields (decoded frames, socket data).
_PROPERTIES: dict[type, tuple[str, ...]] = {
    DiscoveryReply: ("device_time",),
    SocketData: ("name", "domain_server_name"),
    Timer: ("name", "is_weekly", "weekdays", "at", "date"),
}
_WEEK = tuple(Weekday)


class Output:
    """Print results as text or JSON; stderr gets progress, warnings and the one-line errors."""

    def __init__(self, *, as_json: bool, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.as_json = as_json
        self._stdout = stdout
        self._stderr = stderr

    @property
    def stdout(self) -> TextIO:
        """Where results go (sys.stdout at call time, so test capture works)."""
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        """Where progress and errors go."""
        return self._stderr or sys.stderr

    def result(self, data: Mapping[str, JsonValue] | Sequence[JsonValue], text: str) -> None:
        """Print the command's result: `data` as one JSON document, or `text`."""
        if self.as_json:
            print(json.dumps(data, indent=2, ensure_ascii=False), file=self.stdout, flush=True)
        elif text:
            print(text, file=self.stdout, flush=True)

    def event(self, data: Mapping[str, JsonValue], text: str) -> None:
        """Print one streamed event: a JSON line, or a line of text."""
        line = json.dumps(data, ensure_ascii=False) if self.as_json else text
        print(line, file=self.stdout, flush=True)

    def progress(self, text: str) -> None:
        """Report progress on stderr (stdout stays parseable)."""
        print(text, file=self.stderr, flush=True)

    def warning(self, text: str) -> None:
        """Warn on stderr."""
        print(f"warning: {text}", file=self.stderr, flush=True)

    def error(self, text: str) -> None:
        """Print the one-line reason of a failure."""
        line = " ".join(text.split())  # one line, whatever the exception held
        print(f"error: {line}", file=self.stderr, flush=True)


def jsonable(value: object) -> JsonValue:
    """Convert library values (dataclasses, enums, MACs, dates, bytes) to JSON-friendly ones."""
    # Enums first: PowerState is an int and Command a str, but their names say more.
    if isinstance(value, Weekday):
        return value.name.lower()[:3]
    if isinstance(value, StrEnum):
        return str(value.value)
    if isinstance(value, Enum):
        return value.name.lower()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mac | IPv4Address):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, frozenset | set):
        if all(isinstance(item, Weekday) for item in value):
            return [jsonable(day) for day in _WEEK if day in value]
        return sorted((jsonable(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, JsonValue] = {}
        command = getattr(value, "command", None)
        if isinstance(command, Enum):
            out["command"] = str(command.value)
        for field in fields(value):
            out[field.name] = jsonable(getattr(value, field.name))
        for cls, names in _PROPERTIES.items():
            if isinstance(value, cls):
                out.update({name: jsonable(getattr(value, name)) for name in names})
        return out
    return str(value)


def state_text(on: bool | None) -> str | None:
    """`on`, `off`, or None when unknown."""
    return None if on is None else ("on" if on else "off")


def clock_text(clock: int) -> str:
    """A device clock as UTC text."""
    moment = datetime_from_clock(clock)
    return "never set (0)" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def socket_json(found: DiscoveredSocket) -> dict[str, JsonValue]:
    """A discovered socket as JSON."""
    moment = datetime_from_clock(found.clock)
    return {
        "mac": str(found.mac),
        "host": found.host,
        "kind": None if found.family is None else str(found.family),
        "product_id": found.product_id,
        "state": state_text(found.is_on),
        "clock": None if moment is None else moment.isoformat(),
    }


def countdown_json(countdown: Countdown | None) -> dict[str, JsonValue] | None:
    """A countdown as JSON (None: none running)."""
    if countdown is None:
        return None
    return {"action": jsonable(countdown.action), "remaining_s": countdown.remaining_s}


def seconds_text(seconds: int) -> str:
    """`3600 s (1:00:00)`."""
    return f"{seconds} s ({timedelta(seconds=seconds)})"


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns."""
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def describe(value: JsonValue, indent: int = 0) -> list[str]:
    """Render a JSON-friendly value as indented `key: value` lines."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(describe(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}[{number}]")
                lines.extend(describe(item, indent + 1))
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | dict):
        return "[]" if isinstance(value, list) else "{}"
    return str(value).lower() if isinstance(value, bool) else str(value)
