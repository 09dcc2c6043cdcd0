"""Put a new S20 on Wi-Fi: the AP-mode AT dialogue, SmartLink broadcasts, then the socket's defaults.

Theory of operation (PROTOCOL.md §5):

* **AP mode** (`provision_ap`). This host has joined the socket's open `WiWo-S20` network.
  One UDP socket on an ephemeral port talks to the module at 10.10.100.254:48899, which
  answers to the sender's port. `HF-A11ASSISTHREAD` finds the module (its reply gives the
  MAC, which is the socket's), `+ok` enters command mode, then each AT command waits for
  its own `+ok`. Replies carry no id, so stale datagrams are drained before each command.
  When a reply does not come in `reply_timeout_s`, the datagram or its reply was lost, or
  the module left command mode: the driver repeats the handshake and the command (the
  commands are idempotent), `attempts` times in all, all under one `timeout_s`. `+ERR=<code>`
  is final: the module checked the value and said no. `AT+Z` has no reply (the module
  reboots), so it is sent twice, which a module that already rebooted never sees.
* **SmartLink** (`provision_smartlink`). This host is on the target network. Rounds of
  payload lengths (`smartlink.py`) are broadcast to UDP 49999 while a second socket, bound
  to the wildcard or the broadcast address on 49999 so it hears broadcasts, waits for the
  socket's `smart_config <MAC>` beacon; the beacon's source address is the socket's new IP.
  Sending stops at the first beacon, at the deadline or when the caller cancels the task.
* **Afterwards** (`complete_pairing`). The socket takes up to a minute to join the network.
  `wait_for_new_socket` listens for its `qa` announcements on the shared endpoint and scans
  meanwhile (`qg` for a known MAC, a unicast `qa` to a known IP); then `apply_defaults` sets
  the clock, the time zone and, if given, the name, which a fresh socket lacks.

The Wi-Fi key is sent, never logged: every AT line goes through `at.redact()` first, errors
name the command, not its arguments, and `WifiCredentials` keeps the key out of its repr.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import errno
from enum import StrEnum
import logging
import socket

from ..client import ClientTiming, DiscoveredSocket, S20Client, S20Endpoint
from ..protocol import (
    AT_PORT,
    SMARTLINK_PORT,
    DiscoverMacRequest,
    DiscoverRequest,
    DiscoveryReply,
    EncodeError,
    EndpointError,
    Mac,
    PairingError,
    PowerState,
    encode_name,
)
from .at import (
    AP_MODULE_HOST,
    ASSIST_REQUEST,
    COMMAND_MODE_ACK,
    AtReply,
    ModuleInfo,
    ModuleRefusedError,
    WifiCredentials,
    check_ssid,
    command_name,
    parse_assist_reply,
    parse_reply,
    redact,
    restart_command,
    set_key_command,
    set_ssid_command,
    set_station_mode_command,
)
from . import smartlink

_LOGGER = logging.getLogger(__name__)

# AP mode. Peers wait 2 s (GP) or 3 s with 2 retransmissions and 60 s overall (AV); the module
# answers within milliseconds on its own network, so 1 s per try keeps a lost datagram cheap.
AT_REPLY_TIMEOUT_S = 1.0
AT_ATTEMPTS = 3
AP_TIMEOUT_S = 30.0
RESTART_SENDS = 2
RESTART_GAP_S = 0.1

# SmartLink: the vendor app gives up after about a minute; the capture confirmed after 13 s.
SMARTLINK_TIMEOUT_S = 60.0
DEFAULT_BROADCAST = "255.255.255.255"
_BEHIND_RESET_S = 0.05  # after a stall, restart the schedule rather than burst to catch up

# After AT+Z the socket reboots and joins the network in ~1 min (PROTOCOL.md §5.2).
JOIN_TIMEOUT_S = 120.0
SCAN_INTERVAL_S = 3.0

_AP_QUEUE_SIZE = 64


class PairingStep(StrEnum):
    """Steps reported to the progress callback (also the reason of a timeout)."""

    FIND_MODULE = "find_module"
    SET_SSID = "set_ssid"
    SET_KEY = "set_key"
    SET_MODE = "set_mode"
    RESTART = "restart"
    SMARTLINK = "smartlink"
    CONFIRMED = "confirmed"
    WAIT_FOR_SOCKET = "wait_for_socket"
    SOCKET_FOUND = "socket_found"
    SET_CLOCK = "set_clock"
    SET_TIMEZONE = "set_timezone"
    RENAME = "rename"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """One progress report; SmartLink reports carry the round, group and share of its time."""

    step: PairingStep
    round: int | None = None
    group: int | None = None
    fraction: float | None = None


type ProgressCallback = Callable[[Progress], None]

# The steps a pairing reports, in order: the module's part for each method, then the socket's
# own on the LAN (`complete_pairing`).
JOIN_STEPS = (
    PairingStep.WAIT_FOR_SOCKET,
    PairingStep.SOCKET_FOUND,
    PairingStep.SET_CLOCK,
    PairingStep.SET_TIMEZONE,
    PairingStep.RENAME,
    PairingStep.DONE,
)
AP_STEPS = (
    PairingStep.FIND_MODULE,
    PairingStep.SET_SSID,
    PairingStep.SET_KEY,
    PairingStep.SET_MODE,
    PairingStep.RESTART,
    *JOIN_STEPS,
)
SMARTLINK_STEPS = (PairingStep.SMARTLINK, PairingStep.CONFIRMED, *JOIN_STEPS)


def share_done(steps: Sequence[PairingStep], report: Progress) -> float | None:
    """How much of a pairing through steps is done when report comes, 0–1 (a progress bar).

    Each step has an equal part of the bar; a SmartLink report moves within its step by the
    share of the step's time gone. None for a step not in steps.
    """
    if report.step not in steps:
        return None
    return min(1.0, (steps.index(report.step) + (report.fraction or 0.0)) / (len(steps) - 1))


class PairingTimeoutError(PairingError, TimeoutError):
    """The module or the socket did not answer in time; `step` says where it stopped."""

    def __init__(self, message: str, *, step: PairingStep) -> None:
        super().__init__(message)
        self.step = step


@dataclass(frozen=True, slots=True, kw_only=True)
class ApResult:
    """The module that took the settings in AP mode (its LAN IP comes later, by DHCP)."""

    mac: Mac
    module_host: str
    module: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SmartLinkResult:
    """The socket that confirmed SmartLink: its MAC and its new IP on the network."""

    mac: Mac
    host: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PairedSocket:
    """A paired socket, found on the LAN with its defaults set."""

    mac: Mac
    host: str
    product_id: str
    name: str | None


def _report(
    progress: ProgressCallback | None,
    step: PairingStep,
    *,
    round_: int | None = None,
    group: int | None = None,
    fraction: float | None = None,
) -> None:
    if progress is not None:
        progress(Progress(step=step, round=round_, group=group, fraction=fraction))


# --- UDP plumbing ------------------------------------------------------------------------------


def _udp_socket(host: str, port: int, *, reuse: bool = False) -> socket.socket:
    """Return a bound non-blocking UDP socket allowed to broadcast; EndpointError if binding fails."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        in_use = err.errno in (errno.EADDRINUSE, errno.EACCES)
        reason = "is already in use by another program" if in_use else f"cannot be used: {err.strerror}"
        raise EndpointError(f"UDP {host}:{port} {reason}", host=host, port=port, in_use=in_use) from err
    return sock


