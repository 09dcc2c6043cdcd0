"""The control port's `timer` op: a timer stored as the vendor app would, read back over UDP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time

import pytest
from sim_peer import Peer

from custom_components.orvibo_s20.protocol import PowerState, ReadTableRequest, Table, TimersReply, Weekday
from simulator import Simulator
from simulator.control import ControlClient, ControlError, ControlServer


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[ControlClient]:
    server = ControlServer(sim, "127.0.0.1", 0)
    await server.start()
    client = ControlClient("127.0.0.1", server.port)
    yield client
    await client.close()
    await server.stop()


async def test_weekly_and_one_off_timers(sim: Simulator, control: ControlClient, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2", name="Heater")
    mac = str(vs.mac)
    weekly = await control.add_timer(mac, time="06:30", action=True, weekdays=[int(Weekday.MONDAY), int(Weekday.FRIDAY)])
    once = await control.add_timer(mac, time="22:15:30", action=False, date="2027-01-02", code=77)
    assert once == 77 and weekly != once
    await peer.subscribe(vs)
    peer.send(ReadTableRequest(mac=vs.mac, table=Table.TIMERS), vs.ip)
    reply, _host = await peer.recv()
    assert isinstance(reply, TimersReply)
    timers = {timer.code: timer for timer in reply.timers}
    assert timers[weekly].weekdays == {Weekday.MONDAY, Weekday.FRIDAY}
    assert (timers[weekly].at, timers[weekly].action) == (time(6, 30), PowerState.ON)
    assert (timers[77].date, timers[77].at, timers[77].action) == (date(2027, 1, 2), time(22, 15, 30), PowerState.OFF)
    detail = await control.get(mac)
    assert {timer["code"] for timer in detail["timers"]} == {weekly, 77}


async def test_a_timer_needs_a_day(sim: Simulator, control: ControlClient) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    with pytest.raises(ControlError):
        await control.add_timer(str(vs.mac), time="06:30", action=True)
    assert vs.timers == {}
