"""A real Home Assistant process and a simulator process on the loopback LAN.

Shared by `scripts/demo` (this file run as a script) and `tests/e2e` (imported): a config dir
with the integration and no `default_config:`, a `python -m homeassistant` process, onboarding
through its REST API, REST and WebSocket clients, and `python -m simulator` as a child.

Network safety: HTTP listens on 127.0.0.1, the integration binds 127.0.0.1 and broadcasts to
127.255.255.255 only, Home Assistant's network integration is limited to `lo` (so the mDNS
resolver that any HTTP client session starts joins no LAN multicast group), and nothing that
phones home is configured (no cloud, no analytics consent, no updater, no met/radio_browser:
the onboarding step that would start those is marked done in the store instead of posted).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import contextlib
from dataclasses import dataclass, field
import datetime as dt
import ipaddress
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Self, TextIO

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulator.control import ControlClient  # noqa: E402
from simulator.wifi import AP_HOST  # noqa: E402

DOMAIN = "orvibo_s20"
LOOPBACK_BROADCAST = "127.255.255.255"

type Json = Any  # REST and WebSocket payloads, as Home Assistant sends them


class HarnessError(Exception):
    """Home Assistant or the simulator did not do what the harness needed."""


def require_loopback(host: str) -> str:
    """Return host, or raise HarnessError when it is not a 127.0.0.0/8 address."""
    try:
        if ipaddress.IPv4Address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise HarnessError(f"{host!r} is not a loopback address: everything here stays on 127.0.0.0/8")


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port free on host right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def free_udp_port(host: str = "127.0.0.1") -> int:
    """Return a UDP port free on host right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def tcp_port_in_use(host: str, port: int) -> bool:
    """Return whether something listens on host:port (or the port cannot be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


async def wait_for[T](
    probe: Callable[[], Awaitable[T | None]], *, timeout: float, what: str, interval: float = 0.1
) -> T:
    """Call probe until it returns something other than None or False; HarnessError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


def hass_python() -> str:
    """The interpreter that runs Home Assistant.

    ORVIBO_S20_HASS_PYTHON when set (scripts/_bootstrap.sh points it at a venv holding the
    release to run, e.g. 2026.11.0 while the tests' own venv holds phacc's 2026.10.4), else this one.
    """
    return os.environ.get("ORVIBO_S20_HASS_PYTHON") or sys.executable


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the harness dies, so no Home Assistant is left behind."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes  # noqa: PLC0415 (only in the forked child, Linux only)

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- the config dir ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HassConfig:
    """What the Home Assistant process is given: its config dir, HTTP and the integration's LAN."""

    config_dir: Path
    http_port: int
    udp_port: int  # the simulator's port; the integration binds 127.0.0.1:udp_port
    http_host: str = "127.0.0.1"
    scan_interval_s: float = 900.0
    poll_interval_s: float | None = None  # None: the integration's default (60 s)
    history: bool = True  # recorder + history + logbook (the more-info dialog's graph)
    log_level: str = "info"  # of the integration; the rest logs warnings
    name: str = "Orvibo S20 demo"
    wifi_at_port: int | None = None  # AT port of a simulated Wi-Fi module in AP mode (at AP_HOST)

    @property
    def base_url(self) -> str:
        """The URL of the frontend and the REST API."""
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def log_file(self) -> Path:
        """Home Assistant's own log (it writes home-assistant.log in the config dir)."""
        return self.config_dir / "home-assistant.log"

    def integration_yaml(self) -> dict[str, Any]:
        """The `orvibo_s20:` block: the loopback LAN (see CONFIG_SCHEMA of the integration)."""
        block: dict[str, Any] = {
            "bind_address": "127.0.0.1",
            "port": self.udp_port,
            "broadcast_addresses": [LOOPBACK_BROADCAST],
            "broadcast_listen_address": LOOPBACK_BROADCAST,
            "reuse_address": True,
            "scan_interval": self.scan_interval_s,
        }
        if self.poll_interval_s is not None:
            block["poll_interval"] = self.poll_interval_s
        if self.wifi_at_port is not None:
            block |= {"wifi_module_address": AP_HOST, "wifi_at_port": self.wifi_at_port}
        return block

    def configuration(self) -> dict[str, Any]:
        """configuration.yaml: only what the UI needs, no default_config (its scanners touch the LAN)."""
        config: dict[str, Any] = {
            "homeassistant": {
                "name": self.name,
                "latitude": 0,
                "longitude": 0,
                "elevation": 0,
                "unit_system": "metric",
                "time_zone": "UTC",
                "country": "GB",
                "currency": "GBP",
                "language": "en",
                "internal_url": self.base_url,
            },
            "http": {"server_host": self.http_host, "server_port": self.http_port},
            "frontend": None,
            "config": None,  # Settings → Devices & services, the flows' REST and WS API
            "api": None,
            "websocket_api": None,
            "onboarding": None,
            "logger": {
                "default": "warning",
                "logs": {
                    f"custom_components.{DOMAIN}": self.log_level,
                    # An optional native library for camera snapshots (unused here) logs a
                    # traceback at every start when missing.
                    "homeassistant.components.camera.img_util": "critical",
                    # From 2026.x every start sets up tts (a base platform), which needs ffmpeg;
                    # without the ffmpeg binary (not on this machine) its version probe logs an
                    # error at every start. Nothing here plays media.
                    "haffmpeg.core": "critical",
                },
            },
            DOMAIN: self.integration_yaml(),
        }
        if self.history:
            config |= {"recorder": {"purge_keep_days": 1}, "history": None, "logbook": None}
        return config


