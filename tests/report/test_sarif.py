"""SARIF: valid against the OASIS schema, and shaped the way GitHub code scanning needs it."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.model import Origin, Resource, Severity, Status
from mlwaf.registry import load
from mlwaf.report import ReportOptions, sarif
from mlwaf.results import ScanResult
from mlwaf.scan import ScanOptions, evaluate, run_scan, select_checks
from mlwaf.sources import ReadOptions, SourceResult

from .conftest import SUB, WS_TYPE, arm_id, compute_instance, scan, workspace, write_json


@pytest.fixture(scope="module")
def validator(shared: Path) -> jsonschema.Draft4Validator:
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    # Every format jsonschema knows, uri-reference included (artifact URIs are uri-references).
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def log(result: ScanResult, **options: Any) -> dict[str, Any]:
    return json.loads(sarif.render(result, ReportOptions(**options)))


def assert_valid(validator: jsonschema.Draft4Validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def checks_only(result: ScanResult) -> ScanResult:
    """The scan without its Azure Policy results (test_policy_reports has those): what these
    tests say of checks' rules and results."""
    return dataclasses.replace(result, policy=None)


def results_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    assert len(doc["runs"]) == 1
    return doc["runs"][0]["results"]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


# --- validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("include_pass", [False, True])
def test_sample_estate_is_valid_sarif(validator, sample_result, include_pass):
    doc = log(sample_result, sarif_include_pass=include_pass)
    assert_valid(validator, doc)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert results_of(doc), "the sample estate has failures: the SARIF must show them"


def test_hostile_estate_is_valid_sarif(validator, hostile_result):
    assert_valid(validator, log(hostile_result, sarif_include_pass=True))


def test_corpus_scan_is_valid_sarif(validator, corpus):
    result = scan(corpus)
    doc = log(result, sarif_include_pass=True)
    assert_valid(validator, doc)
    assert len(results_of(doc)) > 50


# --- locations --------------------------------------------------------------------------------


def test_every_result_has_a_relative_physical_location(sample_result):
    for res in results_of(log(sample_result, sarif_include_pass=True)):
        phys = res["locations"][0]["physicalLocation"]
        uri = phys["artifactLocation"]["uri"]
        assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not uri.startswith(("/", "file:")) and ":" not in uri.split("/")[0], uri
        assert phys["region"]["startLine"] >= 1


def test_location_is_the_line_of_the_offending_property(tmp_path):
    write_json(tmp_path / "ws.json", workspace("mlw-open", publicNetworkAccess="Enabled"))
    doc = log(scan(tmp_path))
    res = next(r for r in results_of(doc) if r["ruleId"] == "MLW-SEC-001")
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "ws.json"
    assert phys["region"]["startLine"] == line_of(tmp_path / "ws.json", '"publicNetworkAccess"')


def test_absent_property_points_where_it_would_be_written(tmp_path):
    ws = workspace("mlw-default")
    del ws["properties"]["publicNetworkAccess"]  # absent: Azure's default 'Enabled' applies
    write_json(tmp_path / "ws.json", ws)
    res = next(r for r in results_of(log(scan(tmp_path))) if r["ruleId"] == "MLW-SEC-001")
    assert res["kind"] == "fail"
    # Where the property would be written: its nearest ancestor in the file (the properties object).
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(
        tmp_path / "ws.json", '"properties"'
    )
    evidence = res["properties"]["evidence"][0]
    assert evidence["present"] is False and evidence["default_applied"] == "Enabled"


