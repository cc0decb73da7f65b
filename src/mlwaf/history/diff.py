"""Two runs compared: findings and policy results that are new, regressed, still failing, fixed
or no longer assessed; checks whose severity changed; resources added, removed or unseen; score
deltas per pillar and per scope; not-assessed entries that appeared or went away.

Identities are the baseline's, so a template that moved or was reformatted gives no change.
`gate` is what `mlwaf diff --fail-on-new` decides: only findings that got worse count.
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from mlwaf.history import compare
from mlwaf.history.compare import Change, Statuses
from mlwaf.history.runreport import POLICY_OPEN, FindingRow, PolicyRow, RunReport

_RANK = {"high": 3, "medium": 2, "low": 1}
PILLARS = ("overall", "reliability", "security", "cost_optimization", "operational_excellence",
           "performance_efficiency")
RUN_SCOPE = "run"  # the whole run's scores, beside subscription, resource_group and workspace


def severity_rank(severity: str) -> int:
    return _RANK.get(severity.lower(), 0)


class _Dict:
    """`to_dict()` for the dataclasses below: their fields are the JSON output."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        # Every field holds a str, int, bool or None: the shallow dict is `asdict`'s, without its
        # deep copy (a diff of two 100k reports has about 100k policy changes).
        return {name: getattr(self, name) for name in self.__dataclass_fields__}  # type: ignore[attr-defined]


class FindingChange(NamedTuple):
    """One finding that changed (or still fails): a named tuple, as a large diff has hundreds of
    thousands of them."""

    change: str
    identity: str
    check_id: str
    title: str
    pillar: str
    severity: str
    resource_id: str
    resource_type: str
    resource_name: str
    message: str
    was: str
    now: str
    suppressed: bool = False
    severity_before: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


_FINDING_FIELDS = FindingChange._fields


@dataclass(frozen=True, slots=True)
class SeverityChange(_Dict):
    check_id: str
    title: str
    before: str
    after: str
    failing_now: int


@dataclass(frozen=True, slots=True)
class ResourceChange(_Dict):
    change: str  # added | removed | not_assessed
    id: str
    type: str
    name: str


@dataclass(frozen=True, slots=True)
class ScoreDelta:
    scope_kind: str
    scope_id: str
    scope_name: str
    pillar: str
    before: float | None
    after: float | None
    coverage_before: float | None
    coverage_after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 1)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "delta": self.delta}


@dataclass(frozen=True, slots=True)
class PolicyChange(_Dict):
    change: str
    assignment: str
    definition_id: str
    reference_id: str | None
    display_name: str
    resource_id: str
    resource_type: str
    resource_name: str
    was: str
    now: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RunInfo(_Dict):
    source: str | None
    generated_at: str | None
    version: str
    checks: int | None
    resources: int
    summarized: bool
    not_assessed: int

    @classmethod
    def of(cls, run: RunReport) -> RunInfo:
        checks = run.tool.get("checks")
        return cls(run.source, run.generated_at, run.version, checks if isinstance(checks, int) else None,
                   len(run.resources), run.summarized, len(run.errors))


