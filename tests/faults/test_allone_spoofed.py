"""Forged AllOne frames from a stranger on the LAN: no learned code, no ack, no button press taken."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import socket

import pytest

from custom_components.orvibo_s20.client import AllOneClient, S20Endpoint
from custom_components.orvibo_s20.protocol import (
    ButtonPress,
    EmitAck,
    LearnAck,
    LearnedCode,
    Mac,
    S20TimeoutError,
    encode,
)
from simulator import Simulator
from tests.client.conftest import FAST, wait_for

MAC = Mac.parse("ac:cf:23:00:00:02")
FORGED = b"\x00\x00\x00\x00forged"


def _spoof(sender: socket.socket, simulator: Simulator, *messages: object) -> None:
    for message in messages:
        sender.sendto(encode(message), ("127.0.0.1", simulator.port))  # type: ignore[arg-type]


async def test_forged_code_ack_and_press_are_dropped_and_counted(
    simulator: Simulator, endpoint: S20Endpoint, raw_sender: socket.socket
) -> None:
    """While a learn waits, a forged learned code from another IP is not taken; the real one is."""
    allone = simulator.add_allone(ip="127.0.0.2", mac=MAC)
    client = AllOneClient(endpoint, MAC, "127.0.0.2", timing=FAST)
    presses: list[int] = []
    client.add_button_listener(lambda: presses.append(1))
    learn = asyncio.create_task(client.learn(timeout_s=5.0))
    await wait_for(lambda: client.learning)
    _spoof(raw_sender, simulator, LearnedCode(mac=MAC, code=FORGED), ButtonPress(mac=MAC))
    await wait_for(lambda: endpoint.stats.spoofed == 2)
    assert not learn.done() and presses == []
    assert allone.point_code(b"\x00\x00\x00\x00real")
    assert await learn == b"\x00\x00\x00\x00real"
    await client.stop()


async def test_forged_emit_acks_do_not_confirm(
    simulator: Simulator, endpoint: S20Endpoint, raw_sender: socket.socket
) -> None:
    """The AllOne gone, acks of every id and learning acks forged from elsewhere confirm nothing."""
    allone = simulator.add_allone(ip="127.0.0.2", mac=MAC)
    client = AllOneClient(endpoint, MAC, "127.0.0.2", timing=replace(FAST, deadline_s=0.5))
    await client.subscribe()
    allone.set_online(False)
    send = asyncio.create_task(client.send_ir(b"\x01\x02\x03"))

    async def forge() -> None:
        while not send.done():
            _spoof(raw_sender, simulator, *(EmitAck(mac=MAC, request_id=n) for n in range(1, 200)), LearnAck(mac=MAC))
            await asyncio.sleep(0.02)

    forger = asyncio.create_task(forge())
    with pytest.raises(S20TimeoutError):
        await send
    await forger
    assert allone.emitted == []
    assert endpoint.stats.spoofed >= 200
    await client.stop()
