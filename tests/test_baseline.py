"""Baselines: identities without files or lines, new findings gate, fixed ones are reported, a
moved template keeps its identity."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from mlwaf.baseline import Baseline, BaselineError
from mlwaf.cli import app
from tests.gate_estate import SUB_A, workspace

runner = CliRunner()


def _create(estate, pack, target, *extra):
    return runner.invoke(app, ["baseline", "create", str(estate), "--checks-dir", str(pack), "--checks", "TST-*",
                               "--output", str(target), *extra], catch_exceptions=False)


def _scan(estate, pack, out, *extra):
    result = runner.invoke(app, ["scan", str(estate), "--checks-dir", str(pack), "--checks", "TST-*", "-q",
                                 "-f", "json", "-o", str(out), *extra], catch_exceptions=False)
    return result, json.loads(out.read_text())


def test_create_records_identities_never_files_or_lines(estate, pack, tmp_path):
    target = tmp_path / "b" / "mlwaf-baseline.json"
    created = _create(estate, pack, target)
    assert created.exit_code == 0, created.output
    data = json.loads(target.read_text())
    assert data["mlwaf_baseline"] == 2
    rows = data["findings"]
    # A template's resources carry their deployment (the template, relative to the repository or,
    # outside one, to the scan root); resources read with their real id, their id alone.
    assert {r.get("deployment") for r in rows} == {None, "tmpl/azuredeploy.json"}
    assert all(set(r) - {"deployment"} == {"check_id", "resource_id", "status"} for r in rows)
    assert all(("deployment" in r) == ("mlwaf-template-rg" in r["resource_id"]) for r in rows)
    assert '"line"' not in target.read_text()
    assert rows == sorted(rows, key=lambda r: (r["check_id"], r["resource_id"], r.get("deployment", "")))
    statuses = {(r["check_id"], r["resource_id"].rsplit("/", 1)[-1]): r["status"] for r in rows}
    assert statuses[("TST-SEC-001", "mlw-dev")] == "FAIL"
    assert statuses[("TST-SEC-001", "mlw-tmpl")] == "UNKNOWN"
    assert ("TST-SEC-001", "mlw-prod") not in statuses  # passes are not recorded
    assert all(r["resource_id"] == r["resource_id"].lower() for r in rows)  # normalized ids
    assert f"{len(rows)} findings recorded" in created.output
    again = tmp_path / "again.json"
    _create(estate, pack, again)
    assert again.read_bytes() == target.read_bytes()  # deterministic: commits diff cleanly


def test_gate_counts_only_new_findings_and_reports_fixed_ones(estate, pack, tmp_path):
    base = tmp_path / "baseline.json"
    _create(estate, pack, base)
    out = tmp_path / "r.json"
    result, report = _scan(estate, pack, out, "--baseline", str(base), "--fail-on", "low", "--fail-on-unknown")
    assert result.exit_code == 0, result.output
    assert report["baseline"]["new"] == 0 and report["baseline"]["fixed"] == []
    assert report["baseline"]["known"] == report["baseline"]["recorded"] == 8
    assert all(f.get("in_baseline") for f in report["findings"] if f["status"] != "PASS")

    # A new public workspace appears, dev gets fixed, lab is deleted.
    path = estate / "dev" / "workspaces.json"
    data = json.loads(path.read_text())
    data["value"][0]["properties"]["publicNetworkAccess"] = "Disabled"
    data["value"][1] = workspace(SUB_A, "dev-sandbox", "mlw-new", publicNetworkAccess="Enabled",
                                 tags={"cost-center": "cc-3"}, applicationInsights="/subscriptions/x/appi")
    path.write_text(json.dumps(data))
    result, report = _scan(estate, pack, out, "--baseline", str(base), "--fail-on", "high")
    assert result.exit_code == 1
    (reason,) = report["gate"]["reasons"]
    assert [f["resource_id"].rsplit("/", 1)[-1] for f in reason["findings"]] == ["mlw-new"]
    assert "not in the baseline" in reason["message"]
    assert report["baseline"]["new"] == 1
    fixed = {(x["check_id"], x["resource_id"].rsplit("/", 1)[-1]): x["now"] for x in report["baseline"]["fixed"]}
    assert fixed == {
        ("TST-SEC-001", "mlw-dev"): "PASS",
        ("TST-SEC-001", "mlw-lab"): "not found",
        ("TST-OPS-001", "mlw-lab"): "not found",
    }
    # Still failing and known: not new.
    (dev_ops,) = [f for f in report["findings"] if f["check_id"] == "TST-OPS-001" and f["resource_name"] == "mlw-dev"]
    assert dev_ops["in_baseline"] is True


def test_an_unknown_that_becomes_a_fail_is_new(estate, pack, tmp_path):
    base = tmp_path / "baseline.json"
    _create(estate, pack, base)
    tmpl = estate / "tmpl" / "azuredeploy.json"
    data = json.loads(tmpl.read_text())
    data["parameters"]["pna"]["defaultValue"] = "Enabled"
    tmpl.write_text(json.dumps(data))
    result, report = _scan(estate, pack, tmp_path / "r.json", "--baseline", str(base), "--fail-on", "high")
    assert result.exit_code == 1
    assert [f["resource_id"].rsplit("/", 1)[-1] for f in report["gate"]["reasons"][0]["findings"]] == ["mlw-tmpl"]
    (changed,) = report["baseline"]["fixed"]
    assert {"check_id": "TST-SEC-001", "was": "UNKNOWN", "now": "FAIL"}.items() <= changed.items()


def test_a_template_moved_to_another_file_keeps_its_identity(estate, pack, tmp_path):
    base = tmp_path / "baseline.json"
    _create(estate, pack, base)
    moved = estate / "infra" / "ml" / "workspace-template.json"
    moved.parent.mkdir(parents=True)
    shutil.move(estate / "tmpl" / "azuredeploy.json", moved)
    text = json.dumps(json.loads(moved.read_text()), indent=4)  # reformatted too: every line moves
    moved.write_text("\n\n" + text)
    result, report = _scan(estate, pack, tmp_path / "r.json", "--baseline", str(base), "--fail-on", "low",
                           "--fail-on-unknown")
    assert result.exit_code == 0, report["gate"]
    assert report["baseline"]["new"] == 0 and report["baseline"]["fixed"] == []
    (tmpl,) = [f for f in report["findings"] if f["check_id"] == "TST-SEC-001" and f["resource_name"] == "mlw-tmpl"]
    assert tmpl["location"]["path"] == "infra/ml/workspace-template.json" and tmpl["in_baseline"] is True


def test_baseline_from_the_config_file(estate, pack, tmp_path):
    (tmp_path / "mlwaf.toml").write_text('baseline = "baselines/known.json"\nfail-on = "high"\n', encoding="utf-8")
    created = runner.invoke(app, ["baseline", "create", str(estate), "--checks-dir", str(pack), "--checks", "TST-*",
                                  "--config", str(tmp_path / "mlwaf.toml")], catch_exceptions=False)
    assert created.exit_code == 0, created.output
    assert (tmp_path / "baselines" / "known.json").is_file()  # relative to the config file
    result, report = _scan(estate, pack, tmp_path / "r.json", "--config", str(tmp_path / "mlwaf.toml"))
    assert result.exit_code == 0 and report["baseline"]["path"].endswith("known.json")


def test_unusable_baselines_are_usage_errors(estate, pack, tmp_path):
    out = tmp_path / "r.json"
    for text, needle in (("{", "not valid JSON"), ('{"findings": []}', "not an mlwaf baseline"),
                         ('{"mlwaf_baseline": 1, "findings": [{"check_id": "X-1"}]}', "finding #1 needs")):
        bad = tmp_path / "bad.json"
        bad.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["scan", str(estate), "--checks-dir", str(pack), "-q", "-f", "json", "-o", str(out),
                                     "--baseline", str(bad)])
        assert result.exit_code == 2 and needle in result.output, result.output
    with pytest.raises(BaselineError, match="cannot read it"):
        Baseline.load(tmp_path / "missing.json")
    no_target = runner.invoke(app, ["baseline", "create", str(estate), "--checks-dir", str(pack)])
    assert no_target.exit_code == 2 and "--output" in no_target.output


def test_create_on_unreadable_input(estate, pack, tmp_path):
    (estate / "broken.json").write_text("[", encoding="utf-8")
    partial = _create(estate, pack, tmp_path / "b.json")
    assert partial.exit_code == 3 and (tmp_path / "b.json").is_file()
    nothing = _create(estate / "broken.json", pack, tmp_path / "c.json")
    assert nothing.exit_code == 2 and not (tmp_path / "c.json").exists()


def test_create_reads_templates_with_the_same_parameters_as_the_scan(estate, pack, tmp_path):
    tmpl = estate / "tmpl" / "azuredeploy.json"
    data = json.loads(tmpl.read_text())
    data["parameters"]["wsName"] = {"type": "string", "defaultValue": "mlw-default"}
    data["resources"][0]["name"] = "[parameters('wsName')]"
    tmpl.write_text(json.dumps(data))
    base = tmp_path / "baseline.json"
    assert _create(estate, pack, base, "--param", "wsName=mlw-release", "--param", "pna=Enabled").exit_code == 0
    assert "/workspaces/mlw-release" in base.read_text() and "mlw-default" not in base.read_text()
    result, report = _scan(estate, pack, tmp_path / "r.json", "--baseline", str(base), "--fail-on", "low",
                           "--param", "wsName=mlw-release", "--param", "pna=Enabled")
    assert result.exit_code == 0 and report["baseline"]["new"] == 0
    bad = _create(estate, pack, base, "--param", "no-equals-sign")
    assert bad.exit_code == 2 and "--param takes name=value" in bad.output
