"""Azure Policy as it is assigned in Azure, evaluated by mlwaf on the resources Azure holds, and
held against Azure's own compliance states.

A live scan (or its recording) reads the assignments, exemptions, custom definitions and
initiatives at the scanned subscriptions and their management groups, the subscriptions'
management-group chains, Azure's policy states and the current aliases of the namespaces custom
definitions read (mlwaf.sources.live). Here:

- `inputs` turns them into what mlwaf.policy evaluates: the assignments as Azure holds them (no
  implicit assignment of an unassigned definition, no mlwaf-default), an assignment at a
  management group applying only to the scanned subscriptions below that group;
- `alias_table` puts the providers API's current aliases before the table mlwaf ships, so a
  custom definition on any type evaluates with Azure's own aliases;
- `evaluate` runs them (mlwaf.policy.run);
- `compare` holds each of mlwaf's results against Azure's state for the same assignment,
  definition, reference and resource, and reports every disagreement, never hiding one: Azure's
  evaluation may be stale (its timestamp says when), mlwaf may evaluate differently, or mlwaf may
  not be able to evaluate the definition (its reason says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlwaf import armid, armjson
from mlwaf.azure_says import POLICY, AzureSays, PolicyKey
from mlwaf.inventory import Inventory
from mlwaf.model import Resource
from mlwaf.policy import loaders, store
from mlwaf.policy.aliases import AliasTable
from mlwaf.policy.api import PolicyInputs, build_inputs, run
from mlwaf.policy.model import Assignment
from mlwaf.policy.results import AzureState, PolicyReport, PolicyResult, State

PROVIDERS = "microsoft.resources/providers"
SUBSCRIPTIONS = "microsoft.resources/subscriptions"
POLICY_STATES = "microsoft.policyinsights/policystates"
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"
# Azure's states that decide (the others: Unknown, NotStarted, Conflict... say Azure has no answer).
_DECIDED = {s.value.lower(): s for s in (State.COMPLIANT, State.NONCOMPLIANT, State.EXEMPT)}


# --- what to evaluate --------------------------------------------------------------------------
def chains(resources: Iterable[Resource]) -> dict[str, set[str]]:
    """Subscription id (lower case) -> the management groups above it (lower-case names), from
    the subscriptions' `managementGroupAncestorsChain`."""
    out: dict[str, set[str]] = {}
    for r in resources:
        if r.type_key != SUBSCRIPTIONS:
            continue
        sid = armid.subscription_of(r.id) or str(armjson.key(r.raw, "subscriptionId", "") or "")
        chain = armjson.key(r.properties, "managementGroupAncestorsChain", None)
        names = {str(armjson.key(mg, "name", "")).lower() for mg in chain or [] if isinstance(mg, dict)}
        out[sid.lower()] = names - {""}
    return out


def _below(assignment: Assignment, hierarchy: Mapping[str, set[str]]) -> Assignment:
    """An assignment at a management group excludes the scanned subscriptions that are not below
    it (as notScopes): mlwaf.policy alone takes a management group to hold everything scanned."""
    scope = armid.normalize(assignment.scope or "/")
    if not scope.startswith(_MG_PREFIX):
        return assignment
    group = scope[len(_MG_PREFIX):].split("/", 1)[0]
    outside = tuple(f"/subscriptions/{sid}" for sid, groups in sorted(hierarchy.items()) if group not in groups)
    return replace(assignment, not_scopes=(*assignment.not_scopes, *outside)) if outside else assignment


def inputs(resources: Iterable[Resource]) -> PolicyInputs:
    """The policy objects a live scan read, as mlwaf.policy evaluates them."""
    listed = list(resources)
    return _inputs(listed, loaders.from_resources(listed))


def _inputs(listed: Sequence[Resource], loaded: loaders.Loaded) -> PolicyInputs:
    out = PolicyInputs(exemptions=list(loaded.exemptions), errors=list(loaded.errors), skipped=list(loaded.skipped))
    for d in loaded.definitions:
        out.catalog.add_definition(d)
    for i in loaded.initiatives:
        out.catalog.add_initiative(i)
    hierarchy = chains(listed)
    out.assignments = [_below(a, hierarchy) for a in loaded.assignments]
    return out


