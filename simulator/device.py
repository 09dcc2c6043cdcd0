"""One virtual S20: its relay, tables, clock, subscribers and the firmware's quirks.

Theory of operation (PROTOCOL.md §3–§4): `handle()` gets each decoded request with its
sender's IP after the network has applied its faults. The socket:

* drops everything while offline, and while *busy*: during its own 10× discovery-reply burst
  (§3.1) and a few ms after a subscribe ack (§3.3);
* answers `qa` (unless locked, §4.5), `qg` and `cl` from anyone; `cl` subscribes the sender's
  IP. Every other request is honoured only for a subscribed peer; the subscription lapses
  after `subscription_timeout_s` without a request from that peer (§4.2);
* confirms `dc` with an ack that carries no state, then pushes `sf` twice to every
  subscriber (§3.4–§3.5); button presses, countdowns, auto-off and timers push the same way.

All replies go out through `Network.transmit` with a delay; the network adds its faults and
silently forgets sends scheduled before a reboot. Session field rules: a socket without a
cloud login answers `00 00 00 00` to `dc`/`rt`/`tm`/`ts` (`01 00 00 00` with `cloud_connected`)
and echoes the request's session in `hb`, `cs`, `cd` and the cloud form of `cl` (§3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
import logging
import math
import struct
from typing import Protocol

from custom_components.orvibo_s20.protocol import (
    COUNTDOWN_MAX_S,
    Ack,
    ClientMessage,
    ClockRequest,
    Command,
    CountdownMode,
    CountdownReply,
    CountdownRequest,
    DecodeError,
    DeviceMessage,
    DiscoverMacRequest,
    DiscoverRequest,
    DiscoveryReply,
    EncodeError,
    HeartbeatRequest,
    LogoutRequest,
    Mac,
    OtherTableReply,
    PasswordRequest,
    PowerRequest,
    PowerState,
    ReadTableRequest,
    SocketData,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    SubscribeRequest,
    Table,
    TableListReply,
    TableOp,
    TableVersion,
    Timer,
    TimezoneBlock,
    TimezoneRequest,
    WriteTableRequest,
    encode,
    encode_name,
)

from .counters import SimCounters, SocketCounters
from .schedule import due_timers, local_offset_s
from .timing import BOOT_CLOCK, Timing

_LOGGER = logging.getLogger(__name__)

_ZERO = b"\x00\x00\x00\x00"
_CLOUD = b"\x01\x00\x00\x00"  # dc/rt/tm ack session of a cloud-connected socket (§3.4)
_U32 = 0xFFFFFFFF
_UNKNOWN_DST_DATE = b"0" * 20
FIRMWARES = ("new", "old")


class Network(Protocol):
    """What a virtual socket needs from the simulator around it."""

    @property
    def timing(self) -> Timing:
        """Current timing (may change at run time)."""
        ...

    @property
    def counters(self) -> SimCounters:
        """The whole LAN's counters."""
        ...

    def now(self) -> float:
        """Monotonic time in seconds (the event loop's clock)."""
        ...

    def reply_delay(self) -> float:
        """Processing time before the answer to one request (reply_delay_s + seeded jitter)."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """Run callback after delay; cancelled when the simulator stops."""
        ...

    def cancel(self, handle: asyncio.TimerHandle) -> None:
        """Cancel a handle from call_later."""
        ...

    def transmit(self, device: VirtualSocket, datagram: bytes, host: str | None, delay: float) -> None:
        """Send from device to host (None = broadcast) after delay, unless it reboots meanwhile."""
        ...

    def create_future(self) -> asyncio.Future[None]:
        """Return a future of the simulator's loop."""
        ...

    def timers_changed(self, device: VirtualSocket) -> None:
        """Tell the ticker whether device now has timers to check."""
        ...


@dataclass(frozen=True, slots=True)
class Countdown:
    """A running countdown: the relay goes to `action` in `remaining_s` seconds."""

    action: bool
    remaining_s: int


@dataclass(slots=True)
class _RunningCountdown:
    action: bool
    deadline: float
    handle: asyncio.TimerHandle


