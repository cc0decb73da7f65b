"""The `mlwaf diff` command and the `mlwaf history` sub-app (registered in mlwaf.cli).

Exit codes are the scan's (mlwaf.gate). diff: 0 compared, 1 `--fail-on-new` found findings that
got worse, 2 usage or input error (a file that is not an mlwaf JSON report), 3 one of the runs
was incomplete, so some findings could only be reported as not assessed (`--allow-incomplete`
downgrades it); when several apply: 2, then 1, then 3. history: 0 done, 2 usage or input error
(a bad history file, report, time or option, or pandas missing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mlwaf.exit_codes import ExitCode

SEVERITIES = ("high", "medium", "low")


def _err(message: str) -> None:
    typer.echo(f"mlwaf: error: {message}", err=True)


def _write(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        typer.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def _print_table(printer: Callable[..., None], data: object, output: Path | None) -> None:
    """A rich table on the console, or as plain text in a file."""
    from rich.console import Console

    if output is None or str(output) == "-":
        printer(data, Console())
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as fh:
        printer(data, Console(file=fh, width=160, no_color=True))


def diff(
    old: Annotated[Path, typer.Argument(help="The earlier run's JSON report.")],
    new: Annotated[Path, typer.Argument(help="The later run's JSON report.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json, markdown, html or csv.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file ('-': stdout).")] = None,
    fail_on_new: Annotated[
        str | None,
        typer.Option("--fail-on-new", help="Exit 1 when a finding of this severity or higher is new or regressed "
                     "(high, medium or low); findings that were already failing never count."),
    ] = None,
    allow_incomplete: Annotated[
        bool, typer.Option("--allow-incomplete", help="Exit 0 rather than 3 when a run could not assess everything.")
    ] = False,
    still_failing: Annotated[
        bool, typer.Option("--still-failing", help="List the findings failing in both runs too (else they are "
                           "counted per severity; the new report lists them).")
    ] = False,
) -> None:
    """Compare two runs: findings new, regressed (PASS to FAIL), fixed, still failing; severity
    changes; resources added and removed; score deltas per pillar and scope."""
    from mlwaf.history import diff as diffing
    from mlwaf.history import diff_output
    from mlwaf.history.reading import load
    from mlwaf.history.runreport import ReportError

    if fmt not in diff_output.FORMATS:
        _err(f"--format takes {', '.join(diff_output.FORMATS)}, not {fmt!r}")
        raise typer.Exit(ExitCode.USAGE)
    if fail_on_new is not None and fail_on_new.lower() not in SEVERITIES:
        _err(f"--fail-on-new takes {', '.join(SEVERITIES)}, not {fail_on_new!r}")
        raise typer.Exit(ExitCode.USAGE)
    with diffing.collector_paused():
        try:
            result = diffing.compute(load(old), load(new), still_failing=still_failing)
        except ReportError as err:
            _err(str(err))
            raise typer.Exit(ExitCode.USAGE) from None
        if fmt == "table":
            _print_table(diff_output.print_table, result, output)
        else:
            _write(diff_output.render(result, fmt), output)
    if fail_on_new is not None and (worse := result.worse(fail_on_new.lower())):
        typer.echo(f"mlwaf: diff gate failed: {len(worse)} finding(s) at {fail_on_new.lower()} or higher are new "
                   "or regressed:", err=True)
        for f in worse[:20]:
            typer.echo(f"  {f.severity} {f.check_id} {f.resource_id} ({f.change}, was {f.was})", err=True)
        if len(worse) > 20:
            typer.echo(f"  ... and {len(worse) - 20} more", err=True)
        raise typer.Exit(ExitCode.GATE_FAILED)
    if result.incomplete and not allow_incomplete:
        typer.echo("mlwaf: a run was incomplete: findings where it could not look are 'not assessed', not fixed "
                   "(exit 3; --allow-incomplete exits 0)", err=True)
        raise typer.Exit(ExitCode.INCOMPLETE)
    raise typer.Exit(ExitCode.OK)


# --- mlwaf history ----------------------------------------------------------------------------
app = typer.Typer(
    help="Scheduled audits: keep runs in a history file (SQLite), then trends, open findings, time to fix and "
    "digests.",
    no_args_is_help=True,
)
HISTORY = typer.Option("--history", help="The history file (SQLite, one file; created by the first import).")
SINCE = typer.Option("--since", help="Only runs at or after this time (ISO 8601 or a date).")
UNTIL = typer.Option("--until", help="Only runs at or before this time (ISO 8601 or a date).")
SCOPE = typer.Option("--scope", help="Only this subscription, resource group or workspace (an ARM id).")
FORMAT = typer.Option("--format", "-f", help="table, json, csv, markdown or html.")
OUTPUT = typer.Option("--output", "-o", help="Write to this file ('-': stdout).")


@contextmanager
def _usage_errors() -> Iterator[None]:
    """A bad history file, report, time or missing extra: one line, exit 2."""
    from mlwaf.history.runreport import ReportError
    from mlwaf.history.schema import HistoryError

    try:
        yield
    except (HistoryError, ReportError) as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None


def _times(reports: list[Path], at: str | None, mtime: bool) -> list[tuple[int, Path, str | None, str]]:
    """(epoch, file, time to give append or None, where the time came from), oldest first."""
    from mlwaf.history import reading, store
    from mlwaf.history.schema import HistoryError

    untimed = [p for p in reports if reading.generated_at(p) is None]
    if at is not None and len(untimed) > 1:
        raise HistoryError(f"--at gives one time, but {len(untimed)} reports have none (made with --reproducible): "
                           "import them one at a time, or use --mtime")
    if untimed and at is None and not mtime:
        raise HistoryError(f"{untimed[0]} has no time (made with --reproducible): give its time with --at TIME, "
                           "or --mtime to use the file's modification time")
    out: list[tuple[int, Path, str | None, str]] = []
    for path in reports:
        stamp = reading.generated_at(path)
        if stamp is not None:
            out.append((store.to_epoch(stamp), path, None, store.AT_REPORT))
        elif at is not None:
            out.append((store.to_epoch(at), path, at, "--at"))
        else:
            moment = store.iso(int(path.stat().st_mtime))
            out.append((store.to_epoch(moment), path, moment, store.AT_MTIME))
    return sorted(out, key=lambda t: t[0])


@app.command("import")
def import_reports(
    reports: Annotated[list[Path], typer.Argument(help="JSON reports of earlier runs, in any order.")],
    history: Annotated[Path, HISTORY],
    at: Annotated[str | None, typer.Option("--at", help="The run's time, for one report made with --reproducible "
                                           "(it has none of its own).")] = None,
    mtime: Annotated[bool, typer.Option("--mtime", help="Reports with no time of their own (--reproducible) "
                                        "take their file's modification time.")] = False,
) -> None:
    """Seed a history from archived runs: each report is appended at its own time (generated_at),
    oldest first; one already in the history is skipped."""
    from mlwaf.history import store
    from mlwaf.scan import batch_gc

    with _usage_errors():
        ordered = _times(reports, at, mtime)
        with store.History(history) as hist, batch_gc():
            for _epoch, path, given, origin in ordered:
                result = store.append(path, hist, at=given,
                                      at_source=store.AT_MTIME if origin == store.AT_MTIME else store.AT_GIVEN)
                if result.skipped:
                    typer.echo(f"{path}: skipped ({result.skipped})")
                    continue
                typer.echo(
                    f"{path}: run {result.run} at {result.at} (time from {origin}): {result.opened} new, "
                    f"{result.reopened} failing again, {result.fixed} fixed, {result.removed} gone with their "
                    f"resource, {result.unseen} not assessed (kept open); {result.open} open; resources "
                    f"+{result.resources_added} -{result.resources_removed}"
                )


def _table_command(compute: Callable[..., Any], title: str, history: Path, since: str | None, until: str | None,
                   scope: str | None, fmt: str, output: Path | None, console: dict[str, str] | None = None) -> None:
    from mlwaf.history import analysis, store, tables

    if fmt not in tables.FORMATS:
        _err(f"--format takes {', '.join(tables.FORMATS)}, not {fmt!r}")
        raise typer.Exit(ExitCode.USAGE)
    with _usage_errors():
        if not history.is_file():
            raise analysis.HistoryError(f"{history}: no such history file (`mlwaf history import` creates one)")
        window = analysis.Window.parse(since, until, scope)
        with store.History(history) as hist:
            frame = compute(hist, window)
    if fmt == "table":
        _print_table(lambda f, out: tables.print_table(f, title, out, console), frame, output)
    else:
        _write(tables.render(frame, fmt, title), output)


@app.command("trend")
def trend(
    history: Annotated[Path, HISTORY],
    since: Annotated[str | None, SINCE] = None,
    until: Annotated[str | None, UNTIL] = None,
    scope: Annotated[str | None, SCOPE] = None,
    fmt: Annotated[str, FORMAT] = "table",
    output: Annotated[Path | None, OUTPUT] = None,
) -> None:
    """Per run: scores and coverage per pillar, open findings per severity, what was not assessed,
    policy compliance per assignment."""
    from mlwaf.history import analysis

    def compute(hist: Any, window: Any) -> Any:
        return analysis.trend(hist, window).reset_index()

    _table_command(compute, "mlwaf trend", history, since, until, scope, fmt, output, analysis.TREND_CONSOLE)


@app.command("open")
def open_findings(
    history: Annotated[Path, HISTORY],
    since: Annotated[str | None, typer.Option("--since", help="Only findings first seen at or after this time.")]
    = None,
    until: Annotated[str | None, typer.Option("--until", help="As of the last run at or before this time.")] = None,
    scope: Annotated[str | None, SCOPE] = None,
    fmt: Annotated[str, FORMAT] = "table",
    output: Annotated[Path | None, OUTPUT] = None,
) -> None:
    """Open findings with their age, oldest first."""
    from mlwaf.history import analysis

    _table_command(analysis.open_findings, "mlwaf open findings", history, since, until, scope, fmt, output,
                   analysis.OPEN_CONSOLE)


@app.command("mttr")
def mttr(
    history: Annotated[Path, HISTORY],
    since: Annotated[str | None, typer.Option("--since", help="Only fixes seen at or after this time.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only fixes seen at or before this time.")] = None,
    scope: Annotated[str | None, SCOPE] = None,
    fmt: Annotated[str, FORMAT] = "table",
    output: Annotated[Path | None, OUTPUT] = None,
) -> None:
    """Time to fix per severity and pillar: from the first run that saw a finding fail to the first
    run that saw it fixed."""
    from mlwaf.history import analysis

    _table_command(analysis.mttr, "mlwaf time to fix (days)", history, since, until, scope, fmt, output)


@app.command("prune")
def prune(
    history: Annotated[Path, HISTORY],
    older_than: Annotated[str, typer.Option("--older-than", help="Forget runs this long before the latest run "
                                            "(e.g. 400d, 8w) and what ended by then.")],
) -> None:
    """Forget old runs; findings still open keep their first-seen time."""
    from mlwaf.history import analysis, store

    with _usage_errors():
        if not history.is_file():
            raise analysis.HistoryError(f"{history}: no such history file")
        seconds = analysis.days(older_than)
        with store.History(history) as hist:
            result = store.prune(hist, seconds)
    typer.echo(f"{history}: runs before {result.cutoff or '-'} pruned: {result.runs_deleted} deleted, "
               f"{result.runs_kept_as_start} kept as the start of open spans; {result.spans_deleted} spans deleted; "
               f"{result.bytes_before:,} -> {result.bytes_after:,} bytes")


@app.command("digest")
def digest(
    history: Annotated[Path, HISTORY],
    output: Annotated[Path | None, OUTPUT] = None,
) -> None:
    """A short Markdown of what changed since the previous run, for a chat channel or an issue."""
    from mlwaf.history import analysis, store
    from mlwaf.history import digest as digesting

    with _usage_errors():
        if not history.is_file():
            raise analysis.HistoryError(f"{history}: no such history file")
        with store.History(history) as hist:
            text = digesting.render(hist)
    _write(text, output)
