"""Pillar scores: the weighted share of passed findings, with coverage beside every score.

Score = 100 * sum(weight of PASS) / sum(weight of PASS + FAIL), weights high 5, medium 3, low 1.
UNKNOWN is never a pass or a fail: it lowers coverage = assessed / (assessed + not assessed)
instead, so a scan that could not see much cannot look good. A check that raised (ERROR) could
not assess its resource either, so it counts as not assessed beside UNKNOWN. Suppressed findings
are accepted risk: left out of score and coverage (neither pass nor fail) and counted beside them.

Scores are given for the whole scan and per scope, because one estate holds several teams'
workspaces and a pipeline owner wants the figure for the part they deploy:
- workspace: `resource_types.workspace_members`, the list the HTML report shows beside the score:
  the workspace, everything below it (computes, endpoints, deployments, extension resources at
  its scope), what it depends on (storage account, key vault, container registry, Application
  Insights, customer-managed key vault, the clusters its computes attach, a project's hub and
  what the hub depends on) and the extension resources attached to any of those (private
  endpoints, diagnostic settings, autoscale settings, role assignments). A dependency shared by
  two workspaces counts in both.
- resource group and subscription: every resource whose id lies in it.

The sums are accumulated in one pass over the findings, per resource and pillar, and each scope
adds up the tallies of its resources. That is the whole computation (weighted sums, no joins), so
it is plain Python: pandas gave the same numbers at a higher cost, its import in every process
included (measured in docs/performance.md).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwaf import armid, resource_types
from mlwaf.model import Finding, Pillar, Severity, Status

if TYPE_CHECKING:
    from mlwaf.engine import Omitted
    from mlwaf.inventory import Inventory

_STATUSES = tuple(Status)
# One tally: weight of passes, weight of fails, assessed, not assessed, one count per status, suppressed.
_PASS_W, _FAIL_W, _ASSESSED, _NOT_ASSESSED = range(4)
_STATUS_AT = {status: 4 + i for i, status in enumerate(_STATUSES)}
_SUPPRESSED = 4 + len(_STATUSES)
_WIDTH = _SUPPRESSED + 1
_PASS, _FAIL, _UNKNOWN, _NA, _ERROR = (_STATUS_AT[s] for s in (Status.PASS, Status.FAIL, Status.UNKNOWN,
                                                           Status.NOT_APPLICABLE, Status.ERROR))
_PILLARS = tuple(Pillar)
# A resource's tallies, one after another in pillar order, in one flat list: a scope's sums are
# then one C-level zip over its resources' lists.
_FLAT = _WIDTH * len(_PILLARS)
Tally = list[int]


def _deltas(pillar: Pillar, status: Status, severity: Severity, suppressed: bool) -> tuple[tuple[int, int], ...]:
    """What one finding adds to its resource's flat tally, as (position, amount) pairs."""
    base = _PILLARS.index(pillar) * _WIDTH
    out = [(_STATUS_AT[status], 1)]
    if suppressed:
        out.append((_SUPPRESSED, 1))
    elif status is Status.PASS:
        out += [(_PASS_W, severity.weight), (_ASSESSED, 1)]
    elif status is Status.FAIL:
        out += [(_FAIL_W, severity.weight), (_ASSESSED, 1)]
    elif status in (Status.UNKNOWN, Status.ERROR):
        out.append((_NOT_ASSESSED, 1))
    return tuple((base + at, amount) for at, amount in out)


# Every combination up front: the loops below then do one dict lookup per row, no enum access.
_DELTAS = {
    (pillar, st, sev, sup): _deltas(pillar, st, sev, sup)
    for pillar in Pillar for st in Status for sev in Severity for sup in (False, True)
}


def _tallies(findings: Iterable[Finding], omitted: Omitted | None = None) -> dict[str, Tally]:
    """Resource uid -> flat tally: every score below is a sum of these. `omitted`: the findings
    a summarized scan counted instead of keeping (never suppressed: PASS, N/A)."""
    # Counting identical rows first keeps this pass at C speed for large scans.
    rows = Counter((f.resource.uid, f.pillar, f.status, f.severity, bool(f.suppressed)) for f in findings)
    if omitted is not None:
        rows.update({(*row, False): n for row, n in omitted.rows.items()})
    out: dict[str, Tally] = {}
    deltas = _DELTAS
    for (key, pillar, status, severity, suppressed), n in rows.items():
        tally = out.get(key)
        if tally is None:
            tally = out[key] = [0] * _FLAT
        for at, amount in deltas[pillar, status, severity, suppressed]:
            tally[at] += amount * n
    return out