def default_socket_data(mac: Mac, firmware: str, name: str | None) -> SocketData:
    """Return table 4 of a socket fresh from pairing, for either firmware (PROTOCOL.md §4.7)."""
    if firmware not in FIRMWARES:
        raise ValueError(f"firmware must be one of {FIRMWARES}, not {firmware!r}")
    data = SocketData(mac=mac, name_raw=encode_name(name))
    if firmware == "old":
        # NZ's 2014 socket: hw 16, fw 10, 138-byte record without the time-zone block.
        data = replace(data, hardware_version=16, firmware_version=10, timezone_block=None)
    return data


class VirtualSocket:
    """The state machine of one simulated S20."""

    def __init__(
        self,
        network: Network,
        *,
        mac: Mac,
        ip: str,
        firmware: str = "new",
        name: str | None = None,
        state: bool = False,
        product_id: str = "SOC005",
        clock: int = BOOT_CLOCK,
        cloud_connected: bool = False,
        socket_data: SocketData | None = None,
    ) -> None:
        if len(product_id.encode("ascii")) != 6:
            raise ValueError("product id is 6 ASCII characters, e.g. SOC005")
        self._net = network
        self.mac = mac
        self.ip = ip
        self.firmware = firmware
        self.product_id = product_id
        self.cloud_connected = cloud_connected
        self.socket_data = socket_data if socket_data is not None else default_socket_data(mac, firmware, name)
        if self.socket_data.mac != mac:
            self.socket_data = replace(self.socket_data, mac=mac)
        self.counters = SocketCounters()
        self.online = True
        # Incremented on reboot, going offline and moving: sends scheduled before are void.
        self.epoch = 0
        self._state = state
        self._timer_records: dict[int, bytes] = {}  # raw, as written: rt returns them verbatim
        self._timers: dict[int, Timer] = {}
        self._versions = {Table.TIMERS: 1, Table.SOCKET_DATA: 1}
        self._clock_value = clock
        self._clock_set_at = network.now()
        self._last_tick_clock: int | None = None
        self._subscribers: dict[str, float] = {}  # peer IP -> time of its last request
        self._busy_until = 0.0
        self._countdown: _RunningCountdown | None = None
        self._announce_handle: asyncio.TimerHandle | None = None
        self._announce_left = 0
        self._change_announce_handle: asyncio.TimerHandle | None = None
        self._reboot_handle: asyncio.TimerHandle | None = None
        self._boot_waiters: list[asyncio.Future[None]] = []
        self._stay_offline = False

    def __repr__(self) -> str:
        return f"VirtualSocket({self.mac}, {self.ip}, {'on' if self._state else 'off'})"

    # --- what tests read -----------------------------------------------------------------------

    @property
    def state(self) -> bool:
        """Whether the relay is on."""
        return self._state

    @property
    def name(self) -> str | None:
        """The name stored in table 4."""
        return self.socket_data.name

    @property
    def timers(self) -> dict[int, Timer]:
        """The timers by code (a copy)."""
        return dict(self._timers)

    @property
    def table_versions(self) -> dict[int, int]:
        """Change counters of tables 3 and 4, as `rt` table 1 reports them."""
        return {int(k): v for k, v in self._versions.items()}

    @property
    def countdown(self) -> Countdown | None:
        """The running countdown, or None."""
        if self._countdown is None:
            return None
        return Countdown(self._countdown.action, self._remaining(self._countdown))

    @property
    def clock(self) -> int:
        """The device clock now: seconds since 1900-01-01 UTC (PROTOCOL.md §4.1)."""
        return self._clock_at(self._net.now())

    @property
    def subscribers(self) -> tuple[str, ...]:
        """IPs of the peers currently subscribed."""
        now = self._net.now()
        return tuple(host for host in tuple(self._subscribers) if self._is_subscribed(host, now))

    @property
    def has_timers(self) -> bool:
        """Whether the ticker has to look at this socket."""
        return bool(self._timers) and not self._rebooting

    @property
    def _rebooting(self) -> bool:
        return self._reboot_handle is not None

    # --- control (the physical world) ----------------------------------------------------------

    def press_button(self, *, push: bool = True) -> bool:
        """Toggle the relay as the physical button does; returns the new state.

        push=False: both of the press's `sf` datagrams are lost on the air, to every subscriber
        (what a controller must correct by itself).
        """
        self.counters.button_presses += 1
        if not self._rebooting:
            self._set_relay(not self._state, push_delay=self._net.timing.push_delay_s, push=push)
        return self._state

    def set_clock(self, clock: int) -> None:
        """Set the device clock (what `cs` does)."""
        self._clock_value = clock & _U32
        self._clock_set_at = self._net.now()
        # A jump must not replay (or skip into) a backlog of timer moments.
        self._last_tick_clock = self._clock_value if self._timers else None

    def add_timer(self, timer: Timer) -> None:
        """Store a timer as a `tm` add would (bumps the table-3 counter)."""
        self._store_timer(timer.encode())
        self._versions[Table.TIMERS] += 1

    def reboot(self) -> asyncio.Future[None]:
        """Power-cycle: offline for `reboot_s`, relay off, subscriptions and clock lost.

        Returns a future that completes when the socket is back online (awaiting it is optional).
        """
        waiter = self._net.create_future()
        self._boot_waiters.append(waiter)
        self.counters.reboots += 1
        if not self._rebooting:
            # A socket whose Wi-Fi is down stays unreachable after the power cycle.
            self._stay_offline = not self.online
        self._go_offline()
        if self._reboot_handle is not None:
            self._net.cancel(self._reboot_handle)
        self._state = False
        self._subscribers.clear()
        self._cancel_countdown()
        self._last_tick_clock = None
        self._reboot_handle = self._net.call_later(self._net.timing.reboot_s, self._boot)
        self._net.timers_changed(self)
        return waiter

    def set_online(self, online: bool) -> None:
        """Drop off or rejoin Wi-Fi; the relay, countdown and timers keep running meanwhile."""
        if self._rebooting:
            self._stay_offline = not online  # applies when the boot completes
            return
        if online == self.online:
            return
        if online:
            self.online = True
            self._busy_until = 0.0
            self.start_announcing()
        else:
            self._go_offline()

    def moved(self, ip: str) -> None:
        """Note a new IP (the simulator updates its routing); a Wi-Fi rejoin announces."""
        self.ip = ip
        self.epoch += 1
        if self.online:
            self.start_announcing()

    def stop(self) -> None:
        """Cancel every scheduled action (the simulator is stopping)."""
        if self._reboot_handle is not None:
            # Finish the power cycle at once, quietly: a restarted simulator finds it booted.
            self._net.cancel(self._reboot_handle)
            self._reboot_handle = None
            self.set_clock(BOOT_CLOCK)
            self.online = not self._stay_offline
        for handle in (self._announce_handle, self._change_announce_handle):
            if handle is not None:
                self._net.cancel(handle)
        self._announce_handle = self._change_announce_handle = None
        self._cancel_countdown()
        for waiter in self._boot_waiters:
            if not waiter.done():
                waiter.cancel()
        self._boot_waiters.clear()

    def _go_offline(self) -> None:
        self.online = False
        self.epoch += 1
        self._busy_until = 0.0
        for handle in (self._announce_handle, self._change_announce_handle):
            if handle is not None:
                self._net.cancel(handle)
        self._announce_handle = self._change_announce_handle = None

    def _boot(self) -> None:
        self._reboot_handle = None
        self.set_clock(BOOT_CLOCK)  # no time service since 2019: the clock restarts (§3.13)
        waiters, self._boot_waiters = self._boot_waiters, []
        if not self._stay_offline:
            self.online = True
            self.start_announcing()
        self._stay_offline = False
        self._net.timers_changed(self)
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # --- announcements (§3.1) ------------------------------------------------------------------

    def start_announcing(self) -> None:
        """Begin the after-boot burst of unsolicited `qa` broadcasts."""
        if self._announce_handle is not None:
            self._net.cancel(self._announce_handle)
            self._announce_handle = None
        self._announce_left = self._net.timing.announce_count
        if self._announce_left > 0 and self.online:
            self._announce_handle = self._net.call_later(0.0, self._announce)

    def _announce(self) -> None:
        self._announce_handle = None
        if not self.online:
            return
        self._broadcast_announcement()
        timing = self._net.timing
        self._announce_left -= 1
        if self._announce_left > 0:
            self._announce_handle = self._net.call_later(timing.announce_interval_s, self._announce)
        elif timing.announce_every_s is not None and timing.announce_count > 0:
            self._announce_left = timing.announce_count
            self._announce_handle = self._net.call_later(timing.announce_every_s, self._announce)

    def _change_announcement(self) -> None:
        self._change_announce_handle = None
        if self.online:
            self._broadcast_announcement()

    def _broadcast_announcement(self) -> None:
        self.counters.announcements += 1
        self._net.transmit(self, encode(self._discovery_reply(Command.DISCOVER)), None, 0.0)

    def _discovery_reply(self, command: Command) -> DiscoveryReply:
        return DiscoveryReply(
            command=command, mac=self.mac, product_id=self.product_id, clock=self.clock,
            state=PowerState(self._state),
        )

    # --- the ticker (timers) -------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Fire the timers whose local time passed since the previous tick."""
        if not self._timers or self._rebooting:
            self._last_tick_clock = None
            return
        clock = self._clock_at(now)
        last, self._last_tick_clock = self._last_tick_clock, clock
        if last is None:
            return
        for timer in due_timers(self._timers.values(), last, clock, local_offset_s(self.socket_data)):
            self.counters.timers_fired += 1
            _LOGGER.debug("%s: timer %04x fires", self.mac, timer.code)
            self._set_relay(timer.action is PowerState.ON, push_delay=self._net.timing.push_delay_s)

    # --- requests ------------------------------------------------------------------------------

    def handle(self, message: ClientMessage, host: str) -> None:
        """Process one request from the controller at host."""
        now = self._net.now()
        sim = self._net.counters
        self.counters.received += 1
        if not self.online:
            self.counters.dropped_offline += 1
            sim.dropped_offline += 1
            return
        if now < self._busy_until:
            self.counters.dropped_busy += 1
            sim.dropped_busy += 1
            return
        subscribed = self._is_subscribed(host, now)
        delay = self._net.reply_delay()  # one processing time per request
        match message:
            case DiscoverRequest():
                if not self.socket_data.discoverable:
                    self.counters.ignored_locked += 1
                    return
                self._discovery_burst(Command.DISCOVER, host, now, delay)
            case DiscoverMacRequest():
                # Still answered when locked [obs JJ-pcap4].
                self._discovery_burst(Command.DISCOVER_MAC, host, now, delay)
            case SubscribeRequest(session=session):
                self._subscribers[host] = now
                reply = SubscribeReply(mac=self.mac, state=PowerState(self._state), session=session or _ZERO)
                self._reply(reply, host, delay)
                deaf_until = now + delay + self._net.timing.post_subscribe_deaf_s
                self._busy_until = max(self._busy_until, deaf_until)
                return
            case PasswordRequest() | LogoutRequest():
                # mp needs the vendor cloud (§3.12); lt was never answered (§2).
                sim.ignored_unsupported += 1
                return
            case _ if not subscribed:
                self.counters.ignored_unsubscribed += 1
                sim.ignored_unsubscribed += 1
                return
            case PowerRequest(state=state):
                self._reply(Ack(command=Command.POWER, mac=self.mac, session=self._ack_session), host, delay)
                self._set_relay(state is PowerState.ON, push_delay=delay + self._net.timing.push_delay_s)
            case HeartbeatRequest(session=session):
                self._reply(Ack(command=Command.HEARTBEAT, mac=self.mac, session=session), host, delay)
            case ReadTableRequest(table=table):
                self._reply(self._read_table(table), host, delay)
            case WriteTableRequest():
                if not self._write_table(message):
                    sim.malformed += 1
                    return
                self._reply(Ack(command=Command.WRITE_TABLE, mac=self.mac, session=self._ack_session), host, delay)
            case CountdownRequest():
                self._reply(self._countdown_request(message), host, delay)
            case ClockRequest(clock=clock, session=session):
                self.set_clock(clock)
                self._reply(Ack(command=Command.CLOCK, mac=self.mac, session=session), host, delay)
            case TimezoneRequest():
                self._set_timezone_block(message)
                self._reply(Ack(command=Command.TIMEZONE, mac=self.mac, session=self._ack_session), host, delay)
            case _:
                self._handle_other(message, host, delay)
        if subscribed:
            self._subscribers[host] = now  # any request keeps the subscription alive (§4.2)

    def _handle_other(self, message: ClientMessage, host: str, delay: float) -> None:
        """A request of another device family from a subscribed peer: a socket ignores it."""
        self._net.counters.ignored_unsupported += 1

    @property
    def _ack_session(self) -> bytes:
        return _CLOUD if self.cloud_connected else _ZERO

    def _is_subscribed(self, host: str, now: float) -> bool:
        seen = self._subscribers.get(host)
        if seen is None:
            return False
        if now - seen > self._net.timing.subscription_timeout_s:
            del self._subscribers[host]
            return False
        return True

    def _reply(self, message: DeviceMessage, host: str, delay: float) -> None:
        self.counters.replies += 1
        self._net.transmit(self, encode(message), host, delay)

    def _discovery_burst(self, command: Command, host: str, now: float, delay: float) -> None:
        timing = self._net.timing
        datagram = encode(self._discovery_reply(command))
        for i in range(timing.burst_count):
            self._net.transmit(self, datagram, host, delay + i * timing.burst_interval_s)
        self.counters.replies += timing.burst_count
        # Busy until one interval after the last reply: a cl 90–130 ms into it was lost (§3.1).
        end = now + delay + timing.burst_count * timing.burst_interval_s
        self._busy_until = max(self._busy_until, end)

    # --- relay, pushes, countdown ---------------------------------------------------------------

    def _set_relay(self, on: bool, *, push_delay: float, push: bool = True) -> None:
        changed = on != self._state
        self._state = on
        if self._countdown is not None and self._countdown.action == on:
            # Assumption: a countdown whose target state is reached has nothing left to do.
            self._cancel_countdown()
        data = self.socket_data
        if changed and on and data.auto_off_enabled and data.auto_off_seconds > 0:
            # Auto-off is copied into the regular countdown on every switch-on (§3.9).
            self._start_countdown(False, data.auto_off_seconds)
        timing = self._net.timing
        if push and (changed or timing.push_on_unchanged):
            self._push(push_delay)
        if changed and timing.announce_after_change_s is not None and self.online:
            if self._change_announce_handle is not None:
                self._net.cancel(self._change_announce_handle)
            self._change_announce_handle = self._net.call_later(
                timing.announce_after_change_s, self._change_announcement
            )

    def _push(self, delay: float) -> None:
        if not self.online:
            return
        datagram = encode(StateReport(mac=self.mac, state=PowerState(self._state)))
        repeat = self._net.timing.sf_repeat_s
        for host in self.subscribers:
            # Each push goes out twice, ~45 ms apart, to each subscriber (§3.5).
            self._net.transmit(self, datagram, host, delay)
            self._net.transmit(self, datagram, host, delay + repeat)
            self.counters.pushes += 2

    def _start_countdown(self, action: bool, seconds: int) -> None:
        self._cancel_countdown()
        handle = self._net.call_later(float(seconds), self._countdown_fired)
        self._countdown = _RunningCountdown(action, self._net.now() + seconds, handle)

    def _cancel_countdown(self) -> None:
        if self._countdown is not None:
            self._net.cancel(self._countdown.handle)
            self._countdown = None

    def _countdown_fired(self) -> None:
        countdown, self._countdown = self._countdown, None
        if countdown is None:
            return
        self.counters.countdowns_fired += 1
        self._set_relay(countdown.action, push_delay=self._net.timing.push_delay_s)

    def _remaining(self, countdown: _RunningCountdown) -> int:
        # Rounded first: (start + 5400) - start can come out a hair above 5400 in floats.
        left = math.ceil(round(countdown.deadline - self._net.now(), 6))
        return max(0, min(COUNTDOWN_MAX_S, left))

    def _countdown_request(self, request: CountdownRequest) -> CountdownReply:
        if request.mode is CountdownMode.READ:
            # Reply mode 00, action ff when nothing runs (§3.9).
            running = self._countdown
            if running is None:
                return CountdownReply(mac=self.mac, mode=0, action=None, seconds=0, session=request.session)
            action = PowerState.ON if running.action else PowerState.OFF
            seconds = self._remaining(running)
            return CountdownReply(mac=self.mac, mode=0, action=action, seconds=seconds, session=request.session)
        if request.action is None or request.seconds == 0:
            self._cancel_countdown()
        else:
            self._start_countdown(request.action is PowerState.ON, request.seconds)
        # The reply echoes the request with offset 18 = 01; FS-lib checks exactly that (§3.9).
        session = b"\x01" + request.session[1:]
        return CountdownReply(
            mac=self.mac, mode=int(request.mode), action=request.action, seconds=request.seconds, session=session
        )

    # --- tables (§3.7, §3.8) -------------------------------------------------------------------

    def _read_table(self, table: int) -> DeviceMessage:
        session = self._ack_session
        match table:
            case Table.TABLES:
                # Table 4 always; table 3 only when timers exist [obs]. Record number = table id (NZ).
                tables = [TableVersion(record_number=4, table=4, version=self._versions[Table.SOCKET_DATA])]
                if self._timers:
                    tables.append(TableVersion(record_number=3, table=3, version=self._versions[Table.TIMERS]))
                return TableListReply(mac=self.mac, tables=tuple(tables), session=session)
            case Table.SOCKET_DATA:
                return SocketDataReply(mac=self.mac, data=self.socket_data, session=session)
            case Table.TIMERS:
                # Records verbatim, in the order written; an empty table answers with no
                # records (not captured, PROTOCOL.md §7 q3).
                records = tuple(self._timer_records.values())
                return OtherTableReply(mac=self.mac, table=Table.TIMERS, records=records, session=session)
        return OtherTableReply(mac=self.mac, table=table, records=(), session=session)

    def _write_table(self, request: WriteTableRequest) -> bool:
        """Apply a tm; False when the data cannot be stored (then nothing is answered)."""
        match request.table:
            case Table.SOCKET_DATA:
                if request.op is not TableOp.MODIFY:
                    return True  # acked, nothing to add to or delete from a one-record table
                try:
                    written = SocketData.decode(request.data)
                except DecodeError:
                    return False
                current = self.socket_data
                if written.record_length != current.record_length:
                    return False  # a record for the other firmware's layout
                # The socket keeps its identity whatever the writer sent back.
                self.socket_data = replace(
                    written, mac=self.mac, hardware_version=current.hardware_version,
                    firmware_version=current.firmware_version,
                    wifi_firmware_version=current.wifi_firmware_version,
                )
                self._versions[Table.SOCKET_DATA] += 1
                return True
            case Table.TIMERS:
                if not self._write_timers(request):
                    return False
                self._versions[Table.TIMERS] += 1
                return True
        return True  # other tables: acked, ignored

    def _write_timers(self, request: WriteTableRequest) -> bool:
        # Not captured (§3.8): add with an existing code replaces it, modify or delete of an
        # unknown code is acked and changes nothing. The records are keyed by their code.
        if request.op is TableOp.DELETE:
            if len(request.data) != 2:
                return False
            (code,) = struct.unpack("<H", request.data)
            self._timer_records.pop(code, None)
            self._timers.pop(code, None)
            self._net.timers_changed(self)
            return True
        try:
            timer = Timer.decode(request.data)
        except DecodeError:
            return False
        if request.op is TableOp.MODIFY and timer.code not in self._timers:
            return True
        self._store_timer(request.data, timer)
        return True

    def _store_timer(self, record: bytes, timer: Timer | None = None) -> None:
        timer = timer if timer is not None else Timer.decode(record)
        self._timer_records[timer.code] = record
        self._timers[timer.code] = timer
        if self._last_tick_clock is None:
            self._last_tick_clock = self.clock
        self._net.timers_changed(self)

    def _set_timezone_block(self, request: TimezoneRequest) -> None:
        data = self.socket_data
        if data.timezone_block is None:
            return  # old firmware has no block to write; acked all the same
        # The 12 bytes land in rec 140–151; the DST dates stay unknown until the cloud's
        # `gt` answer, which never comes on the loopback LAN (§3.11, §3.13).
        block = TimezoneBlock(
            tz_index=request.tz_index, year=request.year, std_offset_s=request.std_offset_s,
            dst_offset_s=request.dst_offset_s, dst_start=_UNKNOWN_DST_DATE, dst_end=_UNKNOWN_DST_DATE,
        )
        try:
            replace(data, timezone_block=block).encode()
        except EncodeError:
            return
        self.socket_data = replace(data, timezone_block=block)
        self._versions[Table.SOCKET_DATA] += 1

    # --- clock ---------------------------------------------------------------------------------

    def _clock_at(self, now: float) -> int:
        return (self._clock_value + int(now - self._clock_set_at)) & _U32
