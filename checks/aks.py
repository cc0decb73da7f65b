"""AKS clusters attached to workspaces for inference (Kubernetes / AKS computes reference them by
properties.resourceId). Clusters no workspace in the scan attaches are not applicable: the pack
judges AI hosting, not every cluster."""

from __future__ import annotations

from dataclasses import dataclass

from mlwaf import defaults as D
from mlwaf.armid import name_of as armid_name
from mlwaf.check import (
    CheckContext,
    Param,
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
    AKS,
    AKS_POOL,
    COMPUTE,
    WORKSPACE,
    NodePool,
    attached_computes,
    cluster_pools,
    compute_type,
    environment,
    is_gpu_size,
    is_production,
    normalize_size,
    not_attached,
    pool_mode,
    tag,
    workspace_of,
)

AKS_AI = "https://learn.microsoft.com/azure/well-architected/ai/application-platform"
DSP = "https://learn.microsoft.com/azure/cloud-adoption-framework/ai/"


_POOL_READS = {AKS_POOL: ["properties.mode", "properties.vmSize", "properties.enableAutoScaling",
                          "properties.minCount", "properties.maxCount", "properties.availabilityZones[*]",
                          "properties.nodeTaints[*]"],
               COMPUTE: ["properties.computeType", "properties.resourceId"]}


def _user_pools(pools: list[NodePool]) -> tuple[list[NodePool], list[Seen]]:
    """The user pools of a cluster, and the modes that are undetermined (a pool without mode that is
    not the cluster's only pool): those are never guessed to be user pools."""
    users, undetermined = [], []
    for pool in pools:
        mode = pool_mode(pool, pools)
        if mode.unresolved:
            undetermined.append(mode)
        elif mode.lower() == "user":
            users.append(pool)
    return users, undetermined


_MODE_DEFAULTS = [D.AKS_ONLY_POOL_MODE, D.AKS_CHILD_ONLY_POOL_MODE]


