"""One virtual Orvibo AllOne (WiWo-R1): learning, emitting IR and RF 433, its button, its sleep.

Theory of operation (docs/ALLONE.md). The AllOne runs the S20's Wi-Fi module firmware, so it
inherits a virtual socket's discovery (a 41-byte reply: no relay state), subscription, heartbeat,
announcements, reboots and faults, and has no relay: a socket's 23-byte `dc` is ignored. What
it adds:

* `ls` from a subscribed peer: ack, then learning mode for `learn_window_s`. A code pointed at
  it meanwhile (`point_code`, the control port's `learn` op: the remote's button pressed at the
  ring) is sent to that peer in a learned-code `ls` frame, once, and learning ends.
* `ic`: ack with the request's id echoed, and emit the code, unless the id is the previous
  emit's (the AllOne refuses a repeated id, GD-js): a resend after a lost ack emits nothing.
* RF `dc`: answered with the request's fields, the RF code emitted.
* Every emission is logged (`emitted`), so tests check exactly what went out on the air.
* Its button (`press_button`) sends `di` to every subscriber.
* Sleep: after `allone_sleep_after_s` without a datagram, the first one is dropped (it wakes).
"""

from __future__ import annotations

from dataclasses import dataclass
import logging

from custom_components.orvibo_s20.protocol import (
    ButtonPress,
    ClientMessage,
    EmitAck,
    EmitRequest,
    LearnAck,
    LearnedCode,
    LearnRequest,
    Mac,
    PowerRequest,
    RfAck,
    RfRequest,
    encode,
)
from custom_components.orvibo_s20.protocol.messages import DiscoveryReply
from custom_components.orvibo_s20.protocol.const import Command

from .device import Network, VirtualSocket
from .timing import BOOT_CLOCK

_LOGGER = logging.getLogger(__name__)

ALLONE_PRODUCT_ID = "IRD013"


@dataclass(frozen=True, slots=True, kw_only=True)
class Emission:
    """One code the AllOne sent out on the air."""

    kind: str  # "ir" or "rf"
    code: bytes  # the IR code, or the RF id
    at: float  # loop time
    request_id: int
    rf_key: int | None = None  # RF only
    state: bool | None = None  # RF only: on or off


class VirtualAllOne(VirtualSocket):
    """The state machine of one simulated AllOne."""

    kind = "allone"

    def __init__(
        self,
        network: Network,
        *,
        mac: Mac,
        ip: str,
        name: str | None = None,
        product_id: str = ALLONE_PRODUCT_ID,
        clock: int = BOOT_CLOCK,
        cloud_connected: bool = False,
    ) -> None:
        super().__init__(
            network, mac=mac, ip=ip, name=name, product_id=product_id, clock=clock, cloud_connected=cloud_connected
        )
        self.emitted: list[Emission] = []
        self._learner: str | None = None  # the peer whose `ls` started learning mode
        self._learn_until = 0.0
        self._last_emit_id: int | None = None
        self._last_heard = network.now()

    def __repr__(self) -> str:
        return f"VirtualAllOne({self.mac}, {self.ip})"

    @property
    def learning(self) -> bool:
        """Whether it waits for a code to learn (its ring glows red)."""
        return self._learner is not None and self._net.now() < self._learn_until

    # --- control (the physical world) ----------------------------------------------------------

    def press_button(self, *, push: bool = True) -> bool:
        """Press the button on top: `di` to every subscriber (none when push=False). Returns False."""
        self.counters.button_presses += 1
        if push and self.online and not self._rebooting:
            datagram = encode(ButtonPress(mac=self.mac))
            for host in self.subscribers:
                self._net.transmit(self, datagram, host, self._net.timing.push_delay_s)
                self.counters.pushes += 1
        return False

    def point_code(self, code: bytes) -> bool:
        """Point a remote at the ring and press: learned if in learning mode. Returns whether it was."""
        if not code:
            raise ValueError("a code has at least one byte")
        if not self.learning or not self.online:
            return False
        learner, self._learner = self._learner, None
        assert learner is not None
        self.counters.codes_learned += 1
        frame = LearnedCode(mac=self.mac, session=self._ack_session, code=code)
        self._net.transmit(self, encode(frame), learner, self._net.timing.push_delay_s)
        return True

    # --- requests ------------------------------------------------------------------------------

    def handle(self, message: ClientMessage, host: str) -> None:
        """Process one request; asleep after an idle while, the first datagram only wakes it."""
        now = self._net.now()
        sleep_after = self._net.timing.allone_sleep_after_s
        if self.online and not self._rebooting:
            idle = now - self._last_heard
            self._last_heard = now
            if sleep_after is not None and idle > sleep_after:
                self.counters.received += 1
                self.counters.dropped_asleep += 1
                self._net.counters.dropped_asleep += 1
                _LOGGER.debug("%s: asleep after %.0f s idle, dropped %s", self.mac, idle, message.command)
                return
        if isinstance(message, PowerRequest):
            self.counters.received += 1
            self._net.counters.ignored_unsupported += 1  # no relay
            return
        super().handle(message, host)

    def _handle_other(self, message: ClientMessage, host: str, delay: float) -> None:
        now = self._net.now()
        match message:
            case LearnRequest():
                self._learner, self._learn_until = host, now + delay + self._net.timing.learn_window_s
                self._reply(LearnAck(mac=self.mac, session=self._ack_session), host, delay)
            case EmitRequest(code=code, request_id=request_id):
                self._reply(EmitAck(mac=self.mac, session=self._ack_session, request_id=request_id), host, delay)
                if request_id == self._last_emit_id:
                    self.counters.emits_refused += 1
                    return
                self._last_emit_id = request_id
                self._emit(Emission(kind="ir", code=code, at=now, request_id=request_id))
            case RfRequest(rf_id=rf_id, rf_key=rf_key, state=state, request_id=request_id, session=session):
                answer = RfAck(mac=self.mac, state=state, rf_id=rf_id, rf_key=rf_key, request_id=request_id, session=session)
                self._reply(answer, host, delay)
                self._emit(Emission(kind="rf", code=rf_id, at=now, request_id=request_id, rf_key=rf_key, state=bool(state)))
            case _:
                super()._handle_other(message, host, delay)

    def _emit(self, emission: Emission) -> None:
        self.counters.codes_emitted += 1
        self.emitted.append(emission)

    def _discovery_reply(self, command: Command) -> DiscoveryReply:
        # 41 bytes: an AllOne has no relay state (PROTOCOL.md §3.1).
        return DiscoveryReply(command=command, mac=self.mac, product_id=self.product_id, clock=self.clock, state=None)