def test_paths_are_prefixed_with_the_scan_root_for_code_scanning(tmp_path, monkeypatch):
    write_json(tmp_path / "infra" / "ml" / "ws.json", workspace("mlw-open"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.sarif"
    run = CliRunner().invoke(app, ["scan", "infra", "--format", "sarif", "-o", str(out), "-q"])
    assert run.exit_code in (0, 1), run.output
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results_of(json.loads(out.read_text()))
    }
    assert uris == {"infra/ml/ws.json"}


def test_every_result_names_the_arm_id_as_logical_location(sample_result):
    ids = {f.resource.id for f in sample_result.findings}
    for res in results_of(log(sample_result)):
        logical = res["locations"][0]["logicalLocations"][0]
        assert logical["kind"] == "resource"
        assert logical["fullyQualifiedName"] in ids


def live_result(snapshot: str | None) -> ScanResult:
    """A resource as the live collector reads it: the request that fetched it, and the recorded
    snapshot file it was written to (or none)."""
    raw = workspace("mlw-live", publicNetworkAccess="Enabled")
    request = f"GET https://management.azure.com{raw['id']}?api-version=2025-12-01"
    origin = Origin(
        path=snapshot,
        pointer="",
        line=1 if snapshot else None,
        kind="rest-response",
        api_version="2025-12-01",
        request=request,
        subscription=SUB,
    )
    resource = Resource(type=WS_TYPE, id=raw["id"], name=raw["name"], raw=raw, origin=origin)
    return evaluate(
        SourceResult(resources=[resource]), select_checks(load([])), ScanOptions(reproducible=True), live=True
    )


def test_live_results_point_at_the_snapshot_and_carry_the_arm_id(validator):
    doc = log(live_result("snapshots/workspaces/mlw-live.json"))
    assert_valid(validator, doc)
    res = next(r for r in results_of(doc) if r["ruleId"] == "MLW-SEC-001")
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "snapshots/workspaces/mlw-live.json"
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == arm_id(WS_TYPE, "mlw-live")


def test_live_result_without_snapshot_keeps_a_logical_location(validator):
    doc = log(live_result(None))
    assert_valid(validator, doc)
    res = next(r for r in results_of(doc) if r["ruleId"] == "MLW-SEC-001")
    assert "physicalLocation" not in res["locations"][0]
    assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == arm_id(WS_TYPE, "mlw-live")


# --- fingerprints -----------------------------------------------------------------------------


def fingerprints(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
    out = {}
    for res in results_of(doc):
        fp = res["partialFingerprints"][sarif.FINGERPRINT_KEY]
        assert fp not in out, "two results share a fingerprint"
        out[fp] = (res["ruleId"], res["locations"][0]["physicalLocation"]["region"]["startLine"])
    return out


def test_fingerprints_are_stable_and_survive_moved_lines(tmp_path):
    first = tmp_path / "a"
    write_json(first / "ws.json", {"value": [workspace("mlw-a"), workspace("mlw-b", publicNetworkAccess="Disabled")]})
    before = fingerprints(log(scan(first)))
    assert before == fingerprints(log(scan(first)))  # same input, same fingerprints

    # The same estate reformatted and reordered: every line moves, no fingerprint changes.
    moved = tmp_path / "b"
    data = json.loads((first / "ws.json").read_text())
    data["value"].reverse()
    (moved).mkdir()
    (moved / "ws.json").write_text("\n\n\n" + json.dumps(data, indent=4) + "\n", encoding="utf-8")
    after = fingerprints(log(scan(moved)))
    assert set(after) == set(before)
    assert any(after[fp][1] != before[fp][1] for fp in before), "lines should have moved"


def test_fingerprint_depends_on_check_and_resource_only(sample_result):
    f = next(f for f in sample_result.findings if f.status is Status.FAIL)
    assert sarif.fingerprint(f) == sarif.fingerprint(f)
    other = next(g for g in sample_result.findings if g.check_id == f.check_id and g.resource.key != f.resource.key)
    assert sarif.fingerprint(other) != sarif.fingerprint(f)


# --- rules, levels, kinds ---------------------------------------------------------------------


def test_rules_describe_every_check(sample_result):
    for res in results_of(with_policy := log(sample_result)):
        assert with_policy["runs"][0]["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    doc = log(checks_only(sample_result))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(s.id for s in sample_result.checks)
    specs = {s.id: s for s in sample_result.checks}
    for r in rules:
        spec = specs[r["id"]]
        assert r["shortDescription"]["text"] == spec.title
        assert r["fullDescription"]["text"]
        assert spec.remediation in r["help"]["markdown"] and "**Remediation**" in r["help"]["markdown"]
        assert r["helpUri"].startswith("https://")
        tags = r["properties"]["tags"]
        assert spec.pillar.value.replace("_", "-") in tags and spec.family in tags
        assert len(tags) <= sarif.MAX_TAGS_PER_RULE
        if spec.pillar.value == "security":
            assert "security" in tags
            assert r["properties"]["security-severity"] == sarif.SECURITY_SEVERITY[spec.severity]
        else:
            assert "security-severity" not in r["properties"]
    for res in results_of(doc):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_security_severity_sits_in_githubs_bands():
    bands = {"high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
    for severity, value in sarif.SECURITY_SEVERITY.items():
        low, high = bands[severity.value]
        assert low <= float(value) <= high


def test_levels_follow_severity(sample_result):
    severity = {f"{f.check_id}|{f.resource.id}": f.severity.value for f in sample_result.findings}
    levels = set()
    for res in results_of(log(checks_only(sample_result))):
        if res["kind"] != "fail":
            continue
        sev = severity[f"{res['ruleId']}|{res['locations'][0]['logicalLocations'][0]['fullyQualifiedName']}"]
        assert res["level"] == {"high": "error", "medium": "warning", "low": "note"}[sev]
        levels.add(res["level"])
    assert len(levels) > 1, "not every failure is an error"


def test_pass_left_out_unless_asked(sample_result):
    sample_result = checks_only(sample_result)
    default = results_of(log(sample_result))
    assert {r["kind"] for r in default} <= {"fail", "review"}
    with_pass = results_of(log(sample_result, sarif_include_pass=True))
    passes = [r for r in with_pass if r["kind"] == "pass"]
    assert len(passes) == sum(1 for f in sample_result.findings if f.status is Status.PASS)
    assert all(r["level"] == "none" for r in passes)
    assert len(with_pass) == len(default) + len(passes)


def test_unknown_is_a_review_result(hostile_result):
    doc = log(hostile_result)
    reviews = [r for r in results_of(doc) if r["kind"] == "review"]
    unknown = [f for f in hostile_result.findings if f.status is Status.UNKNOWN]
    assert unknown and len(reviews) == len(unknown)
    # SARIF 2.1.0 §3.27.10: a result whose kind is not "fail" has level "none".
    assert all(r["level"] == "none" for r in reviews)
    template = next(r for r in reviews if r["ruleId"] == "MLW-SEC-001")
    assert template["properties"]["evidence"][0]["expression"] == "[parameters('publicNetworkAccess')]"


def test_suppressed_findings_carry_the_reason(hostile_result):
    suppressed = [r for r in results_of(log(hostile_result)) if "suppressions" in r]
    assert len(suppressed) == 1
    (s,) = suppressed[0]["suppressions"]
    assert s["kind"] == "inSource" and s["status"] == "accepted"
    assert s["justification"] == "sandbox without data, reviewed by the platform team"


def test_not_applicable_and_input_errors_are_not_results(hostile_result):
    doc = log(checks_only(hostile_result), sarif_include_pass=True)
    n_results = len(results_of(doc))
    expected = sum(1 for f in hostile_result.findings if f.status in (Status.FAIL, Status.UNKNOWN, Status.PASS))
    assert n_results == expected
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    broken = [n for n in notes if n["descriptor"]["id"] == "input-error"]
    assert len(broken) == 1
    assert broken[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "broken/%3Cimg%20src=x%20onerror=alert(4)%3E.json"
    )


def test_category_and_no_timestamp_when_reproducible(sample_result):
    doc = log(sample_result, sarif_category="prod/ml-estate")
    run = doc["runs"][0]
    assert run["automationDetails"]["id"] == "prod/ml-estate/"
    assert "startTimeUtc" not in run["invocations"][0]
    assert log(sample_result)["runs"][0]["automationDetails"]["id"] == "mlwaf/"


# --- determinism ------------------------------------------------------------------------------


def test_same_input_gives_the_same_bytes_apart_from_the_timestamp(sample_estate, tmp_path):
    copy = tmp_path / "estate"
    shutil.copytree(sample_estate, copy)
    a = sarif.render(scan(copy, reproducible=False))
    b = sarif.render(scan(copy, reproducible=False))
    stamp = re.compile(r'"startTimeUtc": "[0-9T:-]+Z"')
    assert stamp.search(a)
    assert stamp.sub("", a) == stamp.sub("", b)
    assert sarif.render(scan(copy)) == sarif.render(scan(copy))


# --- GitHub's limits --------------------------------------------------------------------------


def many_computes(root: Path, n: int) -> Path:
    ws = workspace("mlw-big", publicNetworkAccess="Disabled")
    write_json(root / "workspace.json", ws)
    write_json(root / "computes.json", {"value": [compute_instance("mlw-big", f"ci-{i:04d}") for i in range(n)]})
    return root


def test_results_over_the_per_run_limit_are_cut_deliberately(tmp_path, monkeypatch, capsys, validator):
    result = scan(many_computes(tmp_path, 20))
    full = results_of(log(result))
    monkeypatch.setattr(sarif, "MAX_RESULTS_PER_RUN", 12)
    doc = json.loads(sarif.render(result))
    kept = results_of(doc)
    assert_valid(validator, doc)
    assert len(full) > 12 and len(kept) == 12
    # The most important ones stay: no unknown is kept while a failure was left out.
    assert all(r["kind"] == "fail" for r in kept)
    levels = [r["level"] for r in kept]
    dropped_levels = [r["level"] for r in full if r["kind"] == "fail"]
    assert levels.count("error") == min(dropped_levels.count("error"), 12)
    limits = doc["runs"][0]["properties"]["limits"]
    assert limits == {"results": len(full), "kept": 12, "omitted": len(full) - 12, "reason": "12 results per run"}
    assert doc["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["descriptor"]["id"] == "limits"
    assert "exceed GitHub code scanning's limit" in capsys.readouterr().err


def test_file_over_the_size_limit_is_cut_to_fit(tmp_path, monkeypatch):
    result = scan(many_computes(tmp_path, 30))

    def gzipped(r: ScanResult) -> int:
        return len(gzip.compress(sarif.render(r).encode("utf-8"), mtime=0))

    # Halfway between the file without results (the rules) and the full file.
    limit = (gzipped(dataclasses.replace(result, findings=[])) + gzipped(result)) // 2
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", limit)
    text = sarif.render(result)
    assert len(gzip.compress(text.encode("utf-8"), mtime=0)) <= limit
    doc = json.loads(text)
    limits = doc["runs"][0]["properties"]["limits"]
    assert 0 < limits["kept"] < limits["results"] and "gzip" in limits["reason"]
    assert len(results_of(doc)) == limits["kept"]


def test_github_limits_are_the_documented_ones():
    assert sarif.MAX_RESULTS_PER_RUN == 25_000
    assert sarif.MAX_GZIP_BYTES <= 10 * 1024 * 1024
    assert sarif.MAX_TAGS_PER_RULE == 20


# --- command line -----------------------------------------------------------------------------


def test_cli_options_reach_the_sarif_file(sample_estate, tmp_path):
    out = tmp_path / "scan.sarif"
    run = CliRunner().invoke(
        app,
        [
            "scan",
            str(sample_estate),
            "-f",
            "sarif",
            "-o",
            str(out),
            "--sarif-category",
            "sample",
            "--sarif-include-pass",
            "--reproducible",
            "-q",
        ],
    )
    assert run.exit_code in (0, 1), run.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["runs"][0]["automationDetails"]["id"] == "sample/"
    assert any(r["kind"] == "pass" for r in results_of(doc))


RAISING_CHECK = """
from mlwaf.check import Pillar, Severity, check


@check(
    id="TEST-ERR-001",
    title="A check that raises on every workspace",
    pillar=Pillar.SECURITY,
    severity=Severity.HIGH,
    resource_types=["Microsoft.MachineLearningServices/workspaces"],
    implements=["AML-SEC-01"],
    remediation="Nothing to change: the check itself is broken.",
)
def broken(resource, ctx):
    return resource.properties["noSuchProperty"]
"""


def test_a_check_that_raises_is_a_notification_not_a_result(tmp_path, validator):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "broken.py").write_text(RAISING_CHECK, encoding="utf-8")
    estate = tmp_path / "estate"
    write_json(estate / "ws.json", workspace("mlw-a"))
    result = run_scan([estate], ScanOptions(read=ReadOptions(root=estate), checks_dirs=[checks], reproducible=True))
    doc = log(result)
    assert_valid(validator, doc)
    assert not [r for r in results_of(doc) if r["ruleId"] == "TEST-ERR-001"]
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    (note,) = [n for n in notes if n["descriptor"]["id"] == "check-error"]
    assert note["associatedRule"]["id"] == "TEST-ERR-001" and "KeyError" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "ws.json"


def test_the_gate_decision_travels_with_the_results(validator, sample_estate):
    from mlwaf.gate import GateOptions

    failed = run_scan(
        [sample_estate],
        ScanOptions(read=ReadOptions(root=sample_estate), reproducible=True, gate=GateOptions(fail_on=Severity.HIGH)),
    )
    doc = log(failed)
    assert_valid(validator, doc)
    gate = doc["runs"][0]["properties"]["gate"]
    assert gate["decision"] == "failed" and gate["exitCode"] == 1
    assert gate["reasons"] and all(isinstance(r, str) for r in gate["reasons"])
