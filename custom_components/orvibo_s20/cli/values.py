"""Argument values of the command line: parsed and checked before anything is sent.

Each parser raises `argparse.ArgumentTypeError`, so a bad value is a usage error (exit 2)
reported by argparse; the checks are the library's own (`encode_name`, `Mac.parse`,
`parse_security`), so the CLI accepts exactly what the socket can store.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, time
from ipaddress import IPv4Address
import re

from ..pairing import Auth, Encryption, InvalidCredentialsError, parse_security
from ..protocol import AT_PORT, COUNTDOWN_MAX_S, EncodeError, Mac, Weekday, code_from_text, encode_name

_DURATION = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?")
_HEX_SEPARATORS = re.compile(r"[\s:.\-]")
DAY_NAMES: dict[str, Weekday] = {
    "fri": Weekday.FRIDAY,
    "mon": Weekday.MONDAY,
    "sat": Weekday.SATURDAY,
    "sun": Weekday.SUNDAY,
    "thu": Weekday.THURSDAY,
    "tue": Weekday.TUESDAY,
    "wed": Weekday.WEDNESDAY,
}
_WEEK_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = {
    "friday": "fri", "monday": "mon", "saturday": "sat", "sunday": "sun", "thursday": "thu",
    "tuesday": "tue", "wednesday": "wed",
}
_DAY_GROUPS: dict[str, tuple[str, ...]] = {
    "daily": _WEEK_ORDER,
    "weekdays": _WEEK_ORDER[:5],
    "weekend": _WEEK_ORDER[5:],
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A socket named on the command line: by IP (unicast probe) or by MAC (`qg` broadcast)."""

    host: str | None = None
    mac: Mac | None = None

    def __str__(self) -> str:
        return self.host if self.host is not None else str(self.mac)


def target(text: str) -> Target:
    """Parse an IPv4 address or a MAC address."""
    try:
        address = IPv4Address(text)
    except ValueError:
        pass
    else:
        if address.is_unspecified:  # "any address": no device has it, and the relay refuses it
            raise argparse.ArgumentTypeError(f"{text!r} is not a device's address")
        return Target(host=str(address))
    try:
        return Target(mac=Mac.parse(text))
    except EncodeError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither an IPv4 address nor a MAC address") from None


def host(text: str) -> str:
    """Parse an IPv4 address."""
    try:
        return str(IPv4Address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv4 address") from None


def module_address(text: str) -> tuple[str, int]:
    """Parse the Wi-Fi module's `HOST` or `HOST:PORT` (default port 48899)."""
    name, _, port_text = text.partition(":")
    return host(name), port(port_text) if port_text else AT_PORT


def port(text: str) -> int:
    """Parse a UDP port (1–65535)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"port {value} is not in 1–65535")
    return value


def positive_float(text: str) -> float:
    """Parse a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def positive_int(text: str) -> int:
    """Parse a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def duration(text: str) -> int:
    """Parse seconds the socket can count (1–65535): `90`, `90s`, `15m`, `1h30m`."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (e.g. 90, 15m, 1h30m)")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    if not 1 <= seconds <= COUNTDOWN_MAX_S:
        raise argparse.ArgumentTypeError(f"{text!r} is {seconds} s; the socket counts 1–{COUNTDOWN_MAX_S} s")
    return seconds


def time_of_day(text: str) -> time:
    """Parse `HH:MM` or `HH:MM:SS`."""
    try:
        parts = [int(part) for part in text.split(":")]
        if len(parts) not in (2, 3):
            raise ValueError
        return time(parts[0], parts[1], parts[2] if len(parts) == 3 else 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day (HH:MM or HH:MM:SS)") from None


def day(text: str) -> date:
    """Parse `YYYY-MM-DD`."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def weekdays(text: str) -> frozenset[Weekday]:
    """Parse `mon,wed,fri` (also `daily`, `weekdays`, `weekend`)."""
    names: list[str] = []
    for part in (p.strip().lower() for p in text.split(",")):
        names.extend(_DAY_GROUPS.get(part) or (_FULL_DAY_NAMES.get(part, part),))
    unknown = [name for name in names if name not in DAY_NAMES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"{text!r}: days are {','.join(_WEEK_ORDER)} (or daily, weekdays, weekend)"
        )
    return frozenset(DAY_NAMES[name] for name in names)


def day_names(days: frozenset[Weekday]) -> list[str]:
    """Return the days in week order, e.g. `["mon", "fri"]`."""
    return [name for name in _WEEK_ORDER if DAY_NAMES[name] in days]


def socket_name(text: str) -> str:
    """Check a socket name the way the library will (≤ 16 ASCII bytes, no control characters)."""
    try:
        encode_name(text.strip() or None)
    except EncodeError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def security(text: str) -> tuple[Auth, Encryption]:
    """Parse `WPA2PSK,AES`, `WPAPSK,TKIP`, `OPEN`, `OPEN,WEP-H`, …"""
    try:
        return parse_security(text)
    except InvalidCredentialsError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def frame_bytes(text: str) -> bytes:
    """Parse a hex dump: `68 64 00 06 71 61`, `68:64:…`, `0x6864…`."""
    digits = _HEX_SEPARATORS.sub("", text)
    if digits.lower().startswith("0x"):
        digits = digits[2:]
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        raise argparse.ArgumentTypeError("not hexadecimal (pairs of 0-9a-f; spaces and colons allowed)") from None
    if not data:
        raise argparse.ArgumentTypeError("no bytes given")
    return data


def ir_code(text: str) -> bytes:
    """Parse a learned code: base64, with or without the `b64:` prefix."""
    try:
        return code_from_text(text)
    except EncodeError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def rf_id(text: str) -> bytes:
    """Parse a T030 switch's RF id: hex bytes, e.g. `abcdef`."""
    data = frame_bytes(text)
    if len(data) > 32:
        raise argparse.ArgumentTypeError("an RF id is at most 32 bytes")
    return data


def rf_key(text: str) -> int:
    """Parse an RF key: 0–65535 (node-orvibo's default is 42)."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 0xFFFF:
        raise argparse.ArgumentTypeError(f"an RF key is 0–65535, not {value}")
    return value
