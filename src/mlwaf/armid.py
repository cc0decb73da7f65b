"""ARM resource ids: normalized for matching, built for resources that have none yet.

ARM ids are case-insensitive and written inconsistently (`microsoft.insights/components` in a
workspace property, `Microsoft.Insights/components` in the resource itself), so every
comparison goes through `normalize`. Display always keeps the id as written.
"""

from __future__ import annotations

import re

PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_RESOURCE_GROUP = "mlwaf-template-rg"

_PROVIDERS = "/providers/"


def normalize(resource_id: str) -> str:
    return resource_id.strip().rstrip("/").lower()


def provider_parts(resource_id: str) -> tuple[str, str, list[tuple[str, str]]]:
    """Split an id into (scope before the last provider, namespace, [(type segment, name)])."""
    idx = resource_id.lower().rfind(_PROVIDERS)
    if idx < 0:
        return resource_id, "", []
    scope = resource_id[:idx]
    rest = resource_id[idx + len(_PROVIDERS) :].strip("/").split("/")
    if not rest or not rest[0]:
        return scope, "", []
    namespace, segs = rest[0], rest[1:]
    pairs = [(segs[i], segs[i + 1]) for i in range(0, len(segs) - 1, 2)]
    return scope, namespace, pairs


def type_of(resource_id: str) -> str | None:
    """The resource type an id names (`Microsoft.X/a/b`), or None for scopes."""
    _, namespace, pairs = provider_parts(resource_id)
    if not namespace or not pairs:
        return None
    return "/".join([namespace, *(t for t, _ in pairs)])


def name_of(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def parent_id(resource_id: str) -> str | None:
    """The id of the parent resource (for child types), or None for a top-level resource."""
    _, _, pairs = provider_parts(resource_id)
    if len(pairs) < 2:
        return None
    return resource_id.rstrip("/").rsplit("/", 2)[0]


def scope_of_extension(resource_id: str) -> str | None:
    """For an extension resource (`{target}/providers/Microsoft.Insights/diagnosticSettings/x`),
    the id of the resource it is attached to."""
    scope, _, _ = provider_parts(resource_id)
    if _PROVIDERS in scope.lower():
        return scope
    return None


_SUB = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_RG = re.compile(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)", re.IGNORECASE)


def subscription_of(resource_id: str) -> str | None:
    m = _SUB.match(resource_id)
    return m.group(1) if m else None


def resource_group_of(resource_id: str) -> str | None:
    m = _RG.match(resource_id)
    return m.group(1) if m else None


def build(
    resource_type: str,
    name: str,
    subscription: str = PLACEHOLDER_SUBSCRIPTION,
    resource_group: str = PLACEHOLDER_RESOURCE_GROUP,
    scope: str | None = None,
) -> str:
    """Synthesize the id ARM would give a resource declared by type and (slash-joined) name.

    `Microsoft.MachineLearningServices/workspaces/computes` named `ws/cpu` becomes
    `.../providers/Microsoft.MachineLearningServices/workspaces/ws/computes/cpu`.
    """
    namespace, *types = resource_type.split("/")
    names = name.split("/")
    base = scope.rstrip("/") if scope else f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
    segs: list[str] = []
    for i, t in enumerate(types):
        segs.append(t)
        segs.append(names[i] if i < len(names) else "")
    return f"{base}/providers/{namespace}/" + "/".join(segs)
