"""Markdown summary: the gate, pillar scores and top findings, for `$GITHUB_STEP_SUMMARY`,
Azure DevOps build summaries and pull-request comments.

It is a summary, not the full report: findings are capped (the JSON, SARIF and HTML reports
have them all) so the text stays far below GitHub's 1 MiB step-summary limit and readable in a
comment. Text from the scanned files (resource names, values, messages that quote them) is
escaped, so a template cannot inject links, HTML or table breaks into the summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mlwaf.engine import ScanResult
from mlwaf.model import Finding, Pillar, Status
from mlwaf.report import skipped

EXTENSION = "md"
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


def _score_row(label: str, block: dict[str, Any]) -> list[str]:
    c = block.get("counts", {})
    return [
        label,
        _num(block.get("score")),
        _pct(block.get("coverage")),
        str(c.get("pass", 0)),
        str(c.get("fail", 0)),
        str(c.get("unknown", 0) + c.get("error", 0)),
        str(c.get("suppressed", 0)),
    ]


def _where(f: Finding) -> str:
    if not f.location.path:
        return ""
    return esc(f.location.path + (f":{f.location.line}" if f.location.line else ""))


def _more(total: int, shown: int) -> list[str]:
    return ["", f"… and {total - shown} more in the full report."] if total > shown else []


def render(result: ScanResult) -> str:
    gate = result.gate or {}
    scores = result.scores or {}
    decision = "internal-error" if gate.get("exit_code") == 4 else gate.get("decision", "")
    lines = [f"## mlwaf: gate {_DECISION.get(decision, esc(decision))}", ""]
    files = sum(1 for s in result.scanned if s.kind != "skipped")
    lines.append(
        f"{len(result.inventory)} resources from {files} files, {len(result.checks)} checks, "
        f"{len(result.findings)} findings; exit code {gate.get('exit_code', '-')}."
    )
    if gate.get("reasons"):
        lines += ["", "**Why:**", ""] + [f"- {esc(r['message'])}" for r in gate["reasons"]]
    for note in gate.get("notes", []):
        lines += ["", f"_{esc(note)}_"]

    lines += ["", "### Pillar scores", ""]
    rows = [_score_row(Pillar(p).label, scores.get("pillars", {}).get(p, {})) for p in (x.value for x in Pillar)]
    rows.append(["**" + c + "**" for c in _score_row("Overall", scores.get("overall", {}))])
    lines += _table(
        ["Pillar", "Score", "Coverage", "Pass", "Fail", "Unknown", "Suppressed"], rows, "lrrrrrr"
    )
    lines += [
        "",
        "Score: weighted share of passed checks (high 5, medium 3, low 1). Coverage: share of checks "
        "that could be assessed (not UNKNOWN).",
    ]

    scopes = scores.get("scopes", [])
    if scopes:
        shown = scopes[:TOP_SCOPES]
        lines += ["", "### Scores by scope", ""]
        lines += _table(
            ["Scope", "Name", "Resources", "Score", "Coverage", "Fail"],
            (
                [
                    s["kind"].replace("_", " "),
                    esc(s["name"]),
                    str(s.get("resources", 0)),
                    _num(s["overall"].get("score")),
                    _pct(s["overall"].get("coverage")),
                    str(s["overall"].get("counts", {}).get("fail", 0)),
                ]
                for s in shown
            ),
            "llrrrr",
        )
        lines += _more(len(scopes), len(shown))

    failed = [f for f in result.findings if f.status == Status.FAIL and not f.suppressed]
    failed.sort(key=lambda f: (f.in_baseline, -f.severity.rank, f.check_id, f.resource.key))
    lines += ["", f"### Top findings ({len(failed)} failed, not suppressed)", ""]
    if failed:
        shown_f = failed[:TOP_FINDINGS]
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
                for f in shown_f
            ),
            "lllll" + ("l" if has_baseline else ""),
        )
        lines += _more(len(failed), len(shown_f))
    else:
        lines.append("No failed checks.")

    lines += _suppression_lines(result)
    lines += _baseline_lines(result)
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
    return "\n".join(lines) + "\n"


def _suppression_lines(result: ScanResult) -> list[str]:
    lines: list[str] = []
    suppressed = [f for f in result.findings if f.suppressed]
    expired = [f for f in result.findings if not f.suppressed and f.suppression_expires]
    info = result.suppressions or {}
    if expired:
        lines += ["", f"### ⚠️ Expired suppressions ({len(expired)} findings no longer suppressed)", ""]
        lines += _bullets(expired, lambda f: f"{esc(f.check_id)} on {esc(f.resource.name)}: expired "
                          f"{esc(f.suppression_expires)} ({esc(f.suppression_reason)}; {esc(f.suppression_source)})")
    if suppressed:
        lines += ["", f"### Suppressed ({len(suppressed)})", ""]
        lines += _table(
            ["Check", "Resource", "Status", "Reason", "Source", "Expires"],
            (
                [
                    esc(f.check_id),
                    esc(f.resource.name),
                    f.status.value,
                    esc(f.suppression_reason),
                    esc(f.suppression_source),
                    esc(f.suppression_expires) or "-",
                ]
                for f in suppressed[:TOP_LIST]
            ),
            "llllll",
        )
        lines += _more(len(suppressed), min(len(suppressed), TOP_LIST))
    stale = [r for r in info.get("rules", []) if r.get("expired") and not r.get("matched")]
    if stale:
        lines += ["", f"### Expired suppressions that match no finding ({len(stale)}; remove them)", ""]
        lines += _bullets(stale, lambda r: f"{esc(r['source'])}: {esc(r['check'])} (expired {esc(r.get('expires'))})")
    invalid = info.get("invalid", [])
    if invalid:
        lines += ["", f"### Inline suppressions not understood ({len(invalid)}; not applied)", ""]
        lines += _bullets(invalid, lambda i: esc(i["message"]))
    return lines


def _baseline_lines(result: ScanResult) -> list[str]:
    b = result.baseline
    if not b:
        return []
    fixed = b.get("fixed", [])
    lines = [
        "",
        "### Baseline",
        "",
        f"{b.get('known', 0)} known findings, {b.get('new', 0)} new, {len(fixed)} fixed "
        f"(baseline {esc(b.get('path'))}, {b.get('recorded', 0)} recorded).",
    ]
    if fixed:
        lines += ["", *_bullets(fixed, lambda x: f"{_entry(x)}: was {x['was']}, now {esc(x['now'])}")]
    moved = b.get("moved", [])
    if moved:
        lines += ["", f"Carried over from a moved template ({len(moved)}; re-create the baseline to record it):", ""]
        lines += _bullets(moved, lambda x: f"{_entry(x)}, now in {esc(x['now_in'])}")
    return lines


def _entry(x: dict[str, Any]) -> str:
    """A baseline entry: check, resource and, for a template's resource, its deployment."""
    where = f" in {esc(x['deployment'])}" if x.get("deployment") else ""
    return f"{esc(x['check_id'])} on {esc(x['resource_id'])}{where}"


def _bullets(items: Sequence[Any], line: Callable[[Any], str]) -> list[str]:
    """The first TOP_LIST items as a bullet list, and how many more the full report has."""
    return [f"- {line(x)}" for x in items[:TOP_LIST]] + _more(len(items), min(len(items), TOP_LIST))
