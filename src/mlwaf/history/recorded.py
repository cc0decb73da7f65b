"""A scan's run kept in its history: `mlwaf scan --history FILE` (and `mlwaf merge`).

After the scan is judged and before any report is written, `record`:
1. appends the run to the history (`store.append`), read from the scan's own result as its JSON
   report would hold it (mlwaf.report.json.items), one item at a time: no file, any --format;
2. marks each failing finding with its place in the history, read back from the store after the
   append (so a moved template's findings keep their age): new, failing again after a fix, or
   open since an earlier run, with its age (`Finding.history`);
3. lays out the trend of the history, this run included, for the HTML report's panel (pandas,
   through mlwaf.history.analysis: without it the panel says how to get it).

The result gains `history` (a `HistoryReport`), and every reporter reads the marks and the trend
from the result. A report made with --reproducible has no time of its own: the run is recorded
at the time of the append.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Sequence
from typing import Any

from mlwaf.history import runreport, store
from mlwaf.history.diff import PILLARS
from mlwaf.history.schema import HistoryError
from mlwaf.history_section import AppendResult, HistoryReport, TrendPoint
from mlwaf.model import Finding, HistoryMark, Recurrence, Status
from mlwaf.report import json as json_report
from mlwaf.results import ScanResult

__all__ = ["HistoryError", "open_history", "record"]

SEVERITIES = ("high", "medium", "low")
DAY = 86_400
AT_SCAN = "scan time"  # a --reproducible report has no time: the run is recorded when appended


def open_history(path: str | os.PathLike[str]) -> store.History:
    """The history file, created when missing; raises HistoryError (a usage error) when it
    cannot be used: before the scan, not after it."""
    return store.History(path)


def record(result: ScanResult, history: store.History, *, now: dt.datetime | None = None) -> ScanResult:
    """The result with this run appended to `history`, its failing findings marked and the trend."""
    run = runreport.from_items(json_report.items(result), None)
    if run.generated_at is None:  # --reproducible: the run happens now (and is told from the last one)
        moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        run = dataclasses.replace(run, generated_at=moment.isoformat())
        appended = history.append(run, at=moment, at_source=AT_SCAN, new_run=True)
    else:
        appended = history.append(run, new_run=True)
    trend, note = _trend(history)
    report = HistoryReport(str(history.path), appended, trend, note)
    return dataclasses.replace(result, findings=_marked(result.findings, history, appended), history=report)


def _marked(findings: Sequence[Finding], history: store.History, appended: AppendResult) -> list[Finding]:
    """Failing findings with their place in the history (the others as they are)."""
    latest = history.latest()
    if latest is None:
        return list(findings)
    this_run, this_at = latest.id, latest.at
    ages = history.ages()
    out = list(findings)
    for i, f in enumerate(out):
        if f.status is not Status.FAIL:
            continue
        span = ages.get(store.key(f.identity))
        if span is None:
            continue
        first_run, first_at, closed_before = span
        if first_run == this_run:
            state = Recurrence.AGAIN if closed_before else Recurrence.NEW
        else:
            state = Recurrence.RECURRING
        out[i] = dataclasses.replace(f, history=HistoryMark(state, store.iso(first_at),
                                                            round((this_at - first_at) / DAY, 1)))
    return out


def _trend(history: store.History) -> tuple[tuple[TrendPoint, ...], str | None]:
    from mlwaf.history import analysis

    try:
        frame = analysis.trend(history, analysis.Window())
    except HistoryError as err:  # pandas is not installed
        return (), str(err)
    points = []
    for _run, row in frame.iterrows():
        points.append(TrendPoint(
            at=str(row["at"]),
            scores={p: _number(row.get(p)) for p in PILLARS},
            coverage=_number(row.get("coverage")),
            open={s: int(row.get(f"open_{s}", 0)) for s in SEVERITIES},
            not_assessed=int(row["not_assessed"]),
            resources=int(row["resources"]),
        ))
    return tuple(points), None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
