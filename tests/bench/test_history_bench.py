"""bench/history.py's churn does what its docstring says, and the reports it writes read back as
the runs it changed: correctness only, never timing (docs/performance.md has the numbers)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from mlwaf.history import reading, store

BENCH = Path(__file__).resolve().parents[2] / "bench"
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-reports" / "mlwaf.json"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_history", BENCH / "history.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_history"] = module
    spec.loader.exec_module(module)
    return module


def test_churn_changes_a_share_of_the_resources_and_writes_readable_reports(bench, tmp_path):
    base = reading.load(SAMPLE)
    churn = bench.Churn(base, seed=1, rate=0.5)
    day = churn.next()
    assert day.generated_at is not None and day.findings != base.findings
    assert 0 < len(base.resources.keys() - day.resources.keys()) <= len(base.resources) // 2
    out = tmp_path / "day.json"
    bench.write_report(day, SAMPLE, out)
    back = reading.load(out)
    assert back.findings.keys() == day.findings.keys() and back.resources.keys() == day.resources.keys()
    assert back.scores == day.scores


def test_simulated_days_append(bench, tmp_path):
    sizes: list[tuple[int, int, float]] = []
    bench.simulate(tmp_path / "h.db", reading.load(SAMPLE), 5, seed=2, sizes=sizes)
    assert [d for d, _, _ in sizes] == [0, 1, 2, 3, 4]
    with store.History(tmp_path / "h.db") as history:
        assert len(history.runs()) == 5
