"""Device families: what the product id of a discovery reply says a device is."""

from __future__ import annotations

from enum import StrEnum


class DeviceFamily(StrEnum):
    """The Orvibo device families this library controls."""

    ALLONE = "allone"  # WiWo-R1 IR + 433 MHz blaster, product ids IRD012/IRD013
    SOCKET = "socket"  # S20 (and S10), product ids SOC001…SOC005


# The first three letters of the product id name the hardware (GD-P "Device types").
_PREFIXES = {"IRD": DeviceFamily.ALLONE, "SOC": DeviceFamily.SOCKET}


def family_of(product_id: str) -> DeviceFamily | None:
    """Return the family of a product id, None for one this library does not control."""
    return _PREFIXES.get(product_id[:3])
