"""The package: the integration for Home Assistant, and a CLI that does not need Home Assistant."""

from __future__ import annotations

import subprocess
import sys

import pytest

import custom_components.orvibo_s20 as package
from custom_components.orvibo_s20 import integration


def test_integration_api_is_the_package_api() -> None:
    for name in ("CONFIG_SCHEMA", "PLATFORMS", "async_setup", "async_setup_entry", "async_unload_entry"):
        assert package.__getattr__(name) is getattr(integration, name)
    with pytest.raises(AttributeError, match="async_migrate_entry"):
        package.__getattr__("async_migrate_entry")
    assert not hasattr(package, "async_remove_entry")


def test_cli_imports_no_home_assistant() -> None:
    code = (
        "import sys, custom_components.orvibo_s20.cli.main;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'homeassistant'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
