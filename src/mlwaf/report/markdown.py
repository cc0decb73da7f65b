"""Markdown summary: the gate, pillar scores, top findings and Azure Policy results, for `$GITHUB_STEP_SUMMARY`,
Azure DevOps build summaries and pull-request comments.

It is a summary, not the full report: findings are capped (the JSON, SARIF and HTML reports
have them all) so the text stays far below GitHub's 1 MiB step-summary limit and readable in a
comment. Text from the scanned files (resource names, values, messages that quote them) is
escaped, so a template cannot inject links, HTML or table breaks into the summary.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlwaf.baseline import Entry
from mlwaf.exit_codes import ExitCode
from mlwaf.model import Finding, Pillar, Status
from mlwaf.report import Reporter, ReportOptions, Whole, skipped
from mlwaf.report import policy_results as shown
from mlwaf.results import ScanResult
from mlwaf.scoring import Score

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyResult

TOP_FINDINGS = 25
TOP_SCOPES = 20
TOP_LIST = 20
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&#!])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TRIGGER = re.compile(r"([@#])(?=[\w-])")
_DECISION = {
    "passed": "✅ passed",
    "failed": "❌ failed",
    "incomplete": "⚠️ passed, scan incomplete",
    "error": "❌ nothing assessed",
    "internal-error": "❌ mlwaf failed, scan incomplete",
}


def esc(text: Any) -> str:
    """Inline-safe Markdown text: punctuation backslash-escaped, one line, and `@name` and `#123`
    broken by a zero-width space after the `@` or `#`. GitHub finds mentions and issue references
    after rendering, so a backslash does not stop them, and a resource named `@platform-team`
    or `fix-#12` in a pull-request comment would notify a team or link an issue."""
    if text is None:
        return ""
    text = _TRIGGER.sub("\\1\u200b", " ".join(_CONTROL.sub("\ufffd", str(text)).split()))
    return _SPECIAL.sub(r"\\\1", text)


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:g}%"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str) -> list[str]:
    """A GitHub table; `align` has one letter per column: l (left) or r (right)."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _score_row(label: str, block: Score) -> list[str]:
    c = block.counts
    return [
        label, _num(block.score), _pct(block.coverage), str(c.passed), str(c.failed), str(c.unknown + c.error),
        str(c.suppressed),
    ]


def _where(f: Finding) -> str:
    if not f.location.path:
        return ""
    return esc(f.location.path + (f":{f.location.line}" if f.location.line else ""))


def _more(total: int, shown: int) -> list[str]:
    return ["", f"… and {total - shown} more in the full report."] if total > shown else []


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    lines = _heading(result) + _scores(result) + _top_findings(result) + _policy(result)
    lines += _suppression_lines(result)
    lines += _baseline_lines(result)
    lines += _gaps(result)
    return "\n".join(lines) + "\n"


def _heading(result: ScanResult) -> list[str]:
    gate = result.gate
    decision = "internal-error" if gate.exit_code == ExitCode.INTERNAL else gate.decision.value
    files = sum(1 for s in result.scanned if s.kind != "skipped")
    lines = [f"## mlwaf: gate {_DECISION.get(decision, esc(decision))}", ""]
    lines.append(
        f"{len(result.inventory)} resources from {files} files, {len(result.checks)} checks, "
        f"{len(result.findings)} findings; exit code {int(gate.exit_code)}."
    )
    if result.merge is not None:
        lines += ["", _merged(result.merge.to_dict())]
    if gate.reasons:
        lines += ["", "**Why:**", ""] + [f"- {esc(r.message)}" for r in gate.reasons]
    for note in gate.notes:
        lines += ["", f"_{esc(note)}_"]
    return lines


def _merged(note: Mapping[str, Any]) -> str:
    """How a merged report was judged, in one line: per part, a reader must see that the checks
    reading related resources kept each part's verdicts."""
    parts = len(note["parts"])
    if note["judged"] == "per part":
        return (f"**Merged per part:** {parts} reports, each part's verdicts kept, not judged again as one scan "
                f"({esc(note['reason'])}); {len(note['related_checks'])} checks that read related resources may "
                "differ from a single scan.")
    carried = note.get("carried_errors")
    more = f"; {carried} not-assessed entries carried from the parts" if carried else ""
    return f"_Merged: {parts} reports, judged again as one scan of their inputs{more}._"


