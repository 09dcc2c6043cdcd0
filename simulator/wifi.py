"""The Wi-Fi module of a virtual S20 (Hi-Flying HF-LPB100): AP-mode AT commands and SmartLink.

Theory of operation (PROTOCOL.md §5). A `WifiModule` is a socket not yet on any network:

* **AP mode** (blue LED blinking fast): a UDP socket on `ap_host:at_port` (127.0.0.254 stands
  in for 10.10.100.254), and one on `broadcast:at_port` for peers that broadcast the assist
  string, answer `HF-A11ASSISTHREAD` with `IP,MAC,HF-LPB100` from `ap_host:at_port` to the
  sender's source port. The peer's `+ok` after that reply enters command mode (a `+ok` out of
  the blue does not); AT commands from a peer not in command mode are ignored, and the assist
  string leaves command mode again (the peer must ack anew).
  `AT+WSSSID`, `AT+WSKEY` and `AT+WMODE` are checked (`+ERR=-4` on a bad parameter), unknown
  commands get `+ERR=-2`, a line that is not `AT+…` `+ERR=-1`. `AT+Z` has no reply: the
  module reboots and, in station mode with an SSID set, joins the network.
* **SmartLink mode** (red LED blinking fast): a socket bound to the loopback broadcast address
  on `smartlink_port` stands in for the sniffer. It looks only at the payload length of
  datagrams made of 0x05 bytes (the real module sees frame lengths of the sender's traffic),
  decodes them back into the password with its own state machine (it shares no code with
  the sender's encoder, so a bug cannot hide by being in both), and once a group's checksum
  matches, joins the network and broadcasts `smart_config <MAC>` with the garbled JSON beacon
  from `<its new IP>:at_port` to `broadcast:smartlink_port`, in bursts.
* **Joining** adds a `VirtualSocket` to the running `Simulator`, after `join_s`, with the MAC
  the module reported; `joined_ssid`, `joined_key` and `joined_security` record what it was
  given. With `network=(ssid, key)` the simulated access point only accepts those (a wrong
  password leaves the socket off the LAN, `mode` FAILED); SmartLink carries no SSID, so there
  `joined_ssid` is the network's, or None.

Faults (`WifiFaults`): drop the first N datagrams starting with a prefix, or the replies to
them (the command still runs), answer a command with a chosen `+ERR`, never answer a command,
drop chosen SmartLink datagrams.

Nothing is sent outside 127.0.0.0/8, and the key is never logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
import json
import logging
import socket
from types import TracebackType
from typing import Self

from custom_components.orvibo_s20.protocol import AT_PORT, SMARTLINK_PORT, Mac

from .device import VirtualSocket
from .lan import Simulator
from .server import require_loopback

_LOGGER = logging.getLogger(__name__)

AP_HOST = "127.0.0.254"  # stands in for 10.10.100.254 on the loopback LAN
DEFAULT_MAC = "ac:cf:23:fe:00:01"
MODULE_ID = "HF-LPB100"
VERSION = "08 (2015-04-28 16:57 16B)"  # HB's `AT+LVER` reply
ASSIST = "HF-A11ASSISTHREAD"

# What the module's sniffer knows of SmartLink v3 (PROTOCOL.md §5.3), kept apart from the
# sender's encoder on purpose.
_HEADER = 76
_START = 89
_END = 86
_CHECKSUM = 332
_AUTH_ENCRYPTIONS = {
    "OPEN": {"NONE", "WEP-H", "WEP-A"},
    "SHARED": {"WEP-H", "WEP-A"},
    "WPAPSK": {"TKIP", "AES"},
    "WPA2PSK": {"TKIP", "AES"},
}
_MODES = {"AP", "STA", "APSTA"}
_HEX = set("0123456789abcdefABCDEF")


class WifiMode(StrEnum):
    """What the module is doing."""

    AP = "ap"
    SMARTLINK = "smartlink"
    JOINING = "joining"
    STATION = "station"
    FAILED = "failed"  # the access point refused the SSID or key
    OFF = "off"


@dataclass(frozen=True, slots=True, kw_only=True)
class WifiTiming:
    """Delays of the module; tests shrink them (the real join takes about a minute)."""

    join_s: float = 0.05
    reply_delay_s: float = 0.0
    # Bursts of 3 `smart_config` + JSON pairs, ~0.45 s apart, for several seconds [obs].
    beacon_bursts: int = 6
    beacon_pairs: int = 3
    beacon_interval_s: float = 0.45
    # Header datagrams the sniffer needs before it trusts lengths (of 200 per round).
    calibration_count: int = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class WifiFaults:
    """Misbehaviour on purpose; prefixes match the datagram's text (`AT+WSSSID`, `+ok`, …)."""

    drop: Mapping[str, int] = field(default_factory=dict)  # prefix → first N such datagrams lost
    drop_replies: Mapping[str, int] = field(default_factory=dict)  # prefix → replies to the first N lost
    errors: Mapping[str, int] = field(default_factory=dict)  # prefix → `+ERR=<code>` instead of running it
    ignore: frozenset[str] = frozenset()  # prefixes never answered
    drop_smartlink: frozenset[int] = frozenset()  # indexes (0-based) of SmartLink datagrams lost


