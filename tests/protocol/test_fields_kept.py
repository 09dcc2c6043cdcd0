"""Every field a frame carries survives decoding: sessions, ack status, countdown mode, records.

The socket echoes sessions and the simulator answers with what it decoded, so a field dropped
or read from the wrong offset would change the bytes on the wire. Each message here has values
that differ from the defaults and from their neighbours' bytes.
"""

from __future__ import annotations

import pytest

from custom_components.orvibo_s20.protocol import (
    Ack,
    Command,
    CountdownReply,
    DeviceMessage,
    HeartbeatRequest,
    Mac,
    OtherTableReply,
    PowerState,
    SocketData,
    SocketDataReply,
    StateReport,
    SubscribeReply,
    TableOp,
    WriteTableRequest,
    decode_from_client,
    decode_from_device,
    encode,
)
from custom_components.orvibo_s20.protocol.messages import ClientMessage

MAC = Mac.parse("ac:cf:23:35:e6:aa")
SESSION = b"\x12\x34\x56\x78"

FROM_DEVICE: list[DeviceMessage] = [
    SubscribeReply(mac=MAC, state=PowerState.ON, session=SESSION),
    StateReport(mac=MAC, state=PowerState.OFF, session=SESSION),
    Ack(command=Command.POWER, mac=MAC, session=SESSION, status=1),
    Ack(command=Command.WRITE_TABLE, mac=MAC, session=SESSION, status=0x7F),
    CountdownReply(mac=MAC, mode=0, action=PowerState.ON, seconds=300, session=SESSION),
    CountdownReply(mac=MAC, mode=1, action=None, seconds=0, session=SESSION),
    OtherTableReply(mac=MAC, table=2, records=(b"\x02\x00ab", b"\x01\x00c"), session=SESSION),
    # A record unlike a fresh socket's in every field the defaults would hide.
    SocketDataReply(mac=MAC, session=SESSION, data=SocketData(
        mac=MAC, record_number=2, version_id=b"\xfe\xff", timezone_set=1, timezone_hours=-5,
        auto_off_enabled=True, auto_off_action=0, auto_off_seconds=0xFFFF, discoverable=False,
    )),
]
FROM_CLIENT: list[ClientMessage] = [
    HeartbeatRequest(mac=MAC, session=SESSION),
    WriteTableRequest(mac=MAC, table=3, op=TableOp.DELETE, data=b"\x07\x00", session=SESSION),
]


@pytest.mark.parametrize("message", FROM_DEVICE, ids=lambda m: type(m).__name__)
def test_a_sockets_message_reads_back_whole(message: DeviceMessage) -> None:
    assert decode_from_device(encode(message)) == message


@pytest.mark.parametrize("message", FROM_CLIENT, ids=lambda m: type(m).__name__)
def test_a_controllers_message_reads_back_whole(message: ClientMessage) -> None:
    assert decode_from_client(encode(message)) == message
