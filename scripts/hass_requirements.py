"""Print the requirements of the components a harness-started Home Assistant loads, one per line.

`python -m homeassistant --skip-pip` (scripts/hass_harness.py) installs nothing, so the venv must
already hold what every loaded component needs: the ones the harness's configuration.yaml names,
the ones Home Assistant's bootstrap loads on its own (the `*_INTEGRATIONS` sets: core, logging,
frontend, recorder, default, ...), this integration's dependencies, and all their dependencies
and after-dependencies. Without them Home Assistant 2026.x logs missing packages (hassil,
aiohasupervisor, ...) and its frontend stays on "Loading…". Run it with the venv's python.
"""

from __future__ import annotations

import json
from pathlib import Path
import sys

from homeassistant import bootstrap
import homeassistant.components

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.hass_harness import DOMAIN, HassConfig  # noqa: E402

COMPONENTS = Path(homeassistant.components.__path__[0])


def _manifest(domain: str) -> dict[str, object] | None:
    path = COMPONENTS / domain / "manifest.json"
    if domain == DOMAIN:
        path = ROOT / "custom_components" / DOMAIN / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def _bootstrap_domains() -> set[str]:
    domains: set[str] = set()
    for name in dir(bootstrap):
        value = getattr(bootstrap, name)
        if name.endswith("_INTEGRATIONS") and isinstance(value, set | frozenset):
            domains |= {domain for domain in value if isinstance(domain, str)}
    return domains


def requirements() -> list[str]:
    """The requirements of every component the harness's Home Assistant may load."""
    configured = HassConfig(config_dir=Path("."), http_port=0, udp_port=0).configuration()
    todo = _bootstrap_domains() | set(configured) | {DOMAIN}
    seen: set[str] = set()
    found: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = _manifest(domain)
        if manifest is None:
            continue
        found.update(str(r) for r in manifest.get("requirements", []))  # type: ignore[attr-defined]
        for key in ("dependencies", "after_dependencies"):
            todo.update(str(d) for d in manifest.get(key, []))  # type: ignore[attr-defined]
    return sorted(found)


if __name__ == "__main__":
    print("\n".join(requirements()))