def _scores(result: ScanResult) -> list[str]:
    scores = result.scores
    lines = ["", "### Pillar scores", ""]
    rows = [_score_row(p.label, scores.pillar(p)) for p in Pillar]
    rows.append(["**" + c + "**" for c in _score_row("Overall", scores.overall)])
    lines += _table(["Pillar", "Score", "Coverage", "Pass", "Fail", "Unknown", "Suppressed"], rows, "lrrrrrr")
    lines += [
        "",
        "Score: weighted share of passed checks (high 5, medium 3, low 1). Coverage: share of checks "
        "that could be assessed (not UNKNOWN).",
    ]
    if scores.scopes:
        shown = scores.scopes[:TOP_SCOPES]
        lines += ["", "### Scores by scope", ""]
        lines += _table(
            ["Scope", "Name", "Resources", "Score", "Coverage", "Fail"],
            (
                [s.kind.value.replace("_", " "), esc(s.name), str(s.resources), _num(s.overall.score),
                 _pct(s.overall.coverage), str(s.overall.counts.failed)]
                for s in shown
            ),
            "llrrrr",
        )
        lines += _more(len(scores.scopes), len(shown))
    return lines


def _top_findings(result: ScanResult) -> list[str]:
    failed = [f for f in result.findings if f.status == Status.FAIL and not f.suppressed]
    failed.sort(key=lambda f: (f.in_baseline, -f.severity.rank, f.check_id, f.resource.key))
    lines = ["", f"### Top findings ({len(failed)} failed, not suppressed)", ""]
    if not failed:
        return [*lines, "No failed checks."]
    shown = failed[:TOP_FINDINGS]
    has_baseline = result.baseline is not None
    header = ["Severity", "Check", "Resource", "Where", "Message"] + (["New"] if has_baseline else [])
    lines += _table(
        header,
        (
            [
                f.severity.value,
                f"{esc(f.check_id)} {esc(f.title)}",
                esc(f.resource.name),
                _where(f),
                esc(f.message),
                *(["known" if f.in_baseline else "**new**"] if has_baseline else []),
            ]
            for f in shown
        ),
        "lllll" + ("l" if has_baseline else ""),
    )
    return lines + _more(len(failed), len(shown))


def _policy(result: ScanResult) -> list[str]:
    """Azure Policy, when evaluated: what Azure would deny, compliance per assignment, the
    non-compliant resources (those that count first), what could not be evaluated or decided."""
    report = result.policy
    if report is None:
        return []
    summary = report.summary()
    labels = report.labels()
    results = shown.ordered(report.results)
    failing = [r for r in results if r.failing]
    counted = sum(1 for r in failing if shown.counted(r))
    lines = ["", "### Azure Policy", "", f"Compliance {_pct(summary['compliance_percent'])} of "
             f"{summary['resources']['total']} resources; {len(failing)} non-compliant results ({counted} not "
             f"suppressed or in the baseline), {summary['would_deny']} would be denied at deployment."]
    denied = [r for r in results if r.would == "deny"]
    if denied:
        lines += ["", f"#### ⛔ Would be denied at deployment ({len(denied)})", ""]
        lines += _policy_table(denied[:TOP_LIST], labels, with_would=False)
        lines += _more(len(denied), min(len(denied), TOP_LIST))
    lines += ["", "#### Compliance per assignment", ""]
    lines += _table(
        ["Assignment", "Source", "Enforcement", "Compliance", "Resources", "Non-compliant", "Would deny",
         "Not evaluated"],
        (
            [esc(entry["display_name"] + ("" if labels[a.id] == a.name else f" ({labels[a.id]})")), esc(a.source),
             esc(a.enforcement_mode), _pct(entry["compliance_percent"]),
             str(entry["resources"]["total"]), str(entry["resources"]["NonCompliant"] + entry["resources"]["Error"]),
             str(entry["would_deny"]), str(entry["not_evaluated"])]
            for a, entry in zip(report.assignments, summary["assignments"], strict=True)
        ),
        "lllrrrrr",
    )
    if failing:
        failing.sort(key=lambda r: not shown.counted(r))  # stable: the listing order within each
        lines += ["", f"#### Non-compliant resources ({len(failing)})", ""]
        lines += _policy_table(failing[:TOP_FINDINGS], labels, with_would=True)
        lines += _more(len(failing), min(len(failing), TOP_FINDINGS))
    unknown = [r for r in results if r.state.value == "Unknown"]
    if unknown:
        lines += ["", f"#### Could not be decided ({len(unknown)})", ""]
        lines += _bullets(unknown, lambda r: f"{esc(shown.title(r))} on {esc(r.resource.name)}: {esc(r.reason)}"
                          + (f" ({esc(r.expression)})" if r.expression and r.expression not in r.reason else ""))
    if report.not_evaluated:
        lines += ["", f"#### Not evaluated ({len(report.not_evaluated)} definitions)", ""]
        lines += _bullets(report.not_evaluated, lambda n: f"{esc(shown.title(n))}: {esc(n.reason)}")
    return lines


