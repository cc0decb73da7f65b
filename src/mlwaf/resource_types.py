"""Azure resource types and how they relate: the one place the rest of mlwaf learns them from.

Type names (as ARM spells them) for checks, checklib, the defaults, the inventory and the live
collector; the properties through which a workspace depends on other resources; the extension
resources that attach to a resource; and a workspace's members, which the per-workspace scores
and the HTML report's workspace view both use (they disagreed before: see `workspace_members`).

A leaf: the inventory reads the types from here, so what `workspace_members` asks of an inventory
is the protocol `Relations` (mlwaf.inventory.Inventory is one), not an import of the inventory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mlwaf import armid

if TYPE_CHECKING:
    from mlwaf.model import Resource

WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
ONLINE_ENDPOINT = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
ONLINE_DEPLOYMENT = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
BATCH_ENDPOINT = "Microsoft.MachineLearningServices/workspaces/batchEndpoints"
BATCH_DEPLOYMENT = "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments"
REGISTRY = "Microsoft.MachineLearningServices/registries"
CONNECTION = "Microsoft.MachineLearningServices/workspaces/connections"
DATASTORE = "Microsoft.MachineLearningServices/workspaces/datastores"
SCHEDULE = "Microsoft.MachineLearningServices/workspaces/schedules"
JOB = "Microsoft.MachineLearningServices/workspaces/jobs"
OUTBOUND_RULE = "Microsoft.MachineLearningServices/workspaces/outboundRules"
STORAGE = "Microsoft.Storage/storageAccounts"
KEY_VAULT = "Microsoft.KeyVault/vaults"
CONTAINER_REGISTRY = "Microsoft.ContainerRegistry/registries"
ACR_REPLICATION = "Microsoft.ContainerRegistry/registries/replications"
APP_INSIGHTS = "Microsoft.Insights/components"
COGNITIVE = "Microsoft.CognitiveServices/accounts"
VM = "Microsoft.Compute/virtualMachines"
VMSS = "Microsoft.Compute/virtualMachineScaleSets"
VM_EXTENSION = "Microsoft.Compute/virtualMachines/extensions"
NIC = "Microsoft.Network/networkInterfaces"
AKS = "Microsoft.ContainerService/managedClusters"
AKS_POOL = "Microsoft.ContainerService/managedClusters/agentPools"
DIAGNOSTIC_SETTINGS = "Microsoft.Insights/diagnosticSettings"
AUTOSCALE = "Microsoft.Insights/autoscalesettings"
PRIVATE_ENDPOINT = "Microsoft.Network/privateEndpoints"
ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
DEPLOYMENT = "Microsoft.Resources/deployments"
# A virtual machine's auto-shutdown schedule (targetResourceId: the VM).
SHUTDOWN_SCHEDULE = "Microsoft.DevTestLab/schedules"
# What Azure reports about capacity (mlwaf.sources.azure_facts gives them ids; mlwaf.capacity reads them).
RESOURCE_SKUS = "Microsoft.Compute/skus"
COMPUTE_USAGES = "Microsoft.Compute/locations/usages"
ML_USAGES = "Microsoft.MachineLearningServices/locations/usages"

# Properties of a workspace (or of a resource below it) that hold the id of a resource it needs,
# and what that resource is to it. A project's hub is one: a project inherits the hub's network
# isolation and encryption (checks judge those on the hub), and uses the hub's storage account,
# key vault, container registry and Application Insights.
DEPENDENCIES: Mapping[str, str] = {
    "properties.storageAccount": "storage account",
    "properties.keyVault": "key vault",
    "properties.containerRegistry": "container registry",
    "properties.applicationInsights": "Application Insights",
    "properties.encryption.keyVaultProperties.keyVaultArmId": "customer-managed key vault",
    "properties.hubResourceId": "hub workspace",
    "properties.resourceId": "attached compute target",  # the AKS cluster, VM, Synapse pool or HDInsight
}
# Extension resources that attach to a resource (Inventory.attached says how each targets it).
ATTACHED: Mapping[str, str] = {
    PRIVATE_ENDPOINT: "private endpoint",
    DIAGNOSTIC_SETTINGS: "diagnostic setting",
    AUTOSCALE: "autoscale setting",
    ROLE_ASSIGNMENT: "role assignment",
}

_WORKSPACE_PREFIX = re.compile(r"^(.*?/providers/microsoft\.machinelearningservices/workspaces/[^/]+)(?:/|$)", re.I)


def workspace_id_of(resource_id: str) -> str | None:
    """The id of the workspace a resource's id lies under (itself for a workspace), from the id
    alone: the levels between (an endpoint between a deployment and its workspace) need not be
    in the scan."""
    m = _WORKSPACE_PREFIX.match(resource_id)
    return m.group(1) if m else None


class Relations(Protocol):
    """The questions a workspace's members are found with, as mlwaf.inventory.Inventory answers
    them."""

    def __iter__(self) -> Iterator[Resource]: ...
    def get(self, resource_id: Any, within: str | None = None) -> Resource | None: ...
    def of_type(self, *types: str) -> list[Resource]: ...
    def linked(self, resource: Resource, path: str) -> Resource | None: ...
    def attached(self, resource: Resource, extension_type: str) -> list[Resource]: ...


@dataclass(frozen=True, slots=True)
class Member:
    """A resource in a workspace's scope and what it is there: `workspace`, `child` (below the
    workspace's id), `dependency: <what>` or `attached: <what>`."""

    role: str
    resource: Resource

    @property
    def rank(self) -> int:
        return 0 if self.role == "workspace" else 1 if self.role == "child" else 2 if self.role[0] == "d" else 3


