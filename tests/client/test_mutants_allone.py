"""Behaviour that surviving mutants of client/allone.py showed untested (docs/mutation.md), on loop time.

Each test names the mutants it kills (`AllOneClient` method + mutant number); all run real UDP
against the simulated AllOne, whose log of emissions (`allone.emitted`) is the judge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, Literal

import pytest

from custom_components.orvibo_s20.client import AllOneClient, ClientTiming, S20Endpoint, allone as allone_module
from custom_components.orvibo_s20.protocol import EncodeError, S20ConnectionError, S20TimeoutError
from simulator import Faults, Simulator
from tests.loopback import wait_for

from .conftest import FAST

EXACT = 1e-6
CODE = bytes.fromhex("0000000098000000") + bytes([7]) * 40
RF_ID = bytes.fromhex("abcdef")
SHORT = replace(FAST, initial_rto_s=0.2, deadline_s=0.3)  # one resend, then the deadline
SLOW_RTO = replace(FAST, initial_rto_s=1.0, min_rto_s=1.0, max_rto_s=1.0)  # nothing resent within 0.2 s
IN_FLIGHT_S = 0.2  # requests reach the AllOne this long after they were sent

type Operation = Callable[[AllOneClient], Coroutine[Any, Any, object]]


@pytest.fixture(autouse=True)
def real_subscription(simulator: Simulator) -> None:
    """The real device's subscription (240 s, §4.2), as in test_allone.py."""
    simulator.timing = replace(simulator.timing, subscription_timeout_s=240.0)


async def _subscribed(simulator: Simulator, endpoint: S20Endpoint, timing: ClientTiming = FAST) -> AllOneClient:
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, allone.ip, timing=timing)
    await client.subscribe()
    return client


# --- what a failure says, and when --------------------------------------------------------------

# Each operation, and what its failure names (the message the CLI prints and Home Assistant shows).
OPERATIONS: list[tuple[str, Operation, str]] = [
    ("learn", lambda c: c.learn(timeout_s=5.0), "learn"),
    ("send IR", lambda c: c.send_ir(CODE), "send IR"),
    ("RF on", lambda c: c.send_rf(RF_ID, True), "RF on"),
    ("RF off", lambda c: c.send_rf(RF_ID, False), "RF off"),
]


@pytest.mark.parametrize(("name", "operation", "what"), OPERATIONS, ids=[case[0] for case in OPERATIONS])
async def test_an_unanswered_request_is_named_and_given_up_at_the_clients_deadline(
    simulator: Simulator, endpoint: S20Endpoint, name: str, operation: Operation, what: str
) -> None:
    # Kills learn 11, 17, 18; _emit 3, 14, 15, 16; send_rf 23, 28–33 (the request's name), and
    # __init__ 4, 8 (the timing given is ignored: the default 5 s deadline instead of 0.3 s).
    client = await _subscribed(simulator, endpoint, SHORT)
    simulator.allone(client.mac).set_online(False)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(S20TimeoutError) as failure:
        await operation(client)
    assert str(failure.value) == f"{client.mac} at 127.0.0.2 did not answer {what}"
    assert loop.time() - started == pytest.approx(SHORT.deadline_s, abs=EXACT)
    await client.stop()


@pytest.mark.parametrize(("name", "operation", "what"), OPERATIONS, ids=[case[0] for case in OPERATIONS])
async def test_a_request_cut_short_by_stop_is_named(
    simulator: Simulator, endpoint: S20Endpoint, name: str, operation: Operation, what: str
) -> None:
    # Kills the same names as above, through S20ConnectionError's message.
    client = await _subscribed(simulator, endpoint, SLOW_RTO)
    simulator.allone(client.mac).set_online(False)
    task = asyncio.create_task(operation(client))
    await wait_for(lambda: client.stats.sent == 2)  # the subscribe, then this request
    await client.stop()
    with pytest.raises(S20ConnectionError) as failure:
        await task
    assert str(failure.value) == f"{client.mac}: the client stopped before {what} was answered"


