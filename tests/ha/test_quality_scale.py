"""Every claim of quality_scale.yaml, checked.

The file must list every rule of the current Integration Quality Scale exactly once (the list is
hassfest's `ALL_RULES`, home-assistant/core `script/hassfest/quality_scale.py`; the installed
Home Assistant's own quality_scale.yaml files are checked against it), each `done`, `todo` or
`exempt`, todo and exempt with a comment saying why.

Every rule marked done or exempt is then backed by a check: here (registered with `@checks`),
against the code wherever it lives, with a real entry on the simulator where that is what the
rule is about; or by a named test elsewhere in the suite (`CHECKED_ELSEWHERE`, each shown to
exist); or, for the documentation rules only a reader can judge, by the README passages they
rest on (`README_EVIDENCE`). hassfest's own quality-scale validators skip custom integrations
and read `__init__.py`, where this package only re-exports the set-up (its command-line tool
must import without Home Assistant): the replicated validators here read `integration.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from functools import cache
import importlib.util
import json
from pathlib import Path
import re
import sys
from types import ModuleType
from typing import Any

from awesomeversion import AwesomeVersion
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol
import yaml

from custom_components.orvibo_s20 import integration
from custom_components.orvibo_s20.client import ClientTiming, S20Client
from custom_components.orvibo_s20.config_flow import S20ConfigFlow
from custom_components.orvibo_s20.const import DOMAIN, MANUFACTURER, MODEL, POLL_INTERVAL
from custom_components.orvibo_s20.coordinator import S20ConfigEntry, S20Coordinator, S20Data
from custom_components.orvibo_s20.diagnostics import TO_REDACT, async_get_config_entry_diagnostics
from custom_components.orvibo_s20.discovery import DATA_NETWORK, S20Network
from custom_components.orvibo_s20.allone_coordinator import AllOneConfigEntry, AllOneData
from custom_components.orvibo_s20.entity import AllOneEntity, S20Entity
from custom_components.orvibo_s20.runtime import OrviboConfigEntry
from homeassistant import exceptions as ha_exceptions
from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigFlow
from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    STATE_UNAVAILABLE,
    EntityCategory,
    __version__ as HA_VERSION,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, service
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import async_get_platforms
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from simulator import Simulator
from simulator.device import VirtualSocket

from .common import bound_udp, socket_device
from .conftest import BROADCAST, make_entry

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "orvibo_s20"
QUALITY_SCALE = PACKAGE / "quality_scale.yaml"
# The Home Assistant side of the package (the library below it has no Home Assistant imports).
HA_MODULES = sorted(PACKAGE.glob("*.py"))


class Tier(IntEnum):
    BRONZE = 1
    SILVER = 2
    GOLD = 3
    PLATINUM = 4


# hassfest's ALL_RULES, in its order (script/hassfest/quality_scale.py, 2026).
CURRENT_RULES: dict[str, Tier] = {
    **dict.fromkeys(
        [
            "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
            "config-flow-test-coverage", "dependency-transparency", "docs-actions", "docs-conditions",
            "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
            "docs-triggers", "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
            "test-before-configure", "test-before-setup", "unique-config-entry",
        ],
        Tier.BRONZE,
    ),
    **dict.fromkeys(
        [
            "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
            "docs-installation-parameters", "entity-unavailable", "integration-owner", "log-when-unavailable",
            "parallel-updates", "reauthentication-flow", "test-coverage",
        ],
        Tier.SILVER,
    ),
    **dict.fromkeys(
        [
            "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update", "docs-examples",
            "docs-known-limitations", "docs-supported-devices", "docs-supported-functions", "docs-troubleshooting",
            "docs-use-cases", "dynamic-devices", "entity-category", "entity-device-class",
            "entity-disabled-by-default", "entity-translations", "exception-translations", "icon-translations",
            "reconfiguration-flow", "repair-issues", "stale-devices",
        ],
        Tier.GOLD,
    ),
    **dict.fromkeys(["async-dependency", "inject-websession", "strict-typing"], Tier.PLATINUM),
}
# Where hassfest's validators for these rules look for the set-up: __init__.py.
READ_FROM_INIT = ("runtime-data", "test-before-setup", "config-entry-unloading")


# --- the file ----------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a rule listed twice must fail instead."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        if duplicates := sorted({key for key in keys if keys.count(key) > 1}):
            raise yaml.constructor.ConstructorError(None, None, f"listed twice: {duplicates}", node.start_mark)
        return super().construct_mapping(node, deep)


@dataclass(frozen=True, slots=True)
class Claim:
    """What quality_scale.yaml says about one rule."""

    status: str
    comment: str | None


@cache
def claims() -> dict[str, Claim]:
    data = yaml.load(QUALITY_SCALE.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    found = {}
    for rule, value in data["rules"].items():
        if isinstance(value, dict):
            found[rule] = Claim(status=value["status"], comment=value.get("comment"))
        else:
            found[rule] = Claim(status=value, comment=None)
    return found


def claimed(*statuses: str) -> set[str]:
    return {rule for rule, claim in claims().items() if claim.status in statuses}


# hassfest's SCHEMA for the file, every rule required here.
_RULE_SCHEMA = vol.Any(
    vol.In(["todo", "done"]),
    vol.Schema({vol.Required("status"): vol.In(["todo", "done"]), vol.Required("comment"): str}),
    vol.Schema({vol.Required("status"): "exempt", vol.Required("comment"): str}),
)
FILE_SCHEMA = vol.Schema({vol.Required("rules"): vol.Schema({vol.Required(rule): _RULE_SCHEMA for rule in CURRENT_RULES})})


def test_every_current_rule_once_with_a_status() -> None:
    data = yaml.load(QUALITY_SCALE.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506
    FILE_SCHEMA(data)
    assert list(claims()) == list(data["rules"])
    assert set(claims()) == set(CURRENT_RULES), set(claims()) ^ set(CURRENT_RULES)
    for rule, claim in claims().items():
        if claim.status in ("todo", "exempt"):
            assert claim.comment and claim.comment.strip(), f"{rule}: {claim.status} needs a comment saying why"


def test_a_rule_listed_twice_fails() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="listed twice"):
        yaml.load("rules:\n  brands: done\n  brands: todo\n", Loader=_UniqueKeyLoader)  # noqa: S506


def test_the_rule_list_is_home_assistants_current_one() -> None:
    """Every rule a core integration of the installed Home Assistant lists is one of ours; the
    newest leg's lists them all (the oldest leg's Home Assistant predates docs-conditions and
    docs-triggers)."""
    components = Path(ha_exceptions.__file__).parent / "components"
    listed: set[str] = set()
    for path in components.glob("*/quality_scale.yaml"):
        listed |= set((yaml.safe_load(path.read_text()) or {}).get("rules") or {})
    assert listed, "no quality_scale.yaml in the installed Home Assistant"
    assert listed <= set(CURRENT_RULES), f"rules new to Home Assistant: {sorted(listed - set(CURRENT_RULES))}"
    if AwesomeVersion(HA_VERSION) >= AwesomeVersion("2026.1.0"):
        assert listed == set(CURRENT_RULES), f"rules Home Assistant dropped: {sorted(set(CURRENT_RULES) - listed)}"


def test_rules_hassfest_reads_from_init_say_where_they_live() -> None:
    for rule in READ_FROM_INIT:
        comment = claims()[rule].comment or ""
        assert "__init__.py" in comment and "integration.py" in comment, rule


# --- the registry of checks --------------------------------------------------------------------

CHECKS_HERE: dict[str, list[str]] = {}


def checks[F: Callable[..., Any]](*rules: str) -> Callable[[F], F]:
    """Register the decorated test as a check of these rules."""

    def register(func: F) -> F:
        for rule in rules:
            assert rule in CURRENT_RULES, rule
            CHECKS_HERE.setdefault(rule, []).append(func.__name__)
        return func

    return register


# Rules whose behaviour the suite tests elsewhere: tests that fail if the claim stops being true.
CHECKED_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "action-setup": (
        "tests/ha/test_services.py::test_services_registered_at_setup_on_newer_home_assistant",
        "tests/ha/test_services.py::test_services_registered_by_the_switch_platform",
    ),
    "action-exceptions": (
        "tests/ha/test_switch.py::test_command_to_an_offline_socket_raises",
        "tests/ha/test_services.py::test_service_to_an_offline_socket_raises",
        "tests/ha/test_services.py::test_add_timer_refuses_bad_input",
        "tests/ha/test_number.py::test_duration_out_of_range_is_refused",
    ),
    "brands": ("tests/ha/test_manifest.py::test_brand_icon",),
    "config-flow": ("tests/ha/test_config_flow.py::test_host_only_learns_the_mac",),
    "discovery": (
        "tests/ha/test_config_flow.py::test_dhcp_new_socket_is_confirmed",
        "tests/ha/test_config_flow.py::test_background_scan_starts_a_flow",
        "tests/ha/test_config_flow.py::test_announcement_heard_by_the_endpoint_starts_a_flow",
    ),
    "discovery-update-info": (
        "tests/ha/test_config_flow.py::test_dhcp_known_socket_at_new_ip_updates_the_entry",
        "tests/ha/test_coordinator.py::test_ip_change_updates_the_entry",
    ),
    "entity-unavailable": (
        "tests/ha/test_coordinator.py::test_availability_grace_and_logging",
        "tests/ha/test_offline.py::test_ten_minutes_offline_on_home_assistants_clock",
    ),
    "integration-owner": ("tests/ha/test_manifest.py::test_manifest_keys_sorted_and_required",),
    "log-when-unavailable": ("tests/ha/test_coordinator.py::test_availability_grace_and_logging",),
    "reconfiguration-flow": (
        "tests/ha/test_config_flow.py::test_reconfigure_to_the_new_host",
        "tests/ha/test_config_flow.py::test_reconfigure_refuses_another_socket",
    ),
    "repair-issues": ("tests/ha/test_init.py::test_port_in_use_raises_a_repair_issue_until_free",),
    "strict-typing": ("tests/test_typing.py::test_mypy_strict",),
    "test-before-configure": (
        "tests/ha/test_config_flow.py::test_silent_host_then_recovery",
        "tests/ha/test_config_flow.py::test_host_and_wrong_mac_cannot_connect",
    ),
    "test-before-setup": (
        "tests/ha/test_init.py::test_offline_at_setup_retries_then_recovers",
        "tests/ha/test_init.py::test_setup_refuses_another_socket_at_the_host",
    ),
    "unique-config-entry": ("tests/ha/test_config_flow.py::test_configured_socket_gets_its_new_host",),
}

# The documentation rules: the README passages they rest on (a reader judges the rest).
README_EVIDENCE: dict[str, tuple[str, ...]] = {
    "docs-high-level-description": (r"\A# Orvibo S20 for Home Assistant", r"Wi-Fi smart socket"),
    "docs-installation-instructions": (r"(?m)^## Install", r"(?m)^1\. .*HACS", r"(?m)^3\. .*Add integration"),
    "docs-removal-instructions": (r"\*\*Removal\*\*: Settings → Devices & services",),
    "docs-installation-parameters": (r"(?m)^## Setting sockets up", r"host", r"MAC", r"SSID", r"password", r"security"),
    "docs-configuration-parameters": (r"\*\*Network settings\*\*", r"orvibo_s20:\n\s+bind_address:"),
    "docs-data-update": (r"\*\*How data is updated\*\*", r"pushes every\s+change", r"poll every\s+60 s"),
    "docs-examples": (r"# Example: ", r"action: orvibo_s20\.start_countdown"),
    "docs-known-limitations": (r"(?m)^## Known limitations",),
    "docs-troubleshooting": (r"(?m)^## Known limitations and troubleshooting",),
    "docs-supported-devices": (r"(?m)^## Supported devices", r"Not supported"),
    "docs-use-cases": (r"(?m)^- \*\*Instant state\*\*", r"# Example: "),
}


def _test_exists(node_id: str) -> bool:
    path, name = node_id.split("::")
    module = ast.parse((ROOT / path).read_text())
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name for node in module.body
    )


def test_every_test_named_as_a_check_exists() -> None:
    for rule, node_ids in CHECKED_ELSEWHERE.items():
        assert rule in CURRENT_RULES, rule
        for node_id in node_ids:
            assert _test_exists(node_id), f"{rule}: {node_id} is gone"


def test_every_claim_is_checked() -> None:
    """A done or exempt rule without a check would be a claim nobody holds the code to."""
    backed = set(CHECKS_HERE) | set(CHECKED_ELSEWHERE) | set(README_EVIDENCE)
    assert claimed("done", "exempt") <= backed, sorted(claimed("done", "exempt") - backed)


@pytest.mark.parametrize("rule", sorted(README_EVIDENCE))
def test_docs_rules_have_their_readme_passages(rule: str) -> None:
    readme = (ROOT / "README.md").read_text()
    for pattern in README_EVIDENCE[rule]:
        assert re.search(pattern, readme), f"{rule}: README lacks {pattern!r}"


# --- hassfest's validators, pointed at where the code lives ------------------------------------


def _parse(name: str) -> ast.Module:
    return ast.parse((PACKAGE / name).read_text())


def _async_function(module: ast.Module, name: str) -> ast.AsyncFunctionDef | None:
    return next((item for item in module.body if isinstance(item, ast.AsyncFunctionDef) and item.name == name), None)


def _sets_runtime_data(function: ast.AsyncFunctionDef) -> bool:
    """hassfest runtime_data.py: `<entry>.runtime_data = ...` inside async_setup_entry."""
    entry = function.args.args[1].arg
    return any(
        isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == entry
        and node.attr == "runtime_data" and isinstance(node.ctx, ast.Store)
        for node in ast.walk(function)
    )


def _calls_first_refresh(function: ast.AsyncFunctionDef) -> bool:
    """hassfest test_before_setup.py: async_config_entry_first_refresh inside async_setup_entry."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "async_config_entry_first_refresh"
        for node in ast.walk(function)
    )


