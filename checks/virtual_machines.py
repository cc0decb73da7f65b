"""GPU virtual machines (the IaaS guidance) and the VM sizes every compute uses. Sizes are judged
against the size table shipped with mlwaf (src/mlwaf/data/vm_sizes.json, with its sources)."""

from __future__ import annotations

from typing import Any

from mlwaf import defaults as D
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
    NIC,
    ONLINE_DEPLOYMENT,
    VM,
    VM_EXTENSION,
    VM_SIZE_READS,
    VMSS,
    is_gpu_size,
    is_production,
    node_pools,
    normalize_size,
    not_attached,
    read_default,
    size_family,
    str_list,
    tag,
    vm_size,
)
from mlwaf.resource_types import SHUTDOWN_SCHEDULE

IAAS = "https://learn.microsoft.com/azure/well-architected/ai/infrastructure"
SIZES = "https://learn.microsoft.com/azure/virtual-machines/sizes/retirement/retired-sizes-list"
# What the AKS branch reads on the cluster's agentPools children and on the computes attaching it.
_CLUSTER_READS = {AKS_POOL: ["properties.vmSize"], COMPUTE: ["properties.computeType", "properties.resourceId"]}
_WORKLOAD_PARAMS = {
    "workload_tag": Param("tag key naming the VM's AI workload (default 'workload'; values 'training' or 'inference')"),
}


def _gpu_vm(resource: Resource) -> tuple[Verdict | None, Seen]:
    verdict, size = vm_size(resource)
    if verdict is not None:
        return verdict, size
    if not is_gpu_size(size.value):
        return not_applicable(f"{size.value} is not a GPU size", size), size
    return None, size


def _pools(cluster: Resource, ctx: CheckContext) -> tuple[Verdict | None, Seen, list[tuple[str, Any]]]:
    """The node pools of an AKS cluster a workspace attaches, as (pool name, vmSize), or the verdict
    when there is nothing to judge."""
    profiles = read(cluster, "properties.agentPoolProfiles")
    if v := not_attached(cluster, ctx):
        return v, profiles, []
    if v := unresolved(profiles):
        return v, profiles, []
    pools = [(name, value_at(p, "vmSize")) for name, p in node_pools(cluster, ctx)]
    if not pools:
        return unknown("No node pool in the input", profiles), profiles, []
    return None, profiles, pools


def _unjudged(pools: list[tuple[str, Any]]) -> list[str]:
    """Pools whose size the input does not give (absent or an unresolved expression)."""
    return [n for n, size in pools if not isinstance(size, str) or not size]


def _workload(resource: Resource, ctx: CheckContext) -> str | None:
    key = str(ctx.params.get("workload_tag") or "workload")
    value = tag(resource, key)
    return value.lower() if value else None


@check(
    id="MLW-REL-020",
    title="VM size is not retired",
    severity=Severity.HIGH,
    resource_types=[VM, VMSS, COMPUTE, ONLINE_DEPLOYMENT, AKS],
    implements=["IAAS-04", "AML-REL-02"],
    remediation="Move to a current size of the same purpose (e.g. NC A100 v4 or NCads H100 v5 for NC/NCv2/NCv3; "
    "Av2 or Dsv5 for A-series); see the retirement notice named in the finding.",
    references=References(docs=[SIZES, IAAS]),
    params={"retired_sizes": Param("more size names to treat as retired (list), e.g. sizes with an announced "
            "retirement date your organisation already treats as gone", "texts")},
    rationale="Retired sizes cannot be allocated: redeploys, scale-out and restarts after deallocation fail.",
    absent="A size the table does not know is not judged retired. Computes are judged on vmSize (clusters, "
    "instances), agentVmSize (attached AKS) or virtualMachineSize (attached VMs); compute types without a VM "
    "size (Kubernetes, Databricks, ...) and attached computes that report none are not applicable. Managed online "
    "deployments are judged on instanceType (Standard_F4s_v2 when absent, the REST default), Kubernetes "
    "deployments are not applicable. AKS clusters a workspace attaches are judged on every node pool's vmSize.",
    defaults=[D.DEPLOYMENT_INSTANCE_TYPE],
    reads=[*VM_SIZE_READS, "properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].vmSize"],
    reads_related=_CLUSTER_READS,
)
def size_not_retired(resource: Resource, ctx: CheckContext) -> Verdict:
    extra = {normalize_size(s) for s in str_list(ctx.params.get("retired_sizes"))}

    def retired(size: str) -> str | None:
        if normalize_size(size) in extra:
            return f"{size} is retired (parameter retired_sizes)"
        fam = size_family(size)
        if fam is not None and fam.status == "retired":
            return f"{size} ({fam.family}) was retired on {fam.retired_on}: {fam.source}"
        return None

    if resource.is_type(AKS):
        verdict, profiles, pools = _pools(resource, ctx)
        if verdict is not None:
            return verdict
        bad = [f"pool {n}: {why}" for n, size in pools if isinstance(size, str) and (why := retired(size))]
        if bad:
            return fail("; ".join(bad), profiles)
        if missing := _unjudged(pools):
            return unknown(f"The size of node pool(s) {', '.join(missing)} is not in the input", profiles)
        return passed(f"No node pool uses a retired size ({', '.join(sorted({s for _, s in pools}))})", profiles)
    verdict, size = vm_size(resource)
    if verdict is not None:
        return verdict
    if why := retired(size.value):
        return fail(why, size)
    return passed(f"{size.value} is not a retired size", size)


