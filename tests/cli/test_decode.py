"""`decode HEX`: frames captured from real sockets (tests/protocol/vectors.json), as pasted from Wireshark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import RunCli

VECTORS: list[dict[str, Any]] = json.loads((Path(__file__).parent.parent / "protocol" / "vectors.json").read_text())


def vector(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS if v["name"] == name)


def wireshark(hex_text: str, separator: str = " ") -> str:
    """The frame as Wireshark's "copy as hex" gives it: bytes with separators."""
    return separator.join(hex_text[i : i + 2] for i in range(0, len(hex_text), 2))


@pytest.mark.parametrize("separator", [" ", ":", ""])
async def test_announcement(run_cli: RunCli, separator: str) -> None:
    v = vector("qa unsolicited announcement after boot")
    result = await run_cli("decode", wireshark(v["hex"], separator), json_output=True, network=False)
    assert result.status == 0, result.stderr
    data = result.json()
    assert data["hex"] == v["hex"] and data["length"] == 42
    (decoded,) = data["decoded"]  # a 42-byte qa only comes from a socket
    assert decoded["direction"] == "device" and decoded["type"] == "DiscoveryReply"
    message = decoded["message"]
    assert message["command"] == "qa"
    assert message["mac"] == v["decoded"]["mac"]
    assert message["product_id"] == v["decoded"]["product_id"]
    assert message["clock"] == v["decoded"]["time_since_1900"]["raw_le_u32"]
    assert message["device_time"] == v["decoded"]["time_since_1900"]["utc"].replace("Z", "+00:00")
    assert message["state"] == "off"


async def test_socket_data_text(run_cli: RunCli) -> None:
    v = vector("rt table 4 reply with timezone/DST block filled")
    result = await run_cli("decode", wireshark(v["hex"]), network=False)
    assert result.status == 0, result.stderr
    assert result.lines[0] == "SocketDataReply (socket → controller)"
    assert "  command: rt" in result.lines
    assert "  data:" in result.lines
    assert f"    mac: {v['decoded']['mac']}" in result.lines
    assert any(line.startswith("    firmware_version: ") for line in result.lines)


async def test_timers_reply(run_cli: RunCli) -> None:
    v = vector("rt table 3 reply with two timers")
    result = await run_cli("decode", v["hex"], json_output=True, network=False)
    assert result.status == 0, result.stderr
    (decoded,) = result.json()["decoded"]
    assert decoded["type"] == "TimersReply"
    assert len(decoded["message"]["timers"]) == 2


async def test_dc_is_ambiguous_unless_told(run_cli: RunCli) -> None:
    v = vector("dc power on request")  # the request and the ack are both 23 bytes
    result = await run_cli("decode", v["hex"], json_output=True, network=False)
    assert result.status == 0, result.stderr
    types = {d["direction"]: d["type"] for d in result.json()["decoded"]}
    assert types == {"client": "PowerRequest", "device": "Ack"}
    result = await run_cli("decode", v["hex"], network=False)
    assert result.lines[0].startswith("ambiguous")

    result = await run_cli("decode", "--direction", "client", v["hex"], json_output=True, network=False)
    (decoded,) = result.json()["decoded"]
    assert decoded["type"] == "PowerRequest" and decoded["message"]["state"] == "on"
    assert decoded["message"]["mac"] == v["decoded"]["mac"]


async def test_request_decodes_as_client(run_cli: RunCli) -> None:
    result = await run_cli("decode", "0x686400067161", json_output=True, network=False)
    assert result.status == 0, result.stderr
    assert [(d["direction"], d["type"]) for d in result.json()["decoded"]] == [("client", "DiscoverRequest")]


async def test_malformed_frame_fails(run_cli: RunCli) -> None:
    v = vector("qa unsolicited announcement after boot")
    result = await run_cli("decode", v["hex"][:-4], network=False)  # two bytes short
    assert result.status == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: not a valid S20 frame (40 bytes)")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("text", ["68 64 zz", "686", ""])
async def test_not_hex_is_usage_error(run_cli: RunCli, text: str) -> None:
    result = await run_cli("decode", text, network=False)
    assert result.status == 2
    assert "usage:" in result.stderr
