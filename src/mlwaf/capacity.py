"""Quotas and capacity, as Azure reports them for a subscription and region: the resource SKUs
offered there (zones, restrictions for the subscription, vCPUs), the Compute vCPU usages per VM
family and the Azure ML compute usages (clusters, compute instances and managed online
deployments draw on Azure ML's own quota, not the Compute one: "Azure Machine Learning compute is
an exception. It has a separate quota from the core compute quota", Microsoft Learn, how to manage
quotas).

The facts come as resources (mlwaf.sources.azure_facts: a live scan, its recording, `az vm
list-skus`, `az vm list-usage`, the REST lists), grouped here by (subscription, region); an
offline export that does not say its subscription is matched on the region alone. A SKU that is
not in the region's list is "not offered" only where that list was read in full (a live scan);
elsewhere it is not known.

VM family names: the SKUs API names a size's family as the Compute usage counter does
(`standardNCADSA100v4Family`); Azure ML's counters say `Standard NCADSA100v4 Family Cluster
Dedicated vCPUs`. They are matched on the letters between `standard` and `family`,
case-insensitively; a family Azure ML names otherwise matches no counter and the check says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwaf import armid, armjson
from mlwaf.model import Evidence, Resource
from mlwaf.resource_types import COMPUTE_USAGES, ML_USAGES, ONLINE_ENDPOINT, RESOURCE_SKUS, WORKSPACE

if TYPE_CHECKING:
    from mlwaf.inventory import Inventory

SKUS = RESOURCE_SKUS
LEARN_QUOTAS = "https://learn.microsoft.com/azure/machine-learning/how-to-manage-quotas"
LEARN_SKUS = "https://learn.microsoft.com/rest/api/compute/resource-skus/list"
# Managed online deployments: "Azure Machine Learning reserves 20% of your compute resources for
# performing upgrades on some VM SKUs ... you must have a quota for ceil(1.2 * number of instances
# requested for deployment) * number of cores for the VM SKU" (Learn, how to manage quotas,
# "Virtual machine quota allocation for deployment"); the sizes exempt from the reserve, as the
# managed online endpoints SKU list names them ("Skip 20% Reservation").
UPGRADE_RESERVE = 1.2
RESERVE_EXEMPT = frozenset(s.lower() for s in (
    "Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4", "Standard_NC96ads_A100_v4", "Standard_ND96asr_v4",
    "Standard_ND96amsr_A100_v4", "Standard_ND40rs_v2",
))
_FAMILY = re.compile(r"^standard[ _]?(?P<core>.+?)[ _]?family$", re.I)
_ML_FAMILY = re.compile(r"^standard (?P<core>.+) family cluster (?P<priority>dedicated|lowpriority) vcpus$", re.I)


def family_core(name: str) -> str | None:
    """`standardNCADSA100v4Family` -> `ncadsa100v4` (and `Standard NC Family` -> `nc`)."""
    m = _FAMILY.match(name.strip())
    return m.group("core").replace(" ", "").lower() if m else None


# --- where -----------------------------------------------------------------------------------
def region_of(resource: Resource, inventory: Inventory) -> str | None:
    """The region a resource runs in: its own location, else its endpoint's or workspace's
    (a compute or deployment read without one runs where its workspace is)."""
    for candidate in (resource, inventory.ancestor(resource, ONLINE_ENDPOINT), inventory.ancestor(resource, WORKSPACE)):
        loc = candidate.location if candidate is not None else None
        if loc:
            return loc.replace(" ", "").lower()
    return None


def _place_key(fact: Resource) -> Hashable | None:
    loc = fact.location
    return ((armid.subscription_of(fact.id) or "").lower(), loc.replace(" ", "").lower()) if loc else None


def _facts(inventory: Inventory, rtype: str, resource: Resource, region: str) -> list[Resource]:
    """The facts of a type for the resource's subscription and region (or, offline, a region
    whose subscription the export did not say)."""
    index = inventory.grouped(rtype, _place_key)
    sub = (armid.subscription_of(resource.id) or "").lower()
    return list(index.get((sub, region), ())) or list(index.get(("", region), ()))


# --- SKUs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sku:
    """A VM size as the region offers it to the subscription."""

    name: str
    family: str | None
    vcpus: int | None
    zones: tuple[str, ...]  # zones offered and not restricted for the subscription
    restricted: tuple[str, ...]  # reason codes of restrictions on the whole region
    page: Resource

    def evidence(self) -> Evidence:
        return Evidence(f"{_at(self.page)}/{self.name}", {"family": self.family, "vCPUs": self.vcpus,
                                                          "zones": list(self.zones),
                                                          "restrictions": list(self.restricted)})


@dataclass(frozen=True)
class SkuLookup:
    region: str | None
    sku: Sku | None
    pages: tuple[Resource, ...]  # the region's SKU pages in the input (none: not read)
    complete: bool  # the region's list was read to its last page

    def missing(self, size: str) -> str:
        """Why the size has no SKU here, in words."""
        if self.region is None:
            return "the resource's region is not in the input"
        if not self.pages:
            return (f"the resource SKUs of {self.region} are not in the input (a live scan reads them; offline, "
                    f"`az vm list-skus --location {self.region}`)")
        return f"{size} is not among the resource SKUs read for {self.region}"


def _capability(item: dict[str, Any], name: str) -> Any:
    for cap in armjson.key(item, "capabilities", None) or []:
        if isinstance(cap, dict) and str(armjson.key(cap, "name", "")).lower() == name.lower():
            return armjson.key(cap, "value", None)
    return None


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _sku(item: dict[str, Any], region: str, page: Resource) -> Sku:
    zones: set[str] = set()
    for info in armjson.key(item, "locationInfo", None) or []:
        if isinstance(info, dict) and str(armjson.key(info, "location", "")).replace(" ", "").lower() == region:
            zones |= {str(z) for z in armjson.key(info, "zones", None) or []}
    restricted: list[str] = []
    for r in armjson.key(item, "restrictions", None) or []:
        if not isinstance(r, dict):
            continue
        kind = str(armjson.key(r, "type", "")).lower()
        info = armjson.key(r, "restrictionInfo", None) or {}
        reason = str(armjson.key(r, "reasonCode", "") or "restricted")
        if kind == "zone":
            zones -= {str(z) for z in armjson.key(info, "zones", None) or []}
        elif kind == "location":
            places = [*(armjson.key(r, "values", None) or []), *(armjson.key(info, "locations", None) or [])]
            if not places or region in {str(p).replace(" ", "").lower() for p in places}:
                restricted.append(reason)
    family = armjson.key(item, "family", None)
    return Sku(str(armjson.key(item, "name", "")), family if isinstance(family, str) else None,
               _int(_capability(item, "vCPUs")), tuple(sorted(zones)), tuple(restricted), page)


def sku_for(resource: Resource, size: str, inventory: Inventory) -> SkuLookup:
    """The VM size's SKU in the resource's region, read from the input's SKU pages."""
    region = region_of(resource, inventory)
    if region is None:
        return SkuLookup(None, None, (), False)
    pages = _facts(inventory, SKUS, resource, region)
    sub = armid.subscription_of(resource.id)
    complete = bool(pages) and all(inventory.is_listed(_list_id(p, sub)) for p in pages)
    wanted = size.lower()
    for page in pages:
        for item in armjson.key(page.properties, "value", None) or []:
            if (isinstance(item, dict) and str(armjson.key(item, "name", "")).lower() == wanted
                    and str(armjson.key(item, "resourceType", "")).lower() == "virtualmachines"):
                return SkuLookup(region, _sku(item, region, page), tuple(pages), complete)
    return SkuLookup(region, None, tuple(pages), complete)


