"""`ir learn`, `ir send`, `rf send` and `discover` with an AllOne, end to end against the simulator."""

from __future__ import annotations

import asyncio
import base64

from custom_components.orvibo_s20.protocol import code_from_text
from simulator import Faults, Simulator

from .conftest import RunCli, wait_for_learning

CODE = bytes.fromhex("00000000a000000000000000000090") + bytes(range(40))
CODE_B64 = base64.b64encode(CODE).decode("ascii")


async def test_ir_learn_prints_the_code_in_base64(simulator: Simulator, run_cli: RunCli) -> None:
    allone = simulator.add_allone(ip="127.0.0.2")
    task = asyncio.create_task(run_cli("ir", "learn", "127.0.0.2", "--timeout", "10"))
    await wait_for_learning(allone, task)
    assert allone.point_code(CODE)
    result = await task
    assert result.status == 0, result.stderr
    assert result.stdout.strip() == CODE_B64
    assert "point the remote" in result.stderr

    task = asyncio.create_task(run_cli("ir", "learn", str(allone.mac), json_output=True))
    await wait_for_learning(allone, task)
    assert allone.point_code(CODE[::-1])
    result = await task
    assert result.status == 0, result.stderr
    assert result.json() == {"mac": str(allone.mac), "code": base64.b64encode(CODE[::-1]).decode("ascii")}


async def test_ir_learn_without_a_code_fails_after_its_timeout(simulator: Simulator, run_cli: RunCli) -> None:
    simulator.add_allone(ip="127.0.0.2")
    result = await run_cli("ir", "learn", "127.0.0.2", "--timeout", "2")
    assert result.status == 1
    assert "learned no code within 2 s" in result.stderr
    assert result.stdout == ""


async def test_ir_send_emits_the_code(simulator: Simulator, run_cli: RunCli) -> None:
    allone = simulator.add_allone(ip="127.0.0.2")
    result = await run_cli("ir", "send", "127.0.0.2", CODE_B64)
    assert result.status == 0, result.stderr
    assert result.stdout.strip() == f"{allone.mac} at 127.0.0.2: sent {len(CODE)}-byte code"
    result = await run_cli("ir", "send", "127.0.0.2", "b64:" + CODE_B64, "--repeat", "2", json_output=True)
    assert result.status == 0, result.stderr
    assert result.json() == {"mac": str(allone.mac), "host": "127.0.0.2", "sent": len(CODE), "repeat": 2}
    assert [e.code for e in allone.emitted] == [CODE] * 3


async def test_learned_code_sent_back_through_loss(simulator: Simulator, run_cli: RunCli) -> None:
    """What `ir learn` printed, given to `ir send` at 20 % loss each way, is what the AllOne emits."""
    allone = simulator.add_allone(ip="127.0.0.2")
    task = asyncio.create_task(run_cli("ir", "learn", "127.0.0.2"))
    await wait_for_learning(allone, task)
    allone.point_code(CODE)
    learned = (await task).stdout.strip()
    assert code_from_text(learned) == CODE
    simulator.set_faults(Faults(loss_to_device=0.2, loss_from_device=0.2))
    for _ in range(5):
        result = await run_cli("ir", "send", "127.0.0.2", learned, timeout=10.0)
        assert result.status == 0, result.stderr
    assert [e.code for e in allone.emitted] == [CODE] * 5


async def test_rf_send_switches_a_t030(simulator: Simulator, run_cli: RunCli) -> None:
    allone = simulator.add_allone(ip="127.0.0.2")
    result = await run_cli("rf", "send", "127.0.0.2", "abcdef", "on")
    assert result.status == 0, result.stderr
    assert result.stdout.strip() == f"{allone.mac} at 127.0.0.2: RF abcdef (key 42) on"
    result = await run_cli("rf", "send", "127.0.0.2", "ab:cd:ef", "off", "--key", "0x1234", json_output=True)
    assert result.json() == {"mac": str(allone.mac), "host": "127.0.0.2", "rf_id": "abcdef", "rf_key": 0x1234,
                             "state": "off"}
    assert [(e.kind, e.code, e.state, e.rf_key) for e in allone.emitted] == [
        ("rf", b"\xab\xcd\xef", True, 42),
        ("rf", b"\xab\xcd\xef", False, 0x1234),
    ]


async def test_allone_commands_refuse_a_socket(simulator: Simulator, run_cli: RunCli) -> None:
    socket = simulator.add_socket(ip="127.0.0.2")
    result = await run_cli("ir", "send", "127.0.0.2", CODE_B64)
    assert result.status == 1
    assert f"{socket.mac} at 127.0.0.2 is a SOC005, not an AllOne" in result.stderr


async def test_bad_codes_and_values_are_usage_errors(simulator: Simulator, run_cli: RunCli) -> None:
    allone = simulator.add_allone(ip="127.0.0.2")
    for argv in (
        ("ir", "send", "127.0.0.2", "not base64!"),
        ("ir", "send", "127.0.0.2", ""),
        ("ir", "send", "127.0.0.2", CODE_B64, "--repeat", "0"),
        ("rf", "send", "127.0.0.2", "xyz", "on"),
        ("rf", "send", "127.0.0.2", "abcdef", "on", "--key", "70000"),
        ("rf", "send", "127.0.0.2", "abcdef", "dim"),
        ("ir", "learn", "127.0.0.2", "--timeout", "0"),
    ):
        result = await run_cli(*argv)
        assert result.status == 2, argv
    result = await run_cli("ir", "send", "127.0.0.2", CODE_B64, "--repeat", "21")
    assert result.status == 2 and "repeat must be 1–20" in result.stderr
    assert allone.emitted == []


async def test_discover_lists_allones_with_their_kind(simulator: Simulator, run_cli: RunCli) -> None:
    socket = simulator.add_socket(ip="127.0.0.2", state=True)
    allone = simulator.add_allone(ip="127.0.0.3")
    result = await run_cli("discover", "--expect", "2")
    assert result.status == 0
    assert result.lines[1].split() == ["127.0.0.2", str(socket.mac), "socket", "SOC005", "on"]
    assert result.lines[2].split() == ["127.0.0.3", str(allone.mac), "allone", "IRD013", "-"]
    result = await run_cli("discover", "--expect", "2", "--names", json_output=True)
    assert [(d["host"], d["kind"], d["state"], d["name"]) for d in result.json()] == [
        ("127.0.0.2", "socket", "on", None),
        ("127.0.0.3", "allone", None, None),
    ]
