"""SmartLink pairing over loopback UDP against the simulated module's sniffer (PROTOCOL.md §5.3)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import socket

import pytest

from custom_components.orvibo_s20.pairing import (
    InvalidCredentialsError,
    PairingStep,
    PairingTimeoutError,
    Progress,
    SmartLinkResult,
    provision_smartlink,
)
from custom_components.orvibo_s20.protocol import EndpointError, PairingError
from simulator import Simulator
from simulator.wifi import WifiFaults, WifiMode, WifiModule

from .conftest import BROADCAST, LOCAL, SPEED, WIFI_TIMING, ModuleFactory, never_calibrates, wait_for


async def pair(module: WifiModule, password: str, **kwargs: object) -> SmartLinkResult:
    options: dict[str, object] = {
        "broadcast": BROADCAST, "port": module.smartlink_port, "listen_host": BROADCAST, "local_addr": LOCAL,
        "speed": SPEED, "timeout_s": 5.0,
    }
    options.update(kwargs)
    return await provision_smartlink(password, **options)  # type: ignore[arg-type]


def group_lengths(password: bytes) -> list[int]:
    """One group as §5.3's table writes it (independent of the encoder)."""
    return [89] * 3 + [76 + b for b in password] + [86] * 3 + [332 + len(password)] * 3


@pytest.mark.parametrize(
    "password",
    [
        "abcdefgh",  # the capture's
        "",  # an open network
        "x" * 64,  # the longest
        "pässwörd €uro",  # UTF-8
        "é" * 32,  # 64 bytes of UTF-8
        "日本語のパスワード😀",  # 3- and 4-byte sequences
        " spaces, commas; \"quotes\" ~",
    ],
    ids=["captured", "empty", "max-ascii", "utf8", "max-utf8", "cjk-emoji", "punctuation"],
)
async def test_module_decodes_exactly_the_password(
    smartlink_module: WifiModule, simulator: Simulator, password: str
) -> None:
    result = await pair(smartlink_module, password)
    joined = await smartlink_module.wait_joined()
    assert smartlink_module.joined_key == password
    assert result.mac == smartlink_module.mac
    assert result.host == joined.ip  # the beacon's source address
    assert simulator.get(result.mac) is joined
    assert smartlink_module.mode is WifiMode.STATION
    assert smartlink_module.joined_security is None and smartlink_module.joined_ssid is None


async def test_module_saw_the_spec_sequence(smartlink_module: WifiModule) -> None:
    await pair(smartlink_module, "abcdefgh")
    # 200 headers, then the first group up to the first checksum, which completes it.
    assert smartlink_module.smartlink_lengths == [76] * 200 + group_lengths(b"abcdefgh")[:-2]


async def test_ssid_is_checked_not_sent(make_module: ModuleFactory) -> None:
    module = await make_module(WifiMode.SMARTLINK, network=("Home Net", "abcdefgh"))
    await pair(module, "abcdefgh", ssid="Home Net")
    await module.wait_joined()
    assert (module.joined_ssid, module.joined_key) == ("Home Net", "abcdefgh")  # the network's SSID
    assert set(module.smartlink_lengths) == {76, *group_lengths(b"abcdefgh")}  # nothing of the SSID


async def test_wrong_password_never_confirms(make_module: ModuleFactory) -> None:
    module = await make_module(WifiMode.SMARTLINK, network=("Home Net", "the real one"))
    with pytest.raises(PairingTimeoutError):
        await pair(module, "a wrong one", timeout_s=0.25)
    assert module.mode is WifiMode.FAILED and module.joined is None and module.counters.beacons == 0


# --- losses ---------------------------------------------------------------------------------------


async def test_lost_character_costs_one_group(make_module: ModuleFactory) -> None:
    module = await make_module(WifiMode.SMARTLINK, faults=WifiFaults(drop_smartlink=frozenset({200 + 3})))
    await pair(module, "abcdefgh")
    await module.wait_joined()
    assert module.joined_key == "abcdefgh"
    assert module.counters.smartlink_groups_rejected == 1 and module.counters.dropped == 1


async def test_lost_markers(make_module: ModuleFactory) -> None:
    group = 200 + 17
    lost = {200, 201, 202, group + 11, group + 12, group + 13}  # group 1's starts, group 2's ends
    module = await make_module(WifiMode.SMARTLINK, faults=WifiFaults(drop_smartlink=frozenset(lost)))
    await pair(module, "abcdefgh")
    await module.wait_joined()
    assert module.joined_key == "abcdefgh"
    # Group 2 decoded at its first checksum, though its end markers were lost.
    assert module.counters.smartlink_packets == group + 3 + 8 + 3 + 1
    assert module.counters.smartlink_groups_rejected == 0