class _Inbox(asyncio.DatagramProtocol):
    """Queue what arrives; a full queue drops (a flood must not grow memory)."""

    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue(size)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self.queue.put_nowait((data, addr[0]))
        except asyncio.QueueFull:
            pass

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("UDP error: %s", exc)


# --- AP mode -----------------------------------------------------------------------------------


def _is_broadcast(host: str) -> bool:
    # 255.255.255.255 or a /24 subnet broadcast such as 10.10.100.255 (GP's choice, §5.2).
    return host.endswith(".255")


class _AtSession:
    """One conversation with the module's AT port: handshake, commands, restart."""

    def __init__(
        self,
        transport: asyncio.DatagramTransport,
        inbox: _Inbox,
        target: tuple[str, int],
        *,
        reply_timeout_s: float,
        attempts: int,
        secret: str,
    ) -> None:
        self._transport = transport
        self._inbox = inbox
        self._target = target
        self._module_host: str | None = None
        self._reply_timeout_s = reply_timeout_s
        self._attempts = attempts
        self._secret = secret

    @property
    def module_addr(self) -> tuple[str, int]:
        """Where commands go: the module that answered the handshake, else the target."""
        return (self._module_host or self._target[0], self._target[1])

    def _send(self, data: bytes) -> None:
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug("%s:%d <- %s", *self.module_addr, redact(data, self._secret))
        self._transport.sendto(data, self.module_addr)

    def _drain(self) -> None:
        while not self._inbox.queue.empty():
            self._inbox.queue.get_nowait()

    async def _receive(self, deadline: float) -> tuple[bytes, str] | None:
        loop = asyncio.get_running_loop()
        remaining = deadline - loop.time()
        if remaining <= 0:
            return None
        try:
            data, host = await asyncio.wait_for(self._inbox.queue.get(), remaining)
        except TimeoutError:
            return None
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug("%s -> %s", host, redact(data, self._secret))
        return data, host

    async def handshake(self) -> ModuleInfo | None:
        """Send the assist string, await `IP,MAC,MODULE` and enter command mode; None on silence."""
        self._drain()
        self._send(ASSIST_REQUEST)
        deadline = asyncio.get_running_loop().time() + self._reply_timeout_s
        while (received := await self._receive(deadline)) is not None:
            data, host = received
            info = parse_assist_reply(data)
            if info is None:
                continue  # a late AT reply, or someone else's traffic
            if self._module_host is None:
                if host != self._target[0] and not _is_broadcast(self._target[0]):
                    continue
                self._module_host = host
            elif host != self._module_host:
                continue
            self._send(COMMAND_MODE_ACK)
            return info
        return None

    async def find_module(self) -> ModuleInfo:
        """Handshake, trying `attempts` times."""
        for attempt in range(self._attempts):
            if attempt:
                _LOGGER.debug("No answer from the Wi-Fi module at %s:%d, attempt %d", *self._target, attempt + 1)
            if (info := await self.handshake()) is not None:
                _LOGGER.debug("%s: Wi-Fi module %s at %s", info.mac, info.module, self._module_host)
                return info
        raise PairingTimeoutError(
            f"no Wi-Fi module answered at {self._target[0]}:{self._target[1]}; is the socket blinking blue "
            f"fast and is this computer connected to its WiWo-S20 network?",
            step=PairingStep.FIND_MODULE,
        )

    async def _await_reply(self) -> AtReply | None:
        deadline = asyncio.get_running_loop().time() + self._reply_timeout_s
        while (received := await self._receive(deadline)) is not None:
            data, host = received
            if host == self._module_host and (reply := parse_reply(data)) is not None:
                return reply
        return None

    async def command(self, step: PairingStep, command: bytes) -> None:
        """Send one AT command until the module answers `+ok`; raise on `+ERR` or silence."""
        name = command_name(command)
        for attempt in range(self._attempts):
            if attempt:
                _LOGGER.debug("No answer to %s, attempt %d", name, attempt + 1)
                # The command, its reply or our `+ok` was lost: enter command mode again.
                if await self.handshake() is None:
                    continue
                # A module still in command mode might answer that `+ok` with an error:
                # let such a reply arrive and drop it before the command.
                await asyncio.sleep(min(0.05, self._reply_timeout_s / 4))
            self._drain()
            self._send(command)
            reply = await self._await_reply()
            if reply is None:
                continue
            if not reply.ok:
                raise ModuleRefusedError(name, reply.code)
            return
        raise PairingTimeoutError(f"the Wi-Fi module stopped answering ({name})", step=step)

    async def restart(self) -> None:
        """Send `AT+Z` (no reply: the module reboots); twice, in case the first is lost."""
        for number in range(RESTART_SENDS):
            if number:
                await asyncio.sleep(min(RESTART_GAP_S, self._reply_timeout_s / 4))
            self._send(restart_command())


