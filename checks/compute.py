"""Workspace computes: compute instances and clusters (AmlCompute). REST and templates nest a
compute's own settings under `properties.properties`; checks read that shape as it is."""

from __future__ import annotations

from mlwaf import defaults as D
from mlwaf.check import (
    CheckContext,
    Default,
    Guard,
    Param,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    flag,
    not_applicable,
    passed,
    read,
    required,
    unknown,
    unresolved,
    value_at,
    value_check,
)
from mlwaf.checklib import (
    BATCH_DEPLOYMENT,
    COMPUTE,
    JOB,
    MANAGED_NETWORK_ON,
    WORKSPACE,
    batch_compute,
    compute_instance_verdict,
    compute_type,
    duration_seconds,
    environment,
    is_gpu_size,
    is_production,
    managed_identity,
    read_default,
    workspace_network,
)

MANAGED_COMPUTE = ("computeinstance", "amlcompute")
WAF_AML = "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"


_KIND_NAMES = {"computeinstance": "compute instances", "amlcompute": "compute clusters",
               "aks": "attached AKS inference computes"}


def _only(resource: Resource, *types: str) -> Verdict | None:
    """NOT_APPLICABLE for compute types the check is not about (an attached AKS has no SSH);
    UNKNOWN when the input does not say which type the compute is (computeType is required)."""
    ctype = compute_type(resource)
    if ctype not in types:
        seen, v = required(resource, "properties.computeType", "The compute's computeType")
        if v:
            return v
        wanted = " or ".join(_KIND_NAMES.get(t) or t for t in types)
        return not_applicable(f"Applies to {wanted}; this compute's computeType is {seen.value!r}", seen)
    return None


def only(*types: str) -> Guard:
    """A declared check's guard: the compute types it is about (see _only)."""
    return Guard(lambda resource, ctx: _only(resource, *types), reads=("properties.computeType",))


compute_local_auth = value_check(
    id="MLW-SEC-010",
    title="Compute disables local authentication",
    severity=Severity.HIGH,
    resource_types=[COMPUTE],
    implements=["AML-SEC-06"],
    remediation="Set properties.disableLocalAuth to true on compute instances and clusters, so only "
    "Microsoft Entra ID identities can access them.",
    references=References(
        docs=[WAF_AML],
        azure_policy=["e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f"],
        psrule=["Azure.ML.DisableLocalAuth"],
        checkov=["CKV_AZURE_142"],
    ),
    rationale="Local accounts bypass Entra ID conditional access and auditing.",
    absent="Absent disableLocalAuth means false: local authentication is enabled (an opt-out the API gives no "
    "default, so not opted out).",
    differs="PSRule Azure.ML.DisableLocalAuth applies to every compute type; local authentication only exists on "
    "compute instances and clusters, so attached AKS, Kubernetes and other computes are not applicable here.",
    read=D.COMPUTE_DISABLE_LOCAL_AUTH, want=True, when=only(*MANAGED_COMPUTE),
    ok="Local authentication is disabled",
    bad="Local authentication is enabled",
)


