"""The orvibo_s20 command-line tool: discover, control, debug and pair sockets outside Home Assistant.

A thin consumer of `client/` and `pairing/`: every byte on the wire comes from the library.
"""

from .main import async_main, main

__all__ = ["async_main", "main"]