def _calls(module: ast.Module, name: str) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
        for node in ast.walk(module)
    )


@checks("runtime-data", "test-before-setup", "config-entry-unloading")
def test_hassfests_set_up_validators_pass_on_integration_py() -> None:
    """What hassfest would find in __init__.py, were the set-up there: it is in integration.py,
    and __init__.py hands Home Assistant exactly those functions."""
    module = _parse("integration.py")
    setup_entry = _async_function(module, "async_setup_entry")
    assert setup_entry is not None and len(setup_entry.args.args) == 2
    assert _sets_runtime_data(setup_entry)
    assert _calls_first_refresh(setup_entry)
    assert _async_function(module, "async_unload_entry") is not None
    # hassfest reading __init__.py finds none of it: hence the comments in quality_scale.yaml.
    init = _parse("__init__.py")
    assert _async_function(init, "async_setup_entry") is None and _async_function(init, "async_unload_entry") is None
    import custom_components.orvibo_s20 as package  # noqa: PLC0415

    for name in ("async_setup", "async_setup_entry", "async_unload_entry", "PLATFORMS", "CONFIG_SCHEMA"):
        assert getattr(package, name) is getattr(integration, name), name


@checks("unique-config-entry", "discovery", "reconfiguration-flow", "config-flow")
def test_hassfests_config_flow_validators() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    assert manifest["config_flow"] is True and (PACKAGE / "config_flow.py").is_file()
    flow = _parse("config_flow.py")
    assert not manifest.get("single_config_entry")
    assert _calls(flow, "async_set_unique_id") and _calls(flow, "_abort_if_unique_id_configured")
    assert "dhcp" in manifest
    steps = {node.name for node in ast.walk(flow) if isinstance(node, ast.AsyncFunctionDef)}
    assert {"async_step_dhcp", "async_step_integration_discovery", "async_step_reconfigure"} <= steps
    assert issubclass(S20ConfigFlow, ConfigFlow)


