"""Azure ML facts several checks need: compute types, the workspace a child belongs to, the hub
a project inherits from, private endpoint states. Written once here so checks stay one screen."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlwaf import armid
from mlwaf import defaults as D
from mlwaf.check import (
    DIFFERS_ATTR,
    READS_ATTR,
    CheckContext,
    Default,
    Guard,
    Seen,
    fail,
    lookup,
    not_applicable,
    passed,
    read,
    unknown,
    unresolved,
    value_at,
)
from mlwaf.model import Evidence, Resource, Unresolved, Verdict
from mlwaf.resource_types import (  # noqa: F401 - re-exported: the check pack imports them from here
    ACR_REPLICATION,
    AKS,
    AKS_POOL,
    APP_INSIGHTS,
    AUTOSCALE,
    BATCH_DEPLOYMENT,
    BATCH_ENDPOINT,
    COGNITIVE,
    COMPUTE,
    CONNECTION,
    CONTAINER_REGISTRY,
    DATASTORE,
    DIAGNOSTIC_SETTINGS,
    JOB,
    KEY_VAULT,
    NIC,
    ONLINE_DEPLOYMENT,
    ONLINE_ENDPOINT,
    PRIVATE_ENDPOINT,
    REGISTRY,
    SCHEDULE,
    STORAGE,
    VM,
    VM_EXTENSION,
    VMSS,
    WORKSPACE,
    workspace_id_of,
)

# Isolation modes of a workspace's managed network (properties.managedNetwork.isolationMode).
MANAGED_NETWORK_ON = ("allowinternetoutbound", "allowonlyapprovedoutbound")


def compute_type(resource: Resource) -> str:
    """`properties.computeType` (ComputeInstance, AmlCompute, Kubernetes, AKS, ...), lower case;
    '' when absent or unresolved."""
    value = lookup(resource.raw, "properties.computeType")
    return value.lower() if isinstance(value, str) else ""


def workspace_of(resource: Resource, ctx: CheckContext) -> Resource | None:
    """The workspace a child belongs to, even when the levels between (an endpoint between a
    deployment and its workspace) are not in the scan: read from the child's own ARM id."""
    if resource.type_key == WORKSPACE.lower():
        return resource
    found = ctx.inventory.ancestor(resource, WORKSPACE)
    if found is not None:
        return found
    return ctx.inventory.get(workspace_id_of(resource.id))


def workspace_kind(resource: Resource) -> str:
    """The workspace kind, lower case ('' when absent: a workspace is a hub or a project only when
    its kind says so)."""
    kind = resource.kind
    return kind.lower() if kind else ""


def hub_of(workspace: Resource, ctx: CheckContext) -> Resource | None:
    """The hub a project workspace belongs to (`properties.hubResourceId`), when in the scan."""
    return ctx.inventory.get(lookup(workspace.raw, "properties.hubResourceId"))


def isolation_mode(workspace: Resource) -> Seen:
    """The managed network isolation mode; absent means 'Disabled' where the API version has the
    property (2023-10-01 and later), UNKNOWN where it does not."""
    return read(
        workspace,
        D.WORKSPACE_ISOLATION_MODE,
        note="absent: the workspace has no managed virtual network (isolationMode Disabled)",
    )


def workspace_network(
    resource: Resource, ctx: CheckContext, what: str, *seen: Seen
) -> tuple[Verdict | None, Seen | None]:
    """The managed network isolation mode of the workspace a compute or deployment belongs to.

    Managed compute and managed online deployments of a workspace with a managed virtual network
    are created in that network, so several checks depend on the parent's isolation mode. When the
    workspace is not in the scan the mode cannot be known: (UNKNOWN verdict, None), never a guess.
    An unresolved mode also gives its UNKNOWN verdict."""
    workspace = workspace_of(resource, ctx)
    if workspace is None:
        return unknown(
            f"{what}; the parent workspace is not in the scan to show whether it has a managed network", *seen
        ), None
    mode = isolation_mode(workspace)
    return unresolved(mode), mode


