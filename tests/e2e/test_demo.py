"""The README's main command, `bash scripts/demo`, in its --check mode: it boots, onboards,
discovers, adds a socket, sees the example button press, prints the URL and login, and exits 0."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess

import pytest

from scripts.hass_harness import ROOT, free_tcp_port

pytestmark = pytest.mark.e2e


def test_demo_check(tmp_path: Path) -> None:
    http_port, control_port = free_tcp_port(), free_tcp_port()
    # As from a fresh shell: without .venv on PATH (bootstrap must not mistake it for the interpreter).
    path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not d.startswith(str(ROOT / ".venv")))
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {
        "PATH": path,
        "DEMO_PORT": str(http_port),
        "DEMO_CONTROL_PORT": str(control_port),
        "DEMO_DIR": str(tmp_path / "demo"),
        "DEMO_SCAN_INTERVAL": "3",  # 15 s for a person; the test need not wait that long
    }
    # The leg's real Home Assistant (scripts/test sets it; the demo's own default otherwise).
    ha = os.environ.get("ORVIBO_S20_HASS_VERSION")
    done = subprocess.run(
        ["bash", "scripts/demo", "--check", *(["--ha", ha] if ha else [])], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    if ha:
        assert f"Home Assistant {ha} with 3 simulated Orvibo S20 sockets" in out
    assert f"Open      http://127.0.0.1:{http_port}" in out
    assert "Login     user 'demo', password 'demo-s20'" in out
    assert "→ switch.socket_1" in out
    assert f'"op": "press", "mac": "ac:cf:23:00:00:02"}}, port={control_port}' in out
    assert out.count("(127.0.0.") == 4  # one added, two discovered, the AllOne added
    assert "→ remote.allone_" in out
    assert "Ready in" in out
    assert (tmp_path / "demo" / "config" / "home-assistant.log").exists()
