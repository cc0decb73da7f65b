"""`mlwaf scan --history FILE --digest FILE`: each run appended, failing findings marked new,
failing again or open since (with their age), the digest written; an unusable history is exit 2
before anything is scanned."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.history import recorded, runreport
from mlwaf.report import json as json_report
from mlwaf.scan import PolicyOptions, ScanOptions, run_scan
from mlwaf.sources import ReadOptions
from mlwaf.suppressions import Suppression

from .conftest import SAMPLE, edit

runner = CliRunner()
PUBLIC = ("MLW-SEC-001", "mlw-fraud-prod")


def scan(estate: Path, out: Path, *args: str, code: int = 0) -> dict:
    result = runner.invoke(app, ["scan", str(estate), "--output-dir", str(out), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return json.loads((out / "mlwaf.json").read_text()) if (out / "mlwaf.json").exists() else {}


def marks(report: dict) -> dict[tuple[str, str], dict]:
    return {(f["check_id"], f["resource_name"]): f.get("history") for f in report["findings"] if f["status"] == "FAIL"}


def test_runs_are_appended_and_failing_findings_marked(estate, tmp_path):
    db, digest = tmp_path / "audit.db", tmp_path / "digest.md"
    first = scan(estate, tmp_path / "r1", "--history", str(db), "--digest", str(digest))
    assert first["history"]["run"]["run"] == 1 and first["history"]["run"]["opened"] == len(marks(first))
    assert {m["state"] for m in marks(first).values()} == {"new"}
    assert "first run in this history" in digest.read_text()
    # A regression (public network access on the prod workspace), then a fix undone.
    edit(estate / "prod" / "workspace.json", lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    second = scan(estate, tmp_path / "r2", "--history", str(db), "--digest", str(digest))
    assert second["history"]["run"]["opened"] == 1
    by = marks(second)
    assert by[PUBLIC]["state"] == "new" and by[PUBLIC]["age_days"] == 0
    assert {m["state"] for k, m in by.items() if k != PUBLIC} == {"recurring"}
    assert "**1 new** (1 high)" in digest.read_text() and "mlw-fraud-prod" in digest.read_text()
    edit(estate / "prod" / "workspace.json", lambda w: w["properties"].update(publicNetworkAccess="Disabled"))
    third = scan(estate, tmp_path / "r3", "--history", str(db))
    assert third["history"]["run"]["fixed"] == 1 and PUBLIC not in marks(third)
    edit(estate / "prod" / "workspace.json", lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    fourth = scan(estate, tmp_path / "r4", "--history", str(db))
    assert marks(fourth)[PUBLIC]["state"] == "again" and fourth["history"]["run"]["reopened"] == 1
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM run").fetchone() == (4,)
    # Only failing findings carry a mark, and the other reports show them.
    assert all("history" not in f for f in fourth["findings"] if f["status"] != "FAIL")
    assert '"h":["again"' in (tmp_path / "r4" / "mlwaf.html").read_text()


def test_age_is_counted_from_the_first_run_that_saw_it_failing(estate, tmp_path):
    db = tmp_path / "audit.db"
    scan(estate, tmp_path / "r1", "--history", str(db))
    with sqlite3.connect(db) as con:  # as if that run had been ten days ago
        con.execute("UPDATE run SET at = at - 10 * 86400")
    report = scan(estate, tmp_path / "r2", "--history", str(db))
    ages = {m["age_days"] for m in marks(report).values()}
    assert ages == {10.0}


def test_reproducible_scans_are_each_a_run(estate, tmp_path):
    """A --reproducible report has no time: the run is recorded when appended, and the same
    estate scanned again is another run (not 'already the latest run')."""
    db = tmp_path / "audit.db"
    for n in (1, 2):
        report = scan(estate, tmp_path / f"r{n}", "--history", str(db), "--reproducible")
        assert report["history"]["run"]["run"] == n and report["history"]["run"]["at_source"] == "scan time"
        assert "generated_at" not in report["tool"]


def test_an_unusable_history_is_exit_2_before_the_scan(estate, tmp_path):
    bad = tmp_path / "not-a-history.db"
    bad.write_text("hello, this is not SQLite" * 100)
    for history in (bad, tmp_path):
        result = runner.invoke(app, ["scan", str(estate), "--output-dir", str(tmp_path / "out"), "--history",
                                     str(history)])
        assert result.exit_code == 2, result.output
        assert "--history" in result.output
        assert not (tmp_path / "out" / "mlwaf.json").exists()  # nothing was scanned or written
    result = runner.invoke(app, ["scan", str(estate), "--digest", str(tmp_path / "d.md")])
    assert result.exit_code == 2 and "--history" in result.output


def test_history_and_digest_from_the_config_file(estate, tmp_path, monkeypatch):
    """Relative to the config file, like the baseline; neither is read as an input."""
    (estate / "mlwaf.toml").write_text('history = "state/audit.db"\ndigest = "state/digest.md"\n')
    (estate / "state").mkdir()
    monkeypatch.chdir(estate)
    report = scan(Path("."), tmp_path / "out")
    assert (estate / "state" / "audit.db").is_file() and (estate / "state" / "digest.md").is_file()
    assert report["history"]["run"]["run"] == 1
    scan(Path("."), tmp_path / "out")  # the history file in the scanned folder is not an input
    assert not [s for s in json.loads((tmp_path / "out" / "mlwaf.json").read_text())["scanned"]
                if s["path"].startswith("state/") and s["kind"] != "skipped"]


def test_a_moved_template_keeps_the_age_of_its_findings(estate, tmp_path):
    db = tmp_path / "audit.db"
    scan(estate, tmp_path / "r1", "--history", str(db))
    (estate / "dev").rename(estate / "dev-moved")
    report = scan(estate, tmp_path / "r2", "--history", str(db))
    moved = [f for f in report["findings"] if f["status"] == "FAIL" and "dev-moved" in (f.get("deployment") or "")]
    assert moved and {f["history"]["state"] for f in moved} == {"recurring"}
    assert report["history"]["run"]["moved"] == len(moved)



@pytest.mark.parametrize("detail_limit", [None, 1], ids=["listed", "summarized"])
def test_rows_from_the_scan_are_the_rows_of_its_json_items(detail_limit):
    """`record` reads the scan's findings and policy results as the few keys the rows need
    (recorded.rows_of), not as the JSON report's items: the run it appends must be the same
    (suppressed findings, a template's deployment, every policy state and the summarized form)."""
    extra = {} if detail_limit is None else {"detail_limit": detail_limit}
    rules = (Suppression("MLW-*", "*/rg-fraud-research/*", "research sandbox"),
             Suppression("", "*", "accepted", policy="*"))
    options = ScanOptions(read=ReadOptions(root=SAMPLE), reproducible=True, policy=PolicyOptions(enabled=True),
                          suppressions=rules, **extra)
    result = run_scan([SAMPLE], options)
    light = runreport.from_items(recorded.rows_of(result))
    whole = runreport.from_items(json_report.items(result))
    assert light == whole
    assert any(f.suppressed for f in whole.findings.values())
    assert any(f.deployment for f in whole.findings.values())
    assert whole.policy is not None and len({r.state for r in whole.policy.results.values()}) > 1


def test_a_marked_finding_is_the_finding_with_its_mark(tmp_path):
    """`record` makes each failing finding's marked copy from its fields in order, not through
    dataclasses.replace: every other field must be the finding's own, and the others untouched."""
    options = ScanOptions(read=ReadOptions(root=SAMPLE), reproducible=True,
                          suppressions=(Suppression("MLW-*", "*/rg-fraud-research/*", "research sandbox"),))
    result = run_scan([SAMPLE], options)
    with recorded.open_history(tmp_path / "h.db") as history:
        marked = recorded.record(result, history).findings
    assert len(marked) == len(result.findings)
    for before, after in zip(result.findings, marked, strict=True):
        if before.status.value == "FAIL":
            assert after.history is not None and after.history.state.value == "new"
            assert {**after.to_dict(), "history": None} == {**before.to_dict(), "history": None}
            assert after.suppression == before.suppression and after.evidence == before.evidence
        else:
            assert after is before
    assert any(f.suppression is not None for f in marked if f.history is not None)
