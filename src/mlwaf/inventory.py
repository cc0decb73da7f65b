"""All resources of a scan, indexed, and the relations checks ask about.

Checks are pure: everything they know about other resources comes through these questions
(children, the resource a property points at, extension resources attached to a resource), so
the same check runs unchanged on a template, an export or a live subscription.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

from mlwaf import armid
from mlwaf.model import Resource

DIAGNOSTIC_SETTINGS = "microsoft.insights/diagnosticsettings"
PRIVATE_ENDPOINTS = "microsoft.network/privateendpoints"
AUTOSCALE_SETTINGS = "microsoft.insights/autoscalesettings"
ROLE_ASSIGNMENTS = "microsoft.authorization/roleassignments"
WORKSPACES = "microsoft.machinelearningservices/workspaces"
COMPUTES = "microsoft.machinelearningservices/workspaces/computes"


class Inventory:
    def __init__(self, resources: Iterable[Resource], listed: Iterable[str] = ()) -> None:
        self._listed = {armid.normalize(p) for p in listed}
        self.resources: list[Resource] = []
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_id: dict[str, Resource] = {}
        self._children: dict[str, list[Resource]] = defaultdict(list)
        self._attached: dict[str, list[Resource]] = defaultdict(list)
        self._attached_built = False
        self._grouped: dict[tuple[str, Callable[[Resource], Hashable | None]], dict[Hashable, list[Resource]]] = {}
        self._path_keys: dict[str, Callable[[Resource], str | None]] = {}
        self.duplicates: list[Resource] = []
        for r in resources:
            self.add(r)

    def add(self, resource: Resource) -> None:
        key = resource.key
        first = self._by_id.get(key)
        if first is not None:
            if _separate_deployments(first, resource):
                # Two templates that deploy a same-named resource to the placeholder resource
                # group are two intended deployments, not one resource read twice: scan both.
                self.resources.append(resource)
                self._by_type[resource.type_key].append(resource)
                return
            # The same resource read twice (overlapping dumps, a page saved twice): keep the
            # first, remember the rest so the report can account for them.
            self.duplicates.append(resource)
            return
        self._by_id[key] = resource
        self.resources.append(resource)
        self._by_type[resource.type_key].append(resource)
        parent = armid.parent_id(resource.id)
        if parent:
            self._children[armid.normalize(parent)].append(resource)
        self._attached_built = False
        self._grouped.clear()

    # --- what was read in full ------------------------------------------------------------
    def children_listed(self, resource: Resource, suffix: str) -> bool:
        """True when the input holds the complete list `{resource id}/{suffix}` (a live scan read
        `.../schedules` or `.../providers/Microsoft.Insights/diagnosticSettings` to the last page).

        Checks use it before treating "none in the scan" as "none exists": a template, an export
        or a failed call says nothing about what else exists, and that is UNKNOWN, not FAIL."""
        return armid.normalize(f"{resource.id}/{suffix}") in self._listed

    def type_listed(self, resource_type: str, resource: Resource) -> bool:
        """True when every resource of a type in the resource's subscription was listed (a live
        scan's Resource Graph inventory of that subscription completed)."""
        sub = armid.subscription_of(resource.id)
        return sub is not None and type_listing(sub, resource_type) in self._listed

    def __len__(self) -> int:
        return len(self.resources)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def of_type(self, *types: str) -> list[Resource]:
        out: list[Resource] = []
        for t in types:
            out.extend(self._by_type.get(t.lower(), ()))
        return out

    def get(self, resource_id: Any) -> Resource | None:
        if not isinstance(resource_id, str) or not resource_id:
            return None
        return self._by_id.get(armid.normalize(resource_id))

    def children(self, resource: Resource, child_type: str | None = None) -> list[Resource]:
        kids = self._children.get(resource.key, [])
        if child_type is None:
            return list(kids)
        full = child_type.lower() if "/" in child_type else f"{resource.type_key}/{child_type.lower()}"
        return [k for k in kids if k.type_key == full]

    def parent(self, resource: Resource) -> Resource | None:
        pid = armid.parent_id(resource.id)
        return self.get(pid) if pid else None

    def ancestor(self, resource: Resource, resource_type: str) -> Resource | None:
        """The nearest ancestor of a type (a deployment's workspace, two levels up)."""
        current = self.parent(resource)
        while current is not None and current.type_key != resource_type.lower():
            current = self.parent(current)
        return current

    def linked(self, resource: Resource, path: str) -> Resource | None:
        """The resource whose id a property holds (`properties.keyVault` of a workspace)."""
        value: Any = resource.raw
        for part in path.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return self.get(value)

    # --- reverse look-ups, indexed ----------------------------------------------------------------
    def grouped(
        self, resource_type: str, key: Callable[[Resource], Hashable | None]
    ) -> Mapping[Hashable, list[Resource]]:
        """Resources of a type grouped by `key(resource)` (None keys left out).

        Built once per (type, key function) and kept until a resource is added, so a check that
        asks "which others share my value?" for every resource costs one pass over the type, not
        one pass per resource (a scan of 100k resources would otherwise be quadratic). Pass a
        module-level function, not a new lambda per call, or the index is rebuilt every time.
        """
        cache_key = (resource_type.lower(), key)
        index = self._grouped.get(cache_key)
        if index is None:
            index = {}
            for r in self._by_type.get(resource_type.lower(), ()):
                k = key(r)
                if k is not None:
                    index.setdefault(k, []).append(r)
            self._grouped[cache_key] = index
        return index

    def referrers(self, resource: Resource, source_type: str, path: str) -> list[Resource]:
        """Resources of `source_type` whose property `path` holds this resource's id (the
        workspaces whose `properties.keyVault` names a key vault): `linked` run backwards."""
        getter = self._path_keys.get(path)
        if getter is None:
            getter = self._path_keys[path] = _id_at(path)
        return list(self.grouped(source_type, getter).get(resource.key, ()))

    # --- extension resources ------------------------------------------------------------------
    def attached(self, resource: Resource, extension_type: str) -> list[Resource]:
        """Extension resources that target a resource: diagnostic settings (by scope), private
        endpoints (by private link service id), autoscale settings (by target URI), role
        assignments (by scope)."""
        if not self._attached_built:
            self._build_attached()
        return [
            r for r in self._attached.get(resource.key, []) if r.type_key == extension_type.lower()
        ]

    def _build_attached(self) -> None:
        self._attached = defaultdict(list)
        for r in self.resources:
            for target in _targets(r):
                self._attached[armid.normalize(target)].append(r)
        self._attached_built = True