@checks("config-flow")
def test_every_form_field_has_a_description() -> None:
    """The rule's sub-check: `data_description` gives every field of every form its context."""
    strings = json.loads((PACKAGE / "translations" / "en.json").read_text())
    forms = {step: text for step, text in strings["config"]["step"].items() if "data" in text}
    assert forms
    for step, text in forms.items():
        assert set(text.get("data_description", {})) == set(text["data"]), step


@checks("parallel-updates")
def test_every_platform_sets_parallel_updates() -> None:
    """hassfest parallel_updates.py (a module-level assignment in each platform file), and the
    values: one command at a time per device for the platforms that send, none for the sensor."""
    expected = {"calendar": 1, "event": 0, "number": 1, "remote": 1, "sensor": 0, "switch": 1}
    assert {str(platform) for platform in integration.PLATFORMS} == set(expected)
    for platform, value in expected.items():
        module = _parse(f"{platform}.py")
        assert any(
            isinstance(item, ast.Assign) and isinstance(item.targets[0], ast.Name)
            and item.targets[0].id == "PARALLEL_UPDATES"
            for item in module.body
        ), platform
        imported = importlib.import_module(f"custom_components.orvibo_s20.{platform}")
        assert imported.PARALLEL_UPDATES == value, platform


# hassfest's pattern is ^[A-Za-z]+ConfigEntry$: no digits, so it would not take S20ConfigEntry
# (said in quality_scale.yaml); the alias is checked for what it is instead.
_TYPED_ENTRY = re.compile(r"^[A-Za-z0-9]+ConfigEntry$")


