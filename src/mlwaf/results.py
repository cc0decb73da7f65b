"""A scan's result: what the reporters render, typed, and the same for every reporter.

`ScanResult` is the assessment (mlwaf.assessment: what the scan found out) with the gate's
decision on it (mlwaf.gate), and what came after the gate: with --history, the run as appended to
the history and its trend (`history`, set by mlwaf.history.recorded: the marks on the findings
depend on the run being recorded). Each section's `to_dict()` is the JSON report's contract for
it (mlwaf.report.json writes them in order).

The imports run one way: the assessment, then the gate that reads it, then this result, then the
reporters and the history that read it. The history section's type is a leaf
(mlwaf.history_section), so this module never imports the history package.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from mlwaf.assessment import Assessment

if TYPE_CHECKING:
    from mlwaf.gate import GateDecision
    from mlwaf.history_section import HistoryReport
    from mlwaf.provenance import Inputs, MergeNote

__all__ = ["Assessment", "ScanResult"]


@dataclass(frozen=True, kw_only=True)
class ScanResult(Assessment):
    """An assessment and the gate's decision on it: what every reporter renders."""

    gate: GateDecision
    # With --history: the run appended to the history file, and its trend (mlwaf.history.recorded);
    # the failing findings carry their marks (Finding.history).
    history: HistoryReport | None = None
    # What the report was made from, for `mlwaf merge` to read again (mlwaf.provenance); and for
    # a merged report, its parts and how they were judged.
    inputs: Inputs | None = None
    merge: MergeNote | None = None

    @classmethod
    def decided(cls, assessment: Assessment, gate: GateDecision) -> ScanResult:
        return cls(**{f.name: getattr(assessment, f.name) for f in fields(Assessment)}, gate=gate)
