"""The `mlwaf` command line. Exit codes: mlwaf.exit_codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mlwaf import __version__
from mlwaf.exit_codes import ExitCode
from mlwaf.history import cli as history_cli
from mlwaf.policy import cli as policy_cli

DEBUG_ENV = "MLWAF_DEBUG"
ISSUES_URL = "https://github.com/OWNER/mlwaf/issues"


app = typer.Typer(
    name="mlwaf",
    help="Azure Well-Architected checks for Azure Machine Learning and AI estates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
checks_app = typer.Typer(help="List and explain the checks.", no_args_is_help=True)
app.add_typer(checks_app, name="checks")
baseline_app = typer.Typer(help="Record today's findings so a pipeline fails only on new ones.", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline")
app.add_typer(policy_cli.app, name="policy")
app.command("diff")(history_cli.diff)
app.add_typer(history_cli.app, name="history")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlwaf {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help=f"On an internal error, print the traceback (or set {DEBUG_ENV}=1).")
    ] = False,
) -> None:
    """Scan ARM templates, exports, REST responses and Resource Graph dumps (offline), or a
    subscription (live), against the Azure Well-Architected guidance for AI/ML."""
    if debug:
        os.environ[DEBUG_ENV] = "1"


def _err(message: str) -> None:
    typer.echo(f"mlwaf: error: {message}", err=True)


def _load_registry(checks_dirs: list[Path]):  # noqa: ANN202 - registry type imported lazily
    from mlwaf import registry

    try:
        return registry.load(checks_dirs)
    except registry.CheckLoadError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None


PARAMETERS_OPTION = typer.Option(
    "--parameters", help="ARM parameter file: one deployment of the templates it is for (main.json takes "
    "main.*.json, or a template that declares all it sets); repeat to scan each environment in one run. "
    "Without it, a sibling <name>.parameters.json is used. A parameter the template does not declare is an error."
)
PARAM_OPTION = typer.Option(
    "--param", help="Template parameter value, name=value (JSON for objects and arrays); "
    "repeatable; wins over parameter files."
)


def _param_overrides(parameters_files: list[Path] | None, param: list[str] | None) -> dict[str, object]:
    """`--param name=value` pairs, after checking the `--parameters` files exist (exit 2 if not)."""
    missing_params = [str(p) for p in parameters_files or [] if not p.is_file()]
    if missing_params:
        _err(f"no such parameter file: {', '.join(missing_params)}")
        raise typer.Exit(ExitCode.USAGE)
    overrides: dict[str, object] = {}
    for item in param or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            _err(f"--param takes name=value, got {item!r}")
            raise typer.Exit(ExitCode.USAGE)
        overrides[name.strip()] = value
    return overrides


SKIP_NON_ARM_OPTION = typer.Option(
    "--skip-non-arm", help="Read the files named like files found in a folder: JSON that is not ARM (no $schema, "
    "id, type, resources, value or data) is listed as skipped, not an error, and when none of them is ARM there "
    "is nothing to assess (exit 0). For hooks that pass every changed JSON file, e.g. pre-commit."
)
EXCLUDE_OPTION = typer.Option(
    "--exclude", help="Do not read walked files or folders matching this pattern (.gitignore syntax, relative to "
    "the scanned folder); repeatable; added to exclude in mlwaf.toml and .mlwafignore files."
)
CONFIG_OPTION = typer.Option(
    "--config", help="Config file: mlwaf.toml, or pyproject.toml with a tool.mlwaf table. Default: found from "
    "the working directory up to the top of the git repository."
)
CHECKS_OPTION = typer.Option(
    "--checks", help="Run only these checks: ids, globs, pillars, severities or tags (repeatable, or "
    "comma-separated), e.g. MLW-SEC-* or security."
)
SKIP_CHECKS_OPTION = typer.Option("--skip-checks", help="Do not run these checks (same selectors as --checks).")


def _configure(  # noqa: ANN202 - ScanOptions and Config are imported lazily
    options,  # noqa: ANN001
    reg,  # noqa: ANN001
    config_file: Path | None,
    *,
    load_baseline: bool = True,
    **cli: Any,
):
    """The config file with the command line over it, applied to the scan options (exit 2 on errors)."""
    from mlwaf import config

    try:
        cfg = config.load(config_file).with_options(**cli)
        return cfg.apply(options, reg.sorted(), load_baseline=load_baseline), cfg
    except config.ConfigError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None


@app.command()
def scan(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to scan (folders are walked); none for a live scan."),
    ] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="Report format; repeat for several. Default: every format."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the (single) report to this file; '-' for stdout."),
    ] = None,
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Folder for the reports (one file per format).")
    ] = Path("reports"),
    checks_dir: Annotated[
        list[Path] | None, typer.Option("--checks-dir", help="Also load the checks in this folder.")
    ] = None,
    reproducible: Annotated[
        bool, typer.Option("--reproducible", help="Leave timestamps out, for byte-identical reports.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No console summary.")] = False,
    detail_limit: Annotated[
        int | None,
        typer.Option("--detail-limit", min=0, show_default="250000",
                     help="Above this many findings, reports list every FAIL, UNKNOWN and ERROR and count "
                     "PASS and NOT_APPLICABLE ones instead of listing them; 0 lists all. Scores and the "
                     "gate are the same either way."),
    ] = None,
    sarif_category: Annotated[
        str,
        typer.Option(
            "--sarif-category",
            help="SARIF automationDetails category, so several scans of one repository upload side by side.",
        ),
    ] = "mlwaf",
    sarif_include_pass: Annotated[
        bool, typer.Option("--sarif-include-pass", help="Also write PASS results to SARIF (kind: pass).")
    ] = False,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Gate: exit 1 on any unsuppressed FAIL of this severity or higher "
                     "(high, medium, low)."),
    ] = None,
    min_score: Annotated[
        list[str] | None,
        typer.Option("--min-score", help="Gate: exit 1 when a pillar's score (or overall) is below N: "
                     "PILLAR=N, repeatable, e.g. security=80 overall=70."),
    ] = None,
    fail_on_unknown: Annotated[
        bool | None,
        typer.Option("--fail-on-unknown/--no-fail-on-unknown",
                     help="Gate: exit 1 when any check could not be assessed (UNKNOWN or ERROR)."),
    ] = None,
    checks: Annotated[list[str] | None, CHECKS_OPTION] = None,
    skip_checks: Annotated[list[str] | None, SKIP_CHECKS_OPTION] = None,
    inline_suppressions: Annotated[
        bool | None,
        typer.Option("--inline-suppressions/--no-inline-suppressions",
                     help="Honor mlwaf-suppress tags and template metadata (default: yes). Pipelines "
                     "that must not let a template suppress itself turn this off."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="Gate only on findings not in this baseline file; report fixed ones."),
    ] = None,
    parameters_files: Annotated[list[Path] | None, PARAMETERS_OPTION] = None,
    param: Annotated[list[str] | None, PARAM_OPTION] = None,
    exclude: Annotated[list[str] | None, EXCLUDE_OPTION] = None,
    skip_non_arm: Annotated[bool, SKIP_NON_ARM_OPTION] = False,
    subscription: Annotated[
        list[str] | None,
        typer.Option("--subscription", help="Live: scan this subscription (id); repeatable.", rich_help_panel="Live"),
    ] = None,
    all_subscriptions: Annotated[
        bool, typer.Option("--all-subscriptions", help="Live: every subscription the identity can read.",
                           rich_help_panel="Live"),
    ] = False,
    management_group: Annotated[
        list[str] | None,
        typer.Option("--management-group", help="Live: every subscription below this management group.",
                     rich_help_panel="Live"),
    ] = None,
    resource_group: Annotated[
        list[str] | None,
        typer.Option("--resource-group", help="Live: only these resource groups; repeatable.", rich_help_panel="Live"),
    ] = None,
    cloud: Annotated[
        str, typer.Option("--cloud", help="Live: AzureCloud, AzureUSGovernment or AzureChinaCloud.",
                          rich_help_panel="Live"),
    ] = "AzureCloud",
    arm_endpoint: Annotated[
        str | None,
        typer.Option("--arm-endpoint", envvar="MLWAF_ARM_ENDPOINT", rich_help_panel="Live",
                     help="Live: send every call (Resource Graph too) to this ARM endpoint."),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Live: sign in to this tenant.", rich_help_panel="Live")
    ] = None,
    max_concurrency: Annotated[
        int, typer.Option("--max-concurrency", help="Live: requests in flight at most.", rich_help_panel="Live")
    ] = 16,
    time_budget: Annotated[
        float, typer.Option("--time-budget", help="Live: seconds for all calls; what is left unread is reported "
                            "as not assessed.", rich_help_panel="Live"),
    ] = 1800.0,
    record: Annotated[
        Path | None,
        typer.Option("--record", help="Live: write every response read to this (new) folder; `mlwaf scan "
                     "FOLDER` replays it offline.", rich_help_panel="Live"),
    ] = None,
    allow_incomplete: Annotated[
        bool | None,
        typer.Option("--allow-incomplete/--no-allow-incomplete", help="Exit 0 rather than 3 when some inputs or "
                     "calls could not be read (they stay in the report)."),
    ] = None,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Live: no progress bar on stderr.", rich_help_panel="Live")
    ] = False,
) -> None:
    """Scan files and folders of ARM JSON and write reports."""
    from mlwaf import report
    from mlwaf.report import output as report_output
    from mlwaf.scan import ScanOptions, batch_gc, evaluate, run_sources, select_checks
    from mlwaf.sources import ReadOptions

    paths = list(paths or [])
    live_scope = bool(subscription or all_subscriptions or management_group or resource_group or record)
    if live_scope and paths:
        _err("give files or folders to scan, or a live scope (--subscription ...), not both")
        raise typer.Exit(ExitCode.USAGE)
    if not live_scope and not paths:
        _err("give files or folders to scan, or --subscription ID / --all-subscriptions / --management-group NAME")
        raise typer.Exit(ExitCode.USAGE)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _err(f"no such file or folder: {', '.join(missing)}")
        raise typer.Exit(ExitCode.USAGE)
    formats = list(fmt or report.FORMATS)
    for name in formats:
        if name not in report.FORMATS:
            _err(f"unknown format {name!r}; choose from {', '.join(report.FORMATS)}")
            raise typer.Exit(ExitCode.USAGE)
    if output is not None and len(formats) != 1:
        _err("--output writes one report: give exactly one --format with it (or use --output-dir)")
        raise typer.Exit(ExitCode.USAGE)

    overrides = _param_overrides(parameters_files, param)
    _check_outputs(output, output_dir)

    reg = _load_registry(list(checks_dir or []))
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    options = ScanOptions(
        read=ReadOptions(
            root=root, parameter_files=list(parameters_files or []), param_overrides=overrides,
            exclude=list(exclude or []), outputs=report_output.own_files(output, output_dir), skip_non_arm=skip_non_arm,
        ),
        checks_dirs=list(checks_dir or []),
        reproducible=reproducible,
    )
    options, cfg = _configure(
        options, reg, config_file, fail_on=fail_on, min_score=min_score, fail_on_unknown=fail_on_unknown,
        allow_incomplete=allow_incomplete, checks=checks, skip_checks=skip_checks,
        inline_suppressions=inline_suppressions, baseline=baseline, detail_limit=detail_limit,
    )
    if skip_non_arm:
        import dataclasses

        options = dataclasses.replace(options, gate=dataclasses.replace(options.gate, candidates=True))
    if cfg.baseline is not None:
        options.read.outputs.append(cfg.baseline)
    report_options = report.ReportOptions(
        sarif_category=sarif_category,
        sarif_include_pass=sarif_include_pass,
        source_prefix=_source_prefix(root),
    )
    checks_run = select_checks(reg, options)
    with batch_gc():  # from the first file read to the last report written
        if live_scope:
            from mlwaf.sources import coverage

            source = _live_source(
                subscriptions=list(subscription or []), all_subscriptions=all_subscriptions,
                management_groups=list(management_group or []), resource_groups=list(resource_group or []),
                cloud=cloud, arm_endpoint=arm_endpoint, tenant=tenant, max_concurrency=max_concurrency,
                time_budget=time_budget, record=record, progress=False if no_progress else None,
                # What to collect: what the checks that will run assess and read.
                graph_types=coverage.graph_types(checks_run), diagnostic_types=coverage.diagnostic_types(checks_run),
            )
        else:
            source = run_sources(paths, options)
        result = evaluate(source, checks_run, options, check_sources=reg.counts, live=live_scope)
        written = report_output.write_all(result, formats, output, output_dir, report_options)
    summary_to = sys.stderr if output == Path("-") else sys.stdout
    if not quiet:
        from mlwaf.report import console

        console.print_summary(result, written, file=summary_to)

    code = result.gate.exit_code
    if not quiet or code != ExitCode.OK:
        # The decision with the summary; a gate that did not pass says why on stderr.
        typer.echo("\n".join(result.gate.describe()), err=quiet or output == Path("-") or code != ExitCode.OK)
    raise typer.Exit(code)


def _live_source(**live: object):  # noqa: ANN202 - SourceResult is imported lazily
    """Read a live estate (mlwaf.sources.live); bad options or no usable identity exit 2."""
    try:
        from mlwaf.sources.live import AuthError, LiveOptions, LiveUsageError, read_live
    except ImportError as err:
        _err(f"live scans need the Azure SDK: pip install 'mlwaf[live]' ({err})")
        raise typer.Exit(ExitCode.USAGE) from None
    try:
        return read_live(LiveOptions(**live))  # type: ignore[arg-type]
    except LiveUsageError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None
    except AuthError as err:
        _err(f"authentication failed: {err}")
        raise typer.Exit(ExitCode.USAGE) from None


def _source_prefix(root: Path) -> str:
    """The scan root relative to the working directory ("infra/"), or "" when it is the working
    directory or outside it: report paths are relative to the root, code scanning reads them
    relative to the repository, which CI runs from."""
    try:
        rel = root.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return ""
    return "" if str(rel) == "." else rel.as_posix() + "/"


def _check_outputs(output: Path | None, output_dir: Path) -> None:
    """Exit 2, naming the path, when a report could not be written there (before the scan)."""
    from mlwaf.report import output as report_output

    try:
        report_output.check_writable(output, output_dir)
    except report_output.OutputError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None


@checks_app.command("list")
def checks_list(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    checks_dir: Annotated[list[Path] | None, typer.Option("--checks-dir")] = None,
) -> None:
    """List every check with its pillar, severity and resource types."""
    reg = _load_registry(list(checks_dir or []))
    specs = reg.sorted()
    if fmt == "json":
        typer.echo(json.dumps([s.to_dict() for s in specs], indent=2))
        return
    if fmt != "table":
        _err("--format takes table or json")
        raise typer.Exit(ExitCode.USAGE)
    from rich.table import Table

    from mlwaf.report import console

    table = Table(title=f"{len(specs)} checks")
    for col in ("id", "pillar", "severity", "resource types", "title"):
        table.add_column(col)
    for s in specs:
        types = ", ".join(t.split("/", 1)[-1] for t in s.resource_types)
        table.add_row(s.id, s.pillar.value, s.severity.value, types, s.title)
    console.make().print(table)


@checks_app.command("show")
def checks_show(
    check_id: Annotated[str, typer.Argument(help="A check id, e.g. MLW-SEC-001.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    checks_dir: Annotated[list[Path] | None, typer.Option("--checks-dir")] = None,
) -> None:
    """Show a check's metadata, rationale, remediation and references."""
    reg = _load_registry(list(checks_dir or []))
    spec = reg.get(check_id)
    if spec is None:
        _err(f"no check {check_id!r}; `mlwaf checks list` shows them all")
        raise typer.Exit(ExitCode.USAGE)
    if fmt == "json":
        typer.echo(json.dumps(spec.to_dict(), indent=2))
        return
    from mlwaf.registry import recommendation_ids

    recs = recommendation_ids()
    refs = spec.references
    lines = [
        f"{spec.id}  {spec.title}",
        f"pillar: {spec.pillar.value}    severity: {spec.severity.value}",
        f"resource types: {', '.join(spec.resource_types)}",
        "implements: " + "; ".join(f"{i} ({recs[i]['text']})" if i in recs else i for i in spec.implements),
    ]
    if spec.rationale:
        lines += ["", "Why:", f"  {spec.rationale}"]
    if spec.absent:
        lines += ["", "When the property is absent:", f"  {spec.absent}"]
    for d in spec.defaults:
        for rule in d.rules:
            lines.append(f"  default {d.path} = {rule.value!r} ({rule.versions()}, {'/'.join(rule.origins)}): "
                         f"{rule.source.url}")
    lines += ["", "Remediation:", f"  {spec.remediation}", "", "References:"]
    for label, items in (
        ("docs", refs.docs),
        ("Azure Policy", refs.azure_policy),
        ("PSRule for Azure", refs.psrule),
        ("checkov", refs.checkov),
    ):
        for item in items:
            lines.append(f"  {label}: {item}")
    if spec.params:
        lines += ["", "Parameters (config file):"]
        lines += [f"  {k} ({p.takes}): {p}" for k, p in spec.params.items()]
    typer.echo("\n".join(lines))


