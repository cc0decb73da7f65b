"""Azure Policy in a scan (issue 14): which policies a scan evaluates (the default assignment,
--policy-set, --policy, policy resources in the scanned templates, --no-policy, mlwaf.toml), the
report's `policy` section, input errors, and policy results beside the findings: scores
untouched, the gate (--fail-on-policy), suppressions and baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from tests.arm import SUB, WS

runner = CliRunner()

RULE = {
    "if": {
        "allOf": [
            {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
            {"field": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess", "notEquals": "Disabled"},
        ]
    },
    "then": {"effect": "[parameters('effect')]"},
}
EFFECT = {"effect": {"type": "String", "defaultValue": "Audit", "allowedValues": ["Audit", "Deny", "Disabled"]}}
DEFINITION_ID = "/providers/Microsoft.Authorization/policyDefinitions/deny-public-aml"
PUBLIC_ACCESS = "438c38d2-3772-465a-a9cc-7a6666a275ce"  # the built-in the default assignment holds


def definition(parameters=EFFECT, name="deny-public-aml"):
    return {"id": f"/providers/Microsoft.Authorization/policyDefinitions/{name}", "name": name,
            "type": "Microsoft.Authorization/policyDefinitions",
            "properties": {"displayName": "Deny public AML workspaces", "mode": "Indexed", "parameters": parameters,
                           "policyRule": RULE, "metadata": {"category": "Machine Learning"}}}


def assignment(effect="Deny", name="aml-guard", **properties):
    return {"id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/{name}", "name": name,
            "type": "Microsoft.Authorization/policyAssignments",
            "properties": {"displayName": "AML guard", "policyDefinitionId": DEFINITION_ID,
                           "parameters": {"effect": {"value": effect}} if effect else {}, **properties}}


def template(*workspaces: tuple[str, str]) -> dict:
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": WS, "apiVersion": "2024-04-01", "name": name, "location": "westeurope",
             "identity": {"type": "SystemAssigned"}, "properties": {"publicNetworkAccess": pna}}
            for name, pna in workspaces
        ],
    }


def write(folder: Path, files: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, doc in files.items():
        (folder / name).write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
    return folder


def scan(*args: str | Path) -> tuple[int, dict, str]:
    """Exit code, JSON report and console output of `mlwaf scan ARGS --format json`."""
    out = Path(args[0]).parent / "report.json"
    out.unlink(missing_ok=True)
    result = runner.invoke(app, ["scan", *map(str, args), "-f", "json", "-o", str(out), "--reproducible"],
                           catch_exceptions=False)
    report = json.loads(out.read_text()) if out.exists() else {}
    return result.exit_code, report, result.output


@pytest.fixture
def workload(tmp_path: Path) -> Path:
    return write(tmp_path / "infra", {"main.json": template(("mlw-public", "Enabled"), ("mlw-private", "Disabled"))})


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    return write(tmp_path / "policies", {"definition.json": definition(), "assignment.json": assignment()})


def _results(report: dict, assignment_name: str | None = None) -> dict[str, dict]:
    """resource name -> result, for one assignment's one definition."""
    return {r["resource_name"]: r for r in report["policy"]["results"]
            if assignment_name is None or r["assignment"] == assignment_name}


# --- what is evaluated --------------------------------------------------------------------------


def test_a_scan_evaluates_the_default_assignment_named_in_the_report(workload):
    code, report, output = scan(workload)
    assert code == 0, output
    section = report["policy"]
    assert set(section) == {"assignments", "results", "not_evaluated", "summary"}
    (default,) = section["assignments"]
    assert default["name"] == "mlwaf-default" and "Machine Learning" in default["display_name"]
    assert set(default) == {"id", "name", "display_name", "scope", "definition_id", "enforcement_mode", "source"}
    public = [r for r in section["results"] if r["definition_name"] == PUBLIC_ACCESS]
    assert {r["resource_name"]: r["state"] for r in public} == {"mlw-public": "NonCompliant",
                                                               "mlw-private": "Compliant"}
    (bad,) = [r for r in public if r["state"] == "NonCompliant"]
    assert bad["evaluated_as"] == "request" and bad["deployment"] == "main.json"
    assert bad["location"] == {"path": "main.json", "line": 14, "column": 9}  # the publicNetworkAccess line
    assert {n["reason"] for n in section["not_evaluated"]}  # required parameters, data-plane modes: each says why
    assert "Azure Policy mlwaf-default (" in output and "% compliant" in output  # one console line per assignment


