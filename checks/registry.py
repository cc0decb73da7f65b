"""Azure Machine Learning registries: the shared store of models, environments and components
across workspaces. Their network exposure and the storage and registry Azure creates for them."""

from __future__ import annotations

from typing import Any

from mlwaf.check import (
    CheckContext,
    Pillar,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    passed,
    read,
    required,
    unknown,
    unresolved,
)
from mlwaf.checklib import (
    DIAGNOSTIC_READS,
    REGISTRY,
    approved_private_endpoint,
    diagnostic_logs,
    public_access_disabled,
    reads,
)

REGISTRY_NETWORK = "https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation"
REGISTRY_DOCS = "https://learn.microsoft.com/azure/machine-learning/how-to-manage-registries"


def _region_items(resource: Resource, key: str, inner: str) -> list[dict[str, Any]]:
    """Every system-created storage account (or registry) of every region of the registry."""
    out = []
    regions = read(resource, "properties.regionDetails", default=[]).value
    for region in regions if isinstance(regions, list) else []:
        for item in (region.get(key) or []) if isinstance(region, dict) else []:
            if isinstance(item, dict) and isinstance(item.get(inner), dict):
                out.append({"location": region.get("location"), **item[inner]})
    return out


@check(
    id="MLW-SEC-030",
    title="Registry disables public network access",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["AML-SEC-14", "PLAT-16"],
    remediation="Set properties.publicNetworkAccess to 'Disabled' and reach the registry through a private "
    "endpoint (group id 'amlregistry').",
    references=References(docs=[REGISTRY_NETWORK]),
    rationale="A public registry exposes shared models and environments to any network.",
    defaults="Absent publicNetworkAccess means 'Enabled' (API default).",
)
@reads("properties.publicNetworkAccess")
def registry_public_access(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, seen = public_access_disabled(resource)
    return verdict or fail("The registry is reachable from the internet", seen)


@check(
    id="MLW-SEC-031",
    title="Registry has an approved private endpoint",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["AML-SEC-14", "PLAT-16"],
    remediation="Create a private endpoint (group id 'amlregistry') for the registry and approve it.",
    references=References(docs=[REGISTRY_NETWORK]),
    rationale="Workspaces in a private network reach the registry only through an approved private endpoint.",
    defaults="Absent registryPrivateEndpointConnections (and no private endpoint in the scan) means none.",
)
@reads("properties.registryPrivateEndpointConnections[*].properties.registryPrivateLinkServiceConnectionState.status")
def registry_private_endpoint(resource: Resource, ctx: CheckContext) -> Verdict:
    return approved_private_endpoint(
        resource, ctx, "properties.registryPrivateEndpointConnections", "registryPrivateLinkServiceConnectionState"
    )


@check(
    id="MLW-SEC-032",
    title="Registry storage disallows anonymous blob access",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["PLAT-16"],
    remediation="Set allowBlobPublicAccess to false on every "
    "properties.regionDetails[].storageAccountDetails[].systemCreatedStorageAccount.",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="Model artifacts in a storage account that allows anonymous access can leak through one "
    "misconfigured container.",
    defaults="Absent allowBlobPublicAccess on a system-created account means false (the service creates it "
    "without public access).",
)
@reads("properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.allowBlobPublicAccess")
def registry_storage_public(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails", default=[])
    if v := unresolved(regions):
        return v
    accounts = _region_items(resource, "storageAccountDetails", "systemCreatedStorageAccount")
    if not accounts:
        return unknown("No system-created storage account in the input", regions)
    open_ = [str(a.get("storageAccountName") or a.get("location")) for a in accounts
             if a.get("allowBlobPublicAccess") is True]
    if open_:
        return fail(f"Anonymous blob access allowed on: {', '.join(open_)}", regions)
    return passed(f"{len(accounts)} storage account(s) without anonymous access", regions)


@check(
    id="MLW-REL-006",
    title="Registry is replicated to more than one region",
    pillar=Pillar.RELIABILITY,
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["AML-REL-07", "AML-REL-01"],
    remediation="Add a second region to properties.regionDetails (registries replicate assets to each).",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="A registry in one region makes every workspace that deploys from it depend on that region.",
    defaults="regionDetails is required by the API; absent is UNKNOWN.",
)
@reads("properties.regionDetails[*].location")
def registry_regions(resource: Resource, ctx: CheckContext) -> Verdict:
    regions, v = required(resource, "properties.regionDetails", "regionDetails")
    if v:
        return v
    locations = {str(r.get("location")).lower() for r in regions.value if isinstance(r, dict) and r.get("location")}
    if len(locations) >= 2:
        return passed(f"Replicated to {', '.join(sorted(locations))}", regions)
    return fail(f"Only in {', '.join(sorted(locations)) or 'one region'}", regions)


@check(
    id="MLW-REL-007",
    title="Registry storage is zone- or geo-redundant",
    pillar=Pillar.RELIABILITY,
    severity=Severity.LOW,
    resource_types=[REGISTRY],
    implements=["AML-REL-07"],
    remediation="Use storageAccountType Standard_ZRS, Standard_GZRS or Standard_RAGZRS (or GRS) for the "
    "system-created storage accounts.",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="Locally redundant storage loses the registry's artifacts with a datacenter.",
    defaults="Absent storageAccountType means 'Standard_LRS' (the service default).",
)
@reads("properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.storageAccountType")
def registry_storage_redundancy(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails", default=[])
    if v := unresolved(regions):
        return v
    accounts = _region_items(resource, "storageAccountDetails", "systemCreatedStorageAccount")
    if not accounts:
        return unknown("No system-created storage account in the input", regions)
    lrs = [str(a.get("storageAccountName") or a.get("location")) for a in accounts
           if str(a.get("storageAccountType") or "Standard_LRS").lower().endswith("_lrs")]
    if lrs:
        return fail(f"Locally redundant storage: {', '.join(lrs)}", regions)
    return passed("All system-created storage is zone- or geo-redundant", regions)


@check(
    id="MLW-PERF-005",
    title="Registry's container registry is Premium",
    pillar=Pillar.PERFORMANCE_EFFICIENCY,
    severity=Severity.LOW,
    resource_types=[REGISTRY],
    implements=["AML-OPS-02"],
    remediation="Set acrAccountSku 'Premium' on the system-created container registries in "
    "properties.regionDetails[].acrDetails[].",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="Only Premium registries support private link, geo-replication and the throughput of many "
    "workspaces pulling environment images at once.",
    defaults="Absent acrAccountSku means 'Premium' (the service creates Premium registries).",
)
@reads("properties.regionDetails[*].acrDetails[*].systemCreatedAcrAccount.acrAccountSku")
def registry_acr_sku(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails", default=[])
    if v := unresolved(regions):
        return v
    acrs = _region_items(resource, "acrDetails", "systemCreatedAcrAccount")
    if not acrs:
        return unknown("No system-created container registry in the input", regions)
    low = [f"{a.get('acrAccountName') or a.get('location')} ({a.get('acrAccountSku')})" for a in acrs
           if str(a.get("acrAccountSku") or "Premium").lower() != "premium"]
    if low:
        return fail(f"Not Premium: {', '.join(low)}", regions)
    return passed("Premium container registries", regions)


@check(
    id="MLW-OPS-010",
    title="Registry resource logs are collected",
    pillar=Pillar.OPERATIONAL_EXCELLENCE,
    severity=Severity.LOW,
    resource_types=[REGISTRY],
    implements=["AML-OPS-07"],
    remediation="Add a diagnostic setting on the registry with categoryGroup 'allLogs' or 'audit' enabled.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning"],
        azure_policy=["33835ef6-bc67-4bde-bf5f-5a857f195a57"],
    ),
    rationale="An audit trail of who read and wrote shared models and environments.",
    defaults="Diagnostic settings are separate extension resources: none in an offline input is UNKNOWN; a live "
    "scan fails on none.",
)
@reads(related=DIAGNOSTIC_READS)
def registry_diagnostic_logs(resource: Resource, ctx: CheckContext) -> Verdict:
    return diagnostic_logs(resource, ctx, "registry")
