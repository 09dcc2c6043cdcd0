"""Kit for the codec tests: the shared captured vectors and vector-format views of decoded messages.

`vectors.json` is a copy of the project's shared capture file (real bytes from four pcaps, doc
examples and library tests, each with its decoding), kept here so that a fresh clone can run the
tests. The view functions render a decoded message in the vocabulary of that file's `decoded`
dicts, taking constant bytes from what the encoder writes, so a test compares every field of a
vector with the codec's reading of the same bytes.
"""

from __future__ import annotations

from datetime import datetime
import json
from pathlib import Path
import re
import struct
from typing import Any

from custom_components.orvibo_s20.protocol import (
    Ack,
    ClockRequest,
    CountdownReply,
    CountdownRequest,
    DiscoveryReply,
    Mac,
    OtherTableReply,
    PasswordRequest,
    PowerRequest,
    ReadTableRequest,
    SocketData,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    Table,
    TableListReply,
    TableVersion,
    Timer,
    TimersReply,
    TimezoneRequest,
    Weekday,
    WriteTableRequest,
    datetime_from_clock,
    encode,
)
from custom_components.orvibo_s20.protocol.const import PAD, UNNAMED

VECTORS: list[dict[str, Any]] = json.loads(
    Path(__file__).with_name("vectors.json").read_text(encoding="utf-8")
)

# The socket of the Jollyjohn captures (10.0.0.243).
CAPTURED_MAC = Mac.parse("ac:cf:23:35:e6:aa")

_SOCKET_ADDRESS = "10.0.0.243"
_DEVICE_WORDS = ("socket", "S20", "AllOne")
_WEEKDAY_NAMES = {
    Weekday.MONDAY: "Mon",
    Weekday.TUESDAY: "Tue",
    Weekday.WEDNESDAY: "Wed",
    Weekday.THURSDAY: "Thu",
    Weekday.FRIDAY: "Fri",
    Weekday.SATURDAY: "Sat",
    Weekday.SUNDAY: "Sun",
}


def is_frame(vector: dict[str, Any]) -> bool:
    """Return whether a vector is a real `hd` frame (not a template, SmartLink or AT text)."""
    return vector["kind"] != "template" and vector["hex"].startswith("6864")


def frame_vectors() -> list[dict[str, Any]]:
    """Return every real captured or documented frame."""
    return [vector for vector in VECTORS if is_frame(vector)]


def vector_named(name: str) -> dict[str, Any]:
    """Return the one vector with this name."""
    found = [vector for vector in VECTORS if vector["name"] == name]
    assert len(found) == 1, f"{len(found)} vectors named {name!r}"
    return found[0]


def vector_bytes(name: str) -> bytes:
    """Return the bytes of the one vector with this name."""
    return bytes.fromhex(vector_named(name)["hex"])


def vector_id(vector: dict[str, Any]) -> str:
    """Return a readable, unique test id: the vector's index and a slug of its name."""
    slug = re.sub(r"[^a-z0-9]+", "-", vector["name"].lower()).strip("-")
    return f"{VECTORS.index(vector):02d}-{slug}"


def sent_by_socket(direction: str) -> bool:
    """Return whether the vector's sender is a socket.

    The socket is 10.0.0.243 in the captures; doc examples say "socket", "S20" or "AllOne", or
    give the socket's IP with the receiver named "client".
    """
    sender, receiver = (part.strip() for part in direction.split("->"))
    if sender.startswith(_SOCKET_ADDRESS) or any(word in sender for word in _DEVICE_WORDS):
        return True
    return receiver.startswith("client")


def fill_template(vector: dict[str, Any], **values: str) -> bytes:
    """Replace each placeholder run (e.g. `XXXXXXXXXXXX`) by hex and return the bytes."""
    assert vector["kind"] == "template"
    text = vector["hex"]
    for placeholder, value in values.items():
        assert placeholder in text, f"{placeholder} not in {vector['name']!r}"
        assert len(value) == len(placeholder)
        text = text.replace(placeholder, value)
    return bytes.fromhex(text)


# --- views in the vocabulary of vectors.json ------------------------------------------------