def test_no_policy_leaves_the_section_out_and_nothing_else_changes(workload, tmp_path):
    _, with_policy, _ = scan(workload)
    code, without, _ = scan(workload, "--no-policy")
    assert code == 0 and "policy" not in without
    with_policy.pop("policy")
    assert with_policy == without  # findings, scores and the gate are the same: policy never scores


def test_policy_files_replace_the_default_assignment(workload, policies):
    code, report, output = scan(workload, "--policy", policies)
    assert code == 0, output
    assert [a["name"] for a in report["policy"]["assignments"]] == ["aml-guard"]
    results = _results(report)
    assert (results["mlw-public"]["state"], results["mlw-public"]["would"]) == ("NonCompliant", "deny")
    assert results["mlw-private"]["state"] == "Compliant"
    assert report["policy"]["summary"]["would_deny"] == 1
    assert report["policy"]["assignments"][0]["source"].endswith("assignment.json")


def test_a_policy_set_by_name_and_an_unknown_one(workload):
    code, report, _ = scan(workload, "--policy-set", "Microsoft cloud security benchmark")
    assert code == 0
    (a,) = report["policy"]["assignments"]
    assert a["source"] == "--policy-set" and a["definition_id"].endswith("1f3afdf9-d0c9-4c3d-847f-89da613e70a8")
    assert report["policy"]["summary"]["initiatives"][0]["assignment"] == a["name"]
    code, report, output = scan(workload, "--policy-set", "Microsoft cloud security")
    assert code == 2 and report == {}
    assert "--policy-set: no built-in initiative named 'Microsoft cloud security'; did you mean" in output


def test_policy_resources_in_the_scanned_templates_are_evaluated(tmp_path):
    policy_template = {
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": "2021-06-01", "name": "deny-public-aml",
             "properties": {**definition()["properties"],  # [[ escapes the policy's own expression
                            "policyRule": {**RULE, "then": {"effect": "[[parameters('effect')]"}}}},
            {"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01", "name": "from-template",
             "properties": {"policyDefinitionId": "[subscriptionResourceId("
                                                  "'Microsoft.Authorization/policyDefinitions', 'deny-public-aml')]",
                            "parameters": {"effect": {"value": "Deny"}}}},
        ],
    }
    workload = template(("mlw-public", "Enabled"))
    folder = write(tmp_path / "infra", {"main.json": workload, "policy.json": policy_template})
    code, report, output = scan(folder)
    assert code == 0, output
    assert [a["name"] for a in report["policy"]["assignments"]] == ["from-template"]
    assert _results(report)["mlw-public"]["would"] == "deny"


def test_a_bad_policy_file_is_an_input_error_naming_file_and_pointer(workload, tmp_path):
    bad = write(tmp_path / "bad", {"assignment.json": assignment(enforcementMode="Sometimes")})
    code, report, output = scan(workload, "--policy", bad / "assignment.json")
    assert code == 3, output  # incomplete, as for any input that cannot be read
    (err,) = report["errors"]
    assert err["path"].endswith("bad/assignment.json") and err["pointer"] == "/properties/enforcementMode"
    assert "Default or DoNotEnforce" in err["message"]
    assert report["findings"]  # the scan went on


def test_a_required_parameter_without_a_value_is_an_error_naming_it(workload, tmp_path):
    required = {"effect": {"type": "String", "allowedValues": ["Audit", "Deny"]}}
    folder = write(tmp_path / "req", {"definition.json": definition(required), "assignment.json": assignment(None)})
    code, report, _ = scan(workload, "--policy", folder)
    assert code == 3
    assert any("effect" in e["message"] and "value" in e["message"] for e in report["errors"]), report["errors"]
    assert report["policy"]["results"] == []


def test_policy_settings_in_the_config_file(workload, policies, tmp_path):
    config = tmp_path / "mlwaf.toml"
    config.write_text('policy = ["policies"]\nfail-on-policy = "deny"\n')
    code, report, output = scan(workload, "--config", config)
    assert code == 1, output
    assert [a["name"] for a in report["policy"]["assignments"]] == ["aml-guard"]
    assert report["gate"]["options"]["fail_on_policy"] == "deny"
    (reason,) = report["gate"]["reasons"]
    assert reason["rule"] == "fail-on-policy" and reason["policy"][0]["display_name"] == "Deny public AML workspaces"
    config.write_text('no-policy = true\n')
    code, report, _ = scan(workload, "--config", config)
    assert code == 0 and "policy" not in report
    config.write_text('no-policy = true\nfail-on-policy = "deny"\n')
    code, _, output = scan(workload, "--config", config)
    assert code == 2 and "no-policy turns Azure Policy off, yet fail-on-policy is set" in output
    config.write_text('fail-on-policy = "sometimes"\n')
    code, _, output = scan(workload, "--config", config)
    assert code == 2 and "'fail-on-policy'" in output and "deny or noncompliant" in output


