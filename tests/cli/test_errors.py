"""Exit statuses: 1 with one line on stderr when a socket fails or is gone, 2 on bad usage."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.orvibo_s20.protocol import PowerRequest
from simulator import Simulator

from .conftest import BROADCAST, RunCli


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr


@pytest.mark.parametrize(
    "argv",
    [("info",), ("toggle",), ("rename", "X"), ("timers",), ("clock", "--sync")],
)
async def test_offline_socket_by_ip(simulator: Simulator, run_cli: RunCli, argv: tuple[str, ...]) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", name="Before")
    simulator.set_online(vs.mac, False)
    result = await run_cli(argv[0], "127.0.0.2", *argv[1:], timeout=0.3)
    assert result.status == 1
    assert result.stdout == ""
    assert_one_line_error(result.stderr, "no S20 answered at 127.0.0.2 within 0.3 s")
    assert vs.name == "Before" and vs.state is False


async def test_offline_socket_by_mac(simulator: Simulator, run_cli: RunCli) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    simulator.set_online(vs.mac, False)
    result = await run_cli("on", str(vs.mac), timeout=0.3, json_output=True)
    assert result.status == 1
    assert result.stdout == ""
    assert_one_line_error(result.stderr, f"no S20 with MAC {vs.mac} answered")


async def test_socket_drops_off_during_the_command(
    simulator: Simulator, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket answers the probe and the subscribe, then leaves Wi-Fi as the `dc` arrives."""
    vs = simulator.add_socket(ip="127.0.0.2")
    handle = vs.handle

    def handle_then_vanish(message: Any, host: str) -> None:
        if isinstance(message, PowerRequest):
            simulator.set_online(vs.mac, False)
            return
        handle(message, host)

    monkeypatch.setattr(vs, "handle", handle_then_vanish)
    result = await run_cli("on", "127.0.0.2", timeout=0.4)
    assert result.status == 1
    assert_one_line_error(result.stderr, f"{vs.mac} at 127.0.0.2 did not answer power on")
    assert vs.state is False


async def test_port_in_use_is_reported(simulator: Simulator, run_cli: RunCli) -> None:
    # On the wildcard the CLI does not share the port: the simulator holds it.
    result = await run_cli("--bind", "0.0.0.0", "--port", str(simulator.port), "--broadcast", BROADCAST, "discover",
                           network=False)
    assert result.status == 1
    assert_one_line_error(result.stderr, f"UDP port {simulator.port}", "already in use")


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("frobnicate",),
        ("info",),
        ("info", "not-a-host"),
        ("info", "127.0.0.2", "extra"),
        ("info", "0.0.0.0"),
        ("--port", "70000", "info", "127.0.0.2"),
        ("--timeout", "0", "info", "127.0.0.2"),
        ("--bind", "localhost", "info", "127.0.0.2"),
        ("countdown", "127.0.0.2", "60"),
        ("countdown", "127.0.0.2", "--action", "on"),
        ("countdown", "127.0.0.2", "60", "--action", "on", "--cancel"),
        ("countdown", "127.0.0.2", "0", "--action", "on"),
        ("countdown", "127.0.0.2", "65536", "--action", "on"),
        ("countdown", "127.0.0.2", "ten", "--action", "on"),
        ("auto-off", "127.0.0.2", "70000"),
        ("auto-off", "127.0.0.2", "60", "--disable"),
        ("rename", "127.0.0.2", "seventeen-bytes!!"),
        ("rename", "127.0.0.2", "tab\there"),
        ("watch", "127.0.0.2", "--count", "0"),
        ("discover", "--window", "-1"),
        ("pair",),
        ("pair", "ap", "--password", "x"),
        ("pair", "ap", "--ssid", "S", "--password", "12345678", "--target", "10.10.100.254:99999"),
        ("pair", "smartlink", "--password", "12345678", "--timeout", "0"),
    ],
)
async def test_bad_usage_exits_2_before_sending(simulator: Simulator, run_cli: RunCli, argv: tuple[str, ...]) -> None:
    vs = simulator.add_socket(ip="127.0.0.2", name="Keep")
    received = simulator.counters.received
    result = await run_cli(*argv)
    assert result.status == 2, result
    assert "usage:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert simulator.counters.received == received
    assert vs.name == "Keep"


async def test_help_exits_0(run_cli: RunCli) -> None:
    result = await run_cli("--help", network=False)
    assert result.status == 0
    assert "usage:" in result.stdout and "pair" in result.stdout
    result = await run_cli("timers", "--help", network=False)
    assert result.status == 0 and "{list,add,remove}" in result.stdout
