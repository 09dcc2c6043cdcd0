"""Shared fixtures: Home Assistant's custom-integration loader for the HA tests."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/orvibo_s20 (phacc requires this)."""
