"""Scores: weights, coverage, suppressions, and the scopes (workspace with its children and
dependencies, resource group, subscription, whole scan)."""

from __future__ import annotations

import pytest

from mlwaf import resource_types, scoring
from mlwaf.inventory import Inventory
from mlwaf.model import Finding, Pillar, Resource, Severity, Status, SuppressionKind, SuppressionMark
from tests import arm
from tests.gate_estate import SUB_A, SUB_B, WS, arm_id, build_estate, scan, write_pack


def resource(rid: str, rtype: str, **raw) -> Resource:
    return arm.resource(rtype, rid.rsplit("/", 1)[-1], rid=rid, path="estate.json", origin_kind="rest-response", **raw)


def finding(res: Resource, status: Status, severity: Severity = Severity.MEDIUM,
            pillar: Pillar = Pillar.SECURITY, check_id: str = "TST-SEC-001", suppressed: bool = False) -> Finding:
    mark = SuppressionMark("accepted", "mlwaf.toml", SuppressionKind.CONFIG) if suppressed else None
    return Finding(check_id=check_id, title="t", pillar=pillar, severity=severity, status=status, resource=res,
                   message="m", suppression=mark)


WS_A = resource(arm_id(SUB_A, "rg-a", WS, "ws-a"), WS)


def test_score_is_the_weighted_share_of_passes_and_unknown_lowers_coverage_only():
    findings = [
        finding(WS_A, Status.PASS, Severity.HIGH, check_id="T-1"),  # 5
        finding(WS_A, Status.FAIL, Severity.MEDIUM, check_id="T-2"),  # 3
        finding(WS_A, Status.FAIL, Severity.LOW, check_id="T-3"),  # 1
        finding(WS_A, Status.UNKNOWN, Severity.HIGH, check_id="T-4"),
        finding(WS_A, Status.NOT_APPLICABLE, Severity.HIGH, check_id="T-5"),
    ]
    security = scoring.score(findings).to_dict()["pillars"]["security"]
    assert security["score"] == pytest.approx(round(100 * 5 / 9, 1))
    assert security["coverage"] == 75.0  # 3 assessed of 4 (N/A is neither)
    assert security["counts"] == {"pass": 1, "fail": 2, "unknown": 1, "not_applicable": 1, "error": 0, "suppressed": 0}


def test_suppressed_findings_leave_score_and_coverage_but_are_counted():
    findings = [
        finding(WS_A, Status.PASS, Severity.LOW, check_id="T-1"),
        finding(WS_A, Status.FAIL, Severity.HIGH, check_id="T-2", suppressed=True),
        finding(WS_A, Status.UNKNOWN, Severity.HIGH, check_id="T-3", suppressed=True),
    ]
    overall = scoring.score(findings).to_dict()["overall"]
    assert overall["score"] == 100.0 and overall["coverage"] == 100.0
    assert overall["counts"]["suppressed"] == 2 and overall["counts"]["fail"] == 1


def test_check_errors_count_as_not_assessed():
    findings = [finding(WS_A, Status.PASS, check_id="T-1"), finding(WS_A, Status.ERROR, check_id="T-2")]
    overall = scoring.score(findings).to_dict()["overall"]
    assert overall["score"] == 100.0 and overall["coverage"] == 50.0 and overall["counts"]["error"] == 1


def test_nothing_assessed_gives_no_score_rather_than_zero_or_full():
    empty = scoring.score([]).to_dict()
    assert empty["overall"] == {"score": None, "coverage": None, "counts": dict.fromkeys(
        ["pass", "fail", "unknown", "not_applicable", "error", "suppressed"], 0)}
    only_unknown = scoring.score([finding(WS_A, Status.UNKNOWN)]).to_dict()["overall"]
    assert only_unknown["score"] is None and only_unknown["coverage"] == 0.0
    assert set(scoring.score([]).to_dict()["pillars"]) == {p.value for p in Pillar}


