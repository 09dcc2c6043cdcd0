"""Credentials, AT commands and replies of AP-mode pairing (PROTOCOL.md §5.2), no I/O."""

from __future__ import annotations

import pytest

from custom_components.orvibo_s20.pairing import (
    Auth,
    Encryption,
    InvalidCredentialsError,
    ModuleRefusedError,
    WifiCredentials,
    parse_security,
)
from custom_components.orvibo_s20.pairing.at import (
    REDACTED,
    command_name,
    parse_assist_reply,
    parse_reply,
    redact,
    restart_command,
    set_key_command,
    set_ssid_command,
    set_station_mode_command,
)
from custom_components.orvibo_s20.protocol import Mac, PairingError, S20Error

WPA2 = (Auth.WPA2PSK, Encryption.AES)


def creds(ssid: str = "Home", key: str = "correct horse", security: tuple[Auth, Encryption] = WPA2) -> WifiCredentials:
    return WifiCredentials(ssid=ssid, key=key, auth=security[0], encryption=security[1])


# --- what is accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ssid", "key", "security"),
    [
        ("Home", "12345678", WPA2),  # shortest passphrase
        ("Home", "x" * 63, WPA2),  # longest passphrase
        ("Home", "0123456789abcdefABCDEF0123456789abcdef0123456789abcdef0123456789", WPA2),  # raw PSK
        ("Home", "pässwörd", (Auth.WPAPSK, Encryption.TKIP)),  # UTF-8 passphrase
        ("Home", "a, b, c!", (Auth.WPAPSK, Encryption.AES)),  # commas: the key is the last field
        ("Home", "", (Auth.OPEN, Encryption.NONE)),
        ("Home", "abcde", (Auth.OPEN, Encryption.WEP_ASCII)),
        ("Home", "abcdefghijklm", (Auth.SHARED, Encryption.WEP_ASCII)),
        ("Home", "0123456789", (Auth.SHARED, Encryption.WEP_HEX)),
        ("Home", "0123456789ABCDEF0123456789", (Auth.OPEN, Encryption.WEP_HEX)),
        ("x" * 32, "12345678", WPA2),  # 32 bytes
        ("Café, 2nd floor " + "é" * 7, "12345678", WPA2),  # 16 + 14 = 30 bytes of UTF-8
    ],
)
def test_valid_credentials(ssid: str, key: str, security: tuple[Auth, Encryption]) -> None:
    credentials = creds(ssid, key, security)
    assert credentials.security == f"{security[0]},{security[1]}"
    assert set_key_command(credentials) == f"AT+WSKEY={security[0]},{security[1]},{key}\r".encode()
    assert set_ssid_command(ssid) == f"AT+WSSSID={ssid}\r".encode()


def test_open_network_constructor() -> None:
    credentials = WifiCredentials.open_network("Guest")
    assert (credentials.auth, credentials.encryption, credentials.key) == (Auth.OPEN, Encryption.NONE, "")
    assert set_key_command(credentials) == b"AT+WSKEY=OPEN,NONE,\r"  # AV's open-network line


def test_plain_strings_become_enums() -> None:
    credentials = WifiCredentials(ssid="Home", key="12345678", auth="wpapsk", encryption="tkip")  # type: ignore[arg-type]
    assert credentials.auth is Auth.WPAPSK and credentials.encryption is Encryption.TKIP
    assert set_key_command(credentials) == b"AT+WSKEY=WPAPSK,TKIP,12345678\r"
    with pytest.raises(InvalidCredentialsError, match="unknown auth") as err:
        WifiCredentials(ssid="Home", key="12345678", auth="WPA3SAE")  # type: ignore[arg-type]
    assert err.value.field == "security"


def test_fixed_commands() -> None:
    assert set_station_mode_command() == b"AT+WMODE=STA\r"
    assert restart_command() == b"AT+Z\r"


# --- what is refused, before anything is sent ----------------------------------------------------


@pytest.mark.parametrize(
    ("ssid", "field", "message"),
    [
        ("", "ssid", "empty"),
        ("x" * 33, "ssid", "33 bytes"),
        ("é" * 17, "ssid", "34 bytes"),  # 17 characters, but 34 bytes
        ("Home\r", "ssid", "control characters"),  # would end the AT line early
        ("Ho\nme", "ssid", "control characters"),
        ("bad \udc80 text", "ssid", "not valid text"),  # a lone surrogate
    ],
)
def test_invalid_ssid(ssid: str, field: str, message: str) -> None:
    with pytest.raises(InvalidCredentialsError, match=message) as err:
        creds(ssid=ssid)
    assert err.value.field == field
    with pytest.raises(InvalidCredentialsError):
        set_ssid_command(ssid)


