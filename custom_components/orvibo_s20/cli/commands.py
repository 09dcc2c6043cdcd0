"""Commands that talk to sockets: discover, info, on/off/toggle, rename, countdown, auto-off, clock."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from ..client import DiscoveredSocket, S20Endpoint, discover
from ..client.unsupported import collect_unsupported
from ..protocol import DeviceFamily, EncodeError, S20Error, SocketData, clock_from_datetime, datetime_from_clock
from .output import (
    JsonValue,
    Output,
    clock_text,
    countdown_json,
    seconds_text,
    socket_json,
    state_text,
    table,
)
from .session import Session, attach, client_timing, connect, open_endpoint

# Clocks before this were never set: the socket counts from 2000-01-01 after boot (PROTOCOL.md §4.1).
_CLOCK_SET_AFTER = datetime(2000, 2, 1, tzinfo=UTC)


async def cmd_discover(args: argparse.Namespace, out: Output) -> None:
    """Broadcast `qa` and list who answers: sockets and AllOnes with their kind, then the devices
    that cannot be controlled."""
    async with open_endpoint(args) as endpoint:
        async with collect_unsupported(endpoint) as unsupported:
            found = await discover(endpoint, window_s=args.window, expected=args.expect, families=tuple(DeviceFamily))
        names = await _names(endpoint, found, args) if args.names else {}
    header = ["IP", "MAC", "KIND", "PRODUCT", "STATE"] + (["NAME"] if args.names else [])
    rows = [[s.host, str(s.mac), str(s.family), s.product_id, state_text(s.is_on) or "-"] for s in found]
    if args.names:
        rows = [row + [names.get(s.host) or "-"] for row, s in zip(rows, found, strict=True)]
    data: list[JsonValue] = []
    for s in found:
        entry = socket_json(s)
        if args.names:
            entry["name"] = names.get(s.host)
        data.append(entry)
    if not found and not out.as_json:
        out.progress(f"No S20 or AllOne answered within {args.window:g} s.")
    text = table([header, *rows]) if found else ""
    if unsupported and out.as_json:
        for device in unsupported:
            out.warning(f"{device.label}: not supported ({device.reason}); see the README")
    elif unsupported:
        lines = [[device.host, device.name, device.reason] for device in unsupported]
        section = "Found, but not supported (see \"Supported devices\" in the README):\n" + table(lines)
        text = f"{text}\n\n{section}" if text else section
    out.result(data, text)


async def _names(
    endpoint: S20Endpoint, found: list[DiscoveredSocket], args: argparse.Namespace
) -> dict[str, str | None]:
    """Read every found socket's name (one client each, concurrently); unreadable ones are None."""
    timing = client_timing(args)

    async def name_of(socket: DiscoveredSocket) -> str | None:
        if socket.family is not DeviceFamily.SOCKET:
            return None  # table 4 is only known on a socket
        client = await attach(endpoint, socket, timing)
        try:
            return (await client.read_socket_data()).name
        except S20Error:
            return None
        finally:
            await client.stop()

    names = await asyncio.gather(*(name_of(s) for s in found))
    return {s.host: name for s, name in zip(found, names, strict=True)}


def _timezone_json(data: SocketData) -> dict[str, JsonValue]:
    half = bool(data.dst_flags & 0x02)
    minutes = abs(data.timezone_hours) * 60 + (30 if half else 0)
    sign = "-" if data.timezone_hours < 0 else "+"
    return {
        "utc_offset": f"{sign}{minutes // 60:02d}:{minutes % 60:02d}",
        "hours": data.timezone_hours,
        "half_hour": half,
        "dst": not data.dst_flags & 0x01,  # rec 132 bit 0 clear = DST on (PROTOCOL.md §4.6)
    }


def _clock_json(clock: int) -> dict[str, JsonValue]:
    moment = datetime_from_clock(clock)
    return {
        "utc": None if moment is None else moment.isoformat(),
        "set": moment is not None and moment >= _CLOCK_SET_AFTER,
        "raw": clock,
    }


async def cmd_info(args: argparse.Namespace, out: Output) -> None:
    """Show everything the socket reports about itself (never its remote password)."""
    async with connect(args) as session:
        on = await session.client.subscribe()
        data = await session.client.read_socket_data()
    found = session.found
    tz = _timezone_json(data)
    result: dict[str, JsonValue] = {
        "mac": str(found.mac),
        "host": found.host,
        "product_id": found.product_id,
        "state": state_text(on),
        "name": data.name,
        "icon": data.icon,
        "hardware_version": data.hardware_version,
        "firmware_version": data.firmware_version,
        "wifi_firmware_version": data.wifi_firmware_version,
        "locked": not data.discoverable,
        "auto_off": {"enabled": data.auto_off_enabled, "seconds": data.auto_off_seconds},
        "timezone": tz,
        "clock": _clock_json(found.clock),
        "stored_network": {"ip": str(data.local_ip), "gateway": str(data.gateway), "netmask": str(data.netmask)},
    }
    auto_off = seconds_text(data.auto_off_seconds) if data.auto_off_enabled else "off"
    rows = [
        ["name", data.name or "(unnamed)"],
        ["state", state_text(on) or "?"],
        ["product", found.product_id],
        ["firmware", f"{data.firmware_version} (hardware {data.hardware_version}, Wi-Fi {data.wifi_firmware_version})"],
        ["locked", "yes" if not data.discoverable else "no"],
        ["auto-off", auto_off],
        ["time zone", f"UTC{tz['utc_offset']}, DST {'on' if tz['dst'] else 'off'}"],
        ["clock", clock_text(found.clock) + ("" if _clock_json(found.clock)["set"] else " (not set)")],
        ["stored IP", f"{data.local_ip} (gateway {data.gateway}, netmask {data.netmask})"],
    ]
    out.result(result, f"{session.label}\n" + table([["  " + k, v] for k, v in rows]))