def _scope(scores, kind, name):
    (s,) = [s for s in scores["scopes"] if s["kind"] == kind and s["name"] == name]
    return s


def test_workspace_scope_holds_children_dependencies_and_attached_resources():
    ws_a = resource(arm_id(SUB_A, "rg-a", WS, "ws-a"), WS, properties={
        "storageAccount": arm_id(SUB_A, "rg-shared", "Microsoft.Storage/storageAccounts", "stshared"),
        "keyVault": arm_id(SUB_A, "rg-a", "Microsoft.KeyVault/vaults", "kv-a"),
    })
    ws_b = resource(arm_id(SUB_B, "rg-b", WS, "ws-b"), WS, properties={
        "storageAccount": arm_id(SUB_A, "rg-shared", "Microsoft.Storage/storageAccounts", "stshared"),
    })
    compute = resource(arm_id(SUB_A, "rg-a", WS, "ws-a", "computes", "aks-att"), WS + "/computes", properties={
        "computeType": "AKS",
        "resourceId": arm_id(SUB_A, "rg-aks", "Microsoft.ContainerService/managedClusters", "aks1"),
    })
    deployment = resource(arm_id(SUB_A, "rg-a", WS, "ws-a", "onlineEndpoints", "ep", "deployments", "blue"),
                          WS + "/onlineEndpoints/deployments")
    storage = resource(arm_id(SUB_A, "rg-shared", "Microsoft.Storage/storageAccounts", "stshared"),
                       "Microsoft.Storage/storageAccounts")
    vault = resource(arm_id(SUB_A, "rg-a", "Microsoft.KeyVault/vaults", "kv-a"), "Microsoft.KeyVault/vaults")
    aks = resource(arm_id(SUB_A, "rg-aks", "Microsoft.ContainerService/managedClusters", "aks1"),
                   "Microsoft.ContainerService/managedClusters")
    pe = resource(arm_id(SUB_A, "rg-net", "Microsoft.Network/privateEndpoints", "pe-kv"),
                  "Microsoft.Network/privateEndpoints", properties={"privateLinkServiceConnections": [
                      {"properties": {"privateLinkServiceId": vault.id}}]})
    diag = resource(ws_a.id + "/providers/Microsoft.Insights/diagnosticSettings/to-law",
                    "Microsoft.Insights/diagnosticSettings")
    unrelated = resource(arm_id(SUB_A, "rg-a", "Microsoft.Storage/storageAccounts", "stother"),
                         "Microsoft.Storage/storageAccounts")
    inv = Inventory([ws_a, ws_b, compute, deployment, storage, vault, aks, pe, diag, unrelated])
    members = {m.resource.uid for m in resource_types.workspace_members(inv, ws_a)}
    assert members == {r.key for r in (ws_a, compute, deployment, storage, vault, aks, pe, diag)}
    # a shared dependency counts in both
    assert {m.resource.uid for m in resource_types.workspace_members(inv, ws_b)} == {ws_b.key, storage.key}

    findings = [
        finding(storage, Status.FAIL, Severity.HIGH, check_id="T-ST"),
        finding(pe, Status.PASS, Severity.HIGH, check_id="T-PE"),
        finding(unrelated, Status.FAIL, Severity.HIGH, check_id="T-ST"),
        finding(ws_b, Status.PASS, Severity.LOW, check_id="T-WS", pillar=Pillar.RELIABILITY),
    ]
    scores = scoring.score(findings, inv).to_dict()
    a = _scope(scores, "workspace", "ws-a")
    assert a["resources"] == 8 and a["overall"]["score"] == 50.0  # storage FAIL 5, private endpoint PASS 5
    b = _scope(scores, "workspace", "ws-b")
    assert b["overall"]["counts"]["fail"] == 1 and b["pillars"]["reliability"]["score"] == 100.0
    assert b["pillars"]["security"]["score"] == 0.0
    rg_a = _scope(scores, "resource_group", "rg-a")
    # rg-a: the workspace, its compute and deployment, its key vault and diagnostic setting, stother
    assert rg_a["overall"]["counts"]["fail"] == 1 and rg_a["resources"] == 6
    assert _scope(scores, "subscription", SUB_B)["overall"]["score"] == 100.0
    assert _scope(scores, "subscription", SUB_A)["overall"]["counts"] == {
        "pass": 1, "fail": 2, "unknown": 0, "not_applicable": 0, "error": 0, "suppressed": 0}
    kinds = [s["kind"] for s in scores["scopes"]]
    assert kinds == sorted(kinds, key=["subscription", "resource_group", "workspace"].index)


