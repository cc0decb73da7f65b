"""What `mlwaf history trend|open|mttr` compute from the spans of a history file, with pandas.

SQLite does the selecting and the counting per run (a year of daily runs of a large estate is a
million span rows; grouped in SQL they are a few thousand), pandas turns spans into values per run
(cumulative sums, intervals laid over the runs) and the tables into every output format.

pandas is imported here only, inside the functions: an offline scan never loads it, and a
missing install says which extra to add.

- trend: per run, the scores and coverage per pillar (of the whole run, or of one `--scope`),
  open findings per severity, not-assessed entries and policy compliance per assignment.
- open: findings open at the end of the window, oldest first, with their age.
- mttr: time from the first run that saw a finding fail to the first run that saw it fixed (an
  upper bound: the fix happened somewhere between that run and the one before), per severity
  and pillar.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwaf import armid
from mlwaf.history.diff import PILLARS, RUN_SCOPE
from mlwaf.history.schema import HistoryError
from mlwaf.history.store import History, iso, key, to_epoch

if TYPE_CHECKING:
    import pandas as pd

SEVERITIES = ("high", "medium", "low")
DAY = 86_400
_DURATION = re.compile(r"^\s*(\d+)\s*([dwh]?)\s*$", re.IGNORECASE)


def pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise HistoryError(
            "the history commands compute with pandas, which is not installed: pip install 'mlwaf[history]'"
        ) from None
    return pd


def days(text: str) -> int:
    """'400d', '8w', '36h' or '400' (days) as seconds."""
    match = _DURATION.match(text)
    if not match:
        raise HistoryError(f"not a duration: {text!r} (e.g. 400d, 8w, 36h)")
    value, unit = int(match.group(1)), (match.group(2) or "d").lower()
    return value * {"d": DAY, "w": 7 * DAY, "h": 3600}[unit]


@dataclass(frozen=True)
class Window:
    """Which runs a command looks at, and where in the estate."""

    since: int | None = None  # epoch seconds, inclusive
    until: int | None = None  # epoch seconds, inclusive
    scope: str | None = None  # a normalized ARM id prefix: a subscription, resource group, workspace

    @classmethod
    def parse(cls, since: str | None, until: str | None, scope: str | None) -> Window:
        return cls(_moment(since), _moment(until, end_of_day=True), armid.normalize(scope) if scope else None)

    def runs(self, history: History) -> pd.DataFrame:
        pd = pandas()
        runs = pd.DataFrame([(r.id, r.at, r.not_assessed, r.resources) for r in history.runs()],
                            columns=["run", "at", "not_assessed", "resources"])
        if self.since is not None:
            runs = runs[runs["at"] >= self.since]
        if self.until is not None:
            runs = runs[runs["at"] <= self.until]
        if runs.empty:
            raise HistoryError(f"{history.path}: no run in the window asked for")
        return runs.reset_index(drop=True)

    def resource_filter(self, column: str) -> tuple[str, list[Any]]:
        """SQL that keeps the rows whose resource id (`column`) lies in the scope."""
        if self.scope is None:
            return "1", []
        return (f"(lower({column}) = ? OR substr(lower({column}), 1, ?) = ?)",
                [self.scope, len(self.scope) + 1, self.scope + "/"])


def _moment(text: str | None, *, end_of_day: bool = False) -> int | None:
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):  # a date: the whole day
        day = dt.datetime.fromisoformat(text.strip()).replace(tzinfo=dt.UTC)
        return int(day.timestamp()) + (DAY - 1 if end_of_day else 0)
    return to_epoch(text)


def _when(epochs: pd.Series) -> pd.Series:
    return epochs.map(iso)


# --- trend ------------------------------------------------------------------------------------
def trend(history: History, window: Window) -> pd.DataFrame:
    """One row per run: scores and coverage per pillar, open findings per severity, not-assessed
    entries, policy compliance per assignment."""
    pd = pandas()
    runs = window.runs(history)
    out = pd.DataFrame({"run": runs["run"], "at": _when(runs["at"])})
    out = out.join(_scores(history, window, runs), on="run")
    out = out.join(_open_counts(history, window, runs), on="run")
    out["not_assessed"] = runs["not_assessed"].to_numpy()
    out["resources"] = runs["resources"].to_numpy()
    policy = _policy(history, runs)
    if policy is not None:
        out = out.join(policy, on="run")
    return out.set_index("run")


def _scope_key(history: History, window: Window) -> int | None:
    if window.scope is None:
        return key(f"{RUN_SCOPE}|")
    row = history.db.execute("SELECT id FROM scope WHERE lower(sid) = ? ORDER BY kind LIMIT 1",
                             (window.scope,)).fetchone()
    return row[0] if row else None


# What the console shows of each table (its full width goes to the other formats): column ->
# header.
TREND_CONSOLE = {"at": "run at", "overall": "overall", "reliability": "rel", "security": "sec",
                 "cost_optimization": "cost", "operational_excellence": "ops", "performance_efficiency": "perf",
                 "coverage": "coverage", "open_high": "high", "open_medium": "medium", "open_low": "low",
                 "not_assessed": "not assessed"}
OPEN_CONSOLE = {"age_days": "age (days)", "severity": "severity", "check_id": "check", "resource_name": "resource",
                "first_seen": "first seen", "state": "state", "suppressed": "suppressed"}


def _scores(history: History, window: Window, runs: pd.DataFrame) -> pd.DataFrame:
    """Each score span laid over the runs it lasted (first run to last run seen); NaN where the
    scope was not assessed. Columns: the pillars' scores (`overall` first), then `coverage`
    (overall) and each pillar's coverage."""
    pd = pandas()
    ids = runs["run"].to_numpy()
    columns = list(PILLARS) + ["coverage"] + [f"{p}_coverage" for p in PILLARS[1:]]
    table = pd.DataFrame(index=pd.Index(ids, name="run"), columns=columns, dtype="float64")
    scope = _scope_key(history, window)
    latest = int(history.db.execute("SELECT max(id) FROM run").fetchone()[0] or 0)
    spans = history.db.execute(
        "SELECT pillar, score, coverage, first_run, coalesce(last_run, ?) FROM score_span WHERE scope = ? "
        "AND first_run <= ? AND coalesce(last_run, ?) >= ?", (latest, scope, int(ids[-1]), latest, int(ids[0])))
    for pillar, score, coverage, first, last in spans:
        if pillar not in PILLARS:
            continue
        start, stop = ids.searchsorted(first), ids.searchsorted(last, side="right")
        table.iloc[start:stop, table.columns.get_loc(pillar)] = score
        coverage_column = "coverage" if pillar == "overall" else f"{pillar}_coverage"
        table.iloc[start:stop, table.columns.get_loc(coverage_column)] = coverage
    return table