async def cmd_power(args: argparse.Namespace, out: Output) -> None:
    """Switch on, off or toggle, and report the state the socket confirmed."""
    async with connect(args) as session:
        if args.command == "toggle":
            on = await session.client.toggle()
        else:
            on = args.command == "on"
            await session.client.set_power(on)
    out.result(_state_json(session, on), f"{session.label}: {state_text(on)}")


def _state_json(session: Session, on: bool) -> dict[str, JsonValue]:
    return {"mac": str(session.found.mac), "host": session.found.host, "state": state_text(on)}


async def cmd_rename(args: argparse.Namespace, out: Output) -> None:
    """Store a new name (empty: back to unnamed)."""
    async with connect(args) as session:
        data = await session.client.rename(args.name)
    out.result(
        {"mac": str(session.found.mac), "host": session.found.host, "name": data.name},
        f"{session.label}: named {data.name!r}" if data.name else f"{session.label}: name cleared",
    )


async def cmd_countdown(args: argparse.Namespace, out: Output) -> None:
    """Read, start or cancel the countdown."""
    base: dict[str, JsonValue]
    async with connect(args) as session:
        base = {"mac": str(session.found.mac), "host": session.found.host}
        client = session.client
        if args.cancel:
            await client.cancel_countdown()
            out.result({**base, "countdown": None}, f"{session.label}: countdown cancelled")
            return
        if args.seconds is not None:
            await client.start_countdown(args.seconds, args.action == "on")
            running = await client.get_countdown()
        else:
            running = await client.get_countdown()
    if running is None:
        text = f"{session.label}: no countdown running"
    else:
        action = running.action.name.lower()
        verb = "started: " if args.seconds is not None else ""
        text = f"{session.label}: countdown {verb}{action} in {seconds_text(running.remaining_s)}"
    out.result({**base, "countdown": countdown_json(running)}, text)


async def cmd_auto_off(args: argparse.Namespace, out: Output) -> None:
    """Read, set or disable switching off automatically after each switch-on."""
    async with connect(args) as session:
        client = session.client
        if args.disable:
            data = await client.set_auto_off(False)
        elif args.seconds is not None:
            data = await client.set_auto_off(True, args.seconds)
        else:
            data = await client.read_socket_data()
    enabled = data.auto_off_enabled
    out.result(
        {
            "mac": str(session.found.mac), "host": session.found.host,
            "auto_off": {"enabled": enabled, "seconds": data.auto_off_seconds},
        },
        f"{session.label}: auto-off " + (f"after {seconds_text(data.auto_off_seconds)}" if enabled else "off"),
    )


async def cmd_clock(args: argparse.Namespace, out: Output) -> None:
    """Show the socket's clock and time zone; `--sync` sets both from this computer."""
    warning: str | None = None
    async with connect(args) as session:
        client = session.client
        clock = session.found.clock
        now = datetime.now(UTC)
        if args.sync:
            await client.set_clock(now)
            clock = clock_from_datetime(now)
            # The current offset already includes DST, so it is stored with DST off: timers
            # stay right until the next DST change (sync again then).
            offset = datetime.now().astimezone().utcoffset() or timedelta()
            try:
                data = await client.set_timezone(offset, dst=False)
            except EncodeError as err:
                warning = f"time zone not set: {err} (the socket stores whole or half hours only)"
                data = await client.read_socket_data()
        else:
            data = await client.read_socket_data()
    moment = datetime_from_clock(clock)
    drift = None if moment is None else round((moment - now).total_seconds(), 1)
    clock_info = _clock_json(clock)
    tz = _timezone_json(data)
    if warning:
        out.warning(warning)
    status = "synced" if args.sync else (
        f"{drift:+.1f} s from this computer" if clock_info["set"] and drift is not None else "not set"
    )
    out.result(
        {
            "mac": str(session.found.mac), "host": session.found.host, "synced": args.sync,
            "clock": clock_info, "offset_s": drift, "timezone": tz,
        },
        f"{session.label}: clock {clock_text(clock)} ({status}), time zone UTC{tz['utc_offset']}, "
        f"DST {'on' if tz['dst'] else 'off'}",
    )