@dataclass(frozen=True, slots=True)
class Counts:
    """Findings per status, and how many of them were suppressed."""

    passed: int = 0
    failed: int = 0
    unknown: int = 0
    not_applicable: int = 0
    error: int = 0
    suppressed: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "pass": self.passed, "fail": self.failed, "unknown": self.unknown,
            "not_applicable": self.not_applicable, "error": self.error, "suppressed": self.suppressed,
        }


@dataclass(frozen=True, slots=True)
class Score:
    """One score: `score` 0..100 (None: nothing passed or failed), `coverage` 0..100 (None:
    nothing could have been assessed), and the counts behind them."""

    score: float | None = None
    coverage: float | None = None
    counts: Counts = Counts()

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "coverage": self.coverage, "counts": self.counts.to_dict()}


_NO_SCORE = Score()


@dataclass(frozen=True, slots=True)
class Block:
    """Overall and per-pillar scores of some findings (the whole scan, or one scope)."""

    overall: Score = _NO_SCORE
    pillars: Mapping[Pillar, Score] = field(default_factory=dict)  # every pillar, in Pillar order

    def pillar(self, pillar: Pillar) -> Score:
        return self.pillars.get(pillar, _NO_SCORE)

    def to_dict(self) -> dict[str, Any]:
        return {"overall": self.overall.to_dict(), "pillars": {p.value: s.to_dict() for p, s in self.pillars.items()}}


class ScopeKind(enum.StrEnum):
    SUBSCRIPTION = "subscription"
    RESOURCE_GROUP = "resource_group"
    WORKSPACE = "workspace"


@dataclass(frozen=True, slots=True)
class ScopeScore:
    """The scores of a subscription, a resource group or a workspace."""

    kind: ScopeKind
    id: str
    name: str
    resources: int  # how many resources of the scan the scope holds
    block: Block
    # The scope's key: a normalized id; a workspace's `Resource.uid` (its deployment after a "|").
    key: str = ""
    # A workspace's members with their roles (resource_types.workspace_members): what it counts.
    members: tuple[resource_types.Member, ...] = ()

    @property
    def overall(self) -> Score:
        return self.block.overall

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": self.kind.value, "id": self.id, "name": self.name, "resources": self.resources,
               **self.block.to_dict()}
        if self.kind is ScopeKind.WORKSPACE:
            # What the workspace's score counts, with each member's role: the relations behind it
            # are read from resource properties the report does not hold, and `mlwaf merge`
            # scores merged reports from this list (mlwaf.merge).
            out["members"] = [_member(m) for m in self.members]
        return out


def _member(member: resource_types.Member) -> dict[str, str]:
    r = member.resource
    out = {"role": member.role, "id": r.id}
    if r.deployment is not None:
        out["deployment"] = r.deployment
    return out


@dataclass(frozen=True, slots=True)
class Scores:
    """The report's `scores`: the whole scan (`overall`, `pillars`) and each scope."""

    total: Block = Block()
    scopes: tuple[ScopeScore, ...] = ()

    @property
    def overall(self) -> Score:
        return self.total.overall

    def pillar(self, pillar: Pillar) -> Score:
        return self.total.pillar(pillar)

    def workspaces(self) -> dict[str, ScopeScore]:
        """The workspace scopes by the workspace's `Resource.uid`."""
        return {s.key: s for s in self.scopes if s.kind is ScopeKind.WORKSPACE}

    def to_dict(self) -> dict[str, Any]:
        return {**self.total.to_dict(), "scopes": [s.to_dict() for s in self.scopes]}


def _summary(t: Tally) -> Score:
    """Score, coverage and counts of one pillar's (or the overall) tally."""
    passed_w, failed_w, assessed, not_assessed = t[_PASS_W], t[_FAIL_W], t[_ASSESSED], t[_NOT_ASSESSED]
    score = round(100.0 * passed_w / (passed_w + failed_w), 1) if passed_w + failed_w else None
    coverage = round(100.0 * assessed / (assessed + not_assessed), 1) if assessed + not_assessed else None
    return Score(score, coverage, Counts(t[_PASS], t[_FAIL], t[_UNKNOWN], t[_NA], t[_ERROR], t[_SUPPRESSED]))


