"""Counters kept by the simulator and by each virtual socket (what tests and the control port read)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(slots=True)
class SimCounters:
    """Whole loopback LAN: every datagram in and out, and why some went nowhere."""

    received: int = 0  # datagrams read from the UDP socket (own echoes and foreign excluded)
    malformed: int = 0  # rejected by decode_from_client, or a record the socket cannot store
    unknown_mac: int = 0  # well-formed, but for a MAC no virtual socket at that address has
    unreachable: int = 0  # sent to a 127.x address where no virtual socket lives
    dropped_loss: int = 0  # lost by the fault injector, either direction
    dropped_busy: int = 0  # arrived during a discovery burst or the post-subscribe deaf window
    dropped_offline: int = 0  # arrived while the socket was offline or rebooting
    ignored_unsubscribed: int = 0  # control request from a peer that is not subscribed
    ignored_unsupported: int = 0  # mp / lt: the real socket does not answer them on a LAN
    sent: int = 0  # datagrams handed to the kernel
    send_errors: int = 0
    duplicated: int = 0  # extra copies made by the fault injector
    foreign: int = 0  # datagrams from outside 127.0.0.0/8, never answered
    dropped_asleep: int = 0  # the first datagram to an AllOne idle for allone_sleep_after_s

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        return asdict(self)


@dataclass(slots=True)
class SocketCounters:
    """One virtual socket: what it was asked and what it did."""

    received: int = 0
    replies: int = 0  # replies scheduled (a discovery burst counts its ten datagrams)
    pushes: int = 0  # sf datagrams scheduled, repeats included
    announcements: int = 0
    dropped_busy: int = 0
    dropped_offline: int = 0
    ignored_unsubscribed: int = 0
    ignored_locked: int = 0  # qa while discoverable is off
    button_presses: int = 0
    countdowns_fired: int = 0
    timers_fired: int = 0
    reboots: int = 0
    # An AllOne's (zero on a socket).
    dropped_asleep: int = 0
    codes_learned: int = 0  # learned-code frames sent
    codes_emitted: int = 0  # IR and RF codes emitted
    emits_refused: int = 0  # `ic` with the id of the previous one: acked, not emitted again

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a plain dict."""
        return asdict(self)
