"""`mlwaf diff`: real scans of the sample estate before and after an edit, compared."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.history import diff, runreport
from mlwaf.history.compare import Change
from mlwaf.report import json as json_report
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions

from .conftest import SAMPLE, computes, edit, scan_report, write

runner = CliRunner()
PROD_WS = "prod/workspace.json"


def compare(old: dict, new: dict, **options: bool) -> diff.Diff:
    return diff.compute(runreport.from_dict(old, "old.json"), runreport.from_dict(new, "new.json"), **options)


def changed(d: diff.Diff, change: Change) -> set[tuple[str, str]]:
    return {(f.check_id, f.resource_name) for f in d.of(change)}


def test_the_same_estate_scanned_twice_has_no_change(estate, sample_report):
    d = compare(scan_report(estate), scan_report(estate))
    counts = d.counts()
    assert counts["new"] == counts["regressed"] == counts["fixed"] == counts["not_assessed"] == 0
    assert counts["still_failing"] == sum(1 for f in sample_report["findings"] if f["status"] == "FAIL") > 0
    assert [s.delta for s in d.scores] == [0.0] * 6  # only the run's pillars: no scope moved
    assert d.resources == () and d.notes == ()


def test_a_moved_and_reformatted_template_is_not_new(estate, sample_report):
    moved = estate / "infra" / "ml-dev"
    moved.mkdir(parents=True)
    for name in ("azuredeploy.json", "azuredeploy.parameters.json"):
        text = json.loads((estate / "dev" / name).read_text())
        (moved / name).write_text(json.dumps(text, indent=4, sort_keys=True))  # other lines, other file
    shutil.rmtree(estate / "dev")
    d = compare(sample_report, scan_report(estate))
    assert d.of(Change.NEW) == d.of(Change.FIXED) == d.of(Change.REGRESSED) == []
    assert d.resources == ()
    dev = sum(1 for f in sample_report["findings"] if f["location"].get("path") == "dev/azuredeploy.json")
    assert any(f"{dev} finding(s) of templates that moved" in n for n in d.notes)


def test_two_templates_declaring_the_same_names_are_two_resources(estate):
    """Their resources share placeholder ids; the template path in the identity keeps a
    regression in the second from hiding behind the first's pass."""
    shutil.copytree(estate / "dev", estate / "dev2")
    old = scan_report(estate)
    text = (estate / "dev2" / "azuredeploy.json").read_text()
    (estate / "dev2" / "azuredeploy.json").write_text(text.replace('"allowBlobPublicAccess": false',
                                                                   '"allowBlobPublicAccess": true'))
    d = compare(old, scan_report(estate))
    (regressed,) = d.of(Change.REGRESSED)
    assert (regressed.check_id, regressed.resource_name) == ("MLW-SEC-042", "stfrauddev01")
    assert regressed.identity.endswith("dev2/azuredeploy.json with dev2/azuredeploy.parameters.json")
    assert d.of(Change.NEW) == d.of(Change.FIXED) == [] and d.resources == ()