def _open_counts(history: History, window: Window, runs: pd.DataFrame) -> pd.DataFrame:
    """Open findings per severity at each run: opened so far minus closed so far (a finding a
    run could not assess stays open)."""
    pd = pandas()
    where, args = window.resource_filter("r.rid")
    join = "" if window.scope is None else " JOIN finding f ON f.id = s.finding JOIN resource r ON r.id = f.resource"
    opened = pd.read_sql_query(
        f"SELECT s.first_run AS run, s.severity, count(*) AS n FROM finding_span s{join} WHERE {where} "
        "GROUP BY 1, 2", history.db, params=args)
    closed = pd.read_sql_query(
        f"SELECT s.end_run AS run, s.severity, count(*) AS n FROM finding_span s{join} "
        f"WHERE s.end_run IS NOT NULL AND {where} GROUP BY 1, 2", history.db, params=args)
    every = pd.Index(sorted(set(opened["run"]) | set(closed["run"]) | set(runs["run"])), name="run")

    def per_run(frame: Any) -> Any:  # a DataFrame (`pd` here is the module pandas() returned)
        wide = frame.pivot_table(index="run", columns="severity", values="n", aggfunc="sum", fill_value=0)
        return wide.reindex(index=every, columns=list(SEVERITIES), fill_value=0)

    counts = (per_run(opened).cumsum() - per_run(closed).cumsum()).loc[runs["run"]]
    counts.columns = [f"open_{s}" for s in SEVERITIES]
    counts["open"] = counts.sum(axis=1)
    return counts.astype("int64")


def _policy(history: History, runs: pd.DataFrame) -> pd.DataFrame | None:
    pd = pandas()
    frame = pd.read_sql_query("SELECT run, assignment, percent FROM policy_compliance", history.db)
    frame = frame[frame["run"].isin(runs["run"])]
    if frame.empty:
        return None
    wide = frame.pivot_table(index="run", columns="assignment", values="percent", aggfunc="first")
    wide.columns = [f"policy:{c}" for c in wide.columns]
    return wide


