"""Fixtures of the browser test: a real Home Assistant process and Debian's Chromium."""

from __future__ import annotations

import os
from pathlib import Path
import shutil

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Home Assistant runs in its own process here: replaces the root conftest's autouse fixture."""


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """The test talks HTTP, WebSocket, the DevTools pipe and the simulator's control port over loopback."""


@pytest.fixture
def chromium() -> str:
    """The system Chromium (scripts/test installs Debian's package); Playwright downloads nothing.

    Without one the test is skipped, unless ORVIBO_S20_REQUIRE_BROWSER is set (CI sets it), where a
    missing browser is a failure rather than a silent skip.
    """
    path = os.environ.get("ORVIBO_S20_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "no chromium on this machine (scripts/test installs Debian's chromium when run as root)"
        if os.environ.get("ORVIBO_S20_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def screenshots() -> Path:
    """Where the screenshots go: ORVIBO_S20_SCREENSHOTS, else .artifacts/browser/ in the repository
    (scripts/test: .artifacts/browser/<leg>/); each test writes into a folder of its own there."""
    directory = Path(os.environ.get("ORVIBO_S20_SCREENSHOTS") or ROOT / ".artifacts" / "browser")
    directory.mkdir(parents=True, exist_ok=True)
    return directory
