"""What a config entry holds at run time, by device family: a socket's or an AllOne's objects.

Set-up, the shared platforms (event) and diagnostics take an entry of either family and look
at its runtime data's type once; every other platform belongs to one family only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform

from .allone_coordinator import AllOneData
from .const import CONF_FAMILY
from .coordinator import S20Data
from .protocol import DeviceFamily

type OrviboData = S20Data | AllOneData
type OrviboConfigEntry = ConfigEntry[OrviboData]

# The platforms each family's entries set up.
FAMILY_PLATFORMS: dict[DeviceFamily, list[Platform]] = {
    DeviceFamily.SOCKET: [Platform.CALENDAR, Platform.EVENT, Platform.NUMBER, Platform.SENSOR, Platform.SWITCH],
    DeviceFamily.ALLONE: [Platform.EVENT, Platform.REMOTE],
}


def entry_family(data: Mapping[str, Any]) -> DeviceFamily:
    """The family an entry's data names; entries from before AllOnes were supported are sockets."""
    return DeviceFamily(data.get(CONF_FAMILY, DeviceFamily.SOCKET))