# --- the gate, suppressions, baselines ----------------------------------------------------------


def test_fail_on_policy_deny_and_noncompliant(workload, policies, tmp_path):
    audit = write(tmp_path / "audit", {"definition.json": definition(), "assignment.json": assignment("Audit")})
    assert scan(workload, "--policy", policies, "--fail-on-policy", "deny")[0] == 1
    code, report, _ = scan(workload, "--policy", audit, "--fail-on-policy", "deny")
    assert code == 0 and _results(report)["mlw-public"]["would"] == "audit"  # Azure would not deny it
    code, report, output = scan(workload, "--policy", audit, "--fail-on-policy", "noncompliant")
    assert code == 1
    assert "1 non-compliant policy result(s), not suppressed: Deny public AML workspaces on mlw-public" in output
    enforced_off = write(tmp_path / "off", {"definition.json": definition(),
                                            "assignment.json": assignment(enforcementMode="DoNotEnforce")})
    assert scan(workload, "--policy", enforced_off, "--fail-on-policy", "deny")[0] == 0


def test_policy_results_are_suppressed_with_a_reason_and_an_expiry(workload, policies, tmp_path):
    config = tmp_path / "mlwaf.toml"
    rule = ('[[suppressions]]\npolicy = "deny-public-*"\nresource = "*/workspaces/mlw-public"\n'
            'reason = "approved exception RISK-7"\nexpires = {}\n')
    config.write_text(rule.format("2999-01-01"))
    code, report, output = scan(workload, "--policy", policies, "--fail-on-policy", "deny", "--config", config)
    assert code == 0, output
    public = _results(report)["mlw-public"]
    assert public["suppressed"] is True and public["suppression"]["reason"] == "approved exception RISK-7"
    assert report["suppressions"]["policy_suppressed"] == 1
    assert report["suppressions"]["rules"][0]["matched"] == 1 and report["suppressions"]["rules"][0]["policy"]
    config.write_text(rule.format("2001-01-01"))
    code, report, _ = scan(workload, "--policy", policies, "--fail-on-policy", "deny", "--config", config)
    assert code == 1
    expired = _results(report)["mlw-public"]
    assert expired["suppressed"] is False and expired["suppression"]["expired"] is True


def test_a_suppression_names_a_check_or_a_policy_not_both(workload, tmp_path):
    config = tmp_path / "mlwaf.toml"
    config.write_text('[[suppressions]]\npolicy = "x"\ncheck = "MLW-SEC-001"\nresource = "*"\nreason = "r"\n')
    code, _, output = scan(workload, "--config", config)
    assert code == 2 and "give 'check' (findings) or 'policy' (Azure Policy results), not both" in output


def test_a_baseline_records_policy_results_and_knows_them_again(workload, policies, tmp_path):
    baseline = tmp_path / "baseline.json"
    created = runner.invoke(app, ["baseline", "create", str(workload), "--policy", str(policies), "-o", str(baseline)])
    assert created.exit_code == 0, created.output
    assert "and 1 Azure Policy results" in created.output
    recorded = json.loads(baseline.read_text())["policy"]
    assert recorded == [{"assignment": "aml-guard", "assignment_id": assignment()["id"], "definition_id": DEFINITION_ID,
                         "resource_id": recorded[0]["resource_id"], "deployment": "main.json",
                         "state": "NonCompliant"}]
    code, report, output = scan(workload, "--policy", policies, "--fail-on-policy", "deny", "--baseline", baseline)
    assert code == 0, output
    assert _results(report)["mlw-public"]["in_baseline"] is True
    assert report["baseline"]["policy"] == {"recorded": 1, "known": 1, "new": 0, "fixed": []}
    # Fixed: the workspace turns public access off; a regression elsewhere is new.
    write(workload, {"main.json": template(("mlw-public", "Disabled"), ("mlw-private", "Enabled"))})
    code, report, output = scan(workload, "--policy", policies, "--fail-on-policy", "deny", "--baseline", baseline)
    assert code == 1, output
    part = report["baseline"]["policy"]
    assert (part["known"], part["new"]) == (0, 1)
    assert [(f["resource_id"].rsplit("/", 1)[-1], f["was"], f["now"]) for f in part["fixed"]] == [
        ("mlw-public", "NonCompliant", "Compliant")]