def _store(key: str, version: int, data: dict[str, Any], minor_version: int = 1) -> str:
    return json.dumps({"version": version, "minor_version": minor_version, "key": key, "data": data}, indent=2)


# Run with the Home Assistant interpreter: the http store of a release that keeps its HTTP settings
# in storage (2026.11 and later), built by its own schema; nothing on older releases.
_HTTP_STORE_SCRIPT = """
import json, sys
try:
    from homeassistant.components.http import config as c
    from homeassistant.util import dt as dt_util
    schema = c.HTTP_STORAGE_SCHEMA
except (ImportError, AttributeError):
    raise SystemExit(0)
stable = {**schema(json.loads(sys.argv[1])), "created_at": dt_util.utcnow().isoformat(), "error": None, "error_message": None}
data = {c.KEY_STABLE: stable, c.KEY_PENDING: None, c.KEY_YAML_MIGRATION_DONE: True}
print(json.dumps({"version": c.STORAGE_VERSION, "minor_version": c.STORAGE_MINOR_VERSION, "key": c.STORAGE_KEY, "data": data}))
"""


def http_store(http: dict[str, Any]) -> str | None:
    """The `.storage/http` holding these HTTP settings, or None where YAML still sets them.

    Home Assistant 2026.11 moved its HTTP settings from configuration.yaml into storage: YAML is
    imported once as a *pending* config that the browser must confirm within five minutes (a
    dialog over every page) and leaves a "deprecated YAML" repair issue. A store written up front,
    as after a confirmed change, avoids both.
    """
    done = subprocess.run(
        [hass_python(), "-c", _HTTP_STORE_SCRIPT, json.dumps(http)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    if done.returncode != 0:
        raise HarnessError(f"cannot build Home Assistant's http store: {done.stderr[-2000:]}")
    return done.stdout.strip() or None


def write_config_dir(config: HassConfig) -> None:
    """Create a fresh config dir: configuration.yaml, the integration (a symlink) and the stores."""
    directory = config.config_dir
    if directory.exists():
        shutil.rmtree(directory)
    storage = directory / ".storage"
    storage.mkdir(parents=True)
    configuration = config.configuration()
    if (store := http_store(configuration["http"])) is not None:
        (storage / "http").write_text(store)
        del configuration["http"]
    (directory / "configuration.yaml").write_text(
        "# Written by scripts/hass_harness.py; rewritten on every run.\n"
        + yaml.safe_dump(configuration, sort_keys=False)
    )
    (directory / "custom_components").symlink_to(ROOT / "custom_components", target_is_directory=True)
    # Onboarding's core_config step would start met, radio_browser and google_translate flows,
    # which reach the internet: mark it done here; the other steps go through the REST API.
    (storage / "onboarding").write_text(_store("onboarding", 4, {"done": ["core_config"]}))
    # Only `lo`: the zeroconf instance behind every HTTP client session then joins no LAN group.
    (storage / "core.network").write_text(_store("core.network", 1, {"configured_adapters": ["lo"]}))


# --- processes ---------------------------------------------------------------------------------


async def _stop_process(process: asyncio.subprocess.Process, timeout: float) -> int:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \S+ (?P<level>[A-Z]+) ", re.MULTILINE)


def log_records(text: str) -> list[tuple[str, str]]:
    """(level, text) of each record of a home-assistant.log, tracebacks included."""
    starts = list(_RECORD.finditer(text))
    return [
        (match["level"], text[match.start() : following.start() if following else len(text)])
        for match, following in zip(starts, [*starts[1:], None], strict=True)
    ]


class HassProcess:
    """`python -m homeassistant -c <config dir> --skip-pip` as a child process.

    Restartable on the same config dir: every start appends to console.log, and the log of the
    run before is kept as home-assistant.run<N>.log (Home Assistant itself keeps only one old
    log, home-assistant.log.1), so `logs` covers every run.
    """

    def __init__(self, config: HassConfig) -> None:
        self.config = config
        self.process: asyncio.subprocess.Process | None = None
        self.console_log = config.config_dir / "console.log"
        self.starts = 0
        self._console: TextIO | None = None

    @property
    def pid(self) -> int:
        """The running process's id; HarnessError when none runs."""
        if self.process is None:
            raise HarnessError("Home Assistant is not running")
        return self.process.pid

    @property
    def logs(self) -> list[Path]:
        """home-assistant.log of every run so far, oldest first (the current one last)."""
        archived = [self._run_log(run) for run in range(1, self.starts)]
        return [path for path in (*archived, self.config.log_file) if path.exists()]

    def _run_log(self, run: int) -> Path:
        return self.config.config_dir / f"home-assistant.run{run}.log"

    async def start(self) -> None:
        """Start the process (its console output goes to console.log in the config dir)."""
        if self.process is not None:
            raise HarnessError("Home Assistant is already running")
        if tcp_port_in_use(self.config.http_host, self.config.http_port):
            raise HarnessError(f"{self.config.http_host}:{self.config.http_port} is in use (set another port)")
        if self.starts and self.config.log_file.exists():
            self.config.log_file.replace(self._run_log(self.starts))
        self.starts += 1
        self._console = self.console_log.open("a")
        self._console.write(f"--- start {self.starts} ---\n")
        self._console.flush()
        self.process = await asyncio.create_subprocess_exec(
            hass_python(), "-m", "homeassistant", "-c", str(self.config.config_dir), "--skip-pip",
            stdin=subprocess.DEVNULL, stdout=self._console, stderr=subprocess.STDOUT,
            cwd=self.config.config_dir, start_new_session=True, preexec_fn=_die_with_parent,
        )

    def check_alive(self) -> None:
        if self.process is None or self.process.returncode is not None:
            code = None if self.process is None else self.process.returncode
            raise HarnessError(f"Home Assistant exited ({code}):\n{_tail(self.console_log)}")

    async def wait_until_up(self, session: aiohttp.ClientSession, timeout: float = 120.0) -> None:
        """Wait until Home Assistant's HTTP API answers, before onboarding and after it.

        GET /auth/providers needs no login and answers 400 until onboarding is done, 200 after.
        Not /api/onboarding (served only until onboarding is done, so a restarted instance would
        never look up), nor a 401 from /api/ (each one is logged as a failed login and leaves a
        "Login attempt failed" notification in the UI).
        """

        async def probe() -> bool:
            self.check_alive()
            try:
                async with session.get(f"{self.config.base_url}/auth/providers") as response:
                    return response.status in (200, 400)
            except aiohttp.ClientError:
                return False

        await wait_for(probe, timeout=timeout, what="Home Assistant's HTTP API", interval=0.1)

    async def stop(self, timeout: float = 30.0) -> int | None:
        """Stop Home Assistant (SIGTERM: a clean shutdown; SIGKILL after timeout)."""
        code = None
        if self.process is not None:
            code = await _stop_process(self.process, timeout)
        self._exited()
        return code

    async def kill(self) -> int | None:
        """Kill Home Assistant with SIGKILL, as a crash or a pulled plug would (no shutdown)."""
        code = None
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            code = await self.process.wait()
        self._exited()
        return code

    def _exited(self) -> None:
        self.process = None
        if self._console is not None:
            self._console.close()
            self._console = None


@dataclass(frozen=True, slots=True)
class SimSocket:
    """One virtual socket as the simulator announced it."""

    ip: str
    mac: str
    name: str


class SimulatorProcess:
    """`python -m simulator` with a control port, as a child process."""

    def __init__(
        self, *, udp_port: int, control_port: int, sockets: int = 3, log_file: Path, args: Sequence[str] = ()
    ) -> None:
        self.udp_port = udp_port
        self.control_port = control_port
        self.count = sockets
        self.log_file = log_file
        self.args = tuple(args)
        self.process: asyncio.subprocess.Process | None = None
        self.sockets: list[SimSocket] = []
        self.control = ControlClient("127.0.0.1", control_port)
        self._log: TextIO | None = None

    async def start(self, timeout: float = 20.0) -> list[SimSocket]:
        """Start the simulator and return its sockets (from the lines it prints)."""
        self._log = self.log_file.open("w")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulator", "--port", str(self.udp_port), "--sockets", str(self.count),
            "--control", f"127.0.0.1:{self.control_port}", *self.args,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
            cwd=ROOT, start_new_session=True, preexec_fn=_die_with_parent,
        )
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                while len(self.sockets) < self.count:
                    line = (await self.process.stdout.readline()).decode()
                    if not line:
                        raise HarnessError(f"the simulator exited:\n{_tail(self.log_file)}")
                    ip, mac, *name = line.split(maxsplit=2)
                    self.sockets.append(SimSocket(ip=ip, mac=mac, name=" ".join(name).strip()))
        except TimeoutError as err:
            raise HarnessError(f"the simulator did not start:\n{_tail(self.log_file)}") from err
        return self.sockets

    async def state(self, mac: str) -> dict[str, Any]:
        """The socket's true state (the control port's `get`)."""
        return await self.control.get(mac)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the simulator."""
        await self.control.close()
        if self.process is not None:
            await _stop_process(self.process, timeout)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


# --- onboarding, REST and WebSocket --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Login:
    """The admin user that onboarding creates."""

    username: str = "demo"
    password: str = "demo-s20"
    name: str = "Demo"


class HassApi:
    """Home Assistant's REST API with a Bearer token."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self.session = session
        self.base_url = base_url
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, payload: Json = None, *, expect: int = 200) -> Json:
        """Send one request; HarnessError unless the status is `expect`."""
        async with self.session.request(
            method, f"{self.base_url}{path}", json=payload, headers=self.headers
        ) as response:
            text = await response.text()
            if response.status != expect:
                raise HarnessError(f"{method} {path} → {response.status}: {text[:500]}")
            return json.loads(text) if text and response.content_type == "application/json" else text

    async def get(self, path: str) -> Json:
        """GET path."""
        return await self.request("GET", path)

    async def post(self, path: str, payload: Json = None, *, expect: int = 200) -> Json:
        """POST a JSON body to path."""
        return await self.request("POST", path, {} if payload is None else payload, expect=expect)

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """The entity's state object, None when it has none."""
        async with self.session.get(f"{self.base_url}/api/states/{entity_id}", headers=self.headers) as response:
            if response.status == 404:
                return None
            if response.status != 200:
                raise HarnessError(f"GET /api/states/{entity_id} → {response.status}")
            state: dict[str, Any] = await response.json()
            return state

    async def call_service(self, domain: str, service: str, data: dict[str, Any], *, response: bool = False) -> Json:
        """POST /api/services/<domain>/<service> (?return_response when response is asked for)."""
        query = "?return_response" if response else ""
        return await self.post(f"/api/services/{domain}/{service}{query}", data)


