"""A network broadcasts cannot leave: a repair issue says so, and a scan says why it is empty.

The tests run in a network namespace with loopback only, so the adapters Home Assistant reports
(phacc's: eth0 10.10.10.10/24) and the container marker files are given to the check: the
detection itself (`network_problem`) and the issue and the config flow's answer are real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from custom_components.orvibo_s20 import network_check
from custom_components.orvibo_s20.const import DOMAIN, ISSUE_NO_LAN
from custom_components.orvibo_s20.network_check import NetworkProblem, NetworkView, network_problem
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from simulator import Simulator

from .conftest import BROADCAST


def view(*addresses: str, container: bool) -> NetworkView:
    return NetworkView(tuple(IPv4Interface(a) for a in addresses), container)


@pytest.mark.parametrize(
    ("addresses", "container", "problem"),
    [
        # Docker's default bridge, a Compose network, Podman's default network.
        (("172.17.0.2/16",), True, NetworkProblem.CONTAINER),
        (("172.18.0.5/16",), True, NetworkProblem.CONTAINER),
        (("10.88.0.4/16",), True, NetworkProblem.CONTAINER),
        # Host networking in a container: the host's LAN is there.
        (("172.17.0.1/16", "192.168.1.20/24"), True, None),
        (("192.168.1.20/24",), True, None),
        # Not a container: a LAN that happens to use 172.17.x is a LAN.
        (("172.17.0.2/16",), False, None),
        (("10.10.10.10/24",), False, None),
        # Nothing to broadcast on: no address, loopback or link-local only, point-to-point.
        ((), False, NetworkProblem.NO_BROADCAST),
        ((), True, NetworkProblem.NO_BROADCAST),
        (("127.0.0.1/8", "169.254.3.4/16"), False, NetworkProblem.NO_BROADCAST),
        (("10.8.0.6/32", "10.9.0.2/31"), False, NetworkProblem.NO_BROADCAST),
    ],
)
def test_network_problem(addresses: tuple[str, ...], container: bool, problem: NetworkProblem | None) -> None:
    assert network_problem(view(*addresses, container=container)) is problem


def test_configured_broadcast_addresses_are_trusted_but_not_across_a_bridge() -> None:
    """`broadcast_addresses` in YAML: there are some (a VPN with a routed LAN, the loopback LAN of
    the tests and demo); a container's bridge still keeps broadcasts in."""
    assert network_problem(view("10.8.0.6/32", container=False), broadcast_configured=True) is None
    assert network_problem(view(container=True), broadcast_configured=True) is None
    bridged = view("172.17.0.2/16", container=True)
    assert network_problem(bridged, broadcast_configured=True) is NetworkProblem.CONTAINER


def adapter(address: str, prefix: int, *, enabled: bool = True) -> dict[str, Any]:
    return {
        "name": "eth0", "index": 1, "enabled": enabled, "auto": True, "default": True,
        "ipv4": [{"address": address, "network_prefix": prefix}], "ipv6": [],
    }


@pytest.fixture
def in_container() -> Iterator[None]:
    """Home Assistant in a container (what the marker files said on import)."""
    with patch.object(network_check, "IN_CONTAINER", True):
        yield


@pytest.fixture(autouse=True)
def not_in_container() -> Iterator[None]:
    """The sandbox these tests run in may itself be a container: say it is not, unless told."""
    with patch.object(network_check, "IN_CONTAINER", False):
        yield


def test_container_markers(tmp_path: Path) -> None:
    """Docker's /.dockerenv or Podman's /run/.containerenv: either says so."""
    docker, podman = tmp_path / ".dockerenv", tmp_path / ".containerenv"
    assert not network_check.running_in_container((docker, podman))
    podman.touch()
    assert network_check.running_in_container((docker, podman))


def adapters(*given: dict[str, Any]) -> AbstractContextManager[object]:
    """Home Assistant's network integration reporting these adapters."""
    return patch.object(network_check, "async_get_adapters", return_value=list(given))


async def setup(hass: HomeAssistant, network_config: dict[str, Any]) -> None:
    assert await async_setup_component(hass, DOMAIN, network_config)
    await hass.async_block_till_done()


async def test_container_bridge_raises_the_issue_and_a_scan_says_why(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, object], in_container: None,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Docker's default bridge: the issue names the addresses; an empty scan points to it."""
    with adapters(adapter("172.17.0.2", 16)):
        await setup(hass, network_config)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_NO_LAN)
    assert issue is not None
    assert issue.translation_key == "container_network"
    assert issue.translation_placeholders == {"addresses": "172.17.0.2/16"}
    assert issue.severity is ir.IssueSeverity.WARNING

    # The scan (on the loopback LAN, with no socket on it) is not just "no devices found".
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "connect"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "no_lan"}


async def test_container_with_sockets_found_scans_as_usual(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, object], in_container: None
) -> None:
    """The issue does not stand in the way: a socket that answers is offered (e.g. a macvlan)."""
    simulator.add_socket(name="Desk lamp")
    with adapters(adapter("172.17.0.2", 16)):
        await setup(hass, network_config)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"next_step_id": "connect"})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pick_device"


async def test_no_broadcast_address_raises_the_issue(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Only a point-to-point address (a VPN), and a disabled LAN adapter: nothing to broadcast on.

    No `broadcast_addresses` in the YAML block here, so the integration asks Home Assistant for
    them: that answer is the loopback LAN's (phacc's would be 10.10.10.255 and 255.255.255.255,
    where nothing may be sent).
    """
    config = {DOMAIN: {k: v for k, v in network_config[DOMAIN].items() if k != "broadcast_addresses"}}
    loopback = patch("custom_components.orvibo_s20.integration.async_broadcast_addresses", return_value=(BROADCAST,))
    with loopback, adapters(adapter("10.8.0.6", 32), adapter("192.168.1.20", 24, enabled=False)):
        await setup(hass, config)
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_NO_LAN)
    assert issue is not None
    assert issue.translation_key == "no_broadcast"
    assert issue.translation_placeholders == {"addresses": "10.8.0.6/32"}


async def test_configured_broadcast_addresses_raise_nothing(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, Any],
    issue_registry: ir.IssueRegistry,
) -> None:
    """The loopback LAN of the tests and the demo: only lo, but broadcasts are configured."""
    with adapters(adapter("127.0.0.1", 8)):
        await setup(hass, network_config)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_NO_LAN) is None


@pytest.mark.parametrize("container", [False, True])
async def test_normal_network_raises_nothing(
    hass: HomeAssistant, simulator: Simulator, network_config: dict[str, object],
    issue_registry: ir.IssueRegistry, container: bool,
) -> None:
    """Home Assistant's own adapters (phacc's eth0 on 10.10.10.0/24), in a container (host
    networking: it sees the host's LAN) or not."""
    with patch.object(network_check, "IN_CONTAINER", container):
        await setup(hass, network_config)
        assert await network_check.async_network_view(hass) == view("10.10.10.10/24", container=container)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_NO_LAN) is None