@checks("strict-typing")
def test_typed_config_entry_everywhere() -> None:
    """hassfest runtime_data.py's strict-typing check (the entry annotated with a typed alias:
    a family's, or `OrviboConfigEntry` where either family comes), over integration.py,
    diagnostics.py and the platforms; py.typed; mypy strict in setup.cfg."""
    aliases = {alias.__name__ for alias in (S20ConfigEntry, AllOneConfigEntry, OrviboConfigEntry)}
    functions = {
        "integration.py": ("async_setup_entry", "async_unload_entry"),
        "diagnostics.py": ("async_get_config_entry_diagnostics", "async_get_device_diagnostics"),
        **{f"{platform}.py": ("async_setup_entry",) for platform in integration.PLATFORMS},
    }
    for name, function_names in functions.items():
        module = _parse(name)
        for function_name in function_names:
            function = _async_function(module, function_name)
            assert function is not None, f"{name}: {function_name}"
            annotation = function.args.args[1].annotation
            assert isinstance(annotation, ast.Name) and _TYPED_ENTRY.match(annotation.id), f"{name}: {function_name}"
            assert annotation.id in aliases, f"{name}: {function_name}"
    assert S20ConfigEntry.__value__ == ConfigEntry[S20Data]
    assert AllOneConfigEntry.__value__ == ConfigEntry[AllOneData]
    assert (PACKAGE / "py.typed").is_file()
    assert re.search(r"(?m)^\[mypy\]\n(?:.*\n)*?strict = True$", (ROOT / "setup.cfg").read_text())


