"""Azure ML facts several checks need: compute types, the workspace a child belongs to, the hub
a project inherits from, private endpoint states. Written once here so checks stay one screen."""

from __future__ import annotations

from typing import Any

from mlwaf.check import CheckContext, Seen, lookup, read
from mlwaf.model import Resource, Unresolved

WORKSPACE = "Microsoft.MachineLearningServices/workspaces"
COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
ONLINE_ENDPOINT = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
ONLINE_DEPLOYMENT = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
BATCH_ENDPOINT = "Microsoft.MachineLearningServices/workspaces/batchEndpoints"
BATCH_DEPLOYMENT = "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments"
REGISTRY = "Microsoft.MachineLearningServices/registries"

# Isolation modes of a workspace's managed network (properties.managedNetwork.isolationMode).
MANAGED_NETWORK_ON = ("allowinternetoutbound", "allowonlyapprovedoutbound")


def compute_type(resource: Resource) -> str:
    """`properties.computeType` (ComputeInstance, AmlCompute, Kubernetes, AKS, ...), lower case;
    '' when absent or unresolved."""
    value = lookup(resource.raw, "properties.computeType")
    return value.lower() if isinstance(value, str) else ""


def workspace_of(resource: Resource, ctx: CheckContext) -> Resource | None:
    if resource.type_key == WORKSPACE.lower():
        return resource
    return ctx.inventory.ancestor(resource, WORKSPACE)


def workspace_kind(resource: Resource) -> str:
    kind = resource.kind
    return kind.lower() if kind else "default"


def hub_of(workspace: Resource, ctx: CheckContext) -> Resource | None:
    """The hub a project workspace belongs to (`properties.hubResourceId`), when in the scan."""
    return ctx.inventory.get(lookup(workspace.raw, "properties.hubResourceId"))


def isolation_mode(workspace: Resource) -> Seen:
    """The managed network isolation mode; absent means 'Disabled' (API 2023-10-01 and later)."""
    return read(
        workspace,
        "properties.managedNetwork.isolationMode",
        default="Disabled",
        note="absent: the workspace has no managed virtual network (isolationMode Disabled)",
    )


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
