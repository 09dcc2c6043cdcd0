"""Devices that answer on UDP 10000 but cannot be controlled here: what they are, and who heard them.

The endpoint names every such device it hears (a HomeMate `pk`/`dk` frame, or a discovery reply
with an unknown product id; `protocol/families.py`) instead of dropping it silently; a scan
collects them with `collect_unsupported` beside `discover`, so it can say what it found.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol import Mac
from ..protocol.families import UNSUPPORTED_REASONS, UnsupportedFamily

if TYPE_CHECKING:
    from .endpoint import S20Endpoint


@dataclass(frozen=True, slots=True, kw_only=True)
class UnsupportedDevice:
    """A device heard on the port that this integration cannot control."""

    family: UnsupportedFamily
    host: str
    mac: Mac | None = None  # a HomeMate frame carries none in the clear
    product_id: str | None = None

    @property
    def reason(self) -> str:
        """Why it cannot be controlled (English)."""
        return UNSUPPORTED_REASONS[self.family]

    @property
    def name(self) -> str:
        """`HomeMate`, or `Orvibo KEP001 ac:cf:23:…`: what answered, without its address."""
        if self.family is UnsupportedFamily.HOMEMATE:
            return "HomeMate"
        return f"Orvibo {self.product_id} {self.mac}"

    @property
    def label(self) -> str:
        """`HomeMate at 192.168.1.40`."""
        return f"{self.name} at {self.host}"


type UnsupportedListener = Callable[[UnsupportedDevice], None]


@contextlib.asynccontextmanager
async def collect_unsupported(endpoint: S20Endpoint) -> AsyncIterator[list[UnsupportedDevice]]:
    """Collect every unsupported device heard while the block runs, once each, in order heard."""
    found: list[UnsupportedDevice] = []

    def on_unsupported(device: UnsupportedDevice) -> None:
        if device not in found:
            found.append(device)

    remove = endpoint.add_unsupported_listener(on_unsupported)
    try:
        yield found
    finally:
        remove()
