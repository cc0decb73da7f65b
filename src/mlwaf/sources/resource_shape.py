"""One JSON object -> the ARM shape checks read, whatever tool wrote it and however it spelled it.

ARM property names are case-insensitive, and tools spell the same resource differently:
REST and `az` write `id`/`type`/`properties`; `Get-AzResource | ConvertTo-Json`, PSRule's
`Export-AzRuleData` and older exports write `ResourceId`/`ResourceType`/`Properties`, often
beside `Id`/`Name`/`Type` and with lower-case keys mixed in, PowerShell objects (`Sku`) in
PascalCase inside, and an extension resource's own type in `ExtensionResourceType` (its
`ResourceType` is the parent's). This module is the one place that knows those spellings:
everything after it sees `id`, `name`, `type`, `properties`, ... as ARM returns them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

# Lower-cased spelling -> ARM's, for the top-level keys of a resource. PowerShell's aliases map
# to the ARM key they stand for.
_TOP = {
    k.lower(): k
    for k in (
        "id", "name", "type", "location", "kind", "sku", "identity", "tags", "properties", "managedBy",
        "plan", "zones", "etag", "extendedLocation", "systemData", "apiVersion", "resources",
    )
}
_TOP.update({"resourceid": "id", "resourcename": "name", "resourcetype": "type"})
# Keys exactly as REST, `az` and Resource Graph write them: an object with only these needs no
# work (the common case, millions of times in a large estate).
_AS_ARM_WRITES = frozenset(_TOP.values()) | {"resourceGroup", "subscriptionId", "tenantId", "managedByExtended"}
# PowerShell objects inside a resource, spelled in PascalCase (`"Sku": {"Name": "Premium"}`).
_INNER = {
    "sku": {k.lower(): k for k in ("name", "tier", "size", "family", "capacity", "model")},
    "identity": {k.lower(): k for k in ("type", "principalId", "tenantId", "userAssignedIdentities")},
    "plan": {k.lower(): k for k in ("name", "publisher", "product", "promotionCode", "version")},
}
# `Microsoft.ContainerRegistry/registries/listUsages`: the result of a POST action that PSRule
# exports beside a resource's children. It describes the parent, and is not a resource.
_ACTION_TYPE = re.compile(r"/list[A-Z][^/]*$")


class Shaped(NamedTuple):
    """An ARM resource: `obj` spelled as ARM returns it, `children` the objects it nests under
    `resources` (PowerShell exports put diagnostic settings, replications, blob services there).
    A tuple: one is made per resource read, millions in a large estate."""

    obj: dict[str, Any]
    children: list[Any] | None = None


@dataclass(frozen=True, slots=True)
class NotResource:
    """Why an element is not a resource. `skip` for what is not meant to be one (an action's
    result); otherwise it is an input error: something was handed over that cannot be assessed."""

    reason: str
    skip: bool = False


def shape(item: Any) -> Shaped | NotResource:
    """The ARM resource an element is, or why it is none. Called once per element read (a
    million in a large estate), so the common case, ARM's own spelling, takes a few dict looks."""
    if type(item) is not dict:
        what = "null" if item is None else {bool: "true/false", str: "a string", list: "an array"}.get(
            type(item), "a number"
        )
        return NotResource(f"not an ARM resource: {what}, not an object")
    obj = item if _AS_ARM_WRITES.issuperset(item) else _respell(item)
    if type(obj) is not dict:
        return obj  # type: ignore[return-value]  # a NotResource from _respell
    rtype = obj.get("type")
    if type(rtype) is not str or "/" not in rtype:
        found = "no 'type'" if rtype is None else f"'type' {str(rtype)[:60]!r} is not Namespace/resourceType"
        return NotResource(f"not an ARM resource: {found}")
    rid = obj.get("id")
    if "/list" in rtype and _ACTION_TYPE.search(rtype) and not (type(rid) is str and rid.startswith("/")):
        return NotResource(f"the result of the {rtype.rsplit('/', 1)[-1]} action, not a resource", skip=True)
    if not (rid and type(rid) is str):
        name = obj.get("name")
        if not (name and type(name) is str):
            return NotResource(f"not an ARM resource: a {rtype} with neither 'id' nor 'name'")
    if "resources" in obj and type(obj["resources"]) is list:
        return _new(Shaped, ({k: v for k, v in obj.items() if k != "resources"}, obj["resources"]))
    return _new(Shaped, (obj, None))


_new = tuple.__new__  # a Shaped without NamedTuple's Python-level __new__


def _respell(item: dict[str, Any]) -> dict[str, Any] | NotResource:
    out: dict[str, Any] = {}
    written: dict[str, str] = {}  # ARM key -> the key it was read from
    extension_type = extension_name = None
    for key, value in item.items():
        lowered = key.lower()
        if lowered == "extensionresourcetype":
            extension_type = value
            continue
        if lowered == "extensionresourcename":
            extension_name = value
            continue
        arm = _TOP.get(lowered)
        if arm is None:
            out[key] = value
            continue
        if arm in written:
            if value is None or _same(arm, value, out[arm]):
                continue
            if out[arm] is not None:
                return NotResource(
                    f"keys {written[arm]!r} and {key!r} name one ARM property (names are case-insensitive) "
                    "with different values"
                )
        inner = _INNER.get(arm)
        if inner is not None and isinstance(value, dict):
            value = {inner.get(k.lower(), k): v for k, v in value.items()}
        out[arm] = value
        written[arm] = key
    # Get-AzResource gives an extension resource (a diagnostic setting, an assessment) its
    # parent's ResourceType; its own is ExtensionResourceType.
    if isinstance(extension_type, str) and extension_type:
        out["type"] = extension_type
        if isinstance(extension_name, str) and extension_name:
            out["name"] = extension_name
    # Get-AzResource prints Tags as null rather than {} when there are none.
    if "tags" in out and out["tags"] is None:
        del out["tags"]
    return out


def _same(arm: str, a: Any, b: Any) -> bool:
    """Two spellings of one property agree: ids and types compare case-insensitively (as ARM
    compares them), names by their last segment (`vault/child` beside `child`)."""
    if a == b:
        return True
    if arm in ("id", "type", "name") and isinstance(a, str) and isinstance(b, str):
        if arm == "name":
            a, b = a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1]
        return a.lower() == b.lower()
    return False


# --- is it ARM at all? -----------------------------------------------------------------------


def _marks_arm(obj: dict[str, Any]) -> bool:
    """A top-level key that only ARM JSON has: an Azure schema, an ARM type or id, template
    resources, a list page, a Resource Graph result, an export, a REST example."""
    for key, value in obj.items():
        k = key.lower()
        if k == "$schema" and isinstance(value, str) and "schema.management.azure.com" in value.lower():
            return True
        if k in ("type", "resourcetype", "extensionresourcetype") and isinstance(value, str) and "/" in value:
            return True
        if k in ("id", "resourceid") and isinstance(value, str) and value.startswith("/"):
            return True
        if (k == "resources" and isinstance(value, list | dict)) or (k == "value" and isinstance(value, list)):
            return True
        if k == "data" and isinstance(value, list | dict):
            return True
        if k in ("template", "responses") and isinstance(value, dict):
            return True
    return False


def has_arm_marker(data: Any) -> bool:
    """False for JSON that holds nothing ARM at all (package.json, editor settings, renovate.json):
    a walked file like that is skipped as not ARM; one with a marker but no shape stays an error."""
    if isinstance(data, dict):
        return _marks_arm(data)
    if isinstance(data, list):
        return not data or any(isinstance(item, dict) and _marks_arm(item) for item in data)
    return False
