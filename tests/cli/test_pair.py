"""`pair ap` and `pair smartlink` against the simulated Wi-Fi module; the key never shows."""

from __future__ import annotations

from datetime import UTC, datetime
import io
import logging

import pytest

from custom_components.orvibo_s20.protocol import clock_from_datetime
from simulator import Simulator
from simulator.wifi import WifiFaults, WifiMode

from .conftest import AP_HOST, BROADCAST, ModuleFactory, RunCli

KEY = "hunter2-correct-horse"
SPEED = "50"  # the SmartLink schedule at 50× speed: a round of this password takes ~0.5 s


def ap_args(at_port: int, *extra: str) -> list[str]:
    return ["pair", "ap", "--ssid", "Home Wi-Fi", "--password", KEY, "--target", f"{AP_HOST}:{at_port}",
            "--join-timeout", "3", *extra]


def smartlink_args(smartlink_port: int, *extra: str) -> list[str]:
    return ["pair", "smartlink", "--password", KEY, "--broadcast", BROADCAST, "--smartlink-port", str(smartlink_port),
            "--speed", SPEED, "--timeout", "5", "--join-timeout", "3", *extra]


async def test_ap_pairs_names_and_sets_clock(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int
) -> None:
    module = await make_module()
    result = await run_cli(*ap_args(at_port, "--name", "Porch"))
    assert result.status == 0, result.stderr
    # What the module was told, byte for byte.
    assert module.joined_ssid == "Home Wi-Fi" and module.joined_key == KEY
    assert module.joined_security == "WPA2PSK,AES"
    joined = module.joined
    assert joined is not None
    assert result.stdout == f"paired: {module.mac} at {joined.ip} (SOC005), named 'Porch'\n"
    assert joined.name == "Porch"
    assert abs(joined.clock - clock_from_datetime(datetime.now(UTC))) <= 2
    steps = [line.split("]")[0].lstrip("[") for line in result.stderr.splitlines() if line.startswith("[")]
    assert steps == ["find_module", "set_ssid", "set_key", "set_mode", "restart", "wait_for_socket",
                     "socket_found", "set_clock", "set_timezone", "rename", "done"]
    assert KEY not in result.stdout + result.stderr


async def test_ap_json_and_other_security(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int
) -> None:
    module = await make_module()
    result = await run_cli(*ap_args(at_port, "--security", "wpapsk,tkip"), json_output=True)
    assert result.status == 0, result.stderr
    assert module.joined is not None and module.joined_security == "WPAPSK,TKIP"
    assert result.json() == {"method": "ap", "mac": str(module.mac), "host": module.joined.ip,
                             "product_id": "SOC005", "name": None, "ssid": "Home Wi-Fi"}


async def test_ap_open_network_needs_no_password(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int
) -> None:
    module = await make_module()
    result = await run_cli("pair", "ap", "--ssid", "Cafe", "--security", "OPEN", "--target", f"{AP_HOST}:{at_port}",
                           "--join-timeout", "3")
    assert result.status == 0, result.stderr
    assert module.joined_security == "OPEN,NONE" and module.joined_key == ""


async def test_ap_password_from_stdin(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = await make_module()
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY + "\n"))
    argv = ap_args(at_port)
    argv[argv.index(KEY)] = "-"
    result = await run_cli(*argv)
    assert result.status == 0, result.stderr
    assert module.joined_key == KEY


async def test_ap_module_refuses(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int
) -> None:
    module = await make_module(faults=WifiFaults(errors={"AT+WSKEY": -4}))
    result = await run_cli(*ap_args(at_port))
    assert result.status == 1
    assert result.stdout == ""
    error = result.stderr.splitlines()[-1]
    assert error.startswith("error: the Wi-Fi module refused AT+WSKEY: +ERR=-4")
    assert KEY not in result.stderr
    assert module.joined is None


async def test_ap_no_module_times_out(simulator: Simulator, run_cli: RunCli, at_port: int) -> None:
    result = await run_cli(*ap_args(at_port), timeout=0.3)  # nothing listens on the AT port
    assert result.status == 1
    assert result.stderr.splitlines()[-1].startswith("error: no Wi-Fi module answered")
    assert "Traceback" not in result.stderr and KEY not in result.stderr


