"""The HTML report: one self-contained file a person opens from disk or a CI artifact.

Design choices, and why:
- Offline and self-contained: the CSS and JavaScript are inlined, there are no fonts, images or
  CDNs, and the findings travel as JSON in a `<script type="application/json">` block. A
  Content-Security-Policy with `default-src 'none'` and hashes of the two inline blocks makes the
  browser refuse any request the page (or an injected value) would try to make.
- Safe: everything that comes from a scanned resource is data. The server-side parts go through
  Jinja2 with autoescaping; the embedded JSON escapes `<`, `>`, `&` and the JavaScript line
  separators, so no value can end the data block; the script writes values with `textContent`
  and never builds HTML from strings.
- At scale: the findings table is filtered, sorted and paginated in the page, so 20,000
  findings render one page of rows at a time.
- Accessible: real tables with captions and scoped headers, native buttons and selects for every
  control, `aria-sort` and `aria-expanded` states, a live region for the result count, and
  every colour paired with a word or a symbol.
- Deterministic: the same scan gives the same bytes; the only time-dependent text is the
  `generated_at` stamp, which `--reproducible` leaves out.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from mlwaf import __version__, links
from mlwaf.check import CheckSpec
from mlwaf.engine import Omitted
from mlwaf.model import Finding, Pillar, Resource, Severity, Status
from mlwaf.report import Reporter, ReportOptions, Whole, html_azure, html_policy
from mlwaf.report import skipped as skipped_inputs
from mlwaf.resource_types import WORKSPACE, Member
from mlwaf.results import ScanResult
from mlwaf.scoring import ScopeScore, Score

if TYPE_CHECKING:  # a JSON-only scan never loads Jinja2
    import jinja2

STATUS_ORDER = [Status.FAIL, Status.ERROR, Status.UNKNOWN, Status.PASS, Status.NOT_APPLICABLE]
STATUS_LABEL = {
    Status.FAIL: "Fail",
    Status.ERROR: "Error",
    Status.UNKNOWN: "Unknown",
    Status.PASS: "Pass",
    Status.NOT_APPLICABLE: "Not applicable",
}
UNKNOWN_EXAMPLES = 5


def embed_json(data: Any) -> str:
    """JSON that is safe inside a `<script type="application/json">` element: no `<`, `>` or `&`
    can close the element or start markup, and U+2028/2029 cannot break a parser."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("mlwaf.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _asset(name: str) -> str:
    from importlib import resources

    return resources.files("mlwaf.report").joinpath("templates", name).read_text("utf-8")


def _references(spec: CheckSpec) -> list[dict[str, str]]:
    refs = spec.references
    out = [{"label": "Docs", "text": d, "href": d} for d in refs.docs]
    out += [{"label": "Azure Policy", "text": g, "href": links.policy_definition(g)} for g in refs.azure_policy]
    out += [{"label": "PSRule for Azure", "text": n, "href": links.psrule_rule(n)} for n in refs.psrule]
    out += [{"label": "checkov", "text": c, "href": ""} for c in refs.checkov]
    return out


def _band(score: float | None) -> str:
    if score is None:
        return "none"
    return "good" if score >= 80 else "fair" if score >= 50 else "poor"


def _band_label(score: float | None) -> str:
    return {"good": "Good", "fair": "Fair", "poor": "Poor", "none": "Not assessed"}[_band(score)]


# --- per-workspace view -----------------------------------------------------------------------


def _workspace_kind(ws: Resource) -> str:
    kind = (ws.kind or "default").lower()
    return {"hub": "hub", "project": "project"}.get(kind, kind)


# --- the data the page works on ---------------------------------------------------------------


def _resource_record(r: Resource) -> dict[str, Any]:
    line, _ = r.position()
    out: dict[str, Any] = {"id": r.id, "name": r.name, "type": r.type}
    if r.origin.path:
        out["path"] = r.origin.path
    if line:
        out["line"] = line
    if r.origin.request:
        out["request"] = r.origin.request
    return out


