"""The `mlwaf` command line. Exit codes: mlwaf.exit_codes."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mlwaf import __version__
from mlwaf.config import Config
from mlwaf.exit_codes import ExitCode
from mlwaf.settings import with_options

if TYPE_CHECKING:
    from mlwaf.history.store import History
    from mlwaf.registry import Registry
    from mlwaf.results import ScanResult
    from mlwaf.scan import Live, ScanOptions
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


def _load_registry(checks_dirs: list[Path]) -> Registry:
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
SKIP_NON_ARM_OPTION = typer.Option(
    "--skip-non-arm", help="Read the files named like files found in a folder: JSON that is not ARM (no $schema, "
    "id, type, resources, value or data) is listed as skipped, not an error, and when none of them is ARM there "
    "is nothing to assess (exit 0). For hooks that pass every changed JSON file, e.g. pre-commit."
)
CONFIG_OPTION = typer.Option(
    "--config", help="Config file: mlwaf.toml, or pyproject.toml with a tool.mlwaf table. Default: found from "
    "the working directory up to the top of the git repository."
)
CHECKS_DIR_OPTION = typer.Option("--checks-dir", help="Also load the checks in this folder.")
PATHS_ARGUMENT = typer.Argument(help="Files or folders to scan (folders are walked); none for a live scan.")
FORMAT_OPTION = typer.Option("--format", "-f", help="Report format; repeat for several. Default: every format.")
OUTPUT_OPTION = typer.Option("--output", "-o", help="Write the (single) report to this file; '-' for stdout.")
OUTPUT_DIR_OPTION = typer.Option("--output-dir", help="Folder for the reports (one file per format).")
REPRODUCIBLE_OPTION = typer.Option("--reproducible", help="Leave timestamps out, for byte-identical reports.")
QUIET_OPTION = typer.Option("--quiet", "-q", help="No console summary.")
SARIF_CATEGORY_OPTION = typer.Option(
    "--sarif-category", help="SARIF automationDetails category, so several scans of one repository upload side by side."
)
SARIF_PASS_OPTION = typer.Option("--sarif-include-pass", help="Also write PASS results to SARIF (kind: pass).")
# Live scans (mlwaf.sources.live.LiveOptions): each option's name is the LiveOptions field it sets.
LIVE = "Live"
SUBSCRIPTION_OPTION = typer.Option("--subscription", help="Live: scan this subscription (id); repeatable.",
                                   rich_help_panel=LIVE)
ALL_SUBSCRIPTIONS_OPTION = typer.Option("--all-subscriptions", help="Live: every subscription the identity can "
                                        "read.", rich_help_panel=LIVE)
MANAGEMENT_GROUP_OPTION = typer.Option("--management-group", help="Live: every subscription below this management "
                                       "group.", rich_help_panel=LIVE)
RESOURCE_GROUP_OPTION = typer.Option("--resource-group", help="Live: only these resource groups; repeatable.",
                                     rich_help_panel=LIVE)
CLOUD_OPTION = typer.Option("--cloud", help="Live: AzureCloud, AzureUSGovernment or AzureChinaCloud.",
                            rich_help_panel=LIVE)
ARM_ENDPOINT_OPTION = typer.Option("--arm-endpoint", envvar="MLWAF_ARM_ENDPOINT", rich_help_panel=LIVE,
                                   help="Live: send every call (Resource Graph too) to this ARM endpoint.")
TENANT_OPTION = typer.Option("--tenant", help="Live: sign in to this tenant.", rich_help_panel=LIVE)
MAX_CONCURRENCY_OPTION = typer.Option("--max-concurrency", help="Live: requests in flight at most.",
                                      rich_help_panel=LIVE)
TIME_BUDGET_OPTION = typer.Option("--time-budget", help="Live: seconds for all calls; what is left unread is "
                                  "reported as not assessed.", rich_help_panel=LIVE)
RECORD_OPTION = typer.Option("--record", help="Live: write every response read to this (new) folder; `mlwaf scan "
                             "FOLDER` replays it offline.", rich_help_panel=LIVE)
NO_PROGRESS_OPTION = typer.Option("--no-progress", help="Live: no progress bar on stderr.", rich_help_panel=LIVE)


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


def _configure(
    options: ScanOptions, reg: Registry, config_file: Path | None, *, load_baseline: bool = True, **given: Any
) -> tuple[ScanOptions, Config]:
    """The config file with the command line's settings over it, applied to the scan options (exit 2
    on errors)."""
    from mlwaf import config

    try:
        cfg = config.load(config_file).with_options(**given)
        return cfg.apply(options, reg.sorted(), load_baseline=load_baseline), cfg
    except config.ConfigError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None


def _missing(paths: list[Path]) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        _err(f"no such file or folder: {', '.join(missing)}")
        raise typer.Exit(ExitCode.USAGE)


def _formats(fmt: list[str] | None, output: Path | None) -> list[str]:
    from mlwaf import report

    formats = list(fmt or report.FORMATS)
    for name in formats:
        if name not in report.FORMATS:
            _err(f"unknown format {name!r}; choose from {', '.join(report.FORMATS)}")
            raise typer.Exit(ExitCode.USAGE)
    if output is not None and len(formats) != 1:
        _err("--output writes one report: give exactly one --format with it (or use --output-dir)")
        raise typer.Exit(ExitCode.USAGE)
    return formats


def _scan_options(
    paths: list[Path], checks_dir: list[Path] | None, parameters_files: list[Path] | None, param: list[str] | None,
    **read: Any,
) -> tuple[ScanOptions, Path]:
    """The scan's options before the config file and the settings (exit 2 on a missing parameter
    file or a bad --param); and the scan root."""
    from mlwaf.scan import ScanOptions
    from mlwaf.sources import ReadOptions

    overrides = _param_overrides(parameters_files, param)
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    read_options = ReadOptions(root=root, parameter_files=list(parameters_files or []), param_overrides=overrides,
                               **read)
    return ScanOptions(read=read_options, checks_dirs=list(checks_dir or [])), root


@app.command()
@with_options(*(s for s in Config.declared() if s.flag is not None))
def scan(
    paths: Annotated[list[Path] | None, PATHS_ARGUMENT] = None,
    fmt: Annotated[list[str] | None, FORMAT_OPTION] = None,
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    output_dir: Annotated[Path, OUTPUT_DIR_OPTION] = Path("reports"),
    checks_dir: Annotated[list[Path] | None, CHECKS_DIR_OPTION] = None,
    reproducible: Annotated[bool, REPRODUCIBLE_OPTION] = False,
    quiet: Annotated[bool, QUIET_OPTION] = False,
    sarif_category: Annotated[str, SARIF_CATEGORY_OPTION] = "mlwaf",
    sarif_include_pass: Annotated[bool, SARIF_PASS_OPTION] = False,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
    parameters_files: Annotated[list[Path] | None, PARAMETERS_OPTION] = None,
    param: Annotated[list[str] | None, PARAM_OPTION] = None,
    skip_non_arm: Annotated[bool, SKIP_NON_ARM_OPTION] = False,
    *,  # the settings' flags come here (mlwaf.config.Config, added by with_options), then the live scope
    subscription: Annotated[list[str] | None, SUBSCRIPTION_OPTION] = None,
    all_subscriptions: Annotated[bool, ALL_SUBSCRIPTIONS_OPTION] = False,
    management_group: Annotated[list[str] | None, MANAGEMENT_GROUP_OPTION] = None,
    resource_group: Annotated[list[str] | None, RESOURCE_GROUP_OPTION] = None,
    cloud: Annotated[str, CLOUD_OPTION] = "AzureCloud",
    arm_endpoint: Annotated[str | None, ARM_ENDPOINT_OPTION] = None,
    tenant: Annotated[str | None, TENANT_OPTION] = None,
    max_concurrency: Annotated[int, MAX_CONCURRENCY_OPTION] = 16,
    time_budget: Annotated[float, TIME_BUDGET_OPTION] = 1800.0,
    record: Annotated[Path | None, RECORD_OPTION] = None,
    no_progress: Annotated[bool, NO_PROGRESS_OPTION] = False,
    **settings: Any,
) -> None:
    """Scan files and folders of ARM JSON and write reports."""
    from mlwaf import scan as pipeline
    from mlwaf.report import ReportOptions
    from mlwaf.report import output as report_output

    paths = list(paths or [])
    live = _live_target(paths, subscriptions=list(subscription or []), all_subscriptions=all_subscriptions,
                        management_groups=list(management_group or []), resource_groups=list(resource_group or []),
                        cloud=cloud, arm_endpoint=arm_endpoint, tenant=tenant, max_concurrency=max_concurrency,
                        time_budget=time_budget, record=record, progress=False if no_progress else None)
    _missing(paths)
    formats = _formats(fmt, output)
    options, root = _scan_options(paths, checks_dir, parameters_files, param, skip_non_arm=skip_non_arm,
                                  outputs=report_output.own_files(output, output_dir))
    _check_outputs(output, output_dir)
    reg = _load_registry(list(checks_dir or []))
    options, cfg = _configure(dataclasses.replace(options, reproducible=reproducible), reg, config_file, **settings)
    if skip_non_arm:
        options = dataclasses.replace(options, gate=dataclasses.replace(options.gate, candidates=True))
    if cfg.baseline is not None:
        options.read.outputs.append(cfg.baseline)
    history = _open_history(cfg, options)
    report_options = ReportOptions(sarif_category, sarif_include_pass, _source_prefix(root))
    with pipeline.batch_gc():  # from the first file read to the last report written
        result = _run(live or paths, options, reg)
        result = _with_inputs(result, paths, options, record if live else None, formats, output, output_dir)
        result, history_failed = _record(result, history, cfg)
        written = report_output.write_all(result, formats, output, output_dir, report_options)
    _finish(result, written, quiet=quiet, to_stdout=output == report_output.STDOUT, usage_error=history_failed)


def _with_inputs(result: ScanResult, paths: list[Path], options: ScanOptions, record: Path | None,
                 formats: list[str], output: Path | None, output_dir: Path) -> ScanResult:
    """The result naming what it read, for `mlwaf merge` (mlwaf.provenance): an offline scan's
    files, a live scan's recording (relative to the JSON report); nothing for a live scan without one."""
    from mlwaf import provenance
    from mlwaf.report import output as report_output

    if record is not None:
        report = None if "json" not in formats or output == report_output.STDOUT else report_output.target(
            "json", output, output_dir)
        return dataclasses.replace(result, inputs=provenance.recording(record, report))
    if not paths:
        return result
    read = options.read
    return dataclasses.replace(result, inputs=provenance.offline(
        paths, read.root, read.exclude, read.parameter_files, read.param_overrides,
        (s.path for s in result.scanned if s.kind != "skipped")))