def test_scopes_of_a_scanned_estate(tmp_path):
    result = scan(build_estate(tmp_path / "e"), write_pack(tmp_path / "p"))
    prod = _scope(result.scores.to_dict(), "workspace", "mlw-prod")
    assert prod["resources"] == 5  # the workspace, two clusters, its storage account and Application Insights
    assert prod["overall"]["counts"]["pass"] == 4 and prod["overall"]["counts"]["fail"] == 1
    assert _scope(result.scores.to_dict(), "resource_group", "rg-prod")["overall"] == prod["overall"]
    dev = _scope(result.scores.to_dict(), "workspace", "mlw-dev")
    assert dev["overall"]["score"] == 0.0
    whole = result.scores.to_dict()["overall"]["counts"]
    per_sub = [s["overall"]["counts"] for s in result.scores.to_dict()["scopes"] if s["kind"] == "subscription"]
    assert sum(c["fail"] for c in per_sub) == whole["fail"]  # every finding lies in exactly one subscription


def test_scores_match_an_independent_pandas_computation(sample_estate):
    """The scorer is a hand-written one-pass sum (pandas cost every process 0.3 s of import).
    pandas, given the same findings as a table, is the oracle for every scope of the sample."""
    import pandas as pd

    from mlwaf.scan import ScanOptions, run_scan

    result = run_scan([sample_estate], ScanOptions())
    weight = {"high": 5, "medium": 3, "low": 1}
    df = pd.DataFrame([{"key": f.resource.uid, "pillar": f.pillar.value, "status": f.status.value,
                        "w": weight[f.severity.value], "sup": bool(f.suppressed)} for f in result.findings])
    assert {"PASS", "FAIL", "UNKNOWN", "NOT_APPLICABLE"} <= set(df["status"])

    def expect(rows: pd.DataFrame) -> tuple[float | None, float | None]:
        active = rows[~rows["sup"]]
        p, f = active.loc[active.status == "PASS", "w"].sum(), active.loc[active.status == "FAIL", "w"].sum()
        known = active.status.isin(["PASS", "FAIL"]).sum()
        unknown = active.status.isin(["UNKNOWN", "ERROR"]).sum()
        return (round(100.0 * p / (p + f), 1) if p + f else None,
                round(100.0 * known / (known + unknown), 1) if known + unknown else None)

    def got(block: dict) -> tuple[float | None, float | None]:
        return block["score"], block["coverage"]

    assert got(result.scores.to_dict()["overall"]) == expect(df)
    for pillar, rows in df.groupby("pillar"):
        assert got(result.scores.to_dict()["pillars"][pillar]) == expect(rows), pillar
    inv = result.inventory
    checked = 0
    for scope in result.scores.to_dict()["scopes"]:
        if scope["kind"] == "workspace":
            ws = inv.get(scope["id"])
            keys = {m.resource.uid for m in resource_types.workspace_members(inv, ws)}
        else:
            prefix = scope["id"].lower() + "/"
            keys = {r.uid for r in inv.resources if r.key.startswith(prefix)}
        rows = df[df["key"].isin(keys)]
        assert scope["resources"] == len(keys)
        assert got(scope["overall"]) == expect(rows), scope["id"]
        assert scope["overall"]["counts"]["fail"] == int((rows.status == "FAIL").sum())
        checked += 1
    assert checked >= 5
