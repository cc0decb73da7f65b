"""A scan's result: what the reporters render, typed, and the same for every reporter.

`Assessment` is everything the scan found out: what was read and what could not be, the findings
(annotated by the later passes: suppressions, baseline), what a summarized scan counted without
listing, the scores and what the suppressions and the baseline did. The gate decides on an
assessment; `ScanResult` is the assessment with that decision. Each section's `to_dict()` is
the JSON report's contract for it (mlwaf.report.json writes them in order).

Later passes add a section here, typed, and a stage in mlwaf.scan.evaluate:
- `policy`: the Azure Policy results (`mlwaf.policy.PolicyReport`), evaluated on the inventory;
- `history`: with --history, the run as appended to the history and its trend, set after the
  gate by mlwaf.history.recorded (the marks depend on the run being recorded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from mlwaf.scoring import Scores
from mlwaf.suppressions import SuppressionReport

if TYPE_CHECKING:
    from mlwaf.baseline import BaselineDiff
    from mlwaf.check import CheckSpec
    from mlwaf.engine import Omitted
    from mlwaf.gate import GateDecision
    from mlwaf.history.recorded import HistoryReport
    from mlwaf.inventory import Inventory
    from mlwaf.model import Finding, InputError, ScannedInput
    from mlwaf.policy.results import PolicyReport
    from mlwaf.sources.coverage import Gap


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """What a scan read and judged, before the gate decides on it."""

    inventory: Inventory
    findings: Sequence[Finding]
    checks: Sequence[CheckSpec] = ()
    # Check sources (built-in, --checks-dir, entry points) -> how many checks each loaded.
    check_sources: Mapping[str, int] = field(default_factory=dict)
    scanned: Sequence[ScannedInput] = ()
    errors: Sequence[InputError] = ()
    scores: Scores = field(default_factory=Scores)
    suppressions: SuppressionReport = field(default_factory=SuppressionReport)
    # With --baseline: counts of known and new findings, the fixed and the moved entries.
    baseline: BaselineDiff | None = None
    # Set when the scan was too large to list every finding: what was counted but not kept.
    omitted: Omitted | None = None
    # Live scans and their replays: the resource types the checks need that were not collected,
    # with why; None for files.
    not_collected: Sequence[Gap] | None = None
    # Azure Policy results (mlwaf.policy.run); None when policies were not evaluated.
    policy: PolicyReport | None = None
    # With --history: the run appended to the history file, and its trend (mlwaf.history.recorded);
    # the failing findings carry their marks (Finding.history).
    history: HistoryReport | None = None
    generated_at: str | None = None  # ISO time of the scan; None with --reproducible

    @property
    def incomplete(self) -> bool:
        return bool(self.errors)


@dataclass(frozen=True, kw_only=True)
class ScanResult(Assessment):
    """An assessment and the gate's decision on it: what every reporter renders."""

    gate: GateDecision

    @classmethod
    def decided(cls, assessment: Assessment, gate: GateDecision) -> ScanResult:
        return cls(**{f.name: getattr(assessment, f.name) for f in fields(Assessment)}, gate=gate)