def clock_view(clock: int) -> dict[str, Any]:
    """Render a device clock as the vectors do: raw u32 and its UTC time (None when unset)."""
    moment = datetime_from_clock(clock)
    return {"raw_le_u32": clock, "utc": None if moment is None else _iso_z(moment)}


def _iso_z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def table_version_view(record: TableVersion) -> dict[str, Any]:
    """Render a table-1 record."""
    raw = record.encode()
    return {
        "record_length_le": struct.unpack_from("<H", raw)[0],
        "record_number_le": record.record_number,
        "table_le": record.table,
        "table_version_le": record.version,
    }


def timer_view(timer: Timer) -> dict[str, Any]:
    """Render a table-3 record, weekdays in Fernando's bit order (1 Mon … 64 Sun)."""
    raw = timer.encode(validate=False)
    action = timer.action_raw if timer.action_raw is not None else int(timer.action)
    return {
        "record_length_le": struct.unpack_from("<H", raw)[0],
        "timer_code_raw": struct.pack("<H", timer.code).hex(),
        "timer_code_le": timer.code,
        "name_raw": timer.name_raw.hex(),
        "action": f"{action:02x}",
        "byte21": f"{timer.reserved:02x}",
        "year_le": timer.year,
        "month": timer.month,
        "day": timer.day,
        "hour": timer.hour,
        "minute": timer.minute,
        "second": timer.second,
        "repeat": timer.repeat,
        "repeat_weekly_flag": timer.is_weekly,
        "repeat_days_fernando_bits": [
            label for day, label in _WEEKDAY_NAMES.items() if day in timer.weekdays
        ],
    }


def socket_data_view(data: SocketData) -> dict[str, Any]:
    """Render a table-4 record; the time-zone block only on fw 26 (190-byte records)."""
    raw = data.encode()
    domain = data.domain_server_name
    padding = set(data.domain_server_name_raw[len(domain) :])
    view: dict[str, Any] = {
        "record_length_le": data.record_length,
        "record_number_le": data.record_number,
        "version_id_raw": data.version_id.hex(),
        "mac": str(data.mac),
        "mac_padding_ok": raw[6:18] == data.mac.raw + PAD and raw[24:30] == PAD,
        "mac_reversed": str(Mac(raw[18:24])),
        "remote_password": data.remote_password.decode("ascii"),
        "name": (
            "<unset: 16 x 0xff>"
            if data.name is None and data.name_raw == UNNAMED
            else data.name_raw.decode("ascii")
        ),
        "icon_le": data.icon,
        "hardware_version_le32": data.hardware_version,
        "firmware_version_le32": data.firmware_version,
        "wifi_firmware_version_le32": data.wifi_firmware_version,
        "static_server_port_le": data.static_server_port,
        "static_server_ip": str(data.static_server_ip),
        "domain_server_port_le": data.domain_server_port,
        "domain_server_name": domain,
        "domain_padding_byte": f"{padding.pop():02x}" if len(padding) == 1 else "mixed",
        "local_ip": str(data.local_ip),
        "gateway": str(data.gateway),
        "netmask": str(data.netmask),
        "byte160_dst_or_dhcp": f"{data.dst_flags:02x}",
        "discoverable": f"{int(data.discoverable):02x}",
        "timezone_set": f"{data.timezone_set:02x}",
        "timezone_hours_int8": data.timezone_hours,
        "countdown_enable": f"{int(data.auto_off_enabled):02x}",
        "countdown_action": f"{data.auto_off_action:02x}",
        "countdown_seconds_le": data.auto_off_seconds,
    }
    if (block := data.timezone_block) is not None:
        view |= {
            "tz_index_le16": block.tz_index,
            "dst_rule_year_le16": block.year,
            "std_offset_seconds_le32": block.std_offset_s,
            "dst_offset_seconds_le32": block.dst_offset_s,
            "dst_start": block.dst_start.decode("ascii"),
            "dst_end": block.dst_end.decode("ascii"),
        }
    return view


