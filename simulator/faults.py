"""Seeded network faults of the loopback LAN: loss, latency, jitter, duplicates, reordering."""

from __future__ import annotations

from dataclasses import dataclass
import random


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """What the simulated Wi-Fi does to each datagram; probabilities are per datagram.

    "to device" is controller → socket, "from device" socket → controller. Loss of a
    broadcast is drawn per receiving socket, as on a real Wi-Fi LAN.
    """

    loss_to_device: float = 0.0
    loss_from_device: float = 0.0
    latency_to_device_s: float = 0.0
    latency_from_device_s: float = 0.0
    jitter_s: float = 0.0  # uniform extra delay in [0, jitter_s), both directions
    duplicate: float = 0.0  # probability that a datagram is delivered twice
    reorder: float = 0.0  # probability that a datagram is held back by reorder_delay_s
    reorder_delay_s: float = 0.05

    def __post_init__(self) -> None:
        for name in ("loss_to_device", "loss_from_device", "duplicate", "reorder"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, not {value}")
        for name in ("latency_to_device_s", "latency_from_device_s", "jitter_s", "reorder_delay_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def is_clean(self) -> bool:
        """Whether no fault at all is configured (the fast path)."""
        return self == _CLEAN


_CLEAN = Faults()


class FaultInjector:
    """Draw the fate of each datagram from one seeded generator (reproducible runs)."""

    def __init__(self, faults: Faults, seed: int | None) -> None:
        self._random = random.Random(seed)
        self.faults = faults

    @property
    def faults(self) -> Faults:
        """The faults in force."""
        return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._faults = faults
        self._clean = faults.is_clean

    def to_device(self) -> tuple[float, ...]:
        """Return the extra delays of each copy delivered to a socket; empty = lost."""
        f = self.faults
        return self._plan(f.loss_to_device, f.latency_to_device_s)

    def from_device(self) -> tuple[float, ...]:
        """Return the extra delays of each copy sent by a socket; empty = lost."""
        f = self.faults
        return self._plan(f.loss_from_device, f.latency_from_device_s)

    def _plan(self, loss: float, latency: float) -> tuple[float, ...]:
        if self._clean:
            return (0.0,)
        f = self._faults
        rnd = self._random.random
        copies = 2 if f.duplicate and rnd() < f.duplicate else 1
        delays = []
        for _ in range(copies):
            # Each copy is lost on its own: a duplicate is a second transmission.
            if loss and rnd() < loss:
                continue
            delay = latency
            if f.jitter_s:
                delay += rnd() * f.jitter_s
            if f.reorder and rnd() < f.reorder:
                delay += f.reorder_delay_s
            delays.append(delay)
        return tuple(delays)
