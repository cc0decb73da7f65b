"""All resources of a scan, indexed, and the relations checks ask about.

Checks are pure: everything they know about other resources comes through these questions
(children, the resource a property points at, extension resources attached to a resource), so
the same check runs unchanged on a template, an export or a live subscription.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

from mlwaf import armid, armjson
from mlwaf import resource_types as T
from mlwaf.model import Resource

# How each extension resource of resource_types.ATTACHED names what it attaches to (see _targets).
_DIAGNOSTIC_SETTINGS = T.DIAGNOSTIC_SETTINGS.lower()
_PRIVATE_ENDPOINTS = T.PRIVATE_ENDPOINT.lower()
_AUTOSCALE_SETTINGS = T.AUTOSCALE.lower()
_ROLE_ASSIGNMENTS = T.ROLE_ASSIGNMENT.lower()


class Inventory:
    """Resources by type and by id, and their relations.

    Relations are resolved within a deployment first: two templates that both declare a
    workspace `mlw` with a key vault `kv` (the same placeholder ids) describe two workspaces, each
    with its own key vault and computes, so each template's workspace is judged with its own
    (`Resource.deployment`). A resource with a real id, or one no other file of the same
    deployment declares, is found by its id alone.
    """

    def __init__(self, resources: Iterable[Resource], listed: Iterable[str] = ()) -> None:
        self._listed = {armid.normalize(p) for p in listed}
        self.resources: list[Resource] = []
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_id: dict[str, Resource] = {}  # normalized id -> the first resource read with it
        self._by_uid: dict[str, Resource] = {}
        self._children: dict[str, list[Resource]] = defaultdict(list)
        self._children_built = False
        self._attached: dict[str, list[Resource]] = defaultdict(list)
        self._attached_built = False
        self._grouped: dict[tuple[str, Callable[[Resource], Hashable | None]], dict[Hashable, list[Resource]]] = {}
        self._path_keys: dict[str, Callable[[Resource], str | None]] = {}
        # The same resource read again (overlapping dumps, a page saved twice): not scanned again.
        self.duplicates: list[Resource] = []
        # A described resource whose id another file declares too (two templates deploying a
        # same-named resource): scanned on its own, under its own deployment.
        self.shared_ids: list[Resource] = []
        for r in resources:
            self.add(r)

    def add(self, resource: Resource) -> None:
        uid = resource.uid
        first = self._by_uid.get(uid)
        if first is not None:
            # The same resource read twice: keep the first, remember the rest so the report can
            # account for them.
            self.duplicates.append(resource)
            return
        if resource.key in self._by_id:
            self.shared_ids.append(resource)
        else:
            self._by_id[resource.key] = resource
        self._by_uid[uid] = resource
        self.resources.append(resource)
        self._by_type[resource.type_key].append(resource)
        self._children_built = False
        self._attached_built = False
        self._grouped.clear()

    def repeated(self) -> list[tuple[Resource, Resource, bool]]:
        """Every resource whose id was read before from another file (or place), with the first
        one read and whether it was scanned on its own (a separate deployment) or not (the same
        resource read twice): the report's `duplicates`."""
        out = [(r, self._by_id[r.key], True) for r in self.shared_ids]
        out += [(r, self._by_uid[r.uid], False) for r in self.duplicates]
        return sorted(out, key=lambda t: (t[0].key, t[0].origin.path or "", t[0].origin.pointer))

    # --- what was read in full ------------------------------------------------------------
    def children_listed(self, resource: Resource, suffix: str) -> bool:
        """True when the input holds the complete list `{resource id}/{suffix}` (a live scan read
        `.../schedules` or `.../providers/Microsoft.Insights/diagnosticSettings` to the last page).

        Checks use it before treating "none in the scan" as "none exists": a template, an export
        or a failed call says nothing about what else exists, and that is UNKNOWN, not FAIL."""
        return armid.normalize(f"{resource.id}/{suffix}") in self._listed

    def is_listed(self, path: str) -> bool:
        """True when the input holds the list at this ARM path in full (a live scan read a
        region's resource SKUs to the last page)."""
        return armid.normalize(path) in self._listed

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

    def get(self, resource_id: Any, within: str | None = None) -> Resource | None:
        """The resource with this id; `within` a deployment, that deployment's own first."""
        if not isinstance(resource_id, str) or not resource_id:
            return None
        key = armid.normalize(resource_id)
        if within is not None:
            own = self._by_uid.get(f"{key}|{within}")
            if own is not None:
                return own
        return self._by_id.get(key)

    def by_uid(self, uid: str) -> Resource | None:
        return self._by_uid.get(uid)

    def scoped(self, deployment: str | None) -> Inventory:
        """This inventory as a check on a resource of `deployment` sees it: `get` looks in that
        deployment first (the other questions take the resource and scope themselves)."""
        return self if deployment is None else _Scoped(self, deployment)  # type: ignore[return-value]

    def children(self, resource: Resource, child_type: str | None = None) -> list[Resource]:
        if not self._children_built:
            self._build_children()
        kids = self._children.get(resource.uid, [])
        if child_type is None:
            return list(kids)
        full = child_type.lower() if "/" in child_type else f"{resource.type_key}/{child_type.lower()}"
        return [k for k in kids if k.type_key == full]

    def parent(self, resource: Resource) -> Resource | None:
        pid = armid.parent_id(resource.id)
        return self.get(pid, resource.deployment) if pid else None

    def ancestor(self, resource: Resource, resource_type: str) -> Resource | None:
        """The nearest ancestor of a type (a deployment's workspace, two levels up)."""
        current = self.parent(resource)
        while current is not None and current.type_key != resource_type.lower():
            current = self.parent(current)
        return current

    def linked(self, resource: Resource, path: str) -> Resource | None:
        """The resource whose id a property holds (`properties.keyVault` of a workspace)."""
        return self.get(armjson.at(resource.raw, *path.split(".")), resource.deployment)

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
            getter = self._path_keys[path] = self._uid_at(path)
        return list(self.grouped(source_type, getter).get(resource.uid, ()))

    def _uid_at(self, path: str) -> Callable[[Resource], str | None]:
        """A key function: the uid of the resource a property names (resolved as `linked`
        resolves it), or the normalized id when that resource is not in the scan."""
        parts = path.split(".")

        def key(resource: Resource) -> str | None:
            value = armjson.at(resource.raw, *parts)
            if not isinstance(value, str) or not value:
                return None
            target = self.get(value, resource.deployment)
            return target.uid if target is not None else armid.normalize(value)

        return key

    # --- extension resources ------------------------------------------------------------------
    def attached(self, resource: Resource, extension_type: str) -> list[Resource]:
        """Extension resources that target a resource: diagnostic settings (by scope), private
        endpoints (by private link service id), autoscale settings (by target URI), role
        assignments (by scope)."""
        if not self._attached_built:
            self._build_attached()
        return [
            r for r in self._attached.get(resource.uid, []) if r.type_key == extension_type.lower()
        ]

    def _build_attached(self) -> None:
        self._attached = defaultdict(list)
        for r in self.resources:
            for target in _targets(r):
                found = self.get(target, r.deployment)
                self._attached[found.uid if found is not None else armid.normalize(target)].append(r)
        self._attached_built = True

    def _build_children(self) -> None:
        """Each resource under its parent: the parent of its own deployment when that declares
        it, else the resource with the parent's id (built once, on the first question)."""
        self._children = defaultdict(list)
        for r in self.resources:
            pid = armid.parent_id(r.id)
            if pid:
                parent = self.get(pid, r.deployment)
                self._children[parent.uid if parent is not None else armid.normalize(pid)].append(r)
        self._children_built = True


