"""After a resent request, when the next one may leave: late replies to the copies must land first.

Replies carry no request id. While the round-trip estimate holds and the last copy's reply came
within it, one RTO after the last copy is enough; a reply later than the estimate allows makes
the estimate untrusted (an earlier copy may have been the one answered), and the next request
then waits as long as the resent one took (at most max_rto_s), until an unambiguous sample.
All on loop time, with the simulator's arrival times: exact.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import ClientTiming, S20Client, S20Endpoint
from simulator import Faults, Simulator

# First reply after 30 ms: srtt 0.03, rttvar 0.015, so RTO = bound = 0.03 + 4 × 0.015 = 0.09.
TIMING = ClientTiming(initial_rto_s=0.1, min_rto_s=0.02, max_rto_s=0.5, backoff=2.0, deadline_s=2.0)
FIRST_REPLY_S = 0.03
RTO = 0.09
EXACT = 1e-6


async def _client(simulator: Simulator, endpoint: S20Endpoint) -> S20Client:
    simulator.timing = replace(simulator.timing, reply_delay_s=FIRST_REPLY_S, subscription_timeout_s=240.0)
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=TIMING)
    await client.subscribe()  # one unambiguous sample: the estimate is trusted
    return client


def _lose_until(simulator: Simulator, at: float) -> None:
    simulator.set_faults(Faults(loss_to_device=1.0))
    asyncio.get_running_loop().call_later(at, simulator.set_faults, Faults())


async def _two_reads(simulator: Simulator, client: S20Client) -> list[float]:
    """Read table 1 twice; the arrival times of every copy, from the first."""
    sent = simulator.record_arrivals()
    await client.read_tables()
    await client.read_tables()
    return [t - sent[0] for t in sent]


async def test_last_copy_answered_in_time_waits_one_rto(simulator: Simulator, endpoint: S20Endpoint) -> None:
    client = await _client(simulator, endpoint)
    _lose_until(simulator, 0.05)  # copy 0 lost; copy 1 (at 0.09) answered at 0.12
    assert await _two_reads(simulator, client) == pytest.approx([0.0, RTO, 2 * RTO], abs=EXACT)
    await client.stop()


async def test_a_reply_later_than_the_estimate_allows_waits_as_long_as_the_request_took(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    client = await _client(simulator, endpoint)
    # Replies now take 0.19 s: copy 0 (at 0) is answered at 0.19, after copy 1 left at 0.09,
    # 0.10 s after it: more than the bound of 0.09 s. Copy 1's own reply comes at 0.28.
    simulator.timing = replace(simulator.timing, reply_delay_s=0.19)
    assert (await _two_reads(simulator, client))[:3] == pytest.approx([0.0, RTO, 0.19 + 0.19], abs=EXACT)
    await client.stop()


async def test_an_untrusted_estimate_stays_untrusted_until_a_clean_sample(
    simulator: Simulator, endpoint: S20Endpoint
) -> None:
    client = await _client(simulator, endpoint)
    simulator.timing = replace(simulator.timing, reply_delay_s=0.19)
    await client.read_tables()  # ambiguous, as above: the estimate is no longer trusted
    await asyncio.sleep(1.0)
    simulator.timing = replace(simulator.timing, reply_delay_s=FIRST_REPLY_S)  # fast again
    _lose_until(simulator, 0.05)  # copy 0 lost; copy 1 (at 0.09) answered at 0.12
    # Untrusted: the next waits as long as this one took (0.12 s), not one RTO after copy 1.
    assert await _two_reads(simulator, client) == pytest.approx([0.0, RTO, 0.12 + 0.12], abs=EXACT)
    # That second read was answered without a resend: a clean sample (0.03 s), trusted again.
    # rttvar = 0.75 × 0.015 + 0.25 × 0 = 0.01125: RTO = 0.03 + 4 × 0.01125 = 0.075.
    _lose_until(simulator, 0.05)
    assert await _two_reads(simulator, client) == pytest.approx([0.0, 0.075, 0.15], abs=EXACT)
    await client.stop()
