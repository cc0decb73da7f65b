"""The one factory of ARM test resources: a resource as a REST GET returns it (or, with
`template=True`, as a deployment template declares it), with a full ARM id and an origin.

    resource(WS, "ws1", {"publicNetworkAccess": "Enabled"}, tags={"team": "a"})
    resource(STORAGE, "sa", kind="StorageV2", api_version="2023-01-01", origin_kind="group-export")
    body(WS, "ws1", {...})        # the same JSON, for a file a test writes

Tests that need a resource build it here, so a field every resource carries (the id, the
origin) is spelled once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlwaf import armid
from mlwaf.model import Origin, Resource

SUB = "11111111-1111-1111-1111-111111111111"
RG = "rg1"
WS = "Microsoft.MachineLearningServices/workspaces"
COMPUTE = "Microsoft.MachineLearningServices/workspaces/computes"
STORAGE = "Microsoft.Storage/storageAccounts"
KEY_VAULT = "Microsoft.KeyVault/vaults"
ACR = "Microsoft.ContainerRegistry/registries"


def body(
    rtype: str,
    name: str,
    properties: Mapping[str, Any] | None = None,
    *,
    rid: str | None = None,
    subscription: str = SUB,
    group: str = RG,
    **top: Any,
) -> dict[str, Any]:
    """The ARM JSON of a resource (`id`, `type`, `name`, then `top`, then `properties`)."""
    rid = rid or armid.build(rtype, name, subscription, group)
    raw: dict[str, Any] = {"id": rid, "type": rtype, "name": name.rsplit("/", 1)[-1], **top}
    if properties is not None:
        raw["properties"] = dict(properties)
    return raw


def resource(
    rtype: str,
    name: str,
    properties: Mapping[str, Any] | None = None,
    *,
    template: bool = False,
    origin_kind: str | None = None,
    api_version: str | None = None,
    path: str = "test.json",
    pointer: str = "",
    rid: str | None = None,
    subscription: str = SUB,
    group: str = RG,
    **top: Any,
) -> Resource:
    """A Resource read from `path`: a REST response, or (template=True) a template's request at
    the placeholder subscription; `origin_kind` names another input kind ("group-export", ...).
    `top` holds the other top-level fields (kind, location, sku, tags, identity, metadata)."""
    sub = armid.PLACEHOLDER_SUBSCRIPTION if template else subscription
    raw = body(rtype, name, properties, rid=rid, subscription=sub, group=group, **top)
    kind = origin_kind or ("arm-template" if template else "resource")
    origin = Origin(path=path, pointer=pointer, kind=kind, api_version=api_version)
    return Resource(type=rtype, id=raw["id"], name=raw["name"], raw=raw, origin=origin)
