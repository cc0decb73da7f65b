"""Quotas and capacity: regional vCPU usage and limits per VM family (Compute usages), the resource
SKUs offered in the estate's regions (zones, restrictions for the subscription), and the Azure ML
usages and quotas (cluster and endpoint cores count against ML's own quota, not the VM quota).

Resource Graph has no table for these, so they are ARM lists through the SDK clients' pipelines
(azure-mgmt-compute, azure-mgmt-machinelearningservices): four calls per subscription and region
the estate uses, whatever the number of workspaces there. What they return is turned into resources
by mlwaf.sources.azure_facts, the same code a replay and an offline `az vm list-usage` /
`az vm list-skus` read go through.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlwaf.model import Resource
from mlwaf.sources import azure_facts
from mlwaf.sources.live.collectors import Collected, Session, read_list
from mlwaf.sources.live.options import API_COMPUTE_USAGES, API_ML, API_RESOURCE_SKUS

READS = (azure_facts.COMPUTE_USAGES.lower(), azure_facts.SKUS.lower(), azure_facts.ML_USAGES.lower(),
         "microsoft.machinelearningservices/vmfamily/quotas")
# Where capacity matters: the regions of these types are asked about.
CONSUMERS = (
    "microsoft.machinelearningservices/workspaces",
    "microsoft.machinelearningservices/workspaces/computes",
    "microsoft.machinelearningservices/workspaces/onlineendpoints/deployments",
    "microsoft.compute/virtualmachines",
    "microsoft.compute/virtualmachinescalesets",
    "microsoft.containerservice/managedclusters",
)


def regions(resources: Sequence[Resource], subscriptions: Sequence[str]) -> list[tuple[str, str]]:
    """(subscription, region) pairs the estate uses, in a stable order."""
    wanted = {s.lower() for s in subscriptions}
    out: set[tuple[str, str]] = set()
    for r in resources:
        loc = r.raw.get("location")
        sub = (r.origin.subscription or "").lower()
        if r.type_key in CONSUMERS and isinstance(loc, str) and loc and sub in wanted:
            out.add((sub, loc.replace(" ", "").lower()))
    return sorted(out)


def collect(session: Session, subscriptions: Sequence[str], resources: Sequence[Resource]) -> Collected:
    calls = []
    for sub, loc in regions(resources, subscriptions):
        base = f"/subscriptions/{sub}/providers"
        calls += [
            ("VM usage and quota", session.clients.compute, f"{base}/Microsoft.Compute/locations/{loc}/usages",
             API_COMPUTE_USAGES, "", None),
            ("resource SKUs", session.clients.compute, f"{base}/Microsoft.Compute/skus", API_RESOURCE_SKUS,
             f"?$filter=location eq '{loc}'", f"{base}/Microsoft.Compute/locations/{loc}/skus"),
            ("Azure ML usage", session.clients.ml, f"{base}/Microsoft.MachineLearningServices/locations/{loc}/usages",
             API_ML, "", None),
            ("Azure ML quotas", session.clients.ml, f"{base}/Microsoft.MachineLearningServices/locations/{loc}/quotas",
             API_ML, "", None),
        ]
    session.progress.grow(len(calls))

    def one(call: tuple) -> Collected:  # type: ignore[type-arg]
        source, client, path, version, query, record_as = call
        got = Collected()
        scope = path.split("/providers/")[0]
        pages, error = read_list(session, source, client, path, version, scope=scope, record_as=record_as,
                                 query=query)
        for reply, file, number in pages:
            items = reply.data.get("value") or []
            place = azure_facts.place_of(record_as or path)
            kind = azure_facts.kind_of(items)
            if place is not None and kind is not None:
                place = azure_facts.Place(place.subscription, place.location, place.namespace, place.what, number)
                facts = azure_facts.build(kind, items, place, [f"/value/{i}" for i in range(len(items))])
                got.resources.extend(session.resource(obj, file, pointer, "list-page", version, reply.request)
                                     for pointer, obj in facts.objects)
            else:  # quotas carry their own ids and types, as any list page's resources
                got.resources.extend(
                    session.resource(item, file, f"/value/{i}", "list-page", version, reply.request)
                    for i, item in enumerate(items)
                    if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("type"), str))
        if error is not None:
            got.errors.append(error)
        else:
            got.listed.add(record_as or path)
        return got

    out = Collected(collected=set(READS))
    for part in session.parallel(one, calls):
        out.add(part)
    return out