def _redirect_uri(base_url: str) -> str:
    return f"{base_url}/?auth_callback=1"  # what the frontend uses with client_id base_url + "/"


async def onboard(session: aiohttp.ClientSession, base_url: str, login: Login) -> HassApi:
    """Finish onboarding over REST (user, analytics without consent, integration); return the API.

    Fails unless every step ends up done, so a half-onboarded instance (discovery flows that
    create entries without asking) is never mistaken for a ready one.
    """
    client_id = f"{base_url}/"
    async with session.post(
        f"{base_url}/api/onboarding/users",
        json={"client_id": client_id, "name": login.name, "username": login.username,
              "password": login.password, "language": "en"},
    ) as response:
        if response.status != 200:
            raise HarnessError(f"onboarding user step → {response.status}: {await response.text()}")
        auth_code = (await response.json())["auth_code"]
    tokens = await fetch_token(session, base_url, grant_type="authorization_code", code=auth_code)
    api = HassApi(session, base_url, tokens["access_token"])
    await api.post("/api/onboarding/analytics")
    await api.post("/api/onboarding/integration", {"client_id": client_id, "redirect_uri": _redirect_uri(base_url)})
    async with session.get(f"{base_url}/api/onboarding") as response:
        steps = await response.json()
    if not all(step["done"] for step in steps):
        raise HarnessError(f"onboarding not done: {steps}")
    return api