def approved_connections(
    connections: Any, state_key: str = "privateLinkServiceConnectionState"
) -> list[dict[str, Any]] | Unresolved:
    if isinstance(connections, Unresolved):
        return connections
    out = []
    for conn in connections if isinstance(connections, list) else []:
        if not isinstance(conn, dict):
            continue
        status = lookup(conn, f"properties.{state_key}.status")
        if isinstance(status, str) and status.lower() == "approved":
            out.append(conn)
    return out


# --- the decorators before check(reads=..., differs=...) -----------------------------------
# Kept so checks written against them load unchanged; the registry reads either form into
# CheckSpec.reads and CheckSpec.differs (a check that declares both is an error).


def reads(*paths: str, related: dict[str, list[str]] | None = None) -> Any:
    """Declare the property paths a check reads: `check(reads=[...], reads_related={...})`."""

    def wrap(fn: Any) -> Any:
        declared = {"": list(paths)}
        for rtype, more in (related or {}).items():
            declared[rtype.lower()] = list(more)
        setattr(fn, READS_ATTR, declared)
        return fn

    return wrap


def differs(text: str) -> Any:
    """Where a check deliberately disagrees with another tool's rule: `check(differs=...)`."""

    def wrap(fn: Any) -> Any:
        setattr(fn, DIFFERS_ATTR, text)
        return fn

    return wrap


# The workspace property that links each dependency type.
DEPENDENCY_PROPERTY = {
    STORAGE.lower(): "storageAccount",
    KEY_VAULT.lower(): "keyVault",
    CONTAINER_REGISTRY.lower(): "containerRegistry",
    APP_INSIGHTS.lower(): "applicationInsights",
}


def is_project(workspace: Resource) -> bool:
    return workspace_kind(workspace) == "project"


def inherited_from_hub(resource: Resource) -> Verdict | None:
    """Projects inherit network and encryption settings from their hub: judged on the hub."""
    if is_project(resource):
        hub = read(resource, "properties.hubResourceId")
        return not_applicable(
            "A project inherits network and encryption settings from its hub; the hub is assessed", hub
        )
    return None


def dependents(resource: Resource, ctx: CheckContext) -> list[Resource]:
    """Workspaces in the scan whose storage/key vault/registry/App Insights property names this
    resource (matched on the normalized ARM id)."""
    prop = DEPENDENCY_PROPERTY.get(resource.type_key)
    if prop is None:
        return []
    return ctx.inventory.referrers(resource, WORKSPACE, f"properties.{prop}")


def not_a_dependency(resource: Resource, ctx: CheckContext) -> Verdict | None:
    """NOT_APPLICABLE for a storage account (key vault, ...) no workspace in the scan uses: the
    pack judges the workspace's dependencies, not every account in a subscription."""
    if dependents(resource, ctx):
        return None
    return not_applicable("Not linked from any Azure Machine Learning workspace in the scan")


# Guards of declared checks (check.value_check's `when`).
DEPENDENCY_ONLY = Guard(not_a_dependency)
JUDGED_ON_HUB = Guard(lambda resource, ctx: inherited_from_hub(resource), reads=("kind", "properties.hubResourceId"))


def not_on_projects(message: str) -> Guard:
    """NOT_APPLICABLE on a project workspace (`message` says what it takes from its hub)."""
    return Guard(
        lambda resource, ctx: not_applicable(message, read(resource, "kind")) if is_project(resource) else None,
        reads=("kind",),
    )


def workspace_names(workspaces: list[Resource]) -> str:
    return ", ".join(sorted(w.name for w in workspaces))


def tag(resource: Resource, key: str) -> str | None:
    """A tag value, key matched case-insensitively as Azure does."""
    for k, v in resource.tags.items():
        if k.lower() == key.lower():
            return str(v) if v is not None else ""
    return None


@functools.cache
def tag_key(key: str) -> Callable[[Resource], str | None]:
    """A grouping key for Inventory.grouped: the tag's value, lower case. One function object per
    tag name, so the inventory builds each index once ("the workspaces of this project")."""

    def value(resource: Resource) -> str | None:
        found = tag(resource, key)
        return found.lower() if found else None

    return value


