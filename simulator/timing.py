"""How fast the virtual sockets react; the defaults are the real device's (PROTOCOL.md §3–§4)."""

from __future__ import annotations

from dataclasses import dataclass

# Clock of a socket that has just booted and has not been set: 2000-01-01T00:00:00Z in
# seconds since 1900 (PROTOCOL.md §4.1, "counting up from 2000-01-01 after boot").
BOOT_CLOCK = 3155673600


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """Delays, windows and counts of the simulated firmware, in seconds.

    Tests shrink them (a 1 s subscription, no announcements); benchmarks set the reply
    delays to 0 so that only the client is measured.
    """

    # Replies come 10–300 ms after a request on the real socket (§4.4); kept small here.
    # reply_jitter_s adds a seeded uniform [0, jitter) per request, so that hundreds of sockets
    # answering one broadcast do not all send in the same millisecond.
    reply_delay_s: float = 0.01
    reply_jitter_s: float = 0.0
    # `sf` follows the `dc` ack by 4–40 ms and is repeated ~45 ms later (§3.5).
    push_delay_s: float = 0.006
    sf_repeat_s: float = 0.045
    # `qa`/`qg`: ten replies ~15 ms apart; other requests are dropped meanwhile (§3.1).
    burst_count: int = 10
    burst_interval_s: float = 0.015
    # GP: commands sent < ~6 ms after the subscribe ack were ignored (§3.3).
    post_subscribe_deaf_s: float = 0.006
    # Observed idle timeout lies between 202 s and 312 s (§4.2).
    subscription_timeout_s: float = 240.0
    # Unsolicited announcements: ~21 broadcasts ~3.17 s apart after boot, repeated every
    # ~600 s by a cloud-connected socket (§3.1). announce_count 0 turns them off.
    announce_count: int = 21
    announce_interval_s: float = 3.17
    announce_every_s: float | None = 600.0
    # One isolated announcement ~2.4 s after a state change was seen once (§3.1); off by default.
    announce_after_change_s: float | None = None
    # Power cycle: relay off, Wi-Fi join, then announcements.
    reboot_s: float = 8.0
    # How often the shared ticker checks the timers of every socket.
    tick_s: float = 1.0
    # Whether a `dc` (or timer, countdown) that does not change the relay still pushes `sf`.
    # Not captured either way; pushing is what every peer library tolerates, and a client
    # waiting for `sf` to confirm a command needs it.
    push_on_unchanged: bool = True
    # The AllOne (simulator/allone.py): after this many seconds without a datagram it sleeps and
    # drops the first one that comes (it wakes on it); None: it never sleeps. Its learning mode
    # lasts learn_window_s (asyncio-orvibo waits at most 40 s for a code).
    allone_sleep_after_s: float | None = 30.0
    learn_window_s: float = 40.0