def below_workspaces(inventory: Relations) -> dict[str, list[Resource]]:
    """Workspace uid -> the other resources whose id lies under it (of the workspace's own
    deployment first): one pass for every workspace of a scan."""
    out: dict[str, list[Resource]] = {}
    for r in inventory:
        wid = workspace_id_of(r.key)
        if wid is None:
            continue
        ws = inventory.get(wid, r.deployment)
        if ws is not None and ws is not r:
            out.setdefault(ws.uid, []).append(r)
    return out


def workspace_members(
    inventory: Relations, workspace: Resource, below: Iterable[Resource] | None = None
) -> list[Member]:
    """The resources in a workspace's scope, each once with its role, in a stable order (role,
    type, id): what its score counts and what the HTML report lists beside that score.

    - the workspace, and every resource whose id lies under its id (computes, endpoints and
      deployments, also when a level between is not in the scan);
    - what the workspace, those resources and its hub depend on (`DEPENDENCIES`): so a project
      counts its hub and the hub's storage, key vault, registry and Application Insights, which
      are the project's too. A dependency shared by two workspaces is in both;
    - the extension resources attached to any of the above (`ATTACHED`, and every extension
      resource written under the workspace's id).

    `below`: the resources under the workspace's id, when the caller indexed every workspace
    at once (`below_workspaces`); else found here by walking the inventory.
    """
    if below is None:
        below = below_workspaces(inventory).get(workspace.uid, ())
    members: dict[str, Member] = {workspace.uid: Member("workspace", workspace)}
    extensions: list[Resource] = []
    for r in below:
        if armid.scope_of_extension(r.id) is None:
            members.setdefault(r.uid, Member("child", r))
        else:
            extensions.append(r)
    owners = [m.resource for m in members.values()]
    while owners:  # the workspace and what lies below it, then its hub (a dependency that is a workspace)
        hubs = []
        for owner in owners:
            for path, label in DEPENDENCIES.items():
                dep = inventory.linked(owner, path)
                if dep is not None and dep.uid not in members:
                    members[dep.uid] = Member(f"dependency: {label}", dep)
                    if dep.type_key == _WORKSPACE_KEY:
                        hubs.append(dep)
        owners = hubs
    for member in list(members.values()):
        for extension_type, label in ATTACHED.items():
            for ext in inventory.attached(member.resource, extension_type):
                members.setdefault(ext.uid, Member(f"attached: {label}", ext))
    for r in extensions:
        label = ATTACHED.get(_ATTACHED_BY_KEY.get(r.type_key, ""), r.type.rsplit("/", 1)[-1])
        members.setdefault(r.uid, Member(f"attached: {label}", r))
    return sorted(
        members.values(), key=lambda m: (m.rank, m.resource.type_key, m.resource.key, m.resource.deployment or "")
    )


def workspace_order(inventory: Relations) -> list[Resource]:
    """The workspaces in the order of their scopes in the scores."""
    return sorted(inventory.of_type(WORKSPACE), key=lambda r: (r.key, r.deployment or ""))


_WORKSPACE_KEY = WORKSPACE.lower()
_ATTACHED_BY_KEY = {t.lower(): t for t in ATTACHED}
