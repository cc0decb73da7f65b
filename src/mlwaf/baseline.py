"""Baselines: the findings an estate already had, so a pipeline fails only on new ones.

`mlwaf baseline create --output FILE` records the identity of every finding that is not a pass
(FAIL, UNKNOWN, ERROR), with its status: the check id and the normalized resource id, and for a
template's resource also its deployment, the template's repository-relative path and parameter
files (`model.identity`). Never a line number: a template reformatted or reordered keeps its
identities. The deployment is there because a template's resources have placeholder ids (the
same subscription and resource group for every template), so two templates that declare the
same name would otherwise share one entry, and a regression in the second would pass as known.

`--baseline FILE` then marks the findings of a scan found in it (`in_baseline`); the gate counts
only the others. A finding is known when the same identity had the same status: a check that
answered UNKNOWN before and FAIL now is a newly confirmed failure, hence new. Entries of the
baseline with no such finding any more are reported as fixed, with what the scan says now
(PASS, NOT_APPLICABLE, another status, or not found: resource removed or check not run).

Moved templates: an entry whose identity is not in the scan any more (its template was moved or
renamed, or the resource moved to another template) is carried over to the one finding with the
same check, resource id and status whose identity the baseline does not hold, when there is
exactly one of each; the report lists it under `moved`. With two candidates nothing is carried:
both are new, as a regression in a second template must be. The same rule reads baselines of
format 1 (written before templates carried their deployment): their entries still match
resources with real ids exactly, and a template's resource when only one template declares it.

Azure Policy results are recorded beside the findings (`policy`, when the scan evaluated any):
each non-compliant or failed result's identity (`model.policy_identity`: the assignment's id,
definition, reference in an initiative, resource id, a template's deployment) and state. An
assignment is its id (scope + name): the same name at two scopes is two assignments. Entries
written before the id was recorded (`assignment` only, its name) match a result of an assignment
of that name. A scan with
`--baseline` marks the known ones `in_baseline` (`--fail-on-policy` counts only the others) and
reports the recorded results that no longer fail as fixed, as it does for findings, moved
templates included.

The file is JSON, sorted, without timestamps, so it diffs cleanly when committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlwaf import __version__, armid, model
from mlwaf.model import Finding, Status

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyReport, PolicyResult

FORMAT_KEY = "mlwaf_baseline"
FORMAT_VERSION = 2
READS = (1, 2)  # format 1: no deployment on template resources (read, carried over when unambiguous)
RECORDED = (Status.FAIL, Status.UNKNOWN, Status.ERROR)


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Entry:
    check_id: str
    resource_id: str  # normalized
    deployment: str | None
    status: str

    @property
    def identity(self) -> str:
        return model.identity(self.check_id, self.resource_id, self.deployment)

    @property
    def loose(self) -> tuple[str, str, str]:
        """What a moved template's finding still shares with its entry."""
        return self.check_id.upper(), self.resource_id, self.status

    def to_dict(self) -> dict[str, str]:
        out = {"check_id": self.check_id, "resource_id": self.resource_id}
        if self.deployment is not None:
            out["deployment"] = self.deployment
        out["status"] = self.status
        return out


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    """A recorded Azure Policy result: what `model.policy_identity` reads, and its state."""

    assignment: str  # the name, for people
    definition_id: str
    reference_id: str | None
    resource_id: str  # normalized
    deployment: str | None
    state: str
    assignment_id: str | None = None  # the identity; None in entries written before it was recorded

    @property
    def identity(self) -> str:
        return model.policy_identity(self.assignment_id or self.assignment, self.definition_id, self.reference_id,
                                     self.resource_id, self.deployment)

    @property
    def loose(self) -> tuple[str, str, str, str, str]:
        """What a moved template's result still shares with its entry."""
        return ((self.assignment_id or self.assignment).lower(), self.definition_id.lower(),
                (self.reference_id or "").lower(), self.resource_id, self.state)

    @staticmethod
    def of(r: PolicyResult) -> PolicyEntry:
        return PolicyEntry(r.assignment, r.definition_id, r.reference_id, r.resource.key, r.resource.deployment,
                           r.state.value, r.assignment_id)

    def to_dict(self) -> dict[str, str]:
        out = {"assignment": self.assignment}
        if self.assignment_id is not None:
            out["assignment_id"] = self.assignment_id
        out["definition_id"] = self.definition_id
        if self.reference_id is not None:
            out["reference_id"] = self.reference_id
        out["resource_id"] = self.resource_id
        if self.deployment is not None:
            out["deployment"] = self.deployment
        out["state"] = self.state
        return out


