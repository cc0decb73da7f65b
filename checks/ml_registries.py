"""Azure Machine Learning registries: the shared store of models, environments and components
across workspaces. Their network exposure and the storage and registry Azure creates for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlwaf import defaults as D
from mlwaf.check import (
    CheckContext,
    References,
    Resource,
    Seen,
    Severity,
    Verdict,
    check,
    fail,
    passed,
    read,
    unknown,
    unresolved,
    value_at,
)
from mlwaf.checklib import (
    REGISTRY,
    approved_private_endpoint,
    public_access_disabled,
)

REGISTRY_NETWORK = "https://learn.microsoft.com/azure/machine-learning/how-to-registry-network-isolation"
REGISTRY_DOCS = "https://learn.microsoft.com/azure/machine-learning/how-to-manage-registries"


def _region_items(resource: Resource, key: str, inner: str) -> list[tuple[str, dict[str, Any]]]:
    """Every system-created storage account (or registry) of every region of the registry, with
    the property path it is at (`properties.regionDetails[0].storageAccountDetails[1].systemCreated...`)."""
    out = []
    regions = read(resource, "properties.regionDetails", default=[]).value
    for i, region in enumerate(regions if isinstance(regions, list) else []):
        items = value_at(region, key)
        for j, item in enumerate(items if isinstance(items, list) else []):
            details = value_at(item, inner)
            if isinstance(details, dict):
                path = f"properties.regionDetails[{i}].{key}[{j}].{inner}"
                out.append((path, {"location": value_at(region, "location"), **details}))
    return out


def _name(account: dict[str, Any], name_key: str) -> str:
    return str(value_at(account, name_key) or value_at(account, "location"))

def _judge_system_created(
    regions: Seen, items: list[tuple[str, dict[str, Any]]], *, what: str, name_key: str, value_key: str,
    bad: Callable[[str], bool], bad_label: str, good: str, show_value: bool = False,
) -> Verdict:
    """The system-created accounts of a registry are judged one property at a time, the same way:
    any bad value fails, and only then does a missing value (the spec gives none) make it UNKNOWN."""
    if not items:
        return unknown(f"No system-created {what} in the input", regions)
    failing = [f"{_name(a, name_key)} ({v})" if show_value else _name(a, name_key)
               for _, a in items if (v := value_at(a, value_key)) and bad(str(v))]
    if failing:
        return fail(f"{bad_label}: {', '.join(failing)}", regions)
    unset = [_name(a, name_key) for _, a in items if not value_at(a, value_key)]
    if unset:
        return unknown(f"No {value_key} (no default) for: {', '.join(unset)}", regions)
    return passed(good, regions)



@check(
    id="MLW-SEC-030",
    title="Registry disables public network access",
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["AML-SEC-14", "PLAT-16"],
    remediation="Set properties.publicNetworkAccess to 'Disabled' and reach the registry through a private "
    "endpoint (group id 'amlregistry').",
    references=References(docs=[REGISTRY_NETWORK]),
    rationale="A public registry exposes shared models and environments to any network.",
    absent="Absent publicNetworkAccess means 'Enabled' (an optional setting without a default: not disabled).",
    defaults=[D.REGISTRY_PUBLIC_NETWORK_ACCESS],
    reads=["properties.publicNetworkAccess"],
)
def registry_public_access(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, seen = public_access_disabled(resource)
    return verdict or fail("The registry is reachable from the internet", seen)


@check(
    id="MLW-SEC-031",
    title="Registry has an approved private endpoint",
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["AML-SEC-14", "PLAT-16"],
    remediation="Create a private endpoint (group id 'amlregistry') for the registry and approve it.",
    references=References(docs=[REGISTRY_NETWORK]),
    rationale="Workspaces in a private network reach the registry only through an approved private endpoint.",
    absent="Absent registryPrivateEndpointConnections (and no private endpoint in the scan) means none.",
    reads=["properties.registryPrivateEndpointConnections[*].properties.registryPrivateLinkServiceConnectionState.status"],
)
def registry_private_endpoint(resource: Resource, ctx: CheckContext) -> Verdict:
    return approved_private_endpoint(
        resource, ctx, "properties.registryPrivateEndpointConnections", "registryPrivateLinkServiceConnectionState"
    )


@check(
    id="MLW-SEC-032",
    title="Registry storage disallows anonymous blob access",
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["PLAT-16"],
    remediation="Set allowBlobPublicAccess to false on every "
    "properties.regionDetails[].storageAccountDetails[].systemCreatedStorageAccount.",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="Model artifacts in a storage account that allows anonymous access can leak through one "
    "misconfigured container.",
    absent="Absent allowBlobPublicAccess on a system-created account means false (an optional flag without a "
    "default: public blob access is what it switches on).",
    defaults=[D.REGISTRY_STORAGE_PUBLIC_BLOB_ACCESS],
    reads=["properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.allowBlobPublicAccess"],
)
def registry_storage_public(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails", default=[])
    if v := unresolved(regions):
        return v
    accounts = _region_items(resource, "storageAccountDetails", "systemCreatedStorageAccount")
    if not accounts:
        return unknown("No system-created storage account in the input", regions)
    flags = [(a, read(resource, f"{path}.allowBlobPublicAccess", default=D.REGISTRY_STORAGE_PUBLIC_BLOB_ACCESS))
             for path, a in accounts]
    if v := unresolved(*(f for _, f in flags)):
        return v
    open_ = [_name(a, "storageAccountName") for a, f in flags if f.value is True]
    if open_:
        return fail(f"Anonymous blob access allowed on: {', '.join(open_)}", regions)
    return passed(f"{len(accounts)} storage account(s) without anonymous access", regions)


@check(
    id="MLW-REL-006",
    title="Registry is replicated to more than one region",
    severity=Severity.MEDIUM,
    resource_types=[REGISTRY],
    implements=["AML-REL-07", "AML-REL-01"],
    remediation="Add a second region to properties.regionDetails (registries replicate assets to each).",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="A registry in one region makes every workspace that deploys from it depend on that region.",
    absent="regionDetails has no default in the REST specification (it is not required either): absent is "
    "UNKNOWN.",
    reads=["properties.regionDetails[*].location"],
)
def registry_regions(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails")
    if v := unresolved(regions):
        return v
    if regions.absent:
        return unknown("regionDetails is not in the input (it has no default)", regions)
    locations = {str(value_at(r, "location")).lower() for r in regions.value if value_at(r, "location")}
    if len(locations) >= 2:
        return passed(f"Replicated to {', '.join(sorted(locations))}", regions)
    return fail(f"Only in {', '.join(sorted(locations)) or 'one region'}", regions)


@check(
    id="MLW-REL-007",
    title="Registry storage is zone- or geo-redundant",
    severity=Severity.LOW,
    resource_types=[REGISTRY],
    implements=["AML-REL-07"],
    remediation="Use storageAccountType Standard_ZRS, Standard_GZRS or Standard_RAGZRS (or GRS) for the "
    "system-created storage accounts.",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="Locally redundant storage loses the registry's artifacts with a datacenter.",
    absent="storageAccountType has no default in the REST specification: an account without it is UNKNOWN.",
    reads=["properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.storageAccountType"],
)
def registry_storage_redundancy(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails", default=[])
    if v := unresolved(regions):
        return v
    return _judge_system_created(
        regions, _region_items(resource, "storageAccountDetails", "systemCreatedStorageAccount"),
        what="storage account", name_key="storageAccountName", value_key="storageAccountType",
        bad=lambda v: v.lower().endswith("_lrs"), bad_label="Locally redundant storage",
        good="All system-created storage is zone- or geo-redundant",
    )


@check(
    id="MLW-PERF-005",
    title="Registry's container registry is Premium",
    severity=Severity.LOW,
    resource_types=[REGISTRY],
    implements=["AML-OPS-02"],
    remediation="Set acrAccountSku 'Premium' on the system-created container registries in "
    "properties.regionDetails[].acrDetails[].",
    references=References(docs=[REGISTRY_DOCS]),
    rationale="Only Premium registries support private link, geo-replication and the throughput of many "
    "workspaces pulling environment images at once.",
    absent="acrAccountSku has no default in the REST specification: a registry without it is UNKNOWN.",
    reads=["properties.regionDetails[*].acrDetails[*].systemCreatedAcrAccount.acrAccountSku"],
)
def registry_acr_sku(resource: Resource, ctx: CheckContext) -> Verdict:
    regions = read(resource, "properties.regionDetails", default=[])
    if v := unresolved(regions):
        return v
    return _judge_system_created(
        regions, _region_items(resource, "acrDetails", "systemCreatedAcrAccount"),
        what="container registry", name_key="acrAccountName", value_key="acrAccountSku",
        bad=lambda v: v.lower() != "premium", bad_label="Not Premium", show_value=True,
        good="Premium container registries",
    )
