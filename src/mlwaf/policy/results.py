"""Typed policy results and the report's `policy` section (the JSON contract of issue 14).

Per (assignment, definition, resource) one result: Compliant, NonCompliant, Exempt, Unknown
(with the unresolved expression or the list that was not read) or Error (the evaluation
failed, which Azure treats as non-compliant, and as a deny for deny policies), plus `would`:
what Azure would do with the request or resource given the effect and the enforcement mode.
Not-applicable pairs are only counted. An assignment is its resource id (scope + name): the same
name assigned at two scopes is two assignments, each with its own results and summary entry;
`assignment` keeps the name for people. The summary computes compliance the way the portal does
(compliance-states.md): per assignment, each resource takes the worst state among the
assignment's definitions (NonCompliant > Error > Compliant > Exempt > Unknown), and
compliance % = (compliant + exempt + unknown) / (compliant + exempt + unknown + non-compliant
+ error), over distinct resources.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlwaf.model import InputError, Location, Resource, SuppressionMark, policy_identity
from mlwaf.policy.effects import Change
from mlwaf.policy.model import Assignment
from mlwaf.policy.plan import NotEvaluated
from mlwaf.policy.scope import Seen


class State(enum.StrEnum):
    COMPLIANT = "Compliant"
    NONCOMPLIANT = "NonCompliant"
    EXEMPT = "Exempt"
    UNKNOWN = "Unknown"
    ERROR = "Error"


RANK = {State.NONCOMPLIANT: 5, State.ERROR: 4, State.COMPLIANT: 3, State.EXEMPT: 2, State.UNKNOWN: 1}


@dataclass(frozen=True, slots=True)
class AzureState:
    """What Azure itself holds for the same assignment, definition, reference and resource: its
    compliance state and when it evaluated it (a live scan, or its recording, read it). Set by the
    live comparison (mlwaf.azure_policy); reports show it beside mlwaf's own state."""

    state: str | None  # None: Azure holds no state for it (yet)
    at: str | None = None
    # How mlwaf's result and Azure's state differ (mlwaf.azure_policy's kinds); None: they agree,
    # or one of them has no answer to compare.
    disagreement: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "at": self.at, "disagreement": self.disagreement}


@dataclass(frozen=True, slots=True)
class PolicyResult:
    assignment: str  # the assignment's name, for people
    assignment_id: str  # its identity: the assignment's resource id (scope + name)
    definition_id: str
    definition_name: str
    display_name: str
    category: str
    effect: str
    state: State
    would: str | None
    resource: Resource
    reason: str
    evidence: tuple[Seen, ...] = ()
    changes: tuple[Change, ...] = ()
    reference_id: str | None = None
    initiative_id: str | None = None
    request: bool = False  # judged as the deployment request of a template resource
    message: str | None = None  # the assignment's non-compliance message
    expression: str | None = None  # Unknown: the unresolved expression, or the list not read
    # Annotations of the scan's passes after the evaluation, which return annotated copies
    # (dataclasses.replace), as for findings: the suppression covering the result
    # (mlwaf.suppressions), whether the baseline knows it (mlwaf.baseline), and Azure's own state.
    suppression: SuppressionMark | None = None
    in_baseline: bool = False
    azure: AzureState | None = None

    @property
    def suppressed(self) -> bool:
        """Covered by a suppression in force: accepted risk, out of the gate."""
        return self.suppression is not None and self.suppression.active

    @property
    def failing(self) -> bool:
        """NonCompliant, or an evaluation that failed (which Azure treats as non-compliant)."""
        return self.state in (State.NONCOMPLIANT, State.ERROR)

    @property
    def identity(self) -> str:
        """Stable across runs (baselines, suppressions, `mlwaf diff`): the assignment's id, the
        definition and its reference in an initiative, the normalized resource id, and for a
        template's resource its deployment (as model.identity does for findings)."""
        r = self.resource
        return policy_identity(self.assignment_id, self.definition_id, self.reference_id, r.key, r.deployment)

    @property
    def location(self) -> Location:
        """Where the first property the rule read is written (else the resource itself)."""
        return _locate(self.resource, self._located_path())

    def _located_path(self) -> str | None:
        for s in self.evidence:
            if s.path and s.path not in ("type", "name", "id"):
                return s.path
        return None

    def located(self, cache: dict[tuple[int, str | None], tuple[Resource, dict[str, Any]]]) -> dict[str, Any]:
        """`location.to_dict()`, looked up once per (resource, property path) in `cache`: a large
        assignment gives each resource many results that read the same property."""
        key = (id(self.resource), self._located_path())
        hit = cache.get(key)
        if hit is None or hit[0] is not self.resource:
            hit = cache[key] = (self.resource, _locate(self.resource, key[1]).to_dict())
        return dict(hit[1])

    def to_dict(self, located: dict[tuple[int, str | None], tuple[Resource, dict[str, Any]]] | None = None
                ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "assignment": self.assignment,
            "assignment_id": self.assignment_id,
            "definition_id": self.definition_id,
            "definition_name": self.definition_name,
            "reference_id": self.reference_id,
            "display_name": self.display_name,
            "category": self.category,
            "effect": self.effect,
            "state": self.state.value,
            "would": self.would,
            "resource_id": self.resource.id,
            "resource_type": self.resource.type,
            "resource_name": self.resource.name,
            "reason": self.reason,
            "evidence": [s.to_dict() for s in self.evidence],
            "location": self.located(located) if located is not None else self.location.to_dict(),
            "evaluated_as": "request" if self.request else "resource",
        }
        if self.changes:
            out["changes"] = [c.to_dict() for c in self.changes]
        if self.message:
            out["message"] = self.message
        if self.expression:
            out["expression"] = self.expression
        if self.initiative_id:
            out["initiative_id"] = self.initiative_id
        if self.resource.deployment is not None:
            out["deployment"] = self.resource.deployment
        if self.suppression is not None:
            out.update(self.suppression.fields())
        if self.in_baseline:
            out["in_baseline"] = True
        if self.azure is not None:
            out["azure"] = self.azure.to_dict()
        return out