_POLICY_STATES = ("NonCompliant", "Error")  # recorded: what counts against the estate


@dataclass
class Baseline:
    # identity (model.identity) -> the recorded entry
    rows: dict[str, Entry] = field(default_factory=dict)
    path: str | None = None
    version: int = FORMAT_VERSION
    # Azure Policy results: identity (model.policy_identity) -> the recorded entry; None in a
    # baseline written without policy evaluation (then every failing result is new).
    policy: dict[str, PolicyEntry] | None = None

    @property
    def entries(self) -> dict[str, str]:
        """identity -> recorded status (what a summarized scan keeps findings for)."""
        return {identity: e.status for identity, e in self.rows.items()}

    @classmethod
    def from_findings(cls, findings: Iterable[Finding], policy: PolicyReport | None = None) -> Baseline:
        rows = {}
        for f in findings:
            if f.status in RECORDED:
                entry = Entry(f.check_id.upper(), f.resource.key, f.resource.deployment, f.status.value)
                rows[entry.identity] = entry
        policy_rows = None
        if policy is not None:
            policy_rows = {e.identity: e for e in (PolicyEntry.of(r) for r in policy.results if r.failing)}
        return cls(rows, policy=policy_rows)

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.rows.values(), key=lambda e: (e.check_id, e.resource_id, e.deployment or ""))
        out: dict[str, Any] = {
            FORMAT_KEY: FORMAT_VERSION,
            "tool": {"name": "mlwaf", "version": __version__},
            "findings": [e.to_dict() for e in ordered],
        }
        if self.policy is not None:
            out["policy"] = [e.to_dict() for _, e in sorted(self.policy.items())]
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Baseline:
        from mlwaf import repository

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise BaselineError(f"baseline {path}: cannot read it ({err.strerror or err})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BaselineError(f"baseline {path}: not valid JSON ({err})") from None
        version = data.get(FORMAT_KEY) if isinstance(data, dict) else None
        if version not in READS or isinstance(version, bool):
            raise BaselineError(
                f"baseline {path}: not an mlwaf baseline (expected \"{FORMAT_KEY}\": {FORMAT_VERSION}); "
                "create one with `mlwaf baseline create --output FILE`"
            )
        rows = data.get("findings")
        if not isinstance(rows, list):
            raise BaselineError(f"baseline {path}: 'findings' must be a list")
        entries: dict[str, Entry] = {}
        for i, row in enumerate(rows, start=1):
            fields = ("check_id", "resource_id")
            ok = isinstance(row, dict) and all(isinstance(row.get(k), str) and row[k] for k in fields)
            status = row.get("status", Status.FAIL.value) if isinstance(row, dict) else None
            deployment = row.get("deployment") if isinstance(row, dict) else None
            if not ok or status not in {s.value for s in Status} or not isinstance(deployment, str | None):
                raise BaselineError(
                    f"baseline {path}: finding #{i} needs check_id, resource_id and a status, got {row!r}"
                )
            entry = Entry(row["check_id"].upper(), armid.normalize(row["resource_id"]), deployment or None, status)
            entries[entry.identity] = entry
        policy = _policy_rows(data.get("policy"), path) if "policy" in data else None
        return cls(entries, repository.relative(path), version, policy)

    def apply(self, findings: Sequence[Finding]) -> tuple[list[Finding], BaselineDiff]:
        """The findings, the known ones annotated `in_baseline`, and the diff: counts, the
        fixed and the moved entries."""
        now: dict[str, str] = {f.identity: f.status.value for f in findings}
        carried, moved = self._carried(findings, now)
        out, known, new = _known(
            findings, lambda f: f.status in RECORDED,
            lambda f: (e := self.rows.get(f.identity) or carried.get(f.identity)) is not None
            and e.status == f.status.value,
        )
        moved_from = {e.identity for e in carried.values()}
        fixed = tuple(
            Fixed(entry, now.get(identity, "not found"))
            for identity, entry in sorted(self.rows.items(), key=lambda kv: _order(kv[1]))
            if now.get(identity) != entry.status and identity not in moved_from
        )
        return out, BaselineDiff(self.path, len(self.rows), known, new, fixed, tuple(moved))

    def _carried(self, findings: Sequence[Finding], now: Mapping[str, str]) -> tuple[dict[str, Entry], list[Moved]]:
        """Entries of a moved template: finding identity -> the entry it carries over (module
        docstring), with the list the report shows."""
        failing = ((f.identity, (f.check_id.upper(), f.resource.key, f.status.value), f.resource.deployment)
                   for f in findings if f.status in RECORDED)
        carried, moved = _carry(self.rows, failing, now, lambda e: e.loose)
        return carried, [Moved(entry, deployment) for entry, deployment in moved]

    def apply_policy(self, report: PolicyReport, diff: BaselineDiff) -> tuple[PolicyReport, BaselineDiff]:
        """The policy report, its known results annotated `in_baseline`, and the diff with its
        `policy` part: counts and the fixed entries (moved templates carried over as for findings)."""
        rows = _by_id(self.policy or {}, report.results)
        failing = [r for r in report.results if r.failing]
        now = {r.identity: r.state.value for r in report.results}
        carried, moved = _carry(rows, ((r.identity, PolicyEntry.of(r).loose, r.resource.deployment) for r in failing),
                                now, lambda e: e.loose)
        results, known, new = _known(
            report.results, lambda r: r.failing,
            lambda r: (e := rows.get(r.identity) or carried.get(r.identity)) is not None and e.state == r.state.value,
        )
        moved_from = {e.identity for e in carried.values()}
        fixed = tuple(
            PolicyFixed(entry, now.get(identity, "not found"))
            for identity, entry in sorted(rows.items())
            if now.get(identity) != entry.state and identity not in moved_from
        )
        part = PolicyDiff(self.policy is not None, len(rows), known, new, fixed, tuple(moved))
        return replace(report, results=results), replace(diff, policy=part)


T = TypeVar("T", "Finding", "PolicyResult")
E = TypeVar("E")


def _known(items: Sequence[T], recorded: Callable[[T], bool], in_file: Callable[[T], bool]) -> tuple[list[T], int, int]:
    """The items, those the baseline knows (`in_file`) among those a baseline records
    (`recorded`) marked `in_baseline`; and how many were known and new."""
    out = list(items)
    known = new = 0
    for i, item in enumerate(out):
        if not recorded(item):
            continue
        if in_file(item):
            out[i] = replace(item, in_baseline=True)
            known += 1
        else:
            new += 1
    return out, known, new
L = TypeVar("L", bound=tuple[str, ...])


def _carry(
    rows: Mapping[str, E], failing: Iterable[tuple[str, L, str | None]], now: Mapping[str, str],
    loose: Callable[[E], L],
) -> tuple[dict[str, E], list[tuple[E, str | None]]]:
    """Entries of a moved template (module docstring): identity now -> the entry it carries
    over, and (entry, deployment now) for the report. `failing` holds the scan's identities
    that a baseline records, each with what it shares with an entry (`loose`) and its deployment.
    Entries whose identity the scan no longer has, and identities the baseline does not name, are
    grouped by what they share: one of each is a moved template."""
    gone: dict[L, list[E]] = {}
    for identity, entry in rows.items():
        if identity not in now:
            gone.setdefault(loose(entry), []).append(entry)
    unnamed: dict[L, list[tuple[str, str | None]]] = {}
    for identity, key, deployment in failing:
        if identity not in rows:
            unnamed.setdefault(key, []).append((identity, deployment))
    carried: dict[str, E] = {}
    moved: list[tuple[E, str | None]] = []
    for key, found in sorted(unnamed.items()):
        entries = gone.get(key, [])
        if len(found) == 1 and len(entries) == 1:
            carried[found[0][0]] = entries[0]
            moved.append((entries[0], found[0][1]))
    return carried, moved


def _policy_rows(rows: Any, path: Path) -> dict[str, PolicyEntry]:
    if not isinstance(rows, list):
        raise BaselineError(f"baseline {path}: 'policy' must be a list")
    out: dict[str, PolicyEntry] = {}
    for i, row in enumerate(rows, start=1):
        text = ("assignment", "definition_id", "resource_id", "state")
        ok = isinstance(row, dict) and all(isinstance(row.get(k), str) and row[k] for k in text) and all(
            isinstance(row.get(k), str | None) for k in ("reference_id", "deployment", "assignment_id"))
        if not ok or row["state"] not in _POLICY_STATES:
            raise BaselineError(
                f"baseline {path}: policy result #{i} needs assignment, definition_id, resource_id and a state "
                f"({' or '.join(_POLICY_STATES)}), got {row!r}"
            )
        entry = PolicyEntry(row["assignment"], row["definition_id"], row.get("reference_id"),
                            armid.normalize(row["resource_id"]), row.get("deployment") or None, row["state"],
                            row.get("assignment_id") or None)
        out[entry.identity] = entry
    return out


def _by_id(rows: Mapping[str, PolicyEntry], results: Iterable[PolicyResult]) -> dict[str, PolicyEntry]:
    """The entries by identity, those recorded by the assignment's name only (before its id was
    recorded) under the identity of the result they name, when exactly one result does."""
    if all(e.assignment_id is not None for e in rows.values()):
        return dict(rows)
    named: dict[str, list[str]] = {}
    for r in results:
        legacy = model.policy_identity(r.assignment, r.definition_id, r.reference_id, r.resource.key,
                                       r.resource.deployment)
        named.setdefault(legacy, []).append(r.identity)
    out = {}
    for identity, entry in rows.items():
        found = named.get(identity, []) if entry.assignment_id is None else []
        out[found[0] if len(found) == 1 else identity] = entry
    return out


@dataclass(frozen=True, slots=True)
class Fixed:
    """A baseline entry the scan no longer has with its recorded status, and what it has now
    (PASS, NOT_APPLICABLE, another status, or "not found": resource removed or check not run)."""

    entry: Entry
    now: str

    def to_dict(self) -> dict[str, str]:
        return {**_where(self.entry), "was": self.entry.status, "now": self.now}


@dataclass(frozen=True, slots=True)
class Moved:
    """A baseline entry carried over to the finding of a moved template."""

    entry: Entry
    now_in: str | None  # the finding's deployment now

    def to_dict(self) -> dict[str, Any]:
        return {**_where(self.entry), "now_in": self.now_in}


@dataclass(frozen=True, slots=True)
class PolicyFixed:
    """A recorded policy result the scan no longer has with its state, and its state now."""

    entry: PolicyEntry
    now: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.entry.to_dict(), "was": self.entry.state, "now": self.now}


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """The baseline's Azure Policy part, once a scan evaluated policies."""

    in_file: bool  # the baseline recorded policy results (else every failing result is new)
    recorded: int
    known: int
    new: int
    fixed: tuple[PolicyFixed, ...] = ()
    moved: tuple[tuple[PolicyEntry, str | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"recorded": self.recorded if self.in_file else None, "known": self.known,
                               "new": self.new, "fixed": [f.to_dict() for f in self.fixed]}
        if self.moved:
            out["moved"] = [{**e.to_dict(), "now_in": now_in} for e, now_in in self.moved]
        return out


@dataclass(frozen=True, slots=True)
class BaselineDiff:
    """What a scan with --baseline found: the report's `baseline` section."""

    path: str | None
    recorded: int
    known: int
    new: int
    fixed: tuple[Fixed, ...] = ()
    moved: tuple[Moved, ...] = ()
    policy: PolicyDiff | None = None  # None: no policy evaluated

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path, "recorded": self.recorded, "known": self.known, "new": self.new,
            "fixed": [f.to_dict() for f in self.fixed],
        }
        if self.moved:
            out["moved"] = [m.to_dict() for m in self.moved]
        if self.policy is not None:
            out["policy"] = self.policy.to_dict()
        return out


def _order(entry: Entry) -> tuple[str, str, str]:
    return entry.check_id, entry.resource_id, entry.deployment or ""


def _where(entry: Entry) -> dict[str, str]:
    out = {"check_id": entry.check_id, "resource_id": entry.resource_id}
    if entry.deployment is not None:
        out["deployment"] = entry.deployment
    return out