@baseline_app.command("create")
def baseline_create(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to scan (folders are walked).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The baseline file to write (default: the config's baseline)."),
    ] = None,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
    checks_dir: Annotated[
        list[Path] | None, typer.Option("--checks-dir", help="Also load the checks in this folder.")
    ] = None,
    checks: Annotated[list[str] | None, CHECKS_OPTION] = None,
    skip_checks: Annotated[list[str] | None, SKIP_CHECKS_OPTION] = None,
    parameters_files: Annotated[list[Path] | None, PARAMETERS_OPTION] = None,
    param: Annotated[list[str] | None, PARAM_OPTION] = None,
    exclude: Annotated[list[str] | None, EXCLUDE_OPTION] = None,
) -> None:
    """Scan, then record every finding that is not a pass (check id + resource id, and a template's
    path; never a line) so that `mlwaf scan --baseline FILE` gates only on new findings."""
    from mlwaf import baseline, gate
    from mlwaf.scan import ScanOptions, evaluate, run_sources, select_checks
    from mlwaf.sources import ReadOptions

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _err(f"no such file or folder: {', '.join(missing)}")
        raise typer.Exit(ExitCode.USAGE)
    overrides = _param_overrides(parameters_files, param)
    reg = _load_registry(list(checks_dir or []))
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    read = ReadOptions(root=root, parameter_files=list(parameters_files or []), param_overrides=overrides,
                       exclude=list(exclude or []))
    options = ScanOptions(read=read, checks_dirs=list(checks_dir or []), reproducible=True)
    options, cfg = _configure(options, reg, config_file, load_baseline=False, checks=checks, skip_checks=skip_checks)
    target = output or cfg.baseline
    if target is None:
        _err("give the file to write with --output (or set baseline = \"...\" in the config file)")
        raise typer.Exit(ExitCode.USAGE)
    options.read.outputs.append(target)
    _check_outputs(target, target.parent)
    result = evaluate(run_sources(paths, options), select_checks(reg, options), options, check_sources=reg.counts)
    for e in result.errors:
        typer.echo(f"mlwaf: could not read {e.path}: {e.message}", err=True)
    if gate.nothing_scanned(result):
        _err("nothing could be scanned; no baseline written")
        raise typer.Exit(ExitCode.USAGE)
    empty = gate.nothing_assessed(result)
    if empty is not None:
        _err(f"{empty}; no baseline written")
        raise typer.Exit(ExitCode.USAGE)
    recorded = baseline.Baseline.from_findings(result.findings)
    recorded.write(target)
    typer.echo(f"wrote {target}: {len(recorded.entries)} findings recorded")
    raise typer.Exit(ExitCode.INCOMPLETE if result.errors else ExitCode.OK)


