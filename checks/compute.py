"""Workspace computes: compute instances and clusters (AmlCompute). REST and templates nest a
compute's own settings under `properties.properties`; checks read that shape as it is."""

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
    unresolved,
)
from mlwaf.checklib import (
    COMPUTE,
    MANAGED_NETWORK_ON,
    WORKSPACE,
    compute_type,
    isolation_mode,
    reads,
    workspace_of,
)

MANAGED_COMPUTE = ("computeinstance", "amlcompute")
WAF_AML = "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"


def _only(resource: Resource, *types: str) -> Verdict | None:
    """NOT_APPLICABLE for compute types the check is not about (an attached AKS has no SSH)."""
    ctype = compute_type(resource)
    if ctype not in types:
        seen = read(resource, "properties.computeType")
        if v := unresolved(seen):
            return v
        return not_applicable(f"Not a {' or '.join(types)} (computeType {seen.value!r})", seen)
    return None


@check(
    id="MLW-SEC-010",
    title="Compute disables local authentication",
    pillar=Pillar.SECURITY,
    severity=Severity.HIGH,
    resource_types=[COMPUTE],
    implements=["AML-SEC-06"],
    remediation="Set properties.disableLocalAuth to true on compute instances and clusters, so only "
    "Microsoft Entra ID identities can access them.",
    references=References(
        docs=[WAF_AML],
        azure_policy=["e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f"],
        psrule=["Azure.ML.DisableLocalAuth"],
    ),
    rationale="Local accounts bypass Entra ID conditional access and auditing.",
    defaults="Absent disableLocalAuth means false: local authentication is enabled (API default).",
)
@reads("properties.computeType", "properties.disableLocalAuth")
def compute_local_auth(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    seen = read(resource, "properties.disableLocalAuth", default=False)
    if v := unresolved(seen):
        return v
    if seen.value is True:
        return passed("Local authentication is disabled", seen)
    return fail("Local authentication is enabled", seen)


@check(
    id="MLW-SEC-011",
    title="Compute has no public IP address",
    pillar=Pillar.SECURITY,
    severity=Severity.HIGH,
    resource_types=[COMPUTE],
    implements=["AML-SEC-08"],
    remediation="Set properties.properties.enableNodePublicIp to false (requires a subnet or a "
    "workspace managed network).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet"],
    ),
    rationale="Nodes with public IPs are reachable from the internet and bypass egress control.",
    defaults="Absent enableNodePublicIp means true: nodes get public IPs (API default).",
)
@reads("properties.computeType", "properties.properties.enableNodePublicIp")
def compute_public_ip(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    seen = read(resource, "properties.properties.enableNodePublicIp", default=True)
    if v := unresolved(seen):
        return v
    if seen.value is False:
        return passed("Nodes have no public IP", seen)
    return fail("Nodes get public IP addresses", seen)


@check(
    id="MLW-SEC-012",
    title="Compute keeps the public SSH port closed",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-SEC-07"],
    remediation="Clusters: set properties.properties.remoteLoginPortPublicAccess to 'Disabled'. "
    "Instances: set properties.properties.sshSettings.sshPublicAccess to 'Disabled'.",
    references=References(docs=[WAF_AML]),
    rationale="An open SSH port invites brute force and bypasses Entra ID.",
    defaults="Clusters: absent remoteLoginPortPublicAccess means 'NotSpecified', which opens the port "
    "when the cluster has no subnet. Instances: absent sshPublicAccess means 'Disabled'.",
)
@reads(
    "properties.computeType",
    "properties.properties.sshSettings.sshPublicAccess",
    "properties.properties.remoteLoginPortPublicAccess",
    "properties.properties.subnet.id",
)
def compute_ssh(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    if compute_type(resource) == "computeinstance":
        seen = read(resource, "properties.properties.sshSettings.sshPublicAccess", default="Disabled")
        if v := unresolved(seen):
            return v
        if seen.lower() == "disabled":
            return passed("Public SSH access is disabled", seen)
        return fail("Public SSH access is enabled", seen)
    seen = read(resource, "properties.properties.remoteLoginPortPublicAccess", default="NotSpecified")
    if v := unresolved(seen):
        return v
    state = seen.lower()
    if state == "disabled":
        return passed("The public SSH port is disabled", seen)
    if state == "notspecified":
        subnet = read(resource, "properties.properties.subnet.id")
        if v := unresolved(subnet):
            return v
        if subnet.value:
            return passed("NotSpecified with a subnet: the public SSH port is closed", seen, subnet)
        return fail("NotSpecified without a subnet: the public SSH port is open", seen, subnet)
    return fail("The public SSH port is enabled", seen)


@check(
    id="MLW-SEC-013",
    title="Compute runs in a virtual network",
    pillar=Pillar.SECURITY,
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
    defaults="Absent subnet means none. Computes of a workspace with a managed network are in that "
    "network (the workspace must be in the scan to tell).",
)
@reads(
    "properties.computeType",
    "properties.properties.subnet.id",
    related={WORKSPACE: ["properties.managedNetwork.isolationMode"]},
)
def compute_vnet(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, *MANAGED_COMPUTE):
        return v
    subnet = read(resource, "properties.properties.subnet.id")
    if v := unresolved(subnet):
        return v
    if subnet.value:
        return passed("The compute is in a customer virtual network", subnet)
    workspace = workspace_of(resource, ctx)
    if workspace is None:
        return fail("No subnet, and the parent workspace is not in the scan to show a managed network", subnet)
    mode = isolation_mode(workspace)
    if v := unresolved(mode):
        return v
    if mode.lower() in MANAGED_NETWORK_ON:
        return passed(f"In the workspace's managed network ({mode.value})", subnet, mode)
    return fail("No subnet and no workspace managed network", subnet, mode)


@check(
    id="MLW-COST-001",
    title="Compute instance shuts down when idle or on a schedule",
    pillar=Pillar.COST_OPTIMIZATION,
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
    defaults="Absent idleTimeBeforeShutdown and schedules mean the instance runs until stopped by hand.",
)
@reads(
    "properties.computeType",
    "properties.properties.idleTimeBeforeShutdown",
    "properties.properties.schedules.computeStartStop[*].action",
    "properties.properties.schedules.computeStartStop[*].status",
)
def compute_idle_shutdown(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "computeinstance"):
        return v
    idle = read(resource, "properties.properties.idleTimeBeforeShutdown")
    schedules = read(resource, "properties.properties.schedules.computeStartStop", default=[])
    if v := unresolved(idle, schedules):
        return v
    if idle.value:
        return passed(f"Shuts down after {idle.value} idle", idle)
    stops = [
        s for s in schedules.value if isinstance(s, dict)
        and str(s.get("action", "")).lower() == "stop"
        and str(s.get("status", "Enabled")).lower() == "enabled"
    ] if isinstance(schedules.value, list) else []
    if stops:
        return passed(f"{len(stops)} enabled stop schedule(s)", schedules)
    return fail("No idle shutdown and no enabled stop schedule", idle, schedules)


@check(
    id="MLW-COST-002",
    title="Compute cluster scales to zero nodes",
    pillar=Pillar.COST_OPTIMIZATION,
    severity=Severity.MEDIUM,
    resource_types=[COMPUTE],
    implements=["AML-COST-02"],
    remediation="Set properties.properties.scaleSettings.minNodeCount to 0.",
    references=References(docs=[WAF_AML]),
    rationale="A cluster with a minimum above zero bills for idle nodes around the clock.",
    defaults="Absent minNodeCount means 0 (API default).",
)
@reads("properties.computeType", "properties.properties.scaleSettings.minNodeCount")
def cluster_min_nodes(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := _only(resource, "amlcompute"):
        return v
    seen = read(resource, "properties.properties.scaleSettings.minNodeCount", default=0)
    if v := unresolved(seen):
        return v
    try:
        count = int(seen.value)
    except (TypeError, ValueError):
        return fail(f"minNodeCount is not a number: {seen.value!r}", seen)
    if count == 0:
        return passed("Scales to zero when idle", seen)
    return fail(f"Keeps {count} node(s) running when idle", seen)
