"""The history store: one SQLite file (stdlib driver, no server) of runs and of what changed
between them. `append` is the entry point; `mlwaf history import` and `mlwaf scan --history
FILE` (mlwaf.history.recorded) call it.

Appending writes what changed, not a copy of the run (schema.py describes the spans): a run of a
100k-resource estate where 1% changed writes about 1% of the rows the first run wrote. An open
span that a run saw again is not written at all; its `last_run` stays NULL, meaning "seen in the
latest run". A span the run could not see (coverage.py) gets `last_run` = the last run that saw
it, once, and stays open: a run that could not read a subscription does not fix its findings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from mlwaf import armid
from mlwaf.history import compare, reading, runreport
from mlwaf.history.compare import Change, Statuses
from mlwaf.history.diff import RUN_SCOPE, score_blocks
from mlwaf.history.runreport import RunReport
from mlwaf.history.schema import HistoryError, migrate, transaction
from mlwaf.history_section import AppendResult

AT_REPORT = "generated_at"
AT_GIVEN = "given"
AT_MTIME = "file mtime"
_CHUNK = 500  # ids per `IN (...)` query, below SQLite's variable limit


def key(text: str) -> int:
    """The 64-bit key of an identity string (finding, resource, scope, policy result): a span
    row holds integers, not 150-character ids. A collision needs about 4 billion identities to be
    likely; an estate has millions at most."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def to_epoch(moment: dt.datetime | str) -> int:
    """Seconds since the epoch (UTC) of an aware datetime or ISO 8601 text; naive means UTC."""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        except ValueError:
            raise HistoryError(f"not an ISO 8601 time: {moment!r} (e.g. 2026-11-21T06:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RunRow:
    id: int
    at: int
    at_source: str
    source: str | None
    fingerprint: str
    tool_version: str
    resources: int
    not_assessed: int
    policy: bool

    @property
    def when(self) -> str:
        return iso(self.at)


class History:
    """An open history file (created and migrated on open)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise HistoryError(f"{self.path}: a folder, not a history file")
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            # A first run of a large estate writes hundreds of thousands of rows: a 16 MiB page
            # cache (the default is 2 MiB) keeps most B-tree pages of one append in memory.
            self.db.execute("PRAGMA cache_size = -16384")
            migrate(self.db)
            # The last appended run's failing findings: identity -> key (the scan marks them).
            self.keys: dict[str, int] = {}
        except HistoryError as err:
            raise HistoryError(f"{self.path}: {err}") from None
        except sqlite3.DatabaseError as err:
            raise HistoryError(f"{self.path}: not an mlwaf history file ({err})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def runs(self, *, include_pruned: bool = False) -> list[RunRow]:
        rows = self.db.execute(
            "SELECT r.id, r.at, r.at_source, r.source, r.fingerprint, r.tool_version, r.resources,"
            " (SELECT count(*) FROM not_assessed n WHERE n.run = r.id), r.policy FROM run r"
            + ("" if include_pruned else " WHERE r.pruned = 0") + " ORDER BY r.id"
        )
        return [RunRow(rid, at, source_of_at, source, fingerprint, version, resources, unseen, bool(policy))
                for rid, at, source_of_at, source, fingerprint, version, resources, unseen, policy in rows]

    def latest(self) -> RunRow | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def ages(self) -> dict[int, tuple[int, int, bool]]:
        """Every open finding: its key -> (the first run of its open span, that run's time, and
        whether an earlier span of it was closed: failing again after a fix)."""
        closed = {k for (k,) in self.db.execute("SELECT DISTINCT finding FROM finding_span WHERE end_run IS NOT NULL")}
        rows = self.db.execute("SELECT s.finding, s.first_run, r.at FROM finding_span s JOIN run r"
                               " ON r.id = s.first_run WHERE s.end_run IS NULL")
        return {k: (first, at, k in closed) for k, first, at in rows}

    def append(self, report: RunReport, *, at: dt.datetime | str | None = None,
               at_source: str = AT_GIVEN, new_run: bool = False) -> AppendResult:
        """Record a run. `at` is the run's time when the report has none (--reproducible) or
        when given (`at_source` says where it came from); runs must come in time order (import
        sorts them). A report that looks like the latest run (same time, version and counts) is
        skipped as imported already, unless `new_run` says it is a scan of its own (`mlwaf scan
        --history`: two scans may fall in one second)."""
        if at is not None:
            epoch, source = to_epoch(at), at_source
        elif report.generated_at:
            epoch, source = to_epoch(report.generated_at), AT_REPORT
        else:
            raise HistoryError(
                f"{report.label()}: the report has no time (made with --reproducible): give the run's time"
            )
        fingerprint = _fingerprint(report)
        latest = self.latest()
        if latest is not None and latest.fingerprint == fingerprint and not new_run:
            return AppendResult(None, iso(epoch), source, report.source, skipped="already the latest run")
        if latest is not None and epoch < latest.at:
            raise HistoryError(
                f"{report.label()}: the run is at {iso(epoch)}, before the latest run in {self.path} "
                f"({latest.when}); append runs oldest first (`mlwaf history import` sorts them)"
            )
        with transaction(self.db):
            appending = _Append(self.db, report, epoch, source, fingerprint, latest.id if latest else None)
            result = appending.run()
        self.keys = appending.keys
        return result


@dataclass(frozen=True)
class PruneResult:
    cutoff: str
    runs_deleted: int
    runs_kept_as_start: int  # pruned runs kept only because a span that lasts began there
    spans_deleted: int
    bytes_before: int
    bytes_after: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SPANS = ("finding_span", "resource_span", "score_span", "policy_span")
_DIMENSIONS = (  # rows no span refers to any more
    "DELETE FROM finding WHERE id NOT IN (SELECT finding FROM finding_span)",
    "DELETE FROM resource WHERE id NOT IN (SELECT resource FROM resource_span) "
    "AND id NOT IN (SELECT resource FROM finding)",
    "DELETE FROM scope WHERE id NOT IN (SELECT scope FROM score_span)",
    "DELETE FROM policy_result WHERE id NOT IN (SELECT result FROM policy_span)",
)


def prune(history: History, older_than: int) -> PruneResult:
    """Forget runs more than `older_than` seconds before the latest run, and every span that
    ended by then. A span still open, or that ended later, keeps its first run as a stub (time
    only), so a finding open for two years keeps its first-seen date. The file is vacuumed."""
    latest = history.latest()
    before = history.path.stat().st_size
    if latest is None:
        return PruneResult("", 0, 0, 0, before, before)
    cutoff = latest.at - older_than
    db = history.db
    with transaction(db):
        last_old = db.execute("SELECT max(id) FROM run WHERE at < ?", (cutoff,)).fetchone()[0]
        deleted = stubs = spans = 0
        if last_old is not None:
            for table in _SPANS:
                spans += db.execute(f"DELETE FROM {table} WHERE end_run IS NOT NULL AND end_run <= ?",
                                    (last_old,)).rowcount
            for table in ("not_assessed", "policy_compliance"):
                db.execute(f"DELETE FROM {table} WHERE run <= ?", (last_old,))
            # (NOT IN over a list holding NULL is never true: open spans' NULL last_run left out.)
            referenced = " UNION ".join(
                f"SELECT first_run FROM {t} UNION SELECT last_run FROM {t} WHERE last_run IS NOT NULL" for t in _SPANS)
            deleted = db.execute(f"DELETE FROM run WHERE id <= ? AND id NOT IN ({referenced})", (last_old,)).rowcount
            stubs = db.execute("UPDATE run SET pruned = 1 WHERE id <= ?", (last_old,)).rowcount
            for statement in _DIMENSIONS:
                db.execute(statement)
    db.execute("VACUUM")
    return PruneResult(iso(cutoff), deleted, stubs, spans, before, history.path.stat().st_size)


def append(
    report: str | os.PathLike[str] | Mapping[str, Any] | RunReport,
    store: str | os.PathLike[str] | History,
    *,
    at: dt.datetime | str | None = None,
    at_source: str = AT_GIVEN,
) -> AppendResult:
    """Append one run to a history file: `report` is a JSON report file (streamed: a large one is
    never held whole), the report as a dict (a scan's own), or a read `RunReport`; `store` a
    history file (created when missing) or an open `History`. This is what `mlwaf scan --history
    FILE` calls after writing its reports."""
    if isinstance(report, RunReport):
        run = report
    elif isinstance(report, Mapping):
        run = runreport.from_dict(report)
    else:
        run = reading.load(report, stream=True)
    if isinstance(store, History):
        return store.append(run, at=at, at_source=at_source)
    with History(store) as history:
        return history.append(run, at=at, at_source=at_source)


def _fingerprint(report: RunReport) -> str:
    overall = (report.scores or {}).get("overall")
    data = [report.generated_at, report.version, len(report.resources), len(report.findings), overall,
            sorted(Counter(f.status for f in report.findings.values()).items())]
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class _Append:
    """One run appended, inside the caller's transaction."""

    def __init__(self, db: sqlite3.Connection, report: RunReport, at: int, at_source: str, fingerprint: str,
                 previous: int | None) -> None:
        self.db, self.report, self.previous = db, report, previous
        self.statuses = Statuses(report)
        self.coverage = self.statuses.coverage
        self.counts: Counter[str] = Counter()
        self.at, self.at_source = at, at_source
        self.id = self._insert_run(fingerprint)

    def run(self) -> AppendResult:
        self._resources()
        self._findings()
        self._scores()
        self._policy()
        c = self.counts
        return AppendResult(
            self.id, iso(self.at), self.at_source, self.report.source, opened=c["opened"], reopened=c["reopened"],
            fixed=c["fixed"], removed=c["removed"], unseen=c["unseen"], moved=c["moved"], open=c["open"],
            resources_added=c["resources_added"], resources_removed=c["resources_removed"],
            resources_unseen=c["resources_unseen"], scores_changed=c["scores_changed"],
            policy_opened=c["policy_opened"], policy_closed=c["policy_closed"],
        )

    # --- the run ----------------------------------------------------------------------------
    def _insert_run(self, fingerprint: str) -> int:
        r = self.report
        scopes = r.scores.get("scopes") or ()
        subscriptions = sorted({str(s.get("name")) for s in scopes if s.get("kind") == "subscription"})
        scope = {"subscriptions": subscriptions, "files": r.scanned}
        statuses = dict((r.scores.get("overall") or {}).get("counts") or {})
        cur = self.db.execute(
            "INSERT INTO run (at, at_source, source, fingerprint, tool_version, report_schema, checks, check_sources,"
            " scope, resources, statuses, summarized, gate, policy) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (self.at, self.at_source, r.source, fingerprint, r.version, r.tool.get("schema_version"),
             r.tool.get("checks"), _json(r.tool.get("check_sources")), _json(scope), len(r.resources),
             _json(statuses), int(r.summarized), (r.gate or {}).get("decision"), int(r.policy is not None)),
        )
        run_id = int(cur.lastrowid or 0)
        self.db.executemany(
            "INSERT INTO not_assessed (run, path, scope, call, status, message) VALUES (?,?,?,?,?,?)",
            [(run_id, e.path, e.scope, e.call, e.status, e.message) for e in r.errors]
            + [(run_id, f"not collected: {t}", None, None, None, reason) for t, reason in r.not_collected],
        )
        return run_id

    # --- spans, the common part -------------------------------------------------------------
    def _open(self, table: str, entity: str, extra: str = "") -> dict[int, tuple[Any, ...]]:
        """Open spans: entity key -> (rowid, last_run, *extra columns)."""
        cols = f"{entity}, rowid, last_run{', ' + extra if extra else ''}"
        return {row[0]: row[1:] for row in self.db.execute(f"SELECT {cols} FROM {table} WHERE end_run IS NULL")}

    def _seen_again(self, table: str, spans: Iterable[tuple[Any, ...]]) -> None:
        """Open spans seen by this run after runs that could not see them: seen in the latest run."""
        self.db.executemany(f"UPDATE {table} SET last_run = NULL WHERE rowid = ?",
                            [(span[0],) for span in spans if span[1] is not None])

    def _unseen(self, table: str, span: tuple[Any, ...]) -> None:
        if span[1] is None:  # seen last by the previous run; stays open
            self.db.execute(f"UPDATE {table} SET last_run = ? WHERE rowid = ?", (self.previous, span[0]))

    def _end(self, table: str, span: tuple[Any, ...], reason: str | None = None) -> None:
        last = span[1] if span[1] is not None else self.previous
        if table == "resource_span" or table == "score_span":
            self.db.execute(f"UPDATE {table} SET end_run = ?, last_run = ? WHERE rowid = ?", (self.id, last, span[0]))
        else:
            self.db.execute(f"UPDATE {table} SET end_run = ?, last_run = ?, end_reason = ? WHERE rowid = ?",
                            (self.id, last, reason, span[0]))

    # --- resources --------------------------------------------------------------------------
    def _resources(self) -> None:
        current = {key(u): r for u, r in self.report.resources.items()}
        # Findings name their resource by its uid: its key, computed once here.
        self.resource_keys = {r.uid: k for k, r in current.items()}
        known = dict(self.db.execute("SELECT id, path FROM resource"))
        self.db.executemany("INSERT INTO resource (id, rid, type, name, path, deployment) VALUES (?,?,?,?,?,?)",
                            sorted((k, r.id, r.type, r.name, r.path, r.deployment) for k, r in current.items()
                                   if k not in known))
        relabelled = [(r.id, r.name, r.path, k) for k, r in current.items() if k in known and known[k] != r.path]
        self.db.executemany("UPDATE resource SET rid = ?, name = ?, path = ? WHERE id = ?", relabelled)
        spans = self._open("resource_span", "resource")
        self._seen_again("resource_span", (spans[k] for k in current.keys() & spans.keys()))
        gone_rows = list(self._rows("SELECT id, rid, path, deployment FROM resource WHERE id IN ({})",
                                    [k for k in spans if k not in current]))
        # A moved template: the one resource of an id that left, the one of that id that came.
        went = _unique((armid.normalize(rid), k) for k, rid, _p, dep in gone_rows if dep is not None)
        came = _unique((current[k].key, k) for k in current if k not in spans and current[k].deployment) \
            if went else {}
        moved = {came[i]: went[i] for i in came.keys() & went.keys()}
        self.db.executemany("UPDATE resource_span SET resource = ?, last_run = NULL WHERE rowid = ?",
                            [(new, spans[old][0]) for new, old in moved.items()])
        added = sorted((k, self.id) for k in current if k not in spans and k not in moved)
        self.db.executemany("INSERT INTO resource_span (resource, first_run, last_run) VALUES (?, ?, NULL)", added)
        self.counts["resources_added"] = len(added)
        carried = set(moved.values())
        for k, rid, path, _deployment in gone_rows:
            if k in carried:
                continue
            if self.coverage.missed(armid.normalize(rid), path):
                self._unseen("resource_span", spans[k])
                self.counts["resources_unseen"] += 1
            else:
                self._end("resource_span", spans[k])
                self.counts["resources_removed"] += 1

    def _resource_key(self, row: runreport.FindingRow) -> int:
        known = self.resource_keys.get(row.resource_uid)
        return known if known is not None else key(row.resource_uid)

    def _rows(self, query: str, ids: Sequence[int]) -> Iterator[tuple[Any, ...]]:
        for chunk in _chunks(ids):
            yield from self.db.execute(query.format(",".join("?" * len(chunk))), chunk)

    # --- findings ---------------------------------------------------------------------------
    def _findings(self) -> None:
        # Keys of failing findings only (kept for the scan's marks); the others' if a span is gone.
        keys = {identity: key(identity) for identity, row in self.report.findings.items()
                if row.status == compare.FAIL}
        self.keys = keys
        failing = {k: self.report.findings[identity] for identity, k in keys.items()}
        self.db.executemany(
            "INSERT INTO check_meta (check_id, title, pillar, severity) VALUES (?,?,?,?) ON CONFLICT(check_id) DO "
            "UPDATE SET title = excluded.title, pillar = excluded.pillar, severity = excluded.severity WHERE "
            "(title, pillar, severity) IS NOT (excluded.title, excluded.pillar, excluded.severity)",
            list(self.report.checks.values()),
        )
        spans = self._open("finding_span", "finding", "severity, suppressed")
        self._seen_again("finding_span", (spans[k] for k in failing.keys() & spans.keys()))
        self.db.executemany(
            "UPDATE finding_span SET severity = ?, suppressed = ? WHERE rowid = ?",
            [(row.severity, int(row.suppressed), spans[k][0]) for k, row in failing.items()
             if k in spans and (spans[k][2], bool(spans[k][3])) != (row.severity, row.suppressed)],
        )
        new = sorted(k for k in failing if k not in spans)  # B-tree inserts in key order
        query = "SELECT f.id, f.check_id, r.rid, r.path, r.deployment FROM finding f JOIN resource r " \
                "ON r.id = f.resource WHERE f.id IN ({})"
        gone = list(self._rows(query, [k for k in spans if k not in failing]))
        listed = failing if not gone else {**failing, **{
            key(identity): row for identity, row in self.report.findings.items() if identity not in keys}}
        moved = self._moved(new, gone, failing)
        self.db.executemany("INSERT OR IGNORE INTO finding (id, check_id, resource) VALUES (?,?,?)",
                            [(k, failing[k].check_id, self._resource_key(failing[k])) for k in sorted(moved)])
        self.db.executemany("UPDATE finding_span SET finding = ?, last_run = NULL WHERE rowid = ?",
                            [(k, spans[old][0]) for k, old in moved.items()])
        self.counts["moved"] = len(moved)
        new = [k for k in new if k not in moved]
        finding_rows, span_rows = _new_finding_rows(new, failing, self.resource_keys, self.id)
        before = self.db.total_changes
        self.db.executemany("INSERT OR IGNORE INTO finding (id, check_id, resource) VALUES (?,?,?)", finding_rows)
        self.counts["opened"] = self.db.total_changes - before
        self.counts["reopened"] = len(new) - self.counts["opened"]
        self.db.executemany("INSERT INTO finding_span (finding, severity, suppressed, first_run, last_run)"
                            " VALUES (?,?,?,?,NULL)", span_rows)
        carried = set(moved.values())
        for k, check_id, rid, path, deployment in gone:
            if k in carried:
                continue
            resource = runreport.uid(armid.normalize(rid), deployment)
            now = self.statuses.of_listed(listed.get(k), check_id, resource, path)
            if compare.classify(compare.FAIL, now) == Change.FIXED:
                reason = "removed" if now == compare.ABSENT else "fixed"
                self._end("finding_span", spans[k], reason)
                self.counts[reason] += 1
            else:
                self._unseen("finding_span", spans[k])
                self.counts["unseen"] += 1
        self.counts["open"] = len(spans) + len(new) - self.counts["fixed"] - self.counts["removed"]

    def _moved(self, new: Sequence[int], gone: Sequence[tuple[Any, ...]],
               failing: Mapping[int, runreport.FindingRow]) -> dict[int, int]:
        """Open findings of a template that moved (compare.moved): new key -> open span's key,
        for the one finding of a check and id that came and the one that left with its resource."""
        if not gone:  # nothing left: nothing moved (a first run)
            return {}
        came = _unique(((failing[k].check_id.upper(), failing[k].resource_key), k) for k in new
                       if failing[k].deployment is not None)
        went = _unique(((check_id.upper(), armid.normalize(rid)), k) for k, check_id, rid, _path, deployment in gone
                       if deployment is not None
                       and runreport.uid(armid.normalize(rid), deployment) not in self.report.resources)
        return {came[i]: went[i] for i in came.keys() & went.keys()}

    # --- scores -----------------------------------------------------------------------------
    def _scores(self) -> None:
        current: dict[tuple[int, str], tuple[Any, ...]] = {}
        scopes = []
        for (kind, sid_key), (sid, name, pillars) in score_blocks(self.report.scores).items():
            scope = key(f"{kind}|{sid_key}")
            scopes.append((scope, kind, sid, name))
            for pillar, block in pillars.items():
                current[scope, pillar] = (block.get("score"), block.get("coverage"), _json(block.get("counts")))
        self.db.executemany("INSERT OR IGNORE INTO scope (id, kind, sid, name) VALUES (?,?,?,?)", sorted(scopes))
        spans = {(row[0], row[1]): row[2:] for row in self.db.execute(
            "SELECT scope, pillar, rowid, last_run, score, coverage, counts FROM score_span WHERE end_run IS NULL")}
        same = [span for k, span in spans.items() if k in current and tuple(span[2:]) == current[k]]
        self._seen_again("score_span", same)
        changed = [k for k in current if k not in spans or tuple(spans[k][2:]) != current[k]]
        for k in changed:
            if k in spans:
                self._end("score_span", spans[k])
        self.db.executemany(
            "INSERT INTO score_span (scope, pillar, score, coverage, counts, first_run, last_run) "
            "VALUES (?,?,?,?,?,?,NULL)", [(*k, *current[k], self.id) for k in sorted(changed)])
        self.counts["scores_changed"] = len(changed)
        gone: dict[int, list[tuple[Any, ...]]] = {}
        for k in spans.keys() - current.keys():
            gone.setdefault(k[0], []).append(spans[k])
        for scope, kind, sid in self._rows("SELECT id, kind, sid FROM scope WHERE id IN ({})", list(gone)):
            missed = kind != RUN_SCOPE and self.coverage.missed(armid.normalize(sid), None)
            for span in gone[scope]:
                if missed:
                    self._unseen("score_span", span)
                else:
                    self._end("score_span", span)

    # --- Azure Policy -----------------------------------------------------------------------
    def _policy(self) -> None:
        policy = self.report.policy
        if policy is None:
            return  # a run that evaluated no policy neither opens nor closes a policy result
        self.db.executemany(
            "INSERT INTO policy_compliance (run, assignment, compliant, non_compliant, exempt, unknown, error, percent)"
            " VALUES (?,?,?,?,?,?,?,?)", _compliance(self.id, policy))
        failing = {key(r.identity): r for r in policy.results.values() if compare.as_status(r.state) == compare.FAIL}
        spans = self._open("policy_span", "result", "state")
        self._seen_again("policy_span", (spans[k] for k in failing.keys() & spans.keys()))
        restated = [(r.state, spans[k][0]) for k, r in failing.items() if k in spans and spans[k][2] != r.state]
        self.db.executemany("UPDATE policy_span SET state = ? WHERE rowid = ?", restated)
        new = [k for k in failing if k not in spans]
        self.db.executemany(
            "INSERT OR IGNORE INTO policy_result (id, assignment, definition_id, reference_id, display_name,"
            " resource_id) VALUES (?,?,?,?,?,?)",
            [(k, r.assignment, r.definition_id, r.reference_id, r.display_name, r.resource_id)
             for k in sorted(new) for r in (failing[k],)],  # B-tree inserts in key order
        )
        self.db.executemany("INSERT INTO policy_span (result, state, first_run, last_run) VALUES (?,?,?,NULL)",
                            [(k, failing[k].state, self.id) for k in new])
        self.counts["policy_opened"] = len(new)
        gone = [k for k in spans if k not in failing]
        rows = failing if not gone else {key(r.identity): r for r in policy.results.values()}
        for k, rid in self._rows("SELECT id, resource_id FROM policy_result WHERE id IN ({})", gone):
            now = compare.policy_status(self.statuses, rows.get(k), armid.normalize(rid))
            if compare.classify(compare.FAIL, now) == Change.FIXED:
                self._end("policy_span", spans[k], "removed" if now == compare.ABSENT else "fixed")
                self.counts["policy_closed"] += 1
            else:
                self._unseen("policy_span", spans[k])


def _new_finding_rows(new: Sequence[int], failing: Mapping[int, runreport.FindingRow], resource_keys: Mapping[str, int],
                      run_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The `finding` and `finding_span` rows of newly failing findings (a first run: every failing
    one), in one pass; a finding names its resource by the key `_resources` computed."""
    finding_rows, span_rows = [], []
    for k in new:
        row = failing[k]
        resource = resource_keys.get(row.resource_uid)
        finding_rows.append((k, row.check_id, key(row.resource_uid) if resource is None else resource))
        span_rows.append((k, row.severity, int(row.suppressed), run_id))
    return finding_rows, span_rows


def _unique(pairs: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    """group -> key, for the groups that hold exactly one key."""
    seen: dict[Any, list[int]] = {}
    for group, k in pairs:
        seen.setdefault(group, []).append(k)
    return {group: keys[0] for group, keys in seen.items() if len(keys) == 1}


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _compliance(run: int, policy: Any) -> list[tuple[Any, ...]]:
    """The run's policy_compliance rows. An assignment is its id (the same name at two scopes is
    two assignments): a row names it by its name where that is unique in the run, else by its id."""
    states: dict[tuple[str, str], Counter[str]] = {}
    counted = Counter((row.assignment_id or row.assignment, row.assignment, row.state)
                      for row in policy.results.values())
    for (aid, name, state), count in counted.items():
        states.setdefault((aid, name), Counter())[state] = count
    names = Counter(name for _, name in states)
    return sorted((run, name if names[name] == 1 else aid, c["Compliant"], c["NonCompliant"], c["Exempt"],
                   c["Unknown"], c["Error"], _percent(policy.summary, aid, name, c))
                  for (aid, name), c in states.items())


def _percent(summary: Any, assignment_id: str, name: str, counts: Counter[str]) -> float | None:
    """The assignment's compliance percentage as the report's policy summary gives it (the
    portal's rule over resources: `summary.assignments[].compliance_percent`, docs/policy.md);
    without one, the share of compliant results among those evaluated (compliant, non-compliant,
    error)."""
    entries = summary.get("assignments") if isinstance(summary, Mapping) else None
    entry = next((e for e in entries or () if isinstance(e, Mapping)
                  and (e.get("assignment_id") or e.get("assignment")) == assignment_id), None)
    if entry is None:  # a report written before the id was recorded
        entry = next((e for e in entries or () if isinstance(e, Mapping) and e.get("assignment") == name), None)
    percent = entry.get("compliance_percent") if entry is not None else None
    if isinstance(percent, int | float) and not isinstance(percent, bool):
        return float(percent)
    evaluated = counts["Compliant"] + counts["NonCompliant"] + counts["Error"]
    return round(100.0 * counts["Compliant"] / evaluated, 1) if evaluated else None
