"""`decode HEX`: decode one S20 frame (e.g. pasted from Wireshark) into its typed message."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..protocol import DecodeError, S20ProtocolError, decode_from_client, decode_from_device
from .output import JsonValue, Output, describe, jsonable

# Some commands share an id and a length in both directions (the `dc` request and its ack),
# so a frame is decoded as the socket's and as a controller's unless told which it is.
_DIRECTIONS: dict[str, tuple[str, Callable[[bytes], object]]] = {
    "client": ("controller → socket", decode_from_client),
    "device": ("socket → controller", decode_from_device),
}


class UndecodableFrameError(S20ProtocolError):
    """The bytes are not an S20 frame in the direction(s) asked."""


async def cmd_decode(args: argparse.Namespace, out: Output) -> None:
    """Print the message(s) the frame decodes to."""
    frame: bytes = args.frame
    wanted = ("device", "client") if args.direction == "auto" else (args.direction,)
    decoded: list[JsonValue] = []
    blocks: list[str] = []
    reasons: list[str] = []
    for direction in wanted:
        label, decode = _DIRECTIONS[direction]
        try:
            message = decode(frame)
        except DecodeError as err:
            reasons.append(f"as {label}: {err}")
            continue
        fields = jsonable(message)
        decoded.append({"direction": direction, "type": type(message).__name__, "message": fields})
        body: dict[str, JsonValue] = dict(fields) if isinstance(fields, dict) else {"value": fields}
        blocks.append("\n".join([f"{type(message).__name__} ({label})", *describe(body, 1)]))
    if not decoded:
        raise UndecodableFrameError(f"not a valid S20 frame ({len(frame)} bytes): " + "; ".join(reasons))
    prefix = "ambiguous: the frame decodes in both directions\n" if len(decoded) > 1 else ""
    out.result({"hex": frame.hex(), "length": len(frame), "decoded": decoded}, prefix + "\n".join(blocks))
