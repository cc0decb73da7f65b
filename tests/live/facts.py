"""What Azure already knows about the mock estate: the Resource Graph tables beside `resources`
(authorizationresources, advisorresources, securityresources, policyresources) and the ARM lists
Resource Graph has no table for (Compute usages and resource SKUs, ML usages and quotas, resource
providers with their aliases).

Shapes follow the REST API specs (Azure/azure-rest-api-specs: Compute `ListUsagesResult` and
`ResourceSkusResult`, ML `ListUsagesResult` and `ListWorkspaceQuotas`, Resources `Provider` with
`resourceTypes[].aliases`, Authorization `RoleAssignment`/`RoleDefinition`, Advisor
`ResourceRecommendationBase`, Security `SecurityAssessmentResponse`, PolicyInsights `PolicyState`)
and the rows Resource Graph returns for those tables (ARM objects: id, name, type in lower case,
tenantId, subscriptionId, resourceGroup, properties). The values are chosen so that each new check
has a pass and a fail somewhere in the estate (see `plant`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.live.server import Estate

# Built-in role definition GUIDs (Microsoft Learn, "Azure built-in roles").
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMIN = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
BUILT_IN = {
    OWNER: ("Owner", ["*"], []),
    CONTRIBUTOR: ("Contributor", ["*"], [
        "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action", "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action"]),
    USER_ACCESS_ADMIN: ("User Access Administrator", ["*/read", "Microsoft.Authorization/*",
                                                      "Microsoft.Support/*"], []),
    READER: ("Reader", ["*/read"], []),
    DATA_SCIENTIST: ("AzureML Data Scientist", ["Microsoft.MachineLearningServices/workspaces/*/read",
                                                "Microsoft.MachineLearningServices/workspaces/*/action",
                                                "Microsoft.MachineLearningServices/workspaces/*/delete",
                                                "Microsoft.MachineLearningServices/workspaces/*/write"], [
        "Microsoft.MachineLearningServices/workspaces/delete",
        "Microsoft.MachineLearningServices/workspaces/write",
        "Microsoft.MachineLearningServices/workspaces/computes/*/write",
        "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
        "Microsoft.Authorization/*/write"]),
}
ML_PUBLIC_ACCESS = "438c38d2-3772-465a-a9cc-7a6666a275ce"  # built-in: workspaces disable public access
GPU_SIZE = "Standard_NC24ads_A100_v4"
ROLES = "/subscriptions/{sid}/providers/Microsoft.Authorization/roleDefinitions"
ASSESSMENTS = ("Azure Machine Learning workspaces should be encrypted with a customer-managed key",
               "Azure Machine Learning workspaces should disable public network access")
TENANT = "72f988bf-0000-4000-8000-000000000001"


def _row(obj: dict[str, Any], sid: str, rg: str = "") -> dict[str, Any]:
    return {**obj, "type": obj["type"].lower(), "tenantId": TENANT, "subscriptionId": sid, "resourceGroup": rg}


def _guid(*parts: int) -> str:
    n = 0
    for p in parts:
        n = n * 1000 + p
    return f"{n % 0xFFFFFFFF:08x}-aaaa-4bbb-8ccc-{n:012x}"


def role_definition(guid: str, sid: str | None = None) -> dict[str, Any]:
    name, actions, not_actions = BUILT_IN[guid]
    scope = f"/subscriptions/{sid}" if sid else ""
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}", "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {"roleName": name, "type": "BuiltInRole", "description": name,
                       "assignableScopes": ["/"], "permissions": [{
                           "actions": actions, "notActions": not_actions, "dataActions": [], "notDataActions": []}]},
    }


def role_assignment(scope: str, number: int, role: str, principal: str, kind: str = "User") -> dict[str, Any]:
    sid = scope.split("/")[2]
    guid = _guid(number, len(scope))
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}", "name": guid,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {"roleDefinitionId": f"{ROLES.format(sid=sid)}/{role}",
                       "principalId": principal, "principalType": kind, "scope": scope,
                       "createdOn": "2025-03-01T10:00:00Z", "updatedOn": "2025-03-01T10:00:00Z"},
    }


def plant(estate: Estate) -> None:
    """Add the tables and lists to an estate whose `resources` rows are built."""
    estate.tables.setdefault("authorizationresources", [])
    for name in ("advisorresources", "securityresources", "policyresources"):
        estate.tables.setdefault(name, [])
    # Built-in role definitions are tenant-level rows (no subscription), returned to every query.
    estate.tables["authorizationresources"].extend(_row(role_definition(guid), "") for guid in BUILT_IN)
    regions: dict[str, set[str]] = {}
    for sid in estate.subscriptions:
        _gpu_vms(estate, sid)
        workspaces = sorted((r for r in estate.graph_rows if r["subscriptionId"] == sid
                             and r["type"] == "microsoft.machinelearningservices/workspaces"), key=lambda r: r["id"])
        for w, ws in enumerate(workspaces):
            _access(estate, sid, ws, w)
            _advisor_defender_policy(estate, sid, ws, w)
            _sizes(estate, ws, w)
        for r in estate.graph_rows:
            if r["subscriptionId"] == sid and isinstance(r.get("location"), str):
                regions.setdefault(sid, set()).add(r["location"].lower())
        for path, items in estate.lists.items():
            if path.startswith(f"/subscriptions/{sid}/"):
                regions.setdefault(sid, set()).update(
                    i["location"].lower() for i in items if isinstance(i.get("location"), str))
        for loc in sorted(regions.get(sid, ())):
            _capacity(estate, sid, loc)
    _policy_objects(estate)
    estate.objects["/providers/microsoft.machinelearningservices"] = _provider()


def _fact(estate: Estate, path: str, items: list[dict[str, Any]]) -> None:
    estate.lists[path.lower()] = items
    estate.fact_lists.add(path.lower())


def _access(estate: Estate, sid: str, ws: dict[str, Any], w: int) -> None:
    rows = estate.tables["authorizationresources"]
    wid = ws["id"]
    rg = wid.split("/providers/")[0]
    group = ws["resourceGroup"]
    if w == 0:  # four users own the workspace: too many; one of them also Contributor on the group
        for n in range(4):
            rows.append(_row(role_assignment(wid, n, OWNER, f"0000000{n}-user-4000-8000-00000000000{n}"), sid, group))
        rows.append(_row(role_assignment(rg, 9, CONTRIBUTOR, "00000000-user-4000-8000-000000000000"), sid, group))
        # the workspace's identity holds Contributor on the whole resource group: broader than it needs
        principal = (ws.get("identity") or {}).get("principalId")
        if principal:
            rows.append(_row(role_assignment(rg, 7, CONTRIBUTOR, principal, "ServicePrincipal"), sid, group))
    else:  # a group holds Contributor, users are data scientists
        rows.append(_row(role_assignment(wid, 1, CONTRIBUTOR, "00000000-grp0-4000-8000-000000000001", "Group"),
                         sid, group))
        rows.append(_row(role_assignment(wid, 2, DATA_SCIENTIST, "00000000-user-4000-8000-000000000002"), sid, group))


def _advisor_defender_policy(estate: Estate, sid: str, ws: dict[str, Any], w: int) -> None:
    wid = ws["id"]
    rg = ws["resourceGroup"]
    estate.tables["advisorresources"].append(_row({
        "id": f"{wid}/providers/Microsoft.Advisor/recommendations/{_guid(w, 11)}", "name": _guid(w, 11),
        "type": "Microsoft.Advisor/recommendations",
        "properties": {
            "category": "Security" if w % 2 == 0 else "HighAvailability", "impact": "High" if w == 0 else "Medium",
            "impactedField": "Microsoft.MachineLearningServices/workspaces", "impactedValue": ws["name"],
            "lastUpdated": "2025-05-01T08:00:00Z", "recommendationTypeId": "1f1b2c3d-0000-4000-8000-000000000001",
            "shortDescription": {"problem": "Azure Machine Learning workspaces should use private link",
                                 "solution": "Use private link for the workspace"},
            "resourceMetadata": {"resourceId": wid, "source": "/providers/Microsoft.Security/assessments/x"}},
    }, sid, rg))
    for n, code in enumerate(("Unhealthy", "Healthy")):
        name = f"{_guid(w, 20 + n)}"
        estate.tables["securityresources"].append(_row({
            "id": f"{wid}/providers/Microsoft.Security/assessments/{name}", "name": name,
            "type": "Microsoft.Security/assessments",
            "properties": {
                "displayName": ASSESSMENTS[n],
                "status": {"code": code, "cause": "", "description": ""},
                "resourceDetails": {"Source": "Azure", "Id": wid},
                "metadata": {"severity": "High" if n == 0 else "Medium", "assessmentType": "BuiltIn",
                             "displayName": "..."}},
        }, sid, rg))
    public = str(ws["properties"].get("publicNetworkAccess", "")).lower() == "enabled"
    # The first subscription's public workspace was opened after Azure last evaluated it: Azure's
    # state is stale (Compliant), mlwaf's evaluation of the same assignment says NonCompliant.
    stale = public and sid == next(iter(estate.subscriptions))
    assignment = f"/subscriptions/{sid}/providers/Microsoft.Authorization/policyAssignments/ml-public-access"
    estate.tables["policyresources"].append(_row({
        "id": f"{wid}/providers/Microsoft.PolicyInsights/policyStates/{_guid(w, 30)}", "name": _guid(w, 30),
        "type": "Microsoft.PolicyInsights/policyStates",
        "properties": {
            "timestamp": "2025-05-02T03:04:05Z", "resourceId": wid,
            "resourceType": "Microsoft.MachineLearningServices/workspaces", "resourceLocation": ws.get("location"),
            "resourceGroup": rg, "policyAssignmentId": assignment, "policyAssignmentName": "ml-public-access",
            "policyAssignmentScope": f"/subscriptions/{sid}",
            "policyDefinitionId": f"/providers/Microsoft.Authorization/policyDefinitions/{ML_PUBLIC_ACCESS}",
            "policyDefinitionName": ML_PUBLIC_ACCESS, "policyDefinitionAction": "audit",
            "policySetDefinitionId": "", "policyDefinitionReferenceId": "",
            "complianceState": "NonCompliant" if public and not stale else "Compliant",
            "isCompliant": not public or stale},
    }, sid, rg))


def _policy_objects(estate: Estate) -> None:
    rows = estate.tables["policyresources"]
    for sid in estate.subscriptions:
        rows.append(_row({
            "id": f"/subscriptions/{sid}/providers/Microsoft.Authorization/policyAssignments/ml-public-access",
            "name": "ml-public-access", "type": "Microsoft.Authorization/policyAssignments", "location": "westeurope",
            "properties": {
                "displayName": "ML workspaces disable public network access", "scope": f"/subscriptions/{sid}",
                "policyDefinitionId": f"/providers/Microsoft.Authorization/policyDefinitions/{ML_PUBLIC_ACCESS}",
                "parameters": {"effect": {"value": "Audit"}}, "notScopes": [], "enforcementMode": "Default"},
        }, sid))
    # A custom definition and an assignment of it at the management group the subscriptions are in.
    for mg in estate.management_groups:
        base = f"/providers/Microsoft.Management/managementGroups/{mg}/providers/Microsoft.Authorization"
        rows.append({**_row({
            "id": f"{base}/policyDefinitions/ml-tags", "name": "ml-tags",
            "type": "Microsoft.Authorization/policyDefinitions",
            "properties": {"displayName": "ML workspaces carry a cost-center tag", "policyType": "Custom",
                           "mode": "Indexed", "parameters": {}, "policyRule": {
                               "if": {"allOf": [
                                   {"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
                                   {"field": "tags['cost-center']", "exists": "false"}]},
                               "then": {"effect": "audit"}}},
        }, ""), "managementGroup": mg})
        rows.append({**_row({
            "id": f"{base}/policyAssignments/ml-tags", "name": "ml-tags",
            "type": "Microsoft.Authorization/policyAssignments",
            "properties": {"displayName": "ML cost-center tag",
                           "scope": f"/providers/Microsoft.Management/managementGroups/{mg}",
                           "policyDefinitionId": f"{base}/policyDefinitions/ml-tags", "notScopes": [],
                           "enforcementMode": "Default"},
        }, ""), "managementGroup": mg})


def _sizes(estate: Estate, ws: dict[str, Any], w: int) -> None:
    """Real sizes where the REST examples hold placeholders, and one GPU cluster per subscription
    that may grow beyond the family's quota (the second workspace's: 4 x 6 vCPUs, 12 left)."""
    for row in estate.graph_rows:
        if row["type"] == "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments" \
                and row["id"].lower().startswith(ws["id"].lower() + "/"):
            row["properties"]["instanceType"] = "Standard_DS3_v2"
    if w == 1:
        for compute in estate.lists.get(f"{ws['id']}/computes".lower(), []):
            if compute["properties"]["computeType"] == "AmlCompute":
                compute["properties"]["properties"]["scaleSettings"]["maxNodeCount"] = 4


def _gpu_vms(estate: Estate, sid: str) -> None:
    """Two GPU VMs per subscription: one running with an auto-shutdown schedule, one running
    without; and a deallocated one without (not a cost while stopped)."""
    rg = "rg-gpu"
    base = f"/subscriptions/{sid}/resourceGroups/{rg}/providers"
    for n, (state, scheduled) in enumerate((("running", True), ("running", False), ("deallocated", False))):
        vm_id = f"{base}/Microsoft.Compute/virtualMachines/gpu-vm-{n}"
        estate.graph_rows.append(_row({
            "id": vm_id, "name": f"gpu-vm-{n}", "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
            "zones": ["1", "2"] if n == 0 else ["1"],
            "properties": {"hardwareProfile": {"vmSize": GPU_SIZE}, "provisioningState": "Succeeded",
                           "extended": {"instanceView": {"powerState": {
                               "code": f"PowerState/{state}", "level": "Info",
                               "displayStatus": f"VM {state}"}}}},
        }, sid, rg))
        if scheduled:
            estate.graph_rows.append(_row({
                "id": f"{base}/microsoft.devtestlab/schedules/shutdown-computevm-gpu-vm-{n}",
                "name": f"shutdown-computevm-gpu-vm-{n}", "type": "microsoft.devtestlab/schedules",
                "location": "westeurope",
                "properties": {"status": "Enabled", "taskType": "ComputeVmShutdownTask",
                               "dailyRecurrence": {"time": "1900"}, "timeZoneId": "UTC",
                               "notificationSettings": {"status": "Disabled", "timeInMinutes": 30},
                               "targetResourceId": vm_id, "provisioningState": "Succeeded"},
            }, sid, rg))


def _capacity(estate: Estate, sid: str, loc: str) -> None:
    base = f"/subscriptions/{sid}/providers"
    _fact(estate, f"{base}/Microsoft.Compute/locations/{loc}/usages", [
        {"unit": "Count", "currentValue": cur, "limit": lim, "name": {"value": name, "localizedValue": local}}
        for name, local, cur, lim in (
            ("cores", "Total Regional vCPUs", 30, 100),
            ("standardNCFamily", "Standard NC Family vCPUs", 12, 24),
            ("standardNCADSA100v4Family", "Standard NCADS_A100_v4 Family vCPUs", 48, 96),
            ("standardDSv2Family", "Standard DSv2 Family vCPUs", 8, 100))
    ])
    skus = []
    for name, family, vcpus, zones, restricted in (
        ("Standard_NC6", "standardNCFamily", "6", ["1", "2", "3"], None),
        (GPU_SIZE, "standardNCADSA100v4Family", "24", ["1"], None),
        ("Standard_DS3_v2", "standardDSv2Family", "4", ["1", "2", "3"], None),
        ("Standard_ND96asr_v4", "standardNDASv4_A100Family", "96", ["2"], "NotAvailableForSubscription"),
    ):
        skus.append({
            "resourceType": "virtualMachines", "name": name, "tier": "Standard", "size": name.split("_", 1)[1],
            "family": family, "locations": [loc], "locationInfo": [{"location": loc, "zones": zones,
                                                                    "zoneDetails": []}],
            "capabilities": [{"name": "vCPUs", "value": vcpus}, {"name": "GPUs", "value": "1"}],
            "restrictions": [] if not restricted else [{
                "type": "Location", "values": [loc], "restrictionInfo": {"locations": [loc]},
                "reasonCode": restricted}],
        })
    skus.append({"resourceType": "disks", "name": "Premium_LRS", "tier": "Premium", "locations": [loc],
                 "locationInfo": [{"location": loc, "zones": ["1", "2", "3"]}], "capabilities": [],
                 "restrictions": []})
    _fact(estate, f"{base}/Microsoft.Compute/skus#{loc}", skus)
    ml = f"{base}/Microsoft.MachineLearningServices"
    _fact(estate, f"{ml}/locations/{loc}/usages", [
        {"id": f"/subscriptions/{sid}/usages", "type": "Microsoft.MachineLearningServices/dedicatedCores/usages",
         "amlWorkspaceLocation": loc, "unit": "Count", "currentValue": 14, "limit": 100,
         "name": {"value": "Total Cluster Dedicated Regional vCPUs",
                  "localizedValue": "Total Cluster Dedicated Regional vCPUs"}},
        {"id": f"/subscriptions/{sid}/usages/Standard_NC_Family_Cluster_Dedicated_vCPUs",
         "type": "Microsoft.MachineLearningServices/vmFamily/usages", "amlWorkspaceLocation": loc, "unit": "Count",
         "currentValue": 12, "limit": 24,
         "name": {"value": "Standard NC Family Cluster Dedicated vCPUs",
                  "localizedValue": "Standard NC Family Cluster Dedicated vCPUs"}},
    ])
    _fact(estate, f"{ml}/locations/{loc}/quotas", [
        {"id": f"/subscriptions/{sid}/providers/Microsoft.MachineLearningServices/locations/{loc}/quotas/"
               "Standard_NC_Family_Cluster_Dedicated_vCPUs",
         "type": "Microsoft.MachineLearningServices/vmFamily/quotas", "limit": 24, "unit": "Count",
         "name": {"value": "Standard NC Family Cluster Dedicated vCPUs",
                  "localizedValue": "Standard NC Family Cluster Dedicated vCPUs"}},
    ])


def _provider() -> dict[str, Any]:
    """`GET /providers/Microsoft.MachineLearningServices?$expand=resourceTypes/aliases` (Provider)."""
    return {
        "id": "/providers/Microsoft.MachineLearningServices", "namespace": "Microsoft.MachineLearningServices",
        "registrationState": "Registered",
        "resourceTypes": [{
            "resourceType": "workspaces", "locations": ["West Europe", "East US 2"],
            "apiVersions": ["2025-12-01"],
            "aliases": [{
                "name": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess",
                "paths": [{"path": "properties.publicNetworkAccess", "apiVersions": ["2025-12-01"]}],
                "type": "NotSpecified", "defaultPath": "properties.publicNetworkAccess",
            }, {
                "name": "Microsoft.MachineLearningServices/workspaces/"
                        "serverlessComputeSettings.serverlessComputeNoPublicIP",
                "paths": [{"path": "properties.serverlessComputeSettings.serverlessComputeNoPublicIP",
                           "apiVersions": ["2025-12-01"]}],
                "type": "NotSpecified",
                "defaultPath": "properties.serverlessComputeSettings.serverlessComputeNoPublicIP",
            }],
        }],
    }
