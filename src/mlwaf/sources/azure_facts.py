"""What ARM returns about a subscription's capacity and its providers, as resources checks can read.

Compute usages (`GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/usages`,
`az vm list-usage`), resource SKUs (`GET .../Microsoft.Compute/skus?$filter=location eq '{l}'`,
`az vm list-skus`), Azure ML usages (`GET .../Microsoft.MachineLearningServices/locations/{l}/usages`)
and resource providers with their aliases (`GET /providers/{namespace}?$expand=resourceTypes/aliases`)
come back without what makes an ARM resource: no `type`, no `id`, or ids that repeat (the ML
usages' subscription-level totals all read `/subscriptions/{s}/usages`), and often no region (the
region is in the request URL). This module gives each a stable identity from the request path:

- a compute usage is `Microsoft.Compute/locations/usages`, one per counter (`standardNCFamily`);
- an ML usage at subscription level is `Microsoft.MachineLearningServices/locations/usages`, one per
  counter; the workspace and compute shares of it are listed as skipped (they are counted in the
  subscription's);
- a page of resource SKUs is one `Microsoft.Compute/skus` resource (a region lists a thousand SKUs
  of every resource type: one resource each would swamp every report), its SKUs under
  `properties.value`;
- a provider is `Microsoft.Resources/providers` with id `/providers/{namespace}`;
- a policy state of `az policy state list` (or a PolicyInsights query results page) is
  `Microsoft.PolicyInsights/policyStates`, an extension of the resource it judges, named by its
  assignment, definition and reference in an initiative (as Resource Graph's `policyresources`
  holds it, the state's fields under `properties`).

The live collectors and the document reader both build them here, from the response and the path it
was read from (a recording names its files by that path: `.../locations/westeurope/usages.json`),
so a replay holds exactly what the live scan held. Offline on purpose: no Azure import.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from mlwaf.model import SkippedItem

COMPUTE_USAGES = "Microsoft.Compute/locations/usages"
ML_USAGES = "Microsoft.MachineLearningServices/locations/usages"
SKUS = "Microsoft.Compute/skus"
PROVIDERS = "Microsoft.Resources/providers"
POLICY_STATES = "Microsoft.PolicyInsights/policyStates"
TYPES = (COMPUTE_USAGES, ML_USAGES, SKUS, PROVIDERS, POLICY_STATES)

# The request path (or a recording's file path, which is that path) of a usage or SKU list.
_PLACE = re.compile(
    r"(?:^|/)(?:subscriptions/(?P<sub>[0-9A-Fa-f-]{36})/)?providers/(?P<ns>Microsoft\.(?:Compute|MachineLearningServices))"
    r"/locations/(?P<loc>[A-Za-z0-9-]+)/(?P<what>usages|skus)(?:/page-(?P<page>\d+)|\.page-(?P<fpage>\d+)\.json|\.json)?$",
    re.I,
)


@dataclass(frozen=True)
class Place:
    """Where a list was read: subscription (None: not known, e.g. an `az` output saved by hand),
    region, provider namespace and page."""

    subscription: str | None
    location: str
    namespace: str
    what: str  # usages | skus
    page: int = 1

    @property
    def list_id(self) -> str:
        scope = f"/subscriptions/{self.subscription}" if self.subscription else ""
        return f"{scope}/providers/{self.namespace}/locations/{self.location}/{self.what}"


def place_of(path: str) -> Place | None:
    """The Place a path names (`/subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/usages`,
    or a recording's `.../locations/{l}/usages.page-2.json`), None when it names none."""
    m = _PLACE.search(path.replace("\\", "/"))
    if m is None:
        return None
    ns = "Microsoft.Compute" if m.group("ns").lower() == "microsoft.compute" else "Microsoft.MachineLearningServices"
    page = int(m.group("page") or m.group("fpage") or 1)
    sub = m.group("sub").lower() if m.group("sub") else None
    return Place(sub, m.group("loc").lower(), ns, m.group("what").lower(), page)


# --- shapes ---------------------------------------------------------------------------------
def is_compute_usage(item: Any) -> bool:
    return (isinstance(item, dict) and "type" not in item and "id" not in item and "currentValue" in item
            and "limit" in item and isinstance(item.get("name"), dict))


def is_ml_usage(item: Any) -> bool:
    t = item.get("type") if isinstance(item, dict) else None
    return (isinstance(t, str) and t.lower().startswith("microsoft.machinelearningservices/")
            and t.lower().endswith("/usages") and "currentValue" in item and "limit" in item)


def is_sku(item: Any) -> bool:
    return (isinstance(item, dict) and "id" not in item and isinstance(item.get("resourceType"), str)
            and isinstance(item.get("name"), str) and isinstance(item.get("locations"), list))


def is_provider(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("namespace"), str)
            and isinstance(item.get("resourceTypes"), list) and "type" not in item)


def is_policy_state(item: Any) -> bool:
    """A PolicyState as `az policy state list` prints it (flat, no id or type) or the REST query
    results return it: the resource judged, the assignment and the compliance state."""
    return (isinstance(item, dict) and "type" not in item and "id" not in item
            and all(isinstance(item.get(k), str) and item[k] for k in ("resourceId", "policyAssignmentId"))
            and ("complianceState" in item or "isCompliant" in item))


def kind_of(items: list[Any]) -> str | None:
    """The kind of fact every element of a non-empty list is, or None."""
    if not items:
        return None
    for kind, test in (("compute-usages", is_compute_usage), ("ml-usages", is_ml_usage), ("resource-skus", is_sku),
                       ("providers", is_provider), ("policy-states", is_policy_state)):
        if all(test(i) for i in items):
            return kind
    return None


