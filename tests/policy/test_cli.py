"""`mlwaf policy list | show | test` through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import xmlschema
from typer.testing import CliRunner

from mlwaf.cli import app

RUNNER = CliRunner()
SUITES = Path(__file__).parent / "builtins"
XSD = Path(__file__).resolve().parents[1] / "data" / "junit-10.xsd"


def test_list_json_by_category():
    result = RUNNER.invoke(app, ["policy", "list", "--category", "Machine Learning", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 26 and {r["category"] for r in rows} == {"Machine Learning"}
    pna = next(r for r in rows if r["name"].startswith("438c38d2"))
    assert pna["evaluated"] and pna["effect"] == {
        "parameter": "effect",
        "default": "Audit",
        "allowed": ["Audit", "Deny", "Disabled"],
    }
    rp = next(r for r in rows if r["name"].startswith("12e5dd16"))
    assert not rp["evaluated"] and "data-plane" in rp["not_evaluated_reason"]


def test_list_initiatives():
    result = RUNNER.invoke(app, ["policy", "list", "--initiatives", "--format", "json"])
    assert result.exit_code == 0
    assert any(r["name"] == "1f3afdf9-d0c9-4c3d-847f-89da613e70a8" for r in json.loads(result.output))


def test_show_by_display_name_names_aliases_and_paths():
    result = RUNNER.invoke(app, ["policy", "show", "Azure Machine Learning Computes should be in a virtual network"])
    assert result.exit_code == 0, result.output
    assert "properties.properties.subnet.id" in result.output
    assert "computeType in" in result.output
    shown = json.loads(
        RUNNER.invoke(app, ["policy", "show", "7804b5c7-01dc-4723-969b-ae300cc07ff1", "-f", "json"]).output
    )
    assert {a["alias"] for a in shown["aliases"]} >= {"Microsoft.MachineLearningServices/workspaces/computes/subnet.id"}


def test_show_an_initiative_and_an_unknown_name():
    result = RUNNER.invoke(app, ["policy", "show", "1f3afdf9-d0c9-4c3d-847f-89da613e70a8"])
    assert result.exit_code == 0 and "azureMachineLearningWorkspacesShouldDisablePublicNetworkAccess" in result.output
    missing = RUNNER.invoke(app, ["policy", "show", "no such policy"])
    assert missing.exit_code == 2 and "no built-in definition or initiative" in missing.output


def test_test_passes_writes_valid_junit(tmp_path):
    out = tmp_path / "policy-junit.xml"
    result = RUNNER.invoke(
        app, ["policy", "test", str(SUITES / "438c38d2-workspace-public-network-access"), "--junit", str(out)]
    )
    assert result.exit_code == 0, result.output
    xmlschema.XMLSchema(XSD).validate(out)
    assert 'tests="3"' in out.read_text() and 'failures="0"' in out.read_text()


def test_a_failing_fixture_exits_1_and_is_a_junit_failure(tmp_path):
    suite = tmp_path / "pna"
    shutil.copytree(SUITES / "438c38d2-workspace-public-network-access", suite)
    (suite / "tests" / "compliant-public-network-disabled.json").rename(
        suite / "tests" / "noncompliant-wrongly-named.json"
    )
    out = tmp_path / "j.xml"
    result = RUNNER.invoke(app, ["policy", "test", str(suite), "--junit", str(out), "-f", "json"])
    assert result.exit_code == 1
    failed = [c for c in json.loads(result.output)["cases"] if not c["passed"]]
    assert [(c["fixture"], c["got"]) for c in failed] == [("noncompliant-wrongly-named.json", "Compliant")]
    xmlschema.XMLSchema(XSD).validate(out)
    assert "expected NonCompliant, got Compliant" in out.read_text()


def test_a_bad_policy_file_is_an_input_error_naming_file_and_pointer(tmp_path):
    suite = tmp_path / "custom"
    (suite / "tests").mkdir(parents=True)
    (suite / "policy.json").write_text(
        json.dumps({"name": "x", "properties": {"mode": "All", "policyRule": {"if": {}}}})
    )
    (suite / "tests" / "compliant-a.json").write_text("{}")
    result = RUNNER.invoke(app, ["policy", "test", str(suite)])
    assert result.exit_code == 2
    assert "policy.json" in result.output and "/properties/policyRule" in result.output


def test_no_suite_is_a_usage_error(tmp_path):
    result = RUNNER.invoke(app, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 2 and "no suite" in result.output
