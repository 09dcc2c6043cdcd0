"""hassfest's checks of translations/en.json, services.yaml and icons.json, run offline.

hassfest (the action in the repository's validate workflow) cannot run in this sandbox, so its
schemas are replicated here from home-assistant/core `script/hassfest/`: `translations.py`
(the strings schema and its value and key validators), `services.py` (services.yaml through Home
Assistant's own selector and target schemas) and `icons.py` (the icon schema), taking Home
Assistant's pieces (config_validation, selector, service, icon helpers) from the installed
release. The custom-integration branch of each is used, as hassfest does for this repository.
Each replicated validator is also shown to reject what hassfest rejects, so a check that passes
is a check that could have failed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
import json
from pathlib import Path
import re
import string
from typing import Any

import pytest
import voluptuous as vol
from voluptuous.humanize import humanize_error

from homeassistant.const import CONF_SELECTOR
from homeassistant.helpers import config_validation as cv, selector, service
from homeassistant.helpers.icon import convert_shorthand_service_icon
from homeassistant.util.yaml import load_yaml_dict

PACKAGE = Path(__file__).parents[2] / "custom_components" / "orvibo_s20"

type Validator = Callable[[Any], Any]

# Conditions and triggers (absent here) are keyed by cv.underscore_slug, new in 2025.10; the
# oldest leg's Home Assistant has only cv.slug, which accepts the same keys but no leading "_".
_underscore_slug: Validator = getattr(cv, "underscore_slug", cv.slug)


@cache
def _manifest() -> dict[str, Any]:
    return dict(json.loads((PACKAGE / "manifest.json").read_text()))


# --- translations.py ---------------------------------------------------------------------------

RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)


def translation_key_validator(value: str) -> str:
    """A key of HA's pattern: [a-z0-9-_]+, no leading, trailing or doubled - or _."""
    if RE_TRANSLATION_KEY.match(value) is None:
        raise vol.Invalid(
            f"Invalid translation key '{value}', need to be [a-z0-9-_]+ and"
            " cannot start or end with a hyphen or underscore."
        )
    return value


def validate_placeholders(value: str, allow_placeholders: bool) -> str:
    """Placeholders are identifiers, and only where placeholders are allowed."""
    for _, field_name, _, _ in string.Formatter().parse(value):
        if field_name:
            if not allow_placeholders:
                raise vol.Invalid("placeholders are not supported in this value")
            if not field_name.isidentifier():
                raise vol.Invalid("placeholders must be valid identifiers ([a-zA-Z_][a-zA-Z0-9_]*)")
    return value


def validate_translation_value(value: Any, allow_placeholders: bool = True) -> str:
    """No HTML, no '{quoted}' placeholder, valid placeholders, no combined references, no
    leading or trailing spaces, no URLs."""
    string_value: str = cv.string_with_no_html(value)
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(string_value):
        raise vol.Invalid("the string should not contain placeholders inside single quotes")
    string_value = validate_placeholders(string_value, allow_placeholders)
    if RE_COMBINED_REFERENCE.search(string_value):
        raise vol.Invalid("the string should not contain combined translations")
    if string_value != string_value.strip():
        raise vol.Invalid("the string should not contain leading or trailing spaces")
    if RE_URL.search(string_value):
        raise vol.Invalid("the string should not contain URLs, please use description placeholders instead")
    return string_value


translation_value_validator: Validator = validate_translation_value
no_placeholders: Validator = partial(validate_translation_value, allow_placeholders=False)