# The settings a merge decides on the whole, as a scan of it would (the rest were the parts' scans').
MERGE_SETTINGS = ("fail_on", "min_score", "fail_on_unknown", "allow_incomplete", "fail_on_policy", "baseline",
                  "detail_limit", "history", "digest", "policy", "policy_set", "no_policy")
REPORTS_ARGUMENT = typer.Argument(help="JSON reports of scans of parts of one scope (mlwaf scan --format json).")
SOURCE_ROOT_OPTION = typer.Option("--source-root", help="The folder the parts were scanned from (their paths are "
                                  "relative to it): SARIF prefixes paths with it, as mlwaf scan DIR does.")


@app.command()
@with_options(*(s for s in Config.declared() if s.flag is not None and s.name in MERGE_SETTINGS))
def merge(
    reports: Annotated[list[Path], REPORTS_ARGUMENT],
    fmt: Annotated[list[str] | None, FORMAT_OPTION] = None,
    output_dir: Annotated[Path, OUTPUT_DIR_OPTION] = Path("reports"),
    checks_dir: Annotated[list[Path] | None, CHECKS_DIR_OPTION] = None,
    source_root: Annotated[Path | None, SOURCE_ROOT_OPTION] = None,
    quiet: Annotated[bool, QUIET_OPTION] = False,
    sarif_category: Annotated[str, SARIF_CATEGORY_OPTION] = "mlwaf",
    sarif_include_pass: Annotated[bool, SARIF_PASS_OPTION] = False,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
    **settings: Any,
) -> None:
    """Merge the JSON reports of scans of parts of one scope (a CI matrix over subscriptions) into
    one report set, scored and gated as a single scan of the whole scope."""
    from mlwaf import merge as merging
    from mlwaf.report import ReportOptions
    from mlwaf.report import output as report_output
    from mlwaf.scan import ScanOptions

    formats = _formats(fmt, None)
    _check_outputs(None, output_dir)
    reg = _load_registry(list(checks_dir or []))
    options, cfg = _configure(ScanOptions(), reg, config_file, **settings)
    history = _open_history(cfg, options)
    try:
        result = merging.merge(reports, reg, options)
    except merging.MergeError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None
    note = result.merge
    if note is not None and not note.rescanned and len(reports) > 1:
        typer.echo(f"mlwaf: warning: the parts were not judged again as one scan: {note.reason}. Each part's "
                   f"verdicts are kept: where a related resource lies in another part, these {len(note.related)} "
                   f"checks judged it as their part saw it (they may differ from a single scan): "
                   f"{', '.join(note.related)}", err=True)
    if merging.azure_left_out(result, reports) and not quiet:
        _err("note: what Azure itself says (the parts' azure sections: policy states, Advisor, Defender, quota "
             "headroom) is left out of a merge rebuilt from the reports")
    result, history_failed = _record(result, history, cfg)
    if source_root is None:  # judged as one scan: its root, as `mlwaf scan` prefixes SARIF paths with it
        source_root = (result.inputs and _scan_root(result.inputs.paths)) or Path.cwd()
    report_options = ReportOptions(sarif_category, sarif_include_pass, _source_prefix(source_root))
    written = report_output.write_all(result, formats, None, output_dir, report_options)
    _finish(result, written, quiet=quiet, to_stdout=False, usage_error=history_failed)


