"""The `Mac` type: six bytes in wire order."""

from __future__ import annotations

from dataclasses import dataclass
import re

from .errors import EncodeError

_SEPARATORS = re.compile(r"[:\-.\s]")


@dataclass(frozen=True, slots=True)
class Mac:
    """A socket MAC address in wire order."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != 6:
            raise EncodeError(f"a MAC has 6 bytes, got {len(self.raw)}")

    @classmethod
    def parse(cls, text: str) -> Mac:
        """Parse `ac:cf:23:35:e6:aa`, `ACCF2335E6AA` or `ac-cf-…`."""
        digits = _SEPARATORS.sub("", text)
        if len(digits) != 12:
            raise EncodeError(f"not a MAC address: {text!r}")
        try:
            return cls(bytes.fromhex(digits))
        except ValueError as err:
            raise EncodeError(f"not a MAC address: {text!r}") from err

    @classmethod
    def is_mac(cls, text: str) -> bool:
        """Return whether text parses as a MAC."""
        try:
            cls.parse(text)
        except EncodeError:
            return False
        return True

    def reversed(self) -> bytes:
        """Return the bytes in reverse order (the `rMAC` of the protocol)."""
        return self.raw[::-1]

    @property
    def compact(self) -> str:
        """Upper-case hex without separators, as the Wi-Fi module prints it."""
        return self.raw.hex().upper()

    def __str__(self) -> str:
        return ":".join(f"{b:02x}" for b in self.raw)

    def __repr__(self) -> str:
        return f"Mac('{self}')"
