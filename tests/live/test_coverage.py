"""Live scans, no silent gaps: every resource type a loaded check assesses or reads is collected by
the live scan or reported as not collected (with why), live and on replay; a replay judges as the
live scan did. The expectations are derived from the loaded checks, never listed by hand."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from mlwaf import registry
from mlwaf.cli import app
from mlwaf.sources import coverage

runner = CliRunner()
VMSS = "Microsoft.Compute/virtualMachineScaleSets"
STORAGE = "microsoft.storage/storageaccounts"


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


def test_the_plan_collects_or_explains_every_type_the_builtin_checks_need():
    checks = registry.load().sorted()
    need = coverage.needed(checks)
    plan = coverage.collected(coverage.graph_types(checks), coverage.diagnostic_types(checks))
    gaps = {g.type: g for g in coverage.gaps(checks, plan)}
    assert set(need) <= plan | set(gaps)
    # Scale sets are targeted by checks (and were never collected): now in the Graph query.
    assert VMSS.lower() in need and VMSS.lower() in coverage.graph_types(checks)
    # Every built-in gap is deliberate: it has its own reason, not the generic one.
    assert gaps and all(g.reason != coverage.NO_COLLECTOR for g in gaps.values()), gaps
    for g in gaps.values():
        assert set(g.checks) == need[g.type]
    # Diagnostic settings are listed for exactly the types whose checks read them.
    assert set(coverage.diagnostic_types(checks)) == set(coverage.DIAGNOSTIC_TYPES)


def _vmss(sid: str, rg: str) -> dict:
    return {"id": f"/subscriptions/{sid}/resourceGroups/{rg}/providers/{VMSS}/gpu-train", "name": "gpu-train",
            "type": VMSS, "location": "westeurope", "sku": {"name": "Standard_NC24ads_A100_v4", "capacity": 2},
            "tags": {"workload": "training"}, "properties": {"orchestrationMode": "Uniform"}}


def _custom_pack(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "acme.py").write_text(textwrap.dedent('''
        from mlwaf.check import Pillar, Severity, check, passed

        @check(id="ACME-SEC-001", title="SQL server seen", pillar=Pillar.SECURITY, severity=Severity.LOW,
               resource_types=["Microsoft.Sql/servers"], implements=["X-1"], remediation="r")
        def sql(resource, ctx):
            return passed("seen")

        @check(id="ACME-SEC-002", title="Widget child seen", pillar=Pillar.SECURITY, severity=Severity.LOW,
               resource_types=["Microsoft.Acme/widgets/parts"], implements=["X-1"], remediation="r")
        def parts(resource, ctx):
            return passed("seen")
        '''))
    return pack


def test_a_live_scan_collects_scale_sets_reports_what_it_does_not_and_replays_the_same(arm, estate, tmp_path):
    allowed = sorted(s for s in estate.subscriptions if s not in estate.forbidden)
    estate.add_row(_vmss(allowed[0], "rg-ml-0"), allowed[0], "rg-ml-0")
    # A storage account without allowBlobPublicAccess: its default depends on the API version
    # the row was read with, which the replay used to lose (PASS live, UNKNOWN on replay).
    storage = next(r for r in estate.graph_rows if r["type"] == STORAGE and r["subscriptionId"] == allowed[0])
    storage["properties"].pop("allowBlobPublicAccess")
    out, rec = tmp_path / "live.json", tmp_path / "rec"
    args = [a for s in allowed for a in ("--subscription", s)]
    live = _scan(*args, "--checks-dir", str(_custom_pack(tmp_path)), "--no-progress", "--record", str(rec),
                 "-f", "json", "-o", str(out), "--reproducible")
    assert live.exit_code in (0, 1, 3), live.output
    report = json.loads(out.read_text())

    vmss = [r for r in report["resources"] if r["type"].lower() == VMSS.lower()]
    assert [r["name"] for r in vmss] == ["gpu-train"]
    targeting = {s.id for s in registry.load().sorted() if VMSS in s.resource_types}
    judged = {f["check_id"] for f in report["findings"] if f["resource_type"].lower() == VMSS.lower()}
    assert judged == targeting

    # The custom pack's top-level type joins the Graph query; its child type cannot be collected.
    query = next(e.body["query"] for e in arm.requests()
                 if e.method == "POST" and e.body["query"].startswith("resources"))
    assert "'microsoft.sql/servers'" in query and "'microsoft.compute/virtualmachinescalesets'" in query
    gaps = {g["type"]: g for g in report["not_collected"]}
    assert gaps["microsoft.acme/widgets/parts"]["reason"] == coverage.NO_COLLECTOR
    assert gaps["microsoft.acme/widgets/parts"]["checks"] == ["ACME-SEC-002"]
    assert "many thousands" in gaps["microsoft.machinelearningservices/workspaces/jobs"]["reason"]
    checks = registry.load([tmp_path / "pack"]).sorted()
    collected = set(json.loads((rec / "mlwaf-recording.json").read_text())["collected"])
    assert set(coverage.needed(checks)) <= collected | set(gaps)
    # What Azure already knows (role assignments for the access checks, ...) is collected now.
    assert not set(gaps) & coverage.FACT_TYPES
    assert "microsoft.authorization/roleassignments" in collected

    replay_out = tmp_path / "replay.json"
    replay = _scan(str(rec), "--checks-dir", str(tmp_path / "pack"), "-f", "json", "-o", str(replay_out),
                   "--reproducible")
    assert replay.exit_code == live.exit_code, replay.output
    replayed = json.loads(replay_out.read_text())
    assert replayed["not_collected"] == report["not_collected"]

    def verdicts(doc: dict) -> list[tuple]:
        return sorted((f["check_id"], f["resource_id"], f["status"], f["message"]) for f in doc["findings"])

    assert verdicts(replayed) == verdicts(report)

    def anonymous(doc: dict) -> list[tuple]:
        return [(f["status"], f["message"]) for f in doc["findings"]
                if f["check_id"] == "MLW-SEC-042" and f["resource_id"].lower() == storage["id"].lower()]

    assert len(anonymous(report)) == 1 and anonymous(replayed) == anonymous(report)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_not_collected_types_are_in_the_readable_reports(arm, estate, tmp_path, fmt):
    allowed = sorted(s for s in estate.subscriptions if s not in estate.forbidden)
    out = tmp_path / f"r.{fmt}"
    result = _scan("--subscription", allowed[0], "--no-progress", "-f", fmt, "-o", str(out))
    assert result.exit_code in (0, 1, 3), result.output
    text = out.read_text()
    assert "microsoft.machinelearningservices/workspaces/jobs" in text
    assert "not collected" in text.lower() or "did not collect" in text.lower()


def test_a_recording_named_by_absolute_path_is_shown_relative(arm, estate, tmp_path, monkeypatch):
    """Reports carry no runner paths: resources read live point at their recorded file relative to
    the repository (here the working directory), however --record was written."""
    allowed = sorted(s for s in estate.subscriptions if s not in estate.forbidden)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r.json"
    result = _scan("--subscription", allowed[0], "--no-progress", "--record", str(tmp_path / "rec"),
                   "-f", "json", "-o", str(out))
    assert result.exit_code in (0, 1, 3), result.output
    paths = {r["origin"]["path"] for r in json.loads(out.read_text())["resources"]}
    assert paths and all(p.startswith("rec/") for p in paths), sorted(paths)[:3]
    assert str(tmp_path) not in out.read_text()


def test_every_type_a_collector_yields_is_a_fact_type():
    """A collector's types are read outside Resource Graph's `resources` table: a check that needs
    one never adds it to the inventory query, and a scan without the collectors says why. The
    offline coverage plan cannot import the collectors (they load the Azure SDK), so the two
    lists are held against each other here."""
    from mlwaf.sources.live.facts import COLLECTORS

    yielded = {t.lower() for reads in COLLECTORS.values() for t in reads}
    assert yielded and yielded <= coverage.FACT_TYPES, sorted(yielded - coverage.FACT_TYPES)