@check(
    id="MLW-SEC-011",
    title="Compute has no public IP address",
    severity=Severity.HIGH,
    resource_types=[COMPUTE],
    implements=["AML-SEC-08"],
    remediation="Set properties.properties.enableNodePublicIp to false (requires a subnet or a "
    "workspace managed network).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet"],
    ),
    rationale="Nodes with public IPs are reachable from the internet and bypass egress control.",
    absent="Clusters: absent enableNodePublicIp means true, nodes get public IPs (REST default). Instances: the "
    "REST specification gives no default, so absent is UNKNOWN.",
    defaults=[D.CLUSTER_NODE_PUBLIC_IP],
    reads=["properties.computeType", "properties.properties.enableNodePublicIp"],
)
def compute_public_ip(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    path: str | Default = D.CLUSTER_NODE_PUBLIC_IP
    if compute_type(resource) == "computeinstance":
        seen = read(resource, "properties.properties.enableNodePublicIp")
        if seen.absent and not seen.unresolved:
            return unknown("enableNodePublicIp is not in the input, and the REST specification gives compute "
                           "instances no default", seen)
        path = "properties.properties.enableNodePublicIp"
    return flag(
        resource, path, want=False,
        ok="Nodes have no public IP",
        bad="Nodes get public IP addresses",
    )


@check(
    id="MLW-SEC-012",
    title="Compute keeps the public SSH port closed",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-SEC-07"],
    remediation="Clusters: set properties.properties.remoteLoginPortPublicAccess to 'Disabled'. "
    "Instances: set properties.properties.sshSettings.sshPublicAccess to 'Disabled'.",
    references=References(docs=[
        WAF_AML,
        "https://learn.microsoft.com/rest/api/azureml/compute/create-or-update",
        "https://learn.microsoft.com/azure/machine-learning/how-to-managed-network-compute",
    ]),
    rationale="An open SSH port invites brute force and bypasses Entra ID.",
    absent="Clusters: absent remoteLoginPortPublicAccess means 'NotSpecified' (API default), which the REST "
    "reference defines as closed when the cluster is in a virtual network and open otherwise (a GET after creation "
    "reports Enabled or Disabled instead). A cluster is in a virtual network when it has a subnet or its workspace "
    "has a managed network (managed compute is created in it); a cluster with enableNodePublicIp false has no public "
    "address for the port. NotSpecified with a public IP whose workspace is not in the scan is UNKNOWN. "
    "NotSpecified is a creation default only: a GET, export or Resource Graph row without the property is UNKNOWN. "
    "Instances: absent sshPublicAccess means 'Disabled' (API default).",
    defaults=[D.INSTANCE_SSH_PUBLIC_ACCESS, D.CLUSTER_REMOTE_LOGIN_PORT, D.CLUSTER_NODE_PUBLIC_IP,
              D.WORKSPACE_ISOLATION_MODE],
    reads=["properties.computeType", "properties.properties.sshSettings.sshPublicAccess",
           "properties.properties.remoteLoginPortPublicAccess", "properties.properties.subnet.id",
           "properties.properties.enableNodePublicIp"],
    reads_related={WORKSPACE: ["properties.managedNetwork.isolationMode"]},
)
def compute_ssh(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    if compute_type(resource) == "computeinstance":
        seen = read(resource, D.INSTANCE_SSH_PUBLIC_ACCESS)
        if v := unresolved(seen):
            return v
        if seen.lower() == "disabled":
            return passed("Public SSH access is disabled", seen)
        return fail("Public SSH access is enabled", seen)
    seen = read(resource, D.CLUSTER_REMOTE_LOGIN_PORT)
    if v := unresolved(seen):
        return v
    state = seen.lower()
    if state == "disabled":
        return passed("The public SSH port is disabled", seen)
    if state != "notspecified":
        return fail("The public SSH port is enabled", seen)
    subnet = read(resource, "properties.properties.subnet.id")
    public_ip = read(resource, D.CLUSTER_NODE_PUBLIC_IP)
    if v := unresolved(subnet, public_ip):
        return v
    if subnet.value:
        return passed("NotSpecified with a subnet: the public SSH port is closed", seen, subnet)
    if public_ip.value is False:
        return passed("NotSpecified without a public IP (enableNodePublicIp false): no public SSH port", seen,
                      public_ip)
    verdict, mode = workspace_network(
        resource, ctx, "NotSpecified with a public IP and no subnet", seen, subnet, public_ip
    )
    if verdict is not None or mode is None:
        return verdict or unknown("The workspace's managed network is not known", seen)
    if mode.lower() in MANAGED_NETWORK_ON:
        return passed(f"NotSpecified in the workspace's managed virtual network ({mode.value}): the public SSH port "
                      "is closed", seen, mode)
    return fail("NotSpecified with a public IP, no subnet and no managed network: the public SSH port is open",
                seen, subnet, public_ip, mode)


@check(
    id="MLW-SEC-013",
    title="Compute runs in a virtual network",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-SEC-08"],
    remediation="Create the compute in a subnet (properties.properties.subnet.id) or enable the "
    "workspace's managed network (properties.managedNetwork.isolationMode).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet"],
        azure_policy=["7804b5c7-01dc-4723-969b-ae300cc07ff1"],
        psrule=["Azure.ML.ComputeVnet"],
    ),
    rationale="Compute outside a virtual network cannot reach private dependencies and cannot be "
    "isolated.",
    absent="Absent subnet means none. Computes of a workspace with a managed network are in that "
    "network; without a subnet and with the workspace not in the scan the verdict is UNKNOWN.",
    defaults=[D.WORKSPACE_ISOLATION_MODE],
    reads=["properties.computeType", "properties.properties.subnet.id"],
    reads_related={WORKSPACE: ["properties.managedNetwork.isolationMode"]},
    differs="PSRule Azure.ML.ComputeVnet (and Azure Policy 7804b5c7) require properties.properties.subnet.id; a "
    "compute of a workspace with a managed virtual network has no subnet but is in that network, so this check passes "
    "it.",
)
def compute_vnet(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    subnet = read(resource, "properties.properties.subnet.id")
    if v := unresolved(subnet):
        return v
    if subnet.value:
        return passed("The compute is in a customer virtual network", subnet)
    verdict, mode = workspace_network(resource, ctx, "No subnet", subnet)
    if verdict is not None or mode is None:
        return verdict or unknown("The workspace's managed network is not known", subnet)
    if mode.lower() in MANAGED_NETWORK_ON:
        return passed(f"In the workspace's managed network ({mode.value})", subnet, mode)
    return fail("No subnet and no workspace managed network", subnet, mode)


@check(
    id="MLW-COST-001",
    title="Compute instance shuts down when idle or on a schedule",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-COST-05", "PLAT-05"],
    remediation="Set properties.properties.idleTimeBeforeShutdown (e.g. 'PT60M') or add an enabled "
    "stop schedule under properties.properties.schedules.computeStartStop.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-create-compute-instance#configure-idle-shutdown"],
        azure_policy=["679ddf89-ab8f-48a5-9029-e76054077449"],
        psrule=["Azure.ML.ComputeIdleShutdown"],
    ),
    rationale="Idle compute instances bill by the hour whether or not anyone uses them.",
    absent="idleTimeBeforeShutdown is in the compute-instance schema of preview API versions only (stable "
    "versions set idle shutdown with a separate action), so only a template (which then creates an instance without "
    "idle shutdown) or a resource read at a preview version shows its absence; elsewhere no idle shutdown and no "
    "enabled stop schedule is UNKNOWN. A stop schedule without a status is not counted as enabled (no default).",
    defaults=[D.INSTANCE_IDLE_SHUTDOWN],
    reads=["properties.computeType", "properties.properties.idleTimeBeforeShutdown",
           "properties.properties.schedules.computeStartStop[*].action",
           "properties.properties.schedules.computeStartStop[*].status"],
    differs="PSRule Azure.ML.ComputeIdleShutdown and Azure Policy 679ddf89 require idleTimeBeforeShutdown; the "
    "Well-Architected guidance accepts a start/stop schedule instead, so an enabled stop schedule passes here.",
)
def compute_idle_shutdown(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "computeinstance"):
        return v
    idle = read(resource, D.INSTANCE_IDLE_SHUTDOWN)
    schedules = read(resource, "properties.properties.schedules.computeStartStop", default=[])
    if idle.evidence.expression is not None and (v := unresolved(idle)):
        return v
    if v := unresolved(schedules):
        return v
    if idle.value:
        return passed(f"Shuts down after {idle.value} idle", idle)
    stops = [s for s in schedules.value if isinstance(s, dict) and str(value_at(s, "action") or "").lower() == "stop"] \
        if isinstance(schedules.value, list) else []
    enabled = [s for s in stops if str(value_at(s, "status") or "").lower() == "enabled"]
    if enabled:
        return passed(f"{len(enabled)} enabled stop schedule(s)", schedules)
    if idle.unresolved:
        return unknown(f"No enabled stop schedule, and idle shutdown cannot be seen: {idle.undetermined}", idle,
                       schedules)
    if any(not value_at(s, "status") for s in stops):
        return unknown("A stop schedule has no status (the API gives it no default), and no idle shutdown", idle,
                       schedules)
    return fail("No idle shutdown and no enabled stop schedule", idle, schedules)