async def test_ap_socket_never_appears(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int
) -> None:
    # The access point refuses the key: the module restarts but never joins the LAN.
    module = await make_module(network=("Home Wi-Fi", "another-key-entirely"))
    argv = ap_args(at_port)
    argv[argv.index("3")] = "0.5"  # --join-timeout
    result = await run_cli(*argv)
    assert result.status == 1
    mode: WifiMode = module.mode  # (mypy narrows the attribute to the modes a module starts in)
    assert mode is WifiMode.FAILED
    last = result.stderr.splitlines()[-1]
    assert last.startswith("error: the socket did not appear on the network within 0.5 s")
    assert KEY not in result.stderr


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--security", "WPA2PSK,NONE"), "not a valid combination"),
        (("--security", "WPA3SAE"), "unknown security"),
        (("--password", "short"), "8–63"),
        (("--ssid", "x" * 33), "33 bytes"),
        (("--name", "a-name-far-too-long"), "19 bytes"),
    ],
)
async def test_ap_bad_values_send_nothing(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int,
    extra: tuple[str, str], fragment: str,
) -> None:
    module = await make_module()
    argv = ap_args(at_port)
    option, value = extra
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    result = await run_cli(*argv)
    assert result.status == 2, result
    assert fragment in result.stderr
    assert KEY not in result.stderr
    assert module.counters.assist == 0 and module.received == []


async def test_password_never_in_argparse_errors(run_cli: RunCli) -> None:
    for argv in (
        ("pair", "smartlink", "--password", KEY, "--bogus"),
        ("pair", "smartlink", "--password", KEY, "unexpected", KEY),
        ("pair", "ap", f"--passw={KEY}", "--ssid"),
        ("pair", "ap", "--ssid", "S", "--password", KEY, "--security", KEY),
    ):
        result = await run_cli(*argv, network=False)
        assert result.status == 2
        assert "usage:" in result.stderr
        assert KEY not in result.stderr + result.stdout


async def test_smartlink_pairs(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, smartlink_port: int
) -> None:
    module = await make_module(WifiMode.SMARTLINK)
    result = await run_cli(*smartlink_args(smartlink_port, "--name", "Garage"), json_output=True)
    assert result.status == 0, result.stderr
    # The simulated sniffer decoded exactly the password from the packet lengths.
    assert module.joined_key == KEY
    joined = module.joined
    assert joined is not None and joined.name == "Garage"
    assert result.json() == {"method": "smartlink", "mac": str(module.mac), "host": joined.ip,
                             "product_id": "SOC005", "name": "Garage", "ssid": None}
    progress = result.stderr.splitlines()
    assert any(line.startswith("[smartlink] broadcasting the password to 127.255.255.255") for line in progress)
    assert any(line.startswith("[confirmed]") for line in progress)
    assert f"{module.mac} confirmed from {joined.ip}" in result.stderr
    assert KEY not in result.stdout + result.stderr


async def test_smartlink_text_output(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, smartlink_port: int
) -> None:
    module = await make_module(WifiMode.SMARTLINK)
    result = await run_cli(*smartlink_args(smartlink_port, "--ssid", "Home"))
    assert result.status == 0, result.stderr
    assert module.joined is not None
    assert result.stdout == f"paired: {module.mac} at {module.joined.ip} (SOC005)\n"


async def test_smartlink_times_out(simulator: Simulator, run_cli: RunCli, smartlink_port: int) -> None:
    # No socket in SmartLink mode: nobody confirms.
    argv = smartlink_args(smartlink_port)
    argv[argv.index("5")] = "0.3"  # the SmartLink --timeout
    result = await run_cli(*argv)
    assert result.status == 1
    assert result.stderr.splitlines()[-1].startswith("error: no socket confirmed SmartLink within 0.3 s")
    assert KEY not in result.stderr


async def test_verbose_logging_keeps_the_key_out(
    simulator: Simulator, run_cli: RunCli, make_module: ModuleFactory, at_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    module = await make_module()
    caplog.set_level(logging.DEBUG)
    result = await run_cli("-v", *ap_args(at_port))
    assert result.status == 0, result.stderr
    assert module.joined_key == KEY
    assert "AT+WSKEY" in result.stderr  # the debug log of the AT dialogue went to stderr ...
    assert KEY not in result.stderr + result.stdout  # ... redacted
    assert all(KEY not in record.getMessage() for record in caplog.records)