async def fetch_token(session: aiohttp.ClientSession, base_url: str, **form: str) -> dict[str, Any]:
    """POST /auth/token (form-encoded, as the frontend does)."""
    async with session.post(f"{base_url}/auth/token", data={"client_id": f"{base_url}/", **form}) as response:
        if response.status != 200:
            raise HarnessError(f"/auth/token → {response.status}: {await response.text()}")
        tokens: dict[str, Any] = await response.json()
        return tokens


async def log_in(session: aiohttp.ClientSession, base_url: str, login: Login) -> HassApi:
    """Log in as the frontend does (login flow → code → token); proves the printed login works."""
    client_id = f"{base_url}/"
    async with session.post(
        f"{base_url}/auth/login_flow",
        json={"client_id": client_id, "handler": ["homeassistant", None], "redirect_uri": _redirect_uri(base_url)},
    ) as response:
        flow = await response.json()
    async with session.post(
        f"{base_url}/auth/login_flow/{flow['flow_id']}",
        json={"client_id": client_id, "username": login.username, "password": login.password},
    ) as response:
        result = await response.json()
    if result.get("type") != "create_entry":
        raise HarnessError(f"login refused: {result}")
    tokens = await fetch_token(session, base_url, grant_type="authorization_code", code=result["result"])
    return HassApi(session, base_url, tokens["access_token"])


