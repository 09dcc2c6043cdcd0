"""The coverage gate of the test command: the quality scale's coverage rules, enforced.

    python scripts/coverage_gate.py .coverage.newest .coverage.oldest

Combines the data files of the legs just run (some code runs on one leg only: schema.py's
pick of voluptuous, the branches that tell Home Assistant releases apart), leaves them as they
are, and fails unless, over the integration (custom_components/orvibo_s20/**, the simulator
is test equipment and does not count):

- the total is at least 95 % (`test-coverage` in quality_scale.yaml),
- every module is at least 90 %,
- config_flow.py is fully covered (`config-flow-test-coverage`).

On failure it prints the per-module table and what failed. Uses coverage's Python API with the
project's [coverage:run] settings from setup.cfg.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import json
import os
from pathlib import Path
import sys
import tempfile

import coverage

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "custom_components" / "orvibo_s20"

TOTAL_MIN = 95.0
MODULE_MIN = 90.0
# Modules held to more than MODULE_MIN, by path inside the package.
MODULE_MINIMA = {"config_flow.py": 100.0}


@dataclass(frozen=True, slots=True)
class ModuleCoverage:
    """One module's line coverage."""

    path: str  # inside the package, e.g. "client/endpoint.py"
    statements: int
    missing: tuple[int, ...]

    @property
    def covered(self) -> int:
        return self.statements - len(self.missing)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.statements if self.statements else 100.0


@dataclass(frozen=True, slots=True)
class GateResult:
    """The integration's modules, their total and what fell short."""

    modules: tuple[ModuleCoverage, ...]
    failures: tuple[str, ...]

    @property
    def total(self) -> float:
        statements = sum(module.statements for module in self.modules)
        covered = sum(module.covered for module in self.modules)
        return 100.0 * covered / statements if statements else 100.0


def measure(data_files: list[Path]) -> tuple[ModuleCoverage, ...]:
    """Combine the data files (kept as they are) and return the integration's modules."""
    with tempfile.TemporaryDirectory() as scratch:
        cov = coverage.Coverage(data_file=str(Path(scratch) / ".coverage"), config_file=str(ROOT / "setup.cfg"))
        # keep=True: the legs' files stay for the next look (or the next gate run).
        cov.combine([str(path) for path in data_files], strict=True, keep=True)
        cov.load()
        report = Path(scratch) / "coverage.json"
        cov.json_report(outfile=str(report))
        files = json.loads(report.read_text())["files"]
    modules = []
    for name, data in files.items():
        path = (Path.cwd() / name).resolve()  # json names files relative to the working directory
        if not path.is_relative_to(PACKAGE):
            continue
        summary = data["summary"]
        modules.append(
            ModuleCoverage(
                path=path.relative_to(PACKAGE).as_posix(),
                statements=summary["num_statements"],
                missing=tuple(data["missing_lines"]),
            )
        )
    return tuple(sorted(modules, key=lambda module: module.path))


def judge(modules: tuple[ModuleCoverage, ...]) -> GateResult:
    """Apply the thresholds."""
    failures: list[str] = []
    if not modules:
        failures.append("no module of the integration was measured (wrong data files?)")
    result = GateResult(modules=modules, failures=())
    if result.total < TOTAL_MIN:
        failures.append(f"total {result.total:.2f} % is below {TOTAL_MIN:.0f} %")
    for module in modules:
        minimum = MODULE_MINIMA.get(module.path, MODULE_MIN)
        if module.percent < minimum:
            failures.append(
                f"{module.path} {module.percent:.2f} % is below {minimum:.0f} % (missing lines {_ranges(module.missing)})"
            )
    for path in MODULE_MINIMA:
        if path not in {module.path for module in modules}:
            failures.append(f"{path} was not measured")
    return GateResult(modules=modules, failures=tuple(failures))


def _ranges(lines: tuple[int, ...]) -> str:
    """1, 2, 3, 7 -> "1-3, 7"."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def table(result: GateResult) -> str:
    """The per-module table, the total last."""
    width = max([len(module.path) for module in result.modules] + [len("TOTAL")])
    lines = [f"{'module':<{width}}  {'stmts':>6}  {'miss':>5}  {'cover':>7}"]
    for module in result.modules:
        lines.append(
            f"{module.path:<{width}}  {module.statements:>6}  {len(module.missing):>5}  {module.percent:>6.2f}%"
        )
    statements = sum(module.statements for module in result.modules)
    missing = sum(len(module.missing) for module in result.modules)
    lines.append(f"{'TOTAL':<{width}}  {statements:>6}  {missing:>5}  {result.total:>6.2f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("data_files", nargs="+", type=Path, help="coverage data files of the legs just run")
    parser.add_argument("--table", action="store_true", help="print the per-module table even when the gate passes")
    args = parser.parse_args(argv)
    # setup.cfg's `source` paths and the report's file names are relative to the repository.
    args.data_files = [path.resolve() for path in args.data_files]
    os.chdir(ROOT)
    absent = [str(path) for path in args.data_files if not path.is_file()]
    if absent:
        print(f"coverage gate: no coverage data in {', '.join(absent)}", file=sys.stderr)
        return 2
    result = judge(measure(args.data_files))
    names = ", ".join(path.name for path in args.data_files)
    if result.failures:
        print(table(result), file=sys.stderr)
        print(f"coverage gate FAILED ({names}):", file=sys.stderr)
        for failure in result.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    if args.table:
        print(table(result))
    held = ", ".join(
        f"{path} {'at' if minimum >= 100 else '≥'} {minimum:.0f} %" for path, minimum in MODULE_MINIMA.items()
    )
    print(
        f"coverage gate passed ({names}): integration total {result.total:.2f} % (≥ {TOTAL_MIN:.0f} %), "
        f"every module ≥ {MODULE_MIN:.0f} %, {held}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
