"""Inventory relations on the sample estate: children, linked dependencies, attached extensions."""

from __future__ import annotations

from mlwaf.inventory import Inventory
from mlwaf.sources import ReadOptions, read_paths

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