def gen_data_entry_schema(*, subentry_flow: bool = False) -> vol.All:
    """A config (or options) flow's strings; `title` under config is hassfest's REMOVED title,
    only a warning for a custom integration."""
    schema: dict[Any, Any] = {
        vol.Optional("flow_title"): translation_value_validator,
        vol.Required("step"): {
            str: {
                vol.Optional("title"): translation_value_validator,
                vol.Optional("description"): translation_value_validator,
                vol.Optional("data"): {str: translation_value_validator},
                vol.Optional("data_description"): {str: translation_value_validator},
                vol.Optional("menu_options"): {str: translation_value_validator},
                vol.Optional("menu_option_descriptions"): {str: translation_value_validator},
                vol.Optional("submit"): translation_value_validator,
                vol.Optional("sections"): {
                    str: {
                        vol.Optional("data"): {str: translation_value_validator},
                        vol.Optional("data_description"): {str: translation_value_validator},
                        vol.Optional("description"): translation_value_validator,
                        vol.Optional("name"): translation_value_validator,
                    },
                },
            }
        },
        vol.Optional("error"): {str: translation_value_validator},
        vol.Optional("abort"): {str: translation_value_validator},
        vol.Optional("progress"): {str: translation_value_validator},
        vol.Optional("create_entry"): {str: translation_value_validator},
    }
    if subentry_flow:
        schema[vol.Required("entry_type")] = translation_value_validator
        schema[vol.Required("initiate_flow")] = {
            vol.Required("user"): translation_value_validator,
            str: translation_value_validator,
        }
    else:
        schema[vol.Optional("initiate_flow")] = {vol.Required("user"): translation_value_validator}

    def data_description_validator(value: dict[str, Any]) -> dict[str, Any]:
        for step_info in value["step"].values():
            for key in step_info.get("data_description", {}):
                if key not in step_info["data"]:
                    raise vol.Invalid(f"data_description key {key} is not in data")
        return value

    return vol.All(vol.Schema(schema), data_description_validator)


def _issues_schema() -> dict[Any, Any]:
    return {
        str: vol.All(
            cv.has_at_least_one_key("description", "fix_flow"),
            vol.Schema(
                {
                    vol.Required("title"): translation_value_validator,
                    vol.Exclusive("description", "fixable"): translation_value_validator,
                    vol.Exclusive("fix_flow", "fixable"): gen_data_entry_schema(),
                }
            ),
        )
    }


def _fields_schema() -> Validator:
    return cv.schema_with_slug_keys(
        {
            vol.Required("name"): str,
            vol.Required("description"): translation_value_validator,
            vol.Optional("example"): translation_value_validator,
        },
        slug_validator=translation_key_validator,
    )


