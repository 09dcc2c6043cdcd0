"""The repository as GitHub and HACS see it: its workflows, its releases and its minimum Home Assistant.

The workflows need GitHub and cannot run here, so the suite checks them instead: their shape against
GitHub's workflow schema (check-jsonschema's vendored copy) and their security with zizmor, both offline.
CHANGELOG.md, manifest.json and the release check (scripts/release_check.py, what release.yml runs)
must agree, and hacs.json's minimum must be the release the oldest leg really runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.release_check import (
    CHANGE_KINDS,
    CHANGELOG,
    ChangelogError,
    manifest_version,
    parse_changelog,
    release_problems,
)

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
BIN = Path(sys.executable).parent
# An action pinned by commit, with the version (or the branch, for actions without releases) in a comment.
PINNED_USES = re.compile(r"uses: [\w.-]+/[\w.-]+(/[\w.-]+)*@[0-9a-f]{40} # \S+")


def _run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as True.
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _zizmor(target: Path) -> subprocess.CompletedProcess[str]:
    # --offline: no GitHub API (the suite runs without a network); --strict-collection: a workflow
    # zizmor cannot parse fails instead of being skipped with a warning.
    return _run(
        BIN / "zizmor", "--offline", "--strict-collection", "--persona", "pedantic",
        "--config", ZIZMOR_CONFIG, "--format", "json", "--no-progress", target,
    )


def _describe(finding: dict[str, Any]) -> str:
    where = finding["locations"][0]
    path = where["symbolic"]["key"]["Local"]["verbatim_path"]
    row = where["concrete"]["location"]["start_point"]["row"] + 1
    return f"{finding['ident']} ({finding['determinations']['severity']}) at {path}:{row}: {finding['desc']}"


# --- the workflows ---------------------------------------------------------------------------------


def test_the_three_workflows() -> None:
    assert sorted(path.name for path in WORKFLOWS.iterdir()) == ["release.yml", "tests.yml", "validate.yml"]


def test_workflows_match_githubs_schema() -> None:
    result = _run(sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                  *sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_malformed_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("name: Broken\non: push\njobs:\n  job:\n    runs_on: ubuntu-24.04\n    steps: []\n")
    result = _run(sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "runs_on" in result.stdout + result.stderr


def test_zizmor_finds_nothing_that_is_not_accepted() -> None:
    result = _zizmor(WORKFLOWS)
    findings = json.loads(result.stdout)
    described = [_describe(finding) for finding in findings]
    assert described == [], "\n".join(described)
    assert result.returncode == 0, result.stderr
    for path in WORKFLOWS.glob("*.yml"):
        assert f"completed {path}" in result.stderr, f"zizmor did not audit {path.name}"


def test_zizmor_flags_an_unsafe_workflow_offline(tmp_path: Path) -> None:
    """The audit works without a network, and the config's policy holds GitHub's own actions to a SHA too."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "unsafe.yml").write_text(
        "name: Unsafe\n"
        "on: pull_request\n"
        "jobs:\n"
        "  greet:\n"
        "    name: Greet\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - name: Check out\n"
        "        uses: actions/checkout@v7\n"
        "      - name: Greet the title\n"
        "        run: echo '${{ github.event.pull_request.title }}'\n"
    )
    result = _zizmor(workflows)
    assert result.returncode != 0
    found = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"artipacked", "excessive-permissions", "template-injection", "unpinned-uses"} <= found, found


def test_every_accepted_zizmor_finding_says_why() -> None:
    lines = ZIZMOR_CONFIG.read_text(encoding="utf-8").splitlines()
    config = yaml.safe_load("\n".join(lines))
    ignored = [entry for rule in config["rules"].values() for entry in rule.get("ignore", [])]
    for entry in ignored:
        (number,) = [n for n, line in enumerate(lines) if line.strip() == f"- {entry}" or f"- {entry} " in line]
        assert "#" in lines[number] or lines[number - 1].strip().startswith("#"), f"{entry}: no comment saying why"
        # Lines move when a workflow changes: an entry must still point at what its comment names.
        workflow, _, line = str(entry).partition(":")
        target = (WORKFLOWS / workflow).read_text(encoding="utf-8").splitlines()[int(line.split(":")[0]) - 1]
        named = lines[number].partition("#")[2].split()[0].rstrip(";:,")
        assert named.lower() in target.lower(), f"{entry} is {target.strip()!r}, not {named}"


def test_workflows_have_least_permissions_and_pinned_actions() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = _workflow(path.name)
        assert workflow["permissions"] == {}, f"{path.name}: top-level permissions must be {{}}"
        for name, job in workflow["jobs"].items():
            assert job["permissions"] == {"contents": "read"}, f"{path.name}: {name}"
            assert isinstance(job["timeout-minutes"], int), f"{path.name}: {name} has no timeout"
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                assert PINNED_USES.search(line), f"{path.name}: {line.strip()} is not pinned by SHA with its version"
        for step in _steps(workflow):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{path.name}: {step['name']}"


def test_validate_runs_hassfest_and_hacs_daily_and_on_every_change() -> None:
    workflow = _workflow("validate.yml")
    assert {"push", "pull_request", "schedule"} <= set(_triggers(workflow))
    uses = {step["uses"].split("@")[0]: step for step in _steps(workflow) if "uses" in step}
    assert "home-assistant/actions/hassfest" in uses
    assert uses["hacs/action"]["with"] == {"category": "integration"}


