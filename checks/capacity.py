"""Quotas and capacity: whether the sizes the estate runs on are offered to the subscription where
it runs them, in the zones it asks for, and whether the Azure ML quota leaves room for GPU
clusters and deployments to reach their maximum. Azure's own numbers, read by a live scan
(resource SKUs, usages) or from `az vm list-skus` and the usage lists (mlwaf.capacity)."""

from __future__ import annotations

from typing import Any

from mlwaf import capacity
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
    not_applicable,
    passed,
    read,
    unknown,
    unresolved,
    value_at,
)
from mlwaf.checklib import (
    AUTOSCALE,
    COMPUTE,
    ONLINE_DEPLOYMENT,
    ONLINE_ENDPOINT,
    VM,
    VM_SIZE_READS,
    VMSS,
    WORKSPACE,
    compute_type,
    is_gpu_size,
    scale_type,
    vm_size,
)
from mlwaf.resource_types import ML_USAGES, RESOURCE_SKUS

_SKU_READS = ["properties.value[*].name", "properties.value[*].resourceType", "properties.value[*].family",
              "properties.value[*].capabilities[*].value", "properties.value[*].locationInfo[*].zones[*]",
              "properties.value[*].restrictions[*].type", "properties.value[*].restrictions[*].reasonCode",
              "properties.value[*].restrictions[*].restrictionInfo.zones[*]"]
# What vm_size() reads on an Azure ML compute or online deployment (not a VM's or scale set's paths).
_ML_SIZE_READS = [p for p in VM_SIZE_READS if p not in ("properties.hardwareProfile.vmSize", "sku.name")]
_REGION_READS = {WORKSPACE.lower(): ["location"], ONLINE_ENDPOINT.lower(): ["location"]}
_SKUS_ABSENT = ("Needs the resource SKUs of the resource's region: a live scan lists them for every region the "
                "estate uses; offline, `az vm list-skus --location REGION` output. A size missing from that list is "
                "'not offered' only where the list was read in full (a live scan), otherwise UNKNOWN.")


def _sku(resource: Resource, ctx: CheckContext) -> tuple[Verdict | None, Seen | None, capacity.SkuLookup | None]:
    verdict, size = vm_size(resource)
    if verdict is not None:
        return verdict, size, None
    return None, size, capacity.sku_for(resource, str(size.value), ctx.inventory)