async def provision_ap(
    credentials: WifiCredentials,
    *,
    target: tuple[str, int] = (AP_MODULE_HOST, AT_PORT),
    local_addr: tuple[str, int] = ("0.0.0.0", 0),
    progress: ProgressCallback | None = None,
    timeout_s: float = AP_TIMEOUT_S,
    reply_timeout_s: float = AT_REPLY_TIMEOUT_S,
    attempts: int = AT_ATTEMPTS,
) -> ApResult:
    """Give the socket's module (AP mode, blue LED blinking fast) the network to join.

    Args:
        target: the module's AT address; a broadcast address also works (first answer wins).
        local_addr: where our UDP socket binds; the module answers to its port.
        reply_timeout_s: how long one try waits for each reply.
        attempts: tries per step (the handshake is repeated before each retry of a command).

    Raises InvalidCredentialsError before anything is sent, ModuleRefusedError on `+ERR`,
    PairingTimeoutError when the module does not answer, EndpointError when binding fails.
    """
    credentials.validate()
    commands = (
        (PairingStep.SET_SSID, set_ssid_command(credentials.ssid)),
        (PairingStep.SET_KEY, set_key_command(credentials)),
        (PairingStep.SET_MODE, set_station_mode_command()),
    )
    loop = asyncio.get_running_loop()
    sock = _udp_socket(*local_addr)
    inbox = _Inbox(_AP_QUEUE_SIZE)
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: inbox, sock=sock)
    except BaseException:
        sock.close()
        raise
    session = _AtSession(
        transport, inbox, target, reply_timeout_s=reply_timeout_s, attempts=attempts, secret=credentials.key
    )
    step = PairingStep.FIND_MODULE
    try:
        async with asyncio.timeout(timeout_s):
            _report(progress, step)
            info = await session.find_module()
            for step, command in commands:
                _report(progress, step)
                await session.command(step, command)
            step = PairingStep.RESTART
            _report(progress, step)
            await session.restart()
    except PairingError:
        raise
    except TimeoutError:
        raise PairingTimeoutError(f"AP-mode pairing did not finish within {timeout_s:g} s", step=step) from None
    finally:
        transport.close()
    _LOGGER.debug("%s: Wi-Fi settings stored, module restarting", info.mac)
    return ApResult(mac=info.mac, module_host=session.module_addr[0], module=info.module)


