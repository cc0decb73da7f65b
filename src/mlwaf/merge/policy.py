"""The `policy` sections of several reports as one PolicyReport, rebuilt from their entries.

Each part evaluated the same assignments of the whole scope (the merge refuses parts that differ
there: a policy declared in one part's templates would have judged every part's resources in a
single scan), and those Azure assigns at its subscriptions and management groups, on its own
resources. The merge lists every assignment once (first seen); a result is per (assignment,
definition, resource), so the merged results are the parts' results, and the summary
(per-resource rollups, compliance as the portal computes it) is computed again by PolicyReport
from them. Not-applicable pairs are counts, and add up; not-evaluated entries are per definition
and reason, and are listed once.

Order: assignments as the parts met them; results per policy (first seen across the parts), then
resource type, then resource in the merged inventory's order, as an evaluation runs. A single
scan orders its assignments and policies by its plan, which a report does not record, so the
merged order may differ from a single scan's where parts met them differently (the sets, the
summary's figures, the gate and every count are the same; tests compare them as sets).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mlwaf.merge import rebuild
from mlwaf.model import Resource
from mlwaf.policy.effects import Change
from mlwaf.policy.fields import MISSING
from mlwaf.policy.model import Assignment
from mlwaf.policy.plan import NotEvaluated
from mlwaf.policy.results import AzureState, PolicyReport, PolicyResult, State
from mlwaf.policy.scope import Seen


def assignment(item: Mapping[str, Any]) -> Assignment:
    return Assignment(id=item.get("id") or item["name"], name=item["name"], definition_id=item["definition_id"],
                      scope=item.get("scope", ""), display_name=item.get("display_name", ""),
                      enforcement_mode=item.get("enforcement_mode", "Default"), source=item.get("source", ""))


def seen(item: Mapping[str, Any]) -> Seen:
    ((operator, expected),) = (item.get("condition") or {"": None}).items()
    if "expression" in item:
        value: Any = rebuild.unresolved(item["expression"])
    elif item.get("present") is False:
        value = MISSING
    else:
        value = item.get("value")
    result = item.get("result")
    return Seen(field=item["field"], path=item.get("path", ""), value=value, operator=operator, expected=expected,
                result=result if isinstance(result, bool) else rebuild.unresolved("unknown"))


def change(item: Mapping[str, Any]) -> Change:
    return Change(operation=item["operation"], field=item["field"], path=item["path"], before=item.get("before"),
                  after=item.get("after"), applied=bool(item.get("applied")), note=item.get("note", ""))


def result(item: Mapping[str, Any], r: Resource) -> PolicyResult:
    out = PolicyResult(
        assignment=item["assignment"], assignment_id=item.get("assignment_id") or item["assignment"],
        definition_id=item["definition_id"], definition_name=item["definition_name"],
        display_name=item["display_name"], category=item["category"], effect=item["effect"],
        state=State(item["state"]), would=item.get("would"), resource=r, reason=item["reason"],
        evidence=tuple(seen(s) for s in item.get("evidence", ())),
        changes=tuple(change(c) for c in item.get("changes", ())),
        reference_id=item.get("reference_id"), initiative_id=item.get("initiative_id"),
        request=item.get("evaluated_as") == "request", message=item.get("message"),
        expression=item.get("expression"), suppression=rebuild.mark(item),
        azure=AzureState(item["azure"]["state"], item["azure"].get("at")) if item.get("azure") else None,
    )
    _locate(out, item.get("location") or {})
    return out


def _locate(res: PolicyResult, loc: Mapping[str, Any]) -> None:
    """Teach the resource's locator where this result's evidence lies, so `res.location` (computed
    from the evidence, as in a scan) gives the report's line and column again."""
    r = res.resource
    for s in res.evidence:
        if s.path and s.path not in ("type", "name", "id"):
            positions = r.locator
            if isinstance(positions, rebuild.Positions):
                positions.at.setdefault(r.pointer_for(s.path), (loc.get("line"), loc.get("column")))
            return


def merged(sections: Sequence[tuple[Mapping[str, Any], Callable[[Mapping[str, Any]], Resource | None]]],
           order: Mapping[str, int]) -> PolicyReport:
    """The parts' policy sections as one report: `sections` pairs each part's section with how
    to find a result's resource in the merged inventory (None: a resource left out as a
    duplicate of another part's); `order` is each resource uid's place in that inventory."""
    assignments: dict[str, Mapping[str, Any]] = {}
    for section, _ in sections:
        for a in section.get("assignments", ()):
            assignments.setdefault(repr(sorted(a.items())), a)
    report = PolicyReport(assignments=[assignment(a) for a in assignments.values()])
    policies: dict[tuple[str, str, str | None], int] = {}
    results: list[tuple[int, str, int, PolicyResult]] = []
    not_evaluated: dict[tuple[Any, ...], NotEvaluated] = {}
    for section, find in sections:
        for item in section.get("results", ()):
            r = find(item)
            if r is None:
                continue
            res = result(item, r)
            key = (res.assignment_id, res.definition_id, res.reference_id)
            at = policies.setdefault(key, len(policies))
            results.append((at, r.type_key, order[r.uid], res))
        for item in section.get("not_evaluated", ()):
            n = NotEvaluated(item["definition_id"], item["assignment"], item["reason"], item.get("reference_id"),
                             item.get("display_name", ""), item.get("assignment_id") or item["assignment"])
            not_evaluated.setdefault((n.assignment_id, n.definition_id, n.reference_id, n.reason), n)
        for a in (section.get("summary") or {}).get("assignments", ()):
            counted = int((a.get("results") or {}).get("NotApplicable", 0))
            report.not_applicable[a.get("assignment_id") or a["assignment"]] += counted
    results.sort(key=lambda t: t[:3])
    report.results = [t[3] for t in results]
    report.not_evaluated = list(not_evaluated.values())
    return report
