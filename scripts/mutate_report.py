"""Summarise `mutmut results --all true` (read from stdin): killed / survived / timeout per module,
per package and in total, then the surviving mutants' names (scripts/mutate).

A mutant's name is `<module>.x_<function>__mutmut_<n>` or `<module>.xǁ<Class>ǁ<method>__mutmut_<n>`.
The score is killed (by a test, or by a timeout: the mutant hangs the code) over all mutants.
"""

from __future__ import annotations

from collections import Counter, defaultdict
import re
import sys

_LINE = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+?)\s*$")
_COLUMNS = ("killed", "timeout", "survived", "no tests", "other")


def _column(status: str) -> str:
    return status if status in _COLUMNS else "other"


def _row(label: str, counts: Counter[str]) -> str:
    total = sum(counts.values())
    caught = counts["killed"] + counts["timeout"]
    score = f"{100 * caught / total:5.1f} %" if total else "    -"
    cells = "".join(f"{counts[c]:>10}" for c in _COLUMNS)
    return f"{label:<44}{cells}{total:>8}  {score}"


def main() -> int:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[tuple[str, str]] = []
    for line in sys.stdin:
        if (match := _LINE.match(line)) is None:
            continue
        name, status = match["name"], match["status"]
        module = name.rsplit(".", 1)[0]
        by_module[module][_column(status)] += 1
        if status not in ("killed", "timeout"):
            survivors.append((name, status))
    if not by_module:
        print("no mutation results found", file=sys.stderr)
        return 1
    header = f"{'module':<44}" + "".join(f"{c:>10}" for c in _COLUMNS) + f"{'total':>8}  score"
    print(header)
    by_package: dict[str, Counter[str]] = defaultdict(Counter)
    overall: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        print(_row(module, counts))
        by_package[module.rsplit(".", 1)[0]].update(counts)
        overall.update(counts)
    print()
    for package in sorted(by_package):
        print(_row(package, by_package[package]))
    print(_row("total", overall))
    if survivors:
        print(f"\n{len(survivors)} not killed (`mutmut show NAME` in .artifacts/mutate prints the diff):")
        for name, status in sorted(survivors):
            print(f"  {status:<10} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
