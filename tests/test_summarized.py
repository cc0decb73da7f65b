"""Summarized scans: above the detail limit, PASS and NOT_APPLICABLE findings are counted, not
kept. Everything a user acts on (every FAIL, UNKNOWN and ERROR, the scores, the gate, the
baseline's fixes) must be exactly what the full scan gives, and every report must say so."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from mlwaf import engine
from mlwaf.baseline import Baseline, Entry
from mlwaf.cli import app
from mlwaf.model import Status
from mlwaf.report import ReportOptions, html, junit, markdown, sarif
from mlwaf.report import json as json_report
from mlwaf.scan import DETAIL_LIMIT, ScanOptions, run_scan

runner = CliRunner()
LISTED = {Status.FAIL, Status.UNKNOWN, Status.ERROR}


@pytest.fixture(scope="module")
def full(sample_estate: Path):
    return run_scan([sample_estate], ScanOptions(detail_limit=0))


@pytest.fixture(scope="module")
def summarized(sample_estate: Path):
    return run_scan([sample_estate], ScanOptions(detail_limit=10))


def _rows(findings):
    return sorted((f.identity, f.status.value, f.message, f.location.line) for f in findings)


def test_the_sample_is_below_the_default_limit_and_lists_everything(sample_estate, full):
    assert run_scan([sample_estate]).omitted is None
    assert len(full.findings) < DETAIL_LIMIT and full.omitted is None
    assert engine.expected_findings(full.inventory, full.checks) == len(full.findings)


def test_every_finding_to_act_on_is_kept_and_the_rest_is_counted(full, summarized):
    assert summarized.omitted is not None and summarized.omitted.expected == len(full.findings)
    assert {f.status for f in summarized.findings} <= LISTED
    assert _rows(summarized.findings) == _rows(f for f in full.findings if f.status in LISTED)
    counted = Counter((f.check_id, f.status) for f in full.findings if f.status not in LISTED)
    assert summarized.omitted.by_check == counted
    assert summarized.omitted.total == len(full.findings) - len(summarized.findings)


def test_scores_and_gate_do_not_depend_on_the_limit(full, summarized):
    assert summarized.scores == full.scores
    assert summarized.gate == full.gate


def test_a_baseline_entry_fixed_since_is_reported_with_its_status_now(sample_estate, full):
    passing = next(f for f in full.findings if f.status is Status.PASS)
    failing = next(f for f in full.findings if f.status is Status.FAIL)
    entries = [Entry(f.check_id, f.resource.key, f.resource.deployment, "FAIL") for f in (passing, failing)]
    baseline = Baseline({e.identity: e for e in entries})
    with_limit = run_scan([sample_estate], ScanOptions(detail_limit=10, baseline=baseline))
    without = run_scan([sample_estate], ScanOptions(detail_limit=0, baseline=baseline))
    assert with_limit.baseline == without.baseline
    where = {"deployment": passing.resource.deployment} if passing.resource.deployment else {}
    assert with_limit.baseline.to_dict()["fixed"] == [
        {"check_id": passing.check_id, "resource_id": passing.resource.key, **where, "was": "FAIL", "now": "PASS"}]


def test_every_report_says_it_is_summarized(full, summarized, shared):
    doc = json.loads(json_report.render(summarized))
    omitted = doc["omitted"]
    statuses = Counter(f.status.value for f in full.findings)
    assert omitted["limit"] == 10
    assert omitted["counts"] == {"PASS": statuses["PASS"], "NOT_APPLICABLE": statuses["NOT_APPLICABLE"]}
    assert "--detail-limit 0" in omitted["reason"]
    assert sum(sum(c.values()) for c in omitted["by_check"].values()) == summarized.omitted.total

    log = json.loads(sarif.render(summarized, ReportOptions(sarif_include_pass=True)))
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    assert not list(validator.iter_errors(log))
    assert log["runs"][0]["properties"]["omitted"]["counts"] == omitted["counts"]
    assert all(r["kind"] != "pass" for r in log["runs"][0]["results"])

    page = html.render(summarized)
    assert "<strong>Summarized:</strong>" in page and f"{omitted['counts']['PASS']} PASS" in page
    assert "_Summarized:" in markdown.render(summarized)
    assert 'name="omitted" value="' in junit.render(summarized)


def test_the_html_summary_and_workspace_view_count_what_was_not_listed(full, summarized):
    """The page lists fewer findings, but its counts (summary, per workspace member) are whole."""
    whole, short = html.context(full), html.context(summarized)
    assert short["counts"] == whole["counts"]
    assert [w["rows"] for w in short["workspaces"]] == [w["rows"] for w in whole["workspaces"]]
    assert any(row["pass"] for w in short["workspaces"] for row in w["rows"])


def test_a_full_scan_says_nothing_was_omitted(full):
    assert json.loads(json_report.render(full))["omitted"] is None
    assert "Summarized" not in html.render(full)


def test_cli_detail_limit(sample_estate, tmp_path):
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["scan", str(sample_estate), "-f", "json", "-o", str(out), "--detail-limit", "5",
                              "--output-dir", str(tmp_path)], catch_exceptions=False)
    assert "counted, not listed" in res.output and "above the detail limit of 5" in res.output
    doc = json.loads(out.read_text())
    assert doc["omitted"]["limit"] == 5
    assert {f["status"] for f in doc["findings"]} <= {s.value for s in LISTED}
    res = runner.invoke(app, ["scan", str(sample_estate), "-q", "-f", "json", "-o", str(out), "--detail-limit", "-1"])
    assert res.exit_code == 2
    # The help shows the default without importing the scan machinery: it must be the real one.
    scan_command = typer.main.get_command(app).commands["scan"]
    option = next(p for p in scan_command.params if p.name == "detail_limit")
    assert option.show_default == str(DETAIL_LIMIT)


def test_the_config_file_sets_the_limit_and_the_command_line_wins(sample_estate, tmp_path):
    config = tmp_path / "mlwaf.toml"
    config.write_text("detail-limit = 5\n", encoding="utf-8")
    out = tmp_path / "r.json"
    base = ["scan", str(sample_estate), "-q", "-f", "json", "-o", str(out), "--config", str(config)]
    runner.invoke(app, base, catch_exceptions=False)
    assert json.loads(out.read_text())["omitted"]["limit"] == 5
    runner.invoke(app, [*base, "--detail-limit", "0"], catch_exceptions=False)
    assert json.loads(out.read_text())["omitted"] is None
    config.write_text('detail-limit = "many"\n', encoding="utf-8")
    bad = runner.invoke(app, base)
    assert bad.exit_code == 2 and "'detail-limit' must be a whole number" in bad.output