def run() -> None:
    """The `mlwaf` command. An unexpected exception is an internal error: one line with the
    reason and where to report it, exit code 4, the traceback only with MLWAF_DEBUG=1 (or
    `mlwaf --debug ...`). Never exit 1, which a pipeline reads as a failed gate."""
    try:
        app(**_for_logs())
    except Exception as err:  # noqa: BLE001 - the last line of defence
        raise SystemExit(_internal_error(err)) from None


def _for_logs() -> dict[str, int]:
    """When stdout is not a terminal (a CI log, a pipe), help is plain text and never wrapped:
    at rich's default 80 columns option names, paths and URLs break mid-word or are cut with
    an ellipsis. Returns the click context settings that say so."""
    from mlwaf.report.console import UNWRAPPED

    if sys.stdout.isatty():
        return {}
    pending = [app]
    while pending:
        typer_app = pending.pop()
        typer_app.rich_markup_mode = None  # click's plain help: one option per line, unboxed
        pending.extend(group.typer_instance for group in typer_app.registered_groups if group.typer_instance)
    return {"terminal_width": UNWRAPPED, "max_content_width": UNWRAPPED}


def _internal_error(err: BaseException) -> int:
    import traceback

    if os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no"):
        traceback.print_exception(err, file=sys.stderr)
    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if "/mlwaf/" in f.filename.replace("\\", "/") or "/checks/" in f.filename]
    where = f" (at {ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno})" if ours else ""
    reason = " ".join(f"{type(err).__name__}: {err}".split())[:300]
    notes = "".join(f"; {' '.join(str(n).split())}" for n in getattr(err, "__notes__", ()))
    typer.echo(
        f"mlwaf: internal error, not a finding (exit code {int(ExitCode.INTERNAL)}): {reason}{where}{notes}. "
        f"Please report it at {ISSUES_URL} with the output of {DEBUG_ENV}=1 mlwaf ...",
        err=True,
    )
    return ExitCode.INTERNAL


if __name__ == "__main__":
    run()