@check(
    id="MLW-PERF-010",
    title="GPU VM uses a current GPU generation",
    severity=Severity.LOW,
    resource_types=[VM, VMSS, COMPUTE, AKS],
    implements=["IAAS-04", "AML-PERF-02"],
    remediation="Move to the current generation of the family (ND H100 v5 / ND MI300X v5 / NDm A100 v4 for "
    "distributed training, NC A100 v4 / NCads H100 v5 / NCasT4_v3 for single-node work and inference).",
    references=References(docs=[IAAS]),
    rationale="Older GPU generations cost more per unit of work and are the next to be retired.",
    absent="GPU sizes the table does not know are UNKNOWN; retired sizes are also reported by MLW-REL-020. "
    "Compute types without a VM size (Kubernetes, Databricks, ...) and attached computes that report none are "
    "not applicable; AKS clusters a workspace attaches are judged on their GPU node pools.",
    reads=[*(p for p in VM_SIZE_READS if p not in ("properties.endpointComputeType", "properties.instanceType")),
           "properties.agentPoolProfiles[*].name", "properties.agentPoolProfiles[*].vmSize"],
    reads_related=_CLUSTER_READS,
)
def gpu_generation(resource: Resource, ctx: CheckContext) -> Verdict:
    if resource.is_type(AKS):
        verdict, profiles, pools = _pools(resource, ctx)
        if verdict is not None:
            return verdict
        gpu = [(n, s) for n, s in pools if isinstance(s, str) and is_gpu_size(s)]
        if not gpu:
            if missing := _unjudged(pools):
                return unknown(f"The size of node pool(s) {', '.join(missing)} is not in the input", profiles)
            return not_applicable("No GPU node pool", profiles)
        families = [(n, s, size_family(s)) for n, s in gpu]
        old = [f"pool {n}: {s} ({f.family}, {f.status})" for n, s, f in families if f and f.status != "current"]
        if old:
            return fail(f"Previous GPU generation: {'; '.join(old)}", profiles)
        if unknown_sizes := [f"{n}: {s}" for n, s, f in families if f is None]:
            return unknown(f"Not in the size table: {', '.join(unknown_sizes)}", profiles)
        return passed(f"GPU pools use current generations ({', '.join(sorted({s for _, s in gpu}))})", profiles)
    verdict, size = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    fam = size_family(size.value)
    if fam is None:
        return unknown(f"{size.value} is not in the size table", size)
    if fam.status == "current":
        return passed(f"{size.value} ({fam.family}) is a current generation", size)
    return fail(f"{size.value} ({fam.family}) is a {fam.status} generation", size)