def subscription_key(resource: Resource) -> str | None:
    """A grouping key for Inventory.grouped: the subscription id, lower case."""
    sub = armid.subscription_of(resource.id)
    return sub.lower() if sub else None


def environment(resource: Resource, ctx: CheckContext, key: str) -> tuple[str | None, Resource | None]:
    """The environment tag of a resource, else of its workspace: (value, the resource carrying it)."""
    value = tag(resource, key)
    if value is not None:
        return value.lower(), resource
    ws = workspace_of(resource, ctx)
    if ws is not None and ws is not resource:
        value = tag(ws, key)
        if value is not None:
            return value.lower(), ws
    return None, None


PRODUCTION_VALUES = ("prod", "production", "prd", "live")


def is_production(value: str | None, ctx: CheckContext) -> bool:
    values = ctx.params.get("production_values") or PRODUCTION_VALUES
    return value is not None and value.lower() in {str(v).lower() for v in values}


def str_list(value: Any) -> list[str]:
    """A config parameter given as a list or as a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)


def duration_seconds(value: Any) -> float | None:
    """ISO-8601 durations as Azure ML writes them (PT30M, PT2H, P1D, PT120S); None if not one."""
    if not isinstance(value, str):
        return None
    m = _DURATION.match(value.strip())
    if not m or not any(m.groupdict().values()):
        return None
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


# --- diagnostic settings (extension resources) ------------------------------------------------

# What diagnostic_logs() reads, for a check's @reads(related=...).
DIAGNOSTIC_READS: dict[str, list[str]] = {
    DIAGNOSTIC_SETTINGS: [
        "properties.logs[*].enabled",
        "properties.logs[*].category",
        "properties.logs[*].categoryGroup",
        "properties.workspaceId",
        "properties.storageAccountId",
        "properties.eventHubAuthorizationRuleId",
    ],
}


def diagnostic_logs(resource: Resource, ctx: CheckContext, what: str) -> Verdict:
    """Resource logs collected: an attached diagnostic setting with at least one enabled log
    category (or category group) and a destination. Diagnostic settings are extension
    resources: a REST GET or export of the resource itself never contains them, so their absence
    from an offline scan is UNKNOWN, and only a live scan (which lists them) can fail on it."""
    settings = ctx.inventory.attached(resource, DIAGNOSTIC_SETTINGS)
    if not settings:
        ev = Evidence("providers/Microsoft.Insights/diagnosticSettings", present=False)
        # Only a complete listing of this resource's settings shows there are none; a template,
        # an export or a listing call that failed does not.
        if ctx.inventory.children_listed(resource, "providers/Microsoft.Insights/diagnosticSettings"):
            return fail(f"No diagnostic setting collects the {what}'s resource logs", ev)
        return unknown(
            f"No diagnostic setting for this {what} in the input; add the diagnostic settings to the "
            "export or template (they are separate extension resources) to assess it",
            ev,
        )
    evidence: list[Seen] = []
    for s in settings:
        logs = read(s, "properties.logs", default=[])
        dest = [read(s, f"properties.{k}") for k in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId")]
        if v := unresolved(logs, *dest):
            return v
        evidence.append(logs)
        enabled = [
            entry for entry in (logs.value if isinstance(logs.value, list) else [])
            if value_at(entry, "enabled") is True
        ]
        if enabled and any(d.value for d in dest):
            names = ", ".join(str(value_at(e, "categoryGroup") or value_at(e, "category")) for e in enabled)
            return passed(f"Diagnostic setting {s.name!r} collects {names}", logs)
    return fail(f"Diagnostic settings exist for this {what} but none sends enabled logs to a destination", *evidence)


def approved_private_endpoint(
    resource: Resource,
    ctx: CheckContext,
    path: str = "properties.privateEndpointConnections",
    state_key: str = "privateLinkServiceConnectionState",
    *,
    subject: str = "it",
    missing: str = "No approved private endpoint connection",
) -> Verdict:
    """PASS when an approved private endpoint connection is embedded in the resource, or a
    private endpoint in the scan targets it; FAIL (`missing`) otherwise. Pending or rejected
    connections do not count. `subject` names the resource in the message."""
    seen = read(resource, path, default=[])
    if v := unresolved(seen):
        return v
    approved = approved_connections(seen.value, state_key)
    if isinstance(approved, list) and approved:
        return passed(f"{len(approved)} approved private endpoint connection(s)", seen)
    endpoints = ctx.inventory.attached(resource, PRIVATE_ENDPOINT)
    if endpoints:
        return passed(f"Private endpoint(s) in the scan target {subject}: {', '.join(e.name for e in endpoints)}", seen)
    return fail(missing, seen)


def _by_type(*defaults: Default) -> dict[str, Default]:
    return {t.lower(): d for d in defaults for t in d.types}


# The public network access default of each resource type, from its own spec (none is sourced
# for AI services accounts: absent there is UNKNOWN).
PUBLIC_NETWORK_ACCESS = _by_type(
    D.WORKSPACE_PUBLIC_NETWORK_ACCESS, D.ENDPOINT_PUBLIC_NETWORK_ACCESS, D.REGISTRY_PUBLIC_NETWORK_ACCESS,
    D.STORAGE_PUBLIC_NETWORK_ACCESS, D.KEY_VAULT_PUBLIC_NETWORK_ACCESS, D.ACR_PUBLIC_NETWORK_ACCESS,
)
NETWORK_DEFAULT_ACTION = _by_type(D.STORAGE_NETWORK_DEFAULT_ACTION, D.KEY_VAULT_NETWORK_DEFAULT_ACTION)


def read_default(resource: Resource, path: str, defaults: dict[str, Default]) -> Seen:
    """Read `path` with the resource type's Default from `defaults`; with none, absent is not
    given a value: `Seen.unresolved` is True and the check is UNKNOWN."""
    found = defaults.get(resource.type_key)
    seen = read(resource, found) if found is not None else read(resource, path)
    if found is None and seen.absent and not seen.unresolved:
        why = f"{path} is not in the input and has no documented default for {resource.type}"
        return Seen(None, seen.evidence, undetermined=why)
    return seen


def public_access_disabled(resource: Resource) -> tuple[Verdict | None, Seen]:
    """properties.publicNetworkAccess with the resource type's default (workspaces, online
    endpoints, registries, storage, key vaults, container registries, AI services): the PASS verdict
    when it is Disabled, UNKNOWN when unresolved or absent without a default, else None and what
    was read, for the caller to word the failure or look further (a firewall, a SKU)."""
    pna = read_default(resource, "properties.publicNetworkAccess", PUBLIC_NETWORK_ACCESS)
    if v := unresolved(pna):
        return v, pna
    if pna.lower() == "disabled":
        return passed("Public network access is disabled", pna), pna
    return None, pna


def managed_identity(resource: Resource, missing: str, default: Default | None = None) -> Verdict:
    """PASS when identity.type names a managed identity (SystemAssigned, UserAssigned or both),
    FAIL (`missing`) for None; `default` is the resource type's sourced Default for an absent
    identity, and without one absent is UNKNOWN."""
    seen = read_default(resource, "identity.type", _by_type(default) if default else {})
    if v := unresolved(seen):
        return v
    if seen.lower() in ("", "none"):
        return fail(missing, seen)
    return passed(f"Managed identity: {seen.value}", seen)


def network_restricted(resource: Resource) -> Verdict:
    """The public-network rule shared by storage, key vault and AI services: PASS when
    publicNetworkAccess is Disabled or the firewall's default action is Deny."""
    acl = read_default(resource, "properties.networkAcls.defaultAction", NETWORK_DEFAULT_ACTION)
    verdict, pna = public_access_disabled(resource)
    if verdict is not None and not pna.unresolved:
        return verdict
    if v := unresolved(pna, acl):
        return v
    if verdict is not None:
        return verdict
    if acl.lower() == "deny":
        return passed("The firewall denies public traffic by default (networkAcls.defaultAction Deny)", pna, acl)
    return fail("Reachable from any network: public network access enabled and firewall default action Allow", pna, acl)


