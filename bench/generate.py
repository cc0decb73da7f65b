"""Synthetic Azure ML estates for the scaling benchmark, in the shapes users really export.

An estate is a number of "workspace units": a workspace with its dependencies (storage account,
key vault, container registry, Application Insights, sometimes a private endpoint), its computes
(ComputeInstance, AmlCompute, Kubernetes, AKS), online endpoints with their deployments and
diagnostic settings. Property values vary by a seeded random draw, so the same seed gives
byte-identical files and the checks see a realistic mix of PASS, FAIL, UNKNOWN and
NOT_APPLICABLE.

Files are written as the tools write them:
- `graph/resources-NNNNN.json`: Azure Resource Graph result pages (`az graph query` output,
  indented, `{"totalRecords", "count", "data": [...], "skip_token"}`, 1,000 rows a page, the
  service's page limit); ARG lower-cases resource types and adds `resourceGroup`,
  `subscriptionId`, `tenantId`. Workspaces and their dependencies live here.
- `rest/<collection>-NNNNN.json`: ARM REST list pages (`{"value": [...], "nextLink": ...}`,
  compact, as ARM returns them) for what Resource Graph lacks: computes, online endpoints,
  online deployments, diagnostic settings. Shapes follow the 2025-12-01 REST examples in
  ../shared/corpus/rest-api-specs. Simplification: a real list page holds the children of one
  parent; here a page holds up to `--page-size` children of consecutive workspaces, so a 1M
  estate is ~10k files rather than ~250k tiny ones. The scanner reads items, not page owners,
  so what is measured is the same work.

Usage: python bench/generate.py --size 100k --out bench/.work/estates/100k [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
WORKSPACES_PER_SUBSCRIPTION = 200
WORKSPACES_PER_GROUP = 5
GRAPH_PAGE = 1000
REST_PAGE = 100
REGIONS = ("eastus2", "westeurope", "swedencentral", "northeurope", "uksouth", "australiaeast")
ML = "Microsoft.MachineLearningServices"


def parse_size(text: str) -> int:
    """'1k' -> 1000, '1M' -> 1000000, '2500' -> 2500."""
    t = text.strip().lower()
    mult = 1
    if t.endswith("k"):
        mult, t = 1000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    value = int(float(t) * mult)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive: {text!r}")
    return value


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _pick(rng: random.Random, weighted: dict[Any, float]) -> Any:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _system_data(rng: random.Random) -> dict[str, Any]:
    day = rng.randint(1, 28)
    return {
        "createdAt": f"2025-{rng.randint(1, 12):02d}-{day:02d}T09:12:44.1234567Z",
        "createdBy": "mlops-pipeline@contoso.com",
        "createdByType": "User",
        "lastModifiedAt": f"2026-{rng.randint(1, 9):02d}-{day:02d}T17:03:11.7654321Z",
        "lastModifiedBy": "00000000-aaaa-bbbb-cccc-000000000001",
        "lastModifiedByType": "Application",
    }


def _graph_row(resource: dict[str, Any], sub: str, rg: str) -> dict[str, Any]:
    """A Resource Graph row: lower-cased type plus the columns ARG adds to every resource."""
    row = {
        "id": resource["id"],
        "name": resource["name"],
        "type": resource["type"].lower(),
        "tenantId": TENANT,
        "kind": resource.get("kind", ""),
        "location": resource["location"],
        "resourceGroup": rg.lower(),
        "subscriptionId": sub,
        "managedBy": "",
        "sku": resource.get("sku"),
        "plan": None,
        "properties": resource["properties"],
        "tags": resource.get("tags", {}),
        "identity": resource.get("identity"),
        "zones": None,
        "extendedLocation": None,
    }
    return row


class Unit:
    """One workspace and everything that hangs off it, as (collection, resource) pairs."""

    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.index = index
        sub_n = index // WORKSPACES_PER_SUBSCRIPTION
        self.sub = f"{sub_n:08x}-5d1c-4b7e-9a3f-{index // WORKSPACES_PER_GROUP:012x}"
        self.rg = f"rg-ml-{['dev', 'test', 'prod'][index % 3]}-{index // WORKSPACES_PER_GROUP:05d}"
        self.location = REGIONS[index % len(REGIONS)]
        self.prefix = f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers"
        self.tags = {
            "costCenter": f"cc-{rng.randint(1000, 9999)}",
            "env": ["dev", "test", "prod"][index % 3],
            "owner": f"team-{rng.randint(1, 40):02d}",
        }

    def resources(self) -> Iterator[tuple[str, dict[str, Any]]]:
        rng = self.rng
        n = self.index
        storage = self._storage(f"stml{n:08d}")
        vault = self._vault(f"kv-ml-{n:08d}")
        acr = self._acr(f"crml{n:08d}")
        insights = self._insights(f"appi-ml-{n:08d}")
        ws = self._workspace(f"mlw-{n:08d}", storage, vault, acr, insights)
        yield "graph", ws
        yield "graph", storage
        yield "graph", vault
        yield "graph", acr
        yield "graph", insights
        if ws["properties"]["publicNetworkAccess"] == "Disabled" or rng.random() < 0.2:
            yield "graph", self._private_endpoint(ws)
        for c in range(rng.choices((1, 2, 3, 4, 5), weights=(25, 30, 25, 12, 8))[0]):
            yield "computes", self._compute(ws, c)
        for e in range(rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            endpoint = self._endpoint(ws, e)
            yield "onlineEndpoints", endpoint
            for d in range(rng.choices((1, 2), weights=(70, 30))[0]):
                yield "onlineDeployments", self._deployment(endpoint, d)
        if rng.random() < 0.6:
            yield "diagnosticSettings", self._diagnostics(ws)

    # --- dependencies (Resource Graph) ---------------------------------------------------------
    def _storage(self, name: str) -> dict[str, Any]:
        rng = self.rng
        locked = rng.random() < 0.5
        return {
            "id": f"{self.prefix}/Microsoft.Storage/storageAccounts/{name}",
            "name": name,
            "type": "Microsoft.Storage/storageAccounts",
            "location": self.location,
            "kind": "StorageV2",
            "sku": {"name": _pick(rng, {"Standard_LRS": 5, "Standard_ZRS": 3, "Standard_GRS": 2}),
                    "tier": "Standard"},
            "tags": self.tags,
            "properties": {
                "provisioningState": "Succeeded",
                "allowBlobPublicAccess": rng.random() < 0.3,
                "allowSharedKeyAccess": rng.random() < 0.6,
                "minimumTlsVersion": _pick(rng, {"TLS1_2": 8, "TLS1_0": 2}),
                "supportsHttpsTrafficOnly": True,
                "publicNetworkAccess": "Disabled" if locked else "Enabled",
                "networkAcls": {
                    "bypass": "AzureServices",
                    "defaultAction": "Deny" if locked else "Allow",
                    "ipRules": [],
                    "virtualNetworkRules": [],
                },
                "encryption": {
                    "keySource": "Microsoft.Storage",
                    "services": {"blob": {"enabled": True, "keyType": "Account"},
                                 "file": {"enabled": True, "keyType": "Account"}},
                },
                "primaryEndpoints": {
                    "blob": f"https://{name}.blob.core.windows.net/",
                    "file": f"https://{name}.file.core.windows.net/",
                    "dfs": f"https://{name}.dfs.core.windows.net/",
                },
                "isHnsEnabled": rng.random() < 0.2,
                "accessTier": "Hot",
            },
        }

    def _vault(self, name: str) -> dict[str, Any]:
        rng = self.rng
        return {
            "id": f"{self.prefix}/Microsoft.KeyVault/vaults/{name}",
            "name": name,
            "type": "Microsoft.KeyVault/vaults",
            "location": self.location,
            "tags": self.tags,
            "properties": {
                "tenantId": TENANT,
                "sku": {"family": "A", "name": _pick(rng, {"standard": 8, "premium": 2})},
                "enableSoftDelete": True,
                "softDeleteRetentionInDays": 90,
                "enablePurgeProtection": True if rng.random() < 0.5 else None,
                "enableRbacAuthorization": rng.random() < 0.7,
                "publicNetworkAccess": _pick(rng, {"Enabled": 6, "Disabled": 4}),
                "vaultUri": f"https://{name}.vault.azure.net/",
                "provisioningState": "Succeeded",
                "accessPolicies": [],
            },
        }

    def _acr(self, name: str) -> dict[str, Any]:
        rng = self.rng
        sku = _pick(rng, {"Basic": 3, "Standard": 3, "Premium": 4})
        return {
            "id": f"{self.prefix}/Microsoft.ContainerRegistry/registries/{name}",
            "name": name,
            "type": "Microsoft.ContainerRegistry/registries",
            "location": self.location,
            "sku": {"name": sku, "tier": sku},
            "tags": self.tags,
            "properties": {
                "loginServer": f"{name}.azurecr.io",
                "adminUserEnabled": rng.random() < 0.25,
                "publicNetworkAccess": "Disabled" if sku == "Premium" and rng.random() < 0.5 else "Enabled",
                "anonymousPullEnabled": False,
                "zoneRedundancy": "Enabled" if sku == "Premium" else "Disabled",
                "policies": {"retentionPolicy": {"days": 7, "status": "disabled"}},
                "provisioningState": "Succeeded",
            },
        }

    def _insights(self, name: str) -> dict[str, Any]:
        return {
            "id": f"{self.prefix}/microsoft.insights/components/{name}",
            "name": name,
            "type": "microsoft.insights/components",
            "location": self.location,
            "kind": "web",
            "tags": self.tags,
            "properties": {
                "Application_Type": "web",
                "Ver": "v2",
                "IngestionMode": "LogAnalytics",
                "WorkspaceResourceId": f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/"
                "Microsoft.OperationalInsights/workspaces/log-ml-shared",
                "publicNetworkAccessForIngestion": "Enabled",
                "publicNetworkAccessForQuery": "Enabled",
            },
        }

    def _workspace(self, name: str, storage: dict[str, Any], vault: dict[str, Any], acr: dict[str, Any],
                   insights: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        ws_id = f"{self.prefix}/{ML}/workspaces/{name}"
        kind = _pick(rng, {"Default": 6, "Hub": 2, "Project": 2})
        public = _pick(rng, {"Enabled": 5, "Disabled": 5})
        props: dict[str, Any] = {
            "friendlyName": name,
            "description": f"Workspace {name}",
            "storageAccount": storage["id"],
            "keyVault": vault["id"],
            "containerRegistry": acr["id"],
            "applicationInsights": insights["id"],
            "hbiWorkspace": rng.random() < 0.2,
            "publicNetworkAccess": public,
            "allowPublicAccessWhenBehindVnet": rng.random() < 0.1,
            "discoveryUrl": f"https://{self.location}.api.azureml.ms/discovery",
            "mlFlowTrackingUri": f"azureml://{self.location}.api.azureml.ms/mlflow/v1.0{ws_id}",
            "workspaceId": _guid(rng),
            "provisioningState": "Succeeded",
            "privateLinkCount": 0,
            "v1LegacyMode": False,
            "systemDatastoresAuthMode": _pick(rng, {"accessKey": 5, "identity": 5}),
        }
        mode = _pick(rng, {None: 4, "Disabled": 1, "AllowInternetOutbound": 3, "AllowOnlyApprovedOutbound": 2})
        if mode is not None:
            props["managedNetwork"] = {
                "isolationMode": mode,
                "networkId": _guid(rng),
                "outboundRules": {
                    "pypi": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org",
                             "status": "Active"},
                    f"__SYS_PE_{storage['name']}_blob": {
                        "type": "PrivateEndpoint", "category": "Required", "status": "Active",
                        "destination": {"serviceResourceId": storage["id"], "subresourceTarget": "blob",
                                        "sparkEnabled": False, "sparkStatus": "Inactive"},
                    },
                } if mode == "AllowOnlyApprovedOutbound" else {},
                "status": {"sparkReady": False, "status": "Active"},
            }
        if rng.random() < 0.3:
            props["encryption"] = {
                "status": "Enabled",
                "identity": {"userAssignedIdentity": f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/"
                             f"providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-{name}"},
                "keyVaultProperties": {
                    "keyVaultArmId": vault["id"],
                    "keyIdentifier": f"https://{vault['name']}.vault.azure.net/keys/cmk/{rng.getrandbits(64):016x}",
                    "identityClientId": "",
                },
            }
        if public == "Disabled":
            props["privateEndpointConnections"] = [{
                "id": f"{ws_id}/privateEndpointConnections/pe-{name}.{_guid(rng)}",
                "name": f"pe-{name}",
                "type": f"{ML}/workspaces/privateEndpointConnections",
                "properties": {
                    "privateEndpoint": {"id": f"{self.prefix}/Microsoft.Network/privateEndpoints/pe-{name}"},
                    "privateLinkServiceConnectionState": {
                        "status": _pick(rng, {"Approved": 9, "Pending": 1}),
                        "description": "Auto-Approved", "actionsRequired": "None"},
                    "provisioningState": "Succeeded",
                },
            }]
        if kind == "Project":
            hub = self.index - self.index % WORKSPACES_PER_GROUP
            props["hubResourceId"] = f"{self.prefix}/{ML}/workspaces/mlw-{hub:08d}"
        identity: dict[str, Any] = {"type": "SystemAssigned", "principalId": _guid(rng), "tenantId": TENANT}
        if rng.random() < 0.2:
            identity = {"type": "None"}
        return {
            "id": ws_id,
            "name": name,
            "type": f"{ML}/workspaces",
            "location": self.location,
            "kind": kind,
            "sku": {"name": "Basic", "tier": "Basic"},
            "identity": identity,
            "tags": self.tags,
            "properties": props,
        }

    def _private_endpoint(self, ws: dict[str, Any]) -> dict[str, Any]:
        name = f"pe-{ws['name']}"
        vnet = f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/Microsoft.Network/virtualNetworks/vnet-ml"
        return {
            "id": f"{self.prefix}/Microsoft.Network/privateEndpoints/{name}",
            "name": name,
            "type": "Microsoft.Network/privateEndpoints",
            "location": self.location,
            "tags": self.tags,
            "properties": {
                "provisioningState": "Succeeded",
                "subnet": {"id": f"{vnet}/subnets/snet-pe"},
                "privateLinkServiceConnections": [{
                    "name": name,
                    "id": f"{self.prefix}/Microsoft.Network/privateEndpoints/{name}"
                    f"/privateLinkServiceConnections/{name}",
                    "properties": {
                        "privateLinkServiceId": ws["id"],
                        "groupIds": ["amlworkspace"],
                        "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved",
                                                              "actionsRequired": "None"},
                    },
                }],
                "manualPrivateLinkServiceConnections": [],
                "customDnsConfigs": [{"fqdn": f"{ws['properties']['workspaceId']}.workspace.{self.location}"
                                      ".api.azureml.ms",
                                      "ipAddresses": [f"10.{self.index % 250}.1.{4 + self.index % 200}"]}],
            },
        }

    # --- workspace children (REST list pages) ------------------------------------------------
    def _compute(self, ws: dict[str, Any], i: int) -> dict[str, Any]:
        rng = self.rng
        ctype = _pick(rng, {"ComputeInstance": 40, "AmlCompute": 35, "Kubernetes": 15, "AKS": 10})
        name = f"{ctype.lower()[:3]}-{i:02d}-{self.index:06d}"
        base = {
            "description": f"{ctype} for {ws['name']}",
            "createdOn": "2025-04-01T22:00:00.0000000+00:00",
            "modifiedOn": "2026-02-11T08:30:00.0000000+00:00",
            "computeType": ctype,
            "computeLocation": self.location,
            "provisioningState": "Succeeded",
            "isAttachedCompute": ctype in ("Kubernetes", "AKS"),
        }
        if rng.random() < 0.5:
            base["disableLocalAuth"] = rng.random() < 0.7
        subnet = {"id": f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/Microsoft.Network/"
                  "virtualNetworks/vnet-ml/subnets/snet-compute"} if rng.random() < 0.5 else None
        inner: dict[str, Any]
        if ctype == "ComputeInstance":
            inner = {
                "vmSize": _pick(rng, {"STANDARD_DS3_V2": 5, "STANDARD_E4DS_V4": 3, "STANDARD_NC6S_V3": 2}),
                "applicationSharingPolicy": "Personal",
                "sshSettings": {"sshPublicAccess": _pick(rng, {"Disabled": 7, "Enabled": 3}),
                                "adminUserName": "azureuser", "sshPort": 22},
                "computeInstanceAuthorizationType": "personal",
                "personalComputeInstanceSettings": {"assignedUser": {"objectId": _guid(rng), "tenantId": TENANT}},
                "osImageMetadata": {"currentImageVersion": "25.08.14", "latestImageVersion": "25.09.22",
                                    "isLatestOsImageVersion": rng.random() < 0.6},
                "connectivityEndpoints": {"publicIpAddress": None if subnet else f"20.{i}.{self.index % 250}.7",
                                          "privateIpAddress": f"10.0.{i}.{self.index % 250}"},
                "state": _pick(rng, {"Running": 4, "Stopped": 6}),
                "errors": None,
            }
            if rng.random() < 0.6:
                inner["idleTimeBeforeShutdown"] = _pick(rng, {"PT30M": 3, "PT60M": 5, "PT4H": 2})
            if rng.random() < 0.3:
                inner["schedules"] = {"computeStartStop": [{
                    "action": "Stop", "triggerType": "Cron", "status": "Enabled",
                    "cron": {"expression": "0 19 * * 1-5", "timeZone": "UTC", "startTime": "2025-04-01T19:00:00"},
                }]}
            if subnet:
                inner["subnet"] = subnet
            if rng.random() < 0.6:
                inner["enableNodePublicIp"] = subnet is None
        elif ctype == "AmlCompute":
            inner = {
                "vmSize": _pick(rng, {"STANDARD_D13_V2": 4, "STANDARD_NC6S_V3": 3, "STANDARD_ND96ASR_V4": 1}),
                "vmPriority": _pick(rng, {"Dedicated": 7, "LowPriority": 3}),
                "osType": "Linux",
                "isolatedNetwork": False,
                "scaleSettings": {"maxNodeCount": rng.randint(1, 16), "minNodeCount": rng.choice((0, 0, 0, 1, 2)),
                                  "nodeIdleTimeBeforeScaleDown": "PT2M"},
                "remoteLoginPortPublicAccess": _pick(rng, {"Disabled": 5, "Enabled": 2, "NotSpecified": 3}),
                "allocationState": "Steady",
                "currentNodeCount": 0,
                "targetNodeCount": 0,
                "nodeStateCounts": {"preparingNodeCount": 0, "runningNodeCount": 0, "idleNodeCount": 0,
                                    "unusableNodeCount": 0, "leavingNodeCount": 0, "preemptedNodeCount": 0},
                "errors": None,
            }
            if subnet:
                inner["subnet"] = subnet
            if rng.random() < 0.6:
                inner["enableNodePublicIp"] = subnet is None
        elif ctype == "Kubernetes":
            base["resourceId"] = (f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/"
                                  f"Microsoft.Kubernetes/connectedClusters/arc-{self.index:06d}")
            inner = {
                "relayConnectionString": None,
                "serviceBusConnectionString": None,
                "extensionPrincipalId": _guid(rng),
                "extensionInstanceReleaseTrain": "stable",
                "vcName": None,
                "namespace": "azureml",
                "defaultInstanceType": "defaultInstanceType",
                "instanceTypes": {"defaultInstanceType": {
                    "nodeSelector": None,
                    "resources": {"requests": {"cpu": "1", "memory": "4Gi"},
                                  "limits": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": None}},
                }},
            }
        else:
            base["resourceId"] = (f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/"
                                  f"Microsoft.ContainerService/managedClusters/aks-{self.index:06d}")
            inner = {
                "agentCount": rng.randint(1, 6),
                "agentVmSize": "Standard_D4s_v5",
                "clusterFqdn": f"aks-{self.index:06d}.hcp.{self.location}.azmk8s.io",
                "clusterPurpose": _pick(rng, {"FastProd": 5, "DevTest": 4, "DenseProd": 1}),
                "loadBalancerType": _pick(rng, {"PublicIp": 6, "InternalLoadBalancer": 4}),
                "systemServices": [{"systemServiceType": "ScoringFrontEnd", "publicIpAddress": None, "version": "1.0"}],
            }
        base["properties"] = inner
        out: dict[str, Any] = {
            "id": f"{ws['id']}/computes/{name}",
            "name": name,
            "type": f"{ML}/workspaces/computes",
            "location": self.location,
            "tags": {},
            "properties": base,
            "systemData": _system_data(rng),
        }
        if ctype in ("ComputeInstance", "AmlCompute") and rng.random() < 0.5:
            out["identity"] = {"type": "SystemAssigned", "principalId": _guid(rng), "tenantId": TENANT}
        return out

    def _endpoint(self, ws: dict[str, Any], i: int) -> dict[str, Any]:
        rng = self.rng
        name = f"ep-{self.index:06d}-{i}"
        return {
            "id": f"{ws['id']}/onlineEndpoints/{name}",
            "name": name,
            "type": f"{ML}/workspaces/onlineEndpoints",
            "location": self.location,
            "kind": "Managed",
            "tags": {},
            "identity": {"type": "SystemAssigned", "principalId": _guid(rng), "tenantId": TENANT},
            "properties": {
                "description": f"Scoring endpoint {name}",
                "properties": {"azureml.onlineendpointid": f"{ws['id']}/onlineEndpoints/{name}"},
                "scoringUri": f"https://{name}.{self.location}.inference.ml.azure.com/score",
                "swaggerUri": f"https://{name}.{self.location}.inference.ml.azure.com/swagger.json",
                "authMode": _pick(rng, {"Key": 4, "AMLToken": 3, "AADToken": 3}),
                "publicNetworkAccess": _pick(rng, {"Enabled": 6, "Disabled": 4}),
                "provisioningState": "Succeeded",
                "traffic": {"blue": 100},
            },
            "systemData": _system_data(rng),
        }

    def _deployment(self, endpoint: dict[str, Any], i: int) -> dict[str, Any]:
        rng = self.rng
        managed = rng.random() < 0.8
        name = ("blue", "green")[i]
        props: dict[str, Any] = {
            "description": f"{name} deployment",
            "properties": {},
            "codeConfiguration": {"codeId": f"azureml://registries/reg-ml/codes/score/versions/{rng.randint(1, 9)}",
                                  "scoringScript": "score.py"},
            "environmentId": "azureml://registries/azureml/environments/sklearn-1.5/versions/12",
            "environmentVariables": {"WORKERS": "2"},
            "requestSettings": {"maxQueueWait": "PT0.5S", "requestTimeout": "PT5S",
                                "maxConcurrentRequestsPerInstance": 1},
            "livenessProbe": {"failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S", "period": "PT10S",
                              "initialDelay": "PT10S"},
            "readinessProbe": {"failureThreshold": 30, "successThreshold": 1, "timeout": "PT2S",
                               "period": "PT10S", "initialDelay": "PT10S"},
            "provisioningState": "Succeeded",
            "instanceType": _pick(rng, {"Standard_DS3_v2": 6, "Standard_F4s_v2": 3, "Standard_NC6s_v3": 1}),
            "model": f"azureml://registries/reg-ml/models/churn/versions/{rng.randint(1, 30)}",
            "endpointComputeType": "Managed" if managed else "Kubernetes",
        }
        if rng.random() < 0.7:
            props["appInsightsEnabled"] = rng.random() < 0.6
        if rng.random() < 0.5:
            props["scaleSettings"] = {"scaleType": _pick(rng, {"Default": 5, "TargetUtilization": 5})}
            if props["scaleSettings"]["scaleType"] == "TargetUtilization":
                props["scaleSettings"].update({"minInstances": rng.choice((1, 2, 3)), "maxInstances": 10,
                                               "targetUtilizationPercentage": 70, "pollingInterval": "PT1M"})
        if managed:
            props["egressPublicNetworkAccess"] = _pick(rng, {"Enabled": 6, "Disabled": 4})
        return {
            "id": f"{endpoint['id']}/deployments/{name}",
            "name": name,
            "type": f"{ML}/workspaces/onlineEndpoints/deployments",
            "location": self.location,
            "kind": "Managed" if managed else "Kubernetes",
            "tags": {},
            "sku": {"name": "Default", "tier": "Standard", "capacity": rng.choice((1, 1, 2, 3))},
            "properties": props,
            "systemData": _system_data(rng),
        }

    def _diagnostics(self, ws: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        return {
            "id": f"{ws['id']}/providers/microsoft.insights/diagnosticSettings/send-to-law",
            "name": "send-to-law",
            "type": "Microsoft.Insights/diagnosticSettings",
            "properties": {
                "workspaceId": f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/"
                "Microsoft.OperationalInsights/workspaces/log-ml-shared",
                "logs": [{"category": c, "enabled": rng.random() < 0.8,
                          "retentionPolicy": {"enabled": False, "days": 0}}
                         for c in ("AmlComputeClusterEvent", "AmlComputeJobEvent", "AmlRunStatusChangedEvent")],
                "metrics": [{"category": "AllMetrics", "enabled": True,
                             "retentionPolicy": {"enabled": False, "days": 0}}],
                "logAnalyticsDestinationType": None,
            },
        }


class _Pages:
    """Buffers one collection and writes it out a page at a time."""

    def __init__(self, out: Path, name: str, size: int, graph: bool) -> None:
        self.dir = out / ("graph" if graph else "rest")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name, self.size, self.graph = name, size, graph
        self.items: list[dict[str, Any]] = []
        self.page = 0
        self.files: list[Path] = []

    def add(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        if len(self.items) >= self.size:
            self.flush(last=False)

    def flush(self, last: bool = True) -> None:
        if not self.items:
            return
        self.page += 1
        path = self.dir / f"{self.name}-{self.page:05d}.json"
        if self.graph:
            doc: dict[str, Any] = {"totalRecords": None, "count": len(self.items), "data": self.items,
                                   "facets": [], "resultTruncated": "false"}
            if not last:
                doc["skip_token"] = f"ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDEwMDAs{self.page:08d}"
            text = json.dumps(doc, indent=2)
        else:
            doc = {"value": self.items}
            if not last:
                doc["nextLink"] = (f"https://management.azure.com/{self.name}?api-version=2025-12-01"
                                   f"&$skiptoken={self.page * self.size}")
            text = json.dumps(doc, separators=(",", ":"))
        path.write_text(text, encoding="utf-8")
        self.files.append(path)
        self.items = []


def generate(size: int, out: Path, seed: int = 7, page_size: int = REST_PAGE,
             graph_page: int = GRAPH_PAGE) -> dict[str, Any]:
    """Write an estate of exactly `size` resources under `out` (emptied first); return its summary."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = random.Random(seed)
    pages: dict[str, _Pages] = {}
    counts: dict[str, int] = {}
    written = 0
    unit = 0
    while written < size:
        u = Unit(rng, unit)
        unit += 1
        for collection, resource in u.resources():
            if written >= size:
                break
            if collection == "graph":
                row = _graph_row(resource, u.sub, u.rg)
                key = "resources"
                if key not in pages:
                    pages[key] = _Pages(out, key, graph_page, graph=True)
                pages[key].add(row)
            else:
                if collection not in pages:
                    pages[collection] = _Pages(out, collection, page_size, graph=False)
                pages[collection].add(resource)
            t = resource["type"].lower()
            counts[t] = counts.get(t, 0) + 1
            written += 1
    for p in pages.values():
        p.flush(last=True)
    # Resource Graph reports the total on every page of a paged query.
    for path in pages["resources"].files if "resources" in pages else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["totalRecords"] = counts_total(counts, graph=True)
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    files = sum(len(p.files) for p in pages.values())
    total_bytes = sum(f.stat().st_size for p in pages.values() for f in p.files)
    summary = {"resources": written, "workspaces": unit, "files": files, "bytes": total_bytes,
               "seed": seed, "types": dict(sorted(counts.items()))}
    (out.parent / f"{out.name}.summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


GRAPH_TYPES = ("microsoft.machinelearningservices/workspaces", "microsoft.storage/storageaccounts",
               "microsoft.keyvault/vaults", "microsoft.containerregistry/registries",
               "microsoft.insights/components", "microsoft.network/privateendpoints")


def counts_total(counts: dict[str, int], graph: bool) -> int:
    return sum(n for t, n in counts.items() if (t in GRAPH_TYPES) == graph)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=parse_size, required=True, help="resources to write: 1k, 10k, 100k, 1M, ...")
    ap.add_argument("--out", type=Path, required=True, help="folder to (re)create")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--page-size", type=int, default=REST_PAGE, help="items per REST list page")
    args = ap.parse_args(argv)
    summary = generate(args.size, args.out, args.seed, args.page_size)
    print(json.dumps({k: v for k, v in summary.items() if k != "types"}), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
