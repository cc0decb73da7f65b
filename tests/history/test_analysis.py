"""`mlwaf history trend|open|mttr|digest|import|prune` over the five days of the sample estate,
checked against the reports themselves."""

from __future__ import annotations

import json
import os
import sys

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.history import analysis, digest, store
from mlwaf.history.schema import HistoryError

from .conftest import DAY, write

runner = CliRunner()
WS_PROD = "/subscriptions/6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13/resourceGroups/rg-fraud-prod/providers/" \
          "Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod"


@pytest.fixture()
def history(days, tmp_path):
    path = tmp_path / "h.db"
    for report in days:
        store.append(report, path)
    with store.History(path) as hist:
        yield hist


def fails(report: dict, prefix: str = "") -> dict[str, int]:
    counts = {"high": 0, "medium": 0, "low": 0}
    for f in report["findings"]:
        if f["status"] == "FAIL" and f["resource_id"].lower().startswith(prefix.lower()):
            counts[f["severity"]] += 1
    return counts


def test_trend_has_each_run_scores_and_open_findings(history, days):
    frame = analysis.trend(history, analysis.Window())
    assert list(frame.index) == [1, 2, 3, 4, 5]
    for run, report in zip(frame.index, days, strict=True):
        row = frame.loc[run]
        assert row["overall"] == report["scores"]["overall"]["score"]
        assert row["security"] == report["scores"]["pillars"]["security"]["score"]
        assert row["coverage"] == report["scores"]["overall"]["coverage"]
        assert row["not_assessed"] == len(report["errors"]) and row["resources"] == len(report["resources"])
    # Open findings: the FAILs of each run, plus those kept open where a run could not look
    # (day 3: the unreadable endpoints file; days 4-5: one check now UNKNOWN).
    assert frame.loc[1, "open_high"] == fails(days[0])["high"]
    assert frame.loc[2, ["open_high", "open_medium", "open_low"]].tolist() == list(fails(days[1]).values())
    assert frame.loc[3, "open"] == sum(fails(days[1]).values())  # nothing it could not read was fixed
    assert frame.loc[3, "open"] > sum(fails(days[2]).values())


def test_trend_of_one_scope(history, days):
    frame = analysis.trend(history, analysis.Window.parse(None, None, WS_PROD))
    scope = next(s for s in days[1]["scores"]["scopes"] if s["id"] == WS_PROD)
    assert frame.loc[2, "overall"] == scope["overall"]["score"]
    assert frame.loc[2, "open"] == sum(fails(days[1], WS_PROD).values())
    until = analysis.trend(history, analysis.Window.parse(None, "2026-11-02", None))
    assert list(until.index) == [1, 2]


def test_open_findings_oldest_first_with_their_state(history, days):
    frame = analysis.open_findings(history, analysis.Window())
    assert frame["age_days"].is_monotonic_decreasing
    assert len(frame) == len(analysis.open_findings(history, analysis.Window.parse(DAY.format(1), None, None)))
    regressed = frame[(frame["check_id"] == "MLW-SEC-001") & (frame["resource_name"] == "mlw-fraud-prod")]
    assert regressed["age_days"].tolist() == [3.0] and regressed["first_seen"].tolist() == ["2026-11-02T06:00:00Z"]
    kept = frame[frame["state"] != "open"]
    assert kept["check_id"].tolist() == ["MLW-PERF-007"] and kept["last_seen"].tolist() == ["2026-11-03T06:00:00Z"]
    as_of_3 = analysis.open_findings(history, analysis.Window.parse(None, "2026-11-03T12:00:00Z", None))
    trend = analysis.trend(history, analysis.Window())
    assert len(as_of_3) == trend.loc[3, "open"]
    pairs = set(zip(as_of_3["check_id"], as_of_3["resource_name"], strict=True))
    assert ("MLW-SEC-010", "gpu-always-on") not in pairs and ("MLW-SEC-001", "mlw-fraud-prod") in pairs


