"""Wi-Fi provisioning of new S20 sockets (AP mode and SmartLink), no Home Assistant inside.

Every failure is a `PairingError` (an `S20Error`): `InvalidCredentialsError` before anything is
sent, `ModuleRefusedError` for `+ERR`, `PairingTimeoutError` with the step that timed out; binding
a port can raise `EndpointError`, and the defaults step the client's errors.
"""

from .at import (
    AP_MODULE_HOST,
    AP_NETWORK_NAME,
    Auth,
    Encryption,
    InvalidCredentialsError,
    ModuleInfo,
    ModuleRefusedError,
    WifiCredentials,
    parse_security,
)
from .provision import (
    AP_STEPS,
    SMARTLINK_STEPS,
    ApResult,
    PairedSocket,
    PairingStep,
    PairingTimeoutError,
    Progress,
    ProgressCallback,
    SmartLinkResult,
    apply_defaults,
    complete_pairing,
    provision_ap,
    provision_smartlink,
    share_done,
    wait_for_new_socket,
)

__all__ = [
    "AP_MODULE_HOST",
    "AP_NETWORK_NAME",
    "AP_STEPS",
    "SMARTLINK_STEPS",
    "ApResult",
    "Auth",
    "Encryption",
    "InvalidCredentialsError",
    "ModuleInfo",
    "ModuleRefusedError",
    "PairedSocket",
    "PairingStep",
    "PairingTimeoutError",
    "Progress",
    "ProgressCallback",
    "SmartLinkResult",
    "WifiCredentials",
    "apply_defaults",
    "complete_pairing",
    "parse_security",
    "provision_ap",
    "provision_smartlink",
    "share_done",
    "wait_for_new_socket",
]