def _scan_root(names: tuple[str, ...]) -> Path | None:
    """The root of a scan of these (repository-relative) paths, as `mlwaf scan` takes it."""
    from mlwaf.provenance import in_checkout

    paths = [in_checkout(n) for n in names]
    return paths[0] if len(paths) == 1 and paths[0].is_dir() else None


def _live_target(paths: list[Path], **live: Any) -> Live | None:
    """The live scope the options name (None: files), or exit 2: both or neither given, or no SDK."""
    from mlwaf.scan import Live

    scoped = bool(live["subscriptions"] or live["all_subscriptions"] or live["management_groups"]
                  or live["resource_groups"] or live["record"])
    if scoped and paths:
        _err("give files or folders to scan, or a live scope (--subscription ...), not both")
        raise typer.Exit(ExitCode.USAGE)
    if not scoped and not paths:
        _err("give files or folders to scan, or --subscription ID / --all-subscriptions / --management-group NAME")
        raise typer.Exit(ExitCode.USAGE)
    if not scoped:
        return None
    try:
        from mlwaf.sources.live import LiveOptions
    except ImportError as err:
        _err(f"live scans need the Azure SDK: pip install 'mlwaf[live]' ({err})")
        raise typer.Exit(ExitCode.USAGE) from None
    return Live(LiveOptions(**live))


