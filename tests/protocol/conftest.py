"""Fixtures of the codec tests: none need Home Assistant."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the repository-wide autouse fixture: the codec is pure and needs no `hass`."""