@check(
    id="MLW-COST-002",
    title="Compute cluster scales to zero nodes",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-COST-02"],
    remediation="Set properties.properties.scaleSettings.minNodeCount to 0.",
    references=References(docs=[WAF_AML], checkov=["CKV_AZURE_150"]),
    rationale="A cluster with a minimum above zero bills for idle nodes around the clock.",
    absent="Absent minNodeCount means 0 (API default).",
    defaults=[D.CLUSTER_MIN_NODES],
    reads=["properties.computeType", "properties.properties.scaleSettings.minNodeCount"],
)
def cluster_min_nodes(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "amlcompute"):
        return v
    seen = read(resource, D.CLUSTER_MIN_NODES)
    if v := unresolved(seen):
        return v
    try:
        count = int(seen.value)
    except (TypeError, ValueError):
        return fail(f"minNodeCount is not a number: {seen.value!r}", seen)
    if count == 0:
        return passed("Scales to zero when idle", seen)
    return fail(f"Keeps {count} node(s) running when idle", seen)


compute_latest_image = value_check(
    id="MLW-SEC-017",
    title="Compute instance runs the latest OS image",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-SEC-09"],
    remediation="Recreate the compute instance (compute instances are not patched in place) to get the latest "
    "image; automate it with a scheduled re-creation.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/concept-vulnerability-management"],
        azure_policy=["f110a506-2dcb-422e-bcea-d533fc8c35e2"],
    ),
    rationale="Compute instances keep the OS image they were created with; an old image misses security fixes.",
    absent="osImageMetadata is reported by the service on a GET of a running instance; templates and exports "
    "without it give UNKNOWN.",
    read="properties.properties.osImageMetadata.isLatestOsImageVersion", want=True, when=only("computeinstance"),
    missing="The input does not report osImageMetadata (only a GET of the instance does)",
    ok="Runs the latest OS image",
    bad="Runs an outdated OS image: recreate the instance",
)


