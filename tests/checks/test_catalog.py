"""The check catalog as a whole: size per pillar, fixtures per check, coverage of the guidance,
property paths against the corpus shape, external rule references, the CLI listing and the
generated documentation."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf import docs, registry
from mlwaf.model import Pillar, iter_paths
from mlwaf.sources import read_paths

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "checks" / "fixtures"
DOCS = REPO / "docs"

# Property paths of resource types the public corpus does not contain (or contains only in a
# shape without these properties), each with the Microsoft REST reference that documents it.
# `*` is any map key, `[*]` any list element. Keep this list to what a check really reads.
REST_DOCUMENTED: dict[str, dict[str, str]] = {
    "microsoft.machinelearningservices/workspaces": {
        # Workspaces - Get (2024-10-01+): systemDatastoresAuthMode, serverlessComputeSettings
        "properties.systemDatastoresAuthMode": "https://learn.microsoft.com/rest/api/azureml/workspaces/get",
        "properties.serverlessComputeSettings.serverlessComputeNoPublicIP":
            "https://learn.microsoft.com/rest/api/azureml/workspaces/get",
    },
    "microsoft.machinelearningservices/workspaces/computes": {
        # Compute - Get: ComputeResource.properties.disableLocalAuth; AKS sslConfiguration.status
        "properties.disableLocalAuth": "https://learn.microsoft.com/rest/api/azureml/compute/get",
        "properties.properties.sslConfiguration.status": "https://learn.microsoft.com/rest/api/azureml/compute/get",
        # VirtualMachine (attached VM) compute: VirtualMachineSchemaProperties.virtualMachineSize
        "properties.properties.virtualMachineSize": "https://learn.microsoft.com/rest/api/azureml/compute/get",
        "properties.properties.idleTimeBeforeShutdown":
            "https://learn.microsoft.com/rest/api/azureml/compute/create-or-update",
        "properties.properties.schedules.computeStartStop[*].action":
            "https://learn.microsoft.com/rest/api/azureml/compute/create-or-update",
        "properties.properties.schedules.computeStartStop[*].status":
            "https://learn.microsoft.com/rest/api/azureml/compute/create-or-update",
    },
    "microsoft.machinelearningservices/workspaces/onlineendpoints": {
        "properties.publicNetworkAccess": "https://learn.microsoft.com/rest/api/azureml/online-endpoints/get",
        "properties.traffic.*": "https://learn.microsoft.com/rest/api/azureml/online-endpoints/get",
        "properties.mirrorTraffic.*": "https://learn.microsoft.com/rest/api/azureml/online-endpoints/get",
        "properties.compute": "https://learn.microsoft.com/rest/api/azureml/online-endpoints/get",
    },
    "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments": {
        "properties.egressPublicNetworkAccess": "https://learn.microsoft.com/rest/api/azureml/online-deployments/get",
        "properties.dataCollector.collections.*.dataCollectionMode":
            "https://learn.microsoft.com/rest/api/azureml/online-deployments/get",
        "properties.scaleSettings.minInstances": "https://learn.microsoft.com/rest/api/azureml/online-deployments/get",
        "properties.scaleSettings.maxInstances": "https://learn.microsoft.com/rest/api/azureml/online-deployments/get",
        "properties.provisioningState": "https://learn.microsoft.com/rest/api/azureml/online-deployments/get",
        "properties.appInsightsEnabled": "https://learn.microsoft.com/rest/api/azureml/online-deployments/get",
    },
    "microsoft.machinelearningservices/workspaces/datastores": {
        "properties.credentials.credentialsType": "https://learn.microsoft.com/rest/api/azureml/datastores/get",
        "properties.datastoreType": "https://learn.microsoft.com/rest/api/azureml/datastores/get",
    },
    "microsoft.machinelearningservices/workspaces/connections": {
        "properties.category": "https://learn.microsoft.com/rest/api/azureml/workspace-connections/get",
        "properties.target": "https://learn.microsoft.com/rest/api/azureml/workspace-connections/get",
        "properties.metadata.ResourceId": "https://learn.microsoft.com/rest/api/azureml/workspace-connections/get",
    },
    "microsoft.machinelearningservices/workspaces/schedules": {
        "properties.action.actionType": "https://learn.microsoft.com/rest/api/azureml/schedules/get",
        "properties.action.monitorDefinition.monitoringTarget.deploymentId":
            "https://learn.microsoft.com/rest/api/azureml/schedules/get",
        "properties.isEnabled": "https://learn.microsoft.com/rest/api/azureml/schedules/get",
    },
    "microsoft.machinelearningservices/workspaces/jobs": {
        "properties.jobType": "https://learn.microsoft.com/rest/api/azureml/jobs/get",
        # SweepJob.earlyTermination (EarlyTerminationPolicy: Bandit, MedianStopping, TruncationSelection)
        "properties.earlyTermination.policyType": "https://learn.microsoft.com/rest/api/azureml/jobs/get",
    },
    "microsoft.storage/storageaccounts": {
        "properties.publicNetworkAccess": "https://learn.microsoft.com/rest/api/storagerp/storage-accounts/get-properties",
        "properties.allowSharedKeyAccess": "https://learn.microsoft.com/rest/api/storagerp/storage-accounts/get-properties",
        # StorageAccountProperties.creationTime (read-only): tells an account from before a default changed
        "properties.creationTime": "https://learn.microsoft.com/rest/api/storagerp/storage-accounts/get-properties",
    },
    "microsoft.keyvault/vaults": {
        "properties.publicNetworkAccess": "https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/get",
    },
    "microsoft.containerregistry/registries": {
        "properties.publicNetworkAccess": "https://learn.microsoft.com/rest/api/containerregistry/registries/get",
        "properties.zoneRedundancy": "https://learn.microsoft.com/rest/api/containerregistry/registries/get",
    },
    "microsoft.containerregistry/registries/replications": {
        "location": "https://learn.microsoft.com/rest/api/containerregistry/replications/get",
    },
    "microsoft.insights/components": {
        "properties.WorkspaceResourceId": "https://learn.microsoft.com/rest/api/application-insights/components/get",
        "properties.DisableLocalAuth": "https://learn.microsoft.com/rest/api/application-insights/components/get",
    },
    "microsoft.cognitiveservices/accounts": {
        # Accounts - Get: the whole account shape (no Cognitive Services account in the corpus)
        "kind": "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "identity.type": "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "location": "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "tags.*": "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "properties.disableLocalAuth": "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "properties.publicNetworkAccess":
            "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "properties.networkAcls.defaultAction":
            "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
        "properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status":
            "https://learn.microsoft.com/rest/api/aiservices/accountmanagement/accounts/get",
    },
    "microsoft.compute/virtualmachines": {
        # Virtual Machines - Get (no VM in the corpus)
        "properties.hardwareProfile.vmSize": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "properties.priority": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "properties.evictionPolicy": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "properties.storageProfile.imageReference.publisher":
            "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "properties.storageProfile.imageReference.offer":
            "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "properties.networkProfile.networkInterfaces[*].id":
            "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "properties.virtualMachineScaleSet.id": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "resources[*].properties.type": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "managedBy": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "tags.*": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "location": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        "zones[*]": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        # GET with $expand=instanceView: VirtualMachineInstanceView.statuses (PowerState/running, ...)
        "properties.instanceView.statuses[*].code": "https://learn.microsoft.com/rest/api/compute/virtual-machines/get",
        # Resource Graph's resources table adds the power state to every VM row
        "properties.extended.instanceView.powerState.code":
            "https://learn.microsoft.com/azure/governance/resource-graph/samples/samples-by-category",
    },
    "microsoft.devtestlab/schedules": {
        # Global Schedules - Get: a VM's auto-shutdown schedule
        "properties.targetResourceId": "https://learn.microsoft.com/rest/api/dtl/global-schedules/get",
        "properties.status": "https://learn.microsoft.com/rest/api/dtl/global-schedules/get",
        "properties.taskType": "https://learn.microsoft.com/rest/api/dtl/global-schedules/get",
        "properties.dailyRecurrence.time": "https://learn.microsoft.com/rest/api/dtl/global-schedules/get",
    },
    # mlwaf.sources.azure_facts: a region's resource SKUs (Resource Skus - List) under properties.value,
    # and Azure ML usages (Usages - List) as properties of one resource each.
    "microsoft.compute/skus": {f"properties.value[*].{p}": "https://learn.microsoft.com/rest/api/compute/resource-skus/list"
                               for p in ("name", "resourceType", "family", "capabilities[*].value",
                                         "locationInfo[*].zones[*]", "restrictions[*].type",
                                         "restrictions[*].reasonCode", "restrictions[*].restrictionInfo.zones[*]")},
    "microsoft.machinelearningservices/locations/usages": {
        p: "https://learn.microsoft.com/rest/api/azureml/usages/list"
        for p in ("properties.name.value", "properties.currentValue", "properties.limit", "properties.type")},
    "microsoft.compute/virtualmachinescalesets": {
        "sku.name": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get",
        "properties.virtualMachineProfile.priority":
            "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get",
        "properties.virtualMachineProfile.evictionPolicy":
            "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get",
        "tags.*": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get",
        "location": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get",
        "zones[*]": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/get",
    },
    "microsoft.compute/virtualmachines/extensions": {
        "properties.type": "https://learn.microsoft.com/rest/api/compute/virtual-machine-extensions/get",
    },
    "microsoft.network/networkinterfaces": {
        "properties.ipConfigurations[*].properties.publicIPAddress.id":
            "https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get",
    },
    "microsoft.containerservice/managedclusters": {
        "properties.agentPoolProfiles[*].enableAutoScaling":
            "https://learn.microsoft.com/rest/api/aks/managed-clusters/get",
        "properties.agentPoolProfiles[*].minCount": "https://learn.microsoft.com/rest/api/aks/managed-clusters/get",
        "properties.agentPoolProfiles[*].maxCount": "https://learn.microsoft.com/rest/api/aks/managed-clusters/get",
        "properties.agentPoolProfiles[*].availabilityZones[*]":
            "https://learn.microsoft.com/rest/api/aks/managed-clusters/get",
        "properties.agentPoolProfiles[*].nodeTaints[*]":
            "https://learn.microsoft.com/rest/api/aks/managed-clusters/get",
        "tags.*": "https://learn.microsoft.com/rest/api/aks/managed-clusters/get",
    },
    "microsoft.containerservice/managedclusters/agentpools": {
        p: "https://learn.microsoft.com/rest/api/aks/agent-pools/get"
        for p in ("properties.mode", "properties.vmSize", "properties.enableAutoScaling", "properties.minCount",
                  "properties.maxCount", "properties.availabilityZones[*]", "properties.nodeTaints[*]")
    },
    "microsoft.insights/autoscalesettings": {
        p: "https://learn.microsoft.com/rest/api/monitor/autoscale-settings/get"
        for p in ("properties.enabled", "properties.targetResourceUri", "properties.profiles[*].capacity.minimum",
                  "properties.profiles[*].capacity.maximum", "properties.profiles[*].rules[*].scaleAction.direction")
    },
    # Role assignments and definitions as REST, Resource Graph (authorizationresources) and
    # `az role assignment list` (flat: the same names beside id) return them.
    "microsoft.authorization/roleassignments": {
        p: "https://learn.microsoft.com/rest/api/authorization/role-assignments/get"
        for p in ("properties.principalId", "properties.principalType", "properties.roleDefinitionId",
                  "properties.scope")
    },
    "microsoft.authorization/roledefinitions": {
        p: "https://learn.microsoft.com/rest/api/authorization/role-definitions/get"
        for p in ("properties.roleName", "properties.permissions[*].actions[*]",
                  "properties.permissions[*].notActions[*]")
    },
    "microsoft.insights/diagnosticsettings": {
        "properties.logs[*].category": "https://learn.microsoft.com/rest/api/monitor/diagnostic-settings/get",
    },
}


# The ARM envelope every resource type shares.
ENVELOPE = {
    "tags.*": "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources",
    # ManagedServiceIdentity (common-types): userAssignedIdentities maps ids to {principalId, clientId}.
    "identity.userAssignedIdentities.*.principalId":
        "https://learn.microsoft.com/rest/api/azureml/workspaces/get#userassignedidentity",
    "location": "https://learn.microsoft.com/rest/api/resources/resources/get-by-id",
}


@pytest.fixture(scope="module")
def specs() -> list:
    return registry.load(entry_points=False).sorted()


def tokens(path: str) -> list[str]:
    return ["[]" if t.startswith("[") else t.lower() for t in re.findall(r"\[[^\]]*\]|[^.\[\]]+", path)]


def declared_in(declared: str, known: set[str]) -> bool:
    """A declared path is in a shape when some path of the shape lies at or below it (`*` in the
    declaration matches any key)."""
    d = tokens(declared)
    for path in known:
        k = tokens(path)
        if len(k) >= len(d) and all(a == b or a == "*" for a, b in zip(d, k, strict=False)):
            return True
    return False


@pytest.fixture(scope="module")
def corpus_paths(corpus: Path) -> dict[str, set[str]]:
    """Every property path per resource type in the corpus: the resources the sources read
    (REST responses, templates, exports) plus the request bodies of REST PUT examples."""
    source = read_paths([corpus])
    out: dict[str, set[str]] = defaultdict(set)
    types_by_file: dict[str, set[str]] = defaultdict(set)
    for r in source.resources:
        out[r.type_key].update(p for p, _ in iter_paths(r.raw))
        types_by_file[str(r.origin.path)].add(r.type_key)
    for path in (corpus / "rest-api-specs").rglob("*.json"):
        data = json.loads(path.read_text("utf-8"))
        params = data.get("parameters") if isinstance(data, dict) else None
        bodies = [v for v in (params or {}).values() if isinstance(v, dict) and "properties" in v]
        for rtype in {t for f, ts in types_by_file.items() if f.endswith(path.name) for t in ts}:
            for body in bodies:
                out[rtype].update(p for p, _ in iter_paths(body))
    return out


def test_catalog_size_per_pillar(specs):
    assert len(specs) >= 70
    counts = Counter(s.pillar for s in specs)
    for pillar in Pillar:
        assert counts[pillar] >= 8, f"{pillar.value}: {counts[pillar]} checks"


def test_every_check_has_pass_and_fail_fixtures(specs):
    for s in specs:
        names = [p.name for p in (FIXTURES / s.id).glob("*.json")]
        assert any(n.startswith("pass") for n in names), f"{s.id} has no pass fixture"
        assert any(n.startswith("fail") for n in names), f"{s.id} has no fail fixture"
    # _inputs holds companion inputs fixtures name in their sidecar's "with" (test_fixtures.py).
    stray = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "_inputs"} - {s.id for s in specs}
    assert not stray, f"fixture folders without a check: {stray}"


def test_every_configuration_recommendation_is_covered(specs):
    recs = registry.recommendation_ids()
    notes = docs.coverage_notes()
    implemented = {i for s in specs for i in s.implements}
    for rid, rec in recs.items():
        if rid in implemented:
            assert rid not in notes, f"{rid} is implemented; remove its entry from checks/COVERAGE.toml"
            continue
        assert rid in notes, f"{rid} ({rec['how']}) has no check and no reason in checks/COVERAGE.toml"
        assert notes[rid]["reason"] in docs.REASONS and notes[rid]["note"]
    assert set(notes) <= set(recs), f"unknown ids in COVERAGE.toml: {set(notes) - set(recs)}"


def test_checks_read_only_paths_azure_returns(specs, corpus_paths):
    problems = []
    for s in specs:
        assert s.reads, f"{s.id} declares no reads"
        for rtype, paths in s.reads.items():
            types = [t.lower() for t in s.resource_types] if rtype == "" else [rtype]
            for p in paths:
                ok = any(
                    declared_in(p, corpus_paths.get(t, set()))
                    or declared_in(p, set(REST_DOCUMENTED.get(t, {})) | set(ENVELOPE))
                    for t in types
                )
                if not ok:
                    problems.append(f"{s.id}: {p} on {', '.join(types)}")
    assert not problems, "paths in neither the corpus shape nor the documented allow-list:\n" + "\n".join(problems)


def test_reference_formats(specs):
    guid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    for s in specs:
        r = s.references
        assert r.docs, f"{s.id} has no documentation link"
        assert all(d.startswith("https://") for d in r.docs)
        assert all(guid.match(g) for g in r.azure_policy), s.id
        assert all(re.match(r"^Azure\.[A-Za-z]+\.[A-Za-z.]+$", n) for n in r.psrule), s.id
        assert all(re.match(r"^CKV2?_AZURE_\d+$", c) for c in r.checkov), s.id


def test_external_rules_are_compared(specs):
    """A check naming a PSRule/checkov rule either has a fixture shaped like that rule's example
    (name contains 'psrule' or 'checkov') whose verdict the fixture test holds, or explains on its
    page how it deliberately differs."""
    for s in specs:
        if not (s.references.psrule or s.references.checkov):
            continue
        names = [p.name for p in (FIXTURES / s.id).glob("*.json")]
        compared = any("psrule" in n or "checkov" in n for n in names)
        assert compared or s.differs, f"{s.id}: no comparison fixture and no differs note"


def test_cli_lists_catalog_as_json(specs):
    from mlwaf.cli import app

    result = CliRunner().invoke(app, ["checks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {c["id"]: c for c in json.loads(result.output)}
    assert set(listed) >= {s.id for s in specs}
    for c in listed.values():
        for key in ("id", "title", "pillar", "severity", "resource_types", "implements", "remediation"):
            assert c[key], (c["id"], key)
        assert set(c["references"]) == {"azure_policy", "psrule", "checkov", "docs"}


def test_generated_docs_are_current():
    generated = docs.generate()
    stale = [rel for rel, text in generated.items()
             if not (DOCS / rel).is_file() or (DOCS / rel).read_text("utf-8") != text]
    extra = [p.name for p in (DOCS / "checks").glob("*.md") if f"checks/{p.name}" not in generated]
    assert not stale and not extra, (
        f"docs are stale ({stale[:5]}{'...' if len(stale) > 5 else ''}; extra {extra}): run `python -m mlwaf.docs`"
    )
