"""`mlwaf diff` written for people and tools: a console table, JSON (every change), CSV (one row
per change), Markdown (a summary for a pull request or a chat channel) and a standalone HTML page.

JSON and CSV list every change (and the findings failing in both runs with `--still-failing`;
else those are counted per severity); the console, Markdown and HTML show the counts, the score
deltas and the first rows of each list, and say how many more the JSON holds. Every value that
comes from a resource is escaped: Markdown through `mdtext.esc`, HTML by Jinja2's autoescaping,
CSV cells against formula injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson

from mlwaf.history import mdtext
from mlwaf.history.compare import Change
from mlwaf.history.diff import RUN_SCOPE, Diff, FindingChange, ScoreDelta

FORMATS = ("table", "json", "markdown", "html", "csv")
SHOWN = 50  # rows per list in the console, Markdown and HTML
SHOWN_SCOPES = 20
_TITLES = {
    Change.NEW: "New failures",
    Change.REGRESSED: "Regressed (PASS to FAIL)",
    Change.FIXED: "Fixed",
    Change.NOT_ASSESSED: "Failing before, not assessed now (still open)",
    Change.STILL_FAILING: "Still failing",
}
LISTED = (Change.NEW, Change.REGRESSED, Change.FIXED, Change.NOT_ASSESSED)


def render(diff: Diff, fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps(diff.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
    if fmt == "csv":
        return to_csv(diff)
    if fmt == "markdown":
        return to_markdown(diff)
    if fmt == "html":
        return to_html(diff)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def top_scopes(diff: Diff, limit: int = SHOWN_SCOPES) -> list[ScoreDelta]:
    """The scope scores that moved most (overall pillar), largest change first."""
    moved = [s for s in diff.scores if s.scope_kind != RUN_SCOPE and s.pillar == "overall"]
    moved.sort(key=lambda s: (-(abs(s.delta) if s.delta is not None else 101), s.scope_kind, s.scope_id))
    return moved[:limit]


def run_scores(diff: Diff) -> list[ScoreDelta]:
    return [s for s in diff.scores if s.scope_kind == RUN_SCOPE]


# --- CSV ------------------------------------------------------------------------------------
CSV_COLUMNS = ("section", "change", "check_id", "severity", "pillar", "resource_id", "resource_type",
               "resource_name", "was", "now", "title", "message", "scope_kind", "scope_id", "before", "after",
               "delta")


def _csv_rows(diff: Diff) -> Iterable[dict[str, Any]]:
    for f in diff.findings:
        yield {"section": "finding", "change": f.change, "check_id": f.check_id, "severity": f.severity,
               "pillar": f.pillar, "resource_id": f.resource_id, "resource_type": f.resource_type,
               "resource_name": f.resource_name, "was": f.was, "now": f.now, "title": f.title,
               "message": f.message}
    for s in diff.severity_changes:
        yield {"section": "severity", "change": "severity_changed", "check_id": s.check_id, "severity": s.after,
               "title": s.title, "was": s.before, "now": s.after}
    for r in diff.resources:
        yield {"section": "resource", "change": r.change, "resource_id": r.id, "resource_type": r.type,
               "resource_name": r.name}
    for d in diff.scores:
        yield {"section": "score", "change": "score", "pillar": d.pillar, "scope_kind": d.scope_kind,
               "scope_id": d.scope_id, "resource_name": d.scope_name, "before": d.before, "after": d.after,
               "delta": d.delta}
    for p in diff.policy or ():
        yield {"section": "policy", "change": p.change, "check_id": p.definition_id, "resource_id": p.resource_id,
               "resource_type": p.resource_type, "resource_name": p.resource_name, "was": p.was, "now": p.now,
               "title": p.display_name, "message": p.reason, "scope_id": p.assignment}


def to_csv(diff: Diff) -> str:
    from mlwaf.report.csv import safe

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(diff):
        writer.writerow([safe(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


# --- Markdown -------------------------------------------------------------------------------
def _finding_md(rows: list[FindingChange]) -> list[str]:
    esc = mdtext.esc
    body = [[esc(f.severity), esc(f.check_id), esc(f.resource_name), esc(f.resource_type.rsplit("/", 1)[-1]),
             esc(f.was), esc(f.now), esc(f.message)] for f in rows[:SHOWN]]
    lines = mdtext.table(["severity", "check", "resource", "type", "was", "now", "message"], body)
    if len(rows) > SHOWN:
        lines.append(f"\n… and {len(rows) - SHOWN} more (the JSON or CSV output lists them all).")
    return lines


def to_markdown(diff: Diff) -> str:
    esc, num = mdtext.esc, mdtext.num
    counts = diff.counts()
    lines = [f"## mlwaf diff: {esc(diff.old.source or 'old')} → {esc(diff.new.source or 'new')}", ""]
    lines += mdtext.table(
        ["new", "regressed", "fixed", "still failing", "not assessed now", "resources added", "resources removed"],
        [[counts["new"], counts["regressed"], counts["fixed"], counts["still_failing"], counts["not_assessed"],
          counts["resources_added"], counts["resources_removed"]]], numeric=range(7))
    lines += ["", "### Scores", ""]
    lines += mdtext.table(["pillar", "before", "after", "change", "coverage before", "coverage after"],
                          [[esc(s.pillar), num(s.before), num(s.after), num(s.delta, signed=True),
                            num(s.coverage_before), num(s.coverage_after)] for s in run_scores(diff)],
                          numeric=(1, 2, 3, 4, 5))
    scopes = top_scopes(diff)
    if scopes:
        lines += ["", "### Scopes that moved most (overall score)", ""]
        lines += mdtext.table(["scope", "kind", "before", "after", "change"],
                              [[esc(s.scope_name), esc(s.scope_kind), num(s.before), num(s.after),
                                num(s.delta, signed=True)] for s in scopes], numeric=(2, 3, 4))
    for change in LISTED:
        rows = diff.of(change)
        if rows:
            lines += ["", f"### {_TITLES[change]} ({len(rows)})", "", *_finding_md(rows)]
    if diff.severity_changes:
        lines += ["", "### Severity changed", ""]
        lines += mdtext.table(["check", "before", "after", "failing now"],
                              [[esc(s.check_id), esc(s.before), esc(s.after), s.failing_now]
                               for s in diff.severity_changes], numeric=(3,))
    if diff.not_assessed_new or diff.not_assessed_gone:
        lines += ["", "### Coverage", ""]
        lines += [f"- not assessed now: {esc(e.get('scope') or e['path'])}: {esc(e['message'])}"
                  for e in diff.not_assessed_new[:SHOWN]]
        lines += [f"- assessed again: {esc(e.get('scope') or e['path'])}" for e in diff.not_assessed_gone[:SHOWN]]
    if diff.policy:
        lines += ["", "### Azure Policy (non-compliant results)", ""]
        lines += mdtext.table(["change", "policy", "resource", "was", "now"],
                              [[esc(p.change), esc(p.display_name or p.definition_id), esc(p.resource_name),
                                esc(p.was), esc(p.now)] for p in diff.policy if p.change != Change.STILL_FAILING][
                                  :SHOWN])
    if diff.notes:
        lines += ["", *[f"> {esc(n)}" for n in diff.notes]]
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------
def to_html(diff: Diff) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("mlwaf.history", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["num"] = mdtext.num
    template = env.get_template("diff.html.j2")
    lists = [(_TITLES[c], diff.of(c)) for c in LISTED]
    return template.render(diff=diff, counts=diff.counts(), run_scores=run_scores(diff), scopes=top_scopes(diff),
                           lists=[(t, rows) for t, rows in lists if rows], shown=SHOWN,
                           policy=[p for p in diff.policy or () if p.change != Change.STILL_FAILING])


# --- console --------------------------------------------------------------------------------
def print_table(diff: Diff, console: Any = None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    counts = diff.counts()
    summary = Table(title=f"mlwaf diff: {escape(diff.old.source or 'old')} → {escape(diff.new.source or 'new')}")
    for col in ("new", "regressed", "fixed", "still failing", "not assessed now", "resources +", "resources -"):
        summary.add_column(col, justify="right")
    summary.add_row(*(str(counts[k]) for k in ("new", "regressed", "fixed", "still_failing", "not_assessed",
                                               "resources_added", "resources_removed")))
    console.print(summary)
    scores = Table(title="Scores")
    for col in ("pillar", "before", "after", "change", "coverage before", "coverage after"):
        scores.add_column(col, justify="left" if col == "pillar" else "right")
    for s in run_scores(diff):
        scores.add_row(s.pillar, mdtext.num(s.before), mdtext.num(s.after), mdtext.num(s.delta, signed=True),
                       mdtext.num(s.coverage_before), mdtext.num(s.coverage_after))
    console.print(scores)
    for change in LISTED:
        rows = diff.of(change)
        if not rows:
            continue
        table = Table(title=f"{_TITLES[change]} ({len(rows)})")
        for col in ("severity", "check", "resource", "was", "now", "message"):
            table.add_column(col)
        for f in rows[:SHOWN]:
            table.add_row(f.severity, f.check_id, escape(f.resource_name), escape(f.was), escape(f.now),
                          escape(f.message))
        console.print(table)
        if len(rows) > SHOWN:
            console.print(f"… and {len(rows) - SHOWN} more (--format json or csv lists them all)")
    for note in diff.notes:
        console.print(f"note: {escape(note)}")
