"""The Orvibo S20 integration: local push control of Orvibo S20 Wi-Fi sockets over UDP.

The package is also a command-line tool (`python -m custom_components.orvibo_s20`) that must
start fast and work where Home Assistant is not installed, so the Home Assistant side lives in
`integration.py`: imported here when Home Assistant is running (it has loaded its core before
it loads us), and on first use otherwise.
"""

from __future__ import annotations

import sys
from typing import Any

_INTEGRATION_API = ("CONFIG_SCHEMA", "PLATFORMS", "async_setup", "async_setup_entry", "async_unload_entry")

if "homeassistant.core" in sys.modules:
    from .integration import (  # noqa: F401
        CONFIG_SCHEMA,
        PLATFORMS,
        async_setup,
        async_setup_entry,
        async_unload_entry,
    )


def __getattr__(name: str) -> Any:
    if name in _INTEGRATION_API:
        from . import integration  # noqa: PLC0415

        return getattr(integration, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