# --- resources --------------------------------------------------------------------------------
@dataclass
class Facts:
    """ARM objects (id, type, name, location, properties) made from one list, with the pointer
    of the element each came from; elements that are not facts of their own, skipped; and why the
    list could not be read, if it could not."""

    objects: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    problem: str | None = None


def build(kind: str, items: list[Any], place: Place | None, pointers: list[str]) -> Facts:
    """The facts of a list of `kind` (see kind_of) read at `place`, each element at its JSON
    pointer; a SKU page is one resource at the list's pointer."""
    out = Facts()
    if kind == "providers":
        for pointer, item in zip(pointers, items, strict=True):
            out.objects.append((pointer, provider(item)))
        return out
    if kind == "policy-states":
        for pointer, item in zip(pointers, items, strict=True):
            out.objects.append((pointer, policy_state(item)))
        return out
    if kind == "resource-skus":
        by_location: dict[str, list[Any]] = {}
        for item in items:
            where = place.location if place else _sku_location(item)
            by_location.setdefault(where or "", []).append(item)
        if "" in by_location:
            out.problem = "resource SKUs that name no region (no locations[])"
            return out
        for loc, skus in sorted(by_location.items()):
            at = Place(place.subscription if place else None, loc, "Microsoft.Compute", "skus",
                       place.page if place else 1)
            out.objects.append((pointers[0].rsplit("/", 1)[0] if pointers else "", sku_page(skus, at)))
        return out
    if place is None and kind == "ml-usages":
        place = _ml_place(items)
    if place is None:
        out.problem = (
            "a usage list does not say its region: read it from a recording, or save "
            "`az vm list-usage --location L` as .../locations/L/usages.json"
        )
        return out
    for pointer, item in zip(pointers, items, strict=True):
        if kind == "compute-usages":
            out.objects.append((pointer, compute_usage(item, place)))
            continue
        obj = ml_usage(item, place)
        if obj is None:
            out.skipped.append(SkippedItem(pointer, "a workspace's or compute's share of an Azure ML usage "
                                           "(counted in the subscription's own usage of the region)"))
        else:
            out.objects.append((pointer, obj))
    return out


def _ml_place(items: list[Any]) -> Place | None:
    """Azure ML usages say their region themselves (`amlWorkspaceLocation`, the 2025-12-01 Usage
    definition) and their subscription in their ids: a list of one region and one subscription
    needs no path to be placed."""
    regions = {str(i.get("amlWorkspaceLocation") or "").replace(" ", "").lower() for i in items}
    subs = {(re.match(r"/subscriptions/([0-9A-Fa-f-]{36})/", str(i.get("id") or "")) or [None, None])[1]
            for i in items}
    if len(regions) != 1 or "" in regions or len(subs) != 1:
        return None
    sub = next(iter(subs))
    return Place(sub.lower() if sub else None, next(iter(regions)), "Microsoft.MachineLearningServices", "usages")


def _sku_location(item: dict[str, Any]) -> str | None:
    locs = item.get("locations")
    return str(locs[0]).lower() if isinstance(locs, list) and len(locs) == 1 and isinstance(locs[0], str) else None


def _counter(item: dict[str, Any]) -> str:
    name = item.get("name")
    value = name.get("value") if isinstance(name, dict) else name
    return str(value) if value else "unnamed"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "unnamed"


def compute_usage(item: dict[str, Any], place: Place) -> dict[str, Any]:
    counter = _counter(item)
    return {"id": f"{place.list_id}/{_slug(counter)}", "type": COMPUTE_USAGES, "name": counter,
            "location": place.location, "properties": item}


def ml_usage(item: dict[str, Any], place: Place) -> dict[str, Any] | None:
    """A subscription-level ML usage counter, or None for a workspace's or compute's share."""
    rid = str(item.get("id") or "")
    if "/workspaces/" in rid.lower():
        return None
    kind = str(item.get("type") or "").split("/")[1] if "/" in str(item.get("type") or "") else "usages"
    counter = _counter(item)
    return {"id": f"{place.list_id}/{_slug(kind)}/{_slug(counter)}", "type": ML_USAGES, "name": counter,
            "location": place.location, "properties": item}


def sku_page(skus: list[Any], place: Place) -> dict[str, Any]:
    rid = place.list_id if place.page <= 1 else f"{place.list_id}/page-{place.page}"
    return {"id": rid, "type": SKUS, "name": f"{place.location}" + (f" page {place.page}" if place.page > 1 else ""),
            "location": place.location, "properties": {"value": skus}}


def provider(item: dict[str, Any]) -> dict[str, Any]:
    ns = str(item["namespace"])
    return {"id": f"/providers/{ns}", "type": PROVIDERS, "name": ns, "properties": item}


def policy_state(item: dict[str, Any]) -> dict[str, Any]:
    """One (assignment, definition, reference) state of one resource, its fields as properties."""
    key = "|".join(str(item.get(k) or "").lower()
                   for k in ("policyAssignmentId", "policyDefinitionId", "policyDefinitionReferenceId"))
    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    return {"id": f"{str(item['resourceId']).rstrip('/')}/providers/{POLICY_STATES}/{name}", "type": POLICY_STATES,
            "name": name, "properties": item}


def items_of(data: Any, ptr: str = "") -> tuple[list[Any], list[str]] | None:
    """The elements of a fact document and their JSON pointers: a list page, a bare array (`az`
    output), or a single provider object."""
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        return data["value"], [f"{ptr}/value/{i}" for i in range(len(data["value"]))]
    if isinstance(data, list):
        return data, [f"{ptr}/{i}" for i in range(len(data))]
    if is_provider(data):
        return [data], [ptr]
    return None
