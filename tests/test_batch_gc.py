"""scan.batch_gc tunes the garbage collector for a scan; whoever runs scans in-process (the
tests, a notebook, a service) must get the interpreter back as it was, even after an error."""

from __future__ import annotations

import gc

import pytest
from typer.testing import CliRunner

from mlwaf import scan
from mlwaf.cli import app


def test_thresholds_and_freeze_are_restored_after_nested_use_and_errors():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), scan.batch_gc():
        assert gc.get_threshold()[0] >= 50_000
        with scan.batch_gc():
            assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] >= 50_000, "an inner use must not restore the outer one's policy"
        raise RuntimeError("a scan that fails half way")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_cli_scan_leaves_the_collector_as_it_found_it(sample_estate, tmp_path):
    before = gc.get_threshold()
    result = CliRunner().invoke(app, ["scan", str(sample_estate), "-q", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    missing = CliRunner().invoke(app, ["scan", "--subscription", "x", "--arm-endpoint", "not a url", "-q"])
    assert missing.exit_code == 2
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