# --- SmartLink ---------------------------------------------------------------------------------


class _ConfirmationListener(asyncio.DatagramProtocol):
    """Resolve a future with the first `smart_config <MAC>` beacon and its source IP."""

    def __init__(self, future: asyncio.Future[SmartLinkResult]) -> None:
        self._future = future

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        mac = smartlink.parse_confirmation(data)  # our own 0x05 broadcasts come back here too: ignored
        if mac is not None and not self._future.done():
            self._future.set_result(SmartLinkResult(mac=mac, host=addr[0]))

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("UDP error: %s", exc)


def _broadcaster(sock: socket.socket, addr: tuple[str, int]) -> Callable[[int], None]:
    def send(length: int) -> None:
        try:
            sock.sendto(smartlink.payload(length), addr)
        except (BlockingIOError, InterruptedError):
            pass  # a full send buffer is one more lost datagram; the rounds repeat
        except OSError as err:
            if err.errno == errno.ENOBUFS:
                return
            raise PairingError(f"cannot broadcast to {addr[0]}:{addr[1]}: {err.strerror}") from err

    return send


async def _send_rounds(
    password: str,
    send: Callable[[int], None],
    *,
    speed: float,
    progress: ProgressCallback | None,
    started: float,
    timeout_s: float,
) -> None:
    """Send rounds forever, on schedule; cancelled by the caller."""
    loop = asyncio.get_running_loop()
    next_at = loop.time()

    async def emit(packets: Collection[tuple[int, float]]) -> None:
        nonlocal next_at
        for length, delay in packets:
            send(length)
            next_at += delay
            wait = next_at - loop.time()
            if wait < -_BEHIND_RESET_S:
                next_at = loop.time()
            await asyncio.sleep(max(wait, 0.0))

    one_group = tuple(smartlink.group(password, speed=speed))
    the_header = tuple(smartlink.header(speed=speed))
    number = 0
    while True:
        number += 1
        for index in range(smartlink.GROUPS_PER_ROUND + 1):
            fraction = min((loop.time() - started) / timeout_s, 1.0) if timeout_s > 0 else None
            _report(progress, PairingStep.SMARTLINK, round_=number, group=index or None, fraction=fraction)
            await emit(one_group if index else the_header)