@dataclass(slots=True)
class WifiCounters:
    """What the module received and did."""

    assist: int = 0
    acks: int = 0
    commands: int = 0
    errors: int = 0  # +ERR replies
    ignored: int = 0  # AT commands outside command mode, or ignored by a fault
    dropped: int = 0  # lost by a fault (requests and replies)
    smartlink_packets: int = 0
    smartlink_groups_rejected: int = 0  # checksum did not match the characters seen
    beacons: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        return asdict(self)


class SmartLinkSniffer:
    """Recover a password from payload lengths alone, group by group."""

    def __init__(self, calibration_count: int) -> None:
        self._calibration_count = calibration_count
        self.headers = 0
        self._state = "idle"
        self._values: list[int] = []
        self.rejected = 0

    def feed(self, length: int) -> bytes | None:
        """Take one length; return the password bytes when a group checks out."""
        if length == _HEADER:
            self.headers += 1
            self._state = "idle"  # a header inside a group: the sender started a new round
            return None
        if self.headers < self._calibration_count:
            return None
        if length == _START:
            if self._state != "start":
                self._state, self._values = "start", []
        elif length == _END:
            if self._state in ("start", "chars"):
                self._state = "end"
        elif _HEADER < length < _CHECKSUM:
            if self._state in ("start", "chars"):
                self._state = "chars"
                self._values.append(length - _HEADER)
            else:
                self._state = "idle"  # a character after the end marker: noise
        elif length >= _CHECKSUM and self._state in ("start", "chars", "end"):
            # All three end markers may be lost: the checksum ends the group too.
            self._state = "idle"
            if length - _CHECKSUM == len(self._values):
                return bytes(self._values)
            self.rejected += 1
        return None


