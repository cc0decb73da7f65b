"""The `history` section of a scan's result (`mlwaf scan --history FILE`): what appending the
run to its history did, and the trend of the history for the HTML report's panel.

A leaf: mlwaf.history.store produces `AppendResult`, mlwaf.history.recorded builds the
`HistoryReport`, and mlwaf.results.ScanResult carries it to the reporters. Keeping the types here
lets the result name its history section without importing the history package, which reads
results and reports (the imports run one way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class AppendResult:
    """What one append did, in numbers: for the command's output and the tests."""

    run: int | None  # None when the report was already the latest run (skipped)
    at: str
    at_source: str
    source: str | None
    skipped: str | None = None
    opened: int = 0  # findings failing for the first time
    reopened: int = 0  # findings failing again after a fix
    fixed: int = 0
    removed: int = 0  # findings closed because their resource is gone
    unseen: int = 0  # open findings this run could not assess: kept open
    moved: int = 0  # open findings of a template that moved, carried to their new identity
    open: int = 0  # findings open after the run
    resources_added: int = 0
    resources_removed: int = 0
    resources_unseen: int = 0
    scores_changed: int = 0
    policy_opened: int = 0
    policy_closed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One run of the history as the trend panel shows it."""

    at: str
    scores: Mapping[str, float | None]  # "overall" and each pillar (None: nothing assessed)
    coverage: float | None
    open: Mapping[str, int]  # open findings per severity after the run
    not_assessed: int
    resources: int


@dataclass(frozen=True)
class HistoryReport:
    """What --history did: the file, the run appended (counts), and the trend for the panel."""

    path: str
    appended: AppendResult
    trend: tuple[TrendPoint, ...] = ()
    note: str | None = None  # why there is no trend (pandas not installed)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "run": self.appended.to_dict()}
        if self.note:
            out["note"] = self.note
        return out

    def describe(self) -> str:
        """One console line."""
        a = self.appended
        if a.skipped:
            return f"history {self.path}: run not appended ({a.skipped})"
        return (f"history {self.path}: run {a.run} at {a.at}: {a.opened} new, {a.reopened} failing again, "
                f"{a.fixed} fixed, {a.removed} gone with their resource, {a.unseen} not assessed (kept open), "
                f"{a.moved} moved; {a.open} open")