@check(
    id="MLW-SEC-018",
    title="Compute has a managed identity",
    severity=Severity.LOW,
    resource_types=[COMPUTE],
    implements=["AML-SEC-05"],
    remediation="Set identity.type to 'SystemAssigned' or 'UserAssigned' on clusters and instances, and grant it "
    "data access instead of using stored credentials in jobs.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication"]),
    rationale="Jobs reach data and registries with the compute's managed identity rather than with secrets.",
    absent="Absent identity means none (type None): the identity is optional.",
    defaults=[D.COMPUTE_IDENTITY],
    reads=["properties.computeType", "identity.type"],
)
def compute_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    return managed_identity(resource, "The compute has no managed identity", D.COMPUTE_IDENTITY)


aks_compute_tls = value_check(
    id="MLW-SEC-019",
    title="Attached AKS inference compute uses TLS",
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-SEC-13", "PLAT-16"],
    remediation="Set properties.properties.sslConfiguration.status to 'Enabled' (with a certificate) or 'Auto' "
    "on the attached AKS compute.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service"]),
    rationale="Scoring requests to an AKS compute without TLS travel in clear text.",
    absent="The REST specification sets no default for sslConfiguration: absent means TLS is not switched on "
    "('Disabled').",
    read=D.AKS_COMPUTE_SSL_STATUS, want=("Enabled", "Auto"), when=only("aks"),
    ok="TLS is {value}",
    bad="Scoring traffic is not encrypted (sslConfiguration Disabled)",
)


