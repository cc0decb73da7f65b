"""Azure Policy results in SARIF, Markdown, CSV (mlwaf.policy.csv) and JUnit: the same results
as the JSON's `policy` section, what Azure would deny first, located and fingerprinted like
findings, suppressions and baselines marked as for findings; and --no-policy leaves every one of
these formats as it was before policy results joined them (the committed sample reports with
their policy parts taken out)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.model import policy_identity
from mlwaf.report import policy_csv
from tests.test_scan_policy import DEFINITION_ID, assignment, definition, template, write

from .test_junit import XSD

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "docs" / "sample-reports"
FORMATS = ("sarif", "markdown", "csv", "policy-csv", "junit")
HOSTILE = "Deny | public @platform-team =cmd <b>AML</b>"


def scan(where: Path, *args: str | Path) -> tuple[int, Path]:
    """`mlwaf scan ARGS` from `where` (SARIF paths are relative to the working directory) into
    where/out; the exit code and the folder."""
    out = where / "out"
    flags = [x for f in FORMATS for x in ("-f", f)]
    result = runner.invoke(app, ["scan", *map(str, args), *flags, "--output-dir", str(out), "--reproducible", "-q"],
                           catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, out


@pytest.fixture
def estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A template with a public and a private workspace, and a custom policy (hostile display
    name) assigned with Deny."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "infra", {"main.json": template(("mlw-public", "Enabled"), ("mlw-private", "Disabled"))})
    doc = definition()
    doc["properties"]["displayName"] = HOSTILE
    write(tmp_path / "policies", {"definition.json": doc, "assignment.json": assignment()})
    return tmp_path


def sarif_policy(out: Path) -> tuple[dict, list[dict], list[dict]]:
    doc = json.loads((out / "mlwaf.sarif").read_text(encoding="utf-8"))
    run = doc["runs"][0]
    rules = [r for r in run["tool"]["driver"]["rules"] if "azure-policy" in r["properties"]["tags"]]
    ids = {r["id"] for r in rules}
    return doc, rules, [r for r in run["results"] if r["ruleId"] in ids]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# --- SARIF --------------------------------------------------------------------------------------


def test_sarif_a_denied_resource_is_an_error_located_and_fingerprinted(estate):
    _, out = scan(estate, "infra", "--policy", "policies")
    doc, rules, results = sarif_policy(out)
    (rule,) = rules
    assert rule["id"] == "deny-public-aml" and rule["shortDescription"]["text"] == HOSTILE
    assert rule["defaultConfiguration"]["level"] == "error" and "helpUri" not in rule  # a custom definition
    assert "\\<b\\>" in rule["help"]["markdown"] and "@\u200bplatform" in rule["help"]["markdown"]
    (res,) = results  # the private workspace is compliant: not a result
    assert (res["kind"], res["level"]) == ("fail", "error")
    assert doc["runs"][0]["tool"]["driver"]["rules"][res["ruleIndex"]] == rule
    assert res["properties"]["would"] == "deny" and res["properties"]["assignment"] == "aml-guard"
    assert any("publicNetworkAccess" in e and '"Enabled"' in e for e in res["properties"]["evidence"])
    region = res["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "infra/main.json"
    assert region["region"]["startLine"] == line_of(estate / "infra" / "main.json", '"publicNetworkAccess": "Enabled"')
    runner.invoke(app, ["scan", "infra", "--policy", "policies", "-f", "json", "-o", "r.json", "--reproducible"])
    (public,) = [r for r in json.loads(Path("r.json").read_text())["policy"]["results"]
                 if r["resource_name"] == "mlw-public"]
    assert public["assignment_id"].endswith("/policyAssignments/aml-guard")
    identity = policy_identity(public["assignment_id"], DEFINITION_ID, None, public["resource_id"],
                               public.get("deployment"))
    assert res["partialFingerprints"] == {
        "mlwafFindingIdentity/v1": hashlib.sha256(identity.encode()).hexdigest()}


def test_sarif_with_policies_is_valid_against_the_schema(estate, shared):
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    _, out = scan(estate, "infra", "--policy", "policies")
    doc = json.loads((out / "mlwaf.sarif").read_text())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    broken = json.loads(json.dumps(doc))
    _, _, (res,) = sarif_policy(out)
    broken["runs"][0]["results"][doc["runs"][0]["results"].index(res)]["level"] = "deny"
    assert list(validator.iter_errors(broken)), "the schema check can fail"


def test_sarif_fingerprints_survive_moved_lines_and_lines_move(estate):
    _, out = scan(estate, "infra", "--policy", "policies")
    (before,) = sarif_policy(out)[2]
    main = estate / "infra" / "main.json"
    main.write_text("\n\n\n" + json.dumps(json.loads(main.read_text()), indent=6))
    _, out = scan(estate, "infra", "--policy", "policies")
    (after,) = sarif_policy(out)[2]
    assert after["partialFingerprints"] == before["partialFingerprints"]
    start = "physicalLocation", "region", "startLine"
    assert after["locations"][0][start[0]][start[1]][start[2]] != before["locations"][0][start[0]][start[1]][start[2]]


def test_sarif_builtins_link_their_definition_and_compliant_results_only_with_passes(estate):
    _, out = scan(estate, "infra")  # the default assignment: built-ins
    _, rules, results = sarif_policy(out)
    assert rules and all(r["helpUri"].startswith("https://portal.azure.com/") for r in rules)
    assert results and {r["kind"] for r in results} == {"fail"}
    public_access = next(r for r in rules if r["id"] == "438c38d2-3772-465a-a9cc-7a6666a275ce")
    assert public_access["shortDescription"]["text"] == "Azure Machine Learning Workspaces should disable public " \
                                                        "network access"
    runner.invoke(app, ["scan", "infra", "-f", "sarif", "-o", "with-pass.sarif", "--sarif-include-pass", "-q",
                        "--reproducible"])
    passes = [r for r in json.loads(Path("with-pass.sarif").read_text())["runs"][0]["results"]
              if r["ruleId"] == public_access["id"]]
    assert {(r["kind"], r["locations"][0]["logicalLocations"][0]["name"]) for r in passes} == {
        ("fail", "mlw-public"), ("pass", "mlw-private")}
    notes = json.loads((out / "mlwaf.sarif").read_text())["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n for n in notes if n["descriptor"]["id"] == "policy-not-evaluated"]


def suppress(estate: Path) -> Path:
    config = estate / "mlwaf.toml"
    config.write_text('[[suppressions]]\npolicy = "deny-public-*"\nresource = "*/workspaces/mlw-public"\n'
                      'reason = "approved exception RISK-7"\nexpires = 2999-01-01\n')
    return config


def test_a_suppressed_or_baselined_policy_result_is_marked_in_every_format(estate):
    code, out = scan(estate, "infra", "--policy", "policies", "--config", suppress(estate), "--fail-on-policy", "deny")
    assert code == 0
    (res,) = sarif_policy(out)[2]
    source = {"source": "mlwaf.toml [[suppressions]] #1"}
    assert res["suppressions"] == [{"kind": "external", "status": "accepted",
                                    "justification": "approved exception RISK-7", "properties": source}]
    (row,) = [r for r in csv.DictReader(io.StringIO((out / "mlwaf.policy.csv").read_text())) if r["state"] ==
              "NonCompliant"]
    assert (row["suppressed"], row["counted"], row["suppression_reason"]) == ("true", "false", "approved exception "
                                                                                                 "RISK-7")
    skipped = ET.parse(out / "mlwaf.junit.xml").getroot().find(".//testsuite[@name='mlwaf.policy.aml-guard']"
                                                                "/testcase/skipped")
    assert skipped.get("message") == "suppressed: approved exception RISK-7 (NonCompliant)"
    assert "suppressed: approved exception RISK-7" in (out / "mlwaf.md").read_text()

    (estate / "mlwaf.toml").unlink()
    created = runner.invoke(app, ["baseline", "create", "infra", "--policy", "policies", "-o", "baseline.json"])
    assert created.exit_code == 0, created.output
    code, out = scan(estate, "infra", "--policy", "policies", "--baseline", "baseline.json", "--fail-on-policy", "deny")
    assert code == 0
    (res,) = sarif_policy(out)[2]
    assert res["baselineState"] == "unchanged" and "suppressions" not in res
    junit = ET.parse(out / "mlwaf.junit.xml").getroot().find(".//testsuite[@name='mlwaf.policy.aml-guard']")
    assert junit.get("failures") == "0" and junit.find("testcase/skipped").get("message").startswith("in the baseline")


# --- Markdown, CSV, JUnit -----------------------------------------------------------------------


def test_markdown_lists_what_would_be_denied_first_then_compliance_and_not_evaluated(estate):
    _, out = scan(estate, "infra", "--policy", "policies")
    text = (out / "mlwaf.md").read_text()
    section = text[text.index("### Azure Policy"):]
    headings = re.findall(r"^#### (.*)$", section, re.M)
    assert headings == ["⛔ Would be denied at deployment (1)", "Compliance per assignment",
                        "Non-compliant resources (1)"]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    flat = [c for t in tokens for c in (t, *(t.children or []))]
    assert not [t for t in flat if t.type in ("html_inline", "html_block", "link_open")]
    rows = [[c.content for c in t.children] for t in tokens if t.type == "inline" and "mlw-public" in t.content]
    assert rows  # a table row, cells unbroken by the policy name's "|"
    cells = [t.content for t in tokens if t.type == "inline"]
    assert "Deny | public @\u200bplatform-team =cmd \\<b\\>AML\\</b\\>" in cells  # one cell, no tag
    assert "| AML guard | policies/assignment.json | Default | 50% | 2 | 1 | 1 | 0 |" in section

    _, out = scan(estate, "infra")  # the default assignment leaves definitions not evaluated
    section = (out / "mlwaf.md").read_text().split("### Azure Policy", 1)[1]
    assert re.search(r"^#### Not evaluated \(\d+ definitions\)$", section, re.M)
    assert "needs a value for" in section and "Would be denied" not in section


def test_policy_csv_has_a_row_per_result_formula_safe_and_mlwaf_csv_is_untouched(estate):
    _, out = scan(estate, "infra", "--policy", "policies")
    rows = list(csv.DictReader(io.StringIO((out / "mlwaf.policy.csv").read_text())))
    assert tuple(rows[0]) == policy_csv.COLUMNS
    assert [(r["resource_name"], r["state"], r["would"]) for r in rows] == [
        ("mlw-public", "NonCompliant", "deny"), ("mlw-private", "Compliant", "")]
    assert rows[0]["policy"] == HOSTILE and rows[0]["counted"] == "true" and rows[0]["line"]
    (estate / "policies" / "definition.json").write_text(
        (estate / "policies" / "definition.json").read_text().replace(HOSTILE, "=HYPERLINK(\\\"x\\\")"))
    _, out = scan(estate, "infra", "--policy", "policies")
    rows = list(csv.DictReader(io.StringIO((out / "mlwaf.policy.csv").read_text())))
    assert rows[0]["policy"] == "'=HYPERLINK(\"x\")"
    header = (out / "mlwaf.csv").read_text().splitlines()[0]
    assert header.startswith("check_id,title,pillar") and "assignment" not in header


def test_junit_has_a_suite_per_assignment_and_validates(estate):
    _, out = scan(estate, "infra", "--policy", "policies")
    text = (out / "mlwaf.junit.xml").read_text()
    xmlschema.XMLSchema(str(XSD)).validate(text)
    root = ET.fromstring(text)
    (suite,) = [s for s in root.findall("testsuite") if s.get("name", "").startswith("mlwaf.policy.")]
    assert suite.get("name") == "mlwaf.policy.aml-guard"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "0")
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["compliance_percent"] == "50" and props["enforcement_mode"] == "Default"
    failure = suite.find("testcase/failure")
    assert failure.get("type") == "deny" and "evidence: properties.publicNetworkAccess" in failure.text
    assert suite.find("testcase").get("file") == "main.json"


# --- --no-policy: every format as it was --------------------------------------------------------


@pytest.fixture(scope="module")
def without_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("no-policy")
    import os

    here = os.getcwd()
    os.chdir(REPO)  # as the samples are made: SARIF paths relative to the repository root
    try:
        flags = [x for f in FORMATS for x in ("-f", f)]
        result = runner.invoke(app, ["scan", "fixtures/sample-estate", "--reproducible", "--no-policy", *flags,
                                     "--output-dir", str(out), "-q"], catch_exceptions=False)
    finally:
        os.chdir(here)
    assert result.exit_code in (0, 1), result.output
    return out


def test_no_policy_csv_is_the_sample_and_the_policy_csv_a_header(without_policy):
    assert (without_policy / "mlwaf.csv").read_bytes() == (SAMPLES / "mlwaf.csv").read_bytes()
    assert (without_policy / "mlwaf.policy.csv").read_text() == ",".join(policy_csv.COLUMNS) + "\n"
    assert len((SAMPLES / "mlwaf.policy.csv").read_text().splitlines()) > 1


def test_no_policy_sarif_is_the_sample_without_its_policy_rules_results_and_notes(without_policy):
    sample = json.loads((SAMPLES / "mlwaf.sarif").read_text(encoding="utf-8"))
    run = sample["runs"][0]
    policy = {r["id"] for r in run["tool"]["driver"]["rules"] if "azure-policy" in r["properties"]["tags"]}
    assert policy and any(r["ruleId"] in policy for r in run["results"])
    run["tool"]["driver"]["rules"] = [r for r in run["tool"]["driver"]["rules"] if r["id"] not in policy]
    run["results"] = [r for r in run["results"] if r["ruleId"] not in policy]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    run["invocations"][0]["toolExecutionNotifications"] = [
        n for n in notes if n["descriptor"]["id"] != "policy-not-evaluated"]
    expected = json.dumps(sample, indent=2, ensure_ascii=False) + "\n"
    assert (without_policy / "mlwaf.sarif").read_text(encoding="utf-8") == expected


def test_no_policy_markdown_is_the_sample_without_its_policy_section(without_policy):
    sample = (SAMPLES / "mlwaf.md").read_text(encoding="utf-8")
    start = sample.index("\n### Azure Policy\n")
    end = sample.index("\n### ", start + 1)
    assert (without_policy / "mlwaf.md").read_text(encoding="utf-8") == sample[:start] + sample[end:]


def test_no_policy_junit_is_the_sample_without_its_policy_suites(without_policy):
    root = ET.parse(SAMPLES / "mlwaf.junit.xml").getroot()
    policy = [s for s in root.findall("testsuite") if s.get("name", "").startswith("mlwaf.policy.")]
    assert policy
    for suite in policy:
        root.remove(suite)
    for total in ("tests", "failures", "errors"):
        root.set(total, str(sum(int(s.get(total)) for s in root.findall("testsuite"))))
    ET.indent(root)
    expected = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    assert (without_policy / "mlwaf.junit.xml").read_text(encoding="utf-8") == expected


def test_azures_own_state_travels_with_a_result_in_sarif_csv_and_junit(estate):
    """A live scan sets Azure's state and the disagreement on a result: every format shows it."""
    import dataclasses

    from mlwaf.policy.results import AzureState
    from mlwaf.report import junit, sarif
    from mlwaf.scan import PolicyOptions, ScanOptions, run_scan
    from mlwaf.sources import ReadOptions

    result = run_scan([estate / "infra"], ScanOptions(read=ReadOptions(root=estate / "infra"), reproducible=True,
                                                      policy=PolicyOptions(paths=(estate / "policies",))))
    said = AzureState("Compliant", "2026-11-30T08:00:00Z", "mlwaf NonCompliant, Azure Compliant")
    report = dataclasses.replace(result.policy, results=[
        dataclasses.replace(r, azure=said) if r.failing else r for r in result.policy.results])
    result = dataclasses.replace(result, policy=report)
    (res,) = [r for r in json.loads(sarif.render(result))["runs"][0]["results"] if r["ruleId"] == "deny-public-aml"]
    assert res["properties"]["azure"] == said.to_dict()
    rows = {r["resource_name"]: r for r in csv.DictReader(io.StringIO(policy_csv.render(result)))}
    assert (rows["mlw-public"]["azure_state"], rows["mlw-public"]["azure_disagreement"]) == (
        "Compliant", "mlwaf NonCompliant, Azure Compliant")
    assert rows["mlw-private"]["azure_state"] == ""
    failure = ET.fromstring(junit.render(result)).find(".//testsuite[@name='mlwaf.policy.aml-guard']//failure")
    assert "azure says: Compliant (evaluated 2026-11-30T08:00:00Z); differs: mlwaf NonCompliant, Azure Compliant" \
        in failure.text