@dataclass(frozen=True)
class Diff:
    old: RunInfo
    new: RunInfo
    findings: tuple[FindingChange, ...]
    severity_changes: tuple[SeverityChange, ...]
    resources: tuple[ResourceChange, ...]
    scores: tuple[ScoreDelta, ...]  # the run's pillars first, then every scope that changed
    not_assessed_new: tuple[dict[str, Any], ...]
    not_assessed_gone: tuple[dict[str, Any], ...]
    policy: tuple[PolicyChange, ...] | None  # None when neither run evaluated Azure Policy
    notes: tuple[str, ...] = field(default=())
    # Findings failing in both runs, per severity: always counted; listed in `findings` only when
    # asked (`compute(..., still_failing=True)`): at 100k resources they are 190,000 rows that
    # the new report already holds.
    still_failing: dict[str, int] = field(default_factory=dict)
    lists_still_failing: bool = False

    def of(self, change: Change) -> list[FindingChange]:
        return [f for f in self.findings if f.change == change]

    def counts(self) -> dict[str, int]:
        out = {c.value: 0 for c in Change}
        for f in self.findings:
            out[f.change] += 1
        out[Change.STILL_FAILING] = sum(self.still_failing.values())
        for kind in ("added", "removed", "not_assessed"):
            out[f"resources_{kind}"] = sum(1 for r in self.resources if r.change == kind)
        if self.policy is not None:
            for c in (Change.NEW, Change.FIXED, Change.STILL_FAILING, Change.NOT_ASSESSED):
                out[f"policy_{c.value}"] = sum(1 for p in self.policy if p.change == c)
        return out

    def worse(self, fail_on: str) -> list[FindingChange]:
        """New and regressed unsuppressed FAILs at `fail_on` severity or higher: what
        `--fail-on-new` gates on (findings that were already failing never count)."""
        floor = severity_rank(fail_on)
        return [
            f for f in self.findings
            if f.change in (Change.NEW, Change.REGRESSED) and not f.suppressed and severity_rank(f.severity) >= floor
        ]

    @property
    def incomplete(self) -> bool:
        return bool(self.old.not_assessed or self.new.not_assessed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "counts": self.counts(),
            "still_failing_by_severity": self.still_failing,
            "lists_still_failing": self.lists_still_failing,
            "notes": list(self.notes),
            "findings": [dict(zip(_FINDING_FIELDS, f, strict=True)) for f in self.findings],
            "severity_changes": [s.to_dict() for s in self.severity_changes],
            "resources": [r.to_dict() for r in self.resources],
            "scores": [s.to_dict() for s in self.scores],
            "not_assessed": {"new": list(self.not_assessed_new), "gone": list(self.not_assessed_gone)},
            "policy": None if self.policy is None else [p.to_dict() for p in self.policy],
        }


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while two reports are read, compared and written: parsed
    JSON, rows and changes hold no reference cycles, yet the collector walked the millions of
    objects of two 100k-resource reports again and again (9.5 s of a 30 s diff, with the scan's
    `batch_gc`; docs/performance.md). Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute(old: RunReport, new: RunReport, *, still_failing: bool = False) -> Diff:
    """The diff; `still_failing` lists the findings failing in both runs too (else counted)."""
    aliases = compare.moved(old, new)
    still: Counter[str] = Counter()
    return Diff(
        old=RunInfo.of(old),
        new=RunInfo.of(new),
        findings=tuple(_findings(old, new, aliases, still if not still_failing else None)),
        severity_changes=tuple(_severity_changes(old, new)),
        resources=tuple(_resources(old, new)),
        scores=tuple(_scores(old.scores, new.scores)),
        not_assessed_new=tuple(_entries_not_in(new, old)),
        not_assessed_gone=tuple(_entries_not_in(old, new)),
        policy=_policy(old, new),
        notes=tuple(_notes(old, new, len(aliases))),
        still_failing=dict(still) if not still_failing else dict(
            Counter(row.severity for row in new.failing() if _was_failing(old, row, aliases))),
        lists_still_failing=still_failing,
    )


def _was_failing(old: RunReport, row: FindingRow, aliases: Mapping[str, str]) -> bool:
    was = old.findings.get(aliases.get(row.identity, row.identity))
    return was is not None and was.status == compare.FAIL


_CHANGE_RANK = {c.value: i for i, c in enumerate(compare.ORDER)}


def _sort_key(f: FindingChange) -> tuple[Any, ...]:
    return (_CHANGE_RANK[f.change], -_RANK.get(f.severity, 0), f.check_id, f.identity)


def _change(row: FindingRow, change: Change | None, was: str, now: str, severity_before: str | None) -> FindingChange:
    assert change is not None  # one side is a FAIL
    return FindingChange(
        change=change, identity=row.identity, check_id=row.check_id, title=row.title, pillar=row.pillar,
        severity=row.severity, resource_id=row.resource_id, resource_type=row.resource_type,
        resource_name=row.resource_name, message=row.message, was=compare.shown(was), now=compare.shown(now),
        suppressed=row.suppressed, severity_before=severity_before,
    )


