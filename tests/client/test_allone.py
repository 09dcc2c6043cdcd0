"""The AllOne client against the simulated AllOne over real UDP on the loopback LAN.

Learning is driven as a person does it: the client puts the AllOne in learning mode, then the
test points a code at it (the simulator's `point_code`, the control port's `learn` op), and the
code the client returns is sent back; the AllOne's log of what it emitted is the judge.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from custom_components.orvibo_s20.client import AllOneClient, S20Client, S20Endpoint, discover
from custom_components.orvibo_s20.protocol import DeviceFamily, EncodeError, S20TimeoutError
from simulator import Faults, Simulator

from .conftest import FAST, wait_for

LOSSY = replace(FAST, deadline_s=10.0)


@pytest.fixture(autouse=True)
def real_subscription(simulator: Simulator) -> None:
    """The real device's subscription (240 s, §4.2): these tests idle for a minute, not for a second."""
    simulator.timing = replace(simulator.timing, subscription_timeout_s=240.0)

CODES = [bytes.fromhex("0000000098000000") + bytes([n]) * 40 for n in range(1, 6)]


async def _learn(client: AllOneClient, sim: Simulator, code: bytes, *, timeout_s: float = 5.0) -> bytes:
    """Start a learn, point `code` at the AllOne once both sides are in learning mode, return the result."""
    allone = sim.allone(client.mac)
    task = asyncio.create_task(client.learn(timeout_s=timeout_s))
    await wait_for(lambda: task.done() or (client.learning and allone.learning), timeout=15.0)
    if not task.done():
        assert allone.point_code(code)
    return await task