def type_listing(subscription: str, resource_type: str) -> str:
    """The `listed` entry that says every resource of a type in a subscription was read."""
    return armid.normalize(f"/subscriptions/{subscription}#{resource_type}")


def _separate_deployments(a: Resource, b: Resource) -> bool:
    """Templates (and REST examples, which reuse one placeholder id across examples) describe
    resources to be, so the same id in two files means two candidates, not one resource."""

    def described(r: Resource) -> bool:
        return r.origin.kind in ("arm-template", "group-export") or r.origin.kind.startswith("rest-example")

    return a.origin.path != b.origin.path and (described(a) or described(b))


def _id_at(path: str) -> Callable[[Resource], str | None]:
    """A key function: the normalized ARM id a resource's property holds, or None."""
    parts = path.split(".")

    def key(resource: Resource) -> str | None:
        value: Any = resource.raw
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return armid.normalize(value) if isinstance(value, str) and value else None

    return key


def _targets(r: Resource) -> list[str]:
    t = r.type_key
    props = r.properties
    out: list[str] = []
    if t in (DIAGNOSTIC_SETTINGS, ROLE_ASSIGNMENTS) or armid.scope_of_extension(r.id):
        scope = armid.scope_of_extension(r.id)
        if scope:
            out.append(scope)
        if t == ROLE_ASSIGNMENTS and isinstance(props.get("scope"), str):
            out.append(props["scope"])
    if t == PRIVATE_ENDPOINTS:
        for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            for conn in props.get(key) or []:
                if isinstance(conn, dict):
                    target = (conn.get("properties") or {}).get("privateLinkServiceId")
                    if isinstance(target, str):
                        out.append(target)
    if t == AUTOSCALE_SETTINGS and isinstance(props.get("targetResourceUri"), str):
        out.append(props["targetResourceUri"])
    return out
