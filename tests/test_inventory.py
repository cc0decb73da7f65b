"""Inventory relations on the sample estate: children, linked dependencies, attached extensions;
and its indexed reverse look-ups: the same answers as a scan over every resource, kept fresh
when resources are added."""

from __future__ import annotations

from mlwaf.inventory import Inventory
from mlwaf.model import Resource
from mlwaf.sources import ReadOptions, read_paths
from tests.arm import KEY_VAULT as KV
from tests.arm import WS, resource

SUB = "6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13"

PROD = (
    "/subscriptions/6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13/resourceGroups/rg-fraud-prod/providers/"
    "Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod"
)


def _inventory(sample_estate) -> Inventory:
    return Inventory(read_paths([sample_estate], ReadOptions(root=sample_estate)).resources)


def test_lookup_is_case_insensitive(sample_estate):
    inv = _inventory(sample_estate)
    ws = inv.get(PROD.upper())
    assert ws is not None and ws.id == PROD, "matched case-insensitively, kept as written"
    assert inv.of_type("microsoft.machinelearningservices/WORKSPACES")


def test_children_and_ancestors(sample_estate):
    inv = _inventory(sample_estate)
    ws = inv.get(PROD)
    names = sorted(c.name for c in inv.children(ws, "computes"))
    assert names == ["aks-inference", "ci-analyst01", "cpu-train", "gpu-always-on"]
    blue = inv.get(PROD + "/onlineEndpoints/fraud-score/deployments/blue")
    assert inv.parent(blue).name == "fraud-score"
    assert inv.ancestor(blue, "Microsoft.MachineLearningServices/workspaces") is ws


def test_linked_dependencies(sample_estate):
    inv = _inventory(sample_estate)
    ws = inv.get(PROD)
    assert inv.linked(ws, "properties.keyVault").name == "kv-fraud-prod"
    # The workspace writes microsoft.insights in lower case; the component is Microsoft.Insights.
    assert inv.linked(ws, "properties.applicationInsights").name == "appi-fraud-prod"
    assert inv.linked(ws, "properties.storageAccount").type == "Microsoft.Storage/storageAccounts"


def test_attached_extension_resources(sample_estate):
    inv = _inventory(sample_estate)
    ws = inv.get(PROD)
    assert [d.name for d in inv.attached(ws, "Microsoft.Insights/diagnosticSettings")] == ["send-to-log-analytics"]
    assert [p.name for p in inv.attached(ws, "Microsoft.Network/privateEndpoints")] == ["pe-mlw-fraud-prod"]
    kv = inv.get(PROD.split("/providers/")[0] + "/providers/Microsoft.KeyVault/vaults/kv-fraud-prod")
    assert inv.attached(kv, "Microsoft.Insights/diagnosticSettings") == []


def test_duplicates_are_accounted(tmp_path, sample_estate):
    import shutil

    shutil.copy(sample_estate / "prod" / "workspace.json", tmp_path / "a.json")
    shutil.copy(sample_estate / "prod" / "workspace.json", tmp_path / "b.json")
    inv = Inventory(read_paths([tmp_path], ReadOptions(root=tmp_path)).resources)
    assert len(inv) == 1
    assert [d.origin.path for d in inv.duplicates] == ["b.json"]


# --- indexed reverse look-ups -------------------------------------------------------------------


def _ws(name: str, vault: str | None, team: str) -> Resource:
    props = {"keyVault": resource(KV, vault, subscription=SUB, group="rg-ml").id} if vault else {}
    return resource(WS, name, props, subscription=SUB, group="rg-ml", path="estate.json", tags={"team": team})


def _kv(name: str) -> Resource:
    return resource(KV, name, {}, subscription=SUB, group="rg-ml")


def _team(r: Resource) -> str | None:
    return r.raw.get("tags", {}).get("team")


def test_referrers_match_linked_run_backwards(sample_estate):
    inv = Inventory(read_paths([sample_estate], ReadOptions(root=sample_estate)).resources)
    for vault in inv.of_type(KV):
        expected = [w for w in inv.of_type(WS) if inv.linked(w, "properties.keyVault") is vault]
        assert inv.referrers(vault, WS, "properties.keyVault") == expected
    assert any(inv.referrers(v, WS, "properties.keyVault") for v in inv.of_type(KV)), "the estate links vaults"


def test_referrers_are_case_insensitive_and_skip_absent_properties():
    shared, own = _kv("kv-shared"), _kv("kv-own")
    a, b, c = _ws("a", "KV-SHARED", "x"), _ws("b", "kv-shared/", "y"), _ws("c", None, "x")
    inv = Inventory([shared, own, a, b, c])
    assert inv.referrers(shared, WS, "properties.keyVault") == [a, b]
    assert inv.referrers(own, WS, "properties.keyVault") == []


def test_grouped_index_is_rebuilt_after_add():
    a, b = _ws("a", None, "x"), _ws("b", None, "y")
    inv = Inventory([a, b])
    assert inv.grouped(WS, _team) == {"x": [a], "y": [b]}
    c = _ws("c", None, "x")
    inv.add(c)
    assert inv.grouped(WS, _team)["x"] == [a, c], "a resource added later is found"
    assert inv.grouped(KV, _team) == {}