class _Scoped:
    """An Inventory whose `get` prefers one deployment (see Inventory.scoped)."""

    __slots__ = ("_inventory", "_within")

    def __init__(self, inventory: Inventory, within: str) -> None:
        self._inventory = inventory
        self._within = within

    def get(self, resource_id: Any, within: str | None = None) -> Resource | None:
        return self._inventory.get(resource_id, within or self._within)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inventory, name)

    def __len__(self) -> int:
        return len(self._inventory)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._inventory)


def type_listing(subscription: str, resource_type: str) -> str:
    """The `listed` entry that says every resource of a type in a subscription was read."""
    return armid.normalize(f"/subscriptions/{subscription}#{resource_type}")


def _targets(r: Resource) -> list[str]:
    t = r.type_key
    props = r.properties
    out: list[str] = []
    if t in (_DIAGNOSTIC_SETTINGS, _ROLE_ASSIGNMENTS) or armid.scope_of_extension(r.id):
        scope = armid.scope_of_extension(r.id)
        if scope:
            out.append(scope)
        if t == _ROLE_ASSIGNMENTS and isinstance(scope := armjson.at(props, "scope"), str):
            out.append(scope)
    if t == _PRIVATE_ENDPOINTS:
        for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            connections = armjson.at(props, key)
            for conn in connections if isinstance(connections, list) else []:
                target = armjson.at(conn, "properties", "privateLinkServiceId")
                if isinstance(target, str):
                    out.append(target)
    if t == _AUTOSCALE_SETTINGS and isinstance(uri := armjson.at(props, "targetResourceUri"), str):
        out.append(uri)
    return out