def _run(target: list[Path] | Live, options: ScanOptions, reg: Registry) -> ScanResult:
    """The scan; for a live scope, bad options or no usable identity exit 2."""
    from mlwaf.scan import Live, run_scan

    if not isinstance(target, Live):
        return run_scan(target, options, checks=reg)
    from mlwaf.sources.live import AuthError, LiveUsageError

    try:
        return run_scan(target, options, checks=reg)
    except LiveUsageError as err:
        _err(str(err))
        raise typer.Exit(ExitCode.USAGE) from None
    except AuthError as err:
        _err(f"authentication failed: {err}")
        raise typer.Exit(ExitCode.USAGE) from None


def _open_history(cfg: Config, options: ScanOptions) -> History | None:
    """The --history file, opened (created, migrated) before anything is scanned: an unusable
    one is exit 2 now, not after the scan. The history and the digest are never read as input."""
    from mlwaf.history.recorded import HistoryError, open_history

    if cfg.digest is not None and cfg.history is None:
        _err("--digest writes what changed since the previous run of a history: give --history FILE too")
        raise typer.Exit(ExitCode.USAGE)
    if cfg.history is None:
        return None
    options.read.outputs.extend(p for p in (cfg.history, cfg.digest) if p is not None)
    try:
        return open_history(cfg.history)
    except HistoryError as err:
        _err(f"--history: {err}")
        raise typer.Exit(ExitCode.USAGE) from None


