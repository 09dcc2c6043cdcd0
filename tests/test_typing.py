"""mypy --strict (settings in setup.cfg) over the whole integration and the simulator.

Home Assistant's own types come from whichever release the interpreter installs (2025.4.4 or
2026.2.3, see scripts/_bootstrap.sh), so the run covers the code against the release it runs on.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("custom_components/orvibo_s20", "simulator")


def test_mypy_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache"), *CHECKED],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout
