"""Fixtures of the end-to-end tests: a real Home Assistant process, no in-process `hass`."""

from __future__ import annotations

import pytest


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Home Assistant runs in its own process here: replaces the root conftest's autouse fixture."""


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """The tests talk HTTP, WebSocket and the simulator's control port over 127.0.0.1."""