def test_pass_to_fail_is_a_regression_and_the_gate_counts_only_what_got_worse(estate, sample_report, tmp_path):
    edit(estate / PROD_WS, lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    new = scan_report(estate)
    d = compare(sample_report, new)
    assert changed(d, Change.REGRESSED) == {("MLW-SEC-001", "mlw-fraud-prod")}
    assert d.of(Change.NEW) == d.of(Change.FIXED) == []
    regressed = d.of(Change.REGRESSED)[0]
    assert (regressed.was, regressed.now, regressed.severity) == ("PASS", "FAIL", "high")
    security = next(s for s in d.scores if s.scope_kind == "run" and s.pillar == "security")
    assert security.delta is not None and security.delta < 0
    moved = {(s.scope_kind, s.scope_name) for s in d.scores if s.pillar == "security" and (s.delta or 0) < 0}
    assert {("workspace", "mlw-fraud-prod"), ("resource_group", "rg-fraud-prod")} <= moved
    assert ("workspace", "mlw-fraud-dev") not in moved

    old_file, new_file = write(tmp_path / "old.json", sample_report), write(tmp_path / "new.json", new)
    gated = runner.invoke(app, ["diff", str(old_file), str(new_file), "--fail-on-new", "high", "-f", "json"])
    assert gated.exit_code == 1, gated.output
    assert "MLW-SEC-001" in gated.stderr
    # Comparing a run with itself: everything that fails was already failing, so the gate passes.
    same = runner.invoke(app, ["diff", str(old_file), str(old_file), "--fail-on-new", "low", "-f", "json"])
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["counts"]["still_failing"] > 0


def test_a_failing_setting_turned_right_is_fixed(estate, sample_report):
    edit(estate / "prod" / "computes.json", lambda c: computes(c, "gpu-always-on").update(
        properties={**computes(c, "gpu-always-on")["properties"], "disableLocalAuth": True}))
    d = compare(sample_report, scan_report(estate))
    assert changed(d, Change.FIXED) == {("MLW-SEC-010", "gpu-always-on")}
    assert d.of(Change.FIXED)[0].now == "PASS"
    assert d.of(Change.NEW) == d.of(Change.REGRESSED) == []


def test_removed_resources_are_fixed_unreadable_ones_are_not_assessed(estate, sample_report, tmp_path):
    (estate / "graph" / "resource-graph.json").unlink()
    (estate / "prod" / "online-endpoints.json").write_text("{ not json")
    new = scan_report(estate)
    d = compare(sample_report, new)
    removed = {r.name for r in d.resources if r.change == "removed"}
    unseen = {r.name for r in d.resources if r.change == "not_assessed"}
    assert removed and unseen and not removed & unseen
    assert "green" in unseen and "oai-fraud-prod" in removed
    fixed = {f.resource_name: f.now for f in d.of(Change.FIXED)}
    not_assessed = {f.resource_name for f in d.of(Change.NOT_ASSESSED)}
    assert "green" in not_assessed and "green" not in fixed  # MLW-REL-001 on green: unknown, not fixed
    assert fixed["oai-fraud-prod"] == "resource absent"  # MLW-SEC-060: its resource is gone
    assert d.not_assessed_new and d.not_assessed_new[0]["path"] == "prod/online-endpoints.json"

    old_file, new_file = write(tmp_path / "old.json", sample_report), write(tmp_path / "new.json", new)
    assert runner.invoke(app, ["diff", str(old_file), str(new_file), "-f", "json"]).exit_code == 3
    assert runner.invoke(app, ["diff", str(old_file), str(new_file), "-f", "json",
                               "--allow-incomplete"]).exit_code == 0


def test_summarized_reports_count_passes_without_losing_regressions(estate):
    old = scan_report(estate, detail_limit=1)
    assert old["omitted"] is not None
    edit(estate / PROD_WS, lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    new = scan_report(estate, detail_limit=1)
    d = compare(old, new)
    (regressed,) = [f for f in d.of(Change.REGRESSED) if f.check_id == "MLW-SEC-001"]
    assert regressed.identity not in {runreport.finding_identity(f) for f in old["findings"]}  # counted, not listed
    assert regressed.was == "PASS"  # every MLW-SEC-001 finding counted was a PASS
    assert d.of(Change.FIXED) == [] and d.of(Change.NOT_ASSESSED) == []
    # and the other way round: a fix is seen although the summarized report does not list passes
    back = compare(new, old)
    assert ("MLW-SEC-001", "mlw-fraud-prod") in changed(back, Change.FIXED)


def test_a_check_whose_severity_changed_is_listed(sample_report):
    new = copy.deepcopy(sample_report)
    for f in new["findings"]:
        if f["check_id"] == "MLW-SEC-010":
            f["severity"] = "medium" if f["severity"] == "high" else "high"
    d = compare(sample_report, new, still_failing=True)
    (change,) = d.severity_changes
    assert change.check_id == "MLW-SEC-010" and change.failing_now > 0
    listed = [f for f in d.of(Change.STILL_FAILING) if f.check_id == "MLW-SEC-010"]
    assert len(listed) == change.failing_now and all(f.severity_before for f in listed)
    assert d.counts() == compare(sample_report, new).counts()  # listed or only counted: the same counts


def test_new_and_fixed_policy_results(sample_report):
    ws = next(r for r in sample_report["resources"] if r["name"] == "mlw-fraud-prod")
    dev = next(r for r in sample_report["resources"] if r["name"] == "mlw-fraud-dev")

    def result(resource: dict, state: str, definition: str) -> dict:
        return {"assignment": "ml-baseline", "definition_id": f"/providers/Microsoft.Authorization/"
                f"policyDefinitions/{definition}", "reference_id": None, "display_name": definition,
                "state": state, "resource_id": resource["id"], "resource_type": resource["type"],
                "resource_name": resource["name"], "reason": "publicNetworkAccess is Enabled"}

    old, new = copy.deepcopy(sample_report), copy.deepcopy(sample_report)
    old["policy"] = {"results": [result(ws, "Compliant", "p1"), result(dev, "NonCompliant", "p2")]}
    new["policy"] = {"results": [result(ws, "NonCompliant", "p1"), result(dev, "Compliant", "p2")]}
    d = compare(old, new)
    assert d.policy is not None
    by_change = {p.change: (p.resource_name, p.was, p.now) for p in d.policy}
    assert by_change == {"regressed": ("mlw-fraud-prod", "Compliant", "NonCompliant"),
                         "fixed": ("mlw-fraud-dev", "NonCompliant", "Compliant")}
    assert compare(sample_report, sample_report).policy is None


def test_every_format_renders_and_the_json_is_complete(estate, sample_report, tmp_path):
    edit(estate / PROD_WS, lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    old_file, new_file = write(tmp_path / "old.json", sample_report), write(tmp_path / "new.json", scan_report(estate))
    out = runner.invoke(app, ["diff", str(old_file), str(new_file), "-f", "json"])
    data = json.loads(out.stdout)
    assert data["counts"]["regressed"] == len([f for f in data["findings"] if f["change"] == "regressed"]) >= 1
    for fmt, marker in (("markdown", "### Regressed"), ("csv", "section,change,check_id"),
                        ("html", "<h2>Regressed"), ("table", "Regressed")):
        target = tmp_path / f"diff.{fmt}"
        res = runner.invoke(app, ["diff", str(old_file), str(new_file), "-f", fmt, "-o", str(target)])
        assert res.exit_code == 0, res.output
        assert marker in target.read_text(encoding="utf-8"), fmt


@pytest.mark.parametrize("content, message", [
    ("{ nope", "not valid JSON"),
    ('{"findings": []}', "not an mlwaf JSON report"),
    ('{"tool": {"name": "mlwaf", "schema_version": 99}}', "schema version 99"),
])
def test_a_file_that_is_not_a_report_is_a_usage_error(tmp_path, sample_report, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = write(tmp_path / "good.json", sample_report)
    res = runner.invoke(app, ["diff", str(good), str(bad)])
    assert res.exit_code == 2 and message in res.stderr and "bad.json" in res.stderr


def test_bad_options_are_usage_errors(tmp_path, sample_report):
    good = write(tmp_path / "good.json", sample_report)
    assert runner.invoke(app, ["diff", str(good), str(good), "-f", "xml"]).exit_code == 2
    assert runner.invoke(app, ["diff", str(good), str(good), "--fail-on-new", "critical"]).exit_code == 2
    assert runner.invoke(app, ["diff", str(good), str(tmp_path / "missing.json")]).exit_code == 2


def test_history_identity_is_the_scans_from_any_scanned_folder(tmp_path, monkeypatch):
    """The report writes each template resource's deployment in repository terms, on the resource
    and its findings; the diff reads it there. Scanning the repository or one folder of it gives
    the same identities (before, they were rebuilt from paths relative to each scan's root, and
    every template finding was 'moved')."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(SAMPLE / "dev", repo / "infra" / "dev")
    monkeypatch.chdir(repo)
    whole, folder = scan_report(repo), scan_report(repo / "infra" / "dev")
    deployment = "infra/dev/azuredeploy.json with infra/dev/azuredeploy.parameters.json"
    assert {r.get("deployment") for r in folder["resources"]} == {deployment}
    assert {f.get("deployment") for f in folder["findings"]} == {deployment}
    assert folder["resources"][0]["origin"]["path"] == "azuredeploy.json"  # the scan root's view, unchanged
    d = compare(whole, folder)
    assert d.notes == () and d.of(Change.NEW) == d.of(Change.FIXED) == []
    assert d.counts()["still_failing"] > 0


def test_one_template_with_two_parameter_files_is_two_deployments(tmp_path):
    """A finding of the prod deployment is told from the dev deployment's of the same template:
    a regression in one is that deployment's alone."""
    folder = Path(shutil.copytree(SAMPLE / "dev", tmp_path / "dev"))
    params = json.loads((folder / "azuredeploy.parameters.json").read_text())
    (folder / "azuredeploy.parameters.json").rename(folder / "azuredeploy.dev.parameters.json")
    params["parameters"]["publicNetworkAccess"] = {"value": "Disabled"}
    (folder / "azuredeploy.prod.parameters.json").write_text(json.dumps(params))

    def report() -> dict:
        options = ScanOptions(read=ReadOptions(root=folder, parameter_files=[
            folder / "azuredeploy.dev.parameters.json", folder / "azuredeploy.prod.parameters.json"]),
            reproducible=True)
        return json.loads(json_report.render(run_scan([folder], options)))

    old = report()
    edit(folder / "azuredeploy.prod.parameters.json",
         lambda p: p["parameters"].update(publicNetworkAccess={"value": "Enabled"}))
    new = report()
    (regressed,) = diff.compute(runreport.from_dict(old), runreport.from_dict(new)).of(Change.REGRESSED)
    assert (regressed.check_id, regressed.resource_name) == ("MLW-SEC-001", "mlw-fraud-dev")
    assert regressed.identity.endswith("|azuredeploy.json with azuredeploy.prod.parameters.json"), regressed.identity


def test_two_real_scans_policy_sections_diff(estate, tmp_path):
    """The `policy` section as a scan writes it (not one built by hand): the same estate twice is
    no change; a workspace that opens public access regresses on the built-in that forbids it; a
    second template declaring the same names is a deployment of its own, new, never matched to
    the first (a result's identity holds the deployment, as a finding's does)."""
    public_access = "/providers/microsoft.authorization/policydefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce"
    old = scan_report(estate, policy=True)
    assert old["policy"]["results"]
    same = compare(old, scan_report(estate, policy=True)).policy
    assert same is not None and {p.change for p in same} == {Change.STILL_FAILING}
    edit(estate / PROD_WS, lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    shutil.copytree(estate / "dev", estate / "dev2")
    new = scan_report(estate, policy=True)
    changes = compare(old, new).policy
    assert changes is not None
    regressed = {(p.resource_name, p.definition_id.lower()) for p in changes if p.change == Change.REGRESSED}
    assert ("mlw-fraud-prod", public_access) in regressed
    dev_results = [r for r in new["policy"]["results"] if r["resource_name"] == "mlw-fraud-dev"
                   and r["definition_id"].lower() == public_access]
    assert sorted(r["deployment"] for r in dev_results) == [
        "dev/azuredeploy.json with dev/azuredeploy.parameters.json",
        "dev2/azuredeploy.json with dev2/azuredeploy.parameters.json",
    ]
    new_ones = {(p.resource_name, p.definition_id.lower()) for p in changes if p.change == Change.NEW}
    assert ("mlw-fraud-dev", public_access) in new_ones  # dev2's; dev's own is still failing
    assert ("mlw-fraud-dev", public_access) in {(p.resource_name, p.definition_id.lower()) for p in changes
                                                if p.change == Change.STILL_FAILING}
