"""Runs every selected check against every resource of its types and collects Findings.

A check that raises becomes an ERROR finding for that check and resource: one broken check (a
user's, or ours on a shape we did not foresee) must never cost the user the rest of the scan.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlwaf.check import CheckContext, CheckSpec
from mlwaf.inventory import Inventory
from mlwaf.model import (
    Evidence,
    Finding,
    Location,
    Pillar,
    Resource,
    Severity,
    Status,
    Verdict,
    identity,
)

# Statuses a summarized scan counts instead of keeping: nothing to act on, and most of a scan.
SUMMARIZED = (Status.PASS, Status.NOT_APPLICABLE)


@dataclass
class Omitted:
    """PASS and NOT_APPLICABLE findings of a large scan, counted but not kept.

    Above `limit` expected findings, holding and writing every one costs more memory and time
    than the scan (a million findings at 100k resources). Every FAIL, UNKNOWN and ERROR is still
    kept; the rest is counted here, per resource for the scores and per check for the reports.
    """

    limit: int
    expected: int
    # (resource uid, pillar, status, severity) -> count: what scoring adds up.
    rows: Counter[tuple[str, Pillar, Status, Severity]] = field(default_factory=Counter)
    # (check id, status) -> count
    by_check: Counter[tuple[str, Status]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_check.values())

    @property
    def reason(self) -> str:
        return (f"{self.expected} findings expected, above the detail limit of {self.limit}: "
                "PASS and NOT_APPLICABLE findings are counted, not listed (--detail-limit 0 lists all)")

    def to_dict(self) -> dict[str, Any]:
        counts = {s.value: 0 for s in SUMMARIZED}
        by_check: dict[str, dict[str, int]] = {}
        for (check_id, status), n in sorted(self.by_check.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
            counts[status.value] += n
            by_check.setdefault(check_id, {})[status.value] = n
        return {
            "reason": self.reason,
            "limit": self.limit,
            "expected": self.expected,
            "statuses": [s.value for s in SUMMARIZED],
            "counts": counts,
            "by_check": by_check,
        }


def expected_findings(inventory: Inventory, checks: Iterable[CheckSpec]) -> int:
    """How many findings a run will produce: one per check and resource of its types."""
    return sum(len(inventory.of_type(*spec.resource_types)) for spec in checks)


def locate(resource: Resource, evidence: Iterable[Evidence]) -> Location:
    """The line of the first piece of evidence written in the file, else the resource's line."""
    path = resource.origin.path
    if path is None:
        return Location(None)
    for ev in evidence:
        pointer = resource.pointer_for(ev.path)
        line, column = resource.position(pointer)
        if line is not None:
            return Location(path, line, column, pointer)
    line, column = resource.position()
    return Location(path, line, column, resource.origin.pointer)


def run_check(spec: CheckSpec, resource: Resource, ctx: CheckContext) -> Verdict:
    try:
        verdict = spec.fn(resource, ctx)
    except Exception as err:  # noqa: BLE001 - isolating a failing check is the point
        frame = traceback.extract_tb(err.__traceback__)[-1]
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        return Verdict(Status.ERROR, f"The check raised {type(err).__name__}: {err} (at {where})")
    if (
        type(verdict) is not Verdict
        or type(verdict.status) is not Status
        or type(verdict.message) is not str
        or type(verdict.evidence) is not tuple
    ):
        return _malformed(verdict)
    for ev in verdict.evidence:
        if type(ev) is not Evidence:
            return _malformed(verdict)
    return verdict


def _malformed(verdict: object) -> Verdict:
    """A check that returns something other than a well-formed Verdict (a string, None, a
    verdict whose evidence holds None): an ERROR for that check, as if it had raised. Caught
    here, or a reporter would crash on it long after the check ran, taking the scan with it."""
    if not isinstance(verdict, Verdict):
        return Verdict(Status.ERROR, f"The check returned {type(verdict).__name__}, not a Verdict")
    if not isinstance(verdict.status, Status):
        what = f"a status of {type(verdict.status).__name__} {verdict.status!r}, not a Status"
    elif not isinstance(verdict.message, str):
        what = f"a message of {type(verdict.message).__name__}, not text"
    elif not isinstance(verdict.evidence, tuple):
        what = f"evidence of {type(verdict.evidence).__name__}, not a tuple"
    else:
        bad = next(e for e in verdict.evidence if not isinstance(e, Evidence))
        what = f"evidence holding {type(bad).__name__} ({bad!r:.60}), not a property it read"
    return Verdict(Status.ERROR, f"The check returned a malformed Verdict: {what}")


def run(
    inventory: Inventory,
    checks: Iterable[CheckSpec],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    live: bool = False,
    omit: Omitted | None = None,
    keep: Container[str] = (),
) -> list[Finding]:
    """Every finding, sorted by resource and check.

    With `omit`, PASS and NOT_APPLICABLE findings are counted into it instead of kept, except
    those whose `model.identity` is in `keep` (a baseline's entries, whose fixes must be
    reported with the status they have now).
    """
    params = params or {}
    findings: list[Finding] = []
    for spec in checks:
        ctx = CheckContext(inventory=inventory, params=params.get(spec.id, {}), live=live)
        # A check on a template's resource looks up ids in that template first (Inventory.scoped).
        scoped: dict[str | None, CheckContext] = {None: ctx}
        counted: Counter[tuple[str, Status]] = Counter()
        for resource in inventory.of_type(*spec.resource_types):
            deployment = resource.deployment
            own = scoped.get(deployment)
            if own is None:
                own = scoped[deployment] = CheckContext(inventory.scoped(deployment), ctx.params, live)
            verdict = run_check(spec, resource, own)
            status = verdict.status
            if (
                omit is not None
                and status in SUMMARIZED
                and (not keep or identity(spec.id, resource.key, deployment) not in keep)
            ):
                counted[resource.uid, status] += 1
                continue
            # Lines are looked up lazily: PASS findings point at the resource, the others at the
            # property they are about.
            if status is Status.FAIL or status is Status.UNKNOWN:
                location = locate(resource, verdict.evidence)
            else:
                line, column = resource.position()
                location = Location(resource.origin.path, line, column, resource.origin.pointer)
            findings.append(
                Finding(
                    check_id=spec.id,
                    title=spec.title,
                    pillar=spec.pillar,
                    severity=spec.severity,
                    status=status,
                    resource=resource,
                    message=verdict.message,
                    evidence=verdict.evidence,
                    location=location,
                )
            )
        if omit is not None:
            for (key, status), n in counted.items():
                omit.rows[key, spec.pillar, status, spec.severity] += n
                omit.by_check[spec.id, status] += n
    findings.sort(key=lambda f: (f.resource.key, f.resource.deployment or "", f.check_id))
    return findings


def summarize_above(inventory: Inventory, checks: Sequence[CheckSpec], limit: int) -> Omitted | None:
    """An `Omitted` to count into when the run would exceed `limit` findings (0: never)."""
    expected = expected_findings(inventory, checks)
    return Omitted(limit, expected) if limit and expected > limit else None