@pytest.mark.parametrize(
    ("key", "security", "field", "message"),
    [
        ("1234567", WPA2, "key", "8–63"),  # too short
        ("", WPA2, "key", "8–63"),
        ("x" * 65, WPA2, "key", "8–63"),
        ("é" * 32, WPA2, "key", "hexadecimal"),  # 64 bytes, not hex
        ("g" * 64, WPA2, "key", "hexadecimal"),
        ("é" * 33, WPA2, "key", "not 66"),  # 33 characters, 66 bytes
        ("12345678\r", WPA2, "key", "control characters"),
        ("1234\n5678", WPA2, "key", "control characters"),
        ("1234\x7f5678", WPA2, "key", "control characters"),
        ("1234\udc805678", WPA2, "key", "not valid text"),
        ("secret", (Auth.OPEN, Encryption.NONE), "key", "takes no key"),
        ("abcd", (Auth.OPEN, Encryption.WEP_ASCII), "key", "5 or 13"),
        ("abcdefghijkl", (Auth.OPEN, Encryption.WEP_ASCII), "key", "5 or 13"),
        ("äbcde", (Auth.SHARED, Encryption.WEP_ASCII), "key", "5 or 13"),  # ASCII only
        ("012345678", (Auth.SHARED, Encryption.WEP_HEX), "key", "10 or 26"),
        ("012345678g", (Auth.SHARED, Encryption.WEP_HEX), "key", "10 or 26"),
        ("0123456789" * 3, (Auth.SHARED, Encryption.WEP_HEX), "key", "10 or 26"),
        ("12345678", (Auth.OPEN, Encryption.AES), "security", "not a valid combination"),
        ("abcde", (Auth.WPA2PSK, Encryption.WEP_ASCII), "security", "not a valid combination"),
        ("", (Auth.SHARED, Encryption.NONE), "security", "not a valid combination"),
    ],
)
def test_invalid_key(key: str, security: tuple[Auth, Encryption], field: str, message: str) -> None:
    with pytest.raises(InvalidCredentialsError, match=message) as err:
        creds(key=key, security=security)
    assert err.value.field == field
    assert isinstance(err.value, PairingError) and isinstance(err.value, S20Error)
    assert isinstance(err.value, ValueError)
    if len(key) >= 4:
        assert key not in str(err.value) and key not in repr(err.value)


def test_key_not_in_repr() -> None:
    credentials = creds(key="hunter2hunter2")
    assert "hunter2" not in repr(credentials)
    assert "Home" in repr(credentials)


# --- --security ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WPA2PSK,AES", (Auth.WPA2PSK, Encryption.AES)),
        (" wpapsk , tkip ", (Auth.WPAPSK, Encryption.TKIP)),
        ("OPEN", (Auth.OPEN, Encryption.NONE)),
        ("open,none", (Auth.OPEN, Encryption.NONE)),
        ("SHARED,WEP-H", (Auth.SHARED, Encryption.WEP_HEX)),
        ("OPEN,WEP-A", (Auth.OPEN, Encryption.WEP_ASCII)),
    ],
)
def test_parse_security(text: str, expected: tuple[Auth, Encryption]) -> None:
    assert parse_security(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WPA3", "unknown security"),
        ("WPA2PSK", "unknown security"),
        ("WPA2PSK,CCMP", "unknown security"),
        ("", "unknown security"),
        ("WPA2PSK,AES,hunter2hunter2", "unknown security"),  # a key typed into --security
        ("WPA2PSK,NONE", "not a valid combination"),
    ],
)
def test_parse_security_refuses(text: str, message: str) -> None:
    with pytest.raises(InvalidCredentialsError, match=message) as err:
        parse_security(text)
    assert err.value.field == "security"
    assert "hunter2" not in str(err.value)
    assert "WPA2PSK,AES" in str(err.value) or "combination" in str(err.value)  # says what would do


# --- replies ----------------------------------------------------------------------------------


