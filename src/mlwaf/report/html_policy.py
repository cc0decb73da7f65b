"""The HTML report's Azure Policy view: what Azure would deny (first), compliance per assignment
and per initiative as the portal computes it, the non-compliant resources of each policy with the
conditions evaluated and the values seen, and what was not evaluated or could not be decided,
with why.

Rendered on the server (templates/policy.html.j2, included by the report) from plain values:
Jinja2 escapes every one, and the view needs no script: its sections are native `<details>`
elements, opened and closed from the keyboard. A policy's resources are listed up to
ROWS_PER_POLICY; the JSON report holds them all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from mlwaf.report import policy_results as shown

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyResult
    from mlwaf.results import ScanResult

ROWS_PER_POLICY = 200
# The findings' status styles, by policy state.
STATE_CLASS = {"NonCompliant": "FAIL", "Error": "ERROR", "Unknown": "UNKNOWN", "Exempt": "NOT_APPLICABLE",
               "Compliant": "PASS"}


def _band(percent: float | None) -> str:
    if percent is None:
        return "none"
    return "good" if percent >= 80 else "fair" if percent >= 50 else "poor"


def _row(r: PolicyResult, labels: dict[str, str]) -> dict[str, Any]:
    mark = r.suppression
    return {
        "policy": r.display_name or r.definition_name,
        "definition": r.definition_name,
        "help": shown.help_uri(r.definition_id) or "",
        "assignment": labels.get(r.assignment_id, r.assignment),
        "effect": r.effect,
        "state": r.state.value,
        "state_label": shown.STATE_LABEL[r.state.value],
        "state_class": STATE_CLASS[r.state.value],
        "would": r.would or "",
        "name": r.resource.name,
        "type": r.resource.type,
        "id": r.resource.id,
        "where": shown.where(r),
        "as": "deployment request" if r.request else "resource",
        "reason": r.reason,
        "message": r.message or "",
        "expression": r.expression or "",
        "evidence": shown.evidence(r),
        "changes": shown.changes(r),
        "suppressed": (mark.reason or "suppressed") if mark is not None and mark.active else "",
        "suppression_source": mark.source if mark is not None and mark.active else "",
        "in_baseline": r.in_baseline,
        "azure": r.azure.to_dict() if r.azure is not None else None,
    }


def _groups(failing: list[PolicyResult], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Non-compliant results per assignment and policy (a definition, or a member of an
    initiative), the policies with most resources first."""
    by_policy: dict[tuple[str, str, str], list[PolicyResult]] = defaultdict(list)
    for r in failing:
        by_policy[(r.assignment_id, r.definition_id.lower(), (r.reference_id or "").lower())].append(r)
    groups: list[dict[str, Any]] = []
    for results in by_policy.values():
        first = results[0]
        groups.append({
            "policy": first.display_name or first.definition_name,
            "definition": first.definition_name,
            "help": shown.help_uri(first.definition_id) or "",
            "assignment": labels.get(first.assignment_id, first.assignment),
            "effect": first.effect,
            "count": len(results),
            "deny": sum(1 for r in results if r.would == "deny"),
            "counted": sum(1 for r in results if shown.counted(r)),
            "rows": [_row(r, labels) for r in results[:ROWS_PER_POLICY]],
            "more": max(0, len(results) - ROWS_PER_POLICY),
        })
    groups.sort(key=lambda g: (-g["deny"], -g["count"], g["policy"].lower(), g["assignment"]))
    return groups


def view(result: ScanResult) -> dict[str, Any] | None:
    """What templates/policy.html.j2 renders; None when the scan evaluated no policy."""
    report = result.policy
    if report is None:
        return None
    summary = report.summary()
    by_id = {a.id: a for a in report.assignments}
    labels = report.labels()
    assignments = []
    for entry in summary["assignments"]:
        a = by_id[entry["assignment_id"]]
        resources = entry["resources"]
        assignments.append({
            "name": a.name,
            "display_name": entry["display_name"],
            "source": a.source,
            "scope": a.scope or "/",
            "enforcement": a.enforcement_mode,
            "percent": entry["compliance_percent"],
            "band": _band(entry["compliance_percent"]),
            "resources": resources["total"],
            "compliant": resources["Compliant"],
            "non_compliant": resources["NonCompliant"] + resources["Error"],
            "exempt": resources["Exempt"],
            "unknown": resources["Unknown"],
            "would_deny": entry["would_deny"],
            "not_evaluated": entry["not_evaluated"],
        })
    initiatives = [
        {"assignment": labels[i["assignment_id"]],
         "display_name": by_id[i["assignment_id"]].display_name or i["assignment"],
         "id": i["initiative_id"], "percent": i["compliance_percent"], "band": _band(i["compliance_percent"])}
        for i in summary["initiatives"]
    ]
    results = shown.ordered(report.results)
    failing = [r for r in results if r.failing]
    return {
        "percent": summary["compliance_percent"],
        "band": _band(summary["compliance_percent"]),
        "resources": summary["resources"]["total"],
        "results": len(report.results),
        "failing": len(failing),
        "counted": sum(1 for r in failing if shown.counted(r)),
        "assignments": assignments,
        "initiatives": initiatives,
        "deny": [_row(r, labels) for r in results if r.would == "deny"],
        "groups": _groups(failing, labels),
        "unknown": [_row(r, labels) for r in results if r.state.value == "Unknown"],
        "not_evaluated": [
            {"policy": n.display_name or n.definition_id.rsplit("/", 1)[-1], "definition": n.definition_id,
             "assignment": labels.get(n.assignment_id, n.assignment), "reason": n.reason}
            for n in report.not_evaluated
        ],
        "azure": any(r.azure is not None for r in report.results),
    }