async def test_late_module_is_taught_by_a_later_round(make_module: ModuleFactory, smartlink_port: int) -> None:
    """The module starts listening after the sender began: the next round's header calibrates it."""
    started = asyncio.Event()
    holder: list[WifiModule] = []

    def on_progress(progress: Progress) -> None:
        started.set()

    async def late() -> None:
        await started.wait()
        await asyncio.sleep(0.1)
        holder.append(await make_module(WifiMode.SMARTLINK))

    task = asyncio.create_task(late())
    result = await provision_smartlink(
        "abcdefgh", broadcast=BROADCAST, port=smartlink_port, listen_host=BROADCAST, local_addr=LOCAL,
        speed=SPEED, timeout_s=5.0, progress=on_progress,
    )
    await task
    assert result.mac == holder[0].mac and holder[0].joined_key == "abcdefgh"


# --- progress, deadline, cancellation ------------------------------------------------------------------


async def test_progress(make_module: ModuleFactory) -> None:
    # A sniffer that needs more than one header to calibrate decodes in the second round.
    module = await make_module(WifiMode.SMARTLINK, timing=replace(WIFI_TIMING, calibration_count=201))
    reports: list[Progress] = []
    await pair(module, "abcdefgh", progress=reports.append)
    assert reports[-1] == Progress(step=PairingStep.CONFIRMED)
    sending = reports[:-1]
    assert all(r.step is PairingStep.SMARTLINK for r in sending)
    # Round 1: the header, then groups 1–5; round 2 starts with its header again.
    assert [(r.round, r.group) for r in sending[:7]] == [(1, None), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (2, None)]
    fractions = [r.fraction for r in sending]
    assert all(f is not None and 0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)  # type: ignore[type-var]


async def test_deadline(make_module: ModuleFactory) -> None:
    module = await make_module(WifiMode.SMARTLINK, timing=never_calibrates())
    started = asyncio.get_running_loop().time()
    with pytest.raises(PairingTimeoutError, match="within 0.2 s") as err:
        await pair(module, "abcdefgh", timeout_s=0.2)
    assert err.value.step is PairingStep.SMARTLINK
    assert asyncio.get_running_loop().time() - started == pytest.approx(0.2, abs=1e-6)  # loop time: the deadline
    seen = module.counters.smartlink_packets
    assert seen > 200
    await asyncio.sleep(0.05)
    assert module.counters.smartlink_packets == seen  # sending stopped with the error


async def test_cancel_stops_sending(make_module: ModuleFactory) -> None:
    module = await make_module(WifiMode.SMARTLINK, timing=never_calibrates())
    task = asyncio.create_task(pair(module, "abcdefgh", timeout_s=30.0))
    await wait_for(lambda: module.counters.smartlink_packets > 100)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    seen = module.counters.smartlink_packets
    await asyncio.sleep(0.05)
    assert module.counters.smartlink_packets == seen
    # The listener was released: with the module gone, the port binds without SO_REUSEADDR.
    await module.stop()
    await asyncio.sleep(0.01)  # a closed transport lets go of its socket on the next loop pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind((BROADCAST, module.smartlink_port))


# --- refusals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ssid"),
    [("x" * 65, None), ("pass\nword", None), ("abcdefgh", "s" * 33), ("abcdefgh", "")],
)
async def test_invalid_input_sends_nothing(smartlink_module: WifiModule, password: str, ssid: str | None) -> None:
    with pytest.raises(InvalidCredentialsError):
        await pair(smartlink_module, password, ssid=ssid)
    await asyncio.sleep(0.05)
    assert smartlink_module.counters.smartlink_packets == 0


async def test_speed_must_be_positive(smartlink_module: WifiModule) -> None:
    with pytest.raises(ValueError, match="speed"):
        await pair(smartlink_module, "abcdefgh", speed=0)


async def test_listen_port_in_use(socket_enabled: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((BROADCAST, 0))
        port = taken.getsockname()[1]
        with pytest.raises(EndpointError, match="already in use"):
            await provision_smartlink("abcdefgh", broadcast=BROADCAST, port=port, listen_host=BROADCAST)


async def test_send_port_in_use(socket_enabled: None) -> None:
    port = Simulator.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        with pytest.raises(EndpointError):
            await provision_smartlink(
                "abcdefgh", broadcast=BROADCAST, port=port, listen_host=BROADCAST, local_addr=taken.getsockname()
            )
    # The listener bound first was released: binding it without SO_REUSEADDR works.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:
        again.bind((BROADCAST, port))


async def test_send_error_is_raised(socket_enabled: None) -> None:
    """Linux refuses UDP to port 0 (EINVAL): the error surfaces instead of a silent timeout."""
    with pytest.raises(PairingError, match="cannot broadcast") as err:
        await provision_smartlink("abcdefgh", broadcast=BROADCAST, port=0, listen_host=BROADCAST, local_addr=LOCAL)
    assert not isinstance(err.value, PairingTimeoutError)
