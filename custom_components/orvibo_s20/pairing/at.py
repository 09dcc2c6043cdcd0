"""The Hi-Flying network AT dialogue of AP-mode pairing: credentials, commands, replies (no I/O).

PROTOCOL.md §5.2. The socket in AP mode (blue LED blinking fast) serves the open network
`WiWo-S20`; its Wi-Fi module listens at 10.10.100.254 on UDP 48899 and answers to the
sender's source port:

    HF-A11ASSISTHREAD  ->  "IP,MAC,HF-LPB100"
    +ok                    (enters command mode; no reply)
    AT+WSSSID=<ssid>\r ->  +ok / +ERR=<code>
    AT+WSKEY=<auth>,<enc>,<key>\r  ->  +ok / +ERR=<code>
    AT+WMODE=STA\r     ->  +ok / +ERR=<code>
    AT+Z\r                 (no reply: the module reboots into station mode)

Everything here is pure: the driver in `provision.py` owns the socket, the clock and the
retries. The Wi-Fi key only ever leaves this module inside `set_key_command()`'s bytes;
`redact()` must be applied to any AT line before it is logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
import re
import string

from ..protocol import Mac, PairingError
from ..protocol.errors import EncodeError

AP_MODULE_HOST = "10.10.100.254"  # the module's address on its own WiWo-S20 network (§5.1)
AP_NETWORK_NAME = "WiWo-S20"

ASSIST_REQUEST = b"HF-A11ASSISTHREAD"  # no terminator (§5.2 step 1)
COMMAND_MODE_ACK = b"+ok"  # no terminator; mandatory before any AT command (§5.2 step 2)
TERMINATOR = "\r"  # the module also accepts "\n" (HB), every other peer uses "\r"

SSID_MAX_BYTES = 32
WPA_PASSPHRASE_BYTES = (8, 63)  # IEEE 802.11i passphrase; 64 characters must be a hex PSK
WPA_PSK_HEX_LENGTH = 64
WEP_HEX_LENGTHS = (10, 26)
WEP_ASCII_LENGTHS = (5, 13)

REDACTED = "**REDACTED**"

# Hi-Flying module manuals (HF2111); the S20's own strings were never captured (§5.2, §7.5).
ERROR_CODES: dict[int, str] = {
    -1: "invalid command format",
    -2: "invalid command",
    -3: "invalid operator",
    -4: "invalid parameter",
    -5: "operation not permitted",
}


class Auth(StrEnum):
    """Authentication mode of `AT+WSKEY` (§5.2)."""

    OPEN = "OPEN"
    SHARED = "SHARED"
    WPAPSK = "WPAPSK"
    WPA2PSK = "WPA2PSK"


class Encryption(StrEnum):
    """Encryption of `AT+WSKEY` (§5.2)."""

    AES = "AES"
    NONE = "NONE"
    TKIP = "TKIP"
    WEP_ASCII = "WEP-A"
    WEP_HEX = "WEP-H"


# Which encryptions go with which authentication (GD-js `_check`, HF manuals).
VALID_SECURITY: dict[Auth, frozenset[Encryption]] = {
    Auth.OPEN: frozenset({Encryption.NONE, Encryption.WEP_ASCII, Encryption.WEP_HEX}),
    Auth.SHARED: frozenset({Encryption.WEP_ASCII, Encryption.WEP_HEX}),
    Auth.WPAPSK: frozenset({Encryption.AES, Encryption.TKIP}),
    Auth.WPA2PSK: frozenset({Encryption.AES, Encryption.TKIP}),
}


class InvalidCredentialsError(PairingError, ValueError):
    """The SSID, key or security setting cannot be given to the module; nothing was sent.

    `field` names what is wrong: "ssid", "key" or "security". The message never contains
    the key.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class ModuleRefusedError(PairingError):
    """The Wi-Fi module answered an AT command with `+ERR=<code>`."""

    def __init__(self, command: str, code: int | None) -> None:
        if code is None:
            reply = "+ERR (no error code)"
        else:
            reply = f"+ERR={code} ({ERROR_CODES.get(code, 'unknown error')})"
        super().__init__(f"the Wi-Fi module refused {command}: {reply}")
        self.command = command
        self.code = code


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)