# --- VM sizes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeFamily:
    family: str
    pattern: re.Pattern[str]
    gpu: bool
    rdma: bool
    status: str  # current | previous | retired
    retired_on: str | None
    note: str
    source: str


def _load_sizes() -> list[SizeFamily]:
    from importlib import resources as importlib_resources

    data = json.loads(importlib_resources.files("mlwaf").joinpath("data/vm_sizes.json").read_text("utf-8"))
    return [
        SizeFamily(
            family=f["family"], pattern=re.compile(f["pattern"], re.IGNORECASE), gpu=bool(f["gpu"]),
            rdma=bool(f["rdma"]), status=f["status"], retired_on=f.get("retired_on"), note=f.get("note", ""),
            source=f["source"],
        )
        for f in data["families"]
    ]


_SIZES: list[SizeFamily] | None = None


def normalize_size(size: str) -> str:
    s = size.strip().lower()
    return s[len("standard_"):] if s.startswith("standard_") else s


def size_family(size: Any) -> SizeFamily | None:
    """The family of a VM size name (`Standard_NC6s_v3`) in the shipped size table, or None."""
    global _SIZES
    if not isinstance(size, str) or not size:
        return None
    if _SIZES is None:
        _SIZES = _load_sizes()
    name = normalize_size(size)
    for fam in _SIZES:
        if fam.pattern.fullmatch(name):
            return fam
    return None