def test_tests_run_the_readme_command() -> None:
    workflow = _workflow("tests.yml")
    assert {"push", "pull_request"} <= set(_triggers(workflow))
    assert _steps(workflow)[-1]["run"] == "bash .ci/run"
    assert "exec bash scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_release_checks_the_published_tag() -> None:
    workflow = _workflow("release.yml")
    assert _triggers(workflow) == {"release": {"types": ["published"]}}
    (check,) = [step for step in _steps(workflow) if "run" in step]
    # The tag reaches the shell through the environment, never spliced into the script.
    assert check["env"] == {"TAG": "${{ github.event.release.tag_name }}"}
    assert check["run"] == 'python3 scripts/release_check.py "$TAG"'


# --- releases --------------------------------------------------------------------------------------


def test_manifest_version_is_the_newest_release() -> None:
    changelog = parse_changelog(CHANGELOG.read_text(encoding="utf-8"))
    assert changelog.newest.version == manifest_version()
    assert release_problems(manifest_version(), manifest_version(), changelog) == []
    for release in changelog.releases:
        assert release.kinds and set(release.kinds) <= set(CHANGE_KINDS)


def test_release_check_accepts_only_the_manifest_version() -> None:
    """What release.yml runs: the bare version passes; with a leading v, or another version, it fails."""
    version = manifest_version()
    passed = _run(sys.executable, ROOT / "scripts" / "release_check.py", version)
    assert passed.returncode == 0, passed.stderr
    with_v = _run(sys.executable, ROOT / "scripts" / "release_check.py", f"v{version}")
    assert with_v.returncode == 1
    assert "tags carry no leading 'v'" in with_v.stderr
    major, minor, patch = version.split(".")
    other = _run(sys.executable, ROOT / "scripts" / "release_check.py", f"{major}.{minor}.{int(patch) + 1}")
    assert other.returncode == 1
    assert "is not manifest.json's version" in other.stderr


_GOOD = """# Changelog

## [Unreleased]

### Fixed

- Something.

## [1.1.0] - 2026-12-20

### Added

- A feature.

## [1.0.0] - 2026-12-07

### Added

- Everything.

[Unreleased]: https://example.org/compare/1.1.0...HEAD
[1.1.0]: https://example.org/1.1.0
[1.0.0]: https://example.org/1.0.0
"""


def test_a_well_formed_changelog_parses() -> None:
    changelog = parse_changelog(_GOOD)
    assert [release.version for release in changelog.releases] == ["1.1.0", "1.0.0"]
    assert changelog.unreleased_kinds == ("Fixed",)
    assert release_problems("1.1.0", "1.1.0", changelog) == []
    assert release_problems("1.1.0", "1.0.0", changelog) == [
        "the tag '1.1.0' is not manifest.json's version '1.0.0'",
        "CHANGELOG.md's newest release is 1.1.0, manifest.json's version is 1.0.0",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("# Changelog", "# Change log", "title"),
        ("## [Unreleased]\n\n### Fixed\n\n- Something.\n\n", "", "first section must be"),
        ("2026-12-20", "2026-20-12", "not an ISO date"),
        ("2026-12-20", "20261220", "not an ISO date"),
        ("2026-12-20", "2026-12-01", "dated after"),
        ("## [1.1.0]", "## [0.9.0]", "not older than"),
        ("## [1.1.0]", "## [1.0.0]", "not older than"),
        ("## [1.1.0]", "## [v1.1.0]", "not MAJOR.MINOR.PATCH"),
        ("## [1.1.0] - 2026-12-20", "## 1.1.0 - 2026-12-20", "neither"),
        ("### Added\n\n- A feature.", "### New\n\n- A feature.", "not one of"),
        ("### Added\n\n- A feature.\n", "### Added\n\n", "lists no change"),
        ("[1.0.0]: https://example.org/1.0.0\n", "", "no link reference"),
    ],
)
def test_a_malformed_changelog_is_refused(old: str, new: str, message: str) -> None:
    assert old in _GOOD
    with pytest.raises(ChangelogError, match=message):
        parse_changelog(_GOOD.replace(old, new, 1))


# --- the minimum Home Assistant ----------------------------------------------------------------------


def _bootstrap(expression: str) -> str:
    """A value as scripts/_bootstrap.sh derives it (sourcing it only defines functions and pins)."""
    result = _run("bash", "-c", f'source scripts/_bootstrap.sh && echo "{expression}"')
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_hacs_minimum_is_the_release_the_oldest_leg_runs() -> None:
    minimum = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))["homeassistant"]
    # The oldest leg installs the release _oldest_ha reads from hacs.json, with the phacc that pins it.
    assert _bootstrap("$(_oldest_ha)") == minimum
    phacc = _bootstrap("${PHACC_FOR_HA[$(_oldest_ha)]}")
    assert phacc, f"scripts/_bootstrap.sh knows no phacc release for Home Assistant {minimum}"
    assert f"Needs Home Assistant {minimum} or newer" in (ROOT / "README.md").read_text(encoding="utf-8")

    # And the leg running this test runs what its pins say.
    from homeassistant.const import __version__ as running

    leg = Path(sys.prefix).name
    if leg == ".venv-oldest":
        expected = (minimum, phacc)
    elif leg == ".venv-newest":
        expected = (_bootstrap("$HA_PIN_NEWEST_TESTED"), _bootstrap("$PHACC_PIN_NEWEST"))
    else:
        pytest.skip(f"not one of scripts/test's legs: {sys.prefix}")
    assert (running, metadata.version("pytest-homeassistant-custom-component")) == expected
