"""`python -m custom_components.orvibo_s20` as a user runs it: a separate process, real exit statuses."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import sys

import pytest

from custom_components.orvibo_s20.cli import main
from simulator import Simulator

from .conftest import loopback_options

ROOT = Path(__file__).resolve().parents[2]


async def _run(*argv: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "custom_components.orvibo_s20", *argv,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
    )
    # The simulator keeps serving in this loop while the process runs.
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.mark.wall_clock  # the command-line tool runs in its own process
async def test_module_exit_status_and_one_line_error(simulator: Simulator) -> None:
    """One process (each spends ~3 s importing Home Assistant through the package's __init__)."""
    gone = simulator.add_socket(ip="127.0.0.3")
    simulator.set_online(gone.mac, False)
    status, stdout, stderr = await _run(*loopback_options(simulator, timeout=0.5), "--json", "info", "127.0.0.3")
    assert (status, stdout) == (1, "")
    assert stderr == "error: no S20 answered at 127.0.0.3 within 0.5 s (a locked socket only answers by MAC)\n"


async def test_main_runs_its_own_loop(simulator: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    """`main()` (what `__main__` calls) runs the command in a loop of its own: here in a thread."""
    vs = simulator.add_socket(ip="127.0.0.2")
    assert await asyncio.to_thread(main, [*loopback_options(simulator), "toggle", "127.0.0.2"]) == 0
    assert vs.state is True
    assert capsys.readouterr().out == f"{vs.mac} at 127.0.0.2: on\n"
    assert main([*loopback_options(simulator), "rename", "127.0.0.2", "x" * 17]) == 2
    assert "17 bytes" in capsys.readouterr().err
