"""Every command through the relay while another program owns the port (Home Assistant, say).

The owner binds 127.0.0.1:<its port> without SO_REUSEADDR, as the integration does on a real
host, so the CLI's own bind fails with the port in use; the simulated sockets answer to that
port (`reply_port`), as real ones answer to 10000. The owner runs a relay on a free loopback
port and controls one socket itself, with its keepalive running; the CLI, given `--relay-port`,
finds the port taken and goes through the relay by itself. Output and exit codes are the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
import json

import pytest

from custom_components.orvibo_s20.cli import async_main
from custom_components.orvibo_s20.client import EndpointConfig, RelayConfig, S20Client, S20Endpoint, S20Relay
from simulator import Simulator, VirtualSocket

from .conftest import SIM_TIMING, CliResult
from tests.client.conftest import FAST
from tests.loopback import BROADCAST, wait_for


@pytest.fixture(name="simulator")
async def simulator_fixture(socket_enabled: None) -> AsyncIterator[Simulator]:
    sim = Simulator(
        port=Simulator.free_port(), reply_port=Simulator.free_port(), seed=1, timing=SIM_TIMING,
        precise_timers=False,
    )
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def owner(simulator: Simulator) -> AsyncIterator[S20Endpoint]:
    """The program that owns the port (no SO_REUSEADDR: nobody else may bind it)."""
    endpoint = S20Endpoint(EndpointConfig(
        bind_host="127.0.0.1", port=simulator.reply_port, remote_port=simulator.port,
        broadcast_addresses=(BROADCAST,), broadcast_listen_host=BROADCAST, reuse_address=False,
    ))
    await endpoint.open()
    yield endpoint
    endpoint.close()


@pytest.fixture
async def relay(owner: S20Endpoint) -> AsyncIterator[S20Relay]:
    relay = S20Relay(owner, RelayConfig(port=Simulator.free_port()))
    await relay.open()
    yield relay
    relay.close()


@pytest.fixture
def owned(simulator: Simulator) -> VirtualSocket:
    return simulator.add_socket(ip="127.0.0.2", name="Desk")


@pytest.fixture
async def owner_client(owner: S20Endpoint, owned: VirtualSocket) -> AsyncIterator[S20Client]:
    """The owner's client of the socket at 127.0.0.2, keeping its subscription alive."""
    client = S20Client(owner, owned.mac, owned.ip, timing=replace(FAST, keepalive_s=1.0))
    await client.subscribe()
    client.start()
    yield client
    await client.stop()


async def cli(simulator: Simulator, relay_port: int, capsys: pytest.CaptureFixture[str], *argv: str) -> CliResult:
    capsys.readouterr()
    status = await async_main([
        "--bind", "127.0.0.1", "--port", str(simulator.reply_port), "--remote-port", str(simulator.port),
        "--broadcast", BROADCAST, "--broadcast-listen", BROADCAST, "--relay-port", str(relay_port),
        "--timeout", "2", *argv,
    ])
    captured = capsys.readouterr()
    return CliResult(status, captured.out, captured.err)


