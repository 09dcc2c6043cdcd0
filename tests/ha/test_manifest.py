"""What hassfest and the HACS action would check, run locally (neither can run in this sandbox).

manifest.json, hacs.json, the brand icon, services.yaml, translations/en.json and icons.json must
agree with each other and with the Python code: every translation key the code uses exists, with
the placeholders the code passes, and nothing in the files is left over.
"""

from __future__ import annotations

import ast
from functools import cache
import json
from pathlib import Path
import re
import struct
from typing import Any

from awesomeversion import AwesomeVersion
import pytest
import voluptuous as vol
import yaml

from custom_components.orvibo_s20 import const
from custom_components.orvibo_s20.services import SERVICES
from homeassistant.const import __version__ as HA_VERSION

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "orvibo_s20"
# The integration's own modules (the library below it has no Home Assistant strings).
MODULES = sorted(PACKAGE.glob("*.py"))

HACS_KEYS = {
    "name", "content_in_root", "country", "filename", "hacs", "hide_default_branch", "homeassistant",
    "persistent_directory", "render_readme", "zip_release",
}
IOT_CLASSES = {"assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push"}
EXCEPTION_TYPES = {"HomeAssistantError", "ServiceValidationError", "UpdateFailed", "ConfigEntryNotReady"}
PLACEHOLDER = re.compile(r"{(\w+)}")


@cache
def _json(name: str) -> Any:
    return json.loads((PACKAGE / name).read_text())


def _manifest() -> dict[str, Any]:
    return _json("manifest.json")


def _strings() -> dict[str, Any]:
    return _json("translations/en.json")


def _icons() -> dict[str, Any]:
    return _json("icons.json")


@cache
def _services_yaml() -> dict[str, Any]:
    return yaml.safe_load((PACKAGE / "services.yaml").read_text())


# --- manifest.json and hacs.json ---------------------------------------------------------------


def test_manifest_keys_sorted_and_required() -> None:
    """hassfest: domain, name, then alphabetical; HACS and the loader: version, codeowners, links."""
    manifest = _manifest()
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:]), "Manifest keys are not sorted correctly: domain, name, then alphabetical"
    for key in ("codeowners", "config_flow", "documentation", "integration_type", "iot_class", "issue_tracker",
                "requirements", "version"):
        assert key in manifest, key
    assert manifest["domain"] == PACKAGE.name == const.DOMAIN
    assert AwesomeVersion(manifest["version"]).valid
    assert manifest["codeowners"] and all(owner.startswith("@") for owner in manifest["codeowners"])
    assert manifest["iot_class"] in IOT_CLASSES
    assert manifest["integration_type"] == "device"
    assert manifest["config_flow"] is True and (PACKAGE / "config_flow.py").is_file()
    for link in ("documentation", "issue_tracker"):
        assert manifest[link].startswith("https://")
    assert "home-assistant.io/integrations" not in manifest["documentation"]
    assert "quality_scale" not in manifest  # core only
    for requirement in manifest["requirements"]:
        assert "==" in requirement


def test_manifest_dependencies_cover_the_imports() -> None:
    """hassfest: "Using component X but it's not in 'dependencies'"."""
    used = set()
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "homeassistant.components":
                used.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("homeassistant.components."):
                used.add(node.module.split(".")[2])
    # Platforms and helpers every integration may use without declaring them (hassfest's
    # ALLOWED_USED_COMPONENTS holds every entity platform).
    implicit = {
        "calendar", "event", "switch", "number", "remote", "sensor", "diagnostics", "onboarding", "persistent_notification"
    }
    # A component the integration has a platform file of (repairs.py) is allowed too.
    platforms = {path.stem for path in PACKAGE.glob("*.py")}
    assert used - implicit - platforms <= set(_manifest().get("dependencies", []))


def test_manifest_dhcp_matchers() -> None:
    """hassfest: MAC prefixes upper case with a wildcard, host names lower case."""
    matchers = _manifest()["dhcp"]
    for matcher in matchers:
        if "macaddress" in matcher:
            assert matcher["macaddress"] == matcher["macaddress"].upper() and matcher["macaddress"].endswith("*")
        if "hostname" in matcher:
            assert matcher["hostname"] == matcher["hostname"].lower()
    assert {"registered_devices": True} in matchers


def test_hacs_json() -> None:
    """HACS validates hacs.json with PREVENT_EXTRA: only the known keys."""
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert "name" in hacs
    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum.valid
    assert minimum <= AwesomeVersion(HA_VERSION), "the tests must run on the oldest supported version"
    # HACS: exactly one integration in custom_components/, named as its domain.
    folders = [path.name for path in (ROOT / "custom_components").iterdir() if path.is_dir() and path.name[0] != "_"]
    assert folders == [const.DOMAIN]
    assert (ROOT / "README.md").is_file()


def test_brand_icon() -> None:
    """HACS's brands check and HA 2026.3's local brand images: a square PNG icon."""
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        path = PACKAGE / "brand" / name
        assert path.is_file(), path
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG"
        width, height = struct.unpack(">II", head[16:24])
        assert (width, height) == (size, size), name


# --- translations ------------------------------------------------------------------------------


def test_translations_are_custom_integration_style() -> None:
    """No strings.json, and no `[%key:...]` references (a core build step resolves those)."""
    assert not (PACKAGE / "strings.json").exists()
    assert "[%key:" not in (PACKAGE / "translations" / "en.json").read_text()


