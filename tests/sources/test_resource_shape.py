"""PascalCase and mixed-case resources (Get-AzResource | ConvertTo-Json, PSRule's Export-AzRuleData,
older exports) read exactly as their lower-case ARM form: the same resources, children kept as
children, the same verdicts. The fixtures are written here in the shapes those tools produce
(PSRule.Rules.Azure's test data was the reference: `ResourceId` beside `Id`, `Type` beside
`ResourceType`, `Properties` holding the ARM JSON, PowerShell objects such as `Sku` in PascalCase,
children under `resources`, extension resources typed by `ExtensionResourceType`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwaf.check import lookup
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions, read_paths
from mlwaf.sources.resource_shape import NotResource, Shaped, has_arm_marker, shape

SUB = "00000000-0000-0000-0000-000000000000"
RG = f"/subscriptions/{SUB}/resourceGroups/test-rg"
ACR = "Microsoft.ContainerRegistry/registries"
KV = "Microsoft.KeyVault/vaults"
ST = "Microsoft.Storage/storageAccounts"
WS = "Microsoft.MachineLearningServices/workspaces"
DIAG = "Microsoft.Insights/diagnosticSettings"


def _arm(rtype: str, name: str, props: dict, **extra) -> dict:
    return {"id": f"{RG}/providers/{rtype}/{name}", "name": name, "type": rtype, "location": "westeurope",
            "properties": props, **extra}


def _registries(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append(_arm(ACR, f"registry{i:02}", {"adminUserEnabled": i % 2 == 0, "publicNetworkAccess":
                                                  "Disabled" if i % 3 else "Enabled", "zoneRedundancy": "Disabled"},
                        sku={"name": "Premium" if i % 2 else "Basic", "tier": "Premium" if i % 2 else "Basic"}))
    return out


def _estate() -> tuple[list[dict], dict[str, list[dict]]]:
    """A workspace, its dependencies and their children, in ARM's own (lower-case) shape:
    top-level resources, and the children of each (by parent id)."""
    registries = _registries(19)
    kv = _arm(KV, "kv1", {"enableSoftDelete": True, "enablePurgeProtection": False, "publicNetworkAccess": "Enabled"})
    st = _arm(ST, "st1", {"allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2"}, kind="StorageV2",
              sku={"name": "Standard_LRS", "tier": "Standard"})
    ws = _arm(WS, "ws1", {"containerRegistry": registries[0]["id"], "keyVault": kv["id"], "storageAccount": st["id"],
                          "publicNetworkAccess": "Disabled"}, identity={"type": "SystemAssigned"},
              sku={"name": "Basic", "tier": "Basic"})
    children = {
        registries[1]["id"]: [{**_arm(f"{ACR}/replications", "northeurope",
                                      {"provisioningState": "Succeeded"}),
                               "id": registries[1]["id"] + "/replications/northeurope", "location": "northeurope"}],
        kv["id"]: [{"id": kv["id"] + f"/providers/{DIAG}/monitor", "name": "monitor", "type": DIAG,
                    "properties": {"workspaceId": f"{RG}/providers/Microsoft.OperationalInsights/workspaces/la",
                                   "logs": [{"category": "AuditEvent", "enabled": True}]}}],
        st["id"]: [{**_arm(f"{ST}/blobServices", "default", {"deleteRetentionPolicy": {"enabled": True}}),
                    "id": st["id"] + "/blobServices/default"}],
    }
    return [ws, kv, st, *registries], children


_PASCAL = {"id": "Id", "name": "Name", "type": "Type", "location": "Location", "kind": "Kind", "sku": "Sku",
           "identity": "Identity", "tags": "Tags", "properties": "Properties"}


def _powershell(obj: dict, children: list[dict] | None = None, *, mixed: bool = False) -> dict:
    """The Get-AzResource / Export-AzRuleData spelling of an ARM object."""
    parent_type = obj["type"]
    extension = "/providers/" in obj["id"].split("/providers/", 1)[1]
    out: dict = {"ResourceId": obj["id"], "ResourceName": obj["name"].rsplit("/", 1)[-1]}
    for key, value in obj.items():
        if key == "sku":
            value = {k.capitalize(): v for k, v in value.items()} | {"Size": None, "Family": None, "Capacity": None}
        out[key if mixed and key in ("location", "kind") else _PASCAL.get(key, key)] = value
    out["ResourceType"] = parent_type
    if extension:  # Get-AzResource types an extension resource by its parent, and adds its own
        scope = obj["id"].split("/providers/")
        out["Type"] = out["ResourceType"] = "/".join(scope[1].split("/")[:2]).lower()
        out["ExtensionResourceType"] = parent_type.lower()
        out["ExtensionResourceName"] = obj["name"]
    out.update({"ResourceGroupName": "test-rg", "SubscriptionId": SUB, "Tags": None, "Plan": None, "ManagedBy": None})
    out.setdefault("Sku", None)
    out.setdefault("Kind", None)
    if children is not None:
        out["resources"] = children
    return out


def _psrule_export(resources: list[dict], children: dict[str, list[dict]]) -> list[dict]:
    out = []
    for i, r in enumerate(resources):
        kids = [_powershell(c) for c in children.get(r["id"], [])]
        if r["type"] == ACR:  # PSRule keeps the registry's usage (a POST action) beside its children
            kids.append({"name": "Size", "limit": 536870912000, "currentValue": 1073741824, "unit": "Bytes",
                         "type": f"{ACR}/listUsages"})
            kids.append({"value": [{"name": "Webhooks", "limit": 500}], "ResourceType": f"{ACR}/listUsages"})
        out.append(_powershell(r, kids or None, mixed=i % 4 == 1))
    return out


def _write(folder: Path, name: str, data: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data, indent=2))
    return path


def test_19_pascal_case_registries_are_19_resources(tmp_path):
    """Was: an array of 19 such container registries yielded 3 resources, no error, exit 0."""
    export = [{_PASCAL.get(k, k): v for k, v in r.items()} for r in _registries(19)]  # Id/Name/Type only
    got = read_paths([_write(tmp_path, "acr.json", export)], ReadOptions(root=tmp_path))
    assert got.errors == []
    assert sorted(r.name for r in got.resources) == [f"registry{i:02}" for i in range(19)]
    assert all(r.type == ACR and r.sku["name"] in ("Basic", "Premium") for r in got.resources)


def test_a_psrule_export_reads_as_its_arm_form_with_children_kept(tmp_path):
    resources, children = _estate()
    got = read_paths([_write(tmp_path, "sub.json", _psrule_export(resources, children))], ReadOptions(root=tmp_path))
    assert got.errors == []
    by_id = {r.key: r for r in got.resources}
    expected = [r["id"] for r in resources] + [c["id"] for kids in children.values() for c in kids]
    assert sorted(by_id) == sorted(i.lower() for i in expected)
    diag = next(r for r in got.resources if r.type.lower() == DIAG.lower())
    assert diag.name == "monitor" and diag.properties["logs"][0]["category"] == "AuditEvent"
    assert diag.origin.pointer.startswith("/1/resources/")
    replication = next(r for r in got.resources if r.type.endswith("/replications"))
    assert replication.origin.pointer == "/4/resources/0" and replication.location == "northeurope"
    # The usage results are set aside, each named, never silently dropped and never a resource.
    (scanned,) = got.scanned
    assert len(scanned.skipped) == 2 * 19
    assert {s.pointer for s in scanned.skipped} >= {"/3/resources/0", "/3/resources/1"}
    assert all("listUsages action" in s.reason for s in scanned.skipped)


def _verdicts(result) -> list[tuple[str, str, str, str]]:
    return sorted((f.check_id, f.resource.key, f.status.value, f.message) for f in result.findings)


def test_pascal_case_and_arm_spelling_give_the_same_verdicts(tmp_path):
    resources, children = _estate()
    arm = tmp_path / "arm"
    _write(arm, "resources.json", resources + [c for kids in children.values() for c in kids])
    pwsh = tmp_path / "pwsh"
    _write(pwsh, "sub.json", _psrule_export(resources, children))
    a = run_scan([arm], ScanOptions(read=ReadOptions(root=arm), reproducible=True))
    b = run_scan([pwsh], ScanOptions(read=ReadOptions(root=pwsh), reproducible=True))
    assert a.errors == [] and b.errors == []
    assert len(a.inventory) == len(b.inventory) == 22 + 3
    assert _verdicts(a) == _verdicts(b)
    statuses = {v[2] for v in _verdicts(b)}
    assert {"PASS", "FAIL"} <= statuses, "the estate exercises real verdicts, not only NOT_APPLICABLE"
    kv = next(r for r in b.inventory if r.type == KV)
    assert [d.name for d in b.inventory.attached(kv, DIAG)] == ["monitor"]


def test_single_pascal_case_resource_with_children(tmp_path):
    resources, children = _estate()
    kv = next(r for r in resources if r["type"] == KV)
    doc = _powershell(kv, [_powershell(c) for c in children[kv["id"]]])
    got = read_paths([_write(tmp_path, "kv.json", doc)], ReadOptions(root=tmp_path))
    assert got.errors == []
    assert sorted(r.type for r in got.resources) == sorted([KV, DIAG.lower()])
    assert [s.kind for s in got.scanned] == ["resource"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"TYPE": ACR, "NAME": "r1", "PROPERTIES": {"x": 1}}, {"type": ACR, "name": "r1", "properties": {"x": 1}}),
        ({"type": ACR, "Name": "r1", "Location": "westeurope"}, {"type": ACR, "name": "r1", "location": "westeurope"}),
        ({"Id": "/subscriptions/s/x", "ResourceId": "/SUBSCRIPTIONS/s/x", "Type": ACR, "ResourceType": ACR.lower()},
         {"id": "/subscriptions/s/x", "type": ACR}),
        ({"type": ACR, "name": "r1", "Sku": {"Name": "Premium", "Tier": "Premium"}, "Tags": None},
         {"type": ACR, "name": "r1", "sku": {"name": "Premium", "tier": "Premium"}}),
        ({"type": ACR, "name": "r1", "Kind": None, "kind": "x"}, {"type": ACR, "name": "r1", "kind": "x"}),
    ],
)
def test_top_level_keys_are_read_case_insensitively(item, expected):
    got = shape(item)
    assert isinstance(got, Shaped)
    assert got.obj == expected


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"type": ACR, "name": "a", "Name": "b"}, "keys 'name' and 'Name' name one ARM property"),
        ({"type": ACR}, "neither 'id' nor 'name'"),
        ({"name": "x"}, "no 'type'"),
        ({"Type": "module", "Name": "x"}, "is not Namespace/resourceType"),
        (None, "null, not an object"),
        ("Microsoft.Storage/storageAccounts", "a string, not an object"),
        ([1], "an array, not an object"),
    ],
)
def test_what_is_not_a_resource_says_why(item, reason):
    got = shape(item)
    assert isinstance(got, NotResource) and not got.skip
    assert reason in got.reason


def test_check_paths_find_case_variants_of_nested_keys():
    raw = {"properties": {"NetworkRuleSet": {"DefaultAction": "Deny", "ipRules": [{"Value": "1.2.3.4"}]}}}
    assert lookup(raw, "properties.networkRuleSet.defaultAction") == "Deny"
    assert lookup(raw, "properties.networkRuleSet.ipRules[0].value") == "1.2.3.4"
    respelled = shape({"Type": ACR, "Name": "r", "Properties": raw["properties"]})
    assert isinstance(respelled, Shaped)
    assert lookup(respelled.obj, "properties.networkRuleSet.defaultAction") == "Deny"


@pytest.mark.parametrize(
    ("data", "marked"),
    [
        ({"name": "app", "type": "module", "version": "1.0.0"}, False),  # package.json
        ({"$schema": "https://json.schemastore.org/renovate", "extends": []}, False),
        ({"editor.tabSize": 2}, False),
        ([{"a": 1}], False),
        ([], True),
        ({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}, True),
        ({"Type": ACR}, True),
        ({"ID": "/subscriptions/x"}, True),
        ({"value": []}, True),
        ({"DATA": {"columns": []}}, True),
        ([{"x": 1}, {"ResourceType": ACR}], True),
    ],
)
def test_arm_markers(data, marked):
    assert has_arm_marker(data) is marked