def _policy_table(results: Sequence[PolicyResult], labels: dict[str, str], with_would: bool) -> list[str]:
    header = ["Policy", "Assignment", *(["Would"] if with_would else []), "Resource", "Where", "Why", "Note"]
    return _table(
        header,
        (
            [f"{esc(shown.title(r))}", esc(labels.get(r.assignment_id, r.assignment)),
             *([esc(r.would or "-")] if with_would else []),
             esc(r.resource.name), esc(shown.where(r)), esc(shown.why(r)), esc(shown.mark(r))]
            for r in results
        ),
        "l" * len(header),
    )


def _gaps(result: ScanResult) -> list[str]:
    """What the scan could not see: summarized findings, types not collected, inputs not read or skipped."""
    lines: list[str] = []
    if result.omitted is not None:
        o = result.omitted
        lines += ["", f"_Summarized: {o.total} PASS and NOT_APPLICABLE findings are counted in the scores, not "
                  f"listed ({o.expected} findings is above the detail limit of {o.limit})._"]
    if result.not_collected:
        lines += ["", f"### Not collected by the live scan ({len(result.not_collected)} resource types)", ""]
        lines += _bullets(result.not_collected, lambda g: f"{esc(g.type)}: {esc(g.reason)} (checks "
                          f"{esc(', '.join(g.checks))})")
    if result.errors:
        lines += ["", f"### Inputs not read ({len(result.errors)})", ""]
        lines += _bullets(result.errors, lambda e: f"{esc(e.path)}: {esc(e.message)}")
    passed_over = skipped(result)
    if passed_over:
        lines += ["", f"### Inputs skipped ({len(passed_over)})", ""]
        lines += _bullets(passed_over, lambda s: f"{esc(s.where)}: {esc(s.reason)}")
    return lines


def _suppression_lines(result: ScanResult) -> list[str]:
    lines: list[str] = []
    marked = [(f, f.suppression) for f in result.findings if f.suppression is not None]
    suppressed = [(f, m) for f, m in marked if m.active]
    expired = [(f, m) for f, m in marked if not m.active]
    if expired:
        lines += ["", f"### ⚠️ Expired suppressions ({len(expired)} findings no longer suppressed)", ""]
        lines += _bullets(expired, lambda fm: f"{esc(fm[0].check_id)} on {esc(fm[0].resource.name)}: expired "
                          f"{esc(_day(fm[1].expires))} ({esc(fm[1].reason)}; {esc(fm[1].source)})")
    if suppressed:
        lines += ["", f"### Suppressed ({len(suppressed)})", ""]
        lines += _table(
            ["Check", "Resource", "Status", "Reason", "Source", "Expires"],
            (
                [esc(f.check_id), esc(f.resource.name), f.status.value, esc(m.reason), esc(m.source),
                 esc(_day(m.expires)) or "-"]
                for f, m in suppressed[:TOP_LIST]
            ),
            "llllll",
        )
        lines += _more(len(suppressed), min(len(suppressed), TOP_LIST))
    stale = [use.rule for use in result.suppressions.stale]
    if stale:
        lines += ["", f"### Expired suppressions that match no finding ({len(stale)}; remove them)", ""]
        lines += _bullets(stale, lambda r: f"{esc(r.source)}: {esc(r.names)} (expired {esc(_day(r.expires))})")
    invalid = result.suppressions.invalid
    if invalid:
        lines += ["", f"### Inline suppressions not understood ({len(invalid)}; not applied)", ""]
        lines += _bullets(invalid, lambda i: esc(i.message))
    return lines


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _baseline_lines(result: ScanResult) -> list[str]:
    b = result.baseline
    if b is None:
        return []
    lines = [
        "",
        "### Baseline",
        "",
        f"{b.known} known findings, {b.new} new, {len(b.fixed)} fixed "
        f"(baseline {esc(b.path)}, {b.recorded} recorded).",
    ]
    if b.fixed:
        lines += ["", *_bullets(b.fixed, lambda x: f"{_entry(x.entry)}: was {x.entry.status}, now {esc(x.now)}")]
    if b.moved:
        lines += ["", f"Carried over from a moved template ({len(b.moved)}; re-create the baseline to record it):", ""]
        lines += _bullets(b.moved, lambda x: f"{_entry(x.entry)}, now in {esc(x.now_in)}")
    return lines


def _entry(x: Entry) -> str:
    """A baseline entry: check, resource and, for a template's resource, its deployment."""
    where = f" in {esc(x.deployment)}" if x.deployment else ""
    return f"{esc(x.check_id)} on {esc(x.resource_id)}{where}"


def _bullets(items: Sequence[Any], line: Callable[[Any], str]) -> list[str]:
    """The first TOP_LIST items as a bullet list, and how many more the full report has."""
    return [f"- {line(x)}" for x in items[:TOP_LIST]] + _more(len(items), min(len(items), TOP_LIST))


REPORTER: Reporter = Whole(render)
