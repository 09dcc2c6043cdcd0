"""A release's tag, manifest.json's version and CHANGELOG.md agree.

    python3 scripts/release_check.py TAG

.github/workflows/release.yml runs this on every published release, with the runner's own Python
(standard library only, Python 3.10 or newer); tests/test_repository.py runs the same checks on every
test run. Tags are the bare version, `1.0.0`, never `v1.0.0`: HACS installs a release's tag and shows
it as the installed version, so the tag, the manifest and the changelog read the same.

CHANGELOG.md follows Keep a Changelog 1.1.0: `# Changelog`, then `## [Unreleased]`, then one
`## [MAJOR.MINOR.PATCH] - YYYY-MM-DD` section per release, newest first, each with `### Added`,
`### Changed`, ... subsections of `- ` entries, and a link reference for every heading at the end.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = ROOT / "CHANGELOG.md"
MANIFEST = ROOT / "custom_components" / "orvibo_s20" / "manifest.json"

UNRELEASED = "Unreleased"
# Keep a Changelog's kinds of change, in its order.
CHANGE_KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")

_VERSION = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
_RELEASE_HEADING = re.compile(r"## \[(?P<version>[^\]]+)\] - (?P<date>\S+)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # fromisoformat alone also takes 20261207 and 2026-W49-1
_LINK_REFERENCE = re.compile(r"\[(?P<label>[^\]]+)\]: (?P<url>https://\S+)")


class ChangelogError(ValueError):
    """CHANGELOG.md is not in the form above; the message names the line."""


@dataclass(frozen=True)
class Release:
    """One released section of the changelog."""

    version: str
    date: datetime.date
    kinds: tuple[str, ...]  # its subsections, in order

    @property
    def key(self) -> tuple[int, int, int]:
        """The version as numbers, for ordering."""
        return version_key(self.version)


@dataclass(frozen=True)
class Changelog:
    """The parsed changelog: its releases, newest first, and its link references."""

    unreleased_kinds: tuple[str, ...]
    releases: tuple[Release, ...]
    links: dict[str, str]

    @property
    def newest(self) -> Release:
        """The newest released section."""
        if not self.releases:
            raise ChangelogError("CHANGELOG.md has no released section")
        return self.releases[0]


def version_key(version: str) -> tuple[int, int, int]:
    """MAJOR.MINOR.PATCH as numbers; ValueError for anything else (a leading v, a suffix, ...)."""
    match = _VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"{version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def parse_changelog(text: str) -> Changelog:
    """Parse and check CHANGELOG.md's form; ChangelogError names the first problem's line."""
    lines = text.splitlines()
    if not lines or lines[0] != "# Changelog":
        raise ChangelogError("line 1: the title must be '# Changelog'")
    sections: list[tuple[int, str, str | None]] = []  # (line number, version, date) per heading
    kinds: list[list[str]] = []
    entries: list[int] = []
    links: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith("## "):
            if links:
                raise ChangelogError(f"line {number}: a section after the link references")
            if line == f"## [{UNRELEASED}]":
                sections.append((number, UNRELEASED, None))
            elif (match := _RELEASE_HEADING.fullmatch(line)) is not None:
                sections.append((number, match["version"], match["date"]))
            else:
                raise ChangelogError(
                    f"line {number}: {line!r} is neither '## [Unreleased]' nor '## [X.Y.Z] - YYYY-MM-DD'"
                )
            kinds.append([])
            entries.append(0)
        elif line.startswith("### "):
            kind = line[4:]
            if not sections:
                raise ChangelogError(f"line {number}: {line!r} before any version")
            if kind not in CHANGE_KINDS:
                raise ChangelogError(f"line {number}: {kind!r} is not one of {', '.join(CHANGE_KINDS)}")
            if kind in kinds[-1]:
                raise ChangelogError(f"line {number}: a second '### {kind}' in one section")
            kinds[-1].append(kind)
        elif line.startswith("- ") and sections:
            if not kinds[-1]:
                raise ChangelogError(f"line {number}: an entry outside a '### ' subsection")
            entries[-1] += 1
        elif (match := _LINK_REFERENCE.fullmatch(line)) is not None:
            links[match["label"]] = match["url"]
        elif line.startswith("#"):
            raise ChangelogError(f"line {number}: unexpected heading {line!r}")

    if not sections or sections[0][1] != UNRELEASED:
        raise ChangelogError("the first section must be '## [Unreleased]'")
    releases: list[Release] = []
    for (number, version, date), section_kinds, count in zip(sections[1:], kinds[1:], entries[1:]):
        if version == UNRELEASED:
            raise ChangelogError(f"line {number}: a second '## [Unreleased]'")
        try:
            version_key(version)
        except ValueError as err:
            raise ChangelogError(f"line {number}: {err}") from None
        try:
            if _ISO_DATE.fullmatch(date or "") is None:
                raise ValueError(date)
            released = datetime.date.fromisoformat(date or "")
        except ValueError:
            raise ChangelogError(f"line {number}: {date!r} is not an ISO date (YYYY-MM-DD)") from None
        if count == 0:
            raise ChangelogError(f"line {number}: release {version} lists no change")
        release = Release(version, released, tuple(section_kinds))
        if releases and release.key >= releases[-1].key:
            raise ChangelogError(f"line {number}: {version} is not older than {releases[-1].version} above it")
        if releases and release.date > releases[-1].date:
            raise ChangelogError(f"line {number}: {version} is dated after {releases[-1].version} above it")
        releases.append(release)
    for _number, version, _date in sections:
        if version not in links:
            raise ChangelogError(f"no link reference '[{version}]: https://...' at the end")
    return Changelog(tuple(kinds[0]), tuple(releases), links)


def manifest_version(manifest: Path = MANIFEST) -> str:
    """The integration's version, as manifest.json states it."""
    version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    if not isinstance(version, str):
        raise ValueError(f"{manifest}: version is not a string")
    return version


def release_problems(tag: str, manifest: str, changelog: Changelog) -> list[str]:
    """What is wrong with publishing `tag` (empty when nothing is)."""
    problems: list[str] = []
    if tag != manifest:
        hint = " (tags carry no leading 'v')" if tag == f"v{manifest}" else ""
        problems.append(f"the tag {tag!r} is not manifest.json's version {manifest!r}{hint}")
    if changelog.newest.version != manifest:
        problems.append(
            f"CHANGELOG.md's newest release is {changelog.newest.version}, manifest.json's version is {manifest}"
        )
    return problems


def main(argv: list[str]) -> int:
    """Check the tag in argv[1]; print each problem and return 1 if there is any."""
    if len(argv) != 2:
        print("usage: release_check.py TAG", file=sys.stderr)
        return 2
    try:
        changelog = parse_changelog(CHANGELOG.read_text(encoding="utf-8"))
        problems = release_problems(argv[1], manifest_version(), changelog)
    except (ChangelogError, ValueError) as err:
        problems = [str(err)]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"release {argv[1]}: manifest.json and CHANGELOG.md agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
