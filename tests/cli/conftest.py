"""Fixtures: a simulator on the loopback LAN and a runner of the CLI against it (no Home Assistant)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
import json
from typing import Any

import pytest

from custom_components.orvibo_s20.cli import async_main
from simulator import Simulator, Timing, VirtualAllOne
from tests.loopback import (  # noqa: F401 (fixtures)
    AP_HOST,
    BROADCAST,
    WIFI_TIMING,
    ModuleFactory,
    at_port_fixture,
    loop_time_fixture,
    module_factory_fixture,
    no_home_assistant,
    simulator_fixture,
    smartlink_port_fixture,
    wait_for,
)

# A short discovery burst (the real one is 10 × 15 ms) so each command's wait for it is short;
# one announcement on boot, so a freshly paired socket is heard at once.
SIM_TIMING = Timing(
    reply_delay_s=0.0, push_delay_s=0.0, burst_count=2, burst_interval_s=0.005, subscription_timeout_s=5.0,
    announce_count=1, announce_interval_s=0.05, announce_every_s=None, reboot_s=0.2, tick_s=0.1,
)


@dataclass(frozen=True, slots=True)
class CliResult:
    """What one CLI run returned and printed."""

    status: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The one JSON document on stdout."""
        return json.loads(self.stdout)

    @property
    def lines(self) -> list[str]:
        """stdout, line by line."""
        return self.stdout.splitlines()


type RunCli = Callable[..., Coroutine[Any, Any, CliResult]]


def loopback_options(simulator: Simulator, timeout: float = 2.0) -> list[str]:
    """The global options that put the CLI on the loopback LAN of this simulator."""
    return [
        "--bind", "127.0.0.1", "--port", str(simulator.port), "--broadcast", BROADCAST,
        "--broadcast-listen", BROADCAST, "--timeout", str(timeout),
    ]


@pytest.fixture
def run_cli(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> RunCli:
    """Run one command line in this event loop against the simulator; returns status and output."""

    async def run(*argv: str, timeout: float = 2.0, json_output: bool = False, network: bool = True) -> CliResult:
        capsys.readouterr()  # drop what earlier steps printed
        options = loopback_options(simulator, timeout) if network else []
        status = await async_main([*options, *(["--json"] if json_output else []), *argv])
        captured = capsys.readouterr()
        return CliResult(status, captured.out, captured.err)

    return run


make_module = module_factory_fixture()


simulator = simulator_fixture(SIM_TIMING)  # this directory's timing


async def wait_for_learning(allone: VirtualAllOne, task: asyncio.Task[CliResult]) -> None:
    """Wait until the AllOne is in learning mode for the CLI (or the CLI ended: its result tells why)."""
    await wait_for(lambda: allone.learning or task.done(), timeout=15.0)
