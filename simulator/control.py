"""Drive a running simulator from another process: newline-delimited JSON over TCP on loopback.

Each request is one JSON object on one line, `{"op": ..., "mac": ..., ...}`; each answer is one
line, `{"ok": true, ...}` or `{"ok": false, "error": "..."}`. Operations:

| op | fields | answer |
|---|---|---|
| `list` | | `sockets`: summaries (mac, ip, name, state, online, firmware, product_id) |
| `get` | mac (or ip) | summary + clock, timers, countdown, socket_data, subscribers, table_versions, counters |
| `press` | mac, push (bool, default true; false: its `sf` pushes are lost) | `state` after the toggle |
| `reboot` | mac, wait (bool, default false) | waits until back online if asked |
| `offline` / `online` | mac | |
| `move` | mac, ip | |
| `faults` | any `Faults` field, or `loss` / `latency_s` for both directions | `faults` now in force |
| `timing` | any `Timing` field | `timing` now in force |
| `add` | ip, mac, firmware, name, state, product_id (all optional) | the new socket's summary |
| `add_homemate` | ip, frame (`hello`: `pk`, default; `heartbeat`: `dk`), announce_every_s (all optional) | `ip` of the HomeMate device |
| `remove` | mac | |
| `clock` | mac, clock (seconds since 1900) | |
| `timer` | mac, time (`HH:MM[:SS]`, the socket's local time), action (bool), weekdays (Weekday bits) or date (ISO), code (optional) | `code` of the stored timer (as the vendor app would store it) |
| `counters` | | the simulator's counters |
| `add` with `kind: "allone"` | ip, mac, name, product_id (all optional) | the new AllOne's summary |
| `learn` | mac (an AllOne), code (base64) | `learned`: whether it was in learning mode and took the code |
| `emitted` | mac (an AllOne) | `emitted`: every code it sent out, oldest first: kind (ir/rf), code (base64), at, request_id, rf_key, state |

`press` on an AllOne presses its button (a `di` to every subscriber) and answers `state: false`.
Summaries carry `kind` (`socket` or `allone`); `get` on an AllOne adds `learning` and `emitted`.

JSON objects are dicts of `Any` on purpose: this is the wire format for scripts.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import asdict, fields, replace
from datetime import date, time
import json
import logging
import socket
from typing import Any, Self

from custom_components.orvibo_s20.protocol import PowerState, Timer, Weekday, datetime_from_clock

from .allone import Emission, VirtualAllOne
from .device import VirtualSocket
from .faults import Faults
from .homemate import HEARTBEAT_FRAME, HELLO_FRAME
from .lan import Simulator
from .server import require_loopback
from .timing import Timing

_LOGGER = logging.getLogger(__name__)

DEFAULT_CONTROL_PORT = 8765
_LIMIT = 1 << 20

type JsonObject = dict[str, Any]


class ControlError(Exception):
    """The simulator refused a control request."""


# --- server ----------------------------------------------------------------------------------


def socket_summary(device: VirtualSocket) -> JsonObject:
    """Describe a socket in a few fields (the `list` answer)."""
    return {
        "firmware": device.firmware,
        "ip": device.ip,
        "kind": "allone" if isinstance(device, VirtualAllOne) else "socket",
        "mac": str(device.mac),
        "name": device.name,
        "online": device.online,
        "product_id": device.product_id,
        "state": device.state,
    }


def socket_detail(device: VirtualSocket) -> JsonObject:
    """Describe everything a test may want to check about a socket (the `get` answer)."""
    if isinstance(device, VirtualAllOne):
        return {
            **socket_summary(device),
            "clock": device.clock,
            "counters": device.counters.as_dict(),
            "emitted": [emission_summary(e) for e in device.emitted],
            "learning": device.learning,
            "subscribers": list(device.subscribers),
        }
    data = device.socket_data
    countdown = device.countdown
    moment = datetime_from_clock(device.clock)
    block = data.timezone_block
    return {
        **socket_summary(device),
        "clock": device.clock,
        "clock_utc": moment.isoformat() if moment else None,
        "countdown": None if countdown is None else {"action": countdown.action, "remaining_s": countdown.remaining_s},
        "counters": device.counters.as_dict(),
        "socket_data": {
            "auto_off_enabled": data.auto_off_enabled,
            "auto_off_seconds": data.auto_off_seconds,
            "discoverable": data.discoverable,
            "dst_flags": data.dst_flags,
            "firmware_version": data.firmware_version,
            "hardware_version": data.hardware_version,
            "icon": data.icon,
            "name": data.name,
            "record_length": data.record_length,
            "timezone_hours": data.timezone_hours,
            "tz_index": None if block is None else block.tz_index,
        },
        "subscribers": list(device.subscribers),
        "table_versions": {str(k): v for k, v in device.table_versions.items()},
        "timers": [
            {
                "action": timer.action is PowerState.ON,
                "code": timer.code,
                "date": None if timer.date is None else timer.date.isoformat(),
                "time": f"{timer.hour:02d}:{timer.minute:02d}:{timer.second:02d}",  # even if invalid
                "weekdays": sorted(int(day) for day in timer.weekdays),
                "weekly": timer.is_weekly,
            }
            for timer in device.timers.values()
        ],
    }


def emission_summary(emission: Emission) -> JsonObject:
    """Describe one code an AllOne emitted (the `emitted` answer)."""
    return {
        "at": emission.at,
        "code": base64.b64encode(emission.code).decode("ascii"),
        "kind": emission.kind,
        "request_id": emission.request_id,
        "rf_key": emission.rf_key,
        "state": emission.state,
    }


def _code(request: JsonObject) -> bytes:
    try:
        return base64.b64decode(str(request["code"]), validate=True)
    except binascii.Error as err:
        raise ValueError(f"code is not base64: {err}") from err


def _dataclass_changes(cls: type[Faults | Timing], request: JsonObject) -> JsonObject:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in request.items() if key in names}


class ControlServer:
    """Serve the control protocol for one simulator on a loopback TCP port."""

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = DEFAULT_CONTROL_PORT) -> None:
        self.simulator = simulator
        self.host = require_loopback(host, "control address")
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen (port 0 picks a free port, then `port` holds it)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop the connections."""
        if self._server is None:
            return
        self._server.close()
        for task in tuple(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # always inside the server's task
        self._connections.add(task)
        try:
            while line := await reader.readline():
                if not line.strip():
                    continue
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise TypeError("a request is a JSON object")
                except (TypeError, ValueError) as err:
                    answer: JsonObject = {"ok": False, "error": f"bad request: {err}"}
                else:
                    answer = await self.handle(request)
                writer.write(json.dumps(answer).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def handle(self, request: JsonObject) -> JsonObject:
        """Run one request; errors come back as `{"ok": false, "error": ...}`."""
        try:
            return {"ok": True, **await self._run(request)}
        except KeyError as err:
            return {"ok": False, "error": f"no such socket or field: {err}"}
        except (ValueError, TypeError) as err:
            return {"ok": False, "error": str(err)}

    async def _run(self, request: JsonObject) -> JsonObject:
        sim = self.simulator
        op = request.get("op")
        match op:
            case "list":
                return {"sockets": [socket_summary(d) for d in sim]}
            case "counters":
                return {"counters": sim.counters.as_dict()}
            case "faults":
                changes = _dataclass_changes(Faults, request)
                if "loss" in request:
                    changes |= {"loss_to_device": request["loss"], "loss_from_device": request["loss"]}
                if "latency_s" in request:
                    changes |= {"latency_to_device_s": request["latency_s"], "latency_from_device_s": request["latency_s"]}
                sim.faults = replace(sim.faults, **changes)
                return {"faults": asdict(sim.faults)}
            case "timing":
                sim.timing = replace(sim.timing, **_dataclass_changes(Timing, request))
                return {"timing": asdict(sim.timing)}
            case "add" if request.get("kind") == "allone":
                allone = sim.add_allone(ip=request.get("ip"), mac=request.get("mac"), name=request.get("name"),
                                        product_id=request.get("product_id", "IRD013"))
                return socket_summary(allone)
            case "add":
                device = sim.add_socket(
                    ip=request.get("ip"), mac=request.get("mac"), firmware=request.get("firmware", "new"),
                    name=request.get("name"), state=bool(request.get("state", False)),
                    product_id=request.get("product_id", "SOC005"),
                )
                return socket_summary(device)
            case "add_homemate":
                frames = {"heartbeat": HEARTBEAT_FRAME, "hello": HELLO_FRAME}
                every = request.get("announce_every_s")
                homemate = sim.add_homemate(
                    ip=request.get("ip"), frame=frames[str(request.get("frame", "hello"))],
                    announce_every_s=None if every is None else float(every),
                )
                return {"ip": homemate.ip}
        device = sim.get(_key(request))
        match op:
            case "get":
                return socket_detail(device)
            case "press":
                return {"state": device.press_button(push=bool(request.get("push", True)))}
            case "reboot":
                waiter = device.reboot()
                if request.get("wait"):
                    await waiter
                return {}
            case "offline" | "online":
                device.set_online(op == "online")
                return {}
            case "move":
                sim.move(device.mac, str(request["ip"]))
                return {}
            case "remove":
                sim.remove_socket(device.mac)
                return {}
            case "clock":
                device.set_clock(int(request["clock"]))
                return {}
            case "timer":
                timer = _timer(request, device)
                device.add_timer(timer)
                return {"code": timer.code}
            case "learn":
                return {"learned": sim.allone(device.mac).point_code(_code(request))}
            case "emitted":
                return {"emitted": [emission_summary(e) for e in sim.allone(device.mac).emitted]}
        raise ValueError(f"unknown op {op!r}")


def _timer(request: JsonObject, device: VirtualSocket) -> Timer:
    """The timer a `timer` request describes: weekly on `weekdays`, else once on `date`."""
    at = time.fromisoformat(str(request["time"]))
    action = PowerState.ON if request.get("action") else PowerState.OFF
    code = int(request.get("code") or next(c for c in range(1, 0x10000) if c not in device.timers))
    weekdays = [Weekday(int(bit)) for bit in request.get("weekdays") or []]
    if weekdays:
        today = date.today()
        return Timer.weekly(code=code, at=at, weekdays=frozenset(weekdays), action=action, today=today)
    return Timer.once(code=code, at=at, on=date.fromisoformat(str(request["date"])), action=action)


def _key(request: JsonObject) -> str:
    key = request.get("mac") or request.get("ip")
    if not isinstance(key, str):
        raise TypeError("the request needs a socket's mac (or ip)")
    return key


# --- clients ---------------------------------------------------------------------------------


class ControlClient:
    """Asyncio client of the control port; connects on first use. OSError if nothing listens."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_CONTROL_PORT, *, timeout_s: float = 10.0) -> None:
        self.host = require_loopback(host, "control address")
        self.port = port
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def request(self, request: JsonObject) -> JsonObject:
        """Send one request and return the answer; ControlError when `ok` is false."""
        async with self._lock:
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=_LIMIT)
            assert self._reader is not None
            try:
                self._writer.write(json.dumps(request).encode() + b"\n")
                await self._writer.drain()
                line = await asyncio.wait_for(self._reader.readline(), self.timeout_s)
            except BaseException:
                await self._drop()
                raise
            if not line:
                await self._drop()
                raise ConnectionError("the simulator closed the control connection")
        answer: JsonObject = json.loads(line)
        if not answer.get("ok"):
            raise ControlError(answer.get("error", "refused"))
        return answer

    async def close(self) -> None:
        """Close the connection (a later request reconnects)."""
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # Shorthands for the common operations.

    async def sockets(self) -> list[JsonObject]:
        """List the sockets."""
        return list((await self.request({"op": "list"}))["sockets"])

    async def get(self, mac: str) -> JsonObject:
        """Describe one socket."""
        return await self.request({"op": "get", "mac": mac})

    async def press(self, mac: str, *, push: bool = True) -> bool:
        """Press the button (push=False: its pushes are lost); returns the new state."""
        return bool((await self.request({"op": "press", "mac": mac, "push": push}))["state"])

    async def reboot(self, mac: str, *, wait: bool = False) -> None:
        """Power-cycle a socket."""
        await self.request({"op": "reboot", "mac": mac, "wait": wait})

    async def set_online(self, mac: str, online: bool) -> None:
        """Take a socket off Wi-Fi or bring it back."""
        await self.request({"op": "online" if online else "offline", "mac": mac})

    async def move(self, mac: str, ip: str) -> None:
        """Give a socket a new IP."""
        await self.request({"op": "move", "mac": mac, "ip": ip})

    async def add_timer(self, mac: str, **timer: Any) -> int:
        """Store a timer in a socket (the `timer` op's fields); returns its code."""
        return int((await self.request({"op": "timer", "mac": mac, **timer}))["code"])

    async def learn(self, mac: str, code: bytes) -> bool:
        """Point a code at an AllOne; whether it was learning and took it."""
        answer = await self.request({"op": "learn", "mac": mac, "code": base64.b64encode(code).decode("ascii")})
        return bool(answer["learned"])

    async def emitted(self, mac: str) -> list[JsonObject]:
        """Every code an AllOne emitted, oldest first."""
        return list((await self.request({"op": "emitted", "mac": mac}))["emitted"])

    async def set_faults(self, **faults: float) -> JsonObject:
        """Change the network faults (Faults field names, or loss / latency_s)."""
        return dict((await self.request({"op": "faults", **faults}))["faults"])


def control_request(request: JsonObject, host: str = "127.0.0.1", port: int = DEFAULT_CONTROL_PORT, *, timeout_s: float = 10.0) -> JsonObject:
    """Send one request from synchronous code (scripts); ControlError when refused."""
    require_loopback(host, "control address")
    with socket.create_connection((host, port), timeout=timeout_s) as conn:
        conn.sendall(json.dumps(request).encode() + b"\n")
        buffer = b""
        while not buffer.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("the simulator closed the control connection")
            buffer += chunk
    answer: JsonObject = json.loads(buffer)
    if not answer.get("ok"):
        raise ControlError(answer.get("error", "refused"))
    return answer
