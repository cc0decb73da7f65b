"""What the effects need beyond the `if`: the related resources of auditIfNotExists and
deployIfNotExists, and the changes modify and append would make.

Related resources are looked up where Azure looks (effect-audit-if-not-exists.md): a type below
the evaluated resource (a child, or an extension resource such as diagnostic settings) within
the resource itself; any other type in the same resource group, the subscription
(`existenceScope`) or `resourceGroupName`. Whether none exists can only be said where the list
was read to its end (Inventory.children_listed / type_listed: a live scan that completed that
call); anywhere else, "none in the input" is Unknown, the same rule the checks follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from mlwaf import armid
from mlwaf.inventory import Inventory
from mlwaf.model import Resource, Unresolved
from mlwaf.policy import fields, functions
from mlwaf.policy.errors import EvaluationError
from mlwaf.policy.operators import equal
from mlwaf.policy.parse import get
from mlwaf.policy.scope import Scope

# Extension resource types: they live at `{resource id}/providers/{type}/{name}`, so an
# existence effect finds them on the evaluated resource itself.
EXTENSION_TYPES = frozenset(
    {
        "microsoft.insights/diagnosticsettings",
        "microsoft.insights/datacollectionruleassociations",
        "microsoft.authorization/roleassignments",
        "microsoft.authorization/locks",
        "microsoft.security/advancedthreatprotectionsettings",
        "microsoft.security/defenderforstoragesettings",
        "microsoft.security/servervulnerabilityassessments",
        "microsoft.security/assessments",
        "microsoft.security/complianceresults",
        "microsoft.guestconfiguration/guestconfigurationassignments",
        "microsoft.maintenance/configurationassignments",
        "microsoft.kubernetesconfiguration/extensions",
        "microsoft.kubernetesconfiguration/fluxconfigurations",
        "microsoft.kubernetesconfiguration/sourcecontrolconfigurations",
        "microsoft.automanage/configurationprofileassignments",
        "microsoft.resources/links",
    }
)


@dataclass(frozen=True, slots=True)
class Related:
    candidates: tuple[Resource, ...]
    complete: bool  # the list the candidates come from was read to its end
    where: str  # where Azure would look, for the report


def related(resource: Resource, details: Mapping[str, Any], inventory: Inventory, scope: Scope) -> Related | Unresolved:
    rtype = get(details, "type")
    if not isinstance(rtype, str) or "/" not in rtype:
        raise EvaluationError(f"details.type must be a resource type, got {rtype!r}")
    low = rtype.lower()
    name = get(details, "name")
    wanted = functions.evaluate(name, scope) if name is not None else None
    if isinstance(wanted, Unresolved):
        return wanted
    if low == resource.type_key:
        # The resource itself (details.name is field('name') or field('fullName')).
        return Related((resource,), True, "the resource itself")
    if low.startswith(resource.type_key + "/"):
        suffix = rtype[len(resource.type) + 1 :]
        found = tuple(inventory.children(resource, rtype)) if "/" not in suffix else ()
        complete = "/" not in suffix and inventory.children_listed(resource, suffix)
        embedded = _embedded(resource, suffix, rtype)
        if embedded is not None:
            known = {r.key for r in found}
            found += tuple(r for r in embedded if r.key not in known)
            complete = True
        where = f"child resources {rtype} of {resource.id}"
    elif low in EXTENSION_TYPES:
        found = tuple(inventory.attached(resource, rtype))
        complete = inventory.children_listed(resource, f"providers/{rtype}")
        where = f"{rtype} extension resources of {resource.id}"
    else:
        found, complete, where = _in_scope(resource, rtype, details, inventory, scope)
    if isinstance(wanted, str) and wanted:
        named = tuple(r for r in found if _named(r, wanted))
        # One named resource found means the list was long enough.
        return Related(named, complete or bool(named), f"{where} named {wanted!r}")
    return Related(found, complete, where)


def _embedded(resource: Resource, suffix: str, rtype: str) -> tuple[Resource, ...] | None:
    """Children a stored resource's GET carries in full in its own properties, as workspaces,
    AI accounts, registries and vaults do with `properties.privateEndpointConnections`: that
    array is the child list. A template's request never holds them (the provider creates them)."""
    if "/" in suffix or resource.origin.kind in ("arm-template",):
        return None
    value = fields.child(resource.raw.get("properties"), suffix)
    if not isinstance(value, list):
        return None
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        written_name, written_id = item.get("name"), item.get("id")
        name = written_name if isinstance(written_name, str) else str(i)
        rid = f"{resource.id}/{suffix}/{name}"
        if isinstance(written_id, str) and written_id.startswith("/"):
            rid = written_id
        pointer = f"{resource.origin.pointer}/properties/{suffix}/{i}"
        out.append(
            Resource(
                type=rtype,
                id=rid,
                name=name,
                raw={**item, "type": rtype},
                origin=replace(resource.origin, pointer=pointer),
                locator=resource.locator,
            )
        )
    return tuple(out)