@check(
    id="MLW-COST-003",
    title="Compute cluster releases idle nodes quickly",
    severity=Severity.LOW,
    resource_types=[COMPUTE],
    implements=["AML-COST-02"],
    remediation="Set properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown to at most the configured "
    "limit (default PT30M).",
    references=References(docs=[WAF_AML, "https://learn.microsoft.com/azure/machine-learning/reference-yaml-compute-aml"]),
    params={"max_idle_before_scale_down": Param("longest acceptable idle time before a node is released, ISO-8601 "
            "(default PT30M)", parse=duration_seconds, expects="an ISO-8601 duration, e.g. PT30M")},
    rationale="Nodes bill for as long as they wait for more work; a long scale-down delay keeps them running.",
    absent="The REST specification sets no default for nodeIdleTimeBeforeScaleDown (120 seconds is what the az "
    "ml CLI sends, not an API default), so absent is UNKNOWN.",
    reads=["properties.computeType", "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown"],
)
def cluster_scale_down_delay(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "amlcompute"):
        return v
    limit_text = str(ctx.params.get("max_idle_before_scale_down") or "PT30M")
    limit = duration_seconds(limit_text)
    if limit is None:
        return unknown(f"max_idle_before_scale_down {limit_text!r} is not an ISO-8601 duration")
    seen = read_default(resource, "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", {})
    if v := unresolved(seen):
        return v
    value = duration_seconds(seen.value)
    if value is None:
        return fail(f"nodeIdleTimeBeforeScaleDown {seen.value!r} is not an ISO-8601 duration", seen)
    if value <= limit:
        return passed(f"Idle nodes are released after {seen.value} (limit {limit_text})", seen)
    return fail(f"Idle nodes wait {seen.value} before release (limit {limit_text})", seen)


@check(
    id="MLW-COST-004",
    title="Compute instance uses a CPU size",
    severity=Severity.LOW,
    resource_types=[COMPUTE],
    implements=["AML-COST-01", "AML-PERF-02"],
    remediation="Develop on a CPU compute instance and run GPU work as jobs on an autoscaling GPU cluster; keep "
    "a GPU instance only when interactive GPU work needs it (then suppress this finding with the reason).",
    references=References(docs=[WAF_AML]),
    rationale="A GPU compute instance is the most expensive idle resource in a workspace: it bills per hour "
    "whether or not its GPU is busy.",
    absent="The REST specification neither requires vmSize for compute instances nor gives it a default, so "
    "absent is UNKNOWN. GPU sizes are the N-series (size table shipped with mlwaf).",
    reads=["properties.computeType", "properties.properties.vmSize"],
)
def instance_cpu_size(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "computeinstance"):
        return v
    size = read_default(resource, "properties.properties.vmSize", {})
    if v := unresolved(size):
        return v
    if is_gpu_size(size.value):
        return fail(f"GPU compute instance ({size.value}) for development work", size)
    return passed(f"CPU size {size.value}", size)


@check(
    id="MLW-COST-005",
    title="Non-production compute clusters use low-priority VMs",
    severity=Severity.LOW,
    resource_types=[COMPUTE],
    implements=["AML-COST-04", "PLAT-06"],
    remediation="Set properties.properties.vmPriority to 'LowPriority' on clusters of development and test "
    "workspaces (jobs must tolerate preemption: checkpoint them).",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-use-low-priority-batch"]),
    params={
        "environment_tag": Param("tag key holding the environment (default 'environment'), read on the cluster, else "
        "its workspace"),
        "production_values": Param("tag values meaning production (default prod, production, prd, live)", "texts"),
    },
    rationale="Low-priority capacity costs a fraction of dedicated VMs and suits interruptible experimentation.",
    absent="Absent vmPriority means 'Dedicated' (low priority is the setting to switch on). Without an "
    "environment tag the check is not applicable.",
    defaults=[D.CLUSTER_VM_PRIORITY],
    reads=["properties.computeType", "properties.properties.vmPriority", "tags.*"],
    reads_related={WORKSPACE: ["tags.*"]},
)
def nonprod_low_priority(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "amlcompute"):
        return v
    key = str(ctx.params.get("environment_tag") or "environment")
    env, holder = environment(resource, ctx, key)
    if env is None:
        return not_applicable(f"No {key!r} tag on the cluster or its workspace (parameter environment_tag)")
    if is_production(env, ctx):
        return not_applicable(f"Production ({key}={env} on {holder.name if holder else '?'}): dedicated VMs fit")
    seen = read(resource, D.CLUSTER_VM_PRIORITY)
    if v := unresolved(seen):
        return v
    if seen.lower() == "lowpriority":
        return passed(f"Low-priority VMs for {key}={env}", seen)
    return fail(f"Dedicated VMs for a {key}={env} cluster", seen)