def _utf8(text: str, what: str, field: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a bad decode upstream
        raise InvalidCredentialsError(f"the {what} is not valid text", field=field) from None


def _is_hex(text: str) -> bool:
    return all(c in string.hexdigits for c in text)


def check_ssid(ssid: str) -> bytes:
    """Return the SSID's bytes, or raise InvalidCredentialsError (1–32 UTF-8 bytes)."""
    data = _utf8(ssid, "Wi-Fi name (SSID)", "ssid")
    if not data:
        raise InvalidCredentialsError("the Wi-Fi name (SSID) is empty", field="ssid")
    if len(data) > SSID_MAX_BYTES:
        raise InvalidCredentialsError(
            f"the Wi-Fi name (SSID) has {len(data)} bytes; at most {SSID_MAX_BYTES} are allowed", field="ssid"
        )
    if _has_control_characters(ssid):
        # "\r" would end the AT command early.
        raise InvalidCredentialsError("the Wi-Fi name (SSID) contains control characters", field="ssid")
    return data


def check_key(key: str, auth: Auth, encryption: Encryption) -> None:
    """Raise InvalidCredentialsError unless key fits auth/encryption; the key is never quoted."""
    if encryption not in VALID_SECURITY[auth]:
        raise InvalidCredentialsError(f"security {auth},{encryption} is not a valid combination", field="security")
    if _has_control_characters(key):
        raise InvalidCredentialsError("the Wi-Fi key contains control characters", field="key")
    size = len(_utf8(key, "Wi-Fi key", "key"))
    if encryption is Encryption.NONE:
        if key:
            raise InvalidCredentialsError("an open network (OPEN,NONE) takes no key", field="key")
    elif encryption is Encryption.WEP_HEX:
        if len(key) not in WEP_HEX_LENGTHS or not _is_hex(key):
            raise InvalidCredentialsError("a WEP hex key (WEP-H) has 10 or 26 hex digits", field="key")
    elif encryption is Encryption.WEP_ASCII:
        if not key.isascii() or len(key) not in WEP_ASCII_LENGTHS:
            raise InvalidCredentialsError("a WEP ASCII key (WEP-A) has 5 or 13 ASCII characters", field="key")
    elif size == WPA_PSK_HEX_LENGTH:
        if not _is_hex(key):
            raise InvalidCredentialsError("a 64-character WPA key must be hexadecimal (a raw PSK)", field="key")
    elif not WPA_PASSPHRASE_BYTES[0] <= size <= WPA_PASSPHRASE_BYTES[1]:
        raise InvalidCredentialsError(
            f"a WPA key has 8–63 characters (or 64 hex digits), not {size}", field="key"
        )


def parse_security(text: str) -> tuple[Auth, Encryption]:
    """Parse "WPA2PSK,AES" (case-insensitive; "OPEN" alone means OPEN,NONE)."""
    parts = [part.strip().upper() for part in text.split(",")]
    if len(parts) == 1 and parts[0] == Auth.OPEN:
        parts.append(Encryption.NONE)
    try:
        if len(parts) != 2:
            raise ValueError("not AUTH,ENCRYPTION")
        auth, encryption = Auth(parts[0]), Encryption(parts[1])
    except ValueError:
        # Not quoted: a user who typed "WPA2PSK,AES,<key>" must not see the key echoed.
        choices = ", ".join(f"{a},{e}" for a, encs in VALID_SECURITY.items() for e in sorted(encs))
        raise InvalidCredentialsError(f"unknown security setting; use one of {choices}", field="security") from None
    if encryption not in VALID_SECURITY[auth]:
        raise InvalidCredentialsError(f"security {auth},{encryption} is not a valid combination", field="security")
    return auth, encryption


def _enum[E: StrEnum](kind: type[E], value: str) -> E:
    try:
        return kind(str(value).upper())
    except ValueError:
        choices = ", ".join(kind)
        raise InvalidCredentialsError(f"unknown {kind.__name__.lower()}; use one of {choices}", field="security") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class WifiCredentials:
    """The network the socket should join; checked when created, the key kept out of repr."""

    ssid: str
    key: str = field(repr=False)
    auth: Auth = Auth.WPA2PSK
    encryption: Encryption = Encryption.AES

    def __post_init__(self) -> None:
        # Plain strings ("wpa2psk") become the enums, so the AT line is always spelled right.
        object.__setattr__(self, "auth", _enum(Auth, self.auth))
        object.__setattr__(self, "encryption", _enum(Encryption, self.encryption))
        self.validate()

    @classmethod
    def open_network(cls, ssid: str) -> WifiCredentials:
        """Return credentials of an open network (OPEN,NONE, no key)."""
        return cls(ssid=ssid, key="", auth=Auth.OPEN, encryption=Encryption.NONE)

    def validate(self) -> None:
        """Raise InvalidCredentialsError unless the module can take these settings."""
        check_ssid(self.ssid)
        check_key(self.key, Auth(self.auth), Encryption(self.encryption))

    @property
    def security(self) -> str:
        """The security as the module writes it, e.g. "WPA2PSK,AES"."""
        return f"{self.auth},{self.encryption}"


# --- Commands --------------------------------------------------------------------------------


def _command(text: str) -> bytes:
    return (text + TERMINATOR).encode("utf-8")


def set_ssid_command(ssid: str) -> bytes:
    """Return `AT+WSSSID=<ssid>\\r`."""
    check_ssid(ssid)
    return _command(f"AT+WSSSID={ssid}")


def set_key_command(credentials: WifiCredentials) -> bytes:
    """Return `AT+WSKEY=<auth>,<enc>,<key>\\r` (contains the key: never log it unredacted)."""
    credentials.validate()
    return _command(f"AT+WSKEY={credentials.auth},{credentials.encryption},{credentials.key}")


def set_station_mode_command() -> bytes:
    """Return `AT+WMODE=STA\\r`: join the configured network after the restart."""
    return _command("AT+WMODE=STA")


def restart_command() -> bytes:
    """Return `AT+Z\\r`: reboot the module (no reply)."""
    return _command("AT+Z")


def command_name(command: bytes) -> str:
    """Return the AT command's name without its arguments (`AT+WSKEY`), safe to log or raise."""
    text = command.decode("utf-8", "replace").strip()
    return text.split("=", 1)[0] if text.startswith("AT+") else text[:20]


def redact(text: str | bytes, *secrets: str) -> str:
    """Return text printable for a log: AT+WSKEY's key and every given secret replaced."""
    line = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    line = _WSKEY.sub(lambda m: m.group(1) + (REDACTED if m.group(2) else ""), line)
    for secret in secrets:
        if secret:
            line = line.replace(secret, REDACTED)
    return line.replace("\r", "\\r").replace("\n", "\\n")


_WSKEY = re.compile(r"(AT\+WSKEY=[^,\r\n]*,[^,\r\n]*,)([^\r\n]*)", re.IGNORECASE)


# --- Replies ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleInfo:
    """The module's answer to `HF-A11ASSISTHREAD`: its IP, MAC and module id."""

    host: str
    mac: Mac
    module: str


def parse_assist_reply(datagram: bytes) -> ModuleInfo | None:
    """Parse `IP,MAC,MODULE` (e.g. `10.10.100.254,ACCF2335E6AA,HF-LPB100`); None if it is not one."""
    try:
        text = datagram.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3 or not parts[0] or not parts[2]:
        return None
    try:
        mac = Mac.parse(parts[1])
    except EncodeError:
        return None
    return ModuleInfo(host=parts[0], mac=mac, module=parts[2])


@dataclass(frozen=True, slots=True, kw_only=True)
class AtReply:
    """`+ok[=value]` or `+ERR=<code>`."""

    ok: bool
    value: str | None = None
    code: int | None = None


def parse_reply(datagram: bytes) -> AtReply | None:
    """Parse an AT reply (trailing line ends ignored); None when it is neither +ok nor +ERR."""
    text = datagram.decode("utf-8", "replace").strip()
    if text == "+ok" or text.startswith("+ok="):
        return AtReply(ok=True, value=text[4:] if "=" in text else None)
    if text.startswith("+ERR"):
        match = re.fullmatch(r"\+ERR=?\s*(-?\d+)", text)
        return AtReply(ok=False, code=int(match.group(1)) if match else None)
    return None

