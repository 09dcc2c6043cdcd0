"""AP-mode pairing over loopback UDP against the simulated Wi-Fi module (PROTOCOL.md §5.2)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import socket

import pytest

from custom_components.orvibo_s20.pairing import (
    Auth,
    Encryption,
    InvalidCredentialsError,
    ModuleRefusedError,
    PairingStep,
    PairingTimeoutError,
    Progress,
    WifiCredentials,
    provision_ap,
)
from custom_components.orvibo_s20.protocol import EndpointError, PairingError
from simulator import Simulator
from simulator.wifi import MODULE_ID, WifiFaults, WifiMode, WifiModule

from .conftest import AP_HOST, AT_FAST, AT_TIMEOUT_FAST, BROADCAST, LOCAL, WIFI_TIMING, ModuleFactory

KEY = "correct horse battery"
CREDS = WifiCredentials(ssid="Home Net", key=KEY)


async def pair(module: WifiModule, credentials: WifiCredentials = CREDS, **kwargs: object):  # noqa: ANN201
    options: dict[str, object] = {"target": (AP_HOST, module.at_port), "local_addr": LOCAL, **AT_FAST}
    options.update(kwargs)
    return await provision_ap(credentials, **options)  # type: ignore[arg-type]


# --- the dialogue -----------------------------------------------------------------------------


async def test_whole_dialogue(ap_module: WifiModule, simulator: Simulator) -> None:
    steps: list[Progress] = []
    result = await pair(ap_module, progress=steps.append)

    assert result.mac == ap_module.mac
    assert (result.module_host, result.module) == (AP_HOST, MODULE_ID)
    assert ap_module.received == ["AT+WSSSID=Home Net", f"AT+WSKEY=WPA2PSK,AES,{KEY}", "AT+WMODE=STA", "AT+Z"]
    assert [p.step for p in steps] == [
        PairingStep.FIND_MODULE, PairingStep.SET_SSID, PairingStep.SET_KEY, PairingStep.SET_MODE, PairingStep.RESTART,
    ]
    joined = await ap_module.wait_joined()
    # The bytes the module stored are the bytes we meant.
    assert (ap_module.joined_ssid, ap_module.joined_key, ap_module.joined_security) == ("Home Net", KEY, "WPA2PSK,AES")
    assert ap_module.mode is WifiMode.STATION
    assert simulator.get(ap_module.mac) is joined
    assert joined.name is None  # a fresh socket
    assert (ap_module.counters.assist, ap_module.counters.acks, ap_module.counters.errors) == (1, 1, 0)


@pytest.mark.parametrize(
    "credentials",
    [
        WifiCredentials.open_network("Guest"),
        WifiCredentials(ssid="Café Wi-Fi", key="pässwörd, with commas", auth=Auth.WPAPSK, encryption=Encryption.TKIP),
        WifiCredentials(ssid="x" * 32, key="0123456789abcdef" * 4),  # longest SSID, 64-hex PSK
        WifiCredentials(ssid="Home", key="y" * 63),  # longest passphrase
        WifiCredentials(ssid="Old", key="abcde", auth=Auth.OPEN, encryption=Encryption.WEP_ASCII),
        WifiCredentials(ssid="Old", key="0123456789ABCDEF0123456789", auth=Auth.SHARED, encryption=Encryption.WEP_HEX),
    ],
    ids=["open", "wpa-tkip-utf8", "longest-ssid-psk", "longest-passphrase", "wep-ascii", "wep-hex"],
)
async def test_security_settings_reach_the_module(ap_module: WifiModule, credentials: WifiCredentials) -> None:
    await pair(ap_module, credentials)
    await ap_module.wait_joined()
    assert ap_module.joined_ssid == credentials.ssid
    assert ap_module.joined_key == credentials.key
    assert ap_module.joined_security == credentials.security


async def test_broadcast_target(ap_module: WifiModule) -> None:
    """PM and GD-js broadcast the assist string; the module's unicast answer pins the address."""
    result = await pair(ap_module, target=(BROADCAST, ap_module.at_port))
    assert result.module_host == AP_HOST and result.mac == ap_module.mac
    await ap_module.wait_joined()
    assert ap_module.joined_key == KEY


async def test_replies_go_to_our_port(ap_module: WifiModule) -> None:
    port = Simulator.free_port()
    await pair(ap_module, local_addr=("127.0.0.1", port))
    assert ap_module.peers == {("127.0.0.1", port)}