def _record(result: ScanResult, history: History | None, cfg: Config) -> tuple[ScanResult, bool]:
    """The result with the run appended to the history (marks, trend) and the digest written;
    a history that fails now is reported and exits 2 after the reports are written (they do not
    depend on it), so a long scan is never lost to it."""
    if history is None:
        return result, False
    from mlwaf.history import digest
    from mlwaf.history.recorded import HistoryError, record

    try:
        with history:
            result = record(result, history)
            if cfg.digest is not None:
                digest.write(history, cfg.digest)
    except (HistoryError, OSError) as err:
        _err(f"--history: the run was not recorded: {err}")
        return result, True
    return result, False


def _finish(result: ScanResult, written: list[str], *, quiet: bool, to_stdout: bool, usage_error: bool = False) -> None:
    """The console summary and the gate's decision (its reasons on stderr when it did not pass),
    then exit with the gate's code (2 when the history could not be written: a usage error)."""
    if not quiet:
        from mlwaf.report import console

        console.print_summary(result, written, file=sys.stderr if to_stdout else sys.stdout)
    code = ExitCode.USAGE if usage_error else result.gate.exit_code
    if not quiet or code != ExitCode.OK:
        typer.echo("\n".join(result.gate.describe()), err=quiet or to_stdout or code != ExitCode.OK)
    raise typer.Exit(code)


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
    checks_dir: Annotated[list[Path] | None, CHECKS_DIR_OPTION] = None,
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
@with_options(Config.checks, Config.skip_checks, Config.exclude, Config.policy, Config.policy_set, Config.no_policy)
def baseline_create(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to scan (folders are walked).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The baseline file to write (default: the config's baseline)."),
    ] = None,
    config_file: Annotated[Path | None, CONFIG_OPTION] = None,
    checks_dir: Annotated[list[Path] | None, CHECKS_DIR_OPTION] = None,
    parameters_files: Annotated[list[Path] | None, PARAMETERS_OPTION] = None,
    param: Annotated[list[str] | None, PARAM_OPTION] = None,
    **settings: Any,  # --checks, --skip-checks, --exclude, --policy, --policy-set, --no-policy (mlwaf.config.Config)
) -> None:
    """Scan, then record every finding that is not a pass (check id + resource id, and a template's
    path; never a line), and every non-compliant Azure Policy result, so that `mlwaf scan
    --baseline FILE` gates only on new ones."""
    from mlwaf import baseline, gate
    from mlwaf.scan import run_scan

    _missing(paths)
    options, _ = _scan_options(paths, checks_dir, parameters_files, param)
    reg = _load_registry(list(checks_dir or []))
    options, cfg = _configure(dataclasses.replace(options, reproducible=True), reg, config_file,
                              load_baseline=False, **settings)
    target = output or cfg.baseline
    if target is None:
        _err("give the file to write with --output (or set baseline = \"...\" in the config file)")
        raise typer.Exit(ExitCode.USAGE)
    options.read.outputs.append(target)
    _check_outputs(target, target.parent)
    result = run_scan(paths, options, checks=reg)
    for e in result.errors:
        typer.echo(f"mlwaf: could not read {e.path}: {e.message}", err=True)
    if gate.nothing_scanned(result):
        _err("nothing could be scanned; no baseline written")
        raise typer.Exit(ExitCode.USAGE)
    empty = gate.nothing_assessed(result)
    if empty is not None:
        _err(f"{empty}; no baseline written")
        raise typer.Exit(ExitCode.USAGE)
    recorded = baseline.Baseline.from_findings(result.findings, result.policy)
    recorded.write(target)
    policy = f" and {len(recorded.policy)} Azure Policy results" if recorded.policy is not None else ""
    typer.echo(f"wrote {target}: {len(recorded.entries)} findings recorded{policy}")
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