def _finding_record(f: Finding, check_index: int, resource_index: int, workspaces: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "c": check_index,
        "r": resource_index,
        "s": f.status.value,
        "m": f.message,
        "e": [e.to_dict() for e in f.evidence],
    }
    if f.location.path:
        out["p"] = f.location.path
    if f.location.line:
        out["l"] = f.location.line
    mark = f.suppression
    if mark is not None and mark.active:
        out["x"] = mark.reason or "suppressed"
        if mark.source:
            out["xs"] = mark.source
    if f.in_baseline:
        out["b"] = 1
    if f.history is not None:  # --history: new, failing again, or open since (days)
        out["h"] = [f.history.state.value, f.history.age_days, f.history.first_seen]
    if workspaces:
        out["w"] = workspaces
    return out


def _page_data(result: ScanResult, specs: list[CheckSpec], ws_members: list[set[str]]) -> dict[str, Any]:
    check_index = {s.id: i for i, s in enumerate(specs)}
    resource_index: dict[str, int] = {}
    resources: list[dict[str, Any]] = []
    membership: dict[str, list[int]] = defaultdict(list)
    for i, members in enumerate(ws_members):
        for key in members:
            membership[key].append(i)
    findings = []
    for f in result.findings:
        if f.check_id not in check_index:
            continue
        key = f.resource.uid
        if key not in resource_index:
            resource_index[key] = len(resources)
            resources.append(_resource_record(f.resource))
        findings.append(_finding_record(f, check_index[f.check_id], resource_index[key], membership.get(key, [])))
    checks = [
        {
            "id": s.id,
            "title": s.title,
            "pillar": s.pillar.value,
            "severity": s.severity.value,
            "remediation": s.remediation,
            "rationale": s.rationale,
            "defaults": s.absent,
            "refs": _references(s),
        }
        for s in specs
    ]
    return {
        "pillars": [{"id": p.value, "title": p.label} for p in Pillar],
        "checks": checks,
        "resources": resources,
        "findings": findings,
    }


def _counts(findings: Iterable[Finding], omitted: Omitted | None) -> dict[str, Any]:
    """Status counts of the whole scan: a summarized scan's counted findings included."""
    active = [f for f in findings if not f.suppressed]
    failing = Counter(f.severity for f in active if f.status is Status.FAIL)
    status = Counter(f.status for f in active)
    if omitted is not None:
        for (_, counted), n in omitted.by_check.items():
            status[counted] += n
    return {
        "fail_by_severity": [(s.value, s.value.capitalize(), failing.get(s, 0)) for s in Severity],
        "status": [(s.value, STATUS_LABEL[s], status.get(s, 0)) for s in STATUS_ORDER],
        "suppressed": sum(1 for f in findings if f.suppressed),
        "total": sum(status.values()),
    }