def frame_view(message: Any) -> dict[str, Any]:
    """Render a decoded message as a vector's `decoded` dict.

    Fields the message models come from the message; fixed bytes the message does not model
    (byte 6 of a discovery reply, the `rt` marker, …) come from the encoder's output.
    """
    raw = encode(message)
    length = int.from_bytes(raw[2:4], "big")
    view: dict[str, Any] = {
        "magic": raw[:2].hex(),
        "length_be": length,
        "length_matches": length == len(raw),
        "command": message.command.value,
    }
    if (mac := getattr(message, "mac", None)) is not None:
        view |= {
            "mac": str(mac),
            "mac_padding_ok": mac.raw + PAD in raw,
            "mac_reversed": str(Mac(mac.reversed())),
            "reversed_ok": mac.reversed() + PAD in raw,
        }
    if (session := getattr(message, "session", None)) is not None:
        # The vectors name this field by what they saw in it.
        view |= dict.fromkeys(("session", "session_or_index", "session_or_zero"), session.hex())
    match message:
        case DiscoveryReply():
            view |= {
                "byte6": raw[6:7].hex(),
                "product_id": message.product_id,
                "time_since_1900": clock_view(message.clock),
                "state": None if message.state is None else int(message.state),
            }
        case SubscribeReply():
            view |= {"byte22": raw[22:23].hex(), "state": int(message.state)}
        case PowerRequest() | StateReport():
            view |= {"byte22": int(message.state)}
        case Ack():
            view |= {"byte22": message.status, "status": f"{message.status:02x}"}
        case ReadTableRequest():
            view |= {
                "table": message.table,
                "byte23": raw[23:24].hex(),
                "version_flag": message.version,
                "tail": raw[25:29].hex(),
            }
        case TableListReply() | TimersReply() | SocketDataReply() | OtherTableReply():
            view |= {
                "byte22": raw[22:23].hex(),
                "table": message.table,
                "bytes24_27": raw[24:28].hex(),
                "records": _records_view(message),
            }
        case WriteTableRequest():
            view |= {"table": message.table, "operation": f"{message.op:04x}"}
            if message.table == Table.SOCKET_DATA:
                view["records"] = [socket_data_view(SocketData.decode(message.data))]
        case CountdownRequest() | CountdownReply():
            view |= {
                "byte22_mode": f"{message.mode:02x}",
                "byte23_action": "ff" if message.action is None else f"{message.action:02x}",
                "seconds_le16": message.seconds,
            }
        case ClockRequest():
            view |= {"clock": clock_view(message.clock)}
        case TimezoneRequest():
            view |= {
                "tz_index_le16": message.tz_index,
                "year_le16": message.year,
                "std_offset_seconds_le32": message.std_offset_s,
                "dst_offset_seconds_le32": message.dst_offset_s,
            }
        case PasswordRequest():
            view |= {
                "old_password": message.old_password.decode("ascii"),
                "new_password": message.new_password.decode("ascii"),
            }
    return view


def _records_view(message: Any) -> list[Any]:
    match message:
        case TableListReply():
            return [table_version_view(record) for record in message.tables]
        case TimersReply():
            return [timer_view(timer) for timer in message.timers]
        case SocketDataReply():
            return [socket_data_view(message.data)]
    return [record.hex() for record in message.records]


def expected_view(decoded: dict[str, Any]) -> dict[str, Any]:
    """Return a vector's `decoded` dict with its prose turned into comparable values.

    Human notes inside clock fields are dropped, "absent (AllOne …)" states become None and the
    operation text "0001 (0000 add, …)" keeps only its code.
    """
    expected = dict(decoded)
    for key in ("clock", "time_since_1900"):
        if key in expected:
            expected[key] = {k: v for k, v in expected[key].items() if k != "note"}
    if isinstance(expected.get("state"), str) and expected["state"].startswith("absent"):
        expected["state"] = None
    if "operation" in expected:
        expected["operation"] = expected["operation"].split()[0]
    return expected


def assert_matches_vector(actual: dict[str, Any], decoded: dict[str, Any]) -> None:
    """Assert that a view agrees with every field of a vector's `decoded` dict."""
    expected = expected_view(decoded)
    unknown = set(expected) - set(actual)
    assert not unknown, f"vector fields the view does not cover: {sorted(unknown)}"
    assert {key: actual[key] for key in expected} == expected
