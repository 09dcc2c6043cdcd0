"""The simulated Wi-Fi module itself, driven datagram by datagram over loopback UDP (PROTOCOL.md §5)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import errno
import socket

import pytest

from custom_components.orvibo_s20.protocol import AT_PORT, SMARTLINK_PORT, Mac
from simulator import Simulator
from simulator.wifi import AP_HOST, DEFAULT_MAC, MODULE_ID, VERSION, WifiFaults, WifiMode, WifiModule, WifiTiming

from .conftest import BROADCAST, WIFI_TIMING, ModuleFactory, wait_for


class Peer:
    """A raw UDP peer on 127.0.0.1 (what the module answers is what arrives here)."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    async def send(self, data: bytes, addr: tuple[str, int]) -> None:
        await asyncio.get_running_loop().sock_sendto(self.sock, data, addr)

    async def receive(self, timeout: float = 0.5) -> tuple[bytes, tuple[str, int]] | None:
        try:
            return await asyncio.wait_for(asyncio.get_running_loop().sock_recvfrom(self.sock, 2048), timeout)
        except TimeoutError:
            return None

    async def ask(self, data: bytes, addr: tuple[str, int], timeout: float = 0.3) -> bytes | None:
        await self.send(data, addr)
        received = await self.receive(timeout)
        return None if received is None else received[0]


@pytest.fixture
async def peer(socket_enabled: None) -> AsyncIterator[Peer]:
    peer = Peer()
    yield peer
    peer.sock.close()


async def command_mode(peer: Peer, module: WifiModule) -> tuple[str, int]:
    addr = (AP_HOST, module.at_port)
    assert await peer.ask(b"HF-A11ASSISTHREAD", addr) is not None
    await peer.send(b"+ok", addr)
    return addr


# --- AP mode --------------------------------------------------------------------------------------


async def test_assist_reply_to_the_senders_port(ap_module: WifiModule, peer: Peer) -> None:
    await peer.send(b"HF-A11ASSISTHREAD", (AP_HOST, ap_module.at_port))
    received = await peer.receive()
    assert received is not None
    data, source = received
    assert data == f"{AP_HOST},{Mac.parse(DEFAULT_MAC).compact},{MODULE_ID}".encode()
    assert source == (AP_HOST, ap_module.at_port)
    assert ap_module.peers == {("127.0.0.1", peer.port)}


async def test_assist_by_broadcast_answered_from_the_module(ap_module: WifiModule, peer: Peer) -> None:
    await peer.send(b"HF-A11ASSISTHREAD", (BROADCAST, ap_module.at_port))
    received = await peer.receive()
    assert received is not None and received[1] == (AP_HOST, ap_module.at_port)


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (b"AT+WSSSID=\r", b"+ERR=-4\r\n\r\n"),  # empty SSID
        ("AT+WSSSID={}\r".format("s" * 33).encode(), b"+ERR=-4\r\n\r\n"),
        (b"AT+WSKEY=WPA2PSK,AES,short\r", b"+ERR=-4\r\n\r\n"),
        (b"AT+WSKEY=WPA2PSK,AES\r", b"+ERR=-4\r\n\r\n"),
        (b"AT+WSKEY=WPA3,AES,12345678\r", b"+ERR=-4\r\n\r\n"),
        (b"AT+WSKEY=OPEN,NONE,key\r", b"+ERR=-4\r\n\r\n"),
        (b"AT+WSKEY=SHARED,WEP-A,\xc3\xa4bcde\r", b"+ERR=-4\r\n\r\n"),
        (b"AT+WSKEY=SHARED,WEP-H,012345678g\r", b"+ERR=-4\r\n\r\n"),
        (("AT+WSKEY=WPA2PSK,AES," + "g" * 64 + "\r").encode(), b"+ERR=-4\r\n\r\n"),
        (b"AT+WMODE=MESH\r", b"+ERR=-4\r\n\r\n"),
        (b"AT+FOO\r", b"+ERR=-2\r\n\r\n"),
        (b"AT+Z=1\r", b"+ERR=-2\r\n\r\n"),
        (b"HELLO\r", b"+ERR=-1\r\n\r\n"),
        (b"AT+WSSSID=Home", b"+ERR=-1\r\n\r\n"),  # no terminator
        (b"AT+WSSSID=Home\n", b"+ok\r\n\r\n"),  # HB's terminator works too
        (b"AT+WSKEY=OPEN,NONE\r", b"+ok\r\n\r\n"),  # no trailing comma (HF manuals)
        (b"AT+WSKEY=SHARED,WEP-H,0123456789\r", b"+ok\r\n\r\n"),
        (b"AT+WMODE=sta\r", b"+ok\r\n\r\n"),
        (b"AT+MID\r", f"+ok={MODULE_ID}\r\n\r\n".encode()),
        (b"AT+LVER\n", f"+ok={VERSION}\r\n\r\n".encode()),
    ],
)
async def test_at_commands(ap_module: WifiModule, peer: Peer, line: bytes, reply: bytes) -> None:
    addr = await command_mode(peer, ap_module)
    assert await peer.ask(line, addr) == reply