def _named(r: Resource, wanted: str) -> bool:
    w = wanted.lower()
    return r.name.lower() == w or fields.full_name(r).lower() == w or armid.name_of(r.id).lower() == w


def _in_scope(
    resource: Resource, rtype: str, details: Mapping[str, Any], inventory: Inventory, scope: Scope
) -> tuple[tuple[Resource, ...], bool, str]:
    existence = get(details, "existenceScope") or "ResourceGroup"
    existence = functions.evaluate(existence, scope) if isinstance(existence, str) else existence
    sub = armid.subscription_of(resource.id)
    rg_name = get(details, "resourceGroupName")
    rg = functions.evaluate(rg_name, scope) if rg_name is not None else armid.resource_group_of(resource.id)
    if isinstance(rg, Unresolved):
        rg = None
    candidates = inventory.of_type(rtype)
    if isinstance(existence, str) and existence.lower() == "subscription":
        found = tuple(r for r in candidates if armid.subscription_of(r.id) == sub)
        where = f"{rtype} resources of subscription {sub}"
    else:
        found = tuple(
            r
            for r in candidates
            if armid.subscription_of(r.id) == sub
            and (armid.resource_group_of(r.id) or "").lower() == (rg or "").lower()
        )
        where = f"{rtype} resources of resource group {rg}"
    return found, inventory.type_listed(rtype, resource), where


# --- modify and append ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One change modify/append would make to the request (or the stored resource)."""

    operation: str  # add | addOrReplace | remove | append
    field: str
    path: str
    before: Any
    after: Any
    applied: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        from mlwaf.model import redact

        out: dict[str, Any] = {
            "operation": self.operation,
            "field": self.field,
            "path": self.path,
            "applied": self.applied,
        }
        out["before"] = None if self.before is fields.MISSING else redact(self.path, _plain(self.before))
        if self.operation != "remove":
            out["after"] = redact(self.path, _plain(self.after))
        if self.note:
            out["note"] = self.note
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Unresolved):
        return value.expression
    if value is fields.MISSING:
        return None
    return value


def modify_changes(resource: Resource, details: Mapping[str, Any], scope: Scope) -> list[Change]:
    ops = get(details, "operations")
    if not isinstance(ops, list):
        raise EvaluationError("modify needs details.operations")
    out = []
    for op in ops:
        if not isinstance(op, dict):
            raise EvaluationError("a modify operation must be an object")
        kind = str(get(op, "operation", "")).lower()
        if kind not in ("add", "addorreplace", "remove"):
            raise EvaluationError(f"modify operation {get(op, 'operation')!r} is not add, addOrReplace or remove")
        name = {"add": "add", "addorreplace": "addOrReplace", "remove": "remove"}[kind]
        field = functions.evaluate(get(op, "field"), scope)
        if not isinstance(field, str):
            raise EvaluationError(f"a modify operation needs a field, got {field!r}")
        path = fields.resolve_path(field, resource, scope.env.aliases) or ""
        before = _read(resource, path)
        value = functions.evaluate(get(op, "value"), scope) if kind != "remove" else None
        condition = get(op, "condition")
        if condition is not None:
            ok = functions.evaluate(condition, scope)
            if ok is not True:
                note = (
                    "operation condition is unknown"
                    if isinstance(ok, Unresolved)
                    else "operation condition is false, not applied"
                )
                out.append(Change(name, field, path, before, value, False, note))
                continue
        if kind == "remove":
            out.append(Change(name, field, path, before, None, before is not fields.MISSING))
        elif kind == "add" and before is not fields.MISSING and not equal(before, value):
            out.append(Change(name, field, path, before, value, False, "add does not replace an existing value"))
        else:
            out.append(Change(name, field, path, before, value, before is fields.MISSING or not equal(before, value)))
    return out


def append_changes(resource: Resource, details: Any, scope: Scope) -> list[Change]:
    items = details if isinstance(details, list) else [details]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise EvaluationError("append details must be {field, value} objects")
        field = functions.evaluate(get(item, "field"), scope)
        if not isinstance(field, str):
            raise EvaluationError(f"append needs a field, got {field!r}")
        path = fields.resolve_path(field, resource, scope.env.aliases) or ""
        value = functions.evaluate(get(item, "value"), scope)
        before = _read(resource, path.removesuffix("[*]") if field.endswith("[*]") else path)
        if field.endswith("[*]"):
            current = before if isinstance(before, list) else []
            additions = value if isinstance(value, list) else [value]
            out.append(Change("append", field, path, before, [*current, *additions], True))
        else:
            out.append(
                Change("append", field, path, before, value, before is fields.MISSING or not equal(before, value))
            )
    return out


def _read(resource: Resource, path: str) -> Any:
    if not path:
        return fields.MISSING
    value, _, unknown = fields.walk(resource.raw, fields.split_path(path))
    if unknown is not None:
        return unknown
    return value
