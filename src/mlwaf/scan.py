"""One scan, start to finish: sources -> inventory -> checks -> findings -> passes -> scores -> gate.

`run_scan` is the one entry point: the command line (`mlwaf scan`, `mlwaf baseline create`), the
benchmarks (bench/phases.py) and the tests call it, so what they measure and test is what a user
runs. Files or a live scope is the only branch (`read`); everything after it is the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf import checkset, engine, gate, registry, scoring, suppressions
from mlwaf.assessment import Assessment
from mlwaf.baseline import Baseline
from mlwaf.check import CheckSpec
from mlwaf.gate import GateOptions
from mlwaf.inventory import Inventory
from mlwaf.results import ScanResult
from mlwaf.sources import ReadOptions, SourceResult, read_paths
from mlwaf.suppressions import Suppression

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyReport
    from mlwaf.sources.live import LiveOptions

# About 25,000 resources. The reports of a larger estate list every FAIL, UNKNOWN and ERROR, and
# count the rest: at 100k resources listing all would be a million findings (docs/performance.md).
DETAIL_LIMIT = 250_000


@dataclass(frozen=True)
class PolicyOptions:
    """Which Azure Policy a scan evaluates (docs/policy.md): with neither sets nor paths the
    implicit `mlwaf-default` assignment of the built-in Machine Learning, Azure AI Services and
    Cognitive Services definitions; built-in initiatives by name or GUID (`--policy-set`); the
    user's own definitions, initiatives, assignments and exemptions (`--policy`). Policy resources
    declared in the scanned templates are read too. Off: `--no-policy`."""

    enabled: bool = True
    sets: Sequence[str] = ()
    paths: Sequence[Path] = ()


@dataclass
class ScanOptions:
    """What a scan is told (mlwaf.config.Config.apply fills it from the config file and the
    command line)."""

    read: ReadOptions = field(default_factory=ReadOptions)
    checks_dirs: Sequence[Path] = ()
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reproducible: bool = False
    # Gate, suppressions and baseline.
    gate: GateOptions = field(default_factory=GateOptions)
    suppressions: Sequence[Suppression] = ()
    inline_suppressions: bool = True
    baseline: Baseline | None = None
    today: dt.date | None = None  # the day suppression expiry is judged on (None: today)
    # Check selection (mlwaf.selection): ids, globs, pillars, severities or tags.
    checks: Sequence[str] = ()
    skip_checks: Sequence[str] = ()
    # Every loaded check id (selected or not): an inline suppression naming none is invalid.
    known_checks: Sequence[str] = ()
    # Above this many findings, PASS and NOT_APPLICABLE ones are counted, not listed (0: never).
    detail_limit: int = DETAIL_LIMIT
    policy: PolicyOptions = field(default_factory=PolicyOptions)


# Told the name of each phase as it ends (bench/phases.py times them).
Phases = Callable[[str], None]


def _no_phases(name: str) -> None:
    pass


@dataclass(frozen=True)
class Live:
    """A live scope to scan (the checks that will run decide what is collected)."""

    options: LiveOptions


def run_scan(
    target: Iterable[Path] | Live,
    options: ScanOptions | None = None,
    *,
    checks: registry.Registry | None = None,
    phases: Phases = _no_phases,
) -> ScanResult:
    """Scan files and folders (paths) or a live scope (`Live`): load and select the checks
    (or take the registry given), read, judge. Raises selection.SelectionError for a selector
    that matches no check, and for a live scope LiveUsageError or AuthError (nothing scanned)."""
    options = options or ScanOptions()
    reg = checks if checks is not None else registry.load(options.checks_dirs)
    selected = select_checks(reg, options)
    phases("checks loaded")
    with batch_gc():
        source = read(target, options, selected)
        phases("read")
        return evaluate(source, selected, options, check_sources=reg.counts, live=isinstance(target, Live),
                        phases=phases)


def read(target: Iterable[Path] | Live, options: ScanOptions, checks: Sequence[CheckSpec]) -> SourceResult:
    """The estate: files and folders, or a live scope collecting what these checks assess and read."""
    if not isinstance(target, Live):
        return run_sources(target, options)
    from mlwaf.sources import coverage
    from mlwaf.sources.live import read_live

    return read_live(replace(target.options, graph_types=coverage.graph_types(checks),
                             diagnostic_types=coverage.diagnostic_types(checks)))


def select_checks(reg: registry.Registry, options: ScanOptions | None = None) -> list[CheckSpec]:
    """The checks to run; raises selection.SelectionError for a selector that matches none."""
    from mlwaf import selection

    if options is None:
        return reg.sorted()
    return selection.select(reg.sorted(), options.checks, options.skip_checks)


def run_sources(paths: Iterable[Path], options: ScanOptions) -> SourceResult:
    source = read_paths(paths, options.read)
    label_deployments(source, options.read.root)
    return source


def label_deployments(source: SourceResult, root: Path | None) -> None:
    """Give described resources (templates, REST examples) their deployment in repository
    terms, so a finding's identity is the same whichever folder a pipeline scans and wherever
    the repository is checked out (mlwaf.repository)."""
    from mlwaf.repository import Labels

    labels: Labels | None = None
    for r in source.resources:
        if r.deployment is not None:
            labels = labels or Labels(root)
            r.deployment = labels.deployment(r.origin.path, r.origin.parameters_file)


_gc_depth = 0


@contextlib.contextmanager
def batch_gc() -> Iterator[None]:
    """Fewer garbage collections while a scan runs. Parsed inputs live to the end of the scan
    and findings hold no cycles, yet with the default thresholds the collector walks the whole
    heap again and again: it doubles the time of `json.loads` on a large estate, and costs a
    quarter of the check time and half the scoring time at 100k resources (docs/performance.md).
    The young generation is collected every 50,000 allocations instead of 700, and what exists
    on entry is frozen out of collection (a nested use freezes what was read since). The
    outermost use restores both."""
    global _gc_depth
    outer = _gc_depth == 0
    threshold = gc.get_threshold()
    gc.freeze()
    if outer:
        gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
    _gc_depth += 1
    try:
        yield
    finally:
        _gc_depth -= 1
        if outer:
            gc.set_threshold(*threshold)
            gc.unfreeze()


def evaluate(
    source: SourceResult,
    checks: list[CheckSpec],
    options: ScanOptions,
    *,
    check_sources: Mapping[str, int] | None = None,
    live: bool = False,
    phases: Phases = _no_phases,
) -> ScanResult:
    """Judge what was read: the engine, then the passes that annotate its findings (suppressions,
    then the baseline), Azure Policy (its results annotated by the same suppressions and
    baseline), the scores and the gate, in that order.

    Another pass is one more step here, between the baseline and the scores: a function that
    takes the findings and returns them annotated with its report, which becomes an Assessment
    field (see mlwaf.assessment). The history is recorded after the gate (mlwaf.history.recorded)."""
    from mlwaf.sources.recording import replays_live

    inventory = Inventory(source.resources, source.listed)
    phases("inventory")
    # A replayed live recording is judged as the live scan was: it holds every listing made.
    live = live or replays_live(source)
    with batch_gc():
        omitted = engine.summarize_above(inventory, checks, options.detail_limit)
        keep = options.baseline.entries if options.baseline is not None and omitted is not None else ()
        findings = engine.run(inventory, checks, options.check_params, live=live, omit=omitted, keep=keep)
        phases("checks run")
        findings, suppressed = suppressions.apply(
            findings, options.suppressions, inline_suppressions=options.inline_suppressions, today=options.today,
            known_checks=options.known_checks,
        )
        diff = None
        if options.baseline is not None:
            findings, diff = options.baseline.apply(findings)
        policy = evaluate_policy(source, inventory, options, live=live)
        azure = None
        if live or _has_azure_facts(source):  # what Azure itself says, beside mlwaf (mlwaf.azure_report)
            from mlwaf import azure_report

            azure, policy = azure_report.build(inventory.resources, inventory, policy, live=live)
        if policy is not None:
            policy, suppressed = suppressions.apply_policy(policy, options.suppressions, suppressed,
                                                           today=options.today)
            if options.baseline is not None and diff is not None:
                policy, diff = options.baseline.apply_policy(policy, diff)
            phases("policy")
        scores = scoring.score(findings, inventory, omitted)
        phases("scores")
        assessment = Assessment(
            inventory=inventory,
            findings=findings,
            checks=checks,
            check_sources=dict(check_sources or {}),
            scanned=source.scanned,
            errors=[*source.errors, *(policy.errors if policy is not None else ())],
            scores=scores,
            suppressions=suppressed,
            baseline=diff,
            omitted=omitted,
            not_collected=_not_collected(source, checks),
            policy=policy,
            azure=azure,
            generated_at=None if options.reproducible else dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            check_digest=checkset.digest(checks, options.check_params),
        )
        return ScanResult.decided(assessment, gate.evaluate(assessment, options.gate))


def evaluate_policy(source: SourceResult, inventory: Inventory, options: ScanOptions, *,
                    live: bool = False) -> PolicyReport | None:
    """The Azure Policy results of the scan (None when turned off): the policies its options
    name, and those declared in the scanned templates, on every resource read. A live scan (or its
    replay) evaluates the policies assigned in Azure instead of the templates' (with their
    management-group scopes and the providers API's current aliases: mlwaf.azure_policy). The
    evaluator is loaded only here."""
    if not options.policy.enabled:
        return None
    from mlwaf.policy.api import build_inputs, run

    paths = [_shown(p) for p in options.policy.paths]
    aliases = None
    if live:
        from mlwaf import azure_policy

        inputs = azure_policy.scan_inputs(inventory.resources, policy_sets=options.policy.sets, policy_paths=paths)
        aliases = azure_policy.alias_table(inventory.resources)
    else:
        inputs = build_inputs(policy_sets=options.policy.sets, policy_paths=paths, resources=inventory.resources)
    clock = None
    if options.today is not None:  # the day suppressions are judged on: exemptions and utcNow() too
        day = dt.datetime.combine(options.today, dt.time(), dt.UTC)
        clock = lambda: day  # noqa: E731
    return run(inputs, inventory, clock=clock, aliases=aliases)


def _has_azure_facts(source: SourceResult) -> bool:
    """Does the input hold any of Azure's own verdicts or quota usages (an export-only audit)?"""
    from mlwaf.azure_report import FACT_TYPES

    return any(r.type_key in FACT_TYPES for r in source.resources)


def _shown(path: Path) -> Path:
    """A policy path as reports name its files: relative to the working directory when it lies
    under it (a config file's paths are absolute), else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return path


def _not_collected(source: SourceResult, checks: Sequence[CheckSpec]) -> list[Any] | None:
    """Live scans and their replays: the types the checks need that were not collected."""
    if source.collected is None:
        return None
    from mlwaf.sources import coverage

    return list(coverage.gaps(checks, source.collected))