async def test_learn_then_send_emits_exactly_that_code(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A learned code sent back makes the AllOne emit exactly that code, once."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    learned = await _learn(client, simulator, CODES[0])
    assert learned == CODES[0]
    assert not client.learning
    await client.send_ir(learned)
    assert [(e.kind, e.code) for e in allone.emitted] == [("ir", CODES[0])]
    await client.stop()


async def test_learn_and_send_at_20_percent_loss_both_ways(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Every code learned and sent through 20 % loss each way is emitted exactly once; a learn
    whose code frame was lost fails with S20TimeoutError (reported, never silent) and is retried."""
    simulator.set_faults(Faults(loss_to_device=0.2, loss_from_device=0.2))
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=LOSSY)
    failures: list[BaseException] = []
    for code in CODES:
        for _ in range(5):
            try:
                learned = await _learn(client, simulator, code)
            except S20TimeoutError as err:
                failures.append(err)
                continue
            break
        else:
            pytest.fail(f"five learns of {code.hex()} failed: {failures}")
        assert learned == code
        await client.send_ir(learned)
        assert allone.emitted[-1].code == code
    # Exactly the codes sent, each once, in order: resends after a lost ack emitted nothing more.
    assert [e.code for e in allone.emitted] == CODES
    assert client.stats.resent > 0
    assert simulator.counters.dropped_loss > 0
    assert all("learned no code" in str(err) or "did not answer" in str(err) for err in failures)
    await client.stop()


async def test_a_resent_emit_is_not_emitted_twice(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Acks lost: the client resends with the same id, the AllOne acks again and emits nothing more."""
    simulator.set_faults(Faults(loss_from_device=0.5))
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=LOSSY)
    for code in CODES:
        await client.send_ir(code)
    assert [e.code for e in allone.emitted] == CODES
    assert allone.counters.emits_refused > 0  # the resends that reached it
    await client.stop()


async def test_send_fails_loudly_when_the_allone_is_gone(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """No answer: S20TimeoutError naming the AllOne, and nothing emitted."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    allone.set_online(False)
    with pytest.raises(S20TimeoutError, match=str(allone.mac)):
        await client.send_ir(CODES[0])
    with pytest.raises(S20TimeoutError):
        await client.learn(timeout_s=1.0)
    assert allone.emitted == []
    await client.stop()


async def test_learn_times_out_without_a_code(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Learning mode entered but nothing pointed at it: S20TimeoutError after the timeout, client usable."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(S20TimeoutError, match="learned no code within 3 s"):
        await client.learn(timeout_s=3.0)
    assert loop.time() - started >= 3.0
    assert not client.learning
    await client.send_ir(CODES[1])
    assert [e.code for e in allone.emitted] == [CODES[1]]
    await client.stop()


async def test_cancelled_learn_leaves_the_client_usable(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Cancelling a learn ends the wait; the next learn and send work, and the stale mode takes nothing."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    task = asyncio.create_task(client.learn(timeout_s=30.0))
    await wait_for(lambda: client.learning)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not client.learning
    # The AllOne is still in learning mode; a code pointed now reaches a client that waits for none.
    assert allone.point_code(CODES[2])
    await asyncio.sleep(0.1)
    assert await _learn(client, simulator, CODES[3]) == CODES[3]
    await client.send_ir(CODES[3])
    assert [e.code for e in allone.emitted] == [CODES[3]]
    await client.stop()


async def test_first_send_after_an_idle_minute_arrives(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """The AllOne sleeps after 30 s idle and drops the first datagram; the resend gets the code out."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    await client.send_ir(CODES[0])
    await asyncio.sleep(60.0)
    assert allone.counters.dropped_asleep == 0
    await client.send_ir(CODES[1])
    assert [e.code for e in allone.emitted] == [CODES[0], CODES[1]]
    assert allone.counters.dropped_asleep == 1
    assert client.stats.resent >= 1
    await client.stop()


async def test_keepalive_keeps_it_awake(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """Started, the client's keepalive reaches the AllOne every 10 s: it never falls asleep."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    client.start()
    await wait_for(lambda: client.available)
    await asyncio.sleep(65.0)
    await client.send_ir(CODES[0])
    assert allone.counters.dropped_asleep == 0
    assert [e.code for e in allone.emitted] == [CODES[0]]
    await client.stop()


async def test_button_press_reaches_listeners(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """The `di` of each press calls every button listener; a removed one is not called."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    await client.subscribe()
    first: list[int] = []
    second: list[int] = []
    client.add_button_listener(lambda: first.append(client.button_presses))
    remove = client.add_button_listener(lambda: second.append(client.button_presses))
    allone.press_button()
    await wait_for(lambda: len(first) == 1)
    remove()
    allone.press_button()
    await wait_for(lambda: len(first) == 2)
    assert first == [1, 2]
    assert second == [1]
    await client.stop()


async def test_repeat_emits_each_time(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """repeat=3: three emits, each with its own id, each acked."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    await client.send_ir(CODES[4], repeat=3, delay_s=0.2)
    assert [e.code for e in allone.emitted] == [CODES[4]] * 3
    assert len({e.request_id for e in allone.emitted}) == 3
    assert allone.emitted[2].at - allone.emitted[0].at >= 0.4 - 1e-6  # two delays (float loop time)
    await client.stop()


async def test_rf_switches_a_t030(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """RF on then off: the AllOne sends both out with the switch's id and key."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    await client.send_rf(bytes.fromhex("abcdef"), True)
    await client.send_rf(bytes.fromhex("abcdef"), False, rf_key=0x1234)
    assert [(e.kind, e.code, e.state, e.rf_key) for e in allone.emitted] == [
        ("rf", bytes.fromhex("abcdef"), True, 42),
        ("rf", bytes.fromhex("abcdef"), False, 0x1234),
    ]
    await client.stop()


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.send_ir(b""), "empty code"),
        (lambda c: c.send_ir(CODES[0], repeat=0), "repeat"),
        (lambda c: c.send_rf(b"", True), "RF id"),
        (lambda c: c.learn(timeout_s=0), "positive timeout"),
    ],
)
async def test_bad_input_sends_nothing(simulator: Simulator, endpoint: S20Endpoint, call, error: str) -> None:  # type: ignore[no-untyped-def]
    """A bad code, repeat, RF id or timeout is refused before anything is sent."""
    allone = simulator.add_allone(ip="127.0.0.2")
    client = AllOneClient(endpoint, allone.mac, "127.0.0.2", timing=FAST)
    with pytest.raises(EncodeError, match=error):
        await call(client)
    assert allone.counters.received == 0
    await client.stop()


async def test_sockets_and_allones_share_the_endpoint(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A socket and an AllOne driven at once over one endpoint: each gets only its own replies."""
    simulator.set_faults(Faults(loss_to_device=0.2, loss_from_device=0.2))
    socket = simulator.add_socket(ip="127.0.0.2")
    allone = simulator.add_allone(ip="127.0.0.3")
    plug = S20Client(endpoint, socket.mac, "127.0.0.2", timing=LOSSY)
    blaster = AllOneClient(endpoint, allone.mac, "127.0.0.3", timing=LOSSY)

    async def switch() -> None:
        for n in range(6):
            await plug.set_power(n % 2 == 0)

    async def emit() -> None:
        for code in CODES:
            await blaster.send_ir(code)

    await asyncio.gather(switch(), emit())
    assert socket.state is False
    assert [e.code for e in allone.emitted] == CODES
    assert endpoint.stats.spoofed == 0
    assert endpoint.stats.malformed == 0
    await plug.stop()
    await blaster.stop()


async def test_discovery_names_the_family(simulator: Simulator, endpoint: S20Endpoint) -> None:
    """A scan reports sockets by default; asked for AllOnes too, it names each one's family."""
    simulator.add_socket(ip="127.0.0.2")
    allone = simulator.add_allone(ip="127.0.0.3")
    sockets = await discover(endpoint, window_s=0.5)
    assert [(d.host, d.family) for d in sockets] == [("127.0.0.2", DeviceFamily.SOCKET)]
    everything = await discover(endpoint, window_s=0.5, families=(DeviceFamily.SOCKET, DeviceFamily.ALLONE))
    assert [(d.host, d.family, d.is_on) for d in everything] == [
        ("127.0.0.2", DeviceFamily.SOCKET, False),
        ("127.0.0.3", DeviceFamily.ALLONE, None),
    ]
    assert everything[1].mac == allone.mac
    assert everything[1].product_id == "IRD013"
