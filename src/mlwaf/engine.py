"""Runs every selected check against every resource of its types and collects Findings.

A check that raises becomes an ERROR finding for that check and resource: one broken check (a
user's, or ours on a shape we did not foresee) must never cost the user the rest of the scan.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlwaf.check import CheckContext, CheckSpec
from mlwaf.inventory import Inventory
from mlwaf.model import Evidence, Finding, InputError, Location, Resource, ScannedInput, Status, Verdict


@dataclass
class ScanResult:
    """Everything reporters render: what was read, what could not be, and the findings."""

    inventory: Inventory
    findings: list[Finding]
    scanned: list[ScannedInput] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    checks: list[CheckSpec] = field(default_factory=list)
    check_sources: dict[str, int] = field(default_factory=dict)
    # Filled by the scoring step: {"overall": {...}, "pillars": {...}, "scopes": [...]}.
    scores: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    # Filled after scoring (mlwaf.gate): decision, exit code, reasons; in every report.
    gate: dict[str, Any] = field(default_factory=dict)
    # What suppressions did (mlwaf.suppressions.apply): rules, matches, expired ones.
    suppressions: dict[str, Any] = field(default_factory=dict)
    # With --baseline (mlwaf.baseline): counts of known and new findings, the fixed ones.
    baseline: dict[str, Any] | None = None

    @property
    def incomplete(self) -> bool:
        return bool(self.errors)


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
    if not isinstance(verdict, Verdict):
        return Verdict(Status.ERROR, f"The check returned {type(verdict).__name__}, not a Verdict")
    return verdict


def run(
    inventory: Inventory,
    checks: Iterable[CheckSpec],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    live: bool = False,
) -> list[Finding]:
    params = params or {}
    findings: list[Finding] = []
    for spec in checks:
        ctx = CheckContext(inventory=inventory, params=params.get(spec.id, {}), live=live)
        for resource in inventory.of_type(*spec.resource_types):
            verdict = run_check(spec, resource, ctx)
            # Lines are looked up lazily: PASS findings point at the resource, the others at the
            # property they are about.
            if verdict.status in (Status.FAIL, Status.UNKNOWN):
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
                    status=verdict.status,
                    resource=resource,
                    message=verdict.message,
                    evidence=verdict.evidence,
                    location=location,
                )
            )
    findings.sort(key=lambda f: (f.resource.key, f.check_id))
    return findings
