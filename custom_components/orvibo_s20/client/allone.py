"""`AllOneClient`: an Orvibo AllOne's operations on the shared request machinery (`device.py`).

Theory of operation (docs/ALLONE.md); the queue, resends, subscription, keepalive and
availability are `DeviceClient`'s, as for a socket. What an AllOne adds:

* **It sleeps when idle.** After a while without traffic the AllOne drops the first datagram
  it gets (it is waking up). Every request is resent until its answer, so the resend one RTO
  later gets through; the keepalive (a `cl` every 10 s once started) mostly keeps it awake.
* **Emitting is confirmed by its own ack, once per id.** Each `send_ir` draws a fresh 16-bit id
  (never the previous one) and keeps it for its resends; the AllOne emits a code once per id
  (it refuses an id equal to the last one, GD-js `emitIR`), so a resend after a lost ack does
  not fire the code twice. The `ic` ack echoes the id and confirms that send only.
* **Learning is a request and a wait.** `learn()` sends `ls` until the AllOne acks (its ring
  glows red), then waits up to `timeout_s` for the frame carrying the code. Only a code heard
  after this learn's ack counts: a late copy of an earlier code does not. Cancelling the wait
  leaves the client usable; the AllOne leaves learning mode by itself.
* **RF 433** (Orvibo T030 switches) is a longer `dc`, confirmed by the AllOne's `dc` answer
  with the same RF id and state. Switching is idempotent, so a resend does no harm.
* **Its button** (`di`) calls the button listeners at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import random

from ..protocol import (
    DEFAULT_RF_KEY,
    ButtonPress,
    DeviceFamily,
    DeviceMessage,
    EmitAck,
    EmitRequest,
    EncodeError,
    LearnAck,
    LearnedCode,
    LearnRequest,
    Mac,
    PowerState,
    RfAck,
    RfRequest,
    S20TimeoutError,
    encode,
)
from .device import ClientTiming, DeviceClient
from .endpoint import S20Endpoint

_LOGGER = logging.getLogger(__name__)

type ButtonListener = Callable[[], None]

LEARN_TIMEOUT_S = 30.0  # asyncio-orvibo gives learning mode at most 40 s
MAX_REPEATS = 20


class AllOneClient(DeviceClient):
    """Control one Orvibo AllOne (WiWo-R1) over the shared endpoint: learn and emit codes."""

    family = DeviceFamily.ALLONE

    def __init__(
        self,
        endpoint: S20Endpoint,
        mac: Mac,
        host: str,
        *,
        timing: ClientTiming | None = None,
    ) -> None:
        super().__init__(endpoint, mac, host, timing=timing)
        self._button_listeners: list[ButtonListener] = []
        self._learn_lock = asyncio.Lock()
        self._code_waiter: asyncio.Future[bytes] | None = None  # armed by the ack of a learn
        self._last_id: int | None = None
        self.button_presses = 0

    # --- incoming --------------------------------------------------------------------------

    def _handle(self, message: DeviceMessage, answers_request: bool) -> None:
        if isinstance(message, LearnedCode):
            waiter = self._code_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(message.code)
            else:
                _LOGGER.debug("%s: a learned code came while no learn waited for one", self.mac)
        elif isinstance(message, ButtonPress):
            self.button_presses += 1
            self.stats.pushes += 1
            for listener in tuple(self._button_listeners):
                listener()

    def add_button_listener(self, listener: ButtonListener) -> Callable[[], None]:
        """Call listener on every press of the AllOne's button; returns the remover."""
        self._button_listeners.append(listener)
        return lambda: self._button_listeners.remove(listener)

    # --- operations ------------------------------------------------------------------------

    @property
    def learning(self) -> bool:
        """Whether a learn is waiting for its code (the AllOne acked `ls`)."""
        return self._code_waiter is not None and not self._code_waiter.done()

    async def subscribe(self) -> None:
        """Subscribe (again); the AllOne has no state to return."""
        await self._subscribe()

    async def learn(self, *, timeout_s: float = LEARN_TIMEOUT_S) -> bytes:
        """Put the AllOne in learning mode and return the next code it sees (IR or RF 433).

        Raises S20TimeoutError when the AllOne does not ack, or no code comes within timeout_s
        of the ack. Learns are serialized; cancelling one leaves the client usable.
        """
        if not timeout_s > 0:
            raise EncodeError(f"a learn needs a positive timeout, not {timeout_s}")
        async with self._learn_lock:
            code: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

            def acked(message: DeviceMessage) -> bool | None:
                if not isinstance(message, LearnAck):
                    return None
                # Armed here, in the ack's own callback: a code right behind the ack is not missed.
                self._code_waiter = code
                return True

            try:
                await self._command(lambda _: (LearnRequest(mac=self.mac),), acked, what="learn")
                try:
                    async with asyncio.timeout(timeout_s):
                        return await code
                except TimeoutError:
                    _LOGGER.debug("%s: no code within %.0f s of learning mode", self.mac, timeout_s)
                    raise S20TimeoutError(f"{self.mac} at {self.host} learned no code within {timeout_s:g} s") from None
            finally:
                self._code_waiter = None
                if not code.done():
                    code.cancel()

    def _next_id(self) -> int:
        """A fresh request id: the AllOne refuses the id of its previous emit (GD-js)."""
        request_id = random.randint(1, 0xFFFF)
        while request_id == self._last_id:
            request_id = random.randint(1, 0xFFFF)
        self._last_id = request_id
        return request_id

    async def send_ir(self, code: bytes, *, repeat: int = 1, delay_s: float = 0.0) -> None:
        """Emit a learned code `repeat` times, `delay_s` apart, each confirmed by the AllOne.

        Raises EncodeError before anything is sent when the code or repeat is unusable, and
        S20TimeoutError when an emit is not acked before the deadline (the repeats after it are
        not sent).
        """
        if not 1 <= repeat <= MAX_REPEATS:
            raise EncodeError(f"repeat must be 1–{MAX_REPEATS}, not {repeat}")
        if delay_s < 0:
            raise EncodeError(f"the delay between repeats cannot be negative ({delay_s})")
        encode(EmitRequest(mac=self.mac, code=code, request_id=0))  # raises EncodeError on a bad code
        for index in range(repeat):
            if index and delay_s:
                await asyncio.sleep(delay_s)
            await self._emit(EmitRequest(mac=self.mac, code=code, request_id=self._next_id()))

    async def _emit(self, request: EmitRequest) -> None:
        """Send one emit (resent with its id) until the ack that echoes its id."""
        await self._command(
            lambda _: (request,),
            lambda m: True if isinstance(m, EmitAck) and m.request_id == request.request_id else None,
            what="send IR",
        )

    async def send_rf(self, rf_id: bytes, on: bool, *, rf_key: int = DEFAULT_RF_KEY) -> None:
        """Switch an Orvibo T030 433 MHz switch that learned (rf_key, rf_id) on or off."""
        state = PowerState.ON if on else PowerState.OFF
        request = RfRequest(mac=self.mac, state=state, rf_id=rf_id, rf_key=rf_key, request_id=self._next_id())
        encode(request)  # raises EncodeError before anything is sent

        def answered(message: DeviceMessage) -> bool | None:
            if isinstance(message, RfAck) and message.rf_id == rf_id and message.state is state:
                return True
            return None

        await self._command(lambda _: (request,), answered, what=f"RF {'on' if on else 'off'}")