def gen_strings_schema() -> vol.Schema:
    """hassfest's strings schema (what it applies to a custom integration's translations/en.json)."""
    state_schema = cv.schema_with_slug_keys(no_placeholders, slug_validator=translation_key_validator)
    return vol.Schema(
        {
            vol.Optional("title"): translation_value_validator,
            vol.Optional("config"): gen_data_entry_schema(),
            vol.Optional("config_subentries"): cv.schema_with_slug_keys(
                gen_data_entry_schema(subentry_flow=True), slug_validator=vol.Any("_", cv.slug)
            ),
            vol.Optional("options"): gen_data_entry_schema(),
            vol.Optional("preview_features"): cv.schema_with_slug_keys(
                {
                    vol.Required("name"): translation_value_validator,
                    vol.Required("description"): translation_value_validator,
                    vol.Optional("enable_confirmation"): translation_value_validator,
                    vol.Optional("disable_confirmation"): translation_value_validator,
                },
                slug_validator=translation_key_validator,
            ),
            vol.Optional("selector"): cv.schema_with_slug_keys(
                {
                    vol.Optional("choices"): cv.schema_with_slug_keys(
                        translation_value_validator, slug_validator=translation_key_validator
                    ),
                    vol.Optional("options"): cv.schema_with_slug_keys(
                        translation_value_validator, slug_validator=translation_key_validator
                    ),
                    vol.Optional("unit_of_measurement"): cv.schema_with_slug_keys(
                        translation_value_validator, slug_validator=translation_key_validator
                    ),
                    vol.Optional("fields"): vol.Any(
                        cv.schema_with_slug_keys(str),
                        cv.schema_with_slug_keys(
                            {vol.Required("name"): str, vol.Required("description"): translation_value_validator},
                            slug_validator=translation_key_validator,
                        ),
                    ),
                },
                slug_validator=vol.Any("_", cv.slug),
            ),
            vol.Optional("device_automation"): {
                vol.Optional(key): {str: translation_value_validator}
                for key in (
                    "action_type", "condition_type", "trigger_type", "trigger_subtype", "extra_fields",
                    "extra_fields_descriptions",
                )
            },
            vol.Optional("system_health"): {
                vol.Optional("info"): cv.schema_with_slug_keys(
                    translation_value_validator, slug_validator=translation_key_validator
                ),
            },
            vol.Optional("config_panel"): vol.Schema(
                vol.Any({vol.Any(translation_key_validator, "_"): vol.Self}, translation_value_validator)
            ),
            vol.Optional("application_credentials"): {vol.Optional("description"): translation_value_validator},
            vol.Optional("issues"): _issues_schema(),
            vol.Optional("entity_component"): cv.schema_with_slug_keys(
                {
                    vol.Optional("name"): str,
                    vol.Optional("state"): state_schema,
                    vol.Optional("state_attributes"): cv.schema_with_slug_keys(
                        {vol.Optional("name"): str, vol.Optional("state"): state_schema},
                        slug_validator=translation_key_validator,
                    ),
                },
                slug_validator=vol.Any("_", cv.slug),
            ),
            vol.Optional("device"): cv.schema_with_slug_keys(
                {vol.Optional("name"): translation_value_validator}, slug_validator=translation_key_validator
            ),
            vol.Optional("entity"): cv.schema_with_slug_keys(
                cv.schema_with_slug_keys(
                    {
                        vol.Optional("name"): translation_value_validator,
                        vol.Optional("state"): state_schema,
                        vol.Optional("state_attributes"): cv.schema_with_slug_keys(
                            {vol.Optional("name"): no_placeholders, vol.Optional("state"): state_schema},
                            slug_validator=translation_key_validator,
                        ),
                        vol.Optional("unit_of_measurement"): no_placeholders,
                    },
                    slug_validator=translation_key_validator,
                ),
                slug_validator=cv.slug,
            ),
            vol.Optional("exceptions"): cv.schema_with_slug_keys(
                {vol.Optional("message"): translation_value_validator}, slug_validator=cv.slug
            ),
            vol.Optional("services"): cv.schema_with_slug_keys(
                {
                    vol.Required("name"): translation_value_validator,
                    vol.Required("description"): translation_value_validator,
                    vol.Optional("fields"): _fields_schema(),
                    vol.Optional("sections"): cv.schema_with_slug_keys(
                        {vol.Required("name"): str, vol.Optional("description"): translation_value_validator},
                        slug_validator=translation_key_validator,
                    ),
                },
                slug_validator=translation_key_validator,
            ),
            vol.Optional("conditions"): cv.schema_with_slug_keys(
                {
                    vol.Required("name"): translation_value_validator,
                    vol.Required("description"): translation_value_validator,
                    vol.Optional("fields"): _fields_schema(),
                },
                slug_validator=_underscore_slug,
            ),
            vol.Optional("triggers"): cv.schema_with_slug_keys(
                {
                    vol.Required("name"): translation_value_validator,
                    vol.Required("description"): translation_value_validator,
                    vol.Optional("fields"): _fields_schema(),
                },
                slug_validator=_underscore_slug,
            ),
            vol.Optional("conversation"): {vol.Required("agent"): {vol.Required("done"): translation_value_validator}},
            vol.Optional("common"): vol.Schema({cv.slug: translation_value_validator}),
        }
    )


# hassfest checks en.json; the other languages are held to the same rules, as Home Assistant
# shows them the same way.
LANGUAGES = sorted(path.stem for path in (PACKAGE / "translations").glob("*.json"))