@check(
    id="MLW-PERF-011",
    title="Training GPU VMs have an InfiniBand interconnect",
    severity=Severity.MEDIUM,
    resource_types=[VM, VMSS],
    implements=["IAAS-01"],
    remediation="Use an RDMA/InfiniBand size for distributed training (ND H100 v5, ND H200 v5, ND MI300X v5, NDm "
    "A100 v4, ND A100 v4); single-node training may use NC sizes over ethernet.",
    references=References(docs=[IAAS]),
    params=_WORKLOAD_PARAMS,
    rationale="Multi-node training is bound by GPU-to-GPU bandwidth; without InfiniBand GPUs wait on the network.",
    absent="Only VMs tagged with the training workload are judged; others are not applicable.",
    reads=["properties.hardwareProfile.vmSize", "sku.name", "tags.*"],
)
def training_interconnect(resource: Resource, ctx: CheckContext) -> Verdict:
    if _workload(resource, ctx) != "training":
        return not_applicable("Not tagged as a training VM (parameter workload_tag)")
    verdict, size = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    fam = size_family(size.value)
    if fam is not None and fam.rdma:
        return passed(f"{size.value} has an InfiniBand interconnect", size)
    return fail(f"{size.value} has no InfiniBand interconnect for distributed training", size)


@check(
    id="MLW-COST-010",
    title="Inference GPU VMs do not pay for InfiniBand",
    severity=Severity.MEDIUM,
    resource_types=[VM, VMSS],
    implements=["IAAS-02"],
    remediation="Serve models from NC-family sizes (NCasT4_v3, NC A100 v4, NCads H100 v5) unless one model spans "
    "several nodes.",
    references=References(docs=[IAAS]),
    params=_WORKLOAD_PARAMS,
    rationale="ND sizes with InfiniBand cost more for an interconnect that single-node inference does not use.",
    absent="Only VMs tagged with the inference workload are judged; others are not applicable.",
    reads=["properties.hardwareProfile.vmSize", "sku.name", "tags.*"],
)
def inference_no_infiniband(resource: Resource, ctx: CheckContext) -> Verdict:
    if _workload(resource, ctx) != "inference":
        return not_applicable("Not tagged as an inference VM (parameter workload_tag)")
    verdict, size = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    fam = size_family(size.value)
    if fam is not None and fam.rdma:
        return fail(f"{size.value} ({fam.family}) pays for an InfiniBand interconnect", size)
    return passed(f"{size.value} has no InfiniBand premium", size)


@check(
    id="MLW-COST-011",
    title="Spot VMs are interruptible workloads with an eviction policy",
    severity=Severity.LOW,
    resource_types=[VM, VMSS],
    implements=["IAAS-05", "PLAT-06"],
    remediation="Keep Spot for interruptible, checkpointed training: set properties.evictionPolicy "
    "('Deallocate' or 'Delete'); run production inference on regular priority.",
    references=References(docs=["https://learn.microsoft.com/azure/virtual-machines/spot-vms"]),
    params={"environment_tag": Param("tag key holding the environment (default 'environment')"),
            "production_values": Param("tag values meaning production (default prod, production, prd, live)", "texts"),
            **_WORKLOAD_PARAMS},
    rationale="Spot capacity can be reclaimed at any moment: fine for checkpointed training, an outage for "
    "production inference.",
    absent="No primary source is cited for the priority of a VM without one, so absent priority is UNKNOWN. VMSS "
    "read properties.virtualMachineProfile.",
    reads=["properties.priority", "properties.evictionPolicy", "properties.virtualMachineProfile.priority",
           "properties.virtualMachineProfile.evictionPolicy", "tags.*"],
)
def spot_usage(resource: Resource, ctx: CheckContext) -> Verdict:
    base = "properties.virtualMachineProfile" if resource.is_type(VMSS) else "properties"
    prio = read_default(resource, f"{base}.priority", {})
    evict = read(resource, f"{base}.evictionPolicy")
    if v := unresolved(prio, evict):
        return v
    if prio.lower() != "spot":
        return not_applicable(f"Priority {prio.value}", prio)
    env = tag(resource, str(ctx.params.get("environment_tag") or "environment"))
    if _workload(resource, ctx) == "inference" and is_production(env, ctx):
        return fail("Production inference on Spot capacity", prio)
    if not evict.value:
        return fail("Spot VM without an eviction policy", prio, evict)
    return passed(f"Spot with eviction policy {evict.value}", prio, evict)


_GPU_IMAGES = ("microsoft-dsvm", "nvidia", "azurehpc", "ubuntu-hpc", "almalinux-hpc")
_DRIVER_EXTENSIONS = ("nvidiagpudriverlinux", "nvidiagpudriverwindows", "amdgpudriverwindows")


