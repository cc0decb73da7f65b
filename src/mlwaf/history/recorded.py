"""A scan's run kept in its history: `mlwaf scan --history FILE` (and `mlwaf merge`).

After the scan is judged and before any report is written, `record`:
1. appends the run to the history (`store.append`), read from the scan's own result as its JSON
   report would hold it (mlwaf.report.json.items), one item at a time: no file, any --format.
   Findings and policy results are given as the fields the history's rows read (`rows_of`), not
   as the report's whole items: their evidence and locations (a policy result's is looked up in
   its source text) were most of the time of appending a 100k-resource scan;
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
import operator
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from mlwaf.history import runreport, store
from mlwaf.history.diff import PILLARS
from mlwaf.history.schema import HistoryError
from mlwaf.history_section import AppendResult, HistoryReport, TrendPoint
from mlwaf.model import Finding, HistoryMark, Recurrence, Status
from mlwaf.policy.results import PolicyResult
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
    run = runreport.from_items(rows_of(result), None)
    if run.generated_at is None:  # --reproducible: the run happens now (and is told from the last one)
        moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
        run = dataclasses.replace(run, generated_at=moment.isoformat())
        appended = history.append(run, at=moment, at_source=AT_SCAN, new_run=True)
    else:
        appended = history.append(run, new_run=True)
    trend, note = _trend(history)
    report = HistoryReport(str(history.path), appended, trend, note)
    return dataclasses.replace(result, findings=_marked(result.findings, history, appended), history=report)


def rows_of(result: ScanResult) -> Iterator[tuple[str, Any]]:
    """The sections of the result's JSON report (mlwaf.report.json.items), its findings and policy
    results cut to the keys `runreport.Builder` reads: the same rows (tested) at a fraction of the
    cost."""
    for name, value in json_report.items(result):
        if name == "findings":
            value = (_finding(f) for f in result.findings)
        elif name == "policy" and result.policy is not None:
            value = {**value, "results": (_policy_result(r) for r in result.policy.results)}
        yield name, value


def _finding(f: Finding) -> dict[str, Any]:
    out = {"check_id": f.check_id, "title": f.title, "pillar": f.pillar.value, "severity": f.severity.value,
           "status": f.status.value, "resource_id": f.resource.id, "resource_type": f.resource.type,
           "resource_name": f.resource.name, "message": f.message, "location": {"path": f.location.path},
           "suppressed": f.suppression is not None and f.suppression.active}
    if f.resource.deployment is not None:
        out["deployment"] = f.resource.deployment
    return out


def _policy_result(r: PolicyResult) -> dict[str, Any]:
    out = {"assignment": r.assignment, "assignment_id": r.assignment_id, "definition_id": r.definition_id,
           "definition_name": r.definition_name, "reference_id": r.reference_id, "display_name": r.display_name,
           "state": r.state.value, "resource_id": r.resource.id, "resource_type": r.resource.type,
           "resource_name": r.resource.name, "reason": r.reason}
    if r.resource.deployment is not None:
        out["deployment"] = r.resource.deployment
    return out


# A marked copy of a finding is made from its other fields in order (`history` is the last):
# dataclasses.replace, which names every field, cost 3 of the 4 us of marking one finding.
_FIELDS = [f.name for f in dataclasses.fields(Finding)]
assert _FIELDS[-1] == "history", "Finding.history must stay the last field (recorded._marked)"
_UNMARKED = operator.attrgetter(*_FIELDS[:-1])
_FINDING: Callable[..., Finding] = Finding  # called with the fields as _UNMARKED gives them, then the mark


def _marked(findings: Sequence[Finding], history: store.History, appended: AppendResult) -> list[Finding]:
    """Failing findings with their place in the history (the others as they are). A mark
    depends only on the first run of the finding's open span (and whether it failed before), so
    there are as many distinct marks as runs: each is made once and shared (frozen)."""
    latest = history.latest()
    if latest is None:
        return list(findings)
    this_run, this_at = latest.id, latest.at
    ages = history.ages()
    keys = history.keys  # the append's own keys of this run's failing findings
    marks: dict[tuple[int, int, bool], HistoryMark] = {}
    out = list(findings)
    for i, f in enumerate(out):
        if f.status is not Status.FAIL:
            continue
        identity = f.identity
        k = keys.get(identity)
        span = ages.get(store.key(identity) if k is None else k)
        if span is None:
            continue
        mark = marks.get(span)
        if mark is None:
            first_run, first_at, closed_before = span
            if first_run == this_run:
                state = Recurrence.AGAIN if closed_before else Recurrence.NEW
            else:
                state = Recurrence.RECURRING
            mark = marks[span] = HistoryMark(state, store.iso(first_at), round((this_at - first_at) / DAY, 1))
        out[i] = _FINDING(*_UNMARKED(f), mark)
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
