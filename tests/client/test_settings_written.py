"""What the settings operations write into the socket's record (table 4), and what they refuse.

Each case goes over real UDP to the simulator and reads back the record the socket stored;
a refused value must leave the socket untouched and send nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from custom_components.orvibo_s20.client import S20Client, S20Endpoint
from custom_components.orvibo_s20.protocol import COUNTDOWN_MAX_S, EncodeError
from simulator import Simulator

from .conftest import FAST

# rec 132 (dst_flags): 00 DST on, 01 off, +2 for a half-hour zone (PROTOCOL.md §4.6)
TIME_ZONES = [
    (timedelta(0), False, 0, 1),
    (timedelta(hours=2), False, 2, 1),
    (timedelta(hours=2), True, 2, 0),
    (timedelta(hours=5, minutes=30), False, 5, 3),
    (timedelta(hours=-3, minutes=-30), True, -3, 2),
    (timedelta(hours=-12), False, -12, 1),
    (timedelta(hours=14), False, 14, 1),
]


@pytest.fixture
async def client(simulator: Simulator, endpoint: S20Endpoint) -> S20Client:
    vs = simulator.add_socket(ip="127.0.0.2")
    return S20Client(endpoint, vs.mac, vs.ip, timing=FAST)


@pytest.mark.parametrize(("offset", "dst", "hours", "flags"), TIME_ZONES)
async def test_time_zone_stored(
    simulator: Simulator, client: S20Client, offset: timedelta, dst: bool, hours: int, flags: int
) -> None:
    await client.set_timezone(offset, dst=dst)
    stored = simulator.get("127.0.0.2").socket_data
    assert (stored.timezone_hours, stored.dst_flags) == (hours, flags)
    assert client.socket_data == stored
    await client.stop()


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(hours=15),
        timedelta(hours=-15),
        timedelta(hours=5, minutes=45),
        timedelta(minutes=-30),
        # Seconds are refused on either side of UTC alike (local mean time, not a zone of today).
        timedelta(hours=5, seconds=30),
        timedelta(hours=-5, seconds=-30),
    ],
)
async def test_a_time_zone_the_socket_cannot_hold_is_refused_before_sending(
    simulator: Simulator, client: S20Client, offset: timedelta
) -> None:
    received = simulator.counters.received
    with pytest.raises(EncodeError, match=f"^the socket cannot represent UTC offset {offset}$"):
        await client.set_timezone(offset)
    assert simulator.counters.received == received
    await client.stop()


async def test_enabling_auto_off_sets_its_action_and_disabling_keeps_it(simulator: Simulator, client: S20Client) -> None:
    vs = simulator.get("127.0.0.2")
    assert vs.socket_data.auto_off_action == 0xFF  # a socket fresh from pairing
    await client.set_auto_off(False)
    assert (vs.socket_data.auto_off_enabled, vs.socket_data.auto_off_action) == (False, 0xFF)
    await client.set_auto_off(True, 90)
    assert (vs.socket_data.auto_off_enabled, vs.socket_data.auto_off_action, vs.socket_data.auto_off_seconds) == (
        True, 0x00, 90,
    )
    await client.set_auto_off(False)
    assert (vs.socket_data.auto_off_enabled, vs.socket_data.auto_off_action, vs.socket_data.auto_off_seconds) == (
        False, 0x00, 90,
    )
    await client.set_auto_off(True)  # the stored duration again
    assert (vs.socket_data.auto_off_enabled, vs.socket_data.auto_off_seconds) == (True, 90)
    await client.stop()


async def test_auto_off_takes_the_whole_range(simulator: Simulator, client: S20Client) -> None:
    await client.set_auto_off(True, COUNTDOWN_MAX_S)
    assert simulator.get("127.0.0.2").socket_data.auto_off_seconds == COUNTDOWN_MAX_S
    await client.set_auto_off(True, 1)
    assert simulator.get("127.0.0.2").socket_data.auto_off_seconds == 1
    await client.stop()


@pytest.mark.parametrize("seconds", [0, COUNTDOWN_MAX_S + 1])
async def test_an_auto_off_out_of_range_is_refused_before_sending(
    simulator: Simulator, client: S20Client, seconds: int
) -> None:
    received = simulator.counters.received
    with pytest.raises(EncodeError, match=f"^auto-off must be 1–{COUNTDOWN_MAX_S} seconds, not {seconds}$"):
        await client.set_auto_off(True, seconds)
    assert simulator.counters.received == received
    await client.stop()


async def test_enabling_auto_off_without_a_duration_writes_nothing(simulator: Simulator, client: S20Client) -> None:
    vs = simulator.get("127.0.0.2")
    versions = vs.table_versions
    with pytest.raises(EncodeError, match="^auto-off needs a duration$"):
        await client.set_auto_off(True)  # the socket stores none yet
    assert vs.table_versions == versions and not vs.socket_data.auto_off_enabled
    await client.stop()


async def test_a_name_too_long_is_refused_before_anything_is_sent(simulator: Simulator, client: S20Client) -> None:
    received = simulator.counters.received
    with pytest.raises(EncodeError):
        await client.rename("a name that is far too long")
    assert simulator.counters.received == received
    await client.stop()


async def test_the_client_keeps_the_record_it_read(simulator: Simulator, client: S20Client) -> None:
    data = await client.read_socket_data()
    assert data == simulator.get("127.0.0.2").socket_data == client.socket_data
    await client.stop()


async def test_the_client_keeps_the_record_it_wrote_and_says_so(simulator: Simulator, client: S20Client) -> None:
    changes: list[bool | None] = []
    client.add_listener(lambda: changes.append(None if client.socket_data is None else client.socket_data.discoverable))
    stored = await client.set_locked(True)
    vs = simulator.get("127.0.0.2")
    assert stored == vs.socket_data == client.socket_data
    assert stored.discoverable is False and changes[-1] is False
    await client.rename("  Desk  ")
    assert vs.socket_data.name == "Desk" == client.socket_data.name  # type: ignore[union-attr]
    await client.rename("")
    assert vs.socket_data.name is None
    await client.stop()


async def test_a_change_to_what_is_stored_writes_nothing(simulator: Simulator, client: S20Client) -> None:
    vs = simulator.get("127.0.0.2")
    versions = dict(vs.table_versions)
    assert await client.set_locked(False) == vs.socket_data  # already unlocked
    assert vs.table_versions == versions
    await client.stop()
