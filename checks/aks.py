"""AKS clusters attached to workspaces for inference (Kubernetes / AKS computes reference them by
properties.resourceId). Clusters no workspace in the scan attaches are not applicable: the pack
judges AI hosting, not every cluster."""

from __future__ import annotations

from mlwaf.check import (
    CheckContext,
    Pillar,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    not_applicable,
    passed,
    read,
    unknown,
    unresolved,
)
from mlwaf.checklib import AKS, AKS_POOL, COMPUTE, differs, is_gpu_size, node_pools, not_attached, reads

AKS_AI = "https://learn.microsoft.com/azure/well-architected/ai/application-platform"


_POOL_READS = {AKS_POOL: ["properties.mode", "properties.vmSize", "properties.enableAutoScaling",
                          "properties.minCount", "properties.maxCount", "properties.availabilityZones[*]",
                          "properties.nodeTaints[*]"],
               COMPUTE: ["properties.computeType", "properties.resourceId"]}


@check(
    id="MLW-PERF-020",
    title="Inference node pools of an attached AKS cluster autoscale",
    pillar=Pillar.PERFORMANCE_EFFICIENCY,
    severity=Severity.MEDIUM,
    resource_types=[AKS],
    implements=["AML-PERF-03", "PLAT-07"],
    remediation="Set enableAutoScaling true with maxCount above minCount on the user node pools that serve models.",
    references=References(
        docs=["https://learn.microsoft.com/azure/aks/cluster-autoscaler"],
        psrule=["Azure.AKS.AutoScaling"],
    ),
    rationale="Inference load varies; fixed pools either queue requests or pay for idle nodes.",
    defaults="Absent enableAutoScaling means false.",
)
@reads("properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].mode",
       "properties.agentPoolProfiles[*].enableAutoScaling", "properties.agentPoolProfiles[*].minCount",
       "properties.agentPoolProfiles[*].maxCount", related=_POOL_READS)
@differs("PSRule Azure.AKS.AutoScaling requires autoscaling on every VirtualMachineScaleSets pool; this check "
         "judges the user pools that run models and ignores the system pool.")
def aks_autoscale(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_attached(resource, ctx):
        return v
    pools = read(resource, "properties.agentPoolProfiles")
    if v := unresolved(pools):
        return v
    users = [(n, p) for n, p in node_pools(resource, ctx) if str(p.get("mode", "User")).lower() == "user"]
    if not users:
        return unknown("No user node pool in the input", pools)
    fixed = [n for n, p in users if not (p.get("enableAutoScaling") is True
                                         and int(p.get("maxCount") or 0) > int(p.get("minCount") or 0))]
    if fixed:
        return fail(f"Fixed-size user pool(s): {', '.join(fixed)}", pools)
    return passed(f"{len(users)} user pool(s) autoscale", pools)


@check(
    id="MLW-REL-021",
    title="Node pools of an attached AKS cluster span availability zones",
    pillar=Pillar.RELIABILITY,
    severity=Severity.MEDIUM,
    resource_types=[AKS],
    implements=["AML-REL-01", "PLAT-10"],
    remediation="Create the node pools with availabilityZones ['1','2','3'] (zones are set at pool creation).",
    references=References(
        docs=["https://learn.microsoft.com/azure/aks/availability-zones"],
        psrule=["Azure.AKS.AvailabilityZone"],
    ),
    rationale="A zone outage should not take down model serving.",
    defaults="Absent availabilityZones means the pool is in no zone (regional placement only).",
)
@reads("properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].availabilityZones[*]",
       related=_POOL_READS)
def aks_zones(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_attached(resource, ctx):
        return v
    pools = read(resource, "properties.agentPoolProfiles")
    if v := unresolved(pools):
        return v
    all_pools = node_pools(resource, ctx)
    if not all_pools:
        return unknown("No node pool in the input", pools)
    single = [n for n, p in all_pools if len(p.get("availabilityZones") or []) < 2]
    if single:
        return fail(f"Pool(s) in fewer than two zones: {', '.join(single)}", pools)
    return passed("Every node pool spans at least two zones", pools)


@check(
    id="MLW-PERF-021",
    title="GPU nodes of an attached AKS cluster are isolated in tainted user pools",
    pillar=Pillar.PERFORMANCE_EFFICIENCY,
    severity=Severity.LOW,
    resource_types=[AKS],
    implements=["PLAT-14"],
    remediation="Put GPU sizes only in user node pools with a taint (e.g. 'sku=gpu:NoSchedule') and keep the "
    "system pool on CPU sizes.",
    references=References(docs=["https://learn.microsoft.com/azure/aks/gpu-cluster"]),
    rationale="Isolated GPU pools give predictable latency and keep expensive GPUs for AI work only.",
    defaults="Absent nodeTaints means none; absent mode means 'User'.",
)
@reads("properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].vmSize",
       "properties.agentPoolProfiles[*].mode", "properties.agentPoolProfiles[*].nodeTaints[*]", related=_POOL_READS)
def aks_gpu_isolation(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_attached(resource, ctx):
        return v
    pools = read(resource, "properties.agentPoolProfiles")
    if v := unresolved(pools):
        return v
    gpu = [(n, p) for n, p in node_pools(resource, ctx) if is_gpu_size(p.get("vmSize"))]
    if not gpu:
        return not_applicable("No GPU node pool", pools)
    bad = [n for n, p in gpu if str(p.get("mode", "User")).lower() == "system" or not p.get("nodeTaints")]
    if bad:
        return fail(f"GPU pool(s) open to other workloads (system mode or no taint): {', '.join(bad)}", pools)
    return passed(f"{len(gpu)} GPU pool(s) are tainted user pools", pools)