@check(
    id="MLW-PERF-001",
    title="Compute cluster can scale out",
    severity=Severity.LOW,
    resource_types=[COMPUTE],
    implements=["AML-REL-02", "AML-PERF-01"],
    remediation="Set properties.properties.scaleSettings.maxNodeCount to at least 2 and above minNodeCount.",
    references=References(docs=[WAF_AML]),
    rationale="A cluster whose maximum equals its minimum (or is one node) serialises jobs instead of scaling "
    "out under load.",
    absent="maxNodeCount is required by the API; absent is UNKNOWN. Absent minNodeCount means 0.",
    defaults=[D.CLUSTER_MIN_NODES],
    reads=["properties.computeType", "properties.properties.scaleSettings.maxNodeCount",
           "properties.properties.scaleSettings.minNodeCount"],
)
def cluster_scale_out(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "amlcompute"):
        return v
    top = read(resource, "properties.properties.scaleSettings.maxNodeCount")
    low = read(resource, D.CLUSTER_MIN_NODES)
    if v := unresolved(top, low):
        return v
    if top.absent:
        return unknown("maxNodeCount is not in the input", top)
    try:
        hi, lo = int(top.value), int(low.value)
    except (TypeError, ValueError):
        return fail(f"Node counts are not numbers: max {top.value!r}, min {low.value!r}", top, low)
    if hi >= 2 and hi > lo:
        return passed(f"Scales from {lo} to {hi} nodes", top, low)
    return fail(f"Cannot scale out: min {lo}, max {hi}", top, low)


@check(
    id="MLW-PERF-002",
    title="Training jobs run on clusters, not compute instances",
    severity=Severity.LOW,
    resource_types=[JOB],
    implements=["AML-PERF-01"],
    remediation="Submit training jobs to an AmlCompute cluster or serverless compute (properties.computeId).",
    references=References(docs=[WAF_AML]),
    rationale="Clusters autoscale and run jobs in parallel; a compute instance is one machine shared with "
    "interactive work.",
    absent="Command, sweep and AutoML jobs without computeId run on serverless compute, which passes. A pipeline "
    "job without computeId runs its steps on the compute each step or its default_compute setting names, which "
    "mlwaf does not resolve: UNKNOWN.",
    reads=["properties.computeId", "properties.jobType"],
    reads_related={COMPUTE: ["properties.computeType"]},
)
def job_on_cluster(resource: Resource, ctx: CheckContext) -> Verdict:
    target = read(resource, "properties.computeId")
    kind = read(resource, "properties.jobType")
    if v := unresolved(target, kind):
        return v
    if not target.value:
        if kind.lower() == "pipeline":
            return unknown("A pipeline job without computeId: its steps run on the compute each step or the pipeline's "
                           "default_compute names", target, kind)
        return passed("Runs on serverless compute", target)
    return compute_instance_verdict(target, ctx, missing="The job's compute is not in the scan")


