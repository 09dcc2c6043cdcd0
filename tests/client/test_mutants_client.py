"""Behaviour that surviving mutants of client/ showed untested (docs/mutation.md), on loop time.

Each test names the mutants it kills; all run real UDP against the simulator.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Literal

import pytest

from custom_components.orvibo_s20.client import (
    ClientTiming,
    S20Client,
    S20Endpoint,
    client as client_module,
    probe_host,
    probe_mac,
)
from custom_components.orvibo_s20.protocol import (
    Ack,
    Command,
    CountdownReply,
    Mac,
    PowerState,
    Timer,
    decode_from_device,
)
from custom_components.orvibo_s20.protocol.const import ZERO_SESSION
from simulator import Simulator

from .conftest import FAST

EXACT = 1e-6
# As in test_settle_after_resends.py: a first reply after 30 ms makes srtt 0.03 and rttvar 0.015,
# so the RTO and the bound of a trusted estimate are both 0.03 + 4 × 0.015 = 0.09 s.
SETTLE_TIMING = ClientTiming(initial_rto_s=0.1, min_rto_s=0.02, max_rto_s=0.5, backoff=2.0, deadline_s=2.0)
FIRST_REPLY_S = 0.03
RTO = 0.09


async def _subscribed(simulator: Simulator, endpoint: S20Endpoint, timing: ClientTiming = FAST) -> S20Client:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=timing)
    await client.subscribe()
    return client


# --- set_power: what confirms it, and whose change it was --------------------------------------


async def test_a_cl_reply_that_confirms_before_the_push_marks_the_change_ours(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Kills _on_message 58 and 61 (client.py `_handle`, SubscribeReply: requested=...).
    # The push comes 0.1 s after the ack, later than one RTO (0.02 s): the resend's cl reply,
    # showing the new state, confirms the command before any push.
    simulator.timing = replace(simulator.timing, push_delay_s=0.1)
    client = await _subscribed(simulator, endpoint)
    seen: list[tuple[bool | None, bool]] = []
    client.add_listener(lambda: seen.append((client.state, client.change_requested)))
    await client.set_power(True)
    assert client.stats.pushes == 0  # confirmed by the cl reply, not by a push
    assert seen == [(True, True)]
    await client.stop()


async def test_the_old_states_repeat_after_our_ack_does_not_confirm(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Kills set_power 22 (`True if (message.state is wanted) or True`).
    # Pushes follow the ack by 60 ms and repeat 45 ms later: the `on` push's repeat (0.105 s)
    # arrives after the `off` command's ack (0.06 s) and before its own push (0.12 s).
    simulator.timing = replace(simulator.timing, push_delay_s=0.06, sf_repeat_s=0.045)
    slow_rto = replace(FAST, initial_rto_s=0.5, min_rto_s=0.5, max_rto_s=1.0)  # no resend meanwhile
    client = await _subscribed(simulator, endpoint, slow_rto)
    await client.set_power(True)
    assert client.stats.pushes == 1
    await client.set_power(False)
    assert client.stats.pushes == 3  # the on's repeat, then the off push that confirmed
    assert client.state is False and client.stats.resent == 0
    await client.stop()


# --- when the next request may leave after a resent set_power ----------------------------------


async def test_a_push_of_the_first_copy_confirming_after_the_resend_waits_one_rto(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Kills _settle_after_resends 13 (`echo is not None and ...`) and 15 (`now + last_sent`).
    # Ack at 0.03 gives copy 0 one more RTO; copy 1 (dc + cl) leaves at 0.12; copy 0's push at
    # 0.13 confirms before copy 1's replies (0.15): the last copy's echo is not in, but the
    # request ended within the bound after it, so one RTO after copy 1 covers its replies.
    simulator.timing = replace(
        simulator.timing, reply_delay_s=FIRST_REPLY_S, push_delay_s=0.1, subscription_timeout_s=240.0
    )
    client = await _subscribed(simulator, endpoint, SETTLE_TIMING)
    sent = simulator.record_arrivals()
    await client.set_power(True)
    await client.read_tables()
    offsets = [t - sent[0] for t in sent]
    copy_1 = FIRST_REPLY_S + RTO
    assert offsets == pytest.approx([0.0, copy_1, copy_1, copy_1 + RTO], abs=EXACT)
    await client.stop()


async def test_the_last_copys_echo_in_time_waits_one_rto_even_when_the_match_came_later(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Kills _settle_after_resends 14 (`echo is None or ...`).
    # Replies now take 0.1 s: copy 1 (dc + cl) leaves at 0.09; copy 0's ack at 0.1 is heard as
    # copy 1's echo (0.01 s, within the bound); copy 1's cl reply confirms at 0.19, 0.1 s after
    # it: later than the bound, but with an echo in time one RTO after copy 1 (0.18) suffices.
    simulator.timing = replace(
        simulator.timing, reply_delay_s=FIRST_REPLY_S, push_delay_s=0.1, subscription_timeout_s=240.0
    )
    client = await _subscribed(simulator, endpoint, SETTLE_TIMING)
    simulator.timing = replace(simulator.timing, reply_delay_s=0.1)
    sent = simulator.record_arrivals()
    await client.set_power(True)
    await client.read_tables()
    offsets = [t - sent[0] for t in sent]
    assert offsets[:4] == pytest.approx([0.0, RTO, RTO, RTO + 0.1], abs=EXACT)  # (the rt is resent too)
    await client.stop()


# --- the keepalive -------------------------------------------------------------------------------


async def test_a_reboot_heard_right_after_a_keepalive_is_acted_on_at_once(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    # Kills _keepalive_loop 17 (`_subscribe(settle=True)`): a keepalive that slept out the
    # socket's deaf moment itself would clear the wake-up of an announcement heard meanwhile.
    simulator.timing = replace(simulator.timing, announce_count=1, reboot_s=0.004)
    timing = replace(FAST, keepalive_s=1.0)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=timing)
    await client.set_clock(datetime(2026, 12, 7, 12, tzinfo=UTC))  # a clock set: a reboot restarts it
    await client.subscribe()
    client.start()
    loop = asyncio.get_running_loop()
    grid = loop.time() + timing.keepalive_s - loop.time() % timing.keepalive_s  # the next keepalive
    # The socket answers that keepalive, reboots 1 ms later and announces itself 4 ms after.
    loop.call_at(grid + 0.001, vs.reboot)
    sent = simulator.record_arrivals()
    await asyncio.sleep(grid - loop.time() + 0.5)
    assert client.reboots == 1
    # The keepalive's cl at the grid, and the new subscription as soon as the announcement came
    # (after the burst guard any discovery reply starts).
    assert [t - grid for t in sent] == pytest.approx([0.0, 0.005 + timing.burst_guard_s], abs=EXACT)
    assert client.stats.resubscribes == 1 and client.available is True
    await client.stop()


# --- what goes on the wire ---------------------------------------------------------------------


async def test_each_heartbeat_carries_a_fresh_session(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills heartbeat 16 (the session left out: always zero). The socket echoes it (§3.6).
    client = await _subscribed(simulator, endpoint)
    echoed: list[bytes] = []

    def tap(datagram: bytes, _host: str) -> None:
        message = decode_from_device(datagram)
        if isinstance(message, Ack) and message.command is Command.HEARTBEAT:
            echoed.append(message.session)

    remove = endpoint.add_tap(tap)
    await client.heartbeat()
    await client.heartbeat()
    remove()
    assert len(echoed) == 2 and ZERO_SESSION not in echoed
    assert echoed[0] != echoed[1]  # 32 random bits each: equal once in 4 billion runs
    await client.stop()


async def test_cancelling_a_countdown_asks_for_zero_seconds(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills cancel_countdown 6 (1 s instead of 0). The socket echoes the request (§3.9).
    client = await _subscribed(simulator, endpoint)
    replies: list[CountdownReply] = []

    def tap(datagram: bytes, _host: str) -> None:
        if isinstance(message := decode_from_device(datagram), CountdownReply):
            replies.append(message)

    remove = endpoint.add_tap(tap)
    await client.start_countdown(60, True)
    await client.cancel_countdown()
    remove()
    assert [(r.action, r.seconds) for r in replies] == [(PowerState.ON, 60), (None, 0)]
    assert await client.get_countdown() is None
    await client.stop()


class _DrawAtTheEnd:
    """Stands in for the random module in client.py: each draw lands on one end of its range."""

    def __init__(self, end: Literal["low", "high"]) -> None:
        self.end = end

    def randint(self, low: int, high: int) -> int:
        return low if self.end == "low" else high


@pytest.mark.parametrize(("end", "code"), [("low", 1), ("high", 0xFFFF)])
async def test_a_timer_code_drawn_at_either_end_of_its_range_is_stored(
    simulator: Simulator, endpoint: S20Endpoint, monkeypatch: pytest.MonkeyPatch, end: Literal["low", "high"], code: int
) -> None:
    # Kills add_timer 12 (`randint(2, 0xFFFF)`: code 1 never drawn) and 13 (`randint(1, 65536)`:
    # a code that does not fit the record's 16 bits). Code 0 is never drawn.
    client = await _subscribed(simulator, endpoint)
    monkeypatch.setattr(client_module, "random", _DrawAtTheEnd(end))
    timer = Timer.once(code=0, at=time(6, 30), on=date(2027, 1, 4), action=PowerState.ON)
    stored = await client.add_timer(timer)
    assert stored.code == code
    assert simulator.get(client.mac).timers == {code: stored}
    assert await client.get_timers() == (stored,)
    await client.stop()


# --- the probes' documented defaults (docs/client-api.md) --------------------------------------


async def test_probes_give_up_after_two_seconds_by_default(simulator: Simulator, endpoint: S20Endpoint) -> None:
    # Kills probe_host 1 and probe_mac 1 (a 3 s default).
    loop = asyncio.get_running_loop()
    start = loop.time()
    assert await probe_host(endpoint, "127.0.0.9") is None
    assert loop.time() - start == pytest.approx(2.0, abs=EXACT)
    start = loop.time()
    assert await probe_mac(endpoint, Mac.parse("ac:cf:23:00:00:99")) is None
    assert loop.time() - start == pytest.approx(2.0, abs=EXACT)