async def test_settings_read_back(ap_module: WifiModule, peer: Peer) -> None:
    addr = await command_mode(peer, ap_module)
    assert await peer.ask(b"AT+WSSSID\r", addr) == b"+ok=\r\n\r\n"
    assert await peer.ask(b"AT+WMODE\r", addr) == b"+ok=AP\r\n\r\n"
    assert await peer.ask(b"AT+WSSSID=Home, sweet\r", addr) == b"+ok\r\n\r\n"
    assert await peer.ask(b"AT+WSKEY=WPAPSK,TKIP,a,b,c,d,e\r", addr) == b"+ok\r\n\r\n"  # the key keeps its commas
    assert await peer.ask(b"AT+WMODE=STA\r", addr) == b"+ok\r\n\r\n"
    assert await peer.ask(b"AT+WSSSID\r", addr) == b"+ok=Home, sweet\r\n\r\n"
    assert await peer.ask(b"AT+WSKEY\r", addr) == b"+ok=WPAPSK,TKIP,a,b,c,d,e\r\n\r\n"
    assert await peer.ask(b"AT+WMODE\r", addr) == b"+ok=STA\r\n\r\n"
    assert ap_module.counters.errors == 0


async def test_command_mode_is_required(ap_module: WifiModule, peer: Peer) -> None:
    addr = (AP_HOST, ap_module.at_port)
    assert await peer.ask(b"AT+WSSSID=Home\r", addr, timeout=0.05) is None  # never acked
    await peer.send(b"+ok", addr)  # an ack without the assist reply first
    assert await peer.ask(b"AT+WSSSID=Home\r", addr, timeout=0.05) is None
    addr = await command_mode(peer, ap_module)
    assert await peer.ask(b"AT+WSSSID=Home\r", addr) == b"+ok\r\n\r\n"
    assert await peer.ask(b"HF-A11ASSISTHREAD", addr) is not None  # the assist string leaves command mode
    assert await peer.ask(b"AT+WSSSID=Home\r", addr, timeout=0.05) is None
    assert ap_module.counters.ignored == 4 and ap_module.received == ["AT+WSSSID=Home"]


async def test_other_peers_are_not_in_command_mode(ap_module: WifiModule, peer: Peer) -> None:
    addr = await command_mode(peer, ap_module)
    other = Peer()
    try:
        assert await other.ask(b"AT+WSSSID=Evil\r", addr, timeout=0.05) is None
    finally:
        other.sock.close()
    assert ap_module.ssid is None


async def test_restart_without_station_mode_does_not_join(ap_module: WifiModule, peer: Peer) -> None:
    addr = await command_mode(peer, ap_module)
    assert await peer.ask(b"AT+WSSSID=Home\r", addr) == b"+ok\r\n\r\n"
    assert await peer.ask(b"AT+Z\r", addr, timeout=0.1) is None  # no reply: it reboots
    assert ap_module.mode is WifiMode.OFF and ap_module.joined is None
    assert await peer.ask(b"HF-A11ASSISTHREAD", addr, timeout=0.05) is None  # the AT port is gone


async def test_restart_joins_with_what_it_was_given(ap_module: WifiModule, peer: Peer, simulator: Simulator) -> None:
    addr = await command_mode(peer, ap_module)
    for line in (b"AT+WSSSID=Home\r", b"AT+WSKEY=OPEN,NONE,\r", b"AT+WMODE=STA\r"):
        assert await peer.ask(line, addr) == b"+ok\r\n\r\n"
    await peer.send(b"AT+Z\r", addr)
    await wait_for(lambda: ap_module.mode is not WifiMode.AP)
    assert ap_module.mode is WifiMode.JOINING
    joined = await ap_module.wait_joined()
    assert (ap_module.joined_ssid, ap_module.joined_key, ap_module.joined_security) == ("Home", "", "OPEN,NONE")
    assert joined in simulator and joined.mac == ap_module.mac


async def test_faults(make_module: ModuleFactory, peer: Peer) -> None:
    module = await make_module(faults=WifiFaults(
        drop={"AT+WSSSID": 1}, drop_replies={"AT+WMODE": 1}, errors={"AT+WSKEY": -5}, ignore=frozenset({"AT+MID"}),
    ))
    addr = await command_mode(peer, module)
    assert await peer.ask(b"AT+WSSSID=Home\r", addr, timeout=0.05) is None  # lost on the way
    assert await peer.ask(b"AT+WSSSID=Home\r", addr) == b"+ok\r\n\r\n"  # only the first
    assert await peer.ask(b"AT+WSKEY=WPA2PSK,AES,12345678\r", addr) == b"+ERR=-5\r\n\r\n"
    assert await peer.ask(b"AT+WMODE=STA\r", addr, timeout=0.05) is None  # ran, but its reply was lost
    assert module.wmode == "STA"
    assert await peer.ask(b"AT+MID\r", addr, timeout=0.05) is None
    assert (module.counters.dropped, module.counters.errors, module.counters.ignored) == (2, 1, 1)
    assert module.key is None  # the refused key was not stored