class HassWebSocket:
    """Home Assistant's WebSocket API: commands with ids, and event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 1
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, api: HassApi) -> AsyncIterator[Self]:
        """Connect and authenticate; close on exit."""
        url = api.base_url.replace("http://", "ws://", 1) + "/api/websocket"
        async with api.session.ws_connect(url) as ws:
            if (await ws.receive_json())["type"] != "auth_required":
                raise HarnessError("no auth_required from the WebSocket API")
            await ws.send_json({"type": "auth", "access_token": api.token})
            answer = await ws.receive_json()
            if answer["type"] != "auth_ok":
                raise HarnessError(f"WebSocket auth failed: {answer}")
            client = cls(ws)
            client._reader = asyncio.create_task(client._read(), name="hass websocket reader")
            try:
                yield client
            finally:
                await ws.close()
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            for item in data if isinstance(data, list) else [data]:  # HA may coalesce messages
                if item["type"] == "event" and item["id"] in self._events:
                    self._events[item["id"]].put_nowait(item["event"])
                elif (future := self._pending.pop(item["id"], None)) is not None and not future.done():
                    future.set_result(item)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HarnessError("the WebSocket closed"))

    async def command(self, command_type: str, timeout: float = 30.0, **fields: Any) -> Json:
        """Send a command and return its result; HarnessError when it fails."""
        message_id = self._next_id
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._ws.send_json({"id": message_id, "type": command_type, **fields})
        answer = await asyncio.wait_for(future, timeout)
        if not answer.get("success"):
            raise HarnessError(f"{command_type} failed: {answer.get('error')}")
        return answer.get("result")

    async def subscribe_events(self, event_type: str) -> asyncio.Queue[dict[str, Any]]:
        """Subscribe to an event type; events arrive on the returned queue."""
        message_id = self._next_id
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[message_id] = queue  # before the answer: no event can slip past
        await self.command("subscribe_events", event_type=event_type)
        return queue

    # Conveniences for this integration.

    async def discovered_flows(self) -> list[dict[str, Any]]:
        """The integration's discovery flows in progress (Settings → Devices & services → Discovered)."""
        flows = await self.command("config_entries/flow/progress")
        return [flow for flow in flows if flow["handler"] == DOMAIN]

    async def outlet_entity_id(self, mac: str, key: str = "power") -> str | None:
        """The entity id of the socket's power switch (unique id `<mac>_power`), or of another
        entity of a device by its key (an AllOne's `remote`)."""
        for entry in await self.command("config/entity_registry/list"):
            if entry["platform"] == DOMAIN and entry["unique_id"] == f"{mac}_{key}":
                return str(entry["entity_id"])
        return None

    async def device(self, mac: str) -> dict[str, Any] | None:
        """The socket's device registry entry."""
        for device in await self.command("config/device_registry/list"):
            if [DOMAIN, mac] in device["identifiers"]:
                return dict(device)
        return None