def is_gpu_size(size: Any) -> bool:
    """GPU sizes: the table's GPU families, else any N-series name (NC, ND, NV, NG...)."""
    fam = size_family(size)
    if fam is not None:
        return fam.gpu
    return isinstance(size, str) and normalize_size(size).startswith("n")


_ACR_ZONE_REGIONS: frozenset[str] | None = None


def acr_zone_redundant_region(location: str | None) -> bool:
    """True where Azure Container Registry is zone-redundant by default (a region with availability
    zones, from the table shipped in data/acr_zone_regions.json with its Microsoft source)."""
    global _ACR_ZONE_REGIONS
    if _ACR_ZONE_REGIONS is None:
        from importlib import resources as importlib_resources

        text = importlib_resources.files("mlwaf").joinpath("data/acr_zone_regions.json").read_text("utf-8")
        _ACR_ZONE_REGIONS = frozenset(json.loads(text)["regions"])
    return location is not None and bool(location) and location.lower().replace(" ", "") in _ACR_ZONE_REGIONS


# --- the VM size a resource runs on -------------------------------------------------------------

# Where each compute type's JSON names its VM size (Compute - Get: AmlComputeProperties.vmSize,
# ComputeInstanceProperties.vmSize, AKSSchemaProperties.agentVmSize,
# VirtualMachineSchemaProperties.virtualMachineSize). Other compute types (Kubernetes, Databricks,
# HDInsight, SynapseSpark, DataFactory, DataLakeAnalytics) run on no VM size of their own.
COMPUTE_SIZE_PATHS = {
    "amlcompute": "properties.properties.vmSize",
    "computeinstance": "properties.properties.vmSize",
    "aks": "properties.properties.agentVmSize",
    "virtualmachine": "properties.properties.virtualMachineSize",
}
# Attached computes: the size belongs to the attached resource (properties.resourceId), and the
# compute's own JSON names it only sometimes (the REST example of an attached AKS compute has no
# properties.properties at all); the attached cluster or VM is judged on its own resource.
ATTACHED_SIZED = ("aks", "virtualmachine")

# What vm_size() reads, for a check's @reads.
VM_SIZE_READS = (
    "properties.hardwareProfile.vmSize",
    "sku.name",
    "properties.computeType",
    *sorted(set(COMPUTE_SIZE_PATHS.values())),
    "properties.endpointComputeType",
    "properties.instanceType",
)