def test_parse_assist_reply() -> None:
    info = parse_assist_reply(b"10.10.100.254,ACCF2335E6AA,HF-LPB100")
    assert info is not None
    assert (info.host, info.mac, info.module) == ("10.10.100.254", Mac.parse("accf2335e6aa"), "HF-LPB100")
    # The forum post's spacing (§5.2) and a trailing line end.
    info = parse_assist_reply(b"192.168.9.13, ACCF23360902, HF-LPB100\r\n")
    assert info is not None and info.host == "192.168.9.13" and info.mac == Mac.parse("ACCF23360902")


@pytest.mark.parametrize(
    "datagram",
    [b"+ok", b"+ok\r\n\r\n", b"10.10.100.254,ACCF2335E6AA", b"10.10.100.254,NOTAMAC,HF-LPB100",
     b",ACCF2335E6AA,HF-LPB100", b"10.10.100.254,ACCF2335E6AA,", b"\xff\xfe,ACCF2335E6AA,HF", b"a,b,c,d"],
)
def test_parse_assist_reply_refuses(datagram: bytes) -> None:
    assert parse_assist_reply(datagram) is None


@pytest.mark.parametrize(
    ("datagram", "ok", "value", "code"),
    [
        (b"+ok", True, None, None),
        (b"+ok\n\n", True, None, None),  # GD-P's line ends
        (b"+ok\r\n\r\n", True, None, None),  # the HF manuals'
        (b"+ok=HF-LPB100\r\n\r\n", True, "HF-LPB100", None),
        (b"+ok=\r\n\r\n", True, "", None),
        (b"+ERR=-4\r\n\r\n", False, None, -4),
        (b"+ERR=-1", False, None, -1),
        (b"+ERR= -2\r\n", False, None, -2),
        (b"+ERR\r\n", False, None, None),
        (b"+ERR=oops", False, None, None),
    ],
)
def test_parse_reply(datagram: bytes, ok: bool, value: str | None, code: int | None) -> None:
    reply = parse_reply(datagram)
    assert reply is not None
    assert (reply.ok, reply.value, reply.code) == (ok, value, code)


@pytest.mark.parametrize("datagram", [b"", b"ok", b"+okay", b"10.10.100.254,ACCF2335E6AA,HF-LPB100"])
def test_parse_reply_refuses(datagram: bytes) -> None:
    assert parse_reply(datagram) is None


@pytest.mark.parametrize(
    ("code", "meaning"),
    [(-1, "invalid command format"), (-2, "invalid command"), (-3, "invalid operator"),
     (-4, "invalid parameter"), (-5, "operation not permitted"), (-9, "unknown error")],
)
def test_module_refused_messages(code: int, meaning: str) -> None:
    err = ModuleRefusedError("AT+WSKEY", code)
    assert str(err) == f"the Wi-Fi module refused AT+WSKEY: +ERR={code} ({meaning})"
    assert (err.command, err.code) == ("AT+WSKEY", code)


def test_module_refused_without_code() -> None:
    assert str(ModuleRefusedError("AT+WMODE", None)) == "the Wi-Fi module refused AT+WMODE: +ERR (no error code)"


# --- what may be logged -----------------------------------------------------------------------


def test_command_name_drops_arguments() -> None:
    assert command_name(set_key_command(creds(key="hunter2hunter2"))) == "AT+WSKEY"
    assert command_name(set_ssid_command("Home")) == "AT+WSSSID"
    assert command_name(b"HF-A11ASSISTHREAD") == "HF-A11ASSISTHREAD"


def test_redact() -> None:
    line = set_key_command(creds(key="hunter2hunter2"))
    assert redact(line) == f"AT+WSKEY=WPA2PSK,AES,{REDACTED}\\r"
    assert redact(b"AT+WSKEY=OPEN,NONE,\r") == "AT+WSKEY=OPEN,NONE,\\r"  # nothing to hide
    assert redact("at+wskey=WPAPSK,TKIP,a,b,c\n") == f"at+wskey=WPAPSK,TKIP,{REDACTED}\\n"
    # Anywhere else the key turns up (a query's answer), the secret itself is replaced.
    assert redact(b"+ok=WPA2PSK,AES,hunter2hunter2\r\n", "hunter2hunter2") == f"+ok=WPA2PSK,AES,{REDACTED}\\r\\n"
    assert redact("no secret here", "") == "no secret here"