# --- send_ir's arguments ------------------------------------------------------------------------


async def test_twenty_repeats_are_allowed_and_twenty_one_refused(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills send_ir 6 (`repeat < MAX_REPEATS`: 20, the documented maximum, refused).
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    await client.send_ir(CODE, repeat=20)
    assert [e.code for e in allone.emitted] == [CODE] * 20
    with pytest.raises(EncodeError, match="repeat must be 1–20, not 21"):
        await client.send_ir(CODE, repeat=21)
    assert len(allone.emitted) == 20
    await client.stop()


async def test_a_negative_delay_is_refused_with_a_reason(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills send_ir 10 (EncodeError(None): the message Home Assistant shows says nothing).
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, allone.ip, timing=FAST)
    with pytest.raises(EncodeError) as refused:
        await client.send_ir(CODE, repeat=2, delay_s=-0.5)
    assert str(refused.value) == "the delay between repeats cannot be negative (-0.5)"
    assert allone.counters.received == 0
    await client.stop()


async def test_repeats_follow_each_other_at_once_by_default(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills send_ir 2 (a 1 s default delay). The AllOne answers 30 ms after each emit, and the
    # next repeat leaves as the ack comes in.
    simulator.timing = replace(simulator.timing, reply_delay_s=0.03)
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    await client.send_ir(CODE, repeat=3)
    times = [e.at for e in allone.emitted]
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == pytest.approx([0.03, 0.03], abs=EXACT)
    await client.stop()


async def test_the_delay_comes_between_repeats_not_before_the_first(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Kills send_ir 20 (`index or delay_s`: the first emit waits the delay too).
    simulator.timing = replace(simulator.timing, reply_delay_s=0.03)
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    started = asyncio.get_running_loop().time()
    await client.send_ir(CODE, repeat=2, delay_s=0.5)
    first, second = (e.at for e in allone.emitted)
    assert first - started == pytest.approx(0.0, abs=EXACT)
    assert second - first == pytest.approx(0.03 + 0.5, abs=EXACT)
    await client.stop()


# --- request ids --------------------------------------------------------------------------------


class _ScriptedDraws:
    """Stands in for the random module in allone.py: each draw is the next of a script, a number
    or one end of the range asked for; like random.randint, it refuses a value outside it."""

    def __init__(self, *script: int | Literal["low", "high"]) -> None:
        self.script = list(script)

    def randint(self, low: int, high: int) -> int:
        draw = self.script.pop(0)
        value = low if draw == "low" else high if draw == "high" else draw
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}–{high}")
        return value


@pytest.mark.parametrize(
    ("script", "ids"),
    [
        (("low", "low", "high"), [1, 0xFFFF]),
        (("high", "high", "low"), [0xFFFF, 1]),
    ],
    ids=["low-then-high", "high-then-low"],
)
async def test_an_id_drawn_again_is_redrawn_so_the_allone_emits_both_sends(
    simulator: Simulator,
    endpoint: S20Endpoint,
    monkeypatch: pytest.MonkeyPatch,
    script: tuple[Literal["low", "high"], ...],
    ids: list[int],
) -> None:
    # The AllOne refuses an emit whose id is its previous one's: the second send's first draw
    # repeats the first send's id, the redraw gives the other end of the 16-bit range (0 unused).
    # Kills _next_id 6 (first draw from 2: id 1 never drawn), 7 (first draw up to 65536, which
    # 16 bits cannot carry), 9–13 (the redraw broken), 14 and 15 (the redraw's range, as 6 and 7)
    # and 16 (the last id forgotten: the repeat is sent, acked, and not emitted).
    monkeypatch.setattr(allone_module, "random", _ScriptedDraws(*script))
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    await client.send_ir(CODE)
    await client.send_ir(CODE)
    assert [(e.code, e.request_id) for e in allone.emitted] == [(CODE, ids[0]), (CODE, ids[1])]
    assert allone.counters.emits_refused == 0
    await client.stop()


async def test_each_rf_switch_carries_a_fresh_id(
    simulator: Simulator, endpoint: S20Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kills send_rf 14 (the request id left out: every RF `dc` carries id 0, not a drawn one as
    # GD-js's emitRF does).
    monkeypatch.setattr(allone_module, "random", _ScriptedDraws(0x1234, 0xBEEF))
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    await client.send_rf(RF_ID, True)
    await client.send_rf(RF_ID, False)
    assert [(e.kind, e.state, e.request_id) for e in allone.emitted] == [("rf", True, 0x1234), ("rf", False, 0xBEEF)]
    await client.stop()


# --- what confirms a send -----------------------------------------------------------------------

SENDS: list[tuple[str, Operation]] = [
    ("send IR", lambda c: c.send_ir(CODE)),
    ("RF on", lambda c: c.send_rf(RF_ID, True)),
]


@pytest.mark.parametrize(("name", "send"), SENDS, ids=[case[0] for case in SENDS])
async def test_a_button_press_while_a_send_is_in_flight_neither_confirms_nor_breaks_it(
    simulator: Simulator, endpoint: S20Endpoint, loop_errors: list[dict[str, object]], name: str, send: Operation
) -> None:
    # Kills _emit 10 (anything confirms an emit) and 12 (any EmitAck, and a `di` has no id to
    # read), send_rf 16 and 17 (`and`/`or` mixed up: a `di` has no RF id or state to read).
    # The send is on its way to the AllOne when someone presses its button: the `di` reaches the
    # listeners, and the send returns only once the AllOne has sent the code out and acked it.
    client = await _subscribed(simulator, endpoint, SLOW_RTO)
    allone = simulator.allone(client.mac)
    presses: list[int] = []
    client.add_button_listener(lambda: presses.append(client.button_presses))
    simulator.set_faults(Faults(latency_to_device_s=IN_FLIGHT_S))
    task = asyncio.create_task(send(client))
    await wait_for(lambda: client.stats.sent == 2)  # the subscribe, then this send
    allone.press_button()
    await wait_for(lambda: presses == [1])
    assert not task.done()
    assert allone.emitted == []
    await task
    assert len(allone.emitted) == 1
    assert client.stats.resent == 0
    assert loop_errors == []
    await client.stop()


async def test_a_button_press_counts_once_in_the_stats(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills _handle 9, 10, 11 (`pushes = 1`, `-= 1`, `+= 2`): the presses are the AllOne's pushes,
    # which stats.as_dict() reports (diagnostics).
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    for _ in range(3):
        allone.press_button()
    await wait_for(lambda: client.button_presses == 3)
    assert client.stats.pushes == 3
    assert client.stats.as_dict()["pushes"] == 3
    await client.stop()


# --- a code nobody waits for --------------------------------------------------------------------


async def test_a_code_that_comes_while_no_learn_waits_is_dropped_quietly(
    simulator: Simulator, endpoint: S20Endpoint, loop_errors: list[dict[str, object]]
) -> None:
    # Kills _handle 2 (`waiter is not None or not waiter.done()`: with no learn waiting, the
    # code's datagram raises AttributeError in the endpoint's callback, which the loop logs as an
    # error; the endpoint's taps, and a client sharing the route after this one, never hear it).
    client = await _subscribed(simulator, endpoint)
    allone = simulator.allone(client.mac)
    task = asyncio.create_task(client.learn(timeout_s=30.0))
    await wait_for(lambda: client.learning and allone.learning)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    heard: list[bytes] = []
    remove = endpoint.add_tap(lambda datagram, _host: heard.append(datagram))
    assert allone.point_code(CODE)  # still in learning mode: the code goes to the client
    await wait_for(lambda: heard)
    remove()
    assert loop_errors == []
    assert not client.learning
    await client.send_ir(CODE)
    assert [e.code for e in allone.emitted] == [CODE]
    await client.stop()