@check(
    id="MLW-REL-040",
    title="VM size is offered to the subscription in the resource's region",
    severity=Severity.HIGH,
    resource_types=[VM, VMSS, COMPUTE, ONLINE_DEPLOYMENT],
    implements=["PLAT-03"],
    remediation="Move the cluster, deployment or VM to a size the region offers the subscription (az vm list-skus "
    "--location REGION --size NAME shows its restrictions), or ask for the restriction to be lifted (a support "
    "request for NotAvailableForSubscription).",
    references=References(docs=[capacity.LEARN_SKUS,
                                "https://learn.microsoft.com/troubleshoot/azure/azure-portal/resource-sku-restrictions"]),
    rationale="A size the region does not offer, or restricts for the subscription, cannot be allocated: scale-out, "
    "redeploys and restarts after deallocation fail.",
    absent=_SKUS_ABSENT,
    defaults=[D.DEPLOYMENT_INSTANCE_TYPE],
    reads=[*VM_SIZE_READS, "location"],
    reads_related={RESOURCE_SKUS.lower(): _SKU_READS, **_REGION_READS},
)
def size_offered(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, size, found = _sku(resource, ctx)
    if verdict is not None or found is None or size is None:
        return verdict or unknown("No VM size to judge")
    if found.sku is None:
        if found.complete:
            return fail(f"{size.value} is not offered in {found.region} (not among the region's resource SKUs)", size)
        return unknown(f"Not known whether {size.value} is offered: {found.missing(str(size.value))}", size)
    if found.sku.restricted:
        return fail(f"{size.value} is restricted for the subscription in {found.region} "
                    f"({', '.join(found.sku.restricted)})", size, found.sku.evidence())
    return passed(f"{size.value} is offered in {found.region}", size, found.sku.evidence())


@check(
    id="MLW-REL-041",
    title="Zonal VMs and scale sets use a size offered in every zone they name",
    severity=Severity.HIGH,
    resource_types=[VM, VMSS],
    implements=["PLAT-03", "PLAT-10"],
    remediation="Pick a size the region offers in every zone the design spreads over (az vm list-skus --location "
    "REGION --zone --size NAME), or spread over the zones it is offered in.",
    references=References(docs=[capacity.LEARN_SKUS,
                                "https://learn.microsoft.com/azure/reliability/availability-zones-overview"]),
    rationale="A zone-redundant design on a size offered in one zone only cannot place instances in the other "
    "zones: it is not zone-redundant, and a zonal outage takes it down.",
    absent="Resources that name no zones are not zonal (not applicable). " + _SKUS_ABSENT,
    reads=["properties.hardwareProfile.vmSize", "sku.name", "location", "zones[*]"],
    reads_related={RESOURCE_SKUS.lower(): _SKU_READS},
)
def zones_offered(resource: Resource, ctx: CheckContext) -> Verdict:
    zones = read(resource, "zones")
    if v := unresolved(zones):
        return v
    wanted = sorted({str(z) for z in zones.value}) if isinstance(zones.value, list) else []
    if not wanted:
        return not_applicable("Not zonal: no zones named", zones)
    verdict, size, found = _sku(resource, ctx)
    if verdict is not None or found is None or size is None:
        return verdict or unknown("No VM size to judge")
    if found.sku is None:
        return unknown(f"Zones of {size.value} not known: {found.missing(str(size.value))}", size, zones)
    missing = [z for z in wanted if z not in found.sku.zones]
    offered = ", ".join(found.sku.zones) or "none"
    if missing and len(wanted) > 1 and len(found.sku.zones) <= 1:
        return fail(f"Spread over zones {', '.join(wanted)} on {size.value}, offered in {found.region} in zone(s) "
                    f"{offered} only: the design cannot be zone-redundant", zones, found.sku.evidence())
    if missing:
        return fail(f"{size.value} is not offered in zone(s) {', '.join(missing)} of {found.region} "
                    f"(offered: {offered})", zones, found.sku.evidence())
    return passed(f"{size.value} is offered in every zone named ({', '.join(wanted)})", zones, found.sku.evidence())


# --- quota headroom ----------------------------------------------------------------------------
def _cluster_growth(resource: Resource) -> tuple[Verdict | None, int, str, str, list[Seen]]:
    """(verdict, more nodes, in words, priority, what was read) for an AmlCompute cluster."""
    hi = read(resource, "properties.properties.scaleSettings.maxNodeCount")
    now = read(resource, "properties.properties.currentNodeCount")
    priority = read(resource, D.CLUSTER_VM_PRIORITY)
    seen = [hi, now, priority]
    if v := unresolved(hi, now, priority):
        return v, 0, "", "", seen
    if hi.absent or now.absent:
        return (unknown("maxNodeCount and currentNodeCount are needed (a GET of the compute returns both)", hi, now),
                0, "", "", seen)
    more = max(0, int(hi.value) - int(now.value))
    return None, more, f"scaling from {now.value} to {hi.value} nodes", str(priority.value), seen


def _deployment_maximum(resource: Resource, ctx: CheckContext, current: int) -> tuple[Verdict | None, int, list[Seen]]:
    """The most instances a managed deployment can reach: maxInstances (TargetUtilization), the
    largest enabled autoscale maximum, or its fixed count."""
    scale, kind = scale_type(resource)
    if v := unresolved(scale, kind):
        return v, 0, [scale]
    if scale.lower() == "targetutilization":
        hi = read(resource, D.DEPLOYMENT_MAX_INSTANCES)
        return unresolved(hi), int(hi.value) if not hi.unresolved else 0, [scale, hi]
    settings = ctx.inventory.attached(resource, AUTOSCALE)
    if not settings and not ctx.inventory.type_listed(AUTOSCALE, resource):
        return unknown("No autoscale setting for this deployment in the input: its maximum is not known "
                       "(a live scan lists them)", scale), 0, [scale]
    highest = current
    for s in settings:
        enabled = read(s, D.AUTOSCALE_ENABLED)
        if enabled.value is False:
            continue
        profiles = value_at(s.raw, "properties.profiles")
        for p in profiles if isinstance(profiles, list) else []:
            try:
                highest = max(highest, int(value_at(p, "capacity.maximum")))
            except (TypeError, ValueError):
                continue
    return None, highest, [scale]


def _growth(resource: Resource, ctx: CheckContext, size: str) -> tuple[Verdict | None, int, str, str, list[Seen]]:
    if resource.is_type(COMPUTE):
        if compute_type(resource) != "amlcompute":
            return (not_applicable("Only compute clusters scale out; a compute instance is one node, counted in "
                                   "the usage already"), 0, "", "", [])
        return _cluster_growth(resource)
    count = read(resource, "sku.capacity")
    if v := unresolved(count):
        return v, 0, "", "", [count]
    if count.absent:
        return unknown("sku.capacity (the deployment's instance count) is not in the input", count), 0, "", "", [count]
    verdict, highest, seen = _deployment_maximum(resource, ctx, int(count.value))
    if verdict is not None:
        return verdict, 0, "", "", [count, *seen]
    more = capacity.reserved_instances(size, highest) - capacity.reserved_instances(size, int(count.value))
    words = (f"scaling from {count.value} to {highest} instances (quota held for "
             f"{capacity.reserved_instances(size, highest)} with Azure ML's upgrade reserve)")
    return None, max(0, more), words, "Dedicated", [count, *seen]


@check(
    id="MLW-PERF-030",
    title="GPU quota leaves room for clusters and deployments to reach their maximum",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE, ONLINE_DEPLOYMENT],
    implements=["PLAT-03"],
    remediation="Request more Azure ML quota for the VM family in the region (Azure ML studio, Quota, or a support "
    "request), lower maxNodeCount / the autoscale maximum to what the quota allows, or free quota held elsewhere.",
    references=References(docs=[capacity.LEARN_QUOTAS]),
    rationale="Scale-out beyond the quota fails: a cluster queues jobs at the quota's node count and a deployment "
    "cannot add instances under load. GPU quota is small by default and shared by every cluster, compute instance "
    "and managed deployment of the family in the subscription and region.",
    absent="Needs the Azure ML usages of the region (a live scan reads them; offline, the REST list, whose usages "
    "say their region in amlWorkspaceLocation) and the size's vCPUs from the resource SKUs. Clusters need "
    "maxNodeCount and currentNodeCount (a GET returns both); a vmPriority absent is Dedicated (REST default). "
    "Managed deployments grow to maxInstances (TargetUtilization), else to the largest enabled autoscale maximum "
    "(none listed: UNKNOWN offline), and hold quota for ceil(1.2 x instances) except the sizes Learn exempts. "
    "Family counters are matched by name (Standard <family> Family Cluster Dedicated vCPUs); a family Azure ML "
    "names otherwise is UNKNOWN. Workspace-level quotas are not judged. Non-GPU sizes are not applicable.",
    defaults=[D.DEPLOYMENT_INSTANCE_TYPE, D.CLUSTER_VM_PRIORITY, D.DEPLOYMENT_SCALE_TYPE_MANAGED,
              D.DEPLOYMENT_SCALE_TYPE_KUBERNETES, D.DEPLOYMENT_MAX_INSTANCES, D.AUTOSCALE_ENABLED],
    reads=[*_ML_SIZE_READS, "location", "properties.properties.scaleSettings.maxNodeCount",
           "properties.properties.currentNodeCount", "properties.properties.vmPriority", "sku.capacity",
           "properties.scaleSettings.scaleType", "properties.scaleSettings.maxInstances"],
    reads_related={RESOURCE_SKUS.lower(): _SKU_READS,
                   ML_USAGES.lower(): ["properties.name.value", "properties.currentValue", "properties.limit",
                                       "properties.type"],
                   AUTOSCALE.lower(): ["properties.enabled", "properties.targetResourceUri",
                                       "properties.profiles[*].capacity.maximum"],
                   **_REGION_READS},
)
def quota_headroom(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, size = vm_size(resource)
    if verdict is not None:
        return verdict
    if not is_gpu_size(size.value):
        return not_applicable(f"{size.value} is not a GPU size", size)
    verdict, more, words, priority, seen = _growth(resource, ctx, str(size.value))
    if verdict is not None:
        return verdict
    found = capacity.sku_for(resource, str(size.value), ctx.inventory)
    if found.sku is None or found.sku.vcpus is None or not found.sku.family or found.region is None:
        return unknown(f"vCPUs of {size.value} not known: {found.missing(str(size.value))}", size, *seen)
    sku = found.sku
    family, total, any_usage = capacity.ml_counters(resource, found.region, sku.family or "", priority, ctx.inventory)
    if not any_usage:
        return unknown(f"The Azure ML usages of {found.region} are not in the input", size, *seen)
    if family is None:
        return unknown(f"No Azure ML {priority} usage counter for family {sku.family} in {found.region}", size,
                       sku.evidence())
    counters = [c for c in (family, total) if c is not None]
    need = more * (sku.vcpus or 0)
    evidence: list[Any] = [size, *seen, sku.evidence(), *(c.evidence() for c in counters)]
    short = [c for c in counters if c.headroom is not None and c.headroom < need]
    if short:
        return fail(f"{words} needs {need} more vCPUs ({sku.vcpus} each); the quota has room for "
                    f"{min(c.headroom or 0 for c in short)}: {'; '.join(capacity.short(counters))}", *evidence)
    if need == 0:
        return passed(f"At its maximum already; {'; '.join(capacity.short(counters))}", *evidence)
    return passed(f"{words} needs {need} more vCPUs, within {'; '.join(capacity.short(counters))}", *evidence)
