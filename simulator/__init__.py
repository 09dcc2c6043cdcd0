"""A faithful Orvibo S20 (and AllOne) simulator on the loopback LAN (127.0.0.0/8), quirks included.

Reuses the integration's codec (`custom_components.orvibo_s20.protocol`) and never its client.
"""

from .allone import Emission, VirtualAllOne
from .counters import SimCounters, SocketCounters
from .device import Countdown, VirtualSocket
from .faults import Faults
from .lan import Simulator
from .timing import BOOT_CLOCK, Timing
from .wifi import WifiFaults, WifiMode, WifiModule, WifiTiming

__all__ = [
    "BOOT_CLOCK", "Countdown", "Emission", "Faults", "SimCounters", "Simulator", "SocketCounters", "Timing",
    "VirtualAllOne", "VirtualSocket", "WifiFaults", "WifiMode", "WifiModule", "WifiTiming",
]