async def provision_smartlink(
    password: str,
    *,
    ssid: str | None = None,
    broadcast: str = DEFAULT_BROADCAST,
    port: int = SMARTLINK_PORT,
    listen_host: str = "0.0.0.0",
    local_addr: tuple[str, int] = ("0.0.0.0", 0),
    progress: ProgressCallback | None = None,
    timeout_s: float = SMARTLINK_TIMEOUT_S,
    speed: float = 1.0,
) -> SmartLinkResult:
    """Broadcast the password to a socket in SmartLink mode (red LED blinking fast) until it confirms.

    Args:
        password: the Wi-Fi password (UTF-8, ≤ 64 bytes; empty for an open network).
        ssid: checked but not sent: SmartLink transmits only the password (PROTOCOL.md §5.3).
        broadcast: the LAN's broadcast address (the subnet's works best; the vendor SDK falls
            back to 255.255.255.255); on the loopback LAN 127.255.255.255.
        port: where the lengths go and the confirmation comes (49999).
        listen_host: bind address of the confirmation listener: the wildcard, or the broadcast
            address itself (a socket bound to a unicast address never hears a broadcast).
        speed: divides every delay; 1.0 is the vendor's timing, tests use more.

    Cancelling the task stops the broadcasts at once. Raises InvalidCredentialsError before
    anything is sent, PairingTimeoutError at the deadline, EndpointError when a port is taken.
    """
    smartlink.password_bytes(password)
    if ssid is not None:
        check_ssid(ssid)
    if speed <= 0:
        raise ValueError("speed must be positive")
    loop = asyncio.get_running_loop()
    confirmed: asyncio.Future[SmartLinkResult] = loop.create_future()
    listen_sock = _udp_socket(listen_host, port, reuse=True)
    try:
        send_sock = _udp_socket(*local_addr)
    except BaseException:
        listen_sock.close()
        raise
    transport: asyncio.BaseTransport | None = None
    sender: asyncio.Task[None] | None = None
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: _ConfirmationListener(confirmed), sock=listen_sock)
        _LOGGER.debug("SmartLink: broadcasting to %s:%d for up to %g s", broadcast, port, timeout_s)
        sender = loop.create_task(
            _send_rounds(
                password, _broadcaster(send_sock, (broadcast, port)), speed=speed, progress=progress,
                started=loop.time(), timeout_s=timeout_s,
            ),
            name="orvibo_s20 smartlink",
        )
        done, _ = await asyncio.wait((confirmed, sender), timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        if sender in done:
            sender.result()  # a send error: raise it
        if confirmed not in done:
            raise PairingTimeoutError(
                f"no socket confirmed SmartLink within {timeout_s:g} s; is it blinking red fast, and is this "
                "computer on the Wi-Fi network the socket should join?",
                step=PairingStep.SMARTLINK,
            )
        result = confirmed.result()
    finally:
        if sender is not None and not sender.done():
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        if transport is None:
            listen_sock.close()
        else:
            transport.close()
        send_sock.close()
        if not confirmed.done():
            confirmed.cancel()
    _LOGGER.debug("%s: confirmed SmartLink from %s", result.mac, result.host)
    _report(progress, PairingStep.CONFIRMED)
    return result


# --- After either method -----------------------------------------------------------------------


async def wait_for_new_socket(
    endpoint: S20Endpoint,
    mac: Mac | None = None,
    *,
    host: str | None = None,
    ignore: Collection[Mac] = (),
    timeout_s: float = JOIN_TIMEOUT_S,
    scan_interval_s: float = SCAN_INTERVAL_S,
    progress: ProgressCallback | None = None,
) -> DiscoveredSocket:
    """Wait until the socket shows up on the S20 LAN: its announcements, or an answer to a scan.

    Args:
        mac: the socket's MAC when known (both methods learn it); otherwise the first socket
            not in `ignore` is taken.
        host: its IP when known (SmartLink's beacon gives it): probed directly as well.
    """
    loop = asyncio.get_running_loop()
    found: asyncio.Future[DiscoveredSocket] = loop.create_future()
    ignored = frozenset(ignore)

    def on_reply(reply: DiscoveryReply, source: str) -> None:
        if found.done():
            return
        if mac is not None and reply.mac != mac:
            return
        if mac is None and (reply.mac in ignored or not reply.product_id.startswith("SOC")):
            return
        is_on = None if reply.state is None else reply.state is PowerState.ON
        found.set_result(
            DiscoveredSocket(mac=reply.mac, host=source, product_id=reply.product_id, is_on=is_on, clock=reply.clock)
        )

    _report(progress, PairingStep.WAIT_FOR_SOCKET)
    remove = endpoint.add_discovery_listener(on_reply)
    try:
        # A timeout around the loop rather than a deadline checked in it: a deadline less than the
        # clock's resolution away would make the waits return at once, for ever.
        async with asyncio.timeout(timeout_s):
            while not found.done():
                endpoint.broadcast(DiscoverMacRequest(mac=mac) if mac is not None else DiscoverRequest())
                if host is not None:
                    endpoint.send(DiscoverRequest(), host)
                await asyncio.wait({found}, timeout=scan_interval_s)
    except TimeoutError:
        raise PairingTimeoutError(
            f"the socket did not appear on the network within {timeout_s:g} s; check the Wi-Fi name, "
            "password and security, and that it is in range",
            step=PairingStep.WAIT_FOR_SOCKET,
        ) from None
    finally:
        remove()
        if not found.done():
            found.cancel()
    result = found.result()
    _LOGGER.debug("%s: found at %s", result.mac, result.host)
    _report(progress, PairingStep.SOCKET_FOUND)
    return result


async def apply_defaults(
    client: S20Client,
    name: str | None = None,
    *,
    now: datetime | None = None,
    utc_offset: timedelta | None = None,
    dst: bool = False,
    progress: ProgressCallback | None = None,
) -> None:
    """Set what a fresh socket lacks: the clock, the time zone and, if given, the name.

    Args:
        now: the time to set (default: now, UTC).
        utc_offset: the zone's offset (default: this host's current one). A zone the socket
            cannot store (45-minute offsets) is skipped, since timers only need approximately.
    """
    if name is not None and name.strip():
        encode_name(name.strip())  # EncodeError before anything is sent
    _report(progress, PairingStep.SET_CLOCK)
    await client.set_clock(now if now is not None else datetime.now(UTC))
    _report(progress, PairingStep.SET_TIMEZONE)
    offset = utc_offset if utc_offset is not None else datetime.now().astimezone().utcoffset() or timedelta()
    try:
        await client.set_timezone(offset, dst=dst)
    except EncodeError as err:
        _LOGGER.info("%s: time zone not set: %s", client.mac, err)
    if name is not None and name.strip():
        _report(progress, PairingStep.RENAME)
        await client.rename(name)


async def complete_pairing(
    endpoint: S20Endpoint,
    mac: Mac | None = None,
    *,
    host: str | None = None,
    name: str | None = None,
    ignore: Collection[Mac] = (),
    timeout_s: float = JOIN_TIMEOUT_S,
    scan_interval_s: float = SCAN_INTERVAL_S,
    client_timing: ClientTiming | None = None,
    now: datetime | None = None,
    utc_offset: timedelta | None = None,
    dst: bool = False,
    progress: ProgressCallback | None = None,
) -> PairedSocket:
    """Wait for the paired socket on the LAN, then apply its defaults through a short-lived client.

    The endpoint must not have a client registered for this MAC (it would lose its route).
    """
    if name is not None and name.strip():
        encode_name(name.strip())  # EncodeError before waiting a minute for the socket
    found = await wait_for_new_socket(
        endpoint, mac, host=host, ignore=ignore, timeout_s=timeout_s, scan_interval_s=scan_interval_s,
        progress=progress,
    )
    # The socket answers a scan ten times and drops other requests meanwhile (§3.1); the client
    # holds back after a discovery reply it sees, but it was not registered for this one.
    await asyncio.sleep((client_timing or ClientTiming()).burst_guard_s)
    client = S20Client(endpoint, found.mac, found.host, timing=client_timing)
    try:
        await apply_defaults(client, name, now=now, utc_offset=utc_offset, dst=dst, progress=progress)
    finally:
        await client.stop()
    _report(progress, PairingStep.DONE)
    return PairedSocket(
        mac=found.mac, host=found.host, product_id=found.product_id, name=name.strip() if name and name.strip() else None
    )
