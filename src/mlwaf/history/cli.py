"""The `mlwaf diff` command and the `mlwaf history` sub-app (registered in mlwaf.cli).

Exit codes are the scan's (mlwaf.gate): 0 compared, 1 `--fail-on-new` found findings that got
worse, 2 usage or input error (a file that is not an mlwaf JSON report), 3 one of the runs was
incomplete, so some findings could only be reported as not assessed (`--allow-incomplete`
downgrades it). When several apply: 2, then 1, then 3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from mlwaf.gate import EXIT_GATE_FAILED, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE

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
) -> None:
    """Compare two runs: findings new, regressed (PASS to FAIL), fixed, still failing; severity
    changes; resources added and removed; score deltas per pillar and scope."""
    from mlwaf.history import diff as diffing
    from mlwaf.history import diff_output
    from mlwaf.history.reading import load
    from mlwaf.history.runreport import ReportError
    from mlwaf.scan import batch_gc

    if fmt not in diff_output.FORMATS:
        _err(f"--format takes {', '.join(diff_output.FORMATS)}, not {fmt!r}")
        raise typer.Exit(EXIT_USAGE)
    if fail_on_new is not None and fail_on_new.lower() not in SEVERITIES:
        _err(f"--fail-on-new takes {', '.join(SEVERITIES)}, not {fail_on_new!r}")
        raise typer.Exit(EXIT_USAGE)
    try:
        with batch_gc():
            result = diffing.compute(load(old), load(new))
    except ReportError as err:
        _err(str(err))
        raise typer.Exit(EXIT_USAGE) from None
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
        raise typer.Exit(EXIT_GATE_FAILED)
    if result.incomplete and not allow_incomplete:
        typer.echo("mlwaf: a run was incomplete: findings where it could not look are 'not assessed', not fixed "
                   "(exit 3; --allow-incomplete exits 0)", err=True)
        raise typer.Exit(EXIT_INCOMPLETE)
    raise typer.Exit(EXIT_OK)