type _Handler = Callable[[bytes, tuple[str, int]], None]


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, handler: _Handler) -> None:
        self._handler = handler

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._handler(data, addr)

    def error_received(self, exc: Exception) -> None:
        _LOGGER.debug("Wi-Fi module UDP error: %s", exc)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class WifiModule:
    """A socket waiting to be paired, in AP or SmartLink mode, on the loopback LAN."""

    def __init__(
        self,
        simulator: Simulator,
        *,
        mode: WifiMode = WifiMode.AP,
        mac: Mac | str = DEFAULT_MAC,
        ap_host: str = AP_HOST,
        at_port: int = AT_PORT,
        smartlink_port: int = SMARTLINK_PORT,
        broadcast: str | None = None,
        join_ip: str | None = None,
        network: tuple[str, str] | None = None,
        timing: WifiTiming | None = None,
        faults: WifiFaults | None = None,
        allone: bool = False,
    ) -> None:
        if mode not in (WifiMode.AP, WifiMode.SMARTLINK):
            raise ValueError("a module starts in AP or SmartLink mode")
        self.simulator = simulator
        self.mode: WifiMode = mode  # (narrowed above; it moves on to JOINING, STATION, …)
        self.mac = mac if isinstance(mac, Mac) else Mac.parse(mac)
        self.ap_host = require_loopback(ap_host, "AP address")
        self.at_port = at_port
        self.smartlink_port = smartlink_port
        self.broadcast = require_loopback(broadcast or simulator.broadcast, "broadcast address")
        self.join_ip = None if join_ip is None else require_loopback(join_ip, "join address")
        self.network = network
        self.timing = timing or WifiTiming()
        self.faults = faults or WifiFaults()
        self.allone = allone  # the module of an AllOne (it joins the LAN as one), not of a socket
        self.counters = WifiCounters()
        # What the AT commands stored (the module's flash).
        self.ssid: str | None = None
        self.auth: str | None = None
        self.encryption: str | None = None
        self.key: str | None = None
        self.wmode = "AP"
        # What it joined with.
        self.joined: VirtualSocket | None = None
        self.joined_ssid: str | None = None
        self.joined_key: str | None = None
        self.joined_security: str | None = None
        self.received: list[str] = []  # AT lines run in command mode, in order (key included)
        self.peers: set[tuple[str, int]] = set()  # (host, port) the AT port answered
        self.smartlink_lengths: list[int] = []  # every length the sniffer saw, in order
        self.sniffer = SmartLinkSniffer(self.timing.calibration_count)
        self._assisted: set[tuple[str, int]] = set()  # got the assist reply, may now ack
        self._command_mode: set[tuple[str, int]] = set()
        self._dropped: dict[str, int] = {}
        self._dropped_replies: dict[str, int] = {}
        self._transports: list[asyncio.BaseTransport] = []
        self._handles: set[asyncio.TimerHandle] = set()
        self._joined_event = asyncio.Event()
        self._at: asyncio.DatagramTransport | None = None
        self._beacon: socket.socket | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the AT port (AP mode) or the SmartLink receiver (SmartLink mode)."""
        loop = asyncio.get_running_loop()
        if self.mode is WifiMode.AP:
            sock = _bind(self.ap_host, self.at_port)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self._on_at), sock=sock)
            self._at = transport
            self._transports.append(transport)
            # A socket bound to a unicast address never hears a broadcast: a second one does.
            sock = _bind(self.broadcast, self.at_port)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self._on_at), sock=sock)
        else:
            sock = _bind(self.broadcast, self.smartlink_port)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Receiver(self._on_smartlink), sock=sock)
        self._transports.append(transport)

    async def stop(self) -> None:
        """Close every socket and cancel what is scheduled (a joined socket stays on the LAN)."""
        self._close_listeners()
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        if self._beacon is not None:
            self._beacon.close()
            self._beacon = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _close_listeners(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        self._at = None

    def _later(self, delay: float, callback: Callable[..., None], *args: object) -> None:
        loop = asyncio.get_running_loop()

        def run() -> None:
            self._handles.discard(handle)
            callback(*args)

        handle = loop.call_later(delay, run)
        self._handles.add(handle)

    async def wait_joined(self, timeout: float | None = 5.0) -> VirtualSocket:
        """Wait until the socket is on the LAN (None: for ever); TimeoutError otherwise."""
        await asyncio.wait_for(self._joined_event.wait(), timeout)
        assert self.joined is not None  # set before the event
        return self.joined

    # --- faults ----------------------------------------------------------------------------------

    @staticmethod
    def _take(limits: Mapping[str, int], used: dict[str, int], text: str) -> bool:
        """Whether a fault with a matching prefix has uses left (and use one)."""
        for prefix, count in limits.items():
            if text.startswith(prefix) and used.get(prefix, 0) < count:
                used[prefix] = used.get(prefix, 0) + 1
                return True
        return False

    # --- AP mode: the AT port --------------------------------------------------------------------

    def _on_at(self, data: bytes, addr: tuple[str, int]) -> None:
        # Only loopback peers reach here (both listeners bind loopback addresses), and AT+Z
        # closes the listeners, so the mode is AP.
        text = data.decode("utf-8", "replace")
        if self._take(self.faults.drop, self._dropped, text):
            self.counters.dropped += 1
            return
        if any(text.startswith(prefix) for prefix in self.faults.ignore):
            self.counters.ignored += 1
            return
        if text.strip() == ASSIST:
            self.counters.assist += 1
            self._command_mode.discard(addr)
            self._assisted.add(addr)
            self._reply(f"{self.ap_host},{self.mac.compact},{MODULE_ID}".encode(), addr, text)
            return
        if text == "+ok":
            if addr not in self._assisted:
                self.counters.ignored += 1
                return
            self.counters.acks += 1
            self._assisted.discard(addr)
            self._command_mode.add(addr)
            return
        if addr not in self._command_mode:
            self.counters.ignored += 1
            return
        self.counters.commands += 1
        line = text.rstrip("\r\n")
        self.received.append(line)
        _LOGGER.debug("AT from %s:%d: %s", addr[0], addr[1], _redacted(line))
        for prefix, code in self.faults.errors.items():
            if line.startswith(prefix):
                self._reply(self._err(code), addr, text)
                return
        reply = self._run(line, text)
        if reply is not None:
            self._reply(reply, addr, text)

    def _run(self, line: str, raw: str) -> bytes | None:
        """Execute one AT command; return the reply (None: no reply)."""
        ok = b"+ok\r\n\r\n"
        if not raw.endswith(("\r", "\n")) or not line.startswith("AT+"):
            return self._err(-1)
        name, has_value, value = line[3:].partition("=")
        name = name.upper()
        if name == "WSSSID":
            if not has_value:
                return f"+ok={self.ssid or ''}\r\n\r\n".encode()
            if not 1 <= len(value.encode()) <= 32:
                return self._err(-4)
            self.ssid = value
            return ok
        if name == "WSKEY":
            if not has_value:
                return f"+ok={self.auth},{self.encryption},{self.key}\r\n\r\n".encode()
            parts = value.split(",", 2)  # the key may contain commas: it is the last field
            if parts[1:] == ["NONE"]:
                parts.append("")  # `OPEN,NONE` without the trailing comma (HF manuals)
            if len(parts) != 3 or not _valid_key(*parts):
                return self._err(-4)
            self.auth, self.encryption, self.key = parts
            return ok
        if name == "WMODE":
            if not has_value:
                return f"+ok={self.wmode}\r\n\r\n".encode()
            if value.upper() not in _MODES:
                return self._err(-4)
            self.wmode = value.upper()
            return ok
        if name == "Z" and not has_value:
            self._restart()
            return None
        if name == "MID" and not has_value:
            return f"+ok={MODULE_ID}\r\n\r\n".encode()
        if name == "LVER" and not has_value:
            return f"+ok={VERSION}\r\n\r\n".encode()
        return self._err(-2)

    def _err(self, code: int) -> bytes:
        self.counters.errors += 1
        return f"+ERR={code}\r\n\r\n".encode()

    def _reply(self, data: bytes, addr: tuple[str, int], request: str) -> None:
        require_loopback(addr[0], "destination")
        if self._take(self.faults.drop_replies, self._dropped_replies, request):
            self.counters.dropped += 1
            return
        if self.timing.reply_delay_s > 0:
            self._later(self.timing.reply_delay_s, self._send_at, data, addr)
        else:
            self._send_at(data, addr)

    def _send_at(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._at is not None:
            self.peers.add(addr)
            self._at.sendto(data, addr)

    def _restart(self) -> None:
        _LOGGER.debug("%s: AT+Z, rebooting in %s mode", self.mac, self.wmode)
        self._close_listeners()  # the AP and its AT port are gone while the module reboots
        self._command_mode.clear()
        self._assisted.clear()
        if self.wmode == "STA" and self.ssid:
            self.mode = WifiMode.JOINING
            security = f"{self.auth},{self.encryption}" if self.auth else None
            self._later(self.timing.join_s, self._join, self.ssid, self.key or "", security, False)
        else:
            self.mode = WifiMode.OFF  # back in AP mode for real; tests have no use for a second round

    # --- SmartLink mode --------------------------------------------------------------------------

    def _on_smartlink(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.mode is not WifiMode.SMARTLINK or not data or data.strip(b"\x05"):
            return  # not the sender's pattern (our own beacons come back here too)
        index = self.counters.smartlink_packets
        self.counters.smartlink_packets += 1
        if index in self.faults.drop_smartlink:
            self.counters.dropped += 1
            return
        self.smartlink_lengths.append(len(data))
        password = self.sniffer.feed(len(data))
        self.counters.smartlink_groups_rejected = self.sniffer.rejected
        if password is None:
            return
        _LOGGER.debug("%s: SmartLink password of %d bytes decoded", self.mac, len(password))
        self.mode = WifiMode.JOINING
        self._close_listeners()
        ssid = self.network[0] if self.network else None
        self._later(self.timing.join_s, self._join, ssid, password.decode("utf-8", "replace"), None, True)

    # --- joining the LAN -------------------------------------------------------------------------

    def _join(self, ssid: str | None, key: str, security: str | None, smartlink: bool) -> None:
        if self.network is not None and (ssid, key) != self.network:
            _LOGGER.debug("%s: the access point refused the SSID or key", self.mac)
            self.mode = WifiMode.FAILED
            return
        self.joined_ssid, self.joined_key, self.joined_security = ssid, key, security
        if self.allone:
            self.joined = self.simulator.add_allone(ip=self.join_ip, mac=self.mac)
        else:
            self.joined = self.simulator.add_socket(ip=self.join_ip, mac=self.mac)
        self.mode = WifiMode.STATION
        self._joined_event.set()
        _LOGGER.debug("%s: joined the LAN at %s", self.mac, self.joined.ip)
        if smartlink:
            self._beacon = _bind(self.joined.ip, self.at_port)
            self._send_beacons(self.timing.beacon_bursts)

    def _send_beacons(self, left: int) -> None:
        # stop() cancels the pending bursts before it closes the beacon socket.
        assert self._beacon is not None and self.joined is not None
        require_loopback(self.broadcast, "destination")
        # The JSON's MAC is garbled on the real module too (PROTOCOL.md §4.7).
        beacon = json.dumps({"mid": "LPB100", "mac": "04010000ACCF", "ip": self.joined.ip}, separators=(",", ":"))
        for _ in range(self.timing.beacon_pairs):
            for data in (f"smart_config {self.mac.compact}".encode(), beacon.encode()):
                try:
                    self._beacon.sendto(data, (self.broadcast, self.smartlink_port))
                    self.counters.beacons += 1
                except OSError as err:
                    _LOGGER.debug("beacon failed: %s", err)
        if left > 1:
            self._later(self.timing.beacon_interval_s, self._send_beacons, left - 1)
        else:
            self._beacon.close()
            self._beacon = None


def _valid_key(auth: str, encryption: str, key: str) -> bool:
    """Check AT+WSKEY's fields as the module does (HF manuals, GD-js `_check`)."""
    if encryption not in _AUTH_ENCRYPTIONS.get(auth, ()):
        return False
    if encryption == "NONE":
        return key == ""
    if encryption == "WEP-H":
        return len(key) in (10, 26) and set(key) <= _HEX
    if encryption == "WEP-A":
        return key.isascii() and len(key) in (5, 13)
    size = len(key.encode())
    return 8 <= size <= 63 or (size == 64 and set(key) <= _HEX)


def _redacted(line: str) -> str:
    if line.upper().startswith("AT+WSKEY="):
        fields = line.split(",", 2)
        return ",".join(fields[:2]) + (",***" if len(fields) == 3 else "")
    return line
