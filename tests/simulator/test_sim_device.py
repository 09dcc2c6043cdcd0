"""The virtual socket's protocol behaviour, driven over real UDP on the loopback LAN."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sim_peer import FAST, Peer, wait_for

from custom_components.orvibo_s20.protocol import (
    Ack,
    ClockRequest,
    Command,
    CountdownMode,
    CountdownReply,
    CountdownRequest,
    DiscoverMacRequest,
    DiscoverRequest,
    DiscoveryReply,
    HeartbeatRequest,
    LogoutRequest,
    Mac,
    PasswordRequest,
    PowerRequest,
    PowerState,
    ReadTableRequest,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    SubscribeRequest,
    TableListReply,
    TableVersion,
    Timer,
    TimersReply,
    TimezoneRequest,
    clock_from_datetime,
    decode_from_device,
    encode,
    socket_data_write,
    timer_delete,
    timer_write,
)
from simulator import BOOT_CLOCK, Simulator

BROADCAST = "127.255.255.255"
ON, OFF = PowerState.ON, PowerState.OFF


def _timer(code: int, hour: int = 7, action: PowerState = ON) -> Timer:
    return Timer(code=code, action=action, year=2026, month=1, day=5, hour=hour, minute=30, repeat=0xFF)


# --- discovery (§3.1, §3.2) ----------------------------------------------------------------------


async def test_qa_is_answered_ten_times_unicast(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2", state=True)
    peer.send(DiscoverRequest(), BROADCAST)
    got = await peer.collect(0.4)
    assert [host for _, host, _ in got] == ["127.0.0.2"] * 10
    replies = [m for m, _, _ in got]
    assert all(isinstance(m, DiscoveryReply) and m.command is Command.DISCOVER for m in replies)
    first = replies[0]
    assert isinstance(first, DiscoveryReply)
    assert (first.mac, first.state, first.product_id) == (vs.mac, ON, "SOC005")
    # ~15 ms apart: the ten replies span ~135 ms.
    assert got[-1][2] - got[0][2] > 0.08


async def test_requests_during_the_burst_are_dropped(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    peer.send(DiscoverRequest(), BROADCAST)
    await peer.recv()  # the burst has started
    peer.send(SubscribeRequest(mac=vs.mac), vs.ip)
    got = await peer.collect(0.3)
    assert all(isinstance(m, DiscoveryReply) for m, _, _ in got)
    assert sim.counters.dropped_busy == 1 and vs.counters.dropped_busy == 1
    assert vs.subscribers == ()
    await peer.subscribe(vs)  # after the burst: answered


async def test_post_subscribe_deaf_window(sim: Simulator, peer: Peer) -> None:
    sim.timing = replace(sim.timing, post_subscribe_deaf_s=0.1)
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing()
    assert sim.counters.dropped_busy == 1
    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
    message, _ = await peer.recv()
    assert isinstance(message, Ack) and message.command is Command.HEARTBEAT


async def test_every_socket_answers_a_broadcast_qa(sim: Simulator, peer: Peer) -> None:
    macs = {sim.add_socket().mac for _ in range(5)}
    peer.send(DiscoverRequest(), BROADCAST)
    got = await peer.collect(0.4)
    assert len(got) == 50
    assert {m.mac for m, _, _ in got if isinstance(m, DiscoveryReply)} == macs
    assert {host for _, host, _ in got} == {f"127.0.0.{i}" for i in range(2, 7)}


async def test_locked_socket_ignores_qa_but_answers_qg(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    vs.socket_data = replace(vs.socket_data, discoverable=False)
    peer.send(DiscoverRequest(), BROADCAST)
    await peer.expect_nothing()
    assert vs.counters.ignored_locked == 1
    peer.send(DiscoverMacRequest(mac=vs.mac), BROADCAST)
    got = await peer.collect(0.3)
    assert len(got) == 10
    assert all(isinstance(m, DiscoveryReply) and m.command is Command.DISCOVER_MAC for m, _, _ in got)


async def test_qg_for_an_unknown_mac(sim: Simulator, peer: Peer) -> None:
    sim.add_socket(ip="127.0.0.2")
    peer.send(DiscoverMacRequest(mac=Mac.parse("ac:cf:23:99:99:99")), BROADCAST)
    await peer.expect_nothing()
    assert sim.counters.unknown_mac == 1


async def test_unicast_request_with_another_mac_is_ignored(sim: Simulator, peer: Peer) -> None:
    sim.add_socket(ip="127.0.0.2")
    other = sim.add_socket(ip="127.0.0.3")
    peer.send(SubscribeRequest(mac=other.mac), "127.0.0.2")
    peer.send(SubscribeRequest(mac=other.mac), "127.0.0.77")  # nobody lives there
    await peer.expect_nothing()
    assert sim.counters.unknown_mac == 1 and sim.counters.unreachable == 1


# --- subscription and control (§3.3–§3.6, §4.2) -------------------------------------------------


async def test_dc_ack_then_double_sf_to_every_subscriber(sim: Simulator, peer: Peer, make_peer: Callable[[str], Peer]) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    other = make_peer("127.0.1.1")
    assert (await peer.subscribe(vs)).state is OFF
    await other.subscribe(vs)
    assert set(vs.subscribers) == {"127.0.0.1", "127.0.1.1"}
    peer.send(PowerRequest(mac=vs.mac, state=ON, session=b"\x92\xd5\x03\x12"), vs.ip)
    got = [m for m, _, _ in await peer.collect(0.2)]
    # The ack carries zeros, not the state (§3.4); the state comes in sf, twice (§3.5).
    assert got == [
        Ack(command=Command.POWER, mac=vs.mac),
        StateReport(mac=vs.mac, state=ON),
        StateReport(mac=vs.mac, state=ON),
    ]
    assert [m for m, _, _ in await other.collect(0.2)] == [StateReport(mac=vs.mac, state=ON)] * 2
    assert vs.state is True


async def test_dc_without_change_still_pushes(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2", state=True)
    await peer.subscribe(vs)
    peer.send(PowerRequest(mac=vs.mac, state=ON), vs.ip)
    got = [m for m, _, _ in await peer.collect(0.2)]
    assert got[1:] == [StateReport(mac=vs.mac, state=ON)] * 2


async def test_unsubscribed_peers_are_ignored(sim: Simulator, peer: Peer, make_peer: Callable[[str], Peer]) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    stranger = make_peer("127.0.1.2")
    await peer.subscribe(vs)
    for request in (
        PowerRequest(mac=vs.mac, state=ON),
        HeartbeatRequest(mac=vs.mac),
        ReadTableRequest(mac=vs.mac, table=4),
        CountdownRequest(mac=vs.mac, mode=CountdownMode.READ),
        ClockRequest(mac=vs.mac, clock=1),
    ):
        stranger.send(request, vs.ip)
    await stranger.expect_nothing()
    await peer.expect_nothing(0.05)  # nor does the subscriber hear of it
    assert vs.state is False
    assert sim.counters.ignored_unsubscribed == 5


async def test_subscription_expires_without_traffic(sim: Simulator, peer: Peer) -> None:
    sim.timing = replace(sim.timing, subscription_timeout_s=0.3)
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    await peer.expect_nothing(0.45)
    assert vs.subscribers == ()
    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing()
    vs.press_button()  # nobody to push to any more
    await peer.expect_nothing(0.1)


async def test_heartbeats_keep_the_subscription(sim: Simulator, peer: Peer) -> None:
    sim.timing = replace(sim.timing, subscription_timeout_s=0.3)
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    for _ in range(5):  # 0.75 s in all, well past the timeout
        await peer.expect_nothing(0.15)
        peer.send(HeartbeatRequest(mac=vs.mac, session=b"\x36\xe7\x2f\x12"), vs.ip)
        message, _ = await peer.recv()
        # hb echoes the session (§3.6).
        assert message == Ack(command=Command.HEARTBEAT, mac=vs.mac, session=b"\x36\xe7\x2f\x12")
    peer.send(PowerRequest(mac=vs.mac, state=ON), vs.ip)
    assert isinstance((await peer.recv())[0], Ack)


async def test_cloud_form_of_cl_echoes_the_session(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2", state=True)
    peer.send(SubscribeRequest(mac=vs.mac, session=b"\xb7\xe6\x2f\x12"), vs.ip)
    message, _ = await peer.recv()
    assert message == SubscribeReply(mac=vs.mac, state=ON, session=b"\xb7\xe6\x2f\x12")


async def test_button_press_pushes_to_subscribers(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    assert sim.press(vs.mac) is True
    got = await peer.collect(0.2)
    assert [m for m, _, _ in got] == [StateReport(mac=vs.mac, state=ON)] * 2
    # ~45 ms between the two copies.
    assert got[1][2] - got[0][2] > 0.03
    assert vs.counters.button_presses == 1 and vs.counters.pushes == 2


async def test_unsupported_requests_get_no_answer(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    peer.send(PasswordRequest(mac=vs.mac, old_password=b"888888      ", new_password=b"abcdef      "), vs.ip)
    peer.send(LogoutRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing()
    assert sim.counters.ignored_unsupported == 2


# --- tables (§3.7, §3.8) ---------------------------------------------------------------------------


@pytest.mark.parametrize(("firmware", "record", "datagram"), [("new", 190, 220), ("old", 138, 168)])
async def test_rt_table_4_both_firmware_sizes(sim: Simulator, peer: Peer, firmware: str, record: int, datagram: int) -> None:
    vs = sim.add_socket(ip="127.0.0.2", firmware=firmware, name="Desk lamp")
    await peer.subscribe(vs)
    peer.send(ReadTableRequest(mac=vs.mac, table=4), vs.ip)
    data, _ = await peer.recv_raw()
    assert len(data) == datagram
    message = decode_from_device(data)
    assert isinstance(message, SocketDataReply)
    assert message.data == vs.socket_data
    assert message.data.record_length == record
    assert message.data.name == "Desk lamp"
    assert message.data.mac == vs.mac


async def test_rt_table_1_and_3(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    peer.send(ReadTableRequest(mac=vs.mac, table=1), vs.ip)
    message, _ = await peer.recv()
    # No timers: only table 4 is listed [obs].
    assert message == TableListReply(mac=vs.mac, tables=(TableVersion(record_number=4, table=4, version=1),))
    peer.send(ReadTableRequest(mac=vs.mac, table=3), vs.ip)
    assert await peer.recv() == (TimersReply(mac=vs.mac, timers=()), vs.ip)
    vs.add_timer(_timer(0x1234))
    peer.send(ReadTableRequest(mac=vs.mac, table=1), vs.ip)
    message, _ = await peer.recv()
    assert isinstance(message, TableListReply)
    assert [(t.table, t.version) for t in message.tables] == [(4, 1), (3, 2)]


async def test_tm_rename_then_rt_shows_it(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    before = vs.socket_data
    peer.send(socket_data_write(vs.mac, before.with_name("Kettle")), vs.ip)
    assert await peer.recv() == (Ack(command=Command.WRITE_TABLE, mac=vs.mac), vs.ip)
    assert vs.socket_data == before.with_name("Kettle")
    assert vs.table_versions[4] == 2
    peer.send(ReadTableRequest(mac=vs.mac, table=4), vs.ip)
    message, _ = await peer.recv()
    assert isinstance(message, SocketDataReply) and message.data.name == "Kettle"
    peer.send(ReadTableRequest(mac=vs.mac, table=1), vs.ip)
    message, _ = await peer.recv()
    assert isinstance(message, TableListReply) and message.tables[0].version == 2


async def test_tm_keeps_the_socket_identity(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    forged = replace(vs.socket_data, mac=Mac.parse("ac:cf:23:11:22:33"), firmware_version=99, discoverable=False)
    peer.send(socket_data_write(vs.mac, forged), vs.ip)
    assert isinstance((await peer.recv())[0], Ack)
    assert vs.socket_data.mac == vs.mac and vs.socket_data.firmware_version == 26
    assert vs.socket_data.discoverable is False  # the lock is applied


async def test_tm_with_the_other_firmware_layout_is_refused(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2", firmware="old")
    await peer.subscribe(vs)
    new_layout = sim.add_socket(ip="127.0.0.3").socket_data
    peer.send(socket_data_write(vs.mac, replace(new_layout, mac=vs.mac)), vs.ip)
    await peer.expect_nothing()
    assert sim.counters.malformed == 1
    assert vs.table_versions[4] == 1


async def test_tm_timers_add_modify_delete(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    ack = Ack(command=Command.WRITE_TABLE, mac=vs.mac)
    first, second = _timer(0xCC2E, 5), _timer(0xFE70, 22, OFF)
    for request in (timer_write(vs.mac, first, replace=False), timer_write(vs.mac, second, replace=False)):
        peer.send(request, vs.ip)
        assert (await peer.recv())[0] == ack
    assert vs.timers == {0xCC2E: first, 0xFE70: second}
    peer.send(timer_write(vs.mac, replace(second, hour=23), replace=True), vs.ip)
    assert (await peer.recv())[0] == ack
    # Undocumented cases (§3.8): modify or delete of an unknown code is acked and changes nothing.
    peer.send(timer_write(vs.mac, _timer(0x0BAD), replace=True), vs.ip)
    assert (await peer.recv())[0] == ack
    peer.send(timer_delete(vs.mac, 0x0BAD), vs.ip)
    assert (await peer.recv())[0] == ack
    peer.send(timer_delete(vs.mac, 0xCC2E), vs.ip)
    assert (await peer.recv())[0] == ack
    assert set(vs.timers) == {0xFE70} and vs.timers[0xFE70].hour == 23
    peer.send(ReadTableRequest(mac=vs.mac, table=3), vs.ip)
    message, _ = await peer.recv()
    assert message == TimersReply(mac=vs.mac, timers=(replace(second, hour=23),))
    assert vs.table_versions[3] == 1 + 6  # every accepted write counts


async def test_ts_writes_the_time_zone_block(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    peer.send(TimezoneRequest(mac=vs.mac, tz_index=181, year=0, std_offset_s=3600, dst_offset_s=3600), vs.ip)
    assert (await peer.recv())[0] == Ack(command=Command.TIMEZONE, mac=vs.mac)
    block = vs.socket_data.timezone_block
    assert block is not None
    assert (block.tz_index, block.year, block.std_offset_s, block.dst_offset_s) == (181, 0, 3600, 3600)


# --- clock, countdown, timers (§3.9, §3.10, §4.1) -----------------------------------------------------


async def test_cs_sets_the_clock_and_qa_reports_it(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    assert abs(vs.clock - BOOT_CLOCK) <= 1
    await peer.subscribe(vs)
    peer.send(ClockRequest(mac=vs.mac, clock=0xDA5790DC, session=b"\x73\xfb\x32\x12"), vs.ip)
    assert (await peer.recv())[0] == Ack(command=Command.CLOCK, mac=vs.mac, session=b"\x73\xfb\x32\x12")
    peer.send(DiscoverMacRequest(mac=vs.mac), vs.ip)
    message, _ = await peer.recv()
    assert isinstance(message, DiscoveryReply) and abs(message.clock - 0xDA5790DC) <= 1


async def test_countdown_set_read_fire(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    peer.send(CountdownRequest(mac=vs.mac, mode=CountdownMode.READ), vs.ip)
    assert (await peer.recv())[0] == CountdownReply(mac=vs.mac, mode=0, action=None, seconds=0)
    request = CountdownRequest(mac=vs.mac, mode=CountdownMode.SET, action=ON, seconds=1)
    peer.send(request, vs.ip)
    data, _ = await peer.recv_raw()
    # The reply is the request with offset 18 set to 01 (what FS-lib checks, §3.9).
    sent = encode(request)
    assert data[18] == 1 and data[:18] + data[19:] == sent[:18] + sent[19:]
    assert vs.countdown is not None and vs.countdown.action is True
    peer.send(CountdownRequest(mac=vs.mac, mode=CountdownMode.READ), vs.ip)
    assert (await peer.recv())[0] == CountdownReply(mac=vs.mac, mode=0, action=ON, seconds=1)
    got = [m for m, _, _ in await peer.collect(1.3)]
    assert got == [StateReport(mac=vs.mac, state=ON)] * 2
    assert vs.state is True and vs.countdown is None and vs.counters.countdowns_fired == 1


async def test_countdown_cancel(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    peer.send(CountdownRequest(mac=vs.mac, mode=CountdownMode.SET, action=ON, seconds=600), vs.ip)
    await peer.recv()
    assert vs.countdown is not None and 599 <= vs.countdown.remaining_s <= 600
    peer.send(CountdownRequest(mac=vs.mac, mode=CountdownMode.SET, action=None, seconds=0), vs.ip)
    message, _ = await peer.recv()
    assert isinstance(message, CountdownReply) and message.action is None
    assert vs.countdown is None


async def test_auto_off_after_every_switch_on(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    auto_off = replace(vs.socket_data, auto_off_enabled=True, auto_off_action=0, auto_off_seconds=1)
    peer.send(socket_data_write(vs.mac, auto_off), vs.ip)
    await peer.recv()
    peer.send(PowerRequest(mac=vs.mac, state=ON), vs.ip)
    got = [m for m, _, _ in await peer.collect(0.2)]
    assert got[1:] == [StateReport(mac=vs.mac, state=ON)] * 2
    assert vs.countdown is not None and vs.countdown.action is False
    got = [m for m, _, _ in await peer.collect(1.2)]
    assert got == [StateReport(mac=vs.mac, state=OFF)] * 2
    assert vs.state is False


async def test_weekly_and_one_shot_timers_fire_at_local_time(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    # UTC+2 with DST off (flags 01): local = clock + 2 h.
    vs.socket_data = replace(vs.socket_data, timezone_hours=2, dst_flags=1)
    # Monday 2026-01-05 07:29:59 local = 05:29:59 UTC.
    vs.set_clock(clock_from_datetime(datetime(2026, 1, 5, 5, 29, 59, tzinfo=UTC)))
    weekly = Timer(code=1, action=ON, year=2025, month=1, day=1, hour=7, minute=30, second=0, repeat=0x80 | 0x01)
    tuesday_only = Timer(code=2, action=OFF, year=2025, month=1, day=1, hour=7, minute=30, second=0, repeat=0x80 | 0x02)
    once = Timer(code=3, action=OFF, year=2026, month=1, day=5, hour=7, minute=30, second=1, repeat=0)
    for timer in (weekly, tuesday_only, once):
        vs.add_timer(timer)
    await peer.subscribe(vs)
    await wait_for(lambda: vs.counters.timers_fired >= 1, timeout=2.5)
    assert vs.state is True
    await wait_for(lambda: vs.counters.timers_fired >= 2, timeout=2.5)
    assert vs.state is False and vs.counters.timers_fired == 2
    got = [m for m, _, _ in await peer.collect(0.2)]
    assert StateReport(mac=vs.mac, state=ON) in got and got[-1] == StateReport(mac=vs.mac, state=OFF)


# --- power and network events ---------------------------------------------------------------------------


async def test_reboot(sim: Simulator, peer: Peer, make_peer: Callable[[str], Peer]) -> None:
    sim.timing = replace(sim.timing, announce_count=2, announce_interval_s=0.05)
    listener = make_peer(BROADCAST)
    vs = sim.add_socket(ip="127.0.0.2")
    await listener.collect(0.2)  # the boot announcements of add_socket
    await peer.subscribe(vs)
    vs.set_clock(0xDA5790DC)
    sim.press(vs.mac)
    await peer.collect(0.1)
    back = sim.reboot(vs.mac)
    assert vs.online is False and vs.state is False and vs.subscribers == ()
    peer.send(SubscribeRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing(0.1)
    assert sim.counters.dropped_offline == 1
    await back
    assert vs.online is True and abs(vs.clock - BOOT_CLOCK) <= 1
    announcements = [m for m, host, _ in await listener.collect(0.2) if host == vs.ip]
    assert len(announcements) == 2 and all(isinstance(m, DiscoveryReply) for m in announcements)
    # Subscriptions were forgotten: control is ignored until the next cl.
    peer.send(PowerRequest(mac=vs.mac, state=ON), vs.ip)
    await peer.expect_nothing()
    assert (await peer.subscribe(vs)).state is OFF


async def test_offline_socket_drops_everything_and_sends_nothing(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    await peer.subscribe(vs)
    sim.set_online(vs.mac, False)
    vs.press_button()  # the relay still works, the push goes nowhere
    peer.send(DiscoverRequest(), BROADCAST)
    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing()
    assert vs.counters.dropped_offline == 2 and vs.state is True
    sim.set_online(vs.mac, True)
    peer.send(HeartbeatRequest(mac=vs.mac), vs.ip)
    assert isinstance((await peer.recv())[0], Ack)


async def test_pending_sends_die_with_a_reboot(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    peer.send(DiscoverRequest(), BROADCAST)
    await peer.recv()
    sim.reboot(vs.mac)
    await peer.expect_nothing()  # the rest of the burst is never sent


async def test_move_to_a_new_ip(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    sim.move(vs.mac, "127.0.0.20")
    assert sim.get("127.0.0.20") is vs and vs.ip == "127.0.0.20"
    peer.send(SubscribeRequest(mac=vs.mac), "127.0.0.2")
    await peer.expect_nothing()
    assert sim.counters.unreachable == 1
    assert (await peer.subscribe(vs)).mac == vs.mac  # from its new address


async def test_malformed_input_is_counted_and_ignored(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    valid = encode(SubscribeRequest(mac=vs.mac))
    for junk in (b"", b"hello", valid[:-1], b"hd\x00\x06zz", valid[:2] + b"\x00\x99" + valid[4:]):
        peer.send(junk, vs.ip)
    await peer.expect_nothing()
    assert sim.counters.malformed == 5
    assert vs.counters.received == 0


async def test_many_sockets(sim: Simulator, peer: Peer) -> None:
    devices = [sim.add_socket() for _ in range(250)]
    assert devices[-1].ip == "127.0.0.251"
    for device in devices:
        peer.send(SubscribeRequest(mac=device.mac), device.ip)
    got = await peer.collect(5.0, count=250)
    assert {host for m, host, _ in got if isinstance(m, SubscribeReply)} == {d.ip for d in devices}


async def test_announcements_after_boot(sim: Simulator, peer: Peer, make_peer: Callable[[str], Peer]) -> None:
    sim.timing = replace(sim.timing, announce_count=3, announce_interval_s=0.05, announce_every_s=0.3)
    listener = make_peer(BROADCAST)
    vs = sim.add_socket(ip="127.0.0.2")
    got = await listener.collect(0.25)
    assert [(m.command, host) for m, host, _ in got if isinstance(m, DiscoveryReply)] == [(Command.DISCOVER, vs.ip)] * 3
    await peer.expect_nothing(0.05)  # broadcasts only: nothing unicast
    got = await listener.collect(0.5, count=3)  # the burst repeats every announce_every_s
    assert [host for _, host, _ in got] == [vs.ip] * 3


async def test_announcement_after_a_state_change(sim: Simulator, make_peer: Callable[[str], Peer]) -> None:
    sim.timing = replace(sim.timing, announce_after_change_s=0.1)
    listener = make_peer(BROADCAST)
    vs = sim.add_socket(ip="127.0.0.2")
    vs.press_button()
    got = await listener.collect(0.3)
    # One isolated announcement ~2.4 s (here 0.1 s) after a change, showing the new state (§3.1).
    assert [(m.state, host) for m, host, _ in got if isinstance(m, DiscoveryReply)] == [(ON, vs.ip)]


async def test_remove_socket(sim: Simulator, peer: Peer) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    sim.remove_socket(vs.ip)
    assert len(sim) == 0 and vs.mac not in sim.sockets
    peer.send(SubscribeRequest(mac=vs.mac), vs.ip)
    await peer.expect_nothing()
    with pytest.raises(KeyError):
        sim.get(vs.mac)


async def test_stop_leaves_no_timer_behind(sockets_allowed: None, port: int) -> None:
    sim = Simulator(port=port, timing=replace(FAST, announce_count=5))
    await sim.start()
    vs = sim.add_socket()
    vs.add_timer(_timer(1))
    sim.add_socket().reboot()
    vs.socket_data = replace(vs.socket_data, auto_off_enabled=True, auto_off_seconds=600)
    vs.press_button()
    assert vs.countdown is not None
    await sim.stop()
    loop = asyncio.get_running_loop()
    # Private, but it is exactly what Home Assistant's test harness inspects for lingering timers.
    scheduled = loop._scheduled  # type: ignore[attr-defined]
    assert [h for h in scheduled if not h.cancelled() and "Simulator.call_later" in repr(h)] == []


async def test_reboot_keeps_an_offline_socket_offline(sim: Simulator) -> None:
    vs = sim.add_socket(ip="127.0.0.2")
    sim.set_online(vs.mac, False)
    await sim.reboot(vs.mac)
    assert vs.online is False
    sim.set_online(vs.mac, True)
    assert vs.online is True
