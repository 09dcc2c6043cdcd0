"""The UI in ten languages: every translation file mirrors translations/en.json.

Each language file must have exactly en.json's keys in en.json's shape, the same placeholders and
Markdown in every string, the product names and figures kept, and nothing left in English except
a short list of strings that read the same in that language. Keys the integration adds later
(calendar, next-switch sensor, event entity) fail here until every language has them. Home
Assistant itself is asked for the strings, so a file it cannot find or read fails too.
"""

from __future__ import annotations

from functools import cache
import json
from pathlib import Path
import re
import string
from typing import Any

import pytest

from custom_components.orvibo_s20.const import DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "orvibo_s20" / "translations"

# Home Assistant's language codes (BCP 47, as its frontend names them): simplified Chinese is
# zh-Hans, Portuguese (Portugal) pt; en.json is the source the others follow.
LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh-Hans")

# Strings that read the same in every language: the product, a placeholder pair, security modes.
SAME_EVERYWHERE = frozenset({
    "config.flow_title",
    "config.step.user.title",
    "config.step.wifi_smartlink.title",
    "selector.security.options.wpa2psk_aes",
    "selector.security.options.wpa2psk_tkip",
    "selector.security.options.wpapsk_aes",
    "selector.security.options.wpapsk_tkip",
})
# Words that language takes from English, as Home Assistant's own translations use them.
_HOST = frozenset({"config.step.connect.data.host", "config.step.reconfigure.data.host"})
SAME_AS_ENGLISH: dict[str, frozenset[str]] = {
    "de": _HOST | {
        "config.step.wifi_ap.data.name",
        "config.step.wifi_smartlink.data.name",
        "services.rename.fields.name.name",
        "entity.sensor.countdown.name",
    },
    "es": _HOST,
    "fr": frozenset({
        "entity.sensor.countdown.state_attributes.action.name",
        "entity.sensor.next_switch.state_attributes.action.name",
        "entity.event.switched.state_attributes.action.name",
        "services.start_countdown.fields.action.name",
        "services.add_timer.fields.action.name",
        "services.add_timer.fields.date.name",
    }),
    "it": _HOST,
    "nl": _HOST,
    "pl": _HOST,
    "pt": frozenset(),
    "ru": frozenset(),
    "zh-Hans": frozenset(),
}

# Names that stay as they are in every language (a hyphenated compound such as German
# "Home-Assistant-Host" keeps the name too).
PRODUCT_NAMES = ("Orvibo", "S20", "SmartLink", "Home Assistant", "WPA-Enterprise", "WPA2-PSK", "ASCII", "UDP")
DIGITS = re.compile(r"\d+")


@cache
def _load(language: str) -> dict[str, Any]:
    return dict(json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")))


def _flat(node: dict[str, Any], path: str = "") -> dict[str, Any]:
    """Every leaf by its dotted path, in file order."""
    leaves: dict[str, Any] = {}
    for key, value in node.items():
        if isinstance(value, dict):
            leaves.update(_flat(value, f"{path}{key}."))
        else:
            leaves[f"{path}{key}"] = value
    return leaves


def _shape(node: Any) -> Any:
    """The nesting with the leaves blanked out: keys, their order and which are objects."""
    return {key: _shape(value) for key, value in node.items()} if isinstance(node, dict) else None


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _markdown(text: str) -> tuple[int, int, int]:
    """Code spans, bold markers and line breaks: what must survive translation."""
    return text.count("`"), text.count("**"), text.count("\n")


def _numbers(text: str) -> set[str]:
    # Placeholders are compared on their own; "2.4" and "2,4" both give 2 and 4.
    return set(DIGITS.findall(re.sub(r"{\w*}", "", text)))


def _english() -> dict[str, Any]:
    return _flat(_load("en"))


def test_the_ui_speaks_exactly_these_ten_languages() -> None:
    assert sorted(path.name for path in TRANSLATIONS.iterdir()) == sorted(
        f"{language}.json" for language in ("en", *LANGUAGES)
    )
    assert set(SAME_AS_ENGLISH) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_english_key_and_no_other(language: str) -> None:
    english, translated = _english(), _flat(_load(language))
    assert [key for key in english if key not in translated] == [], "missing"
    assert [key for key in translated if key not in english] == [], "not in en.json"
    assert _shape(_load(language)) == _shape(_load("en"))
    assert all(isinstance(text, str) for text in translated.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_markdown_names_and_figures_kept(language: str) -> None:
    translated = _flat(_load(language))
    for key, english in _english().items():
        text = translated[key]
        assert _placeholders(text) == _placeholders(english), f"{language} {key}: placeholders"
        assert _markdown(text) == _markdown(english), f"{language} {key}: Markdown"
        for name in PRODUCT_NAMES:
            if name in english:
                assert name in text.replace("-", " ") or name in text, f"{language} {key}: {name}"
        assert _numbers(text) == _numbers(english), f"{language} {key}: figures"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language: str) -> None:
    """No string empty or left in English, except the listed ones, which must still read the same
    (so the list cannot outlive a string it names)."""
    translated = _flat(_load(language))
    expected_same = SAME_EVERYWHERE | SAME_AS_ENGLISH[language]
    same: set[str] = set()
    for key, english in _english().items():
        assert translated[key].strip(), f"{language} {key}: empty"
        if translated[key] == english:
            same.add(key)
    assert same - expected_same == set(), f"{language}: left in English"
    assert expected_same - same == set(), f"{language}: listed as English but translated"


# Strings a user meets first: the add-a-socket step, and the entities' names.
SAMPLES = [
    ("config", "config.step.connect.title"),
    ("config", "config.error.cannot_connect"),
    ("entity", "entity.switch.auto_off.name"),
    ("services", "services.add_timer.name"),
]


@pytest.mark.parametrize("language", ["de", "zh-Hans"])
async def test_home_assistant_serves_the_translations(hass: HomeAssistant, language: str) -> None:
    """Home Assistant's own loader finds the file of a custom integration by its language code and
    serves every string of a category as written, none falling back to English."""
    translated = _flat(_load(language))
    for category, key in SAMPLES:
        served = await async_get_translations(hass, language, category, {DOMAIN})
        ours = {path: text for path, text in translated.items() if path.split(".")[0] == category}
        assert {path.removeprefix(f"component.{DOMAIN}."): text for path, text in served.items()} == ours
        assert served[f"component.{DOMAIN}.{key}"] != _english()[key]