def vm_size(resource: Resource) -> tuple[Verdict | None, Seen]:
    """The VM size a VM, scale set, Azure ML compute or online deployment runs on, or the verdict
    when there is none to judge.

    NOT_APPLICABLE: compute types without a VM size of their own (Kubernetes, Databricks, ...),
    attached AKS/VM computes that do not report one (the attached resource carries it), and
    Kubernetes online deployments (their instanceType names a Kubernetes instance type, not a VM
    size). UNKNOWN: an unresolved expression, or a size the resource must have but the input
    lacks (a template or export that leaves it out)."""
    if resource.is_type(VM):
        size = read(resource, "properties.hardwareProfile.vmSize")
    elif resource.is_type(VMSS):
        size = read(resource, "sku.name")
    elif resource.is_type(COMPUTE):
        ctype = read(resource, "properties.computeType")
        if v := unresolved(ctype):
            return v, ctype
        if ctype.absent:
            return unknown("The compute's computeType is not in the input", ctype), ctype
        path = COMPUTE_SIZE_PATHS.get(compute_type(resource))
        if path is None:
            return not_applicable(f"A {ctype.value} compute has no VM size of its own", ctype), ctype
        size = read(resource, path)
        if size.absent and compute_type(resource) in ATTACHED_SIZED:
            return not_applicable(
                f"The attached {ctype.value} compute reports no VM size; the attached resource "
                "(properties.resourceId) is judged on its own", ctype, size), size
    elif resource.is_type(ONLINE_DEPLOYMENT):
        kind = endpoint_compute_type(resource)
        if v := unresolved(kind):
            return v, kind
        if kind.lower() != "managed":
            return not_applicable(
                f"A {kind.value} deployment's instanceType names a Kubernetes instance type, not a VM size",
                kind), kind
        size = read(resource, D.DEPLOYMENT_INSTANCE_TYPE)
    else:
        size = read(resource, "properties.instanceType")
    if v := unresolved(size):
        return v, size
    if not isinstance(size.value, str) or not size.value:
        return unknown("The VM size is not in the input", size), size
    return None, size


def endpoint_compute_type(deployment: Resource) -> Seen:
    """An online deployment's properties.endpointComputeType (Managed, Kubernetes, ...). The API
    requires it (the discriminator of OnlineDeployment), so it has no default: absent, the input
    left it out and `Seen.unresolved` is True (UNKNOWN)."""
    seen = read(deployment, "properties.endpointComputeType")
    if seen.absent and not seen.unresolved:
        return Seen(None, seen.evidence, undetermined="properties.endpointComputeType is required by the API and "
                    "not in the input")
    return seen


def scale_type(deployment: Resource) -> tuple[Seen, Seen]:
    """An online deployment's properties.scaleSettings.scaleType with the REST default applied, and
    its endpointComputeType: absent scaleSettings means TargetUtilization (minInstances and
    maxInstances 1) for a Kubernetes deployment and Default (fixed sku.capacity) for a managed one.
    Without the compute type the scale type is not defaulted (the caller answers UNKNOWN)."""
    kind = endpoint_compute_type(deployment)
    if kind.unresolved:
        return read(deployment, "properties.scaleSettings.scaleType"), kind
    found = D.DEPLOYMENT_SCALE_TYPE_KUBERNETES if kind.lower() == "kubernetes" else D.DEPLOYMENT_SCALE_TYPE_MANAGED
    scale = read(
        deployment,
        found,
        note=f"absent: {found.rules[0].value}, the REST default for a {kind.value} deployment",
    )
    return scale, kind


def attached_computes(cluster: Resource, ctx: CheckContext) -> list[Resource]:
    """Azure ML computes (AKS or Kubernetes) whose properties.resourceId is this AKS cluster."""
    return [
        c for c in ctx.inventory.referrers(cluster, COMPUTE, "properties.resourceId")
        if compute_type(c) in ("aks", "kubernetes")
    ]