def scan_inputs(resources: Sequence[Resource], *, policy_sets: Sequence[str] = (),
                policy_paths: Sequence[Path] = ()) -> PolicyInputs:
    """What a live scan (or its replay) evaluates: the policies assigned in Azure, and the sets and
    files the user named beside them. The implicit `mlwaf-default` assignment stands in only when
    neither Azure nor the user assigns anything (a subscription without assignments still gets
    mlwaf's default view); Azure's unassigned definitions are never evaluated."""
    loaded = loaders.from_resources(resources)
    azure = _inputs(resources, loaded)
    if azure.assignments and not policy_sets and not policy_paths:
        return azure
    out = build_inputs(policy_sets=policy_sets, policy_paths=policy_paths)
    for d in loaded.definitions:
        out.catalog.add_definition(d)
    for i in loaded.initiatives:
        out.catalog.add_initiative(i)
    out.assignments.extend(azure.assignments)
    out.exemptions.extend(azure.exemptions)
    out.errors.extend(azure.errors)
    out.skipped.extend(azure.skipped)
    return out


def provider_aliases(resources: Iterable[Resource]) -> dict[str, dict[str, dict[str, str]]]:
    """namespace (lower case) -> {resource type below it: {alias: path}} from the providers API's
    resources (`GET /providers/{namespace}?$expand=resourceTypes/aliases`), default paths."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for r in resources:
        if r.type_key != PROVIDERS:
            continue
        props = r.properties or r.raw
        namespace = str(armjson.key(props, "namespace", "") or r.name)
        types = out.setdefault(namespace.lower(), {})
        for rtype in armjson.key(props, "resourceTypes", None) or []:
            name = armjson.key(rtype, "resourceType", None) if isinstance(rtype, dict) else None
            if not isinstance(name, str) or not name:
                continue
            table = types.setdefault(name, {})
            for alias in armjson.key(rtype, "aliases", None) or []:
                name, path = _alias_path(alias)
                if name and path:
                    table[name] = path
    return out


def _alias_path(alias: Any) -> tuple[str | None, str | None]:
    if not isinstance(alias, dict):
        return None, None
    name = armjson.key(alias, "name", None)
    path = armjson.key(alias, "defaultPath", None)
    if not isinstance(path, str) or not path:
        paths = armjson.key(alias, "paths", None) or []
        path = next((armjson.key(p, "path", None) for p in paths if isinstance(p, dict)), None)
    return (name if isinstance(name, str) else None), (path if isinstance(path, str) else None)


def alias_table(resources: Iterable[Resource]) -> AliasTable:
    """The aliases Azure serves now (providers read by the scan) before those mlwaf ships."""
    live = provider_aliases(resources)

    def load(namespace: str) -> Mapping[str, Mapping[str, str]] | None:
        shipped = store.alias_namespace(namespace) or {}
        current = live.get(namespace.lower())
        if not current:
            return shipped
        merged: dict[str, dict[str, str]] = {t: dict(a) for t, a in shipped.items()}
        lower = {t.lower(): t for t in merged}
        for rtype, aliases in current.items():
            merged.setdefault(lower.get(rtype.lower(), rtype), {}).update(aliases)
        return merged

    return AliasTable(load)


def evaluate(resources: Sequence[Resource], inventory: Inventory, *,
             clock: Callable[[], dt.datetime] | None = None) -> PolicyReport:
    """The assigned policies of a live scan, evaluated on its inventory."""
    return run(inputs(resources), inventory, clock=clock, aliases=alias_table(resources))


# --- held against Azure's word -----------------------------------------------------------------
STATES_DIFFER = "states differ"
MLWAF_UNDECIDED = "mlwaf could not decide"
MLWAF_NO_RESULT = "mlwaf has no result"
AZURE_NO_STATE = "Azure holds no state"


@dataclass(frozen=True, slots=True)
class Disagreement:
    """mlwaf and Azure on one (assignment, definition, reference, resource), where they differ."""

    kind: str  # one of the four above
    resource_id: str
    policy: PolicyKey
    azure: str | None  # Azure's complianceState (None: Azure holds none)
    azure_at: str | None  # when Azure evaluated it
    mlwaf: str | None  # mlwaf's state (None: no result)
    why: str  # what mlwaf knows of the cause: its reason, the not-evaluated reason, Azure's age

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "resource_id": self.resource_id, **self.policy.to_dict(), "azure": self.azure,
                "azure_at": self.azure_at, "mlwaf": self.mlwaf, "why": self.why}


@dataclass(frozen=True)
class Comparison:
    """How many (assignment, definition, resource) both decided alike, and every disagreement."""

    agree: int = 0
    disagreements: tuple[Disagreement, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"agree": self.agree, "disagree": len(self.disagreements),
                "disagreements": [d.to_dict() for d in self.disagreements]}


def _key(result: PolicyResult) -> PolicyKey:
    """The result's (assignment id, definition, reference), as Azure's states name them."""
    return PolicyKey.of(result.assignment_id, result.definition_id, result.reference_id)


def compare(report: PolicyReport, said: AzureSays, inventory: Inventory) -> Comparison:
    """mlwaf's results beside Azure's policy states, for the assignments mlwaf read."""
    assigned = {armid.normalize(a.id): a for a in report.assignments}
    mine: dict[tuple[PolicyKey, str], PolicyResult] = {(_key(r), r.resource.key): r for r in report.results}
    not_evaluated = {(armid.normalize(n.assignment_id), armid.normalize(n.definition_id)): n.reason
                     for n in report.not_evaluated}
    agree, out = 0, []
    azure_seen: set[tuple[PolicyKey, str]] = set()
    for v in said.verdicts:
        if v.source != POLICY or v.policy is None or v.policy.assignment_id not in assigned:
            continue
        azure_seen.add((v.policy, v.key))
        azure_state = _DECIDED.get(v.state.lower())
        if azure_state is None:
            continue
        result = mine.get((v.policy, v.key))
        if result is None:
            reason = not_evaluated.get((v.policy.assignment_id, v.policy.definition_id)) or (
                "mlwaf found the definition not applicable to this resource (type, mode or an alias it does not know)")
            out.append(Disagreement(MLWAF_NO_RESULT, v.resource_id, v.policy, v.state, v.at, None, reason))
        elif result.state in (State.UNKNOWN, State.ERROR):
            out.append(Disagreement(MLWAF_UNDECIDED, v.resource_id, v.policy, v.state, v.at, result.state.value,
                                    result.expression or result.reason))
        elif result.state is azure_state:
            agree += 1
        else:
            out.append(Disagreement(STATES_DIFFER, v.resource_id, v.policy, v.state, v.at, result.state.value,
                                    f"mlwaf: {result.reason}; Azure evaluated it at {v.at or 'an unknown time'} "
                                    "(a change since then is not in Azure's state yet)"))
    for (key, resource_key), result in sorted(mine.items(), key=lambda kv: (kv[0][1], kv[0][0].assignment_id)):
        if (key, resource_key) in azure_seen or result.state not in (State.COMPLIANT, State.NONCOMPLIANT):
            continue
        if not inventory.type_listed(POLICY_STATES, result.resource):
            continue  # Azure's states of that subscription were not read in full: no word either way
        out.append(Disagreement(AZURE_NO_STATE, result.resource.id, key, None, None, result.state.value,
                                "Azure has not evaluated this assignment on the resource yet (a new assignment "
                                "or resource: Azure's standard evaluation cycle runs every 24 hours)"))
    out.sort(key=lambda d: (armid.normalize(d.resource_id), d.policy.assignment_id, d.policy.definition_id,
                            d.policy.reference_id, d.kind))
    return Comparison(agree, tuple(out))


def annotate(report: PolicyReport, said: AzureSays, comparison: Comparison) -> PolicyReport:
    """The report with Azure's state on each result Azure holds one for (or that Azure was found
    to hold none for), and the disagreement, if any: reports show them beside mlwaf's state."""
    states = {(v.policy, v.key): v for v in said.verdicts if v.source == POLICY and v.policy is not None}
    differ = {(d.policy, armid.normalize(d.resource_id)): d.kind for d in comparison.disagreements}
    results = []
    for r in report.results:
        key = _key(r)
        azure = states.get((key, r.resource.key))
        kind = differ.get((key, r.resource.key))
        if azure is not None or kind is not None:
            r = replace(r, azure=AzureState(azure.state if azure else None, azure.at if azure else None, kind))
        results.append(r)
    return replace(report, results=results)
