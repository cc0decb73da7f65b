"""The console summary: per pillar pass/fail/unknown counts, score and coverage."""

from __future__ import annotations

import datetime as dt
import sys
from typing import IO, TYPE_CHECKING, Any

from mlwaf.model import Pillar

if TYPE_CHECKING:
    from rich.console import Console

    from mlwaf.results import ScanResult
    from mlwaf.scoring import Score

# Wider than any line mlwaf writes: when the output is a CI log, rich (and click's help) would
# otherwise wrap at 80 columns and break paths, URLs, check titles and option names mid-word.
UNWRAPPED = 1_000_000
_SHOWN = 20  # lines of a list before "see the report"


def make(file: IO[str] | None = None) -> Console:
    """A rich console for `file` (default stdout) that never wraps or truncates when it is not
    a terminal: tables are as wide as their content, text lines are never broken."""
    from rich.console import Console

    out = file if file is not None else sys.stdout
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        return Console(file=out, highlight=False)
    return Console(file=out, highlight=False, width=UNWRAPPED, soft_wrap=True)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(s: Score) -> list[str]:
    c = s.counts
    return [str(c.passed), str(c.failed), str(c.unknown), str(c.not_applicable), _fmt(s.score), _fmt(s.coverage)]


def print_summary(result: ScanResult, written: list[str], file: IO[str]) -> None:
    from rich.table import Table

    console = make(file)
    sources = ", ".join(f"{n} {src}" for src, n in sorted(result.check_sources.items()))
    subscriptions = sum(1 for s in result.scanned if s.kind == "live-subscription")
    files = sum(1 for s in result.scanned if s.kind not in ("skipped", "live-subscription"))
    read_from = ", ".join(
        part for part in (
            f"{subscriptions} subscription{'s' * (subscriptions != 1)}" if subscriptions else "",
            f"{files} file{'s' * (files != 1)}" if files or not subscriptions else "",
        ) if part
    )
    console.print(
        f"mlwaf: {len(result.inventory)} resources from {read_from}, "
        f"{len(result.checks)} checks ({sources or 'none'})"
    )
    table = Table(show_edge=False)
    for col in ("pillar", "pass", "fail", "unknown", "n/a", "score", "coverage %"):
        table.add_column(col, justify="right" if col != "pillar" else "left")
    for p in Pillar:
        table.add_row(p.label, *_row(result.scores.pillar(p)))
    table.add_row("Overall", *_row(result.scores.overall), style="bold")
    console.print(table)
    if result.omitted is not None:
        console.print(
            f"[yellow]{result.omitted.total} PASS and NOT_APPLICABLE findings are counted, not listed: "
            f"{result.omitted.expected} findings is above the detail limit of {result.omitted.limit} "
            "(--detail-limit 0 lists all)[/yellow]"
        )
    _policy_lines(result, console)
    errored = result.scores.overall.counts.error
    if errored:
        console.print(f"[yellow]{errored} check runs raised an error (see the report)[/yellow]")
    _suppression_lines(result, console)
    gaps = result.not_collected or []
    _listed(console, f"{len(gaps)} resource type(s) the checks assess or read were not collected by the live scan:",
            [f"{g.type}: {g.reason} (checks {', '.join(g.checks)})" for g in gaps])
    _listed(console, f"{len(result.errors)} inputs could not be assessed:",
            [f"{e.path}: {e.message}" for e in result.errors])
    from mlwaf.report import skipped

    passed_over = skipped(result)
    _listed(console, f"{len(passed_over)} input{'s' * (len(passed_over) != 1)} skipped:",
            [f"{item.where}: {item.reason}" for item in passed_over])
    if result.history is not None:  # --history: what appending this run did
        console.print(result.history.describe(), markup=False)
    for path in written:
        console.print(f"wrote {path}", markup=False)


def _policy_lines(result: ScanResult, console: Any) -> None:
    """One line per Azure Policy assignment: compliance as the portal computes it, what would be
    denied, what was not evaluated (the reports hold every result)."""
    if result.policy is None:
        return
    labels = result.policy.labels()  # the name; with its scope where two assignments share it
    for a in result.policy.summary()["assignments"]:
        resources = a["resources"]
        percent = "-" if a["compliance_percent"] is None else f"{a['compliance_percent']:g}%"
        parts = [f"{percent} compliant", f"{resources['total']} resources",
                 f"{resources['NonCompliant'] + resources['Error']} non-compliant"]
        if a["would_deny"]:
            parts.append(f"{a['would_deny']} would be denied")
        if a["not_evaluated"]:
            parts.append(f"{a['not_evaluated']} definitions not evaluated")
        console.print(f"Azure Policy {labels[a['assignment_id']]} ({a['display_name']}): {', '.join(parts)}",
                      markup=False)


def _suppression_lines(result: ScanResult, console: Any) -> None:
    """Suppressions that stopped suppressing or were never understood: said where the person
    who wrote them looks first, not only in the reports."""
    expired = [(f, f.suppression) for f in result.findings if f.suppression is not None and not f.suppression.active]
    stale = [use.rule for use in result.suppressions.stale]
    invalid = result.suppressions.invalid
    _listed(console, f"{len(expired)} finding(s) no longer suppressed: the suppression expired",
            [f"{f.check_id} on {f.resource.name}: expired {_day(mark.expires)} ({mark.source})" for f, mark in expired])
    _listed(console, f"{len(stale)} expired suppression(s) match no finding any more (remove them):",
            [f"{r.source}: {r.names} (expired {_day(r.expires)})" for r in stale])
    _listed(console, f"{len(invalid)} inline suppression(s) not understood, not applied:",
            [i.message for i in invalid])


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _listed(console: Any, header: str, lines: list[str]) -> None:
    """A warning and its first lines, the rest counted (every report has them all)."""
    if not lines:
        return
    console.print(f"[yellow]{header}[/yellow]", markup=True)
    for line in lines[:_SHOWN]:
        console.print(f"  {line}", markup=False)
    if len(lines) > _SHOWN:
        console.print(f"  ... and {len(lines) - _SHOWN} more (see the report)")