@check(
    id="MLW-REL-004",
    title="Batch inference clusters use dedicated VMs",
    severity=Severity.MEDIUM,
    resource_types=[BATCH_DEPLOYMENT],
    implements=["AML-REL-08"],
    remediation="Point the batch deployment (properties.compute) at a cluster with vmPriority 'Dedicated'.",
    references=References(docs=[WAF_AML]),
    rationale="Low-priority nodes are preempted and can stall batch scoring that a business process waits for.",
    absent="Absent vmPriority on the cluster means 'Dedicated' (low priority is the setting to switch on).",
    defaults=[D.CLUSTER_VM_PRIORITY],
    reads=["properties.compute"],
    reads_related={COMPUTE: ["properties.computeType", "properties.properties.vmPriority"]},
)
def batch_dedicated(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, target, compute = batch_compute(resource, ctx)
    if compute is None:
        return verdict or unknown("The batch deployment's compute is not in the scan", target)
    if compute_type(compute) != "amlcompute":
        return not_applicable(f"Runs on {compute_type(compute) or 'an unknown compute type'}, not a cluster", target)
    prio = read(compute, D.CLUSTER_VM_PRIORITY)
    if v := unresolved(prio):
        return v
    if prio.lower() == "dedicated":
        return passed(f"Cluster {compute.name!r} uses dedicated VMs", target, prio)
    return fail(f"Cluster {compute.name!r} uses {prio.value} VMs, which can be preempted", target, prio)


@check(
    id="MLW-PERF-006",
    title="Batch deployments score on compute clusters",
    severity=Severity.MEDIUM,
    resource_types=[BATCH_DEPLOYMENT],
    implements=["DSP-08"],
    remediation="Point properties.compute at an Azure ML compute cluster (AmlCompute) that scales out to "
    "resources.instanceCount nodes; orchestrate the batch runs from a pipeline or Data Factory.",
    references=References(docs=[
        "https://learn.microsoft.com/azure/machine-learning/concept-endpoints-batch",
        "https://learn.microsoft.com/azure/cloud-adoption-framework/ai/",
    ]),
    rationale="Batch scoring splits the input into mini-batches across the nodes of a cluster; a compute "
    "instance or another single target cannot scale out, so large scoring runs take longer and block other work.",
    absent="properties.compute has no REST default: absent or unresolved is UNKNOWN, as is a compute the scan "
    "does not contain. Whether runs are orchestrated (pipelines, Data Factory) is not in the resources.",
    reads=["properties.compute"],
    reads_related={COMPUTE: ["properties.computeType"]},
)
def batch_on_cluster(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, target, compute = batch_compute(resource, ctx)
    if compute is None:
        return verdict or unknown("The batch deployment's compute is not in the scan", target)
    ctype = read(compute, "properties.computeType")
    if v := unresolved(ctype):
        return v
    if ctype.absent:
        return unknown(f"The computeType of {compute.name!r} is not in the input", target, ctype)
    if compute_type(compute) == "amlcompute":
        return passed(f"Scores on compute cluster {compute.name!r}", target, ctype)
    return fail(f"Scores on {ctype.value} {compute.name!r}, not on a compute cluster that scales out", target, ctype)


@check(
    id="MLW-COST-008",
    title="Hyperparameter sweeps stop poor trials early",
    severity=Severity.LOW,
    resource_types=[JOB],
    implements=["AML-COST-03"],
    remediation="Give the sweep job an early termination policy (properties.earlyTermination: Bandit, "
    "MedianStopping or TruncationSelection) so trials that cannot beat the best ones stop.",
    references=References(docs=[
        "https://learn.microsoft.com/azure/machine-learning/how-to-tune-hyperparameters#early-termination",
    ]),
    rationale="Without early termination every trial of a sweep runs its full budget on the cluster, including "
    "the ones already far behind.",
    absent="Only sweep jobs (jobType Sweep) in the scan are judged; an absent earlyTermination means none. "
    "Other job types are not applicable.",
    reads=["properties.jobType", "properties.earlyTermination.policyType"],
)
def sweep_early_termination(resource: Resource, ctx: CheckContext) -> Verdict:
    kind = read(resource, "properties.jobType")
    if v := unresolved(kind):
        return v
    if kind.lower() != "sweep":
        return not_applicable(f"Not a sweep job (jobType {kind.value!r})", kind)
    policy = read(resource, "properties.earlyTermination.policyType")
    if v := unresolved(policy):
        return v
    if policy.value:
        return passed(f"Early termination policy {policy.value}", policy)
    return fail("The sweep runs every trial to the end: no early termination policy", policy)
