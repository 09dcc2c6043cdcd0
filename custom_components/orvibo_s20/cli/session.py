"""The CLI's network side: one endpoint from the global options, a target resolved to a client."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
import logging

from ..client import (
    AllOneClient,
    ClientTiming,
    DiscoveredSocket,
    EndpointConfig,
    RelayedEndpoint,
    S20Client,
    S20Endpoint,
    probe_host,
    probe_mac,
)
from ..client.endpoint import DEFAULT_BIND_HOST
from ..protocol import DeviceFamily, EndpointError, S20ConnectionError
from .values import Target

_LOGGER = logging.getLogger(__name__)


class TargetNotFoundError(S20ConnectionError):
    """No socket answered the probe for the target."""


class WrongDeviceError(S20ConnectionError):
    """The target answered, but it is another kind of device than the command needs."""


def endpoint_config(args: argparse.Namespace) -> EndpointConfig:
    """Build the endpoint from `--bind`, `--port`, `--remote-port`, `--broadcast`, `--broadcast-listen`."""
    return EndpointConfig(
        bind_host=args.bind,
        port=args.port,
        remote_port=args.remote_port,
        broadcast_addresses=tuple(args.broadcast or ("255.255.255.255",)),
        broadcast_listen_host=args.broadcast_listen,
        # A unicast bind shares the port with a simulator on the wildcard (the loopback LAN);
        # on the wildcard itself a second program on the port must be reported, not shared.
        reuse_address=args.bind != DEFAULT_BIND_HOST,
    )


def client_timing(args: argparse.Namespace) -> ClientTiming:
    """The client's timing with `--timeout` as the per-request deadline."""
    return ClientTiming(deadline_s=args.timeout)


@contextlib.asynccontextmanager
async def open_endpoint(args: argparse.Namespace) -> AsyncIterator[S20Endpoint]:
    """Open the endpoint for the command's duration (EndpointError names a taken port).

    When another program owns the port (Home Assistant running the integration), go through its
    relay on loopback instead; with no relay there, the taken port is the error.
    """
    config = endpoint_config(args)
    endpoint: S20Endpoint = S20Endpoint(config)
    try:
        await endpoint.open()
    except EndpointError as err:
        if not err.in_use:
            raise
        endpoint = RelayedEndpoint(config, relay_port=args.relay_port)
        try:
            await endpoint.open()
        except EndpointError as relay_err:
            _LOGGER.debug("%s", relay_err)
            raise err from None
        _LOGGER.debug("UDP port %d is taken: through the relay on 127.0.0.1:%d", config.port, args.relay_port)
    try:
        yield endpoint
    finally:
        endpoint.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A socket found on the LAN, and the client that controls it."""

    endpoint: S20Endpoint
    found: DiscoveredSocket
    client: S20Client

    @property
    def label(self) -> str:
        """`ac:cf:23:35:e6:aa at 192.168.1.42`."""
        return f"{self.found.mac} at {self.found.host}"


async def resolve(endpoint: S20Endpoint, target: Target, timeout_s: float) -> DiscoveredSocket:
    """Probe the target: a unicast `qa` to an IP, a `qg` broadcast for a MAC."""
    if target.mac is not None:
        found = await probe_mac(endpoint, target.mac, timeout_s=timeout_s)
        if found is None:
            raise TargetNotFoundError(
                f"no S20 with MAC {target.mac} answered within {timeout_s:g} s (is it powered and on this network?)"
            )
        return found
    assert target.host is not None  # a Target holds one or the other
    found = await probe_host(endpoint, target.host, timeout_s=timeout_s)
    if found is None:
        raise TargetNotFoundError(
            f"no S20 answered at {target.host} within {timeout_s:g} s (a locked socket only answers by MAC)"
        )
    return found


async def attach(endpoint: S20Endpoint, found: DiscoveredSocket, timing: ClientTiming) -> S20Client:
    """Make a client for a socket that just answered a probe."""
    client = S20Client(endpoint, found.mac, found.host, timing=timing)
    # The probe set off the socket's 10× reply burst, during which it drops every request
    # (PROTOCOL.md §3.1): let it pass instead of losing the first request to it.
    await asyncio.sleep(timing.burst_guard_s)
    return client


@dataclass(frozen=True, slots=True, kw_only=True)
class AllOneSession:
    """An AllOne found on the LAN, and the client that controls it."""

    endpoint: S20Endpoint
    found: DiscoveredSocket
    client: AllOneClient

    @property
    def label(self) -> str:
        """`ac:cf:23:72:e1:50 at 192.168.1.43`."""
        return f"{self.found.mac} at {self.found.host}"


@contextlib.asynccontextmanager
async def connect_allone(args: argparse.Namespace) -> AsyncIterator[AllOneSession]:
    """Open the endpoint, find the AllOne `args.target` and yield a client for it; all closed afterwards."""
    timing = client_timing(args)
    async with open_endpoint(args) as endpoint:
        found = await resolve(endpoint, args.target, args.timeout)
        if found.family is not DeviceFamily.ALLONE:
            raise WrongDeviceError(f"{found.mac} at {found.host} is a {found.product_id}, not an AllOne (IRD…)")
        client = AllOneClient(endpoint, found.mac, found.host, timing=timing)
        await asyncio.sleep(timing.burst_guard_s)  # the probe's reply burst, as in attach()
        try:
            yield AllOneSession(endpoint=endpoint, found=found, client=client)
        finally:
            await client.stop()


@contextlib.asynccontextmanager
async def connect(args: argparse.Namespace) -> AsyncIterator[Session]:
    """Open the endpoint, find `args.target` and yield a client for it; all closed afterwards."""
    timing = client_timing(args)
    async with open_endpoint(args) as endpoint:
        found = await resolve(endpoint, args.target, args.timeout)
        client = await attach(endpoint, found, timing)
        try:
            yield Session(endpoint=endpoint, found=found, client=client)
        finally:
            await client.stop()
