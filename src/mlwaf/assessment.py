"""What a scan found out, before the gate decides on it: the gate's input.

`Assessment` holds what was read and what could not be, the findings (annotated by the later
passes: suppressions, baseline), what a summarized scan counted without listing, the scores, what
the suppressions and the baseline did, and the Azure Policy results. The gate (mlwaf.gate) reads
it and decides; mlwaf.results.ScanResult is the assessment with that decision, what every reporter
renders. Each section's `to_dict()` is the JSON report's contract for it (mlwaf.report.json
writes them in order).

A pass that annotates the findings before the gate adds a section here, typed, and a stage in
mlwaf.scan.evaluate; what happens after the gate (the history) is a section of ScanResult.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlwaf.scoring import Scores
from mlwaf.suppressions import SuppressionReport

if TYPE_CHECKING:
    from mlwaf.azure_report import AzureReport
    from mlwaf.baseline import BaselineDiff
    from mlwaf.check import CheckSpec
    from mlwaf.engine import Omitted
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
    # What Azure itself says beside mlwaf's verdicts (policy states, Advisor, Defender, the policy
    # comparison, quota headroom: mlwaf.azure_report); None when the input holds none of it.
    azure: AzureReport | None = None
    generated_at: str | None = None  # ISO time of the scan; None with --reproducible
    # The checks and their parameter values as one digest (mlwaf.checkset): reports to merge must share it.
    check_digest: str | None = None

    @property
    def incomplete(self) -> bool:
        return bool(self.errors)