async def test_every_command_through_the_relay(
    simulator: Simulator, relay: S20Relay, owned: VirtualSocket, owner_client: S20Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = simulator.add_socket(ip="127.0.0.3", state=True)
    port = relay.config.port

    async def run(*argv: str) -> CliResult:
        return await cli(simulator, port, capsys, *argv)

    result = await run("--json", "discover", "--expect", "2", "--names")
    assert result.status == 0, result.stderr
    assert [(s["host"], s["mac"], s["state"], s["name"]) for s in result.json()] == [
        ("127.0.0.2", str(owned.mac), "off", "Desk"), ("127.0.0.3", str(other.mac), "on", None),
    ]
    result = await run("--json", "info", "127.0.0.2")
    assert result.status == 0, result.stderr
    assert (result.json()["name"], result.json()["state"]) == ("Desk", "off")

    for argv, state in [(("on", "127.0.0.2"), True), (("toggle", str(owned.mac)), False), (("on", "127.0.0.2"), True),
                        (("off", "127.0.0.3"), False)]:
        result = await run("--json", *argv)
        assert result.status == 0, result.stderr
        target = owned if argv[1] != "127.0.0.3" else other
        assert result.json() == {"mac": str(target.mac), "host": target.ip, "state": "on" if state else "off"}
        assert target.state is state
    await wait_for(lambda: owner_client.state is True)
    assert owner_client.change_relayed and not owner_client.change_requested

    assert (await run("rename", "127.0.0.2", "Lamp")).status == 0
    assert owned.socket_data.name == "Lamp"
    assert (await run("countdown", "127.0.0.2", "15m", "--action", "off")).status == 0
    assert owned.countdown is not None
    result = await run("--json", "countdown", "127.0.0.2")
    assert result.status == 0 and result.json()["countdown"]["action"] == "off"
    assert (await run("countdown", "127.0.0.2", "--cancel")).status == 0
    assert owned.countdown is None
    assert (await run("auto-off", "127.0.0.2", "1h")).status == 0
    assert owned.socket_data.auto_off_enabled and owned.socket_data.auto_off_seconds == 3600
    result = await run("timers", "127.0.0.2", "add", "--at", "07:30", "--days", "weekdays", "--action", "on")
    assert result.status == 0, result.stderr
    result = await run("--json", "timers", "127.0.0.2")
    assert result.status == 0 and len(result.json()["timers"]) == 1
    assert (await run("timers", "127.0.0.2", "remove", str(result.json()["timers"][0]["id"]))).status == 0
    assert owned.timers == {}
    result = await run("clock", "127.0.0.2", "--sync")
    assert result.status == 0, result.stderr
    # Bad usage is refused before anything is sent; a silent socket fails as ever.
    assert (await run("rename", "127.0.0.2", "x" * 17)).status == 2
    simulator.set_online(other.mac, False)
    result = await run("on", "127.0.0.3")
    assert result.status == 1 and result.stderr.startswith("error: no S20 answered at 127.0.0.3")
    assert relay.stats.queued > 0 and relay.stats.malformed == relay.stats.rate_limited == 0
    assert owner_client.stats.timeouts == 0  # the owner lost nothing meanwhile


async def test_watch_through_the_relay_sees_every_change(
    simulator: Simulator, relay: S20Relay, owned: VirtualSocket, owner_client: S20Client,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A press, another CLI's `on` through the relay and the owner's own `off`: all three seen."""
    watching = cli(simulator, relay.config.port, capsys, "--json", "watch", "127.0.0.2", "--count", "3")
    watch = asyncio.create_task(watching)
    await wait_for(lambda: relay.stats.to_clients > 0 and relay.active_clients == 1)
    await asyncio.sleep(0.5)  # its subscription is answered and printed
    owned.press_button()
    await wait_for(lambda: owner_client.state is True)
    owned.press_button()
    await wait_for(lambda: owner_client.state is False)
    status = await async_main([
        "--bind", "127.0.0.1", "--port", str(simulator.reply_port), "--remote-port", str(simulator.port),
        "--broadcast", BROADCAST, "--relay-port", str(relay.config.port), "--timeout", "2", "on", "127.0.0.2",
    ])
    assert status == 0
    result = await watch
    assert result.status == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(e["event"], e["state"]) for e in events] == [
        ("initial", "off"), ("change", "on"), ("change", "off"), ("change", "on"),
    ]


async def test_port_in_use_and_no_relay_is_the_same_error(
    simulator: Simulator, owner: S20Endpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    simulator.add_socket(ip="127.0.0.2")
    result = await cli(simulator, Simulator.free_port(), capsys, "discover")
    assert result.status == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: UDP port {simulator.reply_port} on 127.0.0.1 is already in use by another program "
        "(another S20 controller?); stop it or choose another port"
    ]