def _const_value(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and isinstance(value := getattr(const, node.id, None), str):
        return value
    return None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _placeholders(node: ast.Call) -> set[str] | None:
    """The placeholder names a call passes, when they can be read from the code."""
    for keyword in node.keywords:
        if keyword.arg == "translation_placeholders" and isinstance(keyword.value, ast.Dict):
            return {_const_value(key) for key in keyword.value.keys if key is not None}  # type: ignore[misc]
    return None


def _translation_uses() -> list[tuple[str, str, str, set[str] | None]]:
    """(module, category path, key, placeholders) for every translation key the code names."""
    uses = []
    for module in MODULES:
        if module.name == "config_flow.py":
            continue  # its strings (config.*) belong to the config flow's own tests
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            if name in ("_validation_error", "_async_translated") and node.args:
                key = _const_value(node.args[0])
                assert key is not None
                uses.append((module.name, "exceptions", key, {k.arg for k in node.keywords if k.arg}))
                continue
            for keyword in node.keywords:
                if keyword.arg != "translation_key":
                    continue
                # `A if ... else B` names two keys.
                value = keyword.value
                keys = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                for key in filter(None, map(_const_value, keys)):
                    if name.endswith("EntityDescription"):
                        uses.append((module.name, f"entity.{module.stem}", key, None))
                    elif name == "async_create_issue":
                        uses.append((module.name, "issues", key, _placeholders(node)))
                    else:
                        assert name in EXCEPTION_TYPES, f"{module.name}: translation_key in a call to {name}"
                        uses.append((module.name, "exceptions", key, _placeholders(node)))
    return uses


def _lookup(path: str) -> dict[str, Any]:
    section: dict[str, Any] = _strings()
    for part in path.split("."):
        section = section.get(part, {})
    return section


def test_every_translation_key_in_the_code_exists() -> None:
    """Entities, exceptions and repair issues: every key is translated, with matching placeholders."""
    uses = _translation_uses()
    assert {category for _, category, _, _ in uses} >= {
        "entity.switch", "entity.number", "entity.sensor", "exceptions", "issues",
    }
    for module, category, key, placeholders in uses:
        entry = _lookup(category).get(key)
        assert entry is not None, f"{module}: {category}.{key} missing from translations/en.json"
        if category == "exceptions":
            text = entry["message"]
        elif category == "issues":
            # A fixable issue has a fix flow (which passes its own placeholders) instead.
            assert "description" in entry or "fix_flow" in entry, f"{module}: {category}.{key}"
            text = entry["title"] + entry.get("description", "")
        else:
            assert entry["name"], f"{category}.{key}"
            continue
        if placeholders is not None:
            assert set(PLACEHOLDER.findall(text)) <= placeholders, f"{module}: {category}.{key} placeholders"


def test_no_translation_is_left_over() -> None:
    """Every entity, exception and issue string is used by the code."""
    uses = _translation_uses()
    used = {(category, key) for _, category, key, _ in uses}
    for platform, entities in _strings()["entity"].items():
        for key in entities:
            assert (f"entity.{platform}", key) in used, f"entity.{platform}.{key} is unused"
    for category in ("exceptions", "issues"):
        for key in _strings()[category]:
            assert (category, key) in used, f"{category}.{key} is unused"


def test_countdown_attribute_states_are_translated() -> None:
    """The sensor's `action` attribute takes the action constants."""
    states = _strings()["entity"]["sensor"]["countdown"]["state_attributes"]["action"]["state"]
    assert set(states) == {const.ACTION_ON, const.ACTION_OFF}


# --- services ----------------------------------------------------------------------------------


def _schema_fields(schema: dict[vol.Marker, Any]) -> dict[str, bool]:
    return {str(marker.schema): isinstance(marker, vol.Required) for marker in schema}


def test_services_yaml_matches_the_code() -> None:
    """Each registered service is described, targets our switches, with the schema's fields."""
    described = _services_yaml()
    registered = {name: schema for name, schema, _, _ in SERVICES}
    assert set(described) == set(registered)
    for name, schema in registered.items():
        service = described[name] or {}
        assert service["target"] == {"entity": {"integration": const.DOMAIN, "domain": "switch"}}, name
        fields = service.get("fields", {})
        assert set(fields) == set(_schema_fields(schema)), name
        for field, required in _schema_fields(schema).items():
            assert bool(fields[field].get("required", False)) == required, f"{name}.{field}"
            assert "selector" in fields[field], f"{name}.{field}"


def test_services_are_translated() -> None:
    """Name and description of every service and field; every select option too."""
    strings = _strings()
    for name, service in _services_yaml().items():
        text = strings["services"][name]
        assert text["name"] and text["description"], name
        for field, spec in (service or {}).get("fields", {}).items():
            field_text = text["fields"][field]
            assert field_text["name"] and field_text["description"], f"{name}.{field}"
            select = (spec.get("selector") or {}).get("select")
            if select is not None:
                assert "translation_key" in select, f"{name}.{field}"
                options = strings["selector"][select["translation_key"]]["options"]
                assert set(options) == set(select["options"]), f"{name}.{field}"
        assert set(text.get("fields", {})) == set((service or {}).get("fields", {})), name
    assert set(strings["services"]) == set(_services_yaml())


# --- icons.json --------------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["entity", "services"])
def test_icons_match_entities_and_services(section: str) -> None:
    """An icon for every translated entity and every service, and none for anything else."""
    icons = _icons()[section]
    if section == "services":
        assert set(icons) == set(_services_yaml())
        assert all(icon["service"].startswith("mdi:") for icon in icons.values())
        return
    entities = {(platform, key) for platform, keys in _strings()["entity"].items() for key in keys}
    assert {(platform, key) for platform, keys in icons.items() for key in keys} == entities
    for keys in icons.values():
        for icon in keys.values():
            assert icon["default"].startswith("mdi:")
            assert all(value.startswith("mdi:") for value in icon.get("state", {}).values())
