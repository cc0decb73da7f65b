"""REST API example files whose bodies carry placeholders instead of a type and id.

Many examples in azure-rest-api-specs were generated from the schema: `"type": "string"`,
`"id": "string"`. The request parameters of the example still say which resource it is (a
`computeName` under a `workspaceName` is a compute), and the body's properties tell apart the
few types that share parameter names (online and batch endpoints both take `endpointName`).
This restores the ARM type and id so the example reads like the GET response it stands for.
"""

from __future__ import annotations

from typing import Any

_ML = "Microsoft.MachineLearningServices"


def _props(item: dict[str, Any]) -> dict[str, Any]:
    props = item.get("properties")
    return props if isinstance(props, dict) else {}


# (type, the request parameters naming its parents and itself, how to recognize its properties)
_KINDS: list[tuple[str, list[str], Any]] = [
    (f"{_ML}/workspaces/computes", ["workspaceName", "computeName"], lambda p: "computeType" in p),
    (
        f"{_ML}/workspaces/onlineEndpoints/deployments",
        ["workspaceName", "endpointName", "deploymentName"],
        lambda p: "endpointComputeType" in p,
    ),
    (
        f"{_ML}/workspaces/batchEndpoints/deployments",
        ["workspaceName", "endpointName", "deploymentName"],
        lambda p: "miniBatchSize" in p or "outputAction" in p or "deploymentConfiguration" in p,
    ),
    (
        f"{_ML}/workspaces/serverlessEndpoints",
        ["workspaceName", "name"],
        lambda p: "modelSettings" in p,
    ),
    (f"{_ML}/workspaces/batchEndpoints", ["workspaceName", "endpointName"], lambda p: "defaults" in p),
    (
        f"{_ML}/workspaces/onlineEndpoints",
        ["workspaceName", "endpointName"],
        lambda p: "authMode" in p and ("traffic" in p or "mirrorTraffic" in p or "compute" in p),
    ),
    (
        f"{_ML}/workspaces/outboundRules",
        ["workspaceName", "ruleName"],
        lambda p: "destination" in p and "category" in p,
    ),
    (f"{_ML}/workspaces/connections", ["workspaceName", "connectionName"], lambda p: "authType" in p),
    (f"{_ML}/registries", ["registryName"], lambda p: "regionDetails" in p or "mlFlowRegistryUri" in p),
    (
        f"{_ML}/workspaces",
        ["workspaceName"],
        lambda p: "keyVault" in p or "storageAccount" in p or "managedNetwork" in p or "hbiWorkspace" in p,
    ),
]


def infer_type(params: dict[str, Any], item: dict[str, Any]) -> tuple[str, list[str]] | None:
    """The ARM type and the parameter names that make up its name path, or None if unsure.

    The body's properties decide the type (parameters alone are ambiguous: online and batch
    endpoints both take `endpointName`, and a list request omits the child's own name)."""
    props = _props(item)
    for rtype, name_params, matches in _KINDS:
        if matches(props):
            return rtype, name_params
    return None


def is_placeholder(item: Any) -> bool:
    """`"type": "string"` or a namespace-less `"workspace/outboundRules"`."""
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        return False
    return "." not in item["type"].split("/", 1)[0]


def repair(body: Any, params: dict[str, Any]) -> None:
    """Give placeholder items of a body (a resource or a list page) their real type and id."""
    is_list = isinstance(body, dict) and isinstance(body.get("value"), list)
    items = body["value"] if is_list else [body]
    sub = params.get("subscriptionId") or "00000000-0000-0000-0000-000000000000"
    rg = params.get("resourceGroupName") or "example-rg"
    for index, item in enumerate(items):
        if not is_placeholder(item):
            continue
        inferred = infer_type(params, item)
        if inferred is None:
            continue
        rtype, name_params = inferred
        names = [str(params.get(p) or "") for p in name_params]
        own = item.get("name")
        if is_list or not names[-1]:
            # A list page lists children of the named parent: the child's name is the item's.
            names[-1] = own if isinstance(own, str) and own not in ("", "string") else f"item{index}"
        names = [n or f"{p.removesuffix('Name')}{index}" for p, n in zip(name_params, names, strict=True)]
        namespace, *types = rtype.split("/")
        segs = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
        item["type"] = rtype
        item["id"] = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{segs}"
        item["name"] = names[-1]
