"""`pair ap` / `pair smartlink`: put a new socket on Wi-Fi, then find it and set its defaults.

Progress goes to stderr, the found socket to stdout. The Wi-Fi key is handed to the pairing
module and nowhere else: no progress line, result or error contains it.
"""

from __future__ import annotations

import argparse
import sys

from ..pairing import (
    PairedSocket,
    PairingStep,
    Progress,
    WifiCredentials,
    complete_pairing,
    provision_ap,
    provision_smartlink,
)
from ..pairing.provision import AT_ATTEMPTS, AT_REPLY_TIMEOUT_S
from .output import JsonValue, Output
from .session import client_timing, open_endpoint

_STEPS: dict[PairingStep, str] = {
    PairingStep.CONFIRMED: "the socket confirmed: it is joining the Wi-Fi",
    PairingStep.DONE: "done",
    PairingStep.FIND_MODULE: "looking for the socket's Wi-Fi module at {where} (this computer must be on WiWo-S20)",
    PairingStep.RENAME: "naming it",
    PairingStep.RESTART: "restarting the module: the socket now joins the Wi-Fi",
    PairingStep.SET_CLOCK: "setting its clock",
    PairingStep.SET_KEY: "sending the Wi-Fi password and security",
    PairingStep.SET_MODE: "switching the module to station mode",
    PairingStep.SET_SSID: "sending the Wi-Fi name",
    PairingStep.SET_TIMEZONE: "setting its time zone",
    PairingStep.SMARTLINK: "broadcasting the password to {where}, round {round} ({percent}% of the time allowed)",
    PairingStep.SOCKET_FOUND: "found it on the network",
    PairingStep.WAIT_FOR_SOCKET: "waiting for the socket to appear on the network (up to {join:g} s)",
}


class _Reporter:
    """Turn pairing progress into lines: one per step, one per SmartLink round."""

    def __init__(self, out: Output, *, where: str, join_s: float) -> None:
        self._out = out
        self._where = where
        self._join_s = join_s
        self._last: tuple[PairingStep, int | None] | None = None

    def __call__(self, progress: Progress) -> None:
        key = (progress.step, progress.round)
        if key == self._last:
            return  # SmartLink reports every group; a line per round is plenty
        self._last = key
        percent = round(100 * progress.fraction) if progress.fraction is not None else "?"
        text = _STEPS[progress.step].format(where=self._where, round=progress.round, percent=percent, join=self._join_s)
        self._out.progress(f"[{progress.step}] {text}")


def read_password(value: str | None) -> str | None:
    """`-` reads the password from stdin (keeps it out of the process list and shell history)."""
    if value != "-":
        return value
    return sys.stdin.readline().rstrip("\r\n")


def _paired(out: Output, method: str, paired: PairedSocket, ssid: str | None) -> None:
    data: dict[str, JsonValue] = {
        "method": method,
        "mac": str(paired.mac),
        "host": paired.host,
        "product_id": paired.product_id,
        "name": paired.name,
        "ssid": ssid,
    }
    named = f", named {paired.name!r}" if paired.name else ""
    out.result(data, f"paired: {paired.mac} at {paired.host} ({paired.product_id}){named}")


async def cmd_pair_ap(args: argparse.Namespace, out: Output) -> None:
    """AP mode (blue LED blinking fast): give the module the network over its WiWo-S20 AP."""
    auth, encryption = args.security
    credentials = WifiCredentials(
        ssid=args.ssid, key=read_password(args.password) or "", auth=auth, encryption=encryption
    )  # InvalidCredentialsError before anything is sent
    target: tuple[str, int] = args.target
    report = _Reporter(out, where=f"{target[0]}:{target[1]}", join_s=args.join_timeout)
    # Bind the S20 port first: a port taken by another controller fails before the socket
    # has been given the settings, not a minute later.
    async with open_endpoint(args) as endpoint:
        # --timeout bounds each step, its tries included, as it bounds each request to a socket.
        reply_timeout_s = min(AT_REPLY_TIMEOUT_S, args.timeout / AT_ATTEMPTS)
        result = await provision_ap(credentials, target=target, progress=report, reply_timeout_s=reply_timeout_s)
        out.progress(f"Wi-Fi settings stored in {result.mac} ({result.module}); it restarts and joins {args.ssid!r}")
        paired = await complete_pairing(
            endpoint, result.mac, name=args.name, timeout_s=args.join_timeout,
            client_timing=client_timing(args), progress=report,
        )
    _paired(out, "ap", paired, args.ssid)


async def cmd_pair_smartlink(args: argparse.Namespace, out: Output) -> None:
    """SmartLink (red LED blinking fast): broadcast the password on the network the socket should join."""
    password = read_password(args.password) or ""
    broadcast = args.smartlink_broadcast or (args.broadcast or ["255.255.255.255"])[0]
    report = _Reporter(out, where=f"{broadcast}:{args.smartlink_port}", join_s=args.join_timeout)
    async with open_endpoint(args) as endpoint:
        result = await provision_smartlink(
            password, ssid=args.ssid, broadcast=broadcast, port=args.smartlink_port, progress=report,
            timeout_s=args.smartlink_timeout, speed=args.speed,
        )
        out.progress(f"{result.mac} confirmed from {result.host}")
        paired = await complete_pairing(
            endpoint, result.mac, host=result.host, name=args.name, timeout_s=args.join_timeout,
            client_timing=client_timing(args), progress=report,
        )
    _paired(out, "smartlink", paired, args.ssid)