async def wait_for_state(
    api: HassApi, entity_id: str, accept: Callable[[str], bool], *, timeout: float, what: str
) -> dict[str, Any]:
    """Poll the REST state of entity_id until accept(state) is true."""

    async def probe() -> dict[str, Any] | None:
        state = await api.state(entity_id)
        return state if state is not None and accept(state["state"]) else None

    return await wait_for(probe, timeout=timeout, what=what, interval=0.1)


async def confirm_flow(api: HassApi, flow_id: str) -> dict[str, Any]:
    """Confirm a discovered socket (the discovery_confirm step takes no input); return the entry."""
    result = await api.post(f"/api/config/config_entries/flow/{flow_id}", {})
    if result.get("type") != "create_entry":
        raise HarnessError(f"confirming {flow_id} did not create an entry: {result}")
    entry: dict[str, Any] = result["result"]
    return entry


async def wait_for_discovered(
    ws: HassWebSocket, macs: Sequence[str], *, timeout: float
) -> dict[str, dict[str, Any]]:
    """Wait until a discovery flow is waiting for each MAC; return them by MAC."""

    async def probe() -> dict[str, dict[str, Any]] | None:
        flows = {flow["context"].get("unique_id"): flow for flow in await ws.discovered_flows()}
        return flows if all(mac in flows for mac in macs) else None

    return await wait_for(probe, timeout=timeout, what=f"discovery flows for {', '.join(macs)}", interval=0.25)


# --- the whole stage, for the demo and the e2e test ------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Stage:
    """A running Home Assistant (onboarded) and a running simulator."""

    config: HassConfig
    login: Login
    session: aiohttp.ClientSession
    hass: HassProcess
    simulator: SimulatorProcess
    api: HassApi | None = None
    version: str = ""  # of the running Home Assistant, once booted
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    @contextlib.asynccontextmanager
    async def run(
        cls, config: HassConfig, *, login: Login | None = None, control_port: int | None = None,
        sockets: int = 3, simulator_args: Sequence[str] = ("--announce",),
    ) -> AsyncIterator[Self]:
        """Boot Home Assistant, onboard it, then start the simulator; stop both on exit.

        The simulator starts only after onboarding: before it, discovered sockets would be
        added without confirmation (as wiz does), and the stage wants flows to confirm.
        """
        require_loopback(config.http_host)
        write_config_dir(config)
        async with aiohttp.ClientSession() as session:
            stage = cls(
                config=config,
                login=login or Login(),
                session=session,
                hass=HassProcess(config),
                simulator=SimulatorProcess(
                    udp_port=config.udp_port, control_port=control_port or free_tcp_port(), sockets=sockets,
                    log_file=config.config_dir / "simulator.log", args=simulator_args,
                ),
            )
            try:
                yield stage
            finally:
                await stage.hass.stop()
                await stage.simulator.stop()

    async def boot(self) -> HassApi:
        """Start Home Assistant and onboard it (the simulator is not running yet)."""
        started = time.monotonic()
        await self.hass.start()
        await self.hass.wait_until_up(self.session)
        self.timings["http_up_s"] = time.monotonic() - started
        await wait_for(self._onboarding_served, timeout=60, what="the onboarding API", interval=0.1)
        self.api = await onboard(self.session, self.config.base_url, self.login)
        api = self.api

        async def running() -> bool:
            self.hass.check_alive()
            config = await api.get("/api/config")
            self.version = str(config["version"])
            return bool(config["state"] == "RUNNING")

        await wait_for(running, timeout=120, what="Home Assistant to finish starting", interval=0.25)
        self.timings["running_s"] = time.monotonic() - started
        return api

    async def _onboarding_served(self) -> bool:
        """Whether GET /api/onboarding answers (a fresh instance registers it with the API or soon after)."""
        self.hass.check_alive()
        async with self.session.get(f"{self.config.base_url}/api/onboarding") as response:
            return response.status == 200

    async def start_simulator(self) -> list[SimSocket]:
        """Start the simulated sockets."""
        return await self.simulator.start()