@check(
    id="MLW-OPS-020",
    title="GPU VMs get their drivers from a curated image or the driver extension",
    severity=Severity.LOW,
    resource_types=[VM],
    implements=["IAAS-06", "IAAS-08"],
    remediation="Start from a Data Science VM or HPC image (publisher microsoft-dsvm, azhpc), or add the "
    "NvidiaGpuDriverLinux / NvidiaGpuDriverWindows extension.",
    references=References(docs=["https://learn.microsoft.com/azure/virtual-machines/extensions/hpccompute-gpu-linux"]),
    rationale="Without drivers the GPU is unusable; curated images ship tested driver, CUDA and container toolkit "
    "versions.",
    absent="Extensions are child resources: only those in the scan (or in properties.resources of an "
    "expanded GET) are seen.",
    reads=["properties.hardwareProfile.vmSize", "properties.storageProfile.imageReference.publisher",
           "properties.storageProfile.imageReference.offer", "resources[*].properties.type"],
    reads_related={VM_EXTENSION: ["properties.type"]},
)
def gpu_drivers(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, size = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    publisher = read(resource, "properties.storageProfile.imageReference.publisher")
    offer = read(resource, "properties.storageProfile.imageReference.offer")
    if v := unresolved(publisher, offer):
        return v
    image = f"{publisher.value or ''}/{offer.value or ''}".lower()
    if any(k in image for k in _GPU_IMAGES):
        return passed(f"Curated GPU image {publisher.value}/{offer.value}", publisher, offer)
    extensions = list(ctx.inventory.children(resource, VM_EXTENSION))
    embedded = read(resource, "resources", default=[]).value
    kinds = [str(read(e, "properties.type").value or "").lower() for e in extensions]
    for e in embedded if isinstance(embedded, list) else []:
        if isinstance(e, dict):
            kinds.append(str(value_at(e, "properties.type") or "").lower())
    if any(k in _DRIVER_EXTENSIONS for k in kinds):
        return passed("The GPU driver extension is installed", publisher, offer)
    return fail(f"{size.value} on image {publisher.value}/{offer.value} without the GPU driver extension",
                publisher, offer)


@check(
    id="MLW-SEC-070",
    title="GPU VMs have no public IP address",
    severity=Severity.MEDIUM,
    resource_types=[VM],
    implements=["PLAT-11", "AML-SEC-08"],
    remediation="Remove the public IP from the VM's network interfaces; reach it through Azure Bastion or a "
    "private network.",
    references=References(docs=[IAAS]),
    rationale="Expensive, data-rich GPU hosts should not face the internet.",
    absent="The network interfaces must be in the scan; otherwise UNKNOWN.",
    reads=["properties.hardwareProfile.vmSize", "properties.networkProfile.networkInterfaces[*].id"],
    reads_related={NIC: ["properties.ipConfigurations[*].properties.publicIPAddress.id"]},
)
def gpu_public_ip(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, _ = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    nics = read(resource, "properties.networkProfile.networkInterfaces", default=[])
    if v := unresolved(nics):
        return v
    ids = [value_at(n, "id") for n in nics.value if isinstance(n, dict)] if isinstance(nics.value, list) else []
    found = [ctx.inventory.get(i) for i in ids]
    if not ids or any(n is None for n in found):
        return unknown("The VM's network interfaces are not in the scan", nics)
    public = []
    for nic in (n for n in found if n is not None):
        configs = read(nic, "properties.ipConfigurations", default=[]).value
        for c in configs if isinstance(configs, list) else []:
            if value_at(c, "properties.publicIPAddress"):
                public.append(f"{nic.name}/{value_at(c, 'name')}")
    if public:
        return fail(f"Public IP on {', '.join(public)}", nics)
    return passed("No public IP on its network interfaces", nics)


@check(
    id="MLW-OPS-021",
    title="GPU VMs are orchestrated, not hand-managed",
    severity=Severity.LOW,
    resource_types=[VM],
    implements=["IAAS-07"],
    remediation="Run GPU fleets through a scale set, Azure CycleCloud, Azure Batch or AKS rather than standalone "
    "VMs.",
    references=References(docs=[IAAS]),
    rationale="Orchestrators create and remove GPU VMs on demand and keep their configuration reproducible.",
    absent="A VM that belongs to a scale set (properties.virtualMachineScaleSet) counts as orchestrated.",
    reads=["properties.hardwareProfile.vmSize", "properties.virtualMachineScaleSet.id", "managedBy"],
    differs="There is no PSRule or checkov equivalent; CycleCloud and Batch nodes that are plain VMs are recognised "
    "only through managedBy.",
)
def gpu_orchestrated(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, size = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    vmss = read(resource, "properties.virtualMachineScaleSet.id")
    managed = read(resource, "managedBy")
    if v := unresolved(vmss, managed):
        return v
    if vmss.value or managed.value:
        return passed("Part of a scale set or managed by an orchestrator", vmss, managed)
    return fail(f"Standalone {size.value} VM", vmss, managed)


_POWER_PATHS = ("properties.extended.instanceView.powerState.code", "properties.instanceView.statuses[*].code")
_NOT_BILLED = ("powerstate/deallocated", "powerstate/deallocating")


def _power_state(resource: Resource) -> Seen:
    """The VM's power state: Resource Graph's `properties.extended.instanceView.powerState`, or a
    GET with `$expand=instanceView` (`properties.instanceView.statuses`)."""
    graph = read(resource, _POWER_PATHS[0])
    if not graph.absent:
        return graph
    statuses = read(resource, "properties.instanceView.statuses", default=[])
    codes = [value_at(s, "code") for s in statuses.value] if isinstance(statuses.value, list) else []
    power = next((c for c in codes if isinstance(c, str) and c.lower().startswith("powerstate/")), None)
    return graph if power is None else Seen(power, statuses.evidence)


@check(
    id="MLW-COST-030",
    title="Running GPU VMs have an auto-shutdown schedule",
    severity=Severity.MEDIUM,
    resource_types=[VM],
    implements=["PLAT-05"],
    remediation="Enable auto-shutdown on the VM (portal: Operations, Auto-shutdown; or a "
    "Microsoft.DevTestLab/schedules resource named shutdown-computevm-<vm> with taskType ComputeVmShutdownTask and "
    "status Enabled), or deallocate it when idle.",
    references=References(docs=["https://learn.microsoft.com/azure/virtual-machines/auto-shutdown-vm", IAAS]),
    rationale="A GPU VM left running overnight or over a weekend is the largest idle cost in an AI estate; a stopped "
    "but allocated VM is still billed. Auto-shutdown stops it every day at a set time.",
    absent="Needs the VM's power state (Resource Graph rows carry it; a GET with $expand=instanceView too): "
    "without it UNKNOWN. Deallocated VMs are not billed for compute (not applicable). A VM without an enabled "
    "schedule fails only where the subscription's schedules were listed (a live scan); offline UNKNOWN. A schedule "
    "without status is not known to be enabled (UNKNOWN).",
    reads=["properties.hardwareProfile.vmSize", *_POWER_PATHS],
    reads_related={SHUTDOWN_SCHEDULE.lower(): ["properties.targetResourceId", "properties.status",
                                               "properties.taskType", "properties.dailyRecurrence.time"]},
)
def gpu_auto_shutdown(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, size = _gpu_vm(resource)
    if verdict is not None:
        return verdict
    power = _power_state(resource)
    if v := unresolved(power):
        return v
    if not isinstance(power.value, str) or not power.value:
        return unknown("The VM's power state is not in the input (Resource Graph and a GET with "
                       "$expand=instanceView give it)", size, power)
    if power.value.lower() in _NOT_BILLED:
        return not_applicable(f"{power.value}: not billed for compute", power)
    schedules = [s for s in ctx.inventory.referrers(resource, SHUTDOWN_SCHEDULE, "properties.targetResourceId")
                 if str(value_at(s.raw, "properties.taskType") or "").lower() == "computevmshutdowntask"]
    states = [read(s, "properties.status") for s in schedules]
    if any(str(st.value).lower() == "enabled" for st in states):
        at = value_at(schedules[0].raw, "properties.dailyRecurrence.time")
        return passed(f"{power.value}, shut down daily by an enabled schedule (at {at})", power, *states)
    if any(st.absent for st in states):
        return unknown("An auto-shutdown schedule without status targets the VM", power, *states)
    if states:
        return fail(f"{size.value} VM {power.value} with its auto-shutdown schedule disabled", power, *states)
    if not ctx.inventory.type_listed(SHUTDOWN_SCHEDULE, resource):
        return unknown("No auto-shutdown schedule for this VM in the input (a live scan lists them; offline, include "
                       "the subscription's Microsoft.DevTestLab/schedules)", power)
    return fail(f"{size.value} VM {power.value} with no auto-shutdown schedule", power)