@checks("common-modules")
def test_common_modules() -> None:
    """The coordinator in coordinator.py, the base entity in entity.py, every entity built on it."""
    assert issubclass(S20Coordinator, DataUpdateCoordinator)
    assert S20Coordinator.__module__.endswith(".coordinator") and S20Entity.__module__.endswith(".entity")
    for platform in integration.PLATFORMS:
        module = importlib.import_module(f"custom_components.orvibo_s20.{platform}")
        entities = [
            value for value in vars(module).values()
            if isinstance(value, type) and value.__module__ == module.__name__ and issubclass(value, Entity)
        ]
        assert entities and all(issubclass(entity, (S20Entity, AllOneEntity)) for entity in entities), platform


@checks("docs-actions")
def test_every_action_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in yaml.safe_load((PACKAGE / "services.yaml").read_text()):
        assert f"`{name}`" in readme or f"`{DOMAIN}.{name}`" in readme, name


@checks("docs-conditions", "docs-triggers")
def test_no_custom_conditions_or_triggers() -> None:
    """The exemptions hold while there is nothing to document."""
    for name in ("conditions.yaml", "triggers.yaml", "condition.py", "trigger.py", "device_condition.py",
                 "device_trigger.py"):
        assert not (PACKAGE / name).exists(), name
    strings = json.loads((PACKAGE / "translations" / "en.json").read_text())
    assert "conditions" not in strings and "triggers" not in strings