async def test_reply_delay(make_module: ModuleFactory, peer: Peer) -> None:
    module = await make_module(timing=WifiTiming(reply_delay_s=0.1))
    addr = (AP_HOST, module.at_port)
    assert await peer.ask(b"HF-A11ASSISTHREAD", addr, timeout=0.05) is None
    assert await peer.receive(0.3) is not None  # late, not lost


async def test_stopped_module_is_silent(make_module: ModuleFactory, peer: Peer) -> None:
    module = await make_module(timing=WifiTiming(reply_delay_s=0.05))
    addr = (AP_HOST, module.at_port)
    await peer.send(b"HF-A11ASSISTHREAD", addr)
    await asyncio.sleep(0.01)
    await module.stop()  # the scheduled reply is cancelled with it
    assert await peer.receive(0.1) is None


# --- SmartLink mode ------------------------------------------------------------------------------------


def lengths_of(password: bytes) -> list[int]:
    return [76] * 200 + [89] * 3 + [76 + b for b in password] + [86] * 3 + [332 + len(password)] * 3


async def test_sniffer_by_hand(smartlink_module: WifiModule, socket_enabled: None) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((BROADCAST, smartlink_module.smartlink_port))
    listener.setblocking(False)
    sender = Peer()
    try:
        addr = (BROADCAST, smartlink_module.smartlink_port)
        await sender.send(b"not only 0x05", addr)  # not the pattern: ignored
        await sender.send(b"", addr)
        for length in lengths_of("Füße".encode()):
            await sender.send(b"\x05" * length, addr)
        joined = await smartlink_module.wait_joined()
        assert smartlink_module.joined_key == "Füße"
        beacons: list[tuple[bytes, tuple[str, int]]] = []
        loop = asyncio.get_running_loop()
        while len(beacons) < WIFI_TIMING.beacon_bursts * WIFI_TIMING.beacon_pairs * 2:
            data, source = await asyncio.wait_for(loop.sock_recvfrom(listener, 2048), 1.0)
            if source[1] == sender.port:
                continue  # our own datagrams, heard back
            beacons.append((data, source))
    finally:
        listener.close()
        sender.sock.close()
    # From the socket's new IP and its AT port, as the capture shows (socket:48899 → broadcast:49999).
    assert {source for _, source in beacons} == {(joined.ip, smartlink_module.at_port)}
    texts = [data for data, _ in beacons]
    assert texts[0] == f"smart_config {smartlink_module.mac.compact}".encode()
    assert texts[1] == ('{"mid":"LPB100","mac":"04010000ACCF","ip":"%s"}' % joined.ip).encode()
    assert smartlink_module.counters.beacons == len(beacons)
    await wait_for(lambda: smartlink_module._beacon is None)  # noqa: SLF001  # closed after the last burst


async def test_smartlink_module_ignores_at(smartlink_module: WifiModule) -> None:
    assert smartlink_module.peers == set() and smartlink_module.counters.assist == 0


# --- construction --------------------------------------------------------------------------------------


def test_defaults_are_the_real_ports(socket_enabled: None) -> None:
    module = WifiModule(Simulator())
    assert (module.at_port, module.smartlink_port, module.ap_host) == (AT_PORT, SMARTLINK_PORT, AP_HOST)
    assert module.mode is WifiMode.AP and module.broadcast == "127.255.255.255"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": WifiMode.STATION}, "starts in AP or SmartLink mode"),
        ({"ap_host": "10.10.100.254"}, "AP address '10.10.100.254' is outside 127.0.0.0/8"),
        ({"broadcast": "255.255.255.255"}, "broadcast address '255.255.255.255' is outside 127.0.0.0/8"),
        ({"join_ip": "192.168.1.50"}, "join address '192.168.1.50' is outside 127.0.0.0/8"),
    ],
)
def test_refuses_what_is_not_loopback(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WifiModule(Simulator(), **kwargs)  # type: ignore[arg-type]


async def test_join_ip_and_context_manager(simulator: Simulator, at_port: int, smartlink_port: int) -> None:
    async with WifiModule(
        simulator, mode=WifiMode.SMARTLINK, join_ip="127.0.0.42", at_port=at_port, smartlink_port=smartlink_port,
        timing=WIFI_TIMING,
    ) as module:
        sender = Peer()
        try:
            for length in lengths_of(b"12345678"):
                await sender.send(b"\x05" * length, (BROADCAST, smartlink_port))
        finally:
            sender.sock.close()
        joined = await module.wait_joined()
        assert joined.ip == "127.0.0.42"
    assert module.counters.as_dict()["smartlink_packets"] == 200 + 3 + 8 + 3 + 1


async def test_taken_port_fails_to_start(simulator: Simulator, at_port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((AP_HOST, at_port))  # without SO_REUSEADDR
        module = WifiModule(simulator, at_port=at_port)
        with pytest.raises(OSError) as err:
            await module.start()
        assert err.value.errno == errno.EADDRINUSE


async def test_wait_joined_times_out(ap_module: WifiModule) -> None:
    with pytest.raises(TimeoutError):
        await ap_module.wait_joined(0.02)
