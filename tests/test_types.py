"""The type checker over src/ ([tool.mypy] in pyproject.toml: strict for the data model, the
checks' API, the engine, the inventory and the results). It runs inside the test suite so that
the README's test command is exactly what CI runs, and a type error fails like any other test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_finds_no_error_in_src():
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, f"python -m mypy found errors:\n{run.stdout[-8000:]}{run.stderr[-2000:]}"
    assert "Success: no issues found" in run.stdout