def _findings(old: RunReport, new: RunReport, aliases: Mapping[str, str],
              counted: Counter[str] | None) -> list[FindingChange]:
    """Every finding failing in either run, classified; with `counted`, the ones failing in both
    are counted there per severity rather than listed."""
    before, after = Statuses(old), Statuses(new)
    out: list[FindingChange] = []
    still = Change.STILL_FAILING
    carried = set(aliases.values())
    for row in new.failing():
        was_row = old.findings.get(aliases.get(row.identity, row.identity))
        if was_row is not None and was_row.status == compare.FAIL:  # the common case, kept cheap
            if counted is not None:
                counted[row.severity] += 1
                continue
            sev = was_row.severity if was_row.severity != row.severity else None
            out.append(FindingChange(still, row.identity, *row[1:5], *row[7:11], compare.FAIL, compare.FAIL,
                                     row.suppressed, sev))
            continue
        was = was_row.status if was_row is not None else before.of(row.identity, row.check_id, row.resource_uid,
                                                                   row.path)
        sev = was_row.severity if was_row is not None and was_row.severity != row.severity else None
        out.append(_change(row, compare.classify(was, row.status), was, row.status, sev))
    for row in old.failing():
        if row.identity in carried:
            continue  # matched to a finding of the new run (a moved template): compared above
        if (now_row := new.findings.get(row.identity)) is not None and now_row.status == compare.FAIL:
            continue
        now = now_row.status if now_row is not None else after.of(row.identity, row.check_id, row.resource_uid,
                                                                   row.path)
        out.append(_change(now_row or row, compare.classify(row.status, now), row.status, now, None))
    out.sort(key=_sort_key)
    return out


def _severity_changes(old: RunReport, new: RunReport) -> Iterable[SeverityChange]:
    changed = {k for k in old.checks.keys() & new.checks.keys() if old.checks[k][3] != new.checks[k][3]}
    if not changed:
        return
    failing = Counter(row.check_id.upper() for row in new.failing())
    for check_id in sorted(changed):
        _, title, _, now = new.checks[check_id]
        yield SeverityChange(new.checks[check_id][0], title, old.checks[check_id][3], now, failing[check_id])


def _resources(old: RunReport, new: RunReport) -> Iterable[ResourceChange]:
    coverage = Statuses(new).coverage
    added, removed = new.resources.keys() - old.resources.keys(), old.resources.keys() - new.resources.keys()
    # A template that moved: its resources' uids changed, their ids did not. One on each side
    # with the same id is the same resource, as for findings (compare.moved).
    came = Counter(new.resources[u].key for u in added)
    went = Counter(old.resources[u].key for u in removed)
    same = {k for k in came.keys() & went.keys() if came[k] == went[k] == 1}
    for u in sorted(added):
        r = new.resources[u]
        if r.key not in same:
            yield ResourceChange("added", r.id, r.type, r.name)
    for u in sorted(removed):
        r = old.resources[u]
        if r.key not in same:
            yield ResourceChange("not_assessed" if coverage.missed(r.key, r.path) else "removed", r.id, r.type,
                                 r.name)


def score_blocks(scores: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, str, dict[str, Any]]]:
    """(scope kind, normalized id) -> (id, name, {pillar: block}) for the run and every scope."""
    blocks: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    if scores:
        blocks[RUN_SCOPE, ""] = ("", "all", {"overall": scores.get("overall") or {}, **(scores.get("pillars") or {})})
    for scope in scores.get("scopes") or ():
        sid = str(scope.get("id") or "")
        pillars = {"overall": scope.get("overall") or {}, **(scope.get("pillars") or {})}
        blocks[str(scope.get("kind")), sid.lower()] = (sid, str(scope.get("name") or sid), pillars)
    return blocks


def _scores(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterable[ScoreDelta]:
    before, after = score_blocks(old), score_blocks(new)
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0] != RUN_SCOPE, k)):
        b, a = before.get(key), after.get(key)
        if key[0] != RUN_SCOPE and a is not None and b is not None and a[2] == b[2]:
            continue
        sid, name = (a or b)[0], (a or b)[1]  # type: ignore[index]
        for pillar in PILLARS:
            pb = (b[2].get(pillar) or {}) if b else {}
            pa = (a[2].get(pillar) or {}) if a else {}
            delta = ScoreDelta(key[0], sid, name, pillar, pb.get("score"), pa.get("score"), pb.get("coverage"),
                               pa.get("coverage"))
            if key[0] == RUN_SCOPE or (delta.before, delta.coverage_before) != (delta.after, delta.coverage_after):
                yield delta


def _entry_key(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return (entry.get("path"), entry.get("scope"), entry.get("call"), entry.get("message"))


def _entries_not_in(run: RunReport, other: RunReport) -> Iterable[dict[str, Any]]:
    seen = {_entry_key(e.to_dict()) for e in other.errors}
    return (e.to_dict() for e in run.errors if _entry_key(e.to_dict()) not in seen)


def _open_policy(run: RunReport) -> list[PolicyRow]:
    return [r for r in (run.policy.results.values() if run.policy else ()) if r.state in POLICY_OPEN]


def _listed(run: RunReport, row: PolicyRow) -> PolicyRow | None:
    return run.policy.results.get(row.identity) if run.policy else None


def _state_text(run: RunReport, row: PolicyRow, status: str) -> str:
    listed = _listed(run, row)
    return listed.state if listed is not None else compare.shown(status)


def _policy_change(row: PolicyRow, change: Change | None, was: str, now: str) -> PolicyChange:
    assert change is not None  # one side is non-compliant
    return PolicyChange(
        change=change.value, assignment=row.assignment, definition_id=row.definition_id,
        reference_id=row.reference_id, display_name=row.display_name, resource_id=row.resource_id,
        resource_type=row.resource_type, resource_name=row.resource_name, was=was, now=now, reason=row.reason,
    )


def _policy(old: RunReport, new: RunReport) -> tuple[PolicyChange, ...] | None:
    """Non-compliant results that are new, fixed, still so or no longer evaluated."""
    if old.policy is None and new.policy is None:
        return None
    before, after = Statuses(old), Statuses(new)
    out: list[PolicyChange] = []
    for row in _open_policy(new):
        was = compare.policy_status(before, _listed(old, row), row.resource_key)
        out.append(_policy_change(row, compare.classify(was, compare.FAIL), _state_text(old, row, was), row.state))
    for row in _open_policy(old):
        now = compare.policy_status(after, _listed(new, row), row.resource_key)
        if now != compare.FAIL:
            out.append(_policy_change(row, compare.classify(compare.FAIL, now), row.state, _state_text(new, row, now)))
    out.sort(key=lambda p: (_CHANGE_RANK[p.change], p.assignment, p.definition_id,
                            p.resource_id.lower()))
    return tuple(out)


def _notes(old: RunReport, new: RunReport, moved: int) -> Iterable[str]:
    if moved:
        yield (f"{moved} finding(s) of templates that moved or were renamed were matched to the earlier run's "
               "(same check, resource id and status)")
    if old.version != new.version:
        yield f"the runs were made by different mlwaf versions ({old.version} and {new.version})"
    if old.tool.get("checks") != new.tool.get("checks") or old.tool.get("check_sources") != new.tool.get(
        "check_sources"
    ):
        yield "the runs loaded different checks: a finding of a check only one run had is new or not assessed"
    for label, run in (("old", old), ("new", new)):
        if run.summarized:
            yield (f"the {label} report is summarized (above its detail limit): its PASS and NOT_APPLICABLE "
                   "findings are counted per check, so 'was' may read 'PASS or NOT_APPLICABLE (counted)'")
        if run.errors:
            yield (f"the {label} run could not assess {len(run.errors)} input(s) or scope(s): findings there are "
                   "'not assessed', never 'fixed'")
        if run.not_collected:
            yield (f"the {label} run did not collect {len(run.not_collected)} resource type(s) "
                   f"({', '.join(t for t, _ in run.not_collected)}): resources of those types are 'not assessed'")