def _block(tallies: Iterable[Tally]) -> Block:
    """The overall and per-pillar scores of the resources whose tallies are given."""
    total = list(map(sum, zip(*tallies, strict=True))) or [0] * _FLAT
    pillars = [total[i : i + _WIDTH] for i in range(0, _FLAT, _WIDTH)]
    overall = list(map(sum, zip(*pillars, strict=True)))
    return Block(_summary(overall), {pillar: _summary(t) for pillar, t in zip(_PILLARS, pillars, strict=True)})


_Described = tuple[ScopeKind, str, str]  # kind, id, name


Members = Mapping[str, Sequence[resource_types.Member]]  # workspace uid -> its members


def _scope_rows(
    inventory: Inventory | None, keys: Iterable[str], known: Members | None = None
) -> tuple[list[tuple[str, str]], dict[str, _Described], dict[str, list[resource_types.Member]]]:
    """(scope key, resource uid) membership pairs, each scope's description, and each
    workspace's members."""
    pairs: list[tuple[str, str]] = []
    scopes: dict[str, _Described] = {}
    # (subscription, resource group) as written -> their scope keys: resources share a few.
    containers: dict[tuple[str | None, str | None], tuple[str | None, str | None]] = {}
    for key in sorted(set(keys)):
        resource = inventory.by_uid(key) if inventory is not None else None
        rid = resource.id if resource is not None else key.partition("|")[0]
        sub = armid.subscription_of(rid)
        rg = armid.resource_group_of(rid) if sub else None
        held = containers.get((sub, rg))
        if held is None:
            held = containers[sub, rg] = _containers(scopes, sub, rg)
        pairs.extend((scope, key) for scope in held if scope is not None)
    workspaces: dict[str, list[resource_types.Member]] = {}
    if inventory is not None:
        below = resource_types.below_workspaces(inventory) if known is None else {}
        for ws in resource_types.workspace_order(inventory):
            scopes[ws.uid] = (ScopeKind.WORKSPACE, ws.id, ws.name)
            members = workspaces[ws.uid] = (
                resource_types.workspace_members(inventory, ws, below.get(ws.uid, ())) if known is None
                else list(known.get(ws.uid, ()))
            )
            pairs.extend((ws.uid, member.resource.uid) for member in members)
    return pairs, scopes, workspaces


def _containers(scopes: dict[str, _Described], sub: str | None, rg: str | None) -> tuple[str | None, str | None]:
    """The keys of a subscription and resource group scope, described in `scopes` on first sight."""
    if not sub:
        return None, None
    sid = f"/subscriptions/{sub}"
    scopes.setdefault(armid.normalize(sid), (ScopeKind.SUBSCRIPTION, sid, sub))
    if not rg:
        return armid.normalize(sid), None
    gid = f"/subscriptions/{sub}/resourceGroups/{rg}"
    scopes.setdefault(armid.normalize(gid), (ScopeKind.RESOURCE_GROUP, gid, rg))
    return armid.normalize(sid), armid.normalize(gid)


_KIND_ORDER = {ScopeKind.SUBSCRIPTION: 0, ScopeKind.RESOURCE_GROUP: 1, ScopeKind.WORKSPACE: 2}


def score(
    findings: Sequence[Finding], inventory: Inventory | None = None, omitted: Omitted | None = None,
    *, recorded: Members | None = None,
) -> Scores:
    """Scores of the whole scan and, with the inventory, per scope: subscriptions, resource
    groups and workspaces, each with how many resources of the scan it holds. A summarized scan
    passes what it counted without keeping as `omitted`: the scores are the same either way.
    `recorded`: each workspace's members as a report recorded them (`mlwaf merge`, whose
    resources carry no properties to find them from), instead of finding them in the inventory."""
    tallies = _tallies(findings, omitted)
    keys = [r.uid for r in inventory.resources] if inventory is not None else list(tallies)
    pairs, scopes, workspaces = _scope_rows(inventory, keys, recorded)
    members: dict[str, set[str]] = {}
    for sid, key in pairs:
        members.setdefault(sid, set()).add(key)
    # Scope keys are normalized ids, a template's workspace's with its deployment after a "|".
    order = sorted(scopes, key=lambda s: (_KIND_ORDER[scopes[s][0]], *s.partition("|")[::2]))
    return Scores(_block(tallies.values()), tuple(
        ScopeScore(
            *scopes[sid], len(members.get(sid, ())), _block(tallies[k] for k in members.get(sid, ()) if k in tallies),
            key=sid, members=tuple(workspaces.get(sid, ())),
        )
        for sid in order
    ))
