"""The gate: every rule, every exit code, and the precedence 2 > 1 > 3, through the scan and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mlwaf import gate
from mlwaf.cli import app
from mlwaf.gate import GateOptions
from mlwaf.model import Pillar, Severity, Status
from tests.gate_estate import by, scan

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


# --- decisions on a scanned estate --------------------------------------------------------------
def test_no_gate_options_findings_alone_never_fail(estate, pack):
    result = scan(estate, pack)
    assert any(f.status == Status.FAIL and f.severity == Severity.HIGH for f in result.findings)
    assert result.gate.decision == "passed"
    assert result.gate.exit_code == 0
    assert result.gate.reasons == ()
    assert "no gate options" in result.gate.notes[0]


def test_fail_on_high_fails_on_high_failures_and_names_them(estate, pack):
    result = scan(estate, pack, gate=GateOptions(fail_on=Severity.HIGH))
    assert result.gate.exit_code == 1 and result.gate.decision == "failed"
    (reason,) = result.gate.reasons
    assert reason.rule == "fail-on"
    assert sorted(f.resource_id.rsplit("/", 1)[-1] for f in reason.findings) == ["mlw-dev", "mlw-lab"]
    assert {f.severity for f in reason.findings} == {"high"}
    assert "2 failed check(s) of severity high" in reason.message


def test_fail_on_counts_the_severity_and_above_only(estate, pack):
    # Without the two high failures (public access fixed), only medium and low failures remain.
    for name in ("dev/workspaces.json",):
        path = estate / name
        data = json.loads(path.read_text())
        for ws in data["value"]:
            ws["properties"]["publicNetworkAccess"] = "Disabled"
        path.write_text(json.dumps(data))
    assert scan(estate, pack, gate=GateOptions(fail_on=Severity.HIGH)).gate.exit_code == 0
    medium = scan(estate, pack, gate=GateOptions(fail_on=Severity.MEDIUM))
    assert medium.gate.exit_code == 1
    assert {f.severity for f in medium.gate.reasons[0].findings} == {"medium"}
    low = scan(estate, pack, gate=GateOptions(fail_on=Severity.LOW))
    assert {f.severity for f in low.gate.reasons[0].findings} == {"medium", "low"}


def test_suppressed_and_baselined_failures_do_not_fail_the_gate(estate, pack):
    from mlwaf.baseline import Baseline
    from mlwaf.suppressions import Suppression

    rule = Suppression("TST-SEC-001", "/subscriptions/*/resourceGroups/dev-sandbox/*", "sandbox, no data")
    result = scan(estate, pack, gate=GateOptions(fail_on=Severity.HIGH), suppressions=[rule])
    names = [f.resource_id.rsplit("/", 1)[-1] for f in result.gate.reasons[0].findings]
    assert names == ["mlw-lab"]  # mlw-dev is suppressed, mlw-lab is not
    known = Baseline.from_findings(scan(estate, pack).findings)
    clean = scan(estate, pack, gate=GateOptions(fail_on=Severity.LOW, fail_on_unknown=True), baseline=known)
    assert clean.gate.exit_code == 0, clean.gate


def test_min_score_below_fails_equal_passes(estate, pack):
    result = scan(estate, pack)
    security = result.scores.pillar(Pillar.SECURITY).score  # 5 / (5 + 10) -> 33.3
    assert security == pytest.approx(33.3)
    failed = scan(estate, pack, gate=GateOptions(min_score={"security": 34}))
    assert failed.gate.exit_code == 1
    (reason,) = failed.gate.reasons
    assert reason.rule == "min-score" and "security score 33.3 is below the minimum 34" in reason.message
    assert scan(estate, pack, gate=GateOptions(min_score={"security": security})).gate.exit_code == 0


def test_min_score_overall_and_several_pillars(estate, pack):
    result = scan(estate, pack, gate=GateOptions(min_score={"overall": 40, "reliability": 10, "cost_optimization": 90}))
    messages = [r.message for r in result.gate.reasons]
    assert result.scores.overall.score == pytest.approx(37.8)
    assert any(m.startswith("overall score 37.8 is below the minimum 40") for m in messages)
    assert any(m.startswith("cost_optimization score") for m in messages)
    assert not any(m.startswith("reliability") for m in messages)  # 50 >= 10


def test_min_score_of_a_pillar_with_nothing_assessed_is_noted_not_failed(estate, pack):
    result = scan(estate, pack, gate=GateOptions(min_score={"performance_efficiency": 90}))
    assert result.scores.pillar(Pillar.PERFORMANCE_EFFICIENCY).score is None
    assert result.gate.exit_code == 0
    assert any("performance_efficiency" in n and "not compared" in n for n in result.gate.notes)


def test_fail_on_unknown_fails_on_unknown_and_on_check_errors(estate, pack, tmp_path):
    result = scan(estate, pack, gate=GateOptions(fail_on_unknown=True))
    assert by(result, "TST-SEC-001", "mlw-tmpl").status == Status.UNKNOWN
    assert result.gate.exit_code == 1
    (reason,) = result.gate.reasons
    assert reason.rule == "fail-on-unknown"
    assert [f.status for f in reason.findings] == ["UNKNOWN"]

    # A check that raises (ERROR) was not assessed either.
    path = estate / "prod" / "computes.json"
    data = json.loads(path.read_text())
    data["value"][0]["tags"] = {"explode": "yes"}
    path.write_text(json.dumps(data))
    (estate / "tmpl" / "azuredeploy.json").unlink()
    result = scan(estate, pack, gate=GateOptions(fail_on_unknown=True))
    assert by(result, "TST-REL-001", "cpu-big").status == Status.ERROR
    assert [f.status for f in result.gate.reasons[0].findings] == ["ERROR"]
    assert scan(estate, pack).gate.exit_code == 0  # without the option an ERROR alone never fails


def test_incomplete_scan_exits_3_and_gate_failure_wins_over_it(estate, pack):
    (estate / "prod" / "broken.json").write_text('{"value": [', encoding="utf-8")
    result = scan(estate, pack)
    assert result.errors and result.gate.exit_code == 3 and result.gate.decision == "incomplete"
    assert result.gate.reasons[0].rule == "input"
    failed = scan(estate, pack, gate=GateOptions(fail_on=Severity.HIGH))
    assert failed.gate.exit_code == 1  # 1 before 3


def test_nothing_scanned_exits_2_even_when_a_rule_fails(tmp_path, pack):
    (tmp_path / "only.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("skipped, not read", encoding="utf-8")
    result = scan(tmp_path, pack, gate=GateOptions(fail_on=Severity.LOW, min_score={"overall": 100}))
    assert result.gate.exit_code == 2 and result.gate.decision == "error"  # 2 before 1


# --- option parsing ------------------------------------------------------------------------------
def test_min_score_parsing_accepts_pillar_spellings():
    assert gate.parse_min_scores(["security=80", "Overall=70", "cost=50.5", "operational-excellence=1"]) == {
        "security": 80.0,
        "overall": 70.0,
        "cost_optimization": 50.5,
        "operational_excellence": 1.0,
    }


@pytest.mark.parametrize(
    ("item", "needle"),
    [("security", "PILLAR=N"), ("safety=80", "not a pillar"), ("security=high", "not a number"),
     ("security=101", "from 0 to 100"), ("overall=-1", "from 0 to 100")],
)
def test_min_score_parsing_errors_name_the_option(item, needle):
    with pytest.raises(gate.GateOptionError, match=needle):
        gate.parse_min_scores([item])


# --- the command line ----------------------------------------------------------------------------
def test_cli_exit_codes_and_gate_in_every_report(estate, pack, tmp_path):
    base = [str(estate), "--checks-dir", str(pack), "--checks", "TST-*", "-q", "--reproducible"]
    out = tmp_path / "out"
    passed = _cli(*base, "-f", "json", "--output-dir", str(out))
    assert passed.exit_code == 0, passed.output
    failed = _cli(*base, "--fail-on", "high", "--min-score", "security=50",
                  "-f", "json", "-f", "markdown", "-f", "junit", "--output-dir", str(out))
    assert failed.exit_code == 1
    assert "gate: failed (exit code 1)" in failed.output  # stderr, even with --quiet
    report = json.loads((out / "mlwaf.json").read_text())
    assert report["gate"]["decision"] == "failed" and report["gate"]["exit_code"] == 1
    assert [r["rule"] for r in report["gate"]["reasons"]] == ["fail-on", "min-score"]
    assert report["gate"]["options"] == {
        "fail_on": "high", "min_score": {"security": 50.0}, "fail_on_unknown": False, "allow_incomplete": False,
    }
    assert {s["kind"] for s in report["scores"]["scopes"]} == {"subscription", "resource_group", "workspace"}
    assert "gate ❌ failed" in (out / "mlwaf.md").read_text()
    assert '<testsuite name="mlwaf.gate" tests="1" failures="1"' in (out / "mlwaf.junit.xml").read_text()
    unknown = _cli(*base, "--fail-on-unknown", "-f", "json", "--output-dir", str(out))
    assert unknown.exit_code == 1


def test_cli_usage_errors_exit_2(estate, pack):
    base = [str(estate), "--checks-dir", str(pack), "-q", "-f", "json", "-o", "-"]
    bad = _cli(*base, "--fail-on", "critical")
    assert bad.exit_code == 2 and "'critical' is not a severity" in bad.output
    bad = _cli(*base, "--min-score", "securty=80")
    assert bad.exit_code == 2 and "'securty' is not a pillar" in bad.output
    bad = _cli(*base, "--checks", "TST-NOPE-*")
    assert bad.exit_code == 2 and "matches no check" in bad.output


def test_cli_incomplete_and_nothing_scanned(estate, pack, tmp_path):
    (estate / "broken.json").write_text("[1, 2", encoding="utf-8")
    base = ["--checks-dir", str(pack), "--checks", "TST-*", "-q", "-f", "json", "--output-dir", str(tmp_path / "o")]
    assert _cli(str(estate), *base).exit_code == 3
    assert _cli(str(estate), *base, "--fail-on", "high").exit_code == 1
    only_broken = _cli(str(estate / "broken.json"), *base, "--fail-on", "high")
    assert only_broken.exit_code == 2 and "nothing could be scanned" in only_broken.output


def test_allow_incomplete_passes_keeps_the_gaps_and_never_hides_a_gate_failure(estate, pack, tmp_path):
    (estate / "broken.json").write_text("[1, 2", encoding="utf-8")
    result = scan(estate, pack, gate=GateOptions(allow_incomplete=True))
    assert result.gate.exit_code == 0 and result.gate.decision == "passed"
    assert result.errors and any("allow-incomplete" in n for n in result.gate.notes)
    failed = scan(estate, pack, gate=GateOptions(fail_on=Severity.HIGH, allow_incomplete=True))
    assert failed.gate.exit_code == 1
    base = ["--checks-dir", str(pack), "--checks", "TST-*", "-q", "-f", "json", "--output-dir", str(tmp_path / "o")]
    assert _cli(str(estate), *base, "--allow-incomplete").exit_code == 0
    # The same from the config file, and the command line can take it back.
    cfg = tmp_path / "mlwaf.toml"
    cfg.write_text("allow-incomplete = true\n", encoding="utf-8")
    assert _cli(str(estate), *base, "--config", str(cfg)).exit_code == 0
    assert _cli(str(estate), *base, "--config", str(cfg), "--no-allow-incomplete").exit_code == 3