def _at(fact: Resource) -> str:
    """Where a fact is, below its subscription (`providers/Microsoft.Compute/locations/l/skus`):
    evidence that names a list read, not a property of the judged resource."""
    tail = fact.id.split("/providers/", 1)
    return f"providers/{tail[1]}" if len(tail) == 2 else fact.id


def _list_id(page: Resource, subscription: str | None) -> str:
    """A SKU page's id without its page suffix: the list a live scan marks as read in full (an
    export that does not say its subscription stands for the resource's, as it is matched)."""
    list_id = re.sub(r"/page-\d+$", "", page.id)
    return f"/subscriptions/{subscription}{list_id}" if list_id.startswith("/providers/") and subscription else list_id


# --- usages ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Counter:
    """One usage counter: what is used and the limit (-1: none at this level)."""

    name: str
    current: int
    limit: int
    fact: Resource

    @property
    def headroom(self) -> int | None:
        return None if self.limit < 0 else self.limit - self.current

    def evidence(self) -> Evidence:
        return Evidence(_at(self.fact), {"name": self.name, "currentValue": self.current, "limit": self.limit})


def _counter(fact: Resource) -> Counter | None:
    props = fact.properties
    current, limit = _int(armjson.key(props, "currentValue", None)), _int(armjson.key(props, "limit", None))
    name = armjson.at(props, "name", "value")
    if current is None or limit is None or not isinstance(name, str):
        return None
    return Counter(name, current, limit, fact)


def ml_counters(resource: Resource, region: str, family: str, priority: str,
                inventory: Inventory) -> tuple[Counter | None, Counter | None, bool]:
    """Azure ML's counters for a VM family and priority (dedicated, low priority) in the
    resource's subscription and region: (the family's, the regional total, any usage read)."""
    facts = _facts(inventory, ML_USAGES, resource, region)
    core, low = family_core(family), priority.lower() == "lowpriority"
    total_type = "lowprioritycores" if low else "dedicatedcores"
    mine = total = None
    for fact in facts:
        counter = _counter(fact)
        if counter is None:
            continue
        kind = str(armjson.key(fact.properties, "type", "")).lower()
        m = _ML_FAMILY.match(counter.name.strip())
        if m and m.group("core").replace(" ", "").lower() == core \
                and (m.group("priority").lower() == "lowpriority") == low:
            mine = counter
        elif kind == f"microsoft.machinelearningservices/{total_type}/usages":
            total = counter
    return mine, total, bool(facts)


