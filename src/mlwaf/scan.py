"""One scan, start to finish: sources -> inventory -> checks -> findings -> scores.

The CLI, the benchmarks and the tests all go through `run_scan`, so what they measure and test
is what a user runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwaf import engine, gate, registry, scoring, suppressions
from mlwaf.baseline import Baseline
from mlwaf.check import CheckSpec
from mlwaf.gate import GateOptions
from mlwaf.inventory import Inventory
from mlwaf.model import InputError
from mlwaf.results import Assessment, ScanResult
from mlwaf.sources import ReadOptions, SourceResult, read_paths
from mlwaf.suppressions import Suppression

# About 25,000 resources. The reports of a larger estate list every FAIL, UNKNOWN and ERROR, and
# count the rest: at 100k resources listing all would be a million findings (docs/performance.md).
DETAIL_LIMIT = 250_000


@dataclass
class ScanOptions:
    read: ReadOptions = field(default_factory=ReadOptions)
    checks_dirs: Sequence[Path] = ()
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    reproducible: bool = False
    # Gate, suppressions and baseline (mlwaf.config builds these from the config file and CLI).
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
) -> ScanResult:
    from mlwaf.sources.recording import replays_live

    inventory = Inventory(source.resources, source.listed)
    errors: list[InputError] = list(source.errors)
    # A replayed live recording is judged as the live scan was: it holds every listing made.
    live = live or replays_live(source)
    with batch_gc():
        omitted = engine.summarize_above(inventory, checks, options.detail_limit)
        keep = options.baseline.entries if options.baseline is not None and omitted is not None else ()
        findings = engine.run(inventory, checks, options.check_params, live=live, omit=omitted, keep=keep)
        # The passes after the engine, in this order; each returns the findings it annotated.
        findings, suppressed = suppressions.apply(
            findings, options.suppressions, inline_suppressions=options.inline_suppressions, today=options.today,
            known_checks=options.known_checks,
        )
        diff = None
        if options.baseline is not None:
            findings, diff = options.baseline.apply(findings)
        not_collected = None
        if source.collected is not None:
            from mlwaf.sources import coverage

            not_collected = coverage.gaps(checks, source.collected)
        assessment = Assessment(
            inventory=inventory,
            findings=findings,
            checks=checks,
            check_sources=dict(check_sources or {}),
            scanned=source.scanned,
            errors=errors,
            scores=scoring.score(findings, inventory, omitted),
            suppressions=suppressed,
            baseline=diff,
            omitted=omitted,
            not_collected=not_collected,
            generated_at=None if options.reproducible else dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        )
        return ScanResult.decided(assessment, gate.evaluate(assessment, options.gate))


def run_scan(paths: Iterable[Path], options: ScanOptions | None = None) -> ScanResult:
    options = options or ScanOptions()
    reg = registry.load(options.checks_dirs)
    with batch_gc():
        source = run_sources(paths, options)
        return evaluate(source, select_checks(reg, options), options, check_sources=reg.counts)