def test_time_to_fix(history):
    frame = analysis.mttr(history, analysis.Window())
    security = frame[(frame["severity"] == "high") & (frame["pillar"] == "security")].iloc[0]
    assert security["fixed"] == 1 and security["median_days"] == 1.0  # MLW-SEC-010, fixed the next day
    assert frame["resource_removed"].sum() == 7


def test_a_missing_pandas_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(HistoryError, match=r"pip install 'mlwaf\[history\]'"):
        analysis.pandas()


def test_digest_puts_new_high_findings_first_and_escapes(history, days, tmp_path):
    text = digest.render(history)
    assert text.startswith("## mlwaf: what changed since 2026-11-04T06:00:00Z")
    assert "**0 new** (0 high), **1 failing again**, **0 fixed**" in text
    assert "Failing again after a fix (1)" in text and "gpu-always-on" in text
    # a hostile name in a new high finding of a next run
    report = json.loads(json.dumps(days[4]))
    report["tool"]["generated_at"] = DAY.format(6)
    victim = next(f for f in report["findings"] if f["status"] == "PASS" and f["severity"] == "high")
    victim["status"] = "FAIL"
    for item in [victim, *[r for r in report["resources"] if r["id"] == victim["resource_id"]]]:
        item["resource_name" if "check_id" in item else "name"] = "@platform-team see #123 <b>x</b>"
    store.append(report, history)
    text = digest.render(history)
    assert text.index("New high findings (1)") < text.index("### Scores")
    assert "@platform-team" not in text and "#123" not in text and "<b>" not in text


def test_commands_and_formats(days, tmp_path):
    reports = [write(tmp_path / f"r{i}.json", r) for i, r in enumerate(days)]
    hist = tmp_path / "h.db"
    out = runner.invoke(app, ["history", "import", *map(str, reversed(reports)), "--history", str(hist)])
    assert out.exit_code == 0, out.output
    assert out.output.index("r0.json: run 1") < out.output.index("r4.json: run 5")  # oldest first
    again = runner.invoke(app, ["history", "import", str(reports[-1]), "--history", str(hist)])
    assert "skipped (already the latest run)" in again.output
    for command in ("trend", "open", "mttr"):
        for fmt in ("json", "csv", "markdown", "html", "table"):
            res = runner.invoke(app, ["history", command, "--history", str(hist), "-f", fmt])
            assert res.exit_code == 0, (command, fmt, res.output)
        data = json.loads(runner.invoke(app, ["history", command, "--history", str(hist), "-f", "json"]).stdout)
        assert data["rows"], command
    digest_file = tmp_path / "digest.md"
    assert runner.invoke(app, ["history", "digest", "--history", str(hist), "-o", str(digest_file)]).exit_code == 0
    assert "what changed since" in digest_file.read_text()
    pruned = runner.invoke(app, ["history", "prune", "--history", str(hist), "--older-than", "2d"])
    assert pruned.exit_code == 0 and "pruned" in pruned.output
    assert runner.invoke(app, ["history", "trend", "--history", str(tmp_path / "none.db")]).exit_code == 2
    assert runner.invoke(app, ["history", "trend", "--history", str(hist), "-f", "xml"]).exit_code == 2
    assert runner.invoke(app, ["history", "prune", "--history", str(hist), "--older-than", "soon"]).exit_code == 2


def test_import_of_reproducible_reports_needs_a_time(sample_report, tmp_path):
    report = write(tmp_path / "r.json", sample_report)
    hist = str(tmp_path / "h.db")
    missing = runner.invoke(app, ["history", "import", str(report), "--history", hist])
    assert missing.exit_code == 2 and "--at" in missing.stderr and "--mtime" in missing.stderr
    given = runner.invoke(app, ["history", "import", str(report), "--history", hist, "--at", "2026-11-01T00:00Z"])
    assert given.exit_code == 0 and "time from --at" in given.output
    os.utime(report, (1_800_000_000, 1_800_000_000))
    later = runner.invoke(app, ["history", "import", str(report), "--history", str(tmp_path / "h2.db"), "--mtime"])
    assert later.exit_code == 0 and "time from file mtime" in later.output and "2027-01-15T08:00:00Z" in later.output