# --- the demo ------------------------------------------------------------------------------------


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _demo_config() -> tuple[HassConfig, int, Login]:
    host = require_loopback(os.environ.get("DEMO_HOST", "127.0.0.1"))
    config = HassConfig(
        config_dir=Path(os.environ.get("DEMO_DIR", ROOT / ".demo")) / "config",
        http_host=host,
        http_port=_env_int("DEMO_PORT", 8123),
        udp_port=_env_int("DEMO_UDP_PORT", 0) or free_udp_port(),
        # A socket added from the control port shows up under Discovered within this.
        scan_interval_s=float(os.environ.get("DEMO_SCAN_INTERVAL", "15")),
        poll_interval_s=None,
    )
    login = Login(
        username=os.environ.get("DEMO_USER", "demo"),
        password=os.environ.get("DEMO_PASSWORD", "demo-s20"),
        name="Demo",
    )
    return config, _env_int("DEMO_CONTROL_PORT", 8765), login


# The demo's timers (the socket's local time, which the integration keeps at Home Assistant's zone).
DEMO_WEEKLY_AT = "06:30"
DEMO_ONCE_AT = "22:00"
# An IR code to point at the demo's AllOne (any bytes do for the simulator).
DEMO_IR_CODE = "AAAAAJgAAAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxg="
_WEEKDAY_BITS = (1, 2, 4, 8, 16)  # Monday … Friday (PROTOCOL.md §3.7)


async def add_demo_timers(control: ControlClient, mac: str) -> None:
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    await control.add_timer(mac, time=DEMO_WEEKLY_AT, action=True, weekdays=list(_WEEKDAY_BITS))
    await control.add_timer(mac, time=DEMO_ONCE_AT, action=False, date=tomorrow.isoformat())


def calendar_id(switch_id: str) -> str:
    """The socket's schedule calendar (named after the device, like its switch)."""
    return switch_id.replace("switch.", "calendar.", 1) + "_schedule"


async def check_demo_calendar(api: HassApi, calendar: str) -> None:
    """The calendar API lists the one-off timer and the weekly one over the coming week."""
    start = dt.datetime.now(dt.UTC)
    end = start + dt.timedelta(days=8)
    events = await api.get(f"/api/calendars/{calendar}?start={start:%Y-%m-%dT%H:%M:%SZ}&end={end:%Y-%m-%dT%H:%M:%SZ}")
    summaries = [event["summary"] for event in events] if isinstance(events, list) else []
    if summaries.count("Switch off") != 1 or summaries.count("Switch on") < 4:
        raise HarnessError(f"{calendar} does not show the demo's timers: {events}")


def _print_summary(
    stage: Stage, entry_socket: SimSocket, entity_id: str, discovered: list[SimSocket], allone: SimSocket, remote_id: str
) -> None:
    config = stage.config
    control = stage.simulator.control_port
    press_entry = json.dumps({"op": "press", "mac": entry_socket.mac})
    learn = json.dumps({"op": "learn", "mac": allone.mac, "code": DEMO_IR_CODE})
    print(f"""
Home Assistant {stage.version} with {len(stage.simulator.sockets)} simulated Orvibo S20 sockets (loopback LAN only)

  Open      {config.base_url}
  Login     user {stage.login.username!r}, password {stage.login.password!r}

  Added     {entry_socket.name} ({entry_socket.ip}, {entry_socket.mac}) → {entity_id}: toggle it on the dashboard
  Calendar  {calendar_id(entity_id)}: its timers (weekdays {DEMO_WEEKLY_AT} on, tomorrow {DEMO_ONCE_AT} off) in the Calendar panel
  AllOne    {allone.name} ({allone.ip}, {allone.mac}) → {remote_id}: call remote.learn_command (device, command),
            then point a code at it:  echo '{learn}' | nc -q1 127.0.0.1 {control}
  Discovered (Settings → Devices & services → Discovered → Add):
{"".join(f"            {s.name} ({s.ip}, {s.mac}){chr(10)}" for s in discovered)}
  Simulator UDP port {config.udp_port}, control port 127.0.0.1:{control} (JSON lines, see simulator/control.py)
  Press {entry_socket.name}'s button from a shell (run in {ROOT}); the dashboard follows at once:

    {Path(sys.executable).relative_to(ROOT, walk_up=True)} -c 'from simulator.control import control_request as c; print(c({press_entry}, port={control}))'

  or with netcat:  echo '{press_entry}' | nc -q1 127.0.0.1 {control}
  Other ops: "offline" / "online" (unavailable after 20 s of silence, back within seconds), "reboot", "get", "list".

  Logs      {config.log_file}
            {stage.simulator.log_file}
Press Ctrl-C to stop.""", flush=True)


