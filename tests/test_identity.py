"""Finding identities: a template's resources carry their template (and parameter files), so two
templates declaring the same names are two resources everywhere (baseline, SARIF, scores,
relations, suppressions), and the identity is the same from any checkout and any scanned folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlwaf.cli import app

runner = CliRunner()
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
WS = "Microsoft.MachineLearningServices/workspaces"


def _template(public: str = "Disabled", storage_region: str = "westeurope", metadata: dict | None = None) -> dict:
    ws = {
        "type": WS, "apiVersion": "2024-10-01", "name": "mlw", "location": "westeurope",
        "properties": {
            "publicNetworkAccess": public,
            "storageAccount": "[resourceId('Microsoft.Storage/storageAccounts', 'stml')]",
        },
    }
    if metadata:
        ws["metadata"] = metadata
    return {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0",
        "resources": [
            ws,
            {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01", "name": "stml",
             "location": storage_region, "kind": "StorageV2", "sku": {"name": "Standard_ZRS"}, "properties": {}},
        ],
    }


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def _cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _report(result, out: Path, exit_code: int = 0) -> dict:
    assert result.exit_code == exit_code, result.output
    return json.loads(out.read_text())


def test_a_regression_in_a_second_template_with_the_same_names_fails_the_gate(tmp_path):
    """The defect: both templates' workspaces had one placeholder id, so one baseline entry
    covered both and the regression passed (recorded 1, known 2, new 0, exit 0)."""
    _write(tmp_path / "infra" / "team-a" / "main.json", _template(public="Enabled"))
    second = _write(tmp_path / "infra" / "team-b" / "main.json", _template(public="Disabled"))
    base = tmp_path / "baseline.json"
    created = _cli("baseline", "create", str(tmp_path / "infra"), "--checks", "MLW-SEC-001", "-o", str(base))
    assert created.exit_code == 0
    rows = json.loads(base.read_text())["findings"]
    assert [(r["check_id"], r["deployment"], r["status"]) for r in rows] == [
        ("MLW-SEC-001", "team-a/main.json", "FAIL")
    ]
    _write(second, _template(public="Enabled"))  # team b regresses
    out = tmp_path / "r.json"
    result = _cli("scan", str(tmp_path / "infra"), "--checks", "MLW-SEC-001", "--baseline", str(base),
                  "--fail-on", "high", "-f", "json", "-o", str(out))
    report = _report(result, out, exit_code=1)
    assert {k: report["baseline"][k] for k in ("recorded", "known", "new")} == {"recorded": 1, "known": 1, "new": 1}
    (reason,) = report["gate"]["reasons"]
    assert [f["resource_id"].rsplit("/", 1)[-1] for f in reason["findings"]] == ["mlw"]
    assert "team-b" in json.dumps([f["location"] for f in report["findings"] if not f.get("in_baseline")])


def test_each_template_is_judged_with_its_own_dependencies_and_suppressions(tmp_path):
    """Relations resolve within a template first: team b's workspace is compared with team b's
    storage account (in another region), not team a's; its own inline suppression holds."""
    _write(tmp_path / "a" / "main.json", _template(storage_region="westeurope"))
    suppress = {"mlwaf-suppress": [{"check": "MLW-SEC-001", "reason": "lab, no data"}]}
    _write(tmp_path / "b" / "main.json", _template(public="Enabled", storage_region="eastus", metadata=suppress))
    out = tmp_path / "r.json"
    report = _report(_cli("scan", str(tmp_path), "--checks", "MLW-REL-030,MLW-SEC-001", "-f", "json",
                          "-o", str(out)), out)
    by = {(f["check_id"], f["location"]["path"]): f for f in report["findings"]}
    assert by["MLW-REL-030", "a/main.json"]["status"] == "PASS"
    assert by["MLW-REL-030", "b/main.json"]["status"] == "FAIL"
    assert "stml (eastus)" in by["MLW-REL-030", "b/main.json"]["message"]
    assert by["MLW-SEC-001", "b/main.json"]["suppressed"] is True
    workspaces = [s for s in report["scores"]["scopes"] if s["kind"] == "workspace"]
    assert len(workspaces) == 2 and all(s["resources"] == 2 for s in workspaces)
    # SARIF: two alerts, two fingerprints.
    sarif = tmp_path / "r.sarif"
    _cli("scan", str(tmp_path), "--checks", "MLW-REL-030", "-f", "sarif", "-o", str(sarif), "--sarif-include-pass")
    prints = {r["partialFingerprints"]["mlwafFindingIdentity/v1"]
              for r in json.loads(sarif.read_text())["runs"][0]["results"] if r["ruleId"] == "MLW-REL-030"}
    assert len(prints) == 2


