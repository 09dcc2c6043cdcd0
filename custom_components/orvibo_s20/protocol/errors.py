"""The exception hierarchy of the S20 library (protocol, client and pairing layers)."""

from __future__ import annotations


class S20Error(Exception):
    """Base class of every error raised by the S20 library."""


class S20ProtocolError(S20Error):
    """Bytes that do not follow the S20 protocol."""


class DecodeError(S20ProtocolError):
    """A peer sent bytes that cannot be read (dropped and counted, never raised to users)."""


class EncodeError(S20ProtocolError, ValueError):
    """We were asked to send something the socket cannot store (name too long, bad timer, ...)."""


class S20ConnectionError(S20Error):
    """The socket could not be reached or did not answer."""


class S20TimeoutError(S20ConnectionError, TimeoutError):
    """No proper reply arrived before the deadline."""


class EndpointError(S20ConnectionError):
    """The shared UDP endpoint could not be opened (typically: port already in use)."""

    def __init__(self, message: str, *, host: str, port: int, in_use: bool = False) -> None:
        super().__init__(message)
        self.host = host
        self.port = port
        self.in_use = in_use  # another program holds the port (its relay may be there)


class PairingError(S20Error):
    """The Wi-Fi module refused a setting or disappeared during pairing."""


# The issue tracker and older code call the decode failure "ProtocolError".
ProtocolError = DecodeError
