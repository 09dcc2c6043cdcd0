"""Whether this Home Assistant can reach the sockets' LAN by broadcast at all.

Scans, discovery and SmartLink are broadcasts. Two set-ups make them fail without a word (an
empty scan): Home Assistant in a container on a bridged network, where every address it has is
the container engine's and the LAN is behind NAT, and a host where no network interface Home
Assistant uses has an IPv4 broadcast address. Each raises a repair issue that says what to do.

What is looked at (`NetworkView`) is read from Home Assistant's `network` integration (the
adapters the user enabled) and the container engines' marker files, looked at once on import;
`network_problem` decides
from it alone, so tests give it any network.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

from homeassistant.components.network import async_get_adapters
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_CONTAINER_NETWORK, ISSUE_NO_BROADCAST, ISSUE_NO_LAN

# Files Docker and Podman put at a container's root.
CONTAINER_MARKERS: tuple[Path, ...] = (Path("/.dockerenv"), Path("/run/.containerenv"))
# Where container engines put bridged containers by default: Docker's default bridge and the
# networks Compose creates (172.17-31.x), Podman's default network.
CONTAINER_NETWORKS: tuple[IPv4Network, ...] = (
    *(IPv4Network(f"172.{second}.0.0/16") for second in range(17, 32)),
    IPv4Network("10.88.0.0/16"),
)


class NetworkProblem(StrEnum):
    """Why broadcasts cannot reach the LAN (the repair issue's translation key)."""

    CONTAINER = ISSUE_CONTAINER_NETWORK
    NO_BROADCAST = ISSUE_NO_BROADCAST


@dataclass(frozen=True, slots=True)
class NetworkView:
    """The IPv4 addresses of the adapters Home Assistant uses, and whether it runs in a container."""

    addresses: tuple[IPv4Interface, ...]
    in_container: bool


def network_problem(view: NetworkView, *, broadcast_configured: bool = False) -> NetworkProblem | None:
    """Why broadcasts from here cannot reach a LAN, or None when they can.

    `broadcast_configured`: the YAML block names the broadcast addresses, so there are some
    (a container's bridge stays a problem: broadcasts do not cross its NAT).
    """
    usable = [a for a in view.addresses if not a.ip.is_loopback and not a.ip.is_link_local]
    if view.in_container and usable and all(
        any(a.ip in network for network in CONTAINER_NETWORKS) for a in usable
    ):
        return NetworkProblem.CONTAINER
    # A /31 or /32 has no broadcast address.
    if not broadcast_configured and not any(a.network.prefixlen < 31 for a in usable):
        return NetworkProblem.NO_BROADCAST
    return None


def running_in_container(markers: tuple[Path, ...] = CONTAINER_MARKERS) -> bool:
    """Whether a container engine's marker file is there."""
    return any(path.exists() for path in markers)


# Looked at once, on import (which Home Assistant does off the event loop); read at call time,
# so tests can say otherwise.
IN_CONTAINER = running_in_container()


async def async_network_view(hass: HomeAssistant) -> NetworkView:
    """The adapters Home Assistant uses, and whether it runs in a container."""
    adapters = await async_get_adapters(hass)
    addresses = tuple(
        IPv4Interface(f"{ipv4['address']}/{ipv4['network_prefix']}")
        for adapter in adapters
        if adapter["enabled"]
        for ipv4 in adapter["ipv4"]
    )
    return NetworkView(addresses, IN_CONTAINER)


@callback
def async_report(hass: HomeAssistant, view: NetworkView, *, broadcast_configured: bool) -> NetworkProblem | None:
    """Raise the repair issue for the network's problem (or delete it); return the problem."""
    problem = network_problem(view, broadcast_configured=broadcast_configured)
    if problem is None:
        ir.async_delete_issue(hass, DOMAIN, ISSUE_NO_LAN)
        return None
    ir.async_create_issue(
        hass,
        DOMAIN,
        ISSUE_NO_LAN,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_CONTAINER_NETWORK if problem is NetworkProblem.CONTAINER else ISSUE_NO_BROADCAST,
        translation_placeholders={"addresses": ", ".join(str(a) for a in view.addresses) or "-"},
    )
    return problem