# --- open -------------------------------------------------------------------------------------
def open_findings(history: History, window: Window) -> pd.DataFrame:
    """Findings open at the last run of the window, oldest first. `state` says whether that run
    saw it failing or could not assess it; the store keeps the last run that saw each open span,
    not every gap, so as of an earlier run a finding unseen then but seen since reads as open."""
    pd = pandas()
    runs = window.runs(history)
    as_of, as_of_at = int(runs["run"].iloc[-1]), int(runs["at"].iloc[-1])
    where, args = window.resource_filter("r.rid")
    frame = pd.read_sql_query(
        "SELECT s.severity, f.check_id, c.pillar, c.title, r.rid AS resource_id, r.name AS resource_name, "
        "r.type AS resource_type, s.suppressed, fr.at AS first_at, s.last_run, s.end_run "
        "FROM finding_span s JOIN finding f ON f.id = s.finding JOIN resource r ON r.id = f.resource "
        "LEFT JOIN check_meta c ON c.check_id = f.check_id JOIN run fr ON fr.id = s.first_run "
        f"WHERE s.first_run <= ? AND (s.end_run IS NULL OR s.end_run > ?) AND {where}",
        history.db, params=[as_of, as_of, *args])
    if window.since is not None:
        frame = frame[frame["first_at"] >= window.since]
    at = dict(history.db.execute("SELECT id, at FROM run"))
    # Seen last: as of the window's end, the run that last saw it failing.
    last = frame["last_run"].where(frame["last_run"].notna() & (frame["last_run"] < as_of), as_of)
    frame = frame.assign(
        first_seen=_when(frame["first_at"]),
        last_seen=last.astype("int64").map(at).map(iso) if len(frame) else last,
        age_days=((as_of_at - frame["first_at"]) / DAY).round(1),
        state=["open" if v == as_of else "not assessed since last seen" for v in last],
        suppressed=frame["suppressed"].astype(bool),
    )
    frame = frame.sort_values(["first_at", "severity", "check_id", "resource_id"],
                              key=lambda c: c.map(_severity_order) if c.name == "severity" else c)
    columns = ["age_days", "severity", "check_id", "pillar", "resource_name", "resource_type", "first_seen",
               "last_seen", "state", "suppressed", "title", "resource_id"]
    return frame[columns].reset_index(drop=True)


def _severity_order(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


# --- mttr -------------------------------------------------------------------------------------
def mttr(history: History, window: Window) -> pd.DataFrame:
    """Days from first seen failing to first seen fixed, per severity and pillar, for findings
    fixed inside the window (and, counted apart, those closed because their resource went)."""
    pd = pandas()
    runs = window.runs(history)
    where, args = window.resource_filter("r.rid")
    frame = pd.read_sql_query(
        "SELECT s.severity, coalesce(c.pillar, '') AS pillar, s.end_reason, (er.at - fr.at) / 86400.0 AS days "
        "FROM finding_span s JOIN finding f ON f.id = s.finding JOIN resource r ON r.id = f.resource "
        "LEFT JOIN check_meta c ON c.check_id = f.check_id JOIN run fr ON fr.id = s.first_run "
        f"JOIN run er ON er.id = s.end_run WHERE s.end_run IS NOT NULL AND er.at BETWEEN ? AND ? AND {where}",
        history.db, params=[int(runs["at"].iloc[0]), int(runs["at"].iloc[-1]), *args])
    fixed = frame[frame["end_reason"] == "fixed"]
    grouped = fixed.groupby(["severity", "pillar"])["days"]
    table = pd.DataFrame({
        "fixed": grouped.size(),
        "mean_days": grouped.mean().round(1),
        "median_days": grouped.median().round(1),
        "p90_days": grouped.quantile(0.9).round(1),
        "max_days": grouped.max().round(1),
    })
    removed = frame[frame["end_reason"] == "removed"].groupby(["severity", "pillar"]).size()
    table = table.join(removed.rename("resource_removed"), how="outer").fillna({"fixed": 0, "resource_removed": 0})
    table = table.astype({"fixed": "int64", "resource_removed": "int64"}).reset_index()
    table["order"] = table["severity"].map(_severity_order)
    return table.sort_values(["order", "pillar"]).drop(columns="order").reset_index(drop=True)
