"""Table 1 lists the socket's tables and their change counters; every write moves one on."""

from __future__ import annotations

from datetime import date, time

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import PowerState, Timer
from simulator import Simulator

from .conftest import FAST


async def test_table_versions_follow_the_writes(simulator: Simulator, endpoint: S20Endpoint) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    client = S20Client(endpoint, vs.mac, vs.ip, timing=FAST)
    before = {t.table: t.version for t in await client.read_tables()}
    assert before == {4: vs.table_versions[4]}  # table 3 is listed only once a timer exists
    await client.rename("Desk")
    await client.add_timer(Timer.once(code=0, at=time(7, 0), on=date(2026, 12, 24), action=PowerState.ON))
    after = {t.table: t.version for t in await client.read_tables()}
    assert after == {4: before[4] + 1, 3: vs.table_versions[3]}
    await client.stop()
