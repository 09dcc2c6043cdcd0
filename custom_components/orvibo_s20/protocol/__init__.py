"""The S20 LAN protocol: pure encoders and decoders, no I/O and no Home Assistant."""

from .allone import (
    DEFAULT_RF_KEY,
    MAX_CODE_LENGTH,
    ButtonPress,
    EmitAck,
    EmitRequest,
    LearnAck,
    LearnedCode,
    LearnRequest,
    RfAck,
    RfRequest,
    code_from_text,
    code_to_text,
)
from .clock import clock_from_datetime, datetime_from_clock
from .codec import (
    decode_from_client,
    decode_from_device,
    encode,
    socket_data_write,
    timer_delete,
    timer_write,
)
from .const import (
    AT_PORT,
    COUNTDOWN_MAX_S,
    NAME_LENGTH,
    PORT,
    SMARTLINK_PORT,
    Command,
    CountdownMode,
    PowerState,
    Table,
    TableOp,
    Weekday,
)
from .errors import (
    DecodeError,
    EncodeError,
    EndpointError,
    PairingError,
    ProtocolError,
    S20ConnectionError,
    S20Error,
    S20ProtocolError,
    S20TimeoutError,
)
from .families import DeviceFamily, UnsupportedFamily, family_of
from .mac import Mac
from .messages import (
    Ack,
    ClientMessage,
    ClockRequest,
    CountdownReply,
    CountdownRequest,
    DeviceMessage,
    DiscoverMacRequest,
    DiscoverRequest,
    DiscoveryReply,
    HeartbeatRequest,
    LogoutRequest,
    OtherTableReply,
    PasswordRequest,
    PowerRequest,
    ReadTableRequest,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    SubscribeRequest,
    TableListReply,
    TableReply,
    TimersReply,
    TimezoneRequest,
    WriteTableRequest,
)
from .tables import SocketData, TableVersion, Timer, TimezoneBlock, decode_name, encode_name

__all__ = [
    "DEFAULT_RF_KEY", "MAX_CODE_LENGTH", "ButtonPress", "DeviceFamily", "EmitAck", "EmitRequest",
    "LearnAck", "LearnRequest", "LearnedCode", "RfAck", "RfRequest", "code_from_text", "code_to_text", "family_of", "UnsupportedFamily",
    "AT_PORT", "COUNTDOWN_MAX_S", "NAME_LENGTH", "PORT", "SMARTLINK_PORT",
    "Ack", "ClientMessage", "ClockRequest", "Command", "CountdownMode", "CountdownReply",
    "CountdownRequest", "DecodeError", "DeviceMessage", "DiscoverMacRequest", "DiscoverRequest",
    "DiscoveryReply", "EncodeError", "EndpointError", "HeartbeatRequest", "LogoutRequest", "Mac",
    "OtherTableReply", "PairingError", "PasswordRequest", "PowerRequest", "PowerState",
    "ProtocolError", "ReadTableRequest", "S20ConnectionError", "S20Error", "S20ProtocolError",
    "S20TimeoutError", "SocketData", "SocketDataReply", "StateReport", "SubscribeReply",
    "SubscribeRequest", "Table", "TableListReply", "TableOp", "TableReply", "TableVersion", "Timer",
    "TimersReply", "TimezoneBlock", "TimezoneRequest", "Weekday", "WriteTableRequest",
    "clock_from_datetime", "datetime_from_clock", "decode_from_client", "decode_from_device",
    "decode_name", "encode", "encode_name", "socket_data_write", "timer_delete", "timer_write",
]