async def run_demo(*, check: bool) -> int:
    """Boot the demo; with check, exit 0 once everything is ready, else run until Ctrl-C."""
    config, control_port, login = _demo_config()
    stop = asyncio.Event()
    main_task = asyncio.current_task()
    assert main_task is not None
    ready = False

    def on_signal() -> None:
        stop.set()
        if not ready:
            main_task.cancel()  # still booting: stop at once (the stage cleans up)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    print(f"Starting Home Assistant in {config.config_dir} …", flush=True)
    async with Stage.run(config, login=login, control_port=control_port) as stage:
        started = time.monotonic()
        api = await stage.boot()
        sockets = await stage.start_simulator()
        # An AllOne beside the sockets (added below, like the first socket).
        added = await stage.simulator.control.request({"op": "add", "kind": "allone"})
        allone = SimSocket(ip=str(added["ip"]), mac=str(added["mac"]), name=f"AllOne {str(added['mac']).replace(':', '')[-6:].upper()}")
        async with HassWebSocket.connect(api) as ws:
            flows = await wait_for_discovered(
                ws, [s.mac for s in (*sockets, allone)], timeout=config.scan_interval_s + 30
            )
            first, rest = sockets[0], sockets[1:]
            # Two timers, set as the vendor app would before the socket is added, so the
            # calendar shows something: weekdays at 06:30 on, and tomorrow at 22:00 off.
            await add_demo_timers(stage.simulator.control, first.mac)
            await confirm_flow(api, flows[first.mac]["flow_id"])
            entity_id = await wait_for(
                lambda: ws.outlet_entity_id(first.mac), timeout=30, what=f"the switch of {first.name}"
            )
            await confirm_flow(api, flows[allone.mac]["flow_id"])
            remote_id = await wait_for(
                lambda: ws.outlet_entity_id(allone.mac, "remote"), timeout=30, what="the AllOne's remote"
            )
        await wait_for_state(api, entity_id, lambda s: s in ("on", "off"), timeout=30, what=f"{entity_id} available")
        # The login the user is told about really works (the frontend's login flow), and the
        # frontend is served.
        await log_in(stage.session, config.base_url, login)
        async with stage.session.get(f"{config.base_url}/") as response:
            page = await response.text()
        if response.status != 200 or "<home-assistant" not in page:
            raise HarnessError(f"the frontend is not served at {config.base_url}/ ({response.status})")
        if check:
            # What the summary tells the user to try: a button press shows in Home Assistant.
            relay = await stage.simulator.control.press(first.mac)
            shown = "on" if relay else "off"
            await wait_for_state(api, entity_id, shown.__eq__, timeout=5, what="the example press to show")
            await check_demo_calendar(api, calendar_id(entity_id))
            # The AllOne emits a raw code Home Assistant sends, confirmed by its ack.
            await api.call_service("remote", "send_command", {"entity_id": remote_id, "command": f"b64:{DEMO_IR_CODE}"})
            emitted = await stage.simulator.control.emitted(allone.mac)
            if [e["code"] for e in emitted] != [DEMO_IR_CODE]:
                raise HarnessError(f"the AllOne emitted {emitted}, not the demo's code")
        _print_summary(stage, first, entity_id, rest, allone, remote_id)
        print(f"Ready in {time.monotonic() - started:.1f} s.", flush=True)
        ready = True
        if not check:
            stopper = asyncio.create_task(stop.wait())
            watchers = [asyncio.create_task(p.wait()) for p in (stage.hass.process, stage.simulator.process) if p]
            await asyncio.wait([stopper, *watchers], return_when=asyncio.FIRST_COMPLETED)
            for task in (stopper, *watchers):
                task.cancel()
            if not stop.is_set():
                print("A child process exited; stopping.", file=sys.stderr)
                return 1
        print("Stopping Home Assistant and the simulator …", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of scripts/demo."""
    parser = argparse.ArgumentParser(description="A real Home Assistant with simulated S20 sockets.")
    parser.add_argument("--check", action="store_true", help="exit 0 once everything is ready (CI)")
    args = parser.parse_args(argv)
    check = args.check or os.environ.get("DEMO_EXIT_AFTER_READY") == "1"
    try:
        return asyncio.run(run_demo(check=check))
    except HarnessError as err:
        print(f"demo: {err}", file=sys.stderr)
        return 1
    except asyncio.CancelledError:
        print("demo: stopped before it was ready", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
