"""The HTML report's "Azure says" view: what Azure itself says about the scanned resources, beside
mlwaf's verdict on the same resource and pillar (Advisor recommendations under the pillar of
their category, Defender for Cloud's unhealthy assessments with their severity), Azure Policy's
states beside mlwaf's evaluation of the same assignment with every disagreement first, and the
quota headroom per region and VM family.

Rendered on the server (templates/azure.html.j2, included by the report when the scan's input
held any of Azure's facts) from plain values: Jinja2 escapes every one, and the view needs no
script or style of its own (native `<details>`, the report's table and status styles). Long lists
stop at ROWS; the JSON report holds them all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from mlwaf.model import Pillar, Status

if TYPE_CHECKING:
    from mlwaf.azure_report import AzureReport
    from mlwaf.azure_says import AzureVerdict
    from mlwaf.model import Finding, Resource
    from mlwaf.policy.results import PolicyResult
    from mlwaf.results import ScanResult

ROWS = 200
# Azure's states, in the findings' status styles.
STATE_CLASS = {"noncompliant": "FAIL", "unhealthy": "FAIL", "recommended": "FAIL", "compliant": "PASS",
               "healthy": "PASS", "exempt": "NOT_APPLICABLE", "notapplicable": "NOT_APPLICABLE"}
MLWAF_CLASS = {"NonCompliant": "FAIL", "Error": "ERROR", "Unknown": "UNKNOWN", "Exempt": "NOT_APPLICABLE",
               "Compliant": "PASS"}


def _said(v: AzureVerdict) -> dict[str, Any]:
    return {"source": v.source, "state": v.state, "state_class": STATE_CLASS.get(v.state.lower(), "UNKNOWN"),
            "title": v.title, "severity": v.severity or "", "at": v.at or ""}


def _verdict(findings: list[Finding]) -> dict[str, Any]:
    """mlwaf's verdict on one resource and pillar: counts, and the failing checks by id."""
    active = [f for f in findings if not f.suppressed]
    counts = Counter(f.status for f in active)
    return {"fail": counts[Status.FAIL], "unknown": counts[Status.UNKNOWN] + counts[Status.ERROR],
            "pass": counts[Status.PASS], "failing": sorted({f.check_id for f in active if f.status is Status.FAIL})}


def _pillars(result: ScanResult, azure: AzureReport) -> list[dict[str, Any]]:
    """Per pillar, each resource Advisor or Defender has a problem with: mlwaf's verdict beside."""
    findings: dict[tuple[str, Pillar], list[Finding]] = defaultdict(list)
    for f in result.findings:
        findings[(f.resource.key, f.pillar)].append(f)
    resources: dict[str, Resource] = {r.key: r for r in result.inventory.resources}
    by_pillar: dict[Pillar, dict[str, list[AzureVerdict]]] = defaultdict(lambda: defaultdict(list))
    for v in azure.says.verdicts:
        if v.policy is None and v.pillar is not None and v.problem and v.key in resources:
            by_pillar[v.pillar][v.key].append(v)
    out = []
    for p in Pillar:
        rows = []
        for key, said in sorted(by_pillar.get(p, {}).items(), key=lambda kv: (resources[kv[0]].name.lower(), kv[0])):
            r = resources[key]
            rows.append({"name": r.name, "type": r.type, "id": r.id, "mlwaf": _verdict(findings.get((key, p), [])),
                         "azure": [_said(v) for v in said]})
        if rows:
            out.append({"id": p.value, "title": p.label, "count": sum(len(r["azure"]) for r in rows),
                        "rows": rows[:ROWS], "more": max(0, len(rows) - ROWS)})
    return out


def _policy_row(r: PolicyResult) -> dict[str, Any]:
    azure = r.azure
    assert azure is not None
    return {"name": r.resource.name, "type": r.resource.type, "policy": r.display_name or r.definition_name,
            "assignment": r.assignment, "mlwaf": r.state.value, "mlwaf_class": MLWAF_CLASS[r.state.value],
            "reason": r.reason, "azure": azure.state or "", "azure_class": STATE_CLASS.get((azure.state or "").lower(),
                                                                                         "UNKNOWN"),
            "at": azure.at or "", "disagreement": azure.disagreement or ""}


def _policy(result: ScanResult, azure: AzureReport) -> dict[str, Any] | None:
    """mlwaf's policy results beside Azure's states: disagreements first, then agreements."""
    if azure.comparison is None:
        return None
    compared = [r for r in (result.policy.results if result.policy is not None else ()) if r.azure is not None]
    compared.sort(key=lambda r: (not r.azure or not r.azure.disagreement, r.resource.name.lower(), r.assignment,
                                 r.assignment_id))
    rows = [_policy_row(r) for r in compared]
    # "mlwaf has no result": no result to mark, so listed on their own.
    missing = [{"resource": d.resource_id.rsplit("/", 1)[-1], "id": d.resource_id, "assignment": d.policy.assignment_id,
                "definition": d.policy.definition_id, "azure": d.azure or "", "at": d.azure_at or "", "why": d.why}
               for d in azure.comparison.disagreements if d.mlwaf is None]
    return {"agree": azure.comparison.agree, "disagree": len(azure.comparison.disagreements), "rows": rows[:ROWS],
            "more": max(0, len(rows) - ROWS), "missing": missing[:ROWS], "missing_more": max(0, len(missing) - ROWS)}


def view(result: ScanResult) -> dict[str, Any] | None:
    """What templates/azure.html.j2 renders; None when the scan held none of Azure's facts."""
    azure = result.azure
    if azure is None:
        return None
    summary = azure.says.to_dict()["summary"]
    defender = [v for v in azure.says.verdicts if v.source == "Defender for Cloud"]
    return {
        "summary": [{"source": s, "states": sorted(c.items())} for s, c in sorted(summary.items())],
        "outside": azure.says.outside,
        "not_read": [u.to_dict() for u in azure.unread],
        "pillars": _pillars(result, azure),
        "unhealthy": sum(1 for v in defender if v.problem),
        "policy": _policy(result, azure),
        "headroom": [h.to_dict() | {"low": h.headroom is not None and h.limit > 0 and h.headroom < h.limit * 0.2}
                     for h in azure.headroom],
        "problems": sum(1 for v in azure.says.verdicts if v.problem),
    }