def reserved_instances(size: str, instances: int) -> int:
    """Instances a managed online deployment holds quota for (the upgrade reserve applied)."""
    return instances if size.lower() in RESERVE_EXEMPT else math.ceil(UPGRADE_RESERVE * instances)


def short(counters: Sequence[Counter]) -> list[str]:
    """Counters in words: `Standard NC Family Cluster Dedicated vCPUs 12/24`."""
    return [f"{c.name} {c.current}/{'no limit' if c.limit < 0 else c.limit}" for c in counters]


# --- headroom, for the report -----------------------------------------------------------------
COMPUTE_QUOTA, ML_QUOTA = "Compute", "Azure ML"
_ML_TOTALS = ("microsoft.machinelearningservices/dedicatedcores/usages",
              "microsoft.machinelearningservices/lowprioritycores/usages")


@dataclass(frozen=True)
class Headroom:
    """One quota counter of a region as the report shows it: a VM family's (or the region's total)
    usage and limit, and how many of the scanned resources run on that family. VMs and scale sets
    draw on the Compute quota, Azure ML computes and managed deployments on Azure ML's."""

    subscription: str  # "" when an export did not say it
    region: str
    quota: str  # COMPUTE_QUOTA or ML_QUOTA
    counter: str  # Azure's display name of the counter
    family: str | None  # the family's core name (`nc`, `ncadsa100v4`); None for a regional total
    current: int
    limit: int  # -1: no limit at this level
    used_by: int  # scanned resources on this family

    @property
    def headroom(self) -> int | None:
        return None if self.limit < 0 else self.limit - self.current

    def to_dict(self) -> dict[str, Any]:
        return {"subscription": self.subscription, "region": self.region, "quota": self.quota,
                "counter": self.counter, "family": self.family, "current": self.current, "limit": self.limit,
                "headroom": self.headroom, "used_by": self.used_by}


def _family_of(counter: Counter, quota: str) -> str | None:
    if quota == ML_QUOTA:
        m = _ML_FAMILY.match(counter.name.strip())
        return m.group("core").replace(" ", "").lower() if m else None
    return family_core(counter.name)


def _is_total(counter: Counter, quota: str) -> bool:
    if quota == ML_QUOTA:
        return str(armjson.key(counter.fact.properties, "type", "")).lower() in _ML_TOTALS
    return counter.name.lower() == "cores"


def headroom(inventory: Inventory, used: Sequence[tuple[Resource, str, str]]) -> list[Headroom]:
    """The quota counters worth a glance, per subscription, region and family: the families the
    scanned resources run on (`used`: resource, VM size, quota it draws on; a size's family comes
    from the region's resource SKUs; where those are not in the input, the families holding vCPUs
    already), and the regional totals of the places that have such a row. Other counters (Azure
    lists a hundred per region) are left out."""
    users: dict[tuple[str, str, str, str], set[str]] = {}
    for resource, size, quota in used:
        found = sku_for(resource, size, inventory)
        core = family_core(found.sku.family) if found.sku is not None and found.sku.family else None
        if core is None or found.region is None:
            continue
        sub = (armid.subscription_of(resource.id) or "").lower()
        users.setdefault((sub, found.region, quota, core), set()).add(resource.uid)
    # Where the region's SKUs are not in the input, no size has a known family: the counters in use stand in.
    sized = set(inventory.grouped(SKUS, _place_key))
    families: list[Headroom] = []
    totals: list[Headroom] = []
    for rtype, quota in ((COMPUTE_USAGES, COMPUTE_QUOTA), (ML_USAGES, ML_QUOTA)):
        for fact in inventory.of_type(rtype):
            counter = _counter(fact)
            if counter is None or not fact.location:
                continue
            sub, region = (armid.subscription_of(fact.id) or "").lower(), fact.location.replace(" ", "").lower()
            label = armjson.at(fact.properties, "name", "localizedValue")
            label = label if isinstance(label, str) and label else counter.name
            if _is_total(counter, quota):
                totals.append(Headroom(sub, region, quota, label, None, counter.current, counter.limit, 0))
                continue
            core = _family_of(counter, quota)
            if core is None:
                continue
            n = len(users.get((sub, region, quota, core), ()) or users.get(("", region, quota, core), ()))
            if n or (counter.current > 0 and (sub, region) not in sized):
                families.append(Headroom(sub, region, quota, label, core, counter.current, counter.limit, n))
    shown = {(h.subscription, h.region, h.quota) for h in families}
    rows = families + [t for t in totals if (t.subscription, t.region, t.quota) in shown]
    return sorted(rows, key=lambda h: (h.subscription, h.region, h.quota, h.family is not None,
                                       h.counter.lower()))
