"""The history file's schema, as ordered migration steps.

A history file records its version in `schema_version`; opening a file written by an older mlwaf
applies the missing steps in order, each in its own transaction, so the file moves forward one
version at a time and is never left half-migrated. A step, once released, never changes: a new
need is a new step at the end.

The tables hold state changes, not copies. A *span* is an interval of runs over which something
stayed the same: a finding open (FAIL), a resource present, a scope's score for a pillar, a
policy result non-compliant. `first_run` is the run that first saw it so; `end_run` the run that
saw it change (NULL while it lasts); `last_run` the last run that saw it so, NULL while that is
the latest run, so a run that sees what it saw before writes nothing. A run that could not see
it (a not-assessed file or scope) neither extends nor ends it: it sets `last_run` once. Identities
are 64-bit hashes of the baseline's identity strings (`store.key`), so a span row is a few
integers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

MIGRATIONS: tuple[str, ...] = (
    # 1: runs, what they could not assess, resources, findings and scores as spans.
    """
    CREATE TABLE run (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,               -- seconds since the epoch, UTC
        at_source TEXT NOT NULL,           -- where `at` came from: generated_at, given, file mtime
        source TEXT,                       -- the report file, when read from one
        fingerprint TEXT NOT NULL,         -- the same report appended twice is recognised
        tool_version TEXT NOT NULL,
        report_schema INTEGER NOT NULL,
        checks INTEGER,
        check_sources TEXT,                -- JSON: {"builtin": 97, ...}
        scope TEXT NOT NULL,               -- JSON: subscriptions, files read
        resources INTEGER NOT NULL,
        statuses TEXT NOT NULL,            -- JSON: findings per status (listed and counted)
        summarized INTEGER NOT NULL,
        gate TEXT,
        pruned INTEGER NOT NULL DEFAULT 0  -- kept only because a span that lasts began here
    );
    CREATE TABLE not_assessed (
        run INTEGER NOT NULL REFERENCES run(id),
        path TEXT, scope TEXT, call TEXT, status INTEGER, message TEXT
    );
    CREATE INDEX not_assessed_run ON not_assessed(run);
    CREATE TABLE resource (id INTEGER PRIMARY KEY, rid TEXT NOT NULL, type TEXT, name TEXT, path TEXT);
    CREATE TABLE resource_span (
        resource INTEGER NOT NULL, first_run INTEGER NOT NULL, last_run INTEGER, end_run INTEGER
    );
    CREATE INDEX resource_span_open ON resource_span(resource) WHERE end_run IS NULL;
    CREATE TABLE check_meta (check_id TEXT PRIMARY KEY, title TEXT, pillar TEXT, severity TEXT);
    CREATE TABLE finding (id INTEGER PRIMARY KEY, check_id TEXT NOT NULL, resource INTEGER NOT NULL);
    CREATE TABLE finding_span (
        finding INTEGER NOT NULL, severity TEXT NOT NULL, suppressed INTEGER NOT NULL,
        first_run INTEGER NOT NULL, last_run INTEGER, end_run INTEGER,
        end_reason TEXT                    -- fixed | removed (the resource is gone)
    );
    CREATE INDEX finding_span_open ON finding_span(finding) WHERE end_run IS NULL;
    CREATE INDEX finding_span_first ON finding_span(first_run);
    CREATE TABLE scope (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, sid TEXT NOT NULL, name TEXT);
    CREATE TABLE score_span (
        scope INTEGER NOT NULL, pillar TEXT NOT NULL, score REAL, coverage REAL, counts TEXT,
        first_run INTEGER NOT NULL, last_run INTEGER, end_run INTEGER
    );
    CREATE INDEX score_span_open ON score_span(scope, pillar) WHERE end_run IS NULL;
    CREATE INDEX score_span_scope ON score_span(scope, first_run);
    """,
    # 2: Azure Policy results (issue 14): non-compliant results as spans, compliance per run.
    """
    ALTER TABLE run ADD COLUMN policy INTEGER NOT NULL DEFAULT 0;  -- the run evaluated Azure Policy
    CREATE TABLE policy_result (
        id INTEGER PRIMARY KEY, assignment TEXT, definition_id TEXT, reference_id TEXT,
        display_name TEXT, resource_id TEXT NOT NULL
    );
    CREATE TABLE policy_span (
        result INTEGER NOT NULL, state TEXT NOT NULL,
        first_run INTEGER NOT NULL, last_run INTEGER, end_run INTEGER, end_reason TEXT
    );
    CREATE INDEX policy_span_open ON policy_span(result) WHERE end_run IS NULL;
    CREATE TABLE policy_compliance (
        run INTEGER NOT NULL REFERENCES run(id), assignment TEXT NOT NULL,
        compliant INTEGER NOT NULL, non_compliant INTEGER NOT NULL, exempt INTEGER NOT NULL,
        unknown INTEGER NOT NULL, error INTEGER NOT NULL, percent REAL
    );
    CREATE INDEX policy_compliance_run ON policy_compliance(run);
    """,
    # 3: a template's resources carry their deployment (template and parameter files) in their
    # identity (model.identity), so the resource row keeps it to rebuild the resource's uid.
    """
    ALTER TABLE resource ADD COLUMN deployment TEXT;
    """,
)
VERSION = len(MIGRATIONS)


class HistoryError(Exception):
    """A history file that cannot be used as asked: a usage error (exit 2) naming the file."""


def version_of(db: sqlite3.Connection) -> int:
    """0 for an empty file; raises HistoryError for a database that is not an mlwaf history."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return 0
    if "schema_version" not in tables:
        raise HistoryError("an SQLite database, but not an mlwaf history (no schema_version table)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    if row is None or not isinstance(row[0], int):
        raise HistoryError("its schema_version table holds no version")
    return row[0]


def migrate(db: sqlite3.Connection, *, upto: int = VERSION) -> int:
    """Bring the file to version `upto` (the latest by default); returns the version it had."""
    had = version_of(db)
    if had > VERSION:
        raise HistoryError(f"written by a newer mlwaf (history schema {had}; this one reads up to {VERSION})")
    for number in range(had + 1, upto + 1):
        with transaction(db):  # one step, all or nothing (SQLite's DDL is transactional)
            if number == 1:
                db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                db.execute("INSERT INTO schema_version VALUES (0)")
            for statement in _statements(MIGRATIONS[number - 1]):
                db.execute(statement)
            db.execute("UPDATE schema_version SET version = ?", (number,))
    return had


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error. The connection is in autocommit mode
    (isolation_level None) so that DDL and DML alike sit inside it, and IMMEDIATE takes the write
    lock at once: two jobs appending to one file wait for each other instead of interleaving."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """A step's statements, one by one: `executescript` would commit outside the transaction."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
