"""Azure types and relations (mlwaf.resource_types): a workspace's members are one list, used by
the per-workspace score and by the HTML report's workspace view alike.

They were computed twice and disagreed on a project: scoring counted the project alone, the HTML
listed its hub beside that score. The hub belongs in the project's scope: a project inherits the
hub's network isolation and encryption (the checks judge those on the hub and answer
NOT_APPLICABLE on the project), and keeps its data in the hub's storage account and key vault,
so a project of an open hub must not score as if it were closed."""

from __future__ import annotations

import json

from mlwaf import resource_types
from mlwaf.inventory import Inventory
from mlwaf.model import Origin, Resource
from mlwaf.report import html
from mlwaf.scan import ScanOptions, run_scan

SUB = "6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-ai"
WS = resource_types.WORKSPACE
HUB = f"{RG}/providers/{WS}/hub1"
PROJECT = f"{RG}/providers/{WS}/proj1"
OTHER_PROJECT = f"{RG}/providers/{WS}/proj2"
STORAGE = f"{RG}/providers/{resource_types.STORAGE}/sthub"
VAULT = f"{RG}/providers/{resource_types.KEY_VAULT}/kvhub"


def estate() -> list[dict]:
    return [
        {"id": HUB, "type": WS, "name": "hub1", "kind": "Hub", "location": "westeurope",
         "properties": {"storageAccount": STORAGE, "keyVault": VAULT, "publicNetworkAccess": "Enabled"}},
        {"id": PROJECT, "type": WS, "name": "proj1", "kind": "Project", "location": "westeurope",
         "properties": {"hubResourceId": HUB}},
        {"id": OTHER_PROJECT, "type": WS, "name": "proj2", "kind": "Project", "location": "westeurope",
         "properties": {"hubResourceId": HUB}},
        {"id": f"{PROJECT}/computes/ci1", "type": f"{WS}/computes", "name": "proj1/ci1", "location": "westeurope",
         "properties": {"computeType": "ComputeInstance"}},
        {"id": STORAGE, "type": resource_types.STORAGE, "name": "sthub", "location": "westeurope",
         "kind": "StorageV2", "properties": {}},
        {"id": VAULT, "type": resource_types.KEY_VAULT, "name": "kvhub", "location": "westeurope", "properties": {}},
        {"id": f"{RG}/providers/{resource_types.PRIVATE_ENDPOINT}/pe-hub", "type": resource_types.PRIVATE_ENDPOINT,
         "name": "pe-hub", "location": "westeurope", "properties": {"privateLinkServiceConnections": [
             {"properties": {"privateLinkServiceId": HUB}}]}},
        {"id": f"{PROJECT}/providers/Microsoft.Insights/diagnosticSettings/logs",
         "type": resource_types.DIAGNOSTIC_SETTINGS, "name": "logs", "properties": {}},
    ]


def inventory() -> Inventory:
    return Inventory(
        Resource(type=r["type"], id=r["id"], name=r["name"], raw=r, origin=Origin("estate.json", kind="rest-response"))
        for r in estate()
    )


def test_a_project_counts_its_hub_and_what_the_hub_depends_on():
    inv = inventory()
    members = resource_types.workspace_members(inv, inv.get(PROJECT))
    assert [(m.role, m.resource.name) for m in members] == [
        ("workspace", "proj1"),
        ("child", "proj1/ci1"),
        ("dependency: key vault", "kvhub"),
        ("dependency: hub workspace", "hub1"),
        ("dependency: storage account", "sthub"),
        ("attached: diagnostic setting", "logs"),
        ("attached: private endpoint", "pe-hub"),
    ]


def test_a_hub_does_not_count_its_projects():
    inv = inventory()
    names = [m.resource.name for m in resource_types.workspace_members(inv, inv.get(HUB))]
    assert names == ["hub1", "kvhub", "sthub", "pe-hub"]


def test_the_score_and_the_html_workspace_view_hold_the_same_resources(tmp_path):
    (tmp_path / "estate.json").write_text(json.dumps(estate()), encoding="utf-8")
    result = run_scan([tmp_path], ScanOptions())
    page = html.context(result)
    for scope in (s for s in result.scores.to_dict()["scopes"] if s["kind"] == "workspace"):
        (view,) = [w for w in page["workspaces"] if w["id"] == scope["id"]]
        assert scope["resources"] == len(view["rows"]), scope["name"]
        assert view["score"] == scope["overall"]["score"]
    (project,) = [w for w in page["workspaces"] if w["name"] == "proj1"]
    assert "hub1" in [row["name"] for row in project["rows"]]
    hub_fails = sum(row["fail"] for row in project["rows"] if row["name"] == "hub1")
    assert hub_fails > 0  # the open hub's failures count against its project


def test_workspace_id_of_reads_the_id_alone():
    assert resource_types.workspace_id_of(f"{PROJECT}/onlineEndpoints/ep/deployments/blue") == PROJECT
    assert resource_types.workspace_id_of(PROJECT) == PROJECT
    assert resource_types.workspace_id_of(STORAGE) is None