def _strings(language: str = "en") -> dict[str, Any]:
    return dict(json.loads((PACKAGE / "translations" / f"{language}.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_pass_hassfests_strings_schema(language: str) -> None:
    """translations/<language>.json: every value, key and placeholder as hassfest wants them."""
    strings = _strings(language)
    try:
        gen_strings_schema()(strings)
    except vol.Invalid as err:
        pytest.fail(f"Invalid translations/{language}.json: {humanize_error(strings, err)}")


def _all_strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _all_strings(value, f"{path}.{key}".lstrip("."))]
    return [(path, node)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_string_is_clean(language: str) -> None:
    """The same rules over every string of the file, wherever the schema lets a value be `str`
    (field names, the entity component's names): no URL, no edge spaces, identifier placeholders."""
    for path, text in _all_strings(_strings(language)):
        assert isinstance(text, str), path
        try:
            validate_translation_value(text)
        except vol.Invalid as err:
            pytest.fail(f"{path}: {err}")
        for key in path.split("."):
            # Step ids, field names and error codes are Home Assistant keys too (cv.slug or wider).
            assert re.fullmatch(r"[a-z0-9_]+", key), f"{path}: key {key!r}"


@pytest.mark.parametrize(
    ("value", "allow_placeholders"),
    [
        ("See https://example.com/help", True),
        ("Look at www.example.org first", True),
        (" leading space", True),
        ("trailing space ", True),
        ("A {bad-name} placeholder", True),
        ("A {0} positional placeholder", True),
        ("Quoted '{host}' placeholder", True),
        ("<b>bold</b>", True),
        ("Combined [%key:common::x%] text", True),
        ("{state} in a state", False),
    ],
)
def test_translation_validator_rejects_what_hassfest_rejects(value: str, allow_placeholders: bool) -> None:
    with pytest.raises(vol.Invalid):
        validate_translation_value(value, allow_placeholders)


@pytest.mark.parametrize("key", ["Upper", "_lead", "trail_", "dou__ble", "dot.ted", "spa ce", "-dash"])
def test_translation_key_validator_rejects_bad_keys(key: str) -> None:
    with pytest.raises(vol.Invalid):
        translation_key_validator(key)


def test_strings_schema_rejects_a_data_description_without_data() -> None:
    strings = _strings()
    strings["config"]["step"]["connect"]["data_description"]["nonexistent"] = "A field that is not asked."
    with pytest.raises(vol.Invalid, match="data_description key nonexistent"):
        gen_strings_schema()(strings)


# --- services.py -------------------------------------------------------------------------------


def exists(value: Any) -> Any:
    if value is None:
        raise vol.Invalid("Value cannot be None")
    return value


def unique_field_validator(fields: Any) -> Any:
    """No field name twice, sections included."""
    all_fields: set[str] = set()
    for key, value in fields.items():
        for name in value["fields"] if value and "fields" in value else [key]:
            if name in all_fields:
                raise vol.Invalid(f"Duplicate use of field {name} in service.")
            all_fields.add(name)
    return fields


CUSTOM_INTEGRATION_EXTRA_SCHEMA_DICT = {vol.Optional("description"): str, vol.Optional("name"): str}
NOT_TARGETED_FIELD_SCHEMA = vol.Schema(
    {
        vol.Optional("example"): exists,
        vol.Optional("default"): exists,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional(CONF_SELECTOR): selector.validate_selector,
    }
).extend(CUSTOM_INTEGRATION_EXTRA_SCHEMA_DICT)
TARGETED_FIELD_SCHEMA = NOT_TARGETED_FIELD_SCHEMA.extend(
    {
        # Filters only make sense with a target.
        vol.Optional("filter"): {
            vol.Exclusive("attribute", "field_filter"): {
                vol.Required(str): [vol.All(str, service.validate_attribute_option)],
            },
            vol.Exclusive("supported_features", "field_filter"): [vol.All(str, service.validate_supported_feature)],
        }
    }
)


def _service_schema(targeted: bool) -> vol.Schema:
    field_schema = TARGETED_FIELD_SCHEMA if targeted else NOT_TARGETED_FIELD_SCHEMA
    section_schema = vol.Schema(
        {vol.Optional("collapsed"): bool, vol.Required("fields"): vol.Schema({str: field_schema})}
    ).extend(CUSTOM_INTEGRATION_EXTRA_SCHEMA_DICT)
    schema: dict[Any, Any] = (
        {vol.Required("target"): vol.Any(selector.TargetSelector.CONFIG_SCHEMA, None)} if targeted else {}
    )
    schema[vol.Optional("fields")] = vol.All(
        vol.Schema({str: vol.Any(field_schema, section_schema)}), unique_field_validator
    )
    return vol.Schema(schema).extend(CUSTOM_INTEGRATION_EXTRA_SCHEMA_DICT)


CUSTOM_INTEGRATION_SERVICES_SCHEMA = vol.Schema(
    {cv.slug: vol.Any(_service_schema(targeted=True), _service_schema(targeted=False), None)}
)


def _services() -> dict[str, Any]:
    # Home Assistant's own YAML loader, as hassfest and the running integration use.
    return dict(load_yaml_dict(str(PACKAGE / "services.yaml")))


def test_services_yaml_passes_hassfests_schema() -> None:
    """Every selector, target and field through Home Assistant's own schemas."""
    data = _services()
    try:
        services = CUSTOM_INTEGRATION_SERVICES_SCHEMA(data)
    except vol.Invalid as err:
        pytest.fail(f"Invalid services.yaml: {humanize_error(data, err)}")
    strings, icons = _strings(), _icons()
    for name, schema in services.items():
        # hassfest asks core integrations (not custom ones) for these; they cost nothing here.
        assert name in icons["services"], f"Service {name} has no icon in icons.json"
        assert "name" in strings["services"][name] and "description" in strings["services"][name], name
        for field, field_schema in (schema or {}).get("fields", {}).items():
            assert {"name", "description"} <= set(strings["services"][name]["fields"][field]), f"{name}.{field}"
            if (key := field_schema.get("selector", {}).get("select", {}).get("translation_key")) is not None:
                assert key in strings["selector"], f"{name}.{field}: selector translation key {key}"


@pytest.mark.parametrize(
    "broken",
    [
        {"rename": {"target": {"entity": {"domain": "switch"}}, "fields": {"name": {"selector": {"nonsense": None}}}}},
        {"rename": {"fields": {"id": {"selector": {"number": {"mode": "dial"}}}}}},
        {"rename": {"target": {"entity": {"domain": "switch"}}, "fields": {"name": {"example": None}}}},
        {"rename": {"target": {"device": {"integration": 5}}}},
        {"Rename": None},
        {"rename": {"fields": {"a": {"fields": {"b": {}}}, "b": {}}}},
    ],
)
def test_services_schema_rejects_what_hassfest_rejects(broken: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        CUSTOM_INTEGRATION_SERVICES_SCHEMA(broken)


# --- icons.py ----------------------------------------------------------------------------------


def icon_value_validator(value: Any) -> str:
    value = cv.string_with_no_html(value)
    if not value.startswith("mdi:"):
        raise vol.Invalid("The icon needs to be a valid icon from Material Design Icons and start with `mdi:`")
    return str(value)


def range_key_validator(value: str) -> str:
    try:
        float(value)
    except (TypeError, ValueError) as err:
        raise vol.Invalid(f"Invalid range key '{value}', needs to be numeric.") from err
    return value


def require_default_icon_validator(value: dict[str, Any]) -> dict[str, Any]:
    if "_" not in value:
        raise vol.Invalid("An entity component needs to have a default icon defined with `_`")
    return value


def ensure_not_same_as_default(value: dict[str, Any]) -> dict[str, Any]:
    for translation_key, section in value.items():
        if (default := section.get("default")) and (states := section.get("state")):
            for state, icon in states.items():
                if icon == default:
                    raise vol.Invalid(
                        f"The icon for state `{translation_key}.{state}` is the same as the default icon"
                        " and thus can be removed"
                    )
    return value


def ensure_range_is_sorted(value: dict[str, Any]) -> dict[str, Any]:
    for section_key, section in value.items():
        if ranges := section.get("range"):
            try:
                range_values = [float(key) for key in ranges]
            except ValueError as err:
                raise vol.Invalid(f"Range values for `{section_key}` must be numeric") from err
            if range_values != sorted(range_values):
                raise vol.Invalid(f"Range values for `{section_key}` must be in ascending order")
    return value


DATA_ENTRY_ICONS_SCHEMA = vol.Schema({"step": {str: {"sections": {str: icon_value_validator}}}})
# A custom integration may still give a service's icon as a bare string (Home Assistant's own
# helper turns it into {"service": ...}); core integrations may not.
CUSTOM_INTEGRATION_SERVICE_ICONS_SCHEMA = cv.schema_with_slug_keys(
    vol.All(
        convert_shorthand_service_icon,
        vol.Schema(
            {
                vol.Optional("service"): icon_value_validator,
                vol.Optional("sections"): cv.schema_with_slug_keys(
                    icon_value_validator, slug_validator=translation_key_validator
                ),
            }
        ),
    ),
    slug_validator=translation_key_validator,
)
CONDITION_ICONS_SCHEMA = cv.schema_with_slug_keys(
    vol.Schema({vol.Optional("condition"): icon_value_validator}), slug_validator=_underscore_slug
)
TRIGGER_ICONS_SCHEMA = cv.schema_with_slug_keys(
    vol.Schema({vol.Optional("trigger"): icon_value_validator}), slug_validator=_underscore_slug
)


def icon_schema(integration_type: str, no_entity_platform: bool = False) -> vol.Schema:
    """hassfest's icon schema for a custom integration of this type."""
    state_validator = cv.schema_with_slug_keys(icon_value_validator, slug_validator=translation_key_validator)
    range_validator = cv.schema_with_slug_keys(icon_value_validator, slug_validator=range_key_validator)

    def icon_schema_slug(marker: type[vol.Marker]) -> dict[vol.Marker, Any]:
        return {
            marker("default"): icon_value_validator,
            vol.Optional("state"): state_validator,
            vol.Optional("range"): range_validator,
            vol.Optional("state_attributes"): vol.All(
                cv.schema_with_slug_keys(
                    {
                        marker("default"): icon_value_validator,
                        vol.Optional("state"): state_validator,
                        vol.Optional("range"): range_validator,
                    },
                    slug_validator=translation_key_validator,
                ),
                ensure_not_same_as_default,
                ensure_range_is_sorted,
            ),
        }

    schema = vol.Schema(
        {
            vol.Optional("conditions"): CONDITION_ICONS_SCHEMA,
            vol.Optional("config"): DATA_ENTRY_ICONS_SCHEMA,
            vol.Optional("issues"): vol.Schema({str: {"fix_flow": DATA_ENTRY_ICONS_SCHEMA}}),
            vol.Optional("options"): DATA_ENTRY_ICONS_SCHEMA,
            vol.Optional("services"): CUSTOM_INTEGRATION_SERVICE_ICONS_SCHEMA,
            vol.Optional("triggers"): TRIGGER_ICONS_SCHEMA,
        }
    )
    if integration_type in ("entity", "helper", "system"):
        field = (
            vol.Optional("entity_component")
            if integration_type != "entity" or no_entity_platform
            else vol.Required("entity_component")
        )
        schema = schema.extend(
            {
                field: vol.All(
                    cv.schema_with_slug_keys(icon_schema_slug(vol.Required), slug_validator=vol.Any("_", cv.slug)),
                    require_default_icon_validator,
                    ensure_not_same_as_default,
                    ensure_range_is_sorted,
                )
            }
        )
    if integration_type not in ("entity", "system"):
        schema = schema.extend(
            {
                vol.Optional("entity"): vol.All(
                    cv.schema_with_slug_keys(
                        cv.schema_with_slug_keys(
                            icon_schema_slug(vol.Optional), slug_validator=translation_key_validator
                        ),
                        slug_validator=cv.slug,
                    ),
                    ensure_not_same_as_default,
                )
            }
        )
    return schema


def _icons() -> dict[str, Any]:
    return dict(json.loads((PACKAGE / "icons.json").read_text()))


def test_icons_json_passes_hassfests_schema() -> None:
    """icons.json through the icon schema of this integration's type (manifest: device)."""
    icons = _icons()
    try:
        icon_schema(_manifest()["integration_type"])(icons)
    except vol.Invalid as err:
        pytest.fail(f"Invalid icons.json: {humanize_error(icons, err)}")


@pytest.mark.parametrize(
    "broken",
    [
        {"entity": {"switch": {"locked": {"default": "lock"}}}},  # not mdi:
        # A state icon equal to its default (hassfest checks this for state attributes).
        {
            "entity": {
                "sensor": {
                    "countdown": {
                        "default": "mdi:timer-outline",
                        "state_attributes": {"action": {"default": "mdi:power", "state": {"on": "mdi:power"}}},
                    }
                }
            }
        },
        {"entity": {"switch": {"Locked": {"default": "mdi:lock"}}}},  # key pattern
        {"entity": {"sensor": {"countdown": {"default": "mdi:timer", "range": {"ten": "mdi:timer-10"}}}}},
        {"services": {"rename": {"service": "rename-box"}}},
        {"services": {"rename": {"icon": "mdi:rename-box"}}},
        {"entity_component": {"_": {"default": "mdi:power-socket"}}},  # a device integration has none
    ],
)
def test_icon_schema_rejects_what_hassfest_rejects(broken: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        icon_schema(_manifest()["integration_type"])(broken)
