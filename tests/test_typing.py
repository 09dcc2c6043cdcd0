"""mypy --strict (settings in setup.cfg) over the whole integration and the simulator.

Home Assistant's own types come from the release the leg installs (scripts/_bootstrap.sh: the
oldest, 2025.4.4 on Python 3.13, or the newest phacc's, 2026.10.4 on Python 3.14), so each leg
checks the code against the release it runs on. mypy is told which schema library that release
has (custom_components/orvibo_s20/schema.py).
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("custom_components/orvibo_s20", "simulator")


# A guard against a hang, not a bound: beside 8 busy processes (scripts/test --stress) mypy took
# over 15 minutes on a 2-core machine.
@pytest.mark.timeout(2700)
def test_mypy_strict(tmp_path: Path) -> None:
    probatio = "--always-true" if find_spec("probatio") is not None else "--always-false"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache"), probatio, "HAS_PROBATIO", *CHECKED],
        cwd=ROOT, capture_output=True, text=True, timeout=2700, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout
