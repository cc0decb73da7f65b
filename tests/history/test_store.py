"""The history store: spans of state changes over real scans of the sample estate, runs that
could not see everything, growth, order, migrations and pruning."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from mlwaf.history import runreport, store
from mlwaf.history.schema import VERSION, HistoryError, migrate

from .conftest import DAY, scan_report, write


def spans(history: store.History, table: str = "finding_span") -> int:
    return history.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def open_ids(history: store.History) -> set[int]:
    return {r[0] for r in history.db.execute("SELECT finding FROM finding_span WHERE end_run IS NULL")}


def with_status(report: dict, status: str) -> set[int]:
    return {store.key(i) for i, row in runreport.from_dict(report).findings.items() if row.status == status}


def failing(report: dict) -> set[int]:
    return with_status(report, "FAIL")


def unknown(report: dict) -> set[int]:
    return with_status(report, "UNKNOWN")


def test_spans_follow_the_runs(days, tmp_path):
    with store.History(tmp_path / "h.db") as history:
        first = store.append(days[0], history)
        assert (first.run, first.opened, first.open) == (1, len(failing(days[0])), len(failing(days[0])))
        assert first.resources_added == len(days[0]["resources"]) and first.at_source == store.AT_REPORT
        second = store.append(days[1], history)
        assert (second.opened, second.fixed, second.unseen) == (1, 1, 0)  # SEC-001 regressed, SEC-010 fixed
        assert open_ids(history) == failing(days[1])

        third = store.append(days[2], history)  # online-endpoints.json unreadable
        assert third.fixed == 0 and third.removed == 0 and third.unseen > 0
        assert third.resources_removed == 0 and third.resources_unseen > 0
        assert open_ids(history) == failing(days[1])  # nothing it could not see was fixed
        unseen = history.db.execute("SELECT count(*) FROM finding_span WHERE end_run IS NULL AND last_run = 2")
        assert unseen.fetchone()[0] == third.unseen

        before = open_ids(history)
        fourth = store.append(days[3], history)  # endpoints back, the Resource Graph dump removed
        # A check on the AKS cluster that needs a resource of the dump answers UNKNOWN now: kept open.
        kept = before & unknown(days[3])
        assert fourth.removed == 7 and fourth.resources_removed == 3 and fourth.unseen == len(kept) == 1
        assert history.db.execute("SELECT count(*) FROM finding_span WHERE end_run IS NULL AND last_run IS NOT NULL"
                                  ).fetchone()[0] == 1  # the endpoints' findings were seen again; that one not
        assert open_ids(history) == failing(days[3]) | kept

        fifth = store.append(days[4], history)  # the fix undone: failing again, not new
        assert (fifth.opened, fifth.reopened) == (0, 1)
        assert open_ids(history) == failing(days[4]) | kept
        reasons = dict(history.db.execute("SELECT end_reason, count(*) FROM finding_span WHERE end_run IS NOT NULL "
                                          "GROUP BY 1"))
        assert reasons == {"fixed": 1, "removed": fourth.removed}


def test_a_moved_template_keeps_its_open_findings(estate, tmp_path):
    path = tmp_path / "h.db"
    store.append(scan_report(estate, generated_at=DAY.format(1)), path)
    shutil.copytree(estate / "dev", estate / "infra" / "dev")
    shutil.rmtree(estate / "dev")
    second = store.append(scan_report(estate, generated_at=DAY.format(2)), path)
    assert (second.opened, second.fixed, second.removed, second.resources_added, second.resources_removed) == (
        0, 0, 0, 0, 0)
    assert second.moved > 0
    with store.History(path) as history:
        assert history.db.execute("SELECT count(*) FROM finding_span WHERE first_run = 2").fetchone()[0] == 0


def test_a_run_that_sees_the_same_writes_nothing(tmp_path, sample_report):
    path = tmp_path / "h.db"
    first = dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(1)})
    store.append(first, path)
    with store.History(path) as history:
        before = {t: spans(history, t) for t in ("finding_span", "resource_span", "score_span")}
        changes = history.db.total_changes
        for day in range(2, 6):
            store.append(dict(first, tool={**first["tool"], "generated_at": DAY.format(day)}), history)
        assert {t: spans(history, t) for t in before} == before
        # per run: the run row only (its not-assessed list is empty); no span row written
        assert history.db.total_changes - changes == 4
        assert len(history.runs()) == 5


def test_the_file_and_the_dict_append_the_same(tmp_path, days):
    pytest.importorskip("ijson")
    file = write(tmp_path / "r.json", days[1])
    a, b = store.append(days[1], tmp_path / "a.db"), store.append(file, tmp_path / "b.db")
    assert {k: v for k, v in a.to_dict().items() if k != "source"} == {
        k: v for k, v in b.to_dict().items() if k != "source"}
    assert b.source == str(file)


def test_order_duplicates_and_missing_times(tmp_path, sample_report):
    path = tmp_path / "h.db"
    with pytest.raises(HistoryError, match="no time"):
        store.append(sample_report, path)  # --reproducible: no generated_at
    assert store.append(sample_report, path, at="2026-11-05T00:00:00Z").at_source == store.AT_GIVEN
    assert store.append(sample_report, path, at="2026-11-06T00:00:00Z").skipped == "already the latest run"
    older = dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(1)})
    with pytest.raises(HistoryError, match="before the latest run"):
        store.append(older, path)


def test_an_older_history_file_is_migrated(tmp_path, days):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, upto=1)  # a file written before policy results were kept
    db.close()
    store.append(days[0], path)  # ... opened by this version: migrated, then appended
    with store.History(path) as history:
        assert history.db.execute("SELECT version FROM schema_version").fetchone()[0] == VERSION
        assert history.runs()[0].policy is False
    # a v1 file that already holds runs keeps them
    path2 = tmp_path / "old2.db"
    db = sqlite3.connect(path2, isolation_level=None)
    migrate(db, upto=1)
    db.execute("INSERT INTO run (at, at_source, fingerprint, tool_version, report_schema, scope, resources, statuses,"
               " summarized) VALUES (1, 'generated_at', 'x', '0.1.0', 1, '{}', 3, '{}', 0)")
    db.close()
    with store.History(path2) as history:
        (run,) = history.runs()
        assert (run.id, run.resources, run.policy) == (1, 3, False)
        assert history.db.execute("SELECT count(*) FROM policy_span").fetchone()[0] == 0


def test_files_that_are_not_histories(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database at all" * 100)
    with pytest.raises(HistoryError, match="not an mlwaf history"):
        store.History(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(HistoryError, match="no schema_version"):
        store.History(other)
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer, isolation_level=None)
    migrate(db)
    db.execute("UPDATE schema_version SET version = ?", (VERSION + 1,))
    db.close()
    with pytest.raises(HistoryError, match="newer mlwaf"):
        store.History(newer)


def test_prune_keeps_what_is_still_open(tmp_path, days):
    path = tmp_path / "h.db"
    for report in days:
        store.append(report, path)
    with store.History(path) as history:
        first_seen = dict(history.db.execute("SELECT finding, first_run FROM finding_span WHERE end_run IS NULL"))
        result = store.prune(history, older_than=int(1.5 * 86400))  # keeps runs of days 4 and 5
        assert [r.id for r in history.runs()] == [4, 5]
        assert result.runs_kept_as_start >= 1  # day 1, where the open findings began
        assert dict(history.db.execute("SELECT finding, first_run FROM finding_span WHERE end_run IS NULL")
                    ) == first_seen
        assert history.db.execute("SELECT count(*) FROM finding_span WHERE end_run <= 3").fetchone()[0] == 0
        assert history.db.execute("SELECT count(*) FROM not_assessed").fetchone()[0] == 0  # day 3's went
        assert history.db.execute("SELECT count(*) FROM finding WHERE id NOT IN (SELECT finding FROM finding_span)"
                                  ).fetchone()[0] == 0


def test_policy_results_open_and_close(tmp_path, sample_report):
    ws = next(r for r in sample_report["resources"] if r["name"] == "mlw-fraud-prod")

    def run(day: int, state: str) -> dict:
        return dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(day)}, policy={
            "results": [{"assignment": "ml", "definition_id": "d1", "state": state, "resource_id": ws["id"]},
                        {"assignment": "ml", "definition_id": "d2", "state": "Compliant", "resource_id": ws["id"]}],
            "summary": {"assignments": [{"assignment": "ml", "compliance_percent": 42.0}]}})

    path = tmp_path / "h.db"
    assert store.append(run(1, "NonCompliant"), path).policy_opened == 1
    assert store.append(dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(2)}),
                        path).policy_closed == 0  # no policy evaluated: nothing closes
    assert store.append(run(3, "Compliant"), path).policy_closed == 1
    with store.History(path) as history:
        rows = list(history.db.execute("SELECT run, compliant, non_compliant, percent FROM policy_compliance"))
        assert rows == [(1, 1, 1, 42.0), (3, 2, 0, 42.0)]


def test_a_run_that_could_read_nothing_fixes_nothing(tmp_path, sample_report):
    path = tmp_path / "h.db"
    first = store.append(dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(1)}), path)
    blind = dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(2)}, resources=[],
                 findings=[], errors=[{"path": "/subscriptions", "message": "403: no subscription readable",
                                       "scope": "/subscriptions", "status": 403}])
    second = store.append(blind, path)
    assert (second.fixed, second.removed, second.resources_removed) == (0, 0, 0)
    assert second.unseen == first.open == second.open and second.resources_unseen == first.resources_added


def test_resources_of_a_type_not_collected_stay_open(tmp_path, sample_report):
    path = tmp_path / "h.db"
    store.append(dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(1)}), path)
    computes = "microsoft.machinelearningservices/workspaces/computes"
    later = dict(sample_report, tool={**sample_report["tool"], "generated_at": DAY.format(2)},
                 resources=[r for r in sample_report["resources"] if r["type"].lower() != computes],
                 findings=[f for f in sample_report["findings"] if f["resource_type"].lower() != computes],
                 not_collected=[{"type": computes, "reason": "no collector", "checks": ["MLW-SEC-010"]}])
    second = store.append(later, path)
    assert second.fixed == second.removed == second.resources_removed == 0 and second.unseen > 0
    with store.History(path) as history:
        assert history.runs()[-1].not_assessed == 1


def test_a_real_policy_section_is_kept_with_the_portal_percentage(tmp_path, estate):
    """Runs whose `policy` section a scan wrote: each assignment's percentage is the summary's
    (the portal's rule over resources), and a result of each template is a span of its own."""
    report = scan_report(estate, generated_at=DAY.format(1), policy=True)
    (summary,) = report["policy"]["summary"]["assignments"]
    failing = {runreport.policy_identity(r) for r in report["policy"]["results"]
               if r["state"] in ("NonCompliant", "Error")}
    appended = store.append(report, tmp_path / "h.db")
    assert appended.policy_opened == len(failing) > 0
    with store.History(tmp_path / "h.db") as history:
        (percent,) = history.db.execute("SELECT percent FROM policy_compliance").fetchone()
        assert percent == summary["compliance_percent"]
