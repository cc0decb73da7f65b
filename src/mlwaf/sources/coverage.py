"""What a live scan collects, derived from the loaded checks, and what it does not (with why).

A check judges the resources of its `resource_types` and reads others through the inventory (the
related types its `@reads` declares: a workspace's computes, a VM's extensions). A live scan sees
only what it asks Azure for, so a type no call collects would silently never be judged: virtual
machine scale sets were targeted by seven checks and never collected. Here the two are held
against each other:

- Resource Graph holds every top-level ARM resource, so each top-level type a loaded check needs
  is added to the Graph query (with the child types Graph is known to hold);
- workspace children Graph does not hold are listed per workspace (`WORKSPACE_LISTS`), and
  diagnostic settings are listed for the types whose checks read them;
- anything else a check needs is *not collected*: listed in every report of a live scan (and of
  its replay) with the reason, never a silent gap.

Offline on purpose (no Azure import): the CLI plans the live scan with it, and a replay reports
the same gaps from what its recording says was collected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwaf import resource_types as T

if TYPE_CHECKING:
    from mlwaf.check import CheckSpec

WORKSPACES = T.WORKSPACE.lower()
DIAGNOSTIC_SETTINGS = T.DIAGNOSTIC_SETTINGS.lower()

# Types read from Azure Resource Graph whatever the checks: the estate's own types, and the
# relations checks and scores follow (private endpoints, autoscale settings, replications).
GRAPH_TYPES: tuple[str, ...] = tuple(t.lower() for t in (
    T.WORKSPACE, T.ONLINE_ENDPOINT, T.ONLINE_DEPLOYMENT, T.BATCH_ENDPOINT, T.BATCH_DEPLOYMENT, T.REGISTRY, T.STORAGE,
    T.KEY_VAULT, T.CONTAINER_REGISTRY, T.ACR_REPLICATION, T.APP_INSIGHTS, T.COGNITIVE, T.VM, T.VMSS, T.AKS,
    T.PRIVATE_ENDPOINT, T.AUTOSCALE,
))
# Child types Resource Graph holds, added to the query when a check needs them.
GRAPH_CHILD_TYPES: frozenset[str] = frozenset(t.lower() for t in (
    T.VM_EXTENSION, T.ACR_REPLICATION, T.ONLINE_ENDPOINT, T.ONLINE_DEPLOYMENT, T.BATCH_ENDPOINT, T.BATCH_DEPLOYMENT,
))
# Workspace children Resource Graph does not hold, listed per workspace: (what, path segment).
WORKSPACE_LISTS: tuple[tuple[str, str], ...] = (
    ("computes", "computes"),
    ("connections", "connections"),
    ("datastores", "datastores"),
    ("schedules", "schedules"),
)
LISTED_TYPES: frozenset[str] = frozenset(
    {f"{WORKSPACES}/{segment}" for _, segment in WORKSPACE_LISTS} | {f"{WORKSPACES}/outboundrules"}
)
# Resources whose diagnostic settings are read when no check list is given (the types with
# checks about logs); each costs one call per resource, so only the types a check reads them for.
DIAGNOSTIC_TYPES: tuple[str, ...] = tuple(t.lower() for t in (T.WORKSPACE, T.ONLINE_ENDPOINT, T.REGISTRY, T.COGNITIVE))
# Types Resource Graph keeps in other tables than `resources` (authorizationresources, ...) or that
# ARM lists return (usages, SKUs): read by the collectors of sources/live/facts.py, never through
# the inventory's `resources` query.
FACT_TYPES: frozenset[str] = frozenset({
    "microsoft.authorization/roleassignments", "microsoft.authorization/roledefinitions",
    "microsoft.advisor/recommendations", "microsoft.security/assessments",
    "microsoft.policyinsights/policystates", "microsoft.authorization/policyassignments",
    "microsoft.authorization/policyexemptions", "microsoft.authorization/policydefinitions",
    "microsoft.authorization/policysetdefinitions", "microsoft.compute/locations/usages", "microsoft.compute/skus",
    "microsoft.machinelearningservices/locations/usages", "microsoft.resources/providers",
    "microsoft.machinelearningservices/vmfamily/quotas", "microsoft.resources/subscriptions",
})
FACTS_NOT_RUN = ("read by the collectors of what Azure already knows (sources/live/facts.py: Resource Graph "
                 "authorizationresources, usages and SKUs); this scan or recording did not run them (a recording "
                 "made before they did)")
# Needed by a check, deliberately not collected, and why.
NOT_COLLECTED: Mapping[str, str] = {
    f"{WORKSPACES}/jobs": "jobs are not listed: a workspace can hold many thousands; the checks on jobs judge "
    "them in files (exported job JSON, templates) only",
    T.AKS_POOL.lower(): "not listed: the cluster's own "
    "properties.agentPoolProfiles, which Resource Graph returns, describes every pool",
}
NO_COLLECTOR = "no live collector reads this type (Resource Graph does not hold it as a resource and no list is made)"


@dataclass(frozen=True, slots=True)
class Gap:
    """A resource type loaded checks assess or read that the live scan did not collect."""

    type: str
    reason: str
    checks: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "reason": self.reason, "checks": list(self.checks)}


def needed(checks: Iterable[CheckSpec]) -> dict[str, set[str]]:
    """Every resource type the checks assess or read (lower case) -> the ids of those checks."""
    out: dict[str, set[str]] = {}
    for spec in checks:
        for rtype in (*spec.resource_types, *(t for t in spec.reads if t)):
            out.setdefault(rtype.lower(), set()).add(spec.id)
    return out


def graph_types(checks: Iterable[CheckSpec]) -> tuple[str, ...]:
    """The Resource Graph query's types: the fixed set, then every top-level type and every
    child type Graph holds that a check needs."""
    wanted = sorted(t for t in needed(checks)
                    if (t.count("/") == 1 or t in GRAPH_CHILD_TYPES) and t not in FACT_TYPES)
    return tuple(dict.fromkeys([*GRAPH_TYPES, *wanted]))


def diagnostic_types(checks: Iterable[CheckSpec]) -> tuple[str, ...]:
    """The types whose diagnostic settings a check reads (one call per resource of them)."""
    out: list[str] = []
    for spec in checks:
        if DIAGNOSTIC_SETTINGS in spec.reads:
            out.extend(t.lower() for t in spec.resource_types)
    return tuple(dict.fromkeys(sorted(out)))


def collected(graph: Iterable[str], diagnostics: Iterable[str]) -> set[str]:
    """What a live scan with this query and these diagnostic lists collects."""
    out = {t.lower() for t in graph} | set(LISTED_TYPES)
    if any(True for _ in diagnostics):
        out.add(DIAGNOSTIC_SETTINGS)
    return out


def gaps(checks: Iterable[CheckSpec], got: Iterable[str]) -> list[Gap]:
    """The types the checks need that were not collected, each with why and by which checks."""
    have = {t.lower() for t in got}
    return [
        Gap(rtype, NOT_COLLECTED.get(rtype, FACTS_NOT_RUN if rtype in FACT_TYPES else NO_COLLECTOR),
            tuple(sorted(ids)))
        for rtype, ids in sorted(needed(checks).items())
        if rtype not in have
    ]