async def test_wrong_network_key_leaves_the_socket_off_the_lan(make_module: ModuleFactory) -> None:
    module = await make_module(network=("Home Net", "the real key"))
    await pair(module)  # the module takes any valid key; the access point refuses it
    with pytest.raises(TimeoutError):
        await module.wait_joined(0.1)
    assert module.mode is WifiMode.FAILED and module.joined is None


# --- validation before anything is sent -----------------------------------------------------------


def _unchecked(**fields: object) -> WifiCredentials:
    """Credentials that skipped validation (as if mutated after creation)."""
    credentials = object.__new__(WifiCredentials)
    for name, value in {"ssid": "Home", "key": "", "auth": Auth.WPA2PSK, "encryption": Encryption.AES, **fields}.items():
        object.__setattr__(credentials, name, value)
    return credentials


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ssid": "s" * 33, "key": "12345678"}, "ssid"),
        ({"key": "short"}, "key"),
        ({"key": "x" * 65}, "key"),
        ({"auth": Auth.OPEN, "encryption": Encryption.NONE, "key": "secret-key"}, "key"),
        ({"auth": Auth.SHARED, "encryption": Encryption.WEP_ASCII, "key": "abcdef"}, "key"),
        ({"auth": Auth.SHARED, "encryption": Encryption.WEP_HEX, "key": "abcdefghij"}, "key"),
        ({"auth": Auth.OPEN, "encryption": Encryption.TKIP, "key": "12345678"}, "security"),
    ],
)
async def test_invalid_credentials_send_nothing(ap_module: WifiModule, fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCredentialsError) as err:
        await pair(ap_module, _unchecked(**fields))
    assert err.value.field == field
    await asyncio.sleep(0.05)
    assert ap_module.counters.assist == 0 and ap_module.received == []


# --- +ERR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "code", "command", "meaning"),
    [
        ("AT+WSSSID", -4, "AT+WSSSID", "invalid parameter"),
        ("AT+WSKEY", -4, "AT+WSKEY", "invalid parameter"),
        ("AT+WSKEY", -1, "AT+WSKEY", "invalid command format"),
        ("AT+WMODE", -2, "AT+WMODE", "invalid command"),
        ("AT+WMODE", -3, "AT+WMODE", "invalid operator"),
        ("AT+WSSSID", -5, "AT+WSSSID", "operation not permitted"),
        ("AT+WSKEY", -42, "AT+WSKEY", "unknown error"),
    ],
)
async def test_module_refuses(
    make_module: ModuleFactory, prefix: str, code: int, command: str, meaning: str
) -> None:
    module = await make_module(faults=WifiFaults(errors={prefix: code}))
    with pytest.raises(ModuleRefusedError) as err:
        await pair(module)
    assert (err.value.command, err.value.code) == (command, code)
    assert meaning in str(err.value) and KEY not in str(err.value)
    assert isinstance(err.value, PairingError)
    # +ERR is final: no retry, no restart, no join.
    assert module.counters.assist == 1 and "AT+Z" not in module.received
    assert module.mode is WifiMode.AP


# --- timeouts and retries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "step"),
    [
        ("HF-A11ASSISTHREAD", PairingStep.FIND_MODULE),
        ("AT+WSSSID", PairingStep.SET_SSID),
        ("AT+WSKEY", PairingStep.SET_KEY),
        ("AT+WMODE", PairingStep.SET_MODE),
    ],
)
async def test_step_timeout(make_module: ModuleFactory, prefix: str, step: PairingStep) -> None:
    module = await make_module(faults=WifiFaults(ignore=frozenset({prefix})))
    started = asyncio.get_running_loop().time()
    with pytest.raises(PairingTimeoutError) as err:
        await pair(module, **AT_TIMEOUT_FAST)
    assert err.value.step is step
    assert isinstance(err.value, TimeoutError) and KEY not in str(err.value)
    assert asyncio.get_running_loop().time() - started < 1.5
    if step is PairingStep.FIND_MODULE:
        assert module.counters.ignored == 3  # attempts
        assert "WiWo-S20" in str(err.value)
    else:
        assert module.counters.assist == 3  # the handshake is repeated before each retry
    assert "AT+Z" not in module.received


async def test_no_module_at_all(at_port: int) -> None:
    with pytest.raises(PairingTimeoutError) as err:
        await provision_ap(CREDS, target=(AP_HOST, at_port), local_addr=LOCAL, reply_timeout_s=0.05, attempts=2)
    assert err.value.step is PairingStep.FIND_MODULE