def _locate(r: Resource, path: str | None) -> Location:
    if path is not None:
        pointer = r.pointer_for(path)
        line, column = r.position(pointer)
        return Location(r.origin.path, line, column, pointer)
    line, column = r.position()
    return Location(r.origin.path, line, column, r.origin.pointer)


def _percent(states: Iterable[State]) -> float | None:
    c = Counter(states)
    good = c[State.COMPLIANT] + c[State.EXEMPT] + c[State.UNKNOWN]
    total = good + c[State.NONCOMPLIANT] + c[State.ERROR]
    return round(100.0 * good / total, 1) if total else None


def rollup(results: Iterable[PolicyResult]) -> dict[str, State]:
    """Each resource's state across several results: the worst one (the portal's rule)."""
    worst: dict[str, State] = {}
    for r in results:
        key = r.resource.uid  # two templates declaring the same names are two resources
        if key not in worst or RANK[r.state] > RANK[worst[key]]:
            worst[key] = r.state
    return worst


@dataclass
class PolicyReport:
    assignments: list[Assignment] = field(default_factory=list)
    results: list[PolicyResult] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    not_applicable: Counter[str] = field(default_factory=Counter)  # assignment id -> pairs
    errors: list[InputError] = field(default_factory=list)  # policy inputs that could not be used

    def summary(self) -> dict[str, Any]:
        per_assignment = []
        by_id: dict[str, list[PolicyResult]] = {}
        for r in self.results:
            by_id.setdefault(r.assignment_id, []).append(r)
        for a in self.assignments:
            mine = by_id.get(a.id, [])
            states = rollup(mine)
            counts = Counter(states.values())
            per_assignment.append(
                {
                    "assignment": a.name,
                    "assignment_id": a.id,
                    "scope": a.scope or "/",
                    "display_name": a.display_name or a.name,
                    "definition_id": a.definition_id,
                    "compliance_percent": _percent(states.values()),
                    "resources": {s.value: counts[s] for s in State} | {"total": len(states)},
                    "results": {s.value: sum(1 for r in mine if r.state is s) for s in State}
                    | {"NotApplicable": self.not_applicable[a.id]},
                    "would_deny": sum(1 for r in mine if r.would == "deny"),
                    "not_evaluated": sum(1 for n in self.not_evaluated if n.assignment_id == a.id),
                }
            )
        initiatives = []
        for a, entry in zip(self.assignments, per_assignment, strict=True):
            if "/policysetdefinitions/" in a.definition_id.lower():
                initiatives.append(
                    {
                        "initiative_id": a.definition_id,
                        "assignment": a.name,
                        "assignment_id": a.id,
                        "compliance_percent": entry["compliance_percent"],
                    }
                )
        overall = rollup(self.results)
        return {
            "compliance_percent": _percent(overall.values()),
            "resources": {s.value: Counter(overall.values())[s] for s in State} | {"total": len(overall)},
            "would_deny": sum(1 for r in self.results if r.would == "deny"),
            "assignments": per_assignment,
            "initiatives": initiatives,
        }

    def labels(self) -> dict[str, str]:
        """assignment id -> how reports name it for people: its name, and where two assignments
        share a name (one per subscription, say), the name with its scope."""
        names = Counter(a.name.lower() for a in self.assignments)
        return {a.id: a.name if names[a.name.lower()] == 1 else f"{a.name} at {a.scope or '/'}"
                for a in self.assignments}

    def to_dict(self) -> dict[str, Any]:
        out = self.sections()
        out["results"] = list(out["results"])
        return out

    def sections(self) -> dict[str, Any]:
        """`to_dict()` with the results as an iterator that builds one result's dict at a time:
        the JSON writer streams them (every evaluable built-in on the corpus is 7,439 results,
        14 MB of JSON; the 100k estate's default assignment 204,602)."""
        located: dict[tuple[int, str | None], tuple[Resource, dict[str, Any]]] = {}
        return {
            "assignments": [a.to_dict() for a in self.assignments],
            "results": (r.to_dict(located) for r in self.results),
            "not_evaluated": [n.to_dict() for n in self.not_evaluated],
            "summary": self.summary(),
        }
