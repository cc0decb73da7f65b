"""How one finding moved between two runs. `mlwaf diff` and the history store both ask this
module, so "new", "fixed" and "not assessed" mean the same in a diff, a digest and a trend.

A finding's status in a run is its listed status, or, when the report does not list it:
- counted: a summarized report counted it as PASS or NOT_APPLICABLE without listing it;
- absent: its resource is not in the run and the run could have read it (removed, or not yet
  created);
- not assessed: its resource is not in the run, and the run could not read where it lives;
- not checked: its resource is in the run, but the check did not run on it (deselected,
  dropped from the pack).

Only a finding that is assessed again and passes, or whose resource is gone from a run that
could see it, is fixed. UNKNOWN, ERROR, not checked and not assessed keep it open.
"""

from __future__ import annotations

import enum

from mlwaf.history.coverage import Coverage
from mlwaf.history.runreport import POLICY_OPEN, POLICY_RESOLVED, FindingRow, PolicyRow, RunReport

FAIL = "FAIL"
ABSENT = "absent"
NOT_ASSESSED = "not assessed"
NOT_CHECKED = "not checked"
_PASSING = frozenset({"PASS", "NOT_APPLICABLE"})


class Change(enum.StrEnum):
    NEW = "new"
    REGRESSED = "regressed"  # was PASS (listed, or counted as possibly PASS), now FAIL
    STILL_FAILING = "still_failing"
    FIXED = "fixed"
    NOT_ASSESSED = "not_assessed"  # was FAIL, now unseen: stays open, never counted as fixed


ORDER = tuple(Change)


def counted(statuses: frozenset[str]) -> str:
    """The status of a finding a summarized report counted: 'PASS|NOT_APPLICABLE' (either)."""
    return "|".join(sorted(statuses))


class Statuses:
    """The status of any finding identity in one run, listed or not."""

    def __init__(self, run: RunReport) -> None:
        self.run = run
        self.coverage = Coverage(run.errors, nothing_read=not run.resources and bool(run.errors),
                                 types=(t for t, _ in run.not_collected))

    def of(self, identity: str, check_id: str, resource_uid: str, path: str | None) -> str:
        """`resource_uid`: the finding's resource as `ResourceRow.uid` (id, and deployment)."""
        return self.of_listed(self.run.findings.get(identity), check_id, resource_uid, path)

    def of_listed(self, row: FindingRow | None, check_id: str, resource_uid: str, path: str | None) -> str:
        """The same, with the finding's row (None when not listed) already looked up."""
        if row is not None:
            return row.status
        if resource_uid not in self.run.resources:
            key = resource_uid.split("|", 1)[0]
            return NOT_ASSESSED if self.coverage.missed(key, path) else ABSENT
        statuses = self.run.counted.get(check_id.upper())
        return counted(statuses) if statuses else NOT_CHECKED


def as_status(state: str) -> str:
    """A policy state read as a finding status, so one `classify` serves both: non-compliant
    (and Error, which Azure treats as non-compliant) is FAIL, compliant and exempt PASS."""
    if state in POLICY_OPEN:
        return FAIL
    if state in POLICY_RESOLVED:
        return "PASS"
    return state or "UNKNOWN"


def policy_status(statuses: Statuses, listed: PolicyRow | None, resource_key: str) -> str:
    """The status of a policy result in a run, as `Statuses.of_listed` for findings: `listed` is
    the run's result of that identity (None when it has none). A run that evaluated no policy did
    not check it."""
    if statuses.run.policy is None:
        return NOT_CHECKED
    if listed is not None:
        return as_status(listed.state)
    if not statuses.run.has_resource(resource_key):
        return NOT_ASSESSED if statuses.coverage.missed(resource_key, None) else ABSENT
    return NOT_CHECKED


def moved(old: RunReport, new: RunReport) -> dict[str, str]:
    """Findings of a template that moved or was renamed: new identity -> old identity.

    A template's findings carry its path in their identity, so a moved template's findings are
    absent from one run and unknown in the other. As the baseline does, a finding of the new run
    is matched to the one finding of the old run with the same check, resource id and status,
    when neither run has another such finding left unmatched; with two candidates nothing is
    matched (two templates declaring the same names are two resources)."""
    def unmatched(run: RunReport, other: RunReport) -> dict[tuple[str, str, str], list[str]]:
        groups: dict[tuple[str, str, str], list[str]] = {}
        for identity, row in run.findings.items():
            if row.deployment is not None and identity not in other.findings:
                groups.setdefault((row.check_id.upper(), row.resource_key, row.status), []).append(identity)
        return groups

    if not (old.described or new.described):
        return {}
    gone, came = unmatched(old, new), unmatched(new, old)
    return {came[k][0]: gone[k][0] for k in came.keys() & gone.keys() if len(came[k]) == len(gone[k]) == 1}


def classify(before: str, now: str) -> Change | None:
    """The change from status `before` to `now`, or None when neither is a FAIL."""
    if now == FAIL:
        if before == FAIL:
            return Change.STILL_FAILING
        return Change.REGRESSED if "PASS" in before.split("|") else Change.NEW
    if before != FAIL:
        return None
    if now == ABSENT or all(s in _PASSING for s in now.split("|")):
        return Change.FIXED
    return Change.NOT_ASSESSED


def shown(status: str) -> str:
    """A status as a person reads it in a diff or a digest."""
    if status == ABSENT:
        return "resource absent"
    if "|" in status:
        return " or ".join(status.split("|")) + " (counted)"
    return status