def _chart(pillars: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the pillar chart: one bar per pillar for the score, a thin one for coverage."""
    label_w, bar_w, row_h, top = 205, 330, 44, 30
    rows = []
    for i, p in enumerate(pillars):
        y = top + i * row_h
        score, coverage = p["score"], p["coverage"]
        rows.append(
            {
                "title": p["title"],
                "y": y,
                "score": score,
                "coverage": coverage,
                "band": _band(score),
                "score_w": round(bar_w * (score or 0) / 100, 1),
                "coverage_w": round(bar_w * (coverage or 0) / 100, 1),
                "text_y": y + 15,
                "cov_y": y + 24,
            }
        )
    ticks = [{"x": label_w + bar_w * t / 100, "label": str(t)} for t in (0, 25, 50, 75, 100)]
    return {
        "label_w": label_w,
        "bar_w": bar_w,
        "width": label_w + bar_w + 140,
        "height": top + len(pillars) * row_h + 16,
        "rows": rows,
        "ticks": ticks,
        "axis_y": top + len(pillars) * row_h - 8,
    }


def context(result: ScanResult) -> dict[str, Any]:
    """What the template renders: every value from the scan, none of it marked safe."""
    specs = sorted(result.checks, key=lambda s: s.id)
    pillars = [_pillar(p, result.scores.pillar(p)) for p in Pillar]
    workspaces, ws_members = _workspaces(result)
    unknown = _unknown(result, {s.id: s for s in specs})
    return {
        "omitted": result.omitted.to_dict() if result.omitted is not None else None,
        "gate": {
            "decision": result.gate.decision.value,
            "exit_code": int(result.gate.exit_code),
            "reasons": [r.message for r in result.gate.reasons],
            "notes": list(result.gate.notes),
        },
        **_suppressions(result),
        "version": __version__,
        "generated_at": result.generated_at,
        "resources": len(result.inventory),
        "inputs": [
            {"path": s.path, "kind": s.kind, "resources": s.resources, "note": s.note or ""}
            for s in result.scanned
            if s.kind != "skipped"
        ],
        "skipped": [{"path": s.where, "note": s.reason} for s in skipped_inputs(result)],
        "checks": len(specs),
        "check_sources": sorted(result.check_sources.items()),
        "overall": {
            "score": result.scores.overall.score,
            "coverage": result.scores.overall.coverage,
            "band": _band(result.scores.overall.score),
            "band_label": _band_label(result.scores.overall.score),
        },
        "counts": _counts(result.findings, result.omitted),
        "pillars": pillars,
        "chart": _chart(pillars),
        "workspaces": workspaces,
        "errors": [
            {"path": e.path, "message": e.message, "scope": e.scope, "call": e.call, "status": e.status}
            for e in result.errors
        ],
        "not_collected": [g.to_dict() for g in result.not_collected or []],
        "raised": [
            {"check": f.check_id, "name": f.resource.name, "type": f.resource.type, "message": f.message}
            for f in result.findings
            if f.status is Status.ERROR
        ],
        "unknown": unknown,
        "unknown_total": sum(g["count"] for g in unknown),
        "incomplete": result.incomplete,
        "statuses": [(s.value, STATUS_LABEL[s]) for s in STATUS_ORDER],
        "severities": [(s.value, s.value.capitalize()) for s in Severity],
        "resource_types": sorted({f.resource.type for f in result.findings}, key=str.lower),
        "data": _page_data(result, specs, ws_members),
        "policy": html_policy.view(result),  # None: no policy evaluated (the view is left out)
        "azure": html_azure.view(result),  # None: the input held none of Azure's own facts
        "merge": result.merge.to_dict() if result.merge is not None else None,  # a merged report: how judged
    }


def _pillar(p: Pillar, s: Score) -> dict[str, Any]:
    return {
        "id": p.value,
        "title": p.label,
        "score": s.score,
        "coverage": s.coverage,
        "band": _band(s.score),
        "band_label": _band_label(s.score),
        "pass": s.counts.passed,
        "fail": s.counts.failed,
        "unknown": s.counts.unknown,
        "not_applicable": s.counts.not_applicable,
    }


def _workspaces(result: ScanResult) -> tuple[list[dict[str, Any]], list[set[str]]]:
    """Each workspace with the resources its score counts (scoring's members, with their role)
    and their findings; and each one's member uids, for the page's workspace filter."""
    by_resource: dict[str, Counter[str]] = defaultdict(Counter)
    for f in result.findings:
        if not f.suppressed:
            by_resource[f.resource.uid][f.status.value] += 1
    if result.omitted is not None:  # PASS and NOT_APPLICABLE findings counted, not listed
        for (key, _pillar, status, _severity), n in result.omitted.rows.items():
            by_resource[key][status.value] += n
    scopes = result.scores.workspaces()
    workspaces: list[dict[str, Any]] = []
    ws_members: list[set[str]] = []
    for ws in sorted(result.inventory.of_type(WORKSPACE), key=lambda r: (r.name.lower(), r.key, r.deployment or "")):
        scope = scopes.get(ws.uid)
        members = scope.members if scope is not None else (Member("workspace", ws),)
        ws_members.append({m.resource.uid for m in members})
        workspaces.append(_workspace(len(workspaces), ws, scope, members, by_resource))
    return workspaces, ws_members


def _workspace(
    index: int, ws: Resource, scope: ScopeScore | None, members: Iterable[Member], by_resource: dict[str, Counter[str]]
) -> dict[str, Any]:
    rows = []
    for member in members:
        m = member.resource
        counts = by_resource.get(m.uid, Counter())
        line, _ = m.position()
        source = f"{m.origin.path}:{line}" if m.origin.path and line else (m.origin.path or m.origin.request or "")
        rows.append({
            "role": member.role, "name": m.name, "type": m.type, "fail": counts.get("FAIL", 0),
            "unknown": counts.get("UNKNOWN", 0), "pass": counts.get("PASS", 0), "source": source,
        })
    overall = scope.overall if scope is not None else Score()
    return {
        "index": index,
        "name": ws.name,
        "id": ws.id,
        "kind": _workspace_kind(ws),
        "location": ws.location or "",
        "score": overall.score,
        "coverage": overall.coverage,
        "band_label": _band_label(overall.score),
        "fail": sum(r["fail"] for r in rows),
        "unknown": sum(r["unknown"] for r in rows),
        "rows": rows,
    }


def _unknown(result: ScanResult, spec_by_id: dict[str, CheckSpec]) -> list[dict[str, Any]]:
    """UNKNOWN verdicts per check, with a few examples each."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        if f.status is Status.UNKNOWN:
            groups[f.check_id].append(f)
    out = []
    for check_id in sorted(groups):
        group = groups[check_id]
        spec = spec_by_id.get(check_id)
        out.append({
            "id": check_id,
            "title": spec.title if spec else check_id,
            "count": len(group),
            "examples": [
                {"name": f.resource.name, "type": f.resource.type, "message": f.message}
                for f in group[:UNKNOWN_EXAMPLES]
            ],
            "more": max(0, len(group) - UNKNOWN_EXAMPLES),
        })
    return out


def _suppressions(result: ScanResult) -> dict[str, Any]:
    report = result.suppressions
    return {
        "suppression_rules": [
            {
                "check": use.rule.names,
                "resource": use.rule.resource,
                "reason": use.rule.reason,
                "expires": use.rule.expires.isoformat() if use.rule.expires else "",
                "source": use.rule.source,
                "matched": use.matched,
                "expired": use.expired,
            }
            for use in report.rules
        ],
        "suppressions_invalid": [{"source": i.source, "message": i.message} for i in report.invalid],
        "inline_suppressions": report.inline,
    }


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    from mlwaf.report import html_trend

    ctx = context(result)
    css = _asset("report.css")
    js = _asset("report.js")
    # With --history, the trend panel's own style and script, hashed into the policy like the others.
    trend = html_trend.context(result.history)
    trend_css = _asset("trend.css") if trend is not None else ""
    trend_js = _asset("trend.js") if trend is not None else ""
    styles = " ".join(_csp_hash(text) for text in (css, trend_css) if text)
    scripts = " ".join(_csp_hash(text) for text in (js, trend_js) if text)
    csp = (
        "default-src 'none'; "
        f"style-src {styles}; "
        f"script-src {scripts}; "
        "img-src 'none'; connect-src 'none'; font-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    data = embed_json(ctx.pop("data"))
    trend_data = embed_json([{"x": p["x"], "text": p["text"]} for p in trend["points"]]) if trend else ""
    return _environment().get_template("report.html.j2").render(
        **ctx, css=css, js=js, csp=csp, data=data, trend=trend, trend_css=trend_css, trend_js=trend_js,
        trend_data=trend_data)


REPORTER: Reporter = Whole(render)