@dataclass(frozen=True)
class NodePool:
    """One node pool of an AKS cluster, with where its properties are read: the cluster's
    agentPoolProfiles[i] or an agentPools child resource in the scan."""

    name: str
    props: dict[str, Any]
    resource: Resource
    prefix: str  # "properties.agentPoolProfiles[0]." or "properties." (a child resource)

    @property
    def child(self) -> bool:
        return self.resource.is_type(AKS_POOL)

    def read(self, key: str, default: Default | None = None) -> Seen:
        path = self.prefix + key
        return read(self.resource, path, default=default) if default else read(self.resource, path)


def cluster_pools(cluster: Resource, ctx: CheckContext) -> list[NodePool]:
    """Every pool of an AKS cluster: agentPoolProfiles of the cluster plus agentPools children in
    the scan (a child wins over a profile of the same name), sorted by name."""
    pools: dict[str, NodePool] = {}
    profiles = lookup(cluster.raw, "properties.agentPoolProfiles")
    for i, p in enumerate(profiles if isinstance(profiles, list) else []):
        if isinstance(p, dict):
            name = str(value_at(p, "name") or "")
            pools[name.lower()] = NodePool(name, p, cluster, f"properties.agentPoolProfiles[{i}].")
    for child in ctx.inventory.children(cluster, AKS_POOL):
        pools[child.name.lower()] = NodePool(child.name, dict(child.properties), child, "properties.")
    return [pools[k] for k in sorted(pools)]


def node_pools(cluster: Resource, ctx: CheckContext) -> list[tuple[str, dict[str, Any]]]:
    """(name, properties) of every pool of an AKS cluster (see cluster_pools)."""
    return [(pool.name.lower(), pool.props) for pool in cluster_pools(cluster, ctx)]


def pool_mode(pool: NodePool, pools: list[NodePool]) -> Seen:
    """A node pool's mode (System or User). The API requires it and gives no default, but a
    cluster needs at least one System pool, so a cluster's only pool is System; any other pool
    without a mode is undetermined (`Seen.unresolved`: UNKNOWN), never guessed to be User."""
    if len(pools) == 1:
        return pool.read("mode", D.AKS_CHILD_ONLY_POOL_MODE if pool.child else D.AKS_ONLY_POOL_MODE)
    seen = pool.read("mode")
    if seen.absent and not seen.unresolved:
        return Seen(None, seen.evidence, undetermined=f"node pool {pool.name!r} has no mode (the API requires one) "
                    "and is not the cluster's only pool")
    return seen


def not_attached(cluster: Resource, ctx: CheckContext) -> Verdict | None:
    """NOT_APPLICABLE for an AKS cluster no workspace in the scan attaches: the pack judges AI
    hosting, not every cluster."""
    if attached_computes(cluster, ctx):
        return None
    return not_applicable("No Azure ML workspace in the scan attaches this cluster")


def compute_instance_verdict(target: Seen, ctx: CheckContext, *, missing: str, why: str = "") -> Verdict:
    """FAIL when the compute `target` (an ARM id already read and resolved) is a compute instance,
    PASS on any other compute type, UNKNOWN (`missing`) when the scan does not contain it. Shared by
    the checks that keep training and inference off compute instances (a single development
    machine, no SLA); `why` is appended to the failure message."""
    compute = ctx.inventory.get(target.value)
    if compute is None:
        return unknown(missing, target)
    ctype = read(compute, "properties.computeType")
    if compute_type(compute) == "computeinstance":
        return fail(f"Runs on compute instance {compute.name!r}{why}", target, ctype)
    return passed(f"Runs on {ctype.value} {compute.name!r}", target, ctype)


def batch_compute(deployment: Resource, ctx: CheckContext) -> tuple[Verdict | None, Seen, Resource | None]:
    """The compute a batch deployment runs on (properties.compute), or the UNKNOWN verdict when the
    input does not say (the property has no REST default) or the scan does not contain it."""
    target = read(deployment, "properties.compute")
    if v := unresolved(target):
        return v, target, None
    if not target.value:
        return unknown("properties.compute is not in the input (it has no default)", target), target, None
    compute = ctx.inventory.get(target.value)
    if compute is None:
        return unknown("The batch deployment's compute is not in the scan", target), target, None
    return None, target, compute
