"""`Simulator`: the loopback LAN of virtual S20s — routing, faults, the shared ticker, the API.

Theory of operation: one `LoopbackServer` socket receives every datagram; `decode_from_client`
turns it into a request (malformed input is counted and dropped), the destination address
picks the virtual socket (a broadcast goes to every socket for `qa`, to the MAC's socket
otherwise), the fault injector decides per receiving socket whether and when it arrives,
and the socket's state machine (`device.py`) reacts. Everything a socket sends goes back
through `transmit`, which applies the outbound faults and schedules the send with
sub-millisecond timers (`precise.py`: asyncio's own are whole milliseconds late); sends
scheduled before a reboot are dropped. There are no per-socket
tasks: timers of all sockets are checked by one ticker, countdowns and announcements are
plain timer handles, all cancelled on `stop()`. So hundreds of idle sockets cost nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from ipaddress import IPv4Address
import logging
import random
import socket
import time
from types import TracebackType
from typing import Self

from custom_components.orvibo_s20.protocol import (
    PORT,
    ClientMessage,
    DecodeError,
    DiscoverRequest,
    Mac,
    SocketData,
    decode_from_client,
)

from .allone import ALLONE_PRODUCT_ID, VirtualAllOne
from .counters import SimCounters
from .device import VirtualSocket
from .faults import FaultInjector, Faults
from .homemate import HELLO_FRAME, VirtualHomeMate
from .precise import PreciseTimers
from .server import LoopbackServer, require_loopback
from .timing import BOOT_CLOCK, Timing

_LOGGER = logging.getLogger(__name__)

DEFAULT_BROADCAST = "127.255.255.255"
FIRST_IP = "127.0.0.2"
_GLOBAL_BROADCAST = "255.255.255.255"
_RESERVED = frozenset({"127.0.0.0", "127.0.0.1", DEFAULT_BROADCAST})  # the controller lives on .1
_OUI = bytes.fromhex("accf23")  # Hi-Flying, every S20 (PROTOCOL.md §3.1)

type SocketKey = Mac | str  # a Mac, a MAC as text, or an IP
type Sender = VirtualSocket | VirtualHomeMate


class Simulator:
    """Many virtual S20 sockets on the loopback LAN, sharing one UDP port."""

    def __init__(
        self,
        *,
        port: int = PORT,
        bind: str = "0.0.0.0",
        reply_port: int | None = None,
        broadcast: str = DEFAULT_BROADCAST,
        seed: int | None = 1,
        faults: Faults | None = None,
        timing: Timing | None = None,
        bind_each: bool = False,
        precise_timers: bool = True,
    ) -> None:
        self.broadcast = require_loopback(broadcast, "broadcast address")
        self._reply_port = reply_port
        self.timing = timing or Timing()
        self._counters = SimCounters()
        self._injector = FaultInjector(faults or Faults(), seed)
        # Its own generator, so that turning jitter on does not change the drawn faults.
        self._jitter = random.Random(seed)
        # bind_each: a socket on each virtual IP and the broadcast address instead of one on bind.
        self._server = LoopbackServer(bind=bind, port=port, handler=self._on_datagram, per_address=bind_each)
        self._by_mac: dict[Mac, VirtualSocket] = {}
        self._by_ip: dict[str, VirtualSocket] = {}
        self._homemates: dict[str, VirtualHomeMate] = {}  # by IP: devices of another protocol
        self._ticking: set[VirtualSocket] = set()
        self._handles: set[asyncio.TimerHandle] = set()
        self._tick_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._network_timers: PreciseTimers | None = None  # the delays of datagrams in flight
        # False: those delays run on the loop's own timers, for tests that drive the loop's clock.
        self._precise_timers = precise_timers
        self._arrivals: list[float] | None = None  # see record_arrivals
        self._broadcasts = frozenset({self.broadcast, _GLOBAL_BROADCAST})

    # --- lifecycle -----------------------------------------------------------------------------

    @staticmethod
    def free_port() -> int:
        """Return a UDP port that is free on 127.0.0.1 right now (for tests)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port

    @property
    def port(self) -> int:
        """The UDP port the sockets listen on (the real one once started with port 0)."""
        return self._server.port

    @property
    def reply_port(self) -> int:
        """The port replies and announcements go to: the real S20 always uses 10000 (§1)."""
        return self._reply_port if self._reply_port is not None else self.port

    @property
    def counters(self) -> SimCounters:
        """What happened to every datagram so far."""
        self._counters.foreign = self._server.foreign
        return self._counters

    @property
    def started(self) -> bool:
        """Whether the UDP socket is bound."""
        return self._server.is_open

    async def start(self) -> None:
        """Bind the UDP socket, start the ticker and let every socket announce itself."""
        if self.started:
            return
        self._loop = asyncio.get_running_loop()
        self._server.open()
        self._network_timers = PreciseTimers(self._loop, kernel_timer=self._precise_timers)
        for address in (self.broadcast, *self._by_ip):
            self._server.add_host(address)
        self._tick_handle = self.call_later(self.timing.tick_s, self._tick)
        for device in self._by_mac.values():
            device.start_announcing()
        for homemate in self._homemates.values():
            self._server.add_host(homemate.ip)
            homemate.start()
        _LOGGER.debug("Simulator on UDP %s:%d with %d sockets", self._server.bind, self.port, len(self._by_mac))

    async def stop(self) -> None:
        """Close the socket and cancel everything scheduled."""
        self._server.close()
        if self._network_timers is not None:
            self._network_timers.close()
            self._network_timers = None
        for device in self._by_mac.values():
            device.stop()
        for homemate in self._homemates.values():
            homemate.stop()
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()
        self._tick_handle = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- sockets -------------------------------------------------------------------------------

    @property
    def sockets(self) -> dict[Mac, VirtualSocket]:
        """The virtual sockets by MAC (a copy)."""
        return dict(self._by_mac)

    def __iter__(self) -> Iterator[VirtualSocket]:
        return iter(tuple(self._by_mac.values()))

    def __len__(self) -> int:
        return len(self._by_mac)

    def add_socket(
        self,
        *,
        ip: str | None = None,
        mac: Mac | str | None = None,
        firmware: str = "new",
        name: str | None = None,
        state: bool = False,
        product_id: str = "SOC005",
        clock: int | None = None,
        cloud_connected: bool = False,
        socket_data: SocketData | None = None,
    ) -> VirtualSocket:
        """Plug in a socket; it announces itself if the simulator runs.

        Args:
            ip: its address in 127.0.0.0/8 (default: the next free one from 127.0.0.2).
            mac: default ac:cf:23 + the last three bytes of the IP, so restarts keep MACs.
            clock: device clock (seconds since 1900); default: just booted, 2000-01-01.
            socket_data: table 4 to start from (e.g. decoded from a capture).
        """
        ip, the_mac = self._new_address(ip, mac)
        device = VirtualSocket(
            self, mac=the_mac, ip=ip, firmware=firmware, name=name, state=state, product_id=product_id,
            clock=BOOT_CLOCK if clock is None else clock, cloud_connected=cloud_connected,
            socket_data=socket_data,
        )
        self._plug(device)
        return device

    @property
    def homemates(self) -> dict[str, VirtualHomeMate]:
        """The HomeMate devices by IP (a copy)."""
        return dict(self._homemates)

    def add_homemate(
        self, *, ip: str | None = None, frame: bytes = HELLO_FRAME, announce_every_s: float | None = None
    ) -> VirtualHomeMate:
        """Plug in a HomeMate device (`homemate.py`): it broadcasts its frame if the simulator runs."""
        ip = self._check_new_ip(ip if ip is not None else self._next_ip())
        device = VirtualHomeMate(self, ip=ip, frame=frame, announce_every_s=announce_every_s)
        self._homemates[ip] = device
        if self.started:
            self._server.add_host(ip)
            device.start()
        return device

    def remove_homemate(self, ip: str) -> None:
        """Unplug a HomeMate device."""
        device = self._homemates.pop(ip)
        device.stop()
        device.online = False
        device.epoch += 1

    def add_allone(
        self,
        *,
        ip: str | None = None,
        mac: Mac | str | None = None,
        name: str | None = None,
        product_id: str = ALLONE_PRODUCT_ID,
        clock: int | None = None,
        cloud_connected: bool = False,
    ) -> VirtualAllOne:
        """Plug in an AllOne (IR + RF 433 blaster) beside the sockets; same addressing as add_socket."""
        ip, the_mac = self._new_address(ip, mac)
        device = VirtualAllOne(
            self, mac=the_mac, ip=ip, name=name, product_id=product_id,
            clock=BOOT_CLOCK if clock is None else clock, cloud_connected=cloud_connected,
        )
        self._plug(device)
        return device

    def allone(self, key: SocketKey) -> VirtualAllOne:
        """Return the AllOne with this MAC or IP; KeyError if there is none (or it is a socket)."""
        device = self.get(key)
        if not isinstance(device, VirtualAllOne):
            raise KeyError(f"{key} is a socket, not an AllOne")
        return device

    def _new_address(self, ip: str | None, mac: Mac | str | None) -> tuple[str, Mac]:
        ip = self._check_new_ip(ip if ip is not None else self._next_ip())
        the_mac = self._new_mac(ip) if mac is None else (mac if isinstance(mac, Mac) else Mac.parse(mac))
        if the_mac in self._by_mac:
            raise ValueError(f"a socket with MAC {the_mac} already exists")
        return ip, the_mac

    def _plug(self, device: VirtualSocket) -> None:
        self._by_mac[device.mac] = device
        self._by_ip[device.ip] = device
        if self.started:
            self._server.add_host(device.ip)
            device.start_announcing()

    def remove_socket(self, key: SocketKey) -> None:
        """Unplug a socket for good."""
        device = self.get(key)
        device.stop()
        device.online = False
        device.epoch += 1
        del self._by_mac[device.mac]
        self._by_ip.pop(device.ip, None)
        self._ticking.discard(device)

    def get(self, key: SocketKey) -> VirtualSocket:
        """Return the socket with this MAC (Mac or text) or IP; KeyError if there is none."""
        if isinstance(key, Mac):
            return self._by_mac[key]
        if Mac.is_mac(key):
            return self._by_mac[Mac.parse(key)]
        return self._by_ip[key]

    def press(self, key: SocketKey) -> bool:
        """Press a socket's button; returns the new relay state."""
        return self.get(key).press_button()

    def reboot(self, key: SocketKey) -> asyncio.Future[None]:
        """Power-cycle a socket; await the result to wait until it is back online."""
        return self.get(key).reboot()

    def set_online(self, key: SocketKey, online: bool) -> None:
        """Take a socket off Wi-Fi (it drops everything and sends nothing) or bring it back."""
        self.get(key).set_online(online)

    def move(self, key: SocketKey, ip: str) -> None:
        """Give a socket a new IP (a new DHCP lease); it announces itself there."""
        device = self.get(key)
        if ip == device.ip:
            return
        self._check_new_ip(ip)
        del self._by_ip[device.ip]
        self._by_ip[ip] = device
        self._server.add_host(ip)
        device.moved(ip)

    @property
    def faults(self) -> Faults:
        """The network faults in force."""
        return self._injector.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._injector.faults = faults

    def set_faults(self, faults: Faults) -> None:
        """Change the network faults (same as assigning `faults`)."""
        self._injector.faults = faults

    def _next_ip(self) -> str:
        address = IPv4Address(FIRST_IP)
        while str(address) in self._by_ip or str(address) in self._homemates or str(address) in _RESERVED:
            address += 1
        return str(address)

    def _check_new_ip(self, ip: str) -> str:
        require_loopback(ip, "virtual socket IP")
        if ip in _RESERVED or ip == self.broadcast:
            raise ValueError(f"{ip} is reserved on the loopback LAN (controller or broadcast)")
        if ip in self._by_ip:
            raise ValueError(f"{ip} is already used by {self._by_ip[ip].mac}")
        if ip in self._homemates:
            raise ValueError(f"{ip} is already used by a HomeMate device")
        return ip

    def _new_mac(self, ip: str) -> Mac:
        mac = Mac(_OUI + IPv4Address(ip).packed[1:])
        while mac in self._by_mac:
            value = (int.from_bytes(mac.raw[3:]) + 1) & 0xFFFFFF
            mac = Mac(_OUI + value.to_bytes(3))
        return mac

    # --- Network, as the virtual sockets see it ------------------------------------------------

    def now(self) -> float:
        """Seconds on the event loop's clock (time.monotonic, unless a test drives the loop's)."""
        return self._loop.time() if self._loop is not None else time.monotonic()

    def record_arrivals(self) -> list[float]:
        """From now on, note when each datagram arrives (before any fault drops it); the list grows.

        On loopback a datagram arrives within its send call, so these are the senders' send times.
        """
        self._arrivals = []
        return self._arrivals

    def reply_delay(self) -> float:
        """Processing time of one request: reply_delay_s plus seeded jitter."""
        timing = self.timing
        if not timing.reply_jitter_s:
            return timing.reply_delay_s
        return timing.reply_delay_s + self._jitter.random() * timing.reply_jitter_s

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """Schedule callback; every pending handle is cancelled by stop()."""
        loop = self._loop or asyncio.get_running_loop()

        def run() -> None:
            self._handles.discard(handle)
            callback()

        handle = loop.call_later(delay, run)
        self._handles.add(handle)
        return handle

    def cancel(self, handle: asyncio.TimerHandle) -> None:
        """Cancel a handle from call_later."""
        handle.cancel()
        self._handles.discard(handle)

    def create_future(self) -> asyncio.Future[None]:
        """Return a future bound to the simulator's loop."""
        return (self._loop or asyncio.get_running_loop()).create_future()

    def timers_changed(self, device: VirtualSocket) -> None:
        """Keep the ticker's set to the sockets that have timers."""
        if device.has_timers and device.mac in self._by_mac:
            self._ticking.add(device)
        else:
            self._ticking.discard(device)

    def transmit(self, device: Sender, datagram: bytes, host: str | None, delay: float) -> None:
        """Send from a socket to host (None = the broadcast address) through the faults."""
        delays = self._injector.from_device()
        if not delays:
            self._counters.dropped_loss += 1
            return
        self._counters.duplicated += len(delays) - 1
        destination = self.broadcast if host is None else host
        epoch = device.epoch
        for extra in delays:
            wait = delay + extra
            if wait <= 0:
                self._send_now(device, epoch, datagram, destination)
            else:
                self._in_flight(wait, partial(self._send_now, device, epoch, datagram, destination))

    def _in_flight(self, delay: float, callback: Callable[[], None]) -> None:
        # A configured 5 ms is 5 ms, not 5–6 ms: the latency floor of a benchmark is the link's.
        if self._network_timers is not None:
            self._network_timers.call_later(delay, callback)
        else:  # not started: asyncio's timers, cancelled by stop() like every other handle
            self.call_later(delay, callback)

    def _send_now(self, device: Sender, epoch: int, datagram: bytes, destination: str) -> None:
        if device.epoch != epoch or not device.online:
            return  # rebooted, went offline or moved since: the send never happens
        if self._server.send(datagram, device.ip, destination, self.reply_port):
            self._counters.sent += 1
        else:
            self._counters.send_errors += 1

    # --- receiving -----------------------------------------------------------------------------

    def _on_datagram(self, data: bytes, host: str, port: int, destination: str) -> None:
        if host in self._by_ip or host in self._homemates:
            return  # our own broadcast or a reply to one of our IPs, heard back
        counters = self._counters
        counters.received += 1
        if self._arrivals is not None:
            self._arrivals.append(self.now())
        if self._to_homemates(host, destination):
            return
        try:
            message = decode_from_client(data)
        except DecodeError as err:
            counters.malformed += 1
            _LOGGER.debug("Malformed datagram from %s:%d: %s", host, port, err)
            return
        for device in self._targets(message, destination):
            self._deliver(device, message, host)

    def _to_homemates(self, host: str, destination: str) -> bool:
        """Hand a datagram to the HomeMate devices it reaches; True if it was for one alone."""
        if destination in self._homemates:
            targets: tuple[VirtualHomeMate, ...] = (self._homemates[destination],)
        elif destination in self._broadcasts:
            targets = tuple(self._homemates.values())
        else:
            return False
        for device in targets:
            if self._injector.to_device():  # one copy is enough: it answers each the same
                device.hear(host)
            else:
                self._counters.dropped_loss += 1
        return destination in self._homemates

    def _targets(self, message: ClientMessage, destination: str) -> tuple[VirtualSocket, ...]:
        device = self._by_ip.get(destination)
        if device is not None:
            if not isinstance(message, DiscoverRequest) and message.mac != device.mac:
                self._counters.unknown_mac += 1
                return ()
            return (device,)
        if destination not in self._broadcasts:
            self._counters.unreachable += 1
            return ()
        if isinstance(message, DiscoverRequest):
            return tuple(self._by_mac.values())
        device = self._by_mac.get(message.mac)
        if device is None:
            self._counters.unknown_mac += 1
            return ()
        return (device,)

    def _deliver(self, device: VirtualSocket, message: ClientMessage, host: str) -> None:
        delays = self._injector.to_device()
        if not delays:
            self._counters.dropped_loss += 1
            return
        self._counters.duplicated += len(delays) - 1
        for delay in delays:
            if delay <= 0:
                device.handle(message, host)
            else:
                self._in_flight(delay, partial(self._late_delivery, device, message, host))

    def _late_delivery(self, device: VirtualSocket, message: ClientMessage, host: str) -> None:
        if self._by_mac.get(device.mac) is device:
            device.handle(message, host)

    # --- the ticker ----------------------------------------------------------------------------

    def _tick(self) -> None:
        # Rescheduled first, so that one failing socket cannot stop every socket's timers.
        self._tick_handle = self.call_later(self.timing.tick_s, self._tick)
        now = self.now()
        for device in tuple(self._ticking):
            device.tick(now)