async def test_overall_deadline(make_module: ModuleFactory) -> None:
    module = await make_module(faults=WifiFaults(ignore=frozenset({"AT+WSKEY"})))
    started = asyncio.get_running_loop().time()
    with pytest.raises(PairingTimeoutError, match="within 0.2 s") as err:
        await pair(module, reply_timeout_s=0.05, attempts=100, timeout_s=0.2)
    assert err.value.step is PairingStep.SET_KEY
    assert asyncio.get_running_loop().time() - started == pytest.approx(0.2, abs=1e-6)  # loop time: the deadline


@pytest.mark.parametrize(
    ("faults", "assists", "commands"),
    [
        (WifiFaults(drop={"HF-A11ASSISTHREAD": 2}), 1, 4),  # two lost handshakes
        (WifiFaults(drop={"+ok": 1}), 2, 4),  # lost ack: the SSID is ignored outside command mode
        (WifiFaults(drop={"AT+WSKEY": 1}), 2, 4),  # a lost command
        (WifiFaults(drop_replies={"AT+WSSSID": 1}), 2, 5),  # a lost reply: the command runs twice
        (WifiFaults(drop_replies={"HF-A11ASSISTHREAD": 1, "AT+WMODE": 2}), 4, 6),
    ],
    ids=["assist", "ack", "command", "reply", "several"],
)
async def test_lost_datagrams_are_retried(
    make_module: ModuleFactory, faults: WifiFaults, assists: int, commands: int
) -> None:
    module = await make_module(faults=faults)
    result = await pair(module)
    assert result.mac == module.mac
    assert module.counters.dropped > 0
    assert module.counters.assist == assists
    assert len(module.received) == commands
    await module.wait_joined()
    assert (module.joined_ssid, module.joined_key, module.joined_security) == ("Home Net", KEY, "WPA2PSK,AES")


async def test_lost_restart_is_covered_by_the_second(make_module: ModuleFactory) -> None:
    module = await make_module(faults=WifiFaults(drop={"AT+Z": 1}))
    await pair(module)
    await module.wait_joined()
    assert module.received[-1] == "AT+Z" and module.counters.dropped == 1


async def test_slow_module(make_module: ModuleFactory) -> None:
    module = await make_module(timing=replace(WIFI_TIMING, reply_delay_s=0.05))
    await pair(module)
    await module.wait_joined()
    assert module.joined_key == KEY


async def test_other_traffic_is_ignored(make_module: ModuleFactory) -> None:
    """Datagrams from elsewhere (another host, garbage) derail neither the dialogue nor a retry."""
    ap_module = await make_module(faults=WifiFaults(drop={"AT+WSKEY": 1}))
    port = Simulator.free_port()
    noise = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    noise.bind(("127.0.0.9", 0))
    stop = asyncio.Event()

    async def chatter() -> None:
        while not stop.is_set():
            noise.sendto(b"127.0.0.9,ACCF23000009,HF-LPB100", ("127.0.0.1", port))
            noise.sendto(b"+ERR=-4\r\n\r\n", ("127.0.0.1", port))
            noise.sendto(b"\xff garbage", ("127.0.0.1", port))
            await asyncio.sleep(0.002)

    task = asyncio.create_task(chatter())
    try:
        result = await pair(ap_module, local_addr=("127.0.0.1", port))
    finally:
        stop.set()
        await task
        noise.close()
    assert result.mac == ap_module.mac and result.module_host == AP_HOST
    assert ap_module.counters.assist == 2  # the retry's handshake, among the noise
    await ap_module.wait_joined()
    assert ap_module.joined_key == KEY


async def test_module_vanishes_mid_dialogue(ap_module: WifiModule) -> None:
    """The user pressed the button (or it rebooted) after the SSID: no handshake succeeds again."""
    tasks: list[asyncio.Task[None]] = []

    def on_progress(progress: Progress) -> None:
        if progress.step is PairingStep.SET_KEY:
            tasks.append(asyncio.create_task(ap_module.stop()))

    with pytest.raises(PairingTimeoutError) as err:
        await pair(ap_module, progress=on_progress, **AT_TIMEOUT_FAST)
    await asyncio.gather(*tasks)
    assert err.value.step in (PairingStep.SET_KEY, PairingStep.SET_MODE)
    assert ap_module.counters.assist == 1 and ap_module.joined is None


async def test_port_in_use(socket_enabled: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(EndpointError, match="already in use") as err:
            await provision_ap(CREDS, target=(AP_HOST, 1), local_addr=("127.0.0.1", port))
    assert (err.value.host, err.value.port, err.value.in_use) == ("127.0.0.1", port, True)