def test_a_baseline_without_policy_results_makes_every_failing_one_new(workload, policies, tmp_path):
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["baseline", "create", str(workload), "--no-policy", "-o", str(baseline)])
    assert "policy" not in json.loads(baseline.read_text())
    code, report, _ = scan(workload, "--policy", policies, "--fail-on-policy", "deny", "--baseline", baseline)
    assert code == 1 and report["baseline"]["policy"] == {"recorded": None, "known": 0, "new": 1, "fixed": []}


# --- an assignment is its id (scope + name), not its name ----------------------------------------

SUB_B = "22222222-2222-2222-2222-222222222222"


def test_the_same_name_assigned_at_two_scopes_is_two_assignments(tmp_path):
    """Two assignment files of one name, each at its own subscription and without an id (Azure's
    id is the scope's, then the name): each judges only its subscription's workspaces, has its own
    summary entry and its own identity in every report and in the baseline."""
    from tests.arm import body

    estate = write(tmp_path / "estate", {
        "a-public.json": body(WS, "mlw-a-public", {"publicNetworkAccess": "Enabled"}, location="westeurope"),
        "a-private.json": body(WS, "mlw-a-private", {"publicNetworkAccess": "Disabled"}, location="westeurope"),
        "b-public.json": body(WS, "mlw-b-public", {"publicNetworkAccess": "Enabled"}, location="westeurope",
                              subscription=SUB_B),
    })

    def at(sub: str) -> dict:
        doc = assignment(effect="Audit", scope=f"/subscriptions/{sub}")
        del doc["id"]
        return doc

    policies = write(tmp_path / "policies", {"definition.json": definition(), "a.json": at(SUB), "b.json": at(SUB_B)})
    out = tmp_path / "out"
    result = runner.invoke(app, ["scan", str(estate), "--policy", str(policies), "--reproducible", "-q",
                                 "--output-dir", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    policy = json.loads((out / "mlwaf.json").read_text())["policy"]
    ids = {sub: f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/aml-guard"
           for sub in (SUB, SUB_B)}
    assert [(a["id"], a["name"]) for a in policy["assignments"]] == [(ids[SUB], "aml-guard"), (ids[SUB_B], "aml-guard")]
    # No assignment judges the other subscription's workspace.
    assert sorted((r["assignment_id"], r["resource_name"], r["state"]) for r in policy["results"]) == [
        (ids[SUB], "mlw-a-private", "Compliant"), (ids[SUB], "mlw-a-public", "NonCompliant"),
        (ids[SUB_B], "mlw-b-public", "NonCompliant")]
    entries = {e["assignment_id"]: e for e in policy["summary"]["assignments"]}
    assert entries[ids[SUB]]["resources"]["total"] == 2 and entries[ids[SUB]]["compliance_percent"] == 50.0
    assert entries[ids[SUB_B]]["resources"]["total"] == 1 and entries[ids[SUB_B]]["compliance_percent"] == 0.0
    assert [e["scope"] for e in policy["summary"]["assignments"]] == [f"/subscriptions/{s}" for s in (SUB, SUB_B)]

    # People see the name with its scope where it is ambiguous; the data formats carry the id.
    junit = (out / "mlwaf.junit.xml").read_text()
    for sub in (SUB, SUB_B):
        assert f'name="mlwaf.policy.aml-guard at /subscriptions/{sub}"' in junit
    assert f"AML guard (aml-guard at /subscriptions/{SUB_B})" in (out / "mlwaf.md").read_text()
    csv_text = (out / "mlwaf.policy.csv").read_text()
    assert csv_text.startswith("assignment,assignment_id,") and ids[SUB_B] in csv_text
    sarif = json.loads((out / "mlwaf.sarif").read_text())
    assert sorted(r["properties"]["assignmentId"] for r in sarif["runs"][0]["results"]
                  if r["ruleId"] == "deny-public-aml") == [ids[SUB], ids[SUB_B]]

    # The baseline records the id; an entry written before it (the name only) still matches.
    baseline = tmp_path / "baseline.json"
    created = runner.invoke(app, ["baseline", "create", str(estate), "--policy", str(policies), "-o", str(baseline)])
    assert created.exit_code == 0, created.output
    recorded = json.loads(baseline.read_text())
    assert sorted(e["assignment_id"] for e in recorded["policy"]) == [ids[SUB], ids[SUB_B]]
    for e in recorded["policy"]:
        del e["assignment_id"]
    baseline.write_text(json.dumps(recorded))
    _, report, output = scan(estate, "--policy", policies, "--baseline", baseline)
    assert report["baseline"]["policy"] == {"recorded": 2, "known": 2, "new": 0, "fixed": []}, output
