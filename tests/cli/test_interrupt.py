"""Ctrl-C on `python -m custom_components.orvibo_s20`: a separate process, a real SIGINT.

Ctrl-C is how a `watch` ends (exit 0, nothing on stderr); any other command interrupted says so
in one line and exits 130, as shells expect of a SIGINT.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import signal
import sys

import pytest

from simulator import Simulator

from .conftest import loopback_options

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.wall_clock  # the command-line tool runs in its own process


# `python -m custom_components.orvibo_s20 ARGV` as a terminal starts it: with Ctrl-C's SIGINT
# handled. A suite run as a background job inherits SIGINT ignored, and Python then leaves it
# ignored in the tool too, which is not what a user at a terminal has.
_AS_FROM_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'orvibo_s20'; runpy.run_module('custom_components.orvibo_s20', run_name='__main__')"
)


async def _start(*argv: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", _AS_FROM_A_TERMINAL, *argv,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
    )


async def _line_with(stream: asyncio.StreamReader, text: str) -> bytes:
    """Read lines until one contains text (the process is then where the test wants it)."""
    seen = []
    while line := await stream.readline():
        seen.append(line)
        if text.encode() in line:
            return line
    raise AssertionError(f"the process ended without printing {text!r}: {b''.join(seen).decode()}")


async def _interrupt(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_ctrl_c_ends_a_watch(simulator: Simulator) -> None:
    vs = simulator.add_socket(ip="127.0.0.2")
    process = await _start(*loopback_options(simulator), "watch", "127.0.0.2")
    assert process.stdout is not None
    first = await _line_with(process.stdout, f"{vs.mac} at 127.0.0.2")  # the state now: watching
    status, stdout, stderr = await _interrupt(process)
    assert (status, stderr) == (0, "")
    assert first.decode().split()[-1] == "off" and stdout == ""  # no change happened meanwhile


async def test_ctrl_c_interrupts_a_command(simulator: Simulator) -> None:
    """`on` to a socket that went quiet, interrupted while it waits for an answer: one line, exit 130."""
    gone = simulator.add_socket(ip="127.0.0.3")
    simulator.set_online(gone.mac, False)
    process = await _start(*loopback_options(simulator, timeout=600), "-v", "on", "127.0.0.3")
    assert process.stderr is not None
    await _line_with(process.stderr, "Listening on")  # the debug log: the endpoint is open, the probe next
    status, stdout, stderr = await _interrupt(process)
    assert (status, stdout) == (130, "")
    assert stderr.splitlines()[-1] == "error: interrupted", stderr
    assert "Traceback" not in stderr
    assert gone.state is False
