"""The Wi-Fi key is sent to the module, and appears in no log record and no exception message."""

from __future__ import annotations

import logging

import pytest

from custom_components.orvibo_s20.client import S20Endpoint
from custom_components.orvibo_s20.pairing import (
    ModuleRefusedError,
    PairingTimeoutError,
    WifiCredentials,
    complete_pairing,
    provision_ap,
    provision_smartlink,
)
from custom_components.orvibo_s20.pairing.at import REDACTED
from simulator.wifi import WifiFaults, WifiMode

from .conftest import AP_HOST, AT_FAST, AT_TIMEOUT_FAST, BROADCAST, CLIENT_TIMING, LOCAL, SPEED, ModuleFactory

AP_KEY = "Tr0ub4dor&3-ap-key"
SMARTLINK_KEY = "Zebra-Staple-42"


def assert_absent(records: list[logging.LogRecord], *secrets: str) -> None:
    assert records, "nothing was logged: the test would prove nothing"
    for record in records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        for secret in secrets:
            assert secret not in text, f"{record.name}: {record.getMessage()}"


async def test_no_key_in_logs_across_whole_pairings(
    make_module: ModuleFactory, endpoint: S20Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # AP mode, with a lost reply so the retry path logs too, then the defaults.
    ap = await make_module(faults=WifiFaults(drop_replies={"AT+WSKEY": 1}))
    result = await provision_ap(
        WifiCredentials(ssid="Home", key=AP_KEY), target=(AP_HOST, ap.at_port), local_addr=LOCAL, **AT_FAST
    )
    await complete_pairing(endpoint, result.mac, name="Lamp", scan_interval_s=0.1, timeout_s=3.0,
                           client_timing=CLIENT_TIMING)
    assert ap.joined_key == AP_KEY  # the key did go out, in full
    # The AT lines were logged, with the key redacted.
    assert f"AT+WSKEY=WPA2PSK,AES,{REDACTED}" in caplog.text
    await ap.stop()

    smart = await make_module(WifiMode.SMARTLINK, mac="ac:cf:23:fe:00:02")
    found = await provision_smartlink(
        SMARTLINK_KEY, broadcast=BROADCAST, port=smart.smartlink_port, listen_host=BROADCAST, local_addr=LOCAL,
        speed=SPEED, timeout_s=5.0,
    )
    await complete_pairing(endpoint, found.mac, host=found.host, scan_interval_s=0.1, timeout_s=3.0,
                           client_timing=CLIENT_TIMING)
    assert smart.joined_key == SMARTLINK_KEY
    assert_absent(caplog.records, AP_KEY, SMARTLINK_KEY)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (WifiFaults(errors={"AT+WSKEY": -4}), ModuleRefusedError),
        (WifiFaults(ignore=frozenset({"AT+WSKEY"})), PairingTimeoutError),
        (WifiFaults(ignore=frozenset({"AT+WMODE"})), PairingTimeoutError),
    ],
)
async def test_no_key_in_errors(
    make_module: ModuleFactory, caplog: pytest.LogCaptureFixture, faults: WifiFaults, error: type[Exception]
) -> None:
    caplog.set_level(logging.DEBUG)
    module = await make_module(faults=faults)
    with pytest.raises(error) as err:
        await provision_ap(
            WifiCredentials(ssid="Home", key=AP_KEY), target=(AP_HOST, module.at_port), local_addr=LOCAL,
            **AT_TIMEOUT_FAST,
        )
    assert module.counters.ignored or AP_KEY in module.received[1]  # it was sent
    for text in (str(err.value), repr(err.value), repr(err.value.args)):
        assert AP_KEY not in text
    assert_absent(caplog.records, AP_KEY)


async def test_no_key_in_smartlink_timeout(make_module: ModuleFactory, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    module = await make_module(WifiMode.SMARTLINK, network=("Home", "something else"))
    with pytest.raises(PairingTimeoutError) as err:
        await provision_smartlink(
            SMARTLINK_KEY, broadcast=BROADCAST, port=module.smartlink_port, listen_host=BROADCAST,
            local_addr=LOCAL, speed=SPEED, timeout_s=0.25,
        )
    assert module.mode is WifiMode.FAILED  # decoded, then refused by the access point
    assert SMARTLINK_KEY not in str(err.value) and SMARTLINK_KEY not in repr(err.value)
    assert_absent(caplog.records, SMARTLINK_KEY)