@check(
    id="MLW-PERF-020",
    title="Inference node pools of an attached AKS cluster autoscale",
    severity=Severity.MEDIUM,
    resource_types=[AKS],
    implements=["AML-PERF-03", "PLAT-07"],
    remediation="Set enableAutoScaling true with maxCount above minCount on the user node pools that serve models.",
    references=References(
        docs=["https://learn.microsoft.com/azure/aks/cluster-autoscaler"],
        psrule=["Azure.AKS.AutoScaling"],
    ),
    rationale="Inference load varies; fixed pools either queue requests or pay for idle nodes.",
    absent="Absent enableAutoScaling means false (an opt-in without a default). A pool's mode is required by the "
    "API and has no default: a pool without one is the System pool when it is the cluster's only pool (a cluster "
    "needs one), and otherwise UNKNOWN, never taken for a user pool. An autoscaling pool without minCount or "
    "maxCount is UNKNOWN.",
    defaults=[*_MODE_DEFAULTS, D.AKS_POOL_AUTOSCALING, D.AKS_CHILD_POOL_AUTOSCALING],
    reads=["properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].mode",
           "properties.agentPoolProfiles[*].enableAutoScaling", "properties.agentPoolProfiles[*].minCount",
           "properties.agentPoolProfiles[*].maxCount"],
    reads_related=_POOL_READS,
    differs="PSRule Azure.AKS.AutoScaling requires autoscaling on every VirtualMachineScaleSets pool; this check "
    "judges the user pools that run models and ignores the system pool.",
)
def aks_autoscale(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_attached(resource, ctx):
        return v
    pools = read(resource, "properties.agentPoolProfiles")
    if v := unresolved(pools):
        return v
    users, undetermined = _user_pools(cluster_pools(resource, ctx))
    fixed, unsure = [], list(undetermined)
    for pool in users:
        scaling = pool.read("enableAutoScaling", D.AKS_CHILD_POOL_AUTOSCALING if pool.child else D.AKS_POOL_AUTOSCALING)
        if v := unresolved(scaling):
            return v
        if scaling.value is not True:
            fixed.append(pool.name)
            continue
        low, high = pool.read("minCount"), pool.read("maxCount")
        if not isinstance(low.value, int) or not isinstance(high.value, int):
            unsure += [s for s in (low, high) if not isinstance(s.value, int)]
        elif high.value <= low.value:
            fixed.append(pool.name)
    if fixed:
        return fail(f"Fixed-size user pool(s): {', '.join(fixed)}", pools)
    if unsure:
        return unknown("Whether every user pool autoscales is not in the input: "
                       + "; ".join(s.undetermined or f"{s.evidence.path} is not a number" for s in unsure),
                       pools, *unsure)
    if not users:
        return unknown("No user node pool in the input", pools)
    return passed(f"{len(users)} user pool(s) autoscale", pools)


@check(
    id="MLW-REL-021",
    title="Node pools of an attached AKS cluster span availability zones",
    severity=Severity.MEDIUM,
    resource_types=[AKS],
    implements=["AML-REL-01", "PLAT-10"],
    remediation="Create the node pools with availabilityZones ['1','2','3'] (zones are set at pool creation).",
    references=References(
        docs=["https://learn.microsoft.com/azure/aks/availability-zones"],
        psrule=["Azure.AKS.AvailabilityZone"],
    ),
    rationale="A zone outage should not take down model serving.",
    absent="Absent availabilityZones means the pool is in no zone (regional placement only).",
    reads=["properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].availabilityZones[*]"],
    reads_related=_POOL_READS,
)
def aks_zones(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_attached(resource, ctx):
        return v
    pools = read(resource, "properties.agentPoolProfiles")
    if v := unresolved(pools):
        return v
    all_pools = cluster_pools(resource, ctx)
    if not all_pools:
        return unknown("No node pool in the input", pools)
    single = [p.name.lower() for p in all_pools if len(value_at(p.props, "availabilityZones") or []) < 2]
    if single:
        return fail(f"Pool(s) in fewer than two zones: {', '.join(single)}", pools)
    return passed("Every node pool spans at least two zones", pools)


@check(
    id="MLW-PERF-021",
    title="GPU nodes of an attached AKS cluster are isolated in tainted user pools",
    severity=Severity.LOW,
    resource_types=[AKS],
    implements=["PLAT-14"],
    remediation="Put GPU sizes only in user node pools with a taint (e.g. 'sku=gpu:NoSchedule') and keep the "
    "system pool on CPU sizes.",
    references=References(docs=["https://learn.microsoft.com/azure/aks/gpu-cluster"]),
    rationale="Isolated GPU pools give predictable latency and keep expensive GPUs for AI work only.",
    absent="Absent nodeTaints means none. A pool's mode is required by the API and has no default: a pool without "
    "one is the System pool when it is the cluster's only pool, and otherwise UNKNOWN.",
    defaults=_MODE_DEFAULTS,
    reads=["properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].vmSize",
           "properties.agentPoolProfiles[*].mode", "properties.agentPoolProfiles[*].nodeTaints[*]"],
    reads_related=_POOL_READS,
)
def aks_gpu_isolation(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_attached(resource, ctx):
        return v
    pools = read(resource, "properties.agentPoolProfiles")
    if v := unresolved(pools):
        return v
    all_pools = cluster_pools(resource, ctx)
    gpu = [p for p in all_pools if is_gpu_size(value_at(p.props, "vmSize"))]
    if not gpu:
        return not_applicable("No GPU node pool", pools)
    modes = {p.name: pool_mode(p, all_pools) for p in gpu}
    bad = [p.name.lower() for p in gpu if (not modes[p.name].unresolved and modes[p.name].lower() == "system")
           or not value_at(p.props, "nodeTaints")]
    if bad:
        return fail(f"GPU pool(s) open to other workloads (system mode or no taint): {', '.join(bad)}", pools,
                    *[m for m in modes.values() if m.absent])
    if v := unresolved(*modes.values()):
        return v
    return passed(f"{len(gpu)} GPU pool(s) are tainted user pools", pools)


# --- test clusters for production inference (DSP-05, DSP-07) ----------------------------------

_TEST_PARAMS = {
    "environment_tag": Param("tag key holding the environment (default 'environment'), read on the resource, else its "
    "workspace"),
    "project_tag": Param("tag key naming the project (default 'project'), read on the resource, else its workspace"),
    "production_values": Param("tag values meaning production (default prod, production, prd, live)", "texts"),
}
_TEST_READS = {
    WORKSPACE: ["tags.*"],
    AKS: ["tags.*", "properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].mode",
          "properties.agentPoolProfiles[*].vmSize"],
    AKS_POOL: ["properties.mode", "properties.vmSize"],
    COMPUTE: ["properties.computeType", "properties.resourceId", "tags.*"],
}


def _label(resource: Resource, ctx: CheckContext, key: str) -> str | None:
    """A tag of a compute or cluster, lower case: its own, else its workspace's (for a cluster, the
    workspaces attaching it, when they agree)."""
    own = tag(resource, key)
    if own:
        return own.lower()
    if resource.is_type(AKS):
        values = {v.lower() for c in attached_computes(resource, ctx)
                  if (ws := workspace_of(c, ctx)) is not None and (v := tag(ws, key))}
        return values.pop() if len(values) == 1 else None
    value, _ = environment(resource, ctx, key)
    return value


@dataclass
class _Inference:
    """A production AKS/Kubernetes compute, its project and the project's non-production clusters
    (ARM id -> the cluster when in the scan)."""

    target: Seen
    project: str
    cluster: Resource | None
    test_clusters: dict[str, Resource | None]


def _production_inference(resource: Resource, ctx: CheckContext) -> _Inference | Verdict:
    ctype = read(resource, "properties.computeType")
    if v := unresolved(ctype):
        return v
    if compute_type(resource) not in ("aks", "kubernetes"):
        return not_applicable("Not an attached AKS or Kubernetes compute", ctype)
    target = read(resource, "properties.resourceId")
    if v := unresolved(target):
        return v
    if not target.value:
        return not_applicable("No cluster resource id", target)
    ekey = str(ctx.params.get("environment_tag") or "environment")
    pkey = str(ctx.params.get("project_tag") or "project")
    env = _label(resource, ctx, ekey)
    if env is None:
        return not_applicable(f"No {ekey!r} tag on the compute or its workspace (parameter environment_tag)", target)
    if not is_production(env, ctx):
        return not_applicable(f"Not production ({ekey}={env})", target)
    project = _label(resource, ctx, pkey)
    if project is None:
        return not_applicable(f"No {pkey!r} tag on the compute or its workspace (parameter project_tag)", target)
    own = str(target.value).lower().rstrip("/")
    tests: dict[str, Resource | None] = {}
    for cluster in ctx.inventory.of_type(AKS):
        e, p = _label(cluster, ctx, ekey), _label(cluster, ctx, pkey)
        if cluster.key != own and p == project and e is not None and not is_production(e, ctx):
            tests[cluster.key] = cluster
    for comp in ctx.inventory.of_type(COMPUTE):
        rid = read(comp, "properties.resourceId").value
        if compute_type(comp) not in ("aks", "kubernetes") or not isinstance(rid, str) or not rid:
            continue
        e, p = _label(comp, ctx, ekey), _label(comp, ctx, pkey)
        key = rid.lower().rstrip("/")
        if key != own and p == project and e is not None and not is_production(e, ctx):
            tests.setdefault(key, ctx.inventory.get(rid))
    return _Inference(target, project, ctx.inventory.get(target.value), tests)


@check(
    id="MLW-REL-033",
    title="Production AKS inference has a non-production cluster to test on",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["DSP-05"],
    remediation="Give the project a small development or test AKS cluster (attached to its non-production "
    "workspace) and validate real-time deployments there before production.",
    references=References(docs=[DSP]),
    params=_TEST_PARAMS,
    rationale="A model that has only ever run on the production cluster meets its first real load, and its first "
    "configuration error, in production.",
    absent="Judged on AKS and Kubernetes computes of production (by the environment tag of the compute or its "
    "workspace); without environment or project tags the check is not applicable. Non-production clusters are "
    "AKS clusters of the same project (tags on the cluster or on the workspaces attaching it) and clusters that "
    "non-production computes of the project attach; only resources in the scan are seen.",
    reads=["properties.computeType", "properties.resourceId", "tags.*"],
    reads_related=_TEST_READS,
)
def aks_test_cluster(resource: Resource, ctx: CheckContext) -> Verdict:
    found = _production_inference(resource, ctx)
    if isinstance(found, Verdict):
        return found
    if found.test_clusters:
        names = ", ".join(sorted(armid_name(k) for k in found.test_clusters))
        return passed(f"Project {found.project!r} tests on non-production cluster(s) {names}", found.target)
    return fail(f"Project {found.project!r} has no non-production AKS cluster in the scan to test on", found.target)


def _sizes(cluster: Resource, ctx: CheckContext, user_only: bool) -> dict[str, str] | None:
    """VM sizes of a cluster's node pools, normalized name -> name as written (user pools only when
    asked and there are any); None when a pool's size is absent or unresolved, or (user pools asked
    for) a pool's mode is undetermined."""
    pools = cluster_pools(cluster, ctx)
    if user_only:
        users, undetermined = _user_pools(pools)
        if undetermined:
            return None
        pools = users or pools
    sizes = [value_at(p.props, "vmSize") for p in pools]
    if not sizes or not all(isinstance(s, str) and s for s in sizes):
        return None
    return {normalize_size(s): s for s in sizes}


@check(
    id="MLW-PERF-007",
    title="A non-production cluster has the production node sizes for stress tests",
    severity=Severity.LOW,
    resource_types=[COMPUTE],
    implements=["DSP-07"],
    remediation="Give the project's test cluster a node pool of each VM size the production cluster serves "
    "models on (it can scale to zero between stress tests).",
    references=References(docs=[DSP, "https://learn.microsoft.com/azure/aks/cluster-autoscaler"]),
    params=_TEST_PARAMS,
    rationale="Throughput and latency measured on other VM sizes do not predict production; stress tests need "
    "the production SKU.",
    absent="Production sizes are those of the production cluster's user node pools (all pools when it has "
    "none); a test cluster passes when its pools include every one of them. Both clusters must be in the scan; "
    "gating and tags as MLW-REL-033. A pool without mode (required by the API) makes the production sizes UNKNOWN "
    "unless it is the cluster's only pool (then the System pool).",
    defaults=_MODE_DEFAULTS,
    reads=["properties.computeType", "properties.resourceId", "tags.*"],
    reads_related=_TEST_READS,
)
def aks_test_cluster_sku(resource: Resource, ctx: CheckContext) -> Verdict:
    found = _production_inference(resource, ctx)
    if isinstance(found, Verdict):
        return found
    if found.cluster is None:
        return unknown("The production cluster is not in the scan to read its node sizes", found.target)
    prod = _sizes(found.cluster, ctx, user_only=True)
    if prod is None:
        return unknown(f"The node sizes of {found.cluster.name!r} are not all in the input", found.target)
    if not found.test_clusters:
        return fail(f"Project {found.project!r} has no non-production AKS cluster to stress test on", found.target)
    unknown_names, short = [], []
    for key, cluster in sorted(found.test_clusters.items()):
        sizes = _sizes(cluster, ctx, user_only=False) if cluster is not None else None
        if cluster is None or sizes is None:
            unknown_names.append(armid_name(key))
        elif prod.keys() <= sizes.keys():
            return passed(f"{cluster.name!r} has the production sizes {', '.join(sorted(prod.values()))}",
                          found.target)
        else:
            short.append(f"{cluster.name} lacks {', '.join(sorted(prod[k] for k in prod.keys() - sizes.keys()))}")
    if unknown_names:
        return unknown(f"Node sizes not in the scan for {', '.join(unknown_names)}", found.target)
    return fail(f"No test cluster has the production sizes: {'; '.join(short)}", found.target)