def test_the_identity_is_the_same_from_any_scanned_folder_of_the_repository(tmp_path, monkeypatch):
    """A baseline made by scanning `infra` matches a scan of `infra/ml` and a pre-commit run naming the
    file, from the repository root: deployments are repository-relative POSIX paths."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _write(repo / "infra" / "ml" / "main.json", _template(public="Enabled"))
    monkeypatch.chdir(repo)
    assert _cli("baseline", "create", "infra", "--checks", "MLW-SEC-001", "-o", "b.json").exit_code == 0
    (row,) = json.loads((repo / "b.json").read_text())["findings"]
    assert row["deployment"] == "infra/ml/main.json"
    for target in ("infra", "infra/ml", "infra/ml/main.json", str(repo / "infra")):
        result = _cli("scan", target, "--checks", "MLW-SEC-001", "--baseline", "b.json", "--fail-on", "high",
                      "-f", "json", "-o", str(tmp_path / "r.json"))
        report = _report(result, tmp_path / "r.json")
        assert result.exit_code == 0 and report["baseline"]["known"] == 1, (target, report["baseline"])
        assert report["baseline"]["path"] == "b.json"


def test_a_baseline_of_format_1_still_matches(tmp_path):
    """Written before template resources carried their deployment: real ids match exactly, a
    template resource when one template alone declares it; two declaring it are both new."""
    _write(tmp_path / "infra" / "a" / "main.json", _template(public="Enabled"))
    rid = f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlwaf-template-rg/providers/{WS}/mlw"
    base = _write(tmp_path / "old.json", {"mlwaf_baseline": 1, "findings": [
        {"check_id": "MLW-SEC-001", "resource_id": rid.lower(), "status": "FAIL"}]})
    out = tmp_path / "r.json"
    args = ("--checks", "MLW-SEC-001", "--baseline", str(base), "--fail-on", "high", "-f", "json", "-o", str(out))
    result = _cli("scan", str(tmp_path / "infra"), *args)
    report = _report(result, out)
    assert result.exit_code == 0 and report["baseline"]["known"] == 1 and report["baseline"]["fixed"] == []
    assert report["baseline"]["moved"] == [{"check_id": "MLW-SEC-001", "resource_id": rid.lower(),
                                            "now_in": "a/main.json"}]
    md = tmp_path / "r.md"
    _cli("scan", str(tmp_path / "infra"), *args[:-4], "-f", "markdown", "-o", str(md))
    assert "Carried over from a moved template (1;" in md.read_text()
    _write(tmp_path / "infra" / "b" / "main.json", _template(public="Enabled"))
    result = _cli("scan", str(tmp_path / "infra"), *args)
    report = _report(result, out, exit_code=1)
    assert report["baseline"]["new"] == 2


def test_duplicates_list_every_id_read_from_more_than_one_file(tmp_path):
    """The same resource read twice is scanned once; a second template's same-named resource is
    scanned on its own. Both are listed, with the file that declared the id first."""
    rid = f"/subscriptions/s/resourceGroups/rg/providers/{WS}/mlw-prod"
    body = {"id": rid, "name": "mlw-prod", "type": WS, "location": "westeurope", "properties": {}}
    _write(tmp_path / "dump-1.json", body)
    _write(tmp_path / "dump-2.json", {"value": [body]})
    _write(tmp_path / "t1.json", _template())
    _write(tmp_path / "t2.json", _template())
    out = tmp_path / "r.json"
    report = _report(_cli("scan", str(tmp_path), "-f", "json", "-o", str(out)), out)
    dups = {(d["path"], d["id"].rsplit("/", 1)[-1]): d for d in report["duplicates"]}
    assert set(dups) == {("dump-2.json", "mlw-prod"), ("t2.json", "mlw"), ("t2.json", "stml")}
    assert dups["dump-2.json", "mlw-prod"]["scanned"] is False
    assert dups["dump-2.json", "mlw-prod"]["first_path"] == "dump-1.json"
    assert dups["t2.json", "mlw"]["scanned"] is True and dups["t2.json", "mlw"]["first_path"] == "t1.json"
    assert len([r for r in report["resources"] if r["name"] == "mlw"]) == 2


def test_duplicates_of_the_corpus_name_every_shared_id(corpus, tmp_path):
    """35 ids of the corpus are declared by more than one file (quickstart templates sharing
    placeholder names, REST examples sharing example ids): every extra read is listed."""
    out = tmp_path / "r.json"
    scan = _cli("scan", str(corpus), "-f", "json", "-o", str(out), "-q")
    report = _report(scan, out, exit_code=3)  # 4 files of the corpus cannot be read
    by_id: dict[str, set[str]] = {}
    for r in report["resources"]:
        by_id.setdefault(r["id"].lower(), set()).add(r["origin"]["path"])
    shared = {rid for rid, paths in by_id.items() if len(paths) > 1}
    assert len(shared) >= 35
    listed = {d["id"].lower() for d in report["duplicates"]}
    assert listed == shared
    extra_reads = sum(len([r for r in report["resources"] if r["id"].lower() == rid]) - 1 for rid in shared)
    assert len(report["duplicates"]) == extra_reads