@checks("reauthentication-flow", "docs-configuration-parameters")
def test_no_credentials_and_no_options() -> None:
    """The S20 asks for no password: entries hold the host and MAC only, no reauth step, and no
    options flow whose options would need documenting."""
    assert not hasattr(S20ConfigFlow, "async_step_reauth")
    assert "async_get_options_flow" not in vars(S20ConfigFlow)
    created = [
        node for node in ast.walk(_parse("config_flow.py"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "async_create_entry"
    ]
    assert created
    for call in created:
        data = next(keyword.value for keyword in call.keywords if keyword.arg == "data")
        assert isinstance(data, ast.Dict)
        assert {ast.unparse(key) for key in data.keys if key is not None} == {"CONF_HOST", "CONF_MAC"}
        # and, for an AllOne, which family it is: no credential either
        assert [ast.unparse(value) for key, value in zip(data.keys, data.values, strict=True) if key is None] == ["family"]


@checks("dependency-transparency")
def test_no_dependencies_to_be_transparent_about() -> None:
    """The exemption: no requirements; the protocol code ships in this MIT-licensed repository."""
    assert json.loads((PACKAGE / "manifest.json").read_text())["requirements"] == []
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def _imports(module: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@checks("async-dependency", "inject-websession")
def test_asyncio_all_the_way() -> None:
    """No executor jobs, threads or blocking sleeps anywhere in the package; no HTTP client (so no
    web session to inject)."""
    blocking = {"async_add_executor_job", "run_in_executor", "to_thread", "sleep"}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ast.parse(path.read_text())
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in blocking:
                owner = ast.unparse(node.func.value)
                assert node.func.attr == "sleep" and owner == "asyncio", f"{path.name}: {ast.unparse(node)}"
        assert not _imports(module) & {"aiohttp", "httpx", "requests", "threading", "urllib3"}, path.name


# --- exception translations ----------------------------------------------------------------------

HA_ERRORS = {
    name for name, value in vars(ha_exceptions).items()
    if isinstance(value, type) and issubclass(value, ha_exceptions.HomeAssistantError)
} | {UpdateFailed.__name__}


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _exception_keys(path: Path) -> list[tuple[int, str]]:
    """(line, key) of every Home Assistant error the module builds; fails on an untranslated one."""
    import custom_components.orvibo_s20.const as const  # noqa: PLC0415

    module = ast.parse(path.read_text())
    functions = {node.name: node for node in ast.walk(module) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    keys: list[tuple[int, str]] = []
    for node in ast.walk(module):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
            assert node.exc.id not in HA_ERRORS, f"{path.name}:{node.lineno}: a bare {node.exc.id} has no translation"
        if not (isinstance(node, ast.Call) and _name(node.func) in HA_ERRORS):
            continue
        where = f"{path.name}:{node.lineno}"
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        assert not node.args, f"{where}: a message in code, not a translation"
        assert "translation_domain" in keywords and "translation_key" in keywords, f"{where}: untranslated"
        assert ast.unparse(keywords["translation_domain"]) == "DOMAIN", where
        key = keywords["translation_key"]
        if isinstance(key, ast.Constant):
            keys.append((node.lineno, key.value))
        elif isinstance(key, ast.Name) and isinstance(getattr(const, key.id, None), str):
            keys.append((node.lineno, getattr(const, key.id)))
        elif isinstance(key, ast.Attribute) and key.attr == "translation_key":
            continue  # forwarding the key of an error built (and checked) elsewhere
        elif isinstance(key, ast.Name):
            # A helper's parameter: every call of the helper passes a key.
            helper = next(
                function for function in functions.values()
                if key.id in {arg.arg for arg in function.args.args} and node in ast.walk(function)
            )
            position = [arg.arg for arg in helper.args.args].index(key.id)
            calls = [
                call for call in ast.walk(module)
                if isinstance(call, ast.Call) and _name(call.func) == helper.name and len(call.args) > position
            ]
            assert calls, f"{where}: {helper.name} is never called"
            for call in calls:
                argument = call.args[position]
                assert isinstance(argument, ast.Constant), f"{path.name}:{call.lineno}: key not literal"
                keys.append((call.lineno, argument.value))
        else:
            pytest.fail(f"{where}: cannot read the translation key {ast.unparse(key)}")
    return keys


@checks("exception-translations")
def test_every_home_assistant_error_is_translated() -> None:
    """Every HomeAssistantError (ServiceValidationError, UpdateFailed, ConfigEntryNotReady, …)
    the integration builds names our domain and a key under `exceptions` in translations/en.json."""
    messages = json.loads((PACKAGE / "translations" / "en.json").read_text())["exceptions"]
    found = [(path.name, line, key) for path in HA_MODULES for line, key in _exception_keys(path)]
    assert len(found) >= 10 and {name for name, _, _ in found} >= {"entity.py", "services.py", "coordinator.py"}
    for name, line, key in found:
        assert key in messages and messages[key]["message"], f"{name}:{line}: {key} has no message"


# --- a real entry on the simulator -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expected:
    """What an entity is meant to be (the README's "What you get")."""

    domain: str
    category: EntityCategory | None
    device_class: str | None
    enabled: bool


EXPECTED = {
    "power": Expected("switch", None, "outlet", True),
    "auto_off": Expected("switch", EntityCategory.CONFIG, None, True),
    "locked": Expected("switch", EntityCategory.CONFIG, None, False),
    "auto_off_duration": Expected("number", EntityCategory.CONFIG, "duration", True),
    "countdown": Expected("sensor", None, "timestamp", True),
    "schedule": Expected("calendar", None, None, True),
    "next_switch": Expected("sensor", None, "timestamp", True),
    "switched": Expected("event", None, None, True),
}


@checks(
    "has-entity-name", "entity-unique-id", "entity-translations", "icon-translations", "entity-category",
    "entity-device-class", "entity-disabled-by-default", "docs-supported-functions",
)
async def test_every_entity(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket, entity_registry: er.EntityRegistry
) -> None:
    """Every entity of a loaded entry, the disabled one included, from the entity registry."""
    strings = json.loads((PACKAGE / "translations" / "en.json").read_text())
    icons = json.loads((PACKAGE / "icons.json").read_text())
    readme = (ROOT / "README.md").read_text()
    mac = str(sim_socket.mac)
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert {entity.unique_id for entity in entities} == {f"{mac}_{key}" for key in EXPECTED}
    main = []
    for entity in entities:
        expected = EXPECTED[entity.unique_id.removeprefix(f"{mac}_")]
        assert entity.has_entity_name, entity.entity_id
        assert entity.domain == expected.domain and entity.entity_category == expected.category, entity.entity_id
        assert entity.original_device_class == expected.device_class, entity.entity_id
        assert (entity.disabled_by is None) == expected.enabled, entity.entity_id
        assert entity.original_icon is None, f"{entity.entity_id}: an icon in code, not in icons.json"
        if entity.translation_key is None:
            assert entity.original_name is None  # the main entity: it takes the device's name
            main.append(entity.entity_id)
            continue
        name = strings["entity"][entity.domain][entity.translation_key]["name"]
        assert entity.original_name == name
        assert icons["entity"][entity.domain][entity.translation_key]["default"].startswith("mdi:")
        assert f"*{name}*" in readme, f"README's entity table lacks {name}"
    assert main == ["switch.desk_lamp"]
    # And the entity objects Home Assistant runs (the disabled one is not) say the same.
    running = [entity for platform in async_get_platforms(hass, DOMAIN) for entity in platform.entities.values()]
    assert len(running) == len(EXPECTED) - 1 and all(entity.has_entity_name for entity in running)


@checks("devices", "dynamic-devices")
async def test_one_complete_device_per_entry(hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket) -> None:
    device = socket_device(hass, entry)  # exactly one
    mac = str(sim_socket.mac)
    assert device.connections == {(CONNECTION_NETWORK_MAC, mac)}
    assert device.identifiers == {(DOMAIN, mac)}
    assert (device.manufacturer, device.model, device.name) == (MANUFACTURER, MODEL, "Desk lamp")
    assert device.sw_version == str(sim_socket.socket_data.firmware_version)
    assert device.hw_version == str(sim_socket.socket_data.hardware_version)


@checks("runtime-data", "appropriate-polling")
async def test_runtime_data_of_a_real_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    data = entry.runtime_data
    assert isinstance(data, S20Data)
    assert isinstance(data.client, S20Client) and isinstance(data.coordinator, S20Coordinator)
    assert data.coordinator.config_entry is entry and data.coordinator.client is data.client
    # hass.data holds the one instance-wide network (a typed key), nothing per entry.
    network = hass.data[DATA_NETWORK]
    assert isinstance(network, S20Network) and data.client in network.clients
    assert not any(entry.entry_id in str(key) for key in hass.data)
    # Push first: a keepalive every 10 s, the backstop poll every 60 s.
    assert data.coordinator.update_interval == POLL_INTERVAL == timedelta(seconds=60)
    assert ClientTiming().keepalive_s == 10.0


@checks("config-entry-unloading", "entity-event-setup")
async def test_unloading_leaves_nothing_behind(
    hass: HomeAssistant, setup_network: None, simulator: Simulator, sim_socket: VirtualSocket
) -> None:
    """Set up and unload twice (the first time also sets up Home Assistant's platforms): the
    second unload leaves the event bus as the second set-up found it, the port unbound, no client,
    and no entity listening to the coordinator."""
    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    network = hass.data[DATA_NETWORK]
    for _ in range(2):
        listeners = hass.bus.async_listeners()
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        coordinator = entry.runtime_data.coordinator
        # The coordinator's listeners are its entities' (CoordinatorEntity, async_added_to_hass).
        assert len(coordinator._listeners) == len(EXPECTED) - 1  # the disabled one does not run
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert entry.state is ConfigEntryState.NOT_LOADED
        assert not coordinator._listeners  # every entity let go (async_will_remove_from_hass)
        assert network.endpoint is None and not network.clients
        assert not bound_udp(simulator.port) & {"127.0.0.1", BROADCAST}
        assert hass.states.get("switch.desk_lamp").state == STATE_UNAVAILABLE
    assert _ours(hass.bus.async_listeners()) == _ours(listeners)


def _ours(listeners: dict[str, int]) -> dict[str, int]:
    """The bus listeners less Home Assistant's final-write ones: its registries hold one while a
    delayed save waits (10 s on the wall clock), which a slow run sees come and go. Ours are no
    final-write listeners (only an AllOne's entry has a store)."""
    return {event: count for event, count in listeners.items() if event != EVENT_HOMEASSISTANT_FINAL_WRITE}


@checks("stale-devices")
async def test_removing_the_entry_removes_its_device(
    hass: HomeAssistant, setup_network: None, sim_socket: VirtualSocket, device_registry: dr.DeviceRegistry
) -> None:
    entry = make_entry(sim_socket)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    device = socket_device(hass, entry)  # its one device
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert device_registry.async_get(device.id) is None


def _walk(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [item for key, sub in value.items() for item in [(f"{path}.{key}", sub), *_walk(sub, f"{path}.{key}")]]
    if isinstance(value, list):
        return [item for index, sub in enumerate(value) for item in _walk(sub, f"{path}[{index}]")]
    return []


@checks("diagnostics")
async def test_diagnostics_redact_what_locates_the_home(
    hass: HomeAssistant, entry: MockConfigEntry, sim_socket: VirtualSocket
) -> None:
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diagnostics)
    redacted = [(path, value) for path, value in _walk(diagnostics) if path.rsplit(".", 1)[-1] in TO_REDACT]
    assert {path.rsplit(".", 1)[-1] for path, _ in redacted} >= {"remote_password", "local_ip", "gateway", "netmask"}
    assert all(value == REDACTED for _, value in redacted), redacted
    stored = sim_socket.socket_data
    for secret in (stored.remote_password.hex(), str(stored.local_ip), str(stored.gateway), str(stored.netmask)):
        assert secret not in text, secret


@checks("action-setup")
async def test_actions_exist_before_any_entry(hass: HomeAssistant, setup_network: None) -> None:
    """On Home Assistant 2025.10 and later the actions are registered in async_setup, so an
    automation naming one validates while no socket is set up; older releases register them
    from the switch platform, the only API they have (tested in test_services.py)."""
    names = set(yaml.safe_load((PACKAGE / "services.yaml").read_text()))
    registered = {name for name in names if hass.services.has_service(DOMAIN, name)}
    if hasattr(service, "async_register_platform_entity_service"):
        assert registered == names
    else:
        assert registered == set()
        assert "older" in (claims()["action-setup"].comment or "")


# --- the coverage gate -------------------------------------------------------------------------


@cache
def _gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coverage_gate", ROOT / "scripts" / "coverage_gate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@checks("config-flow-test-coverage", "test-coverage")
def test_the_test_command_holds_the_coverage_rules() -> None:
    """scripts/test runs the gate after a whole run; the gate holds config_flow.py at 100 %, the
    integration at 95 % and each module at 90 %, and fails a run that falls short."""
    gate = _gate()
    assert (gate.MODULE_MINIMA["config_flow.py"], gate.TOTAL_MIN, gate.MODULE_MIN) == (100.0, 95.0, 90.0)
    assert re.search(r"scripts/coverage_gate\.py", (ROOT / "scripts" / "test").read_text())
    module = gate.ModuleCoverage
    passing = (module("config_flow.py", 300, ()), module("switch.py", 100, (5,)))
    assert gate.judge(passing).failures == ()
    one_branch_short = (module("config_flow.py", 300, (286,)), module("switch.py", 100, (5,)))
    assert gate.judge(one_branch_short).failures == ("config_flow.py 99.67 % is below 100 % (missing lines 286)",)
    thin = (module("config_flow.py", 100, ()), module("cli/main.py", 100, tuple(range(1, 12))))
    assert [failure.split(" %")[0] for failure in gate.judge(thin).failures] == ["total 94.50", "cli/main.py 89.00"]

