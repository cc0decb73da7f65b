"""The pre-production gate: turns a scan into a decision and an exit code a pipeline acts on.

Exit codes are mlwaf.exit_codes.ExitCode: 0 passed, 1 a rule below failed, 2 nothing scanned
or nothing assessed, 3 incomplete (some inputs could not be read); 2, then 1, then 3.

Rules, each optional:
  fail-on SEVERITY   any FAIL at or above the severity that is neither suppressed nor in the
                     baseline fails the gate;
  min-score P=N      the score of pillar P (or `overall`) below N fails it; a score that could
                     not be computed (nothing assessed) is noted, not failed: coverage is what
                     tells a thin scan, and `fail-on-unknown` is the rule for it;
  fail-on-unknown    any UNKNOWN or ERROR finding (not suppressed, not in the baseline) fails
                     it, for teams that require every check to have been assessed;
  fail-on-policy R   Azure Policy results (not suppressed, not in the baseline): `deny`, any
                     result Azure would deny at deployment (a deny effect, enforced, on a
                     non-compliant or failed evaluation); `noncompliant`, any NonCompliant or
                     Error result. Policy results never change a score.
Scores are those of the whole scan, baselined findings included: a baseline decides which
findings are new, not how good the estate is.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlwaf.exit_codes import ExitCode
from mlwaf.model import Finding, Pillar, Severity, Status
from mlwaf.selection import pillar_named

if TYPE_CHECKING:
    from mlwaf.assessment import Assessment

OVERALL = "overall"
POLICY_RULES = ("deny", "noncompliant")  # --fail-on-policy
# How many findings a reason names in its text; the full list is in `findings`.
_NAMED = 5


class GateOptionError(ValueError):
    """A gate option that cannot be understood; the message names it."""


@dataclass(frozen=True)
class GateOptions:
    fail_on: Severity | None = None
    min_score: Mapping[str, float] = field(default_factory=dict)  # pillar value or "overall" -> 0..100
    fail_on_unknown: bool = False
    # An incomplete scan (some inputs or calls unreadable) passes instead of exiting 3; the gaps
    # stay listed in every report. For audits that accept partial reads, never silently.
    allow_incomplete: bool = False
    # The files named were candidates (`--skip-non-arm`, a pre-commit hook): when none of them is
    # ARM, the change holds nothing to assess and passes; an ARM file with nothing to assess in it
    # (a parameter file alone) is still "nothing assessed".
    candidates: bool = False
    fail_on_policy: str | None = None  # one of POLICY_RULES

    @property
    def active(self) -> bool:
        return self.fail_on is not None or bool(self.min_score) or self.fail_on_unknown or bool(self.fail_on_policy)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fail_on": self.fail_on.value if self.fail_on else None,
            "min_score": dict(self.min_score),
            "fail_on_unknown": self.fail_on_unknown,
            "allow_incomplete": self.allow_incomplete,
            **({"candidates": True} if self.candidates else {}),
            **({"fail_on_policy": self.fail_on_policy} if self.fail_on_policy else {}),
        }


def parse_severity(value: str, where: str = "--fail-on") -> Severity:
    try:
        return Severity(str(value).strip().lower())
    except ValueError:
        raise GateOptionError(f"{where}: {value!r} is not a severity; use high, medium or low") from None


def parse_policy_rule(value: str, where: str = "--fail-on-policy") -> str:
    rule = str(value).strip().lower().replace("-", "")
    if rule not in POLICY_RULES:
        raise GateOptionError(f"{where}: {value!r} is not a policy rule; use deny or noncompliant")
    return rule


def score_key(name: str, where: str = "--min-score") -> str:
    """`overall` or a pillar's value, from any way people write the pillar."""
    if str(name).strip().lower() == OVERALL:
        return OVERALL
    pillar = pillar_named(str(name))
    if pillar is None:
        raise GateOptionError(
            f"{where}: {name!r} is not a pillar; use overall, reliability, security, cost_optimization, "
            "operational_excellence or performance_efficiency"
        )
    return pillar.value


def threshold(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise GateOptionError(f"{where}: the minimum score must be a number from 0 to 100, got {value!r}")
    return float(value)


def parse_min_scores(items: Iterable[str]) -> dict[str, float]:
    """`--min-score security=80 --min-score overall=70` -> {"security": 80.0, "overall": 70.0}."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        where = f"--min-score {item!r}"
        if not sep:
            raise GateOptionError(f"{where}: write PILLAR=N, e.g. security=80 or overall=70")
        try:
            number = float(value)
        except ValueError:
            raise GateOptionError(f"{where}: {value!r} is not a number") from None
        out[score_key(name, where)] = threshold(number, where)
    return out


class Decision(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCOMPLETE = "incomplete"  # passed, but some inputs could not be read
    ERROR = "error"  # nothing scanned or nothing assessed


@dataclass(frozen=True, slots=True)
class Named:
    """A finding a reason is about."""

    check_id: str
    resource_id: str
    severity: Severity
    status: Status

    def to_dict(self) -> dict[str, str]:
        return {"check_id": self.check_id, "resource_id": self.resource_id, "severity": self.severity.value,
                "status": self.status.value}


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """A policy result a reason is about."""

    assignment: str
    definition_name: str
    display_name: str
    resource_id: str
    state: str
    would: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "definition_name": self.definition_name,
                "display_name": self.display_name, "resource_id": self.resource_id, "state": self.state,
                "would": self.would}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the gate did not pass: the rule, what it found, and the findings (or policy results)
    behind it."""

    rule: str  # fail-on, min-score, fail-on-unknown, fail-on-policy, input, nothing-assessed, internal-error
    message: str
    findings: tuple[Named, ...] | None = None
    policy: tuple[NamedPolicy, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "message": self.message}
        if self.findings is not None:
            out["findings"] = [f.to_dict() for f in self.findings]
        if self.policy is not None:
            out["policy"] = [p.to_dict() for p in self.policy]
        return out


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The report's `gate` section: the decision, the exit code, the reasons and notes, the
    options applied."""

    decision: Decision
    exit_code: ExitCode
    reasons: tuple[Reason, ...] = ()
    notes: tuple[str, ...] = ()
    options: GateOptions = field(default_factory=lambda: GateOptions())

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "exit_code": int(self.exit_code),
            "reasons": [r.to_dict() for r in self.reasons],
            "notes": list(self.notes),
            "options": self.options.to_dict(),
        }

    def describe(self) -> list[str]:
        """Console lines: the decision, then each reason and note."""
        lines = [f"gate: {self.decision.value} (exit code {int(self.exit_code)})"]
        lines += [f"  - {r.message}" for r in self.reasons]
        lines += [f"  note: {n}" for n in self.notes if not n.startswith("no gate options")]
        return lines

    def internal_error(self, message: str) -> GateDecision:
        """This decision once mlwaf failed while writing the reports: incomplete, exit code 4."""
        return replace(self, decision=Decision.INCOMPLETE, exit_code=ExitCode.INTERNAL,
                       reasons=(Reason("internal-error", message), *self.reasons))


def _counted(f: Finding) -> bool:
    """Findings a rule may fail on: neither accepted (suppressed) nor known (baseline)."""
    return not f.suppressed and not f.in_baseline


def _reason(rule: str, message: str, findings: list[Finding] | None = None) -> Reason:
    if findings is None:
        return Reason(rule, message)
    return Reason(rule, message, tuple(Named(f.check_id, f.resource.id, f.severity, f.status) for f in findings))


def _named(findings: list[Finding]) -> str:
    names = ", ".join(f"{f.check_id} on {f.resource.name}" for f in findings[:_NAMED])
    more = len(findings) - _NAMED
    return names + (f" and {more} more" if more > 0 else "")


def nothing_scanned(result: Assessment) -> bool:
    """Inputs were named but none could be read (skipped non-JSON files are not reads)."""
    return bool(result.errors) and not any(s.kind != "skipped" for s in result.scanned)


def nothing_assessed(result: Assessment) -> str | None:
    """Why no check ran on any resource, or None when one did.

    An empty folder, a folder of `.bicep` files, selectors that leave no check, a commit whose
    only change is a parameter file: each would otherwise report every rule satisfied. A gate
    that judged nothing has not passed, whatever its options, so this is exit 2, like a scan
    that could read nothing."""
    if result.findings or (result.omitted is not None and result.omitted.total):
        return None
    if not result.checks:
        return "nothing assessed: no check was selected (see --checks and --skip-checks)"
    resources = len(result.inventory)
    if resources:
        types = sorted({r.type for r in result.inventory})
        shown = ", ".join(types[:_NAMED]) + (f" and {len(types) - _NAMED} more" if len(types) > _NAMED else "")
        return (
            f"nothing assessed: {resources} resource(s) read ({shown}), none of a type the "
            f"{len(result.checks)} selected check(s) assess"
        )
    read = [s for s in result.scanned if s.kind != "skipped"]
    skipped = len(result.scanned) - len(read)
    if not result.scanned and not result.errors:
        return "nothing assessed: no input found (an empty folder?)"
    parts = []
    if read:
        kinds = {s.kind for s in read}
        hint = "; a parameter file is assessed with its template: scan the template or its folder" if (
            "arm-parameters" in kinds) else ""
        parts.append(f"{len(read)} file(s) read ({', '.join(sorted(kinds))}) hold no resource{hint}")
    if skipped:
        parts.append(f"{skipped} file(s) skipped (not JSON or not ARM; see 'scanned')")
    if result.errors:
        parts.append(f"{len(result.errors)} input(s) could not be read")
    return "nothing assessed: " + "; ".join(parts)


def evaluate(result: Assessment, options: GateOptions | None = None) -> GateDecision:
    """The gate's decision on an assessed scan."""
    options = options or GateOptions()
    notes: list[str] = []
    reasons = _rules(result, options, notes)
    empty = None if nothing_scanned(result) else nothing_assessed(result)
    if empty is not None and options.candidates and not result.errors and not any(
        s.kind != "skipped" for s in result.scanned
    ):
        notes.append(f"no ARM file among the {len(result.scanned)} named (--skip-non-arm): nothing to assess")
        empty = None
    if nothing_scanned(result):
        decision, code = Decision.ERROR, ExitCode.USAGE
        reasons.insert(0, _reason("input", f"nothing could be scanned: {len(result.errors)} input(s) unreadable"))
    elif empty is not None:
        decision, code = Decision.ERROR, ExitCode.USAGE
        reasons.insert(0, _reason("nothing-assessed", empty))
    elif reasons:
        decision, code = Decision.FAILED, ExitCode.GATE_FAILED
    elif result.errors and options.allow_incomplete:
        decision, code = Decision.PASSED, ExitCode.OK
        notes.append(f"allow-incomplete: {len(result.errors)} input(s) could not be read (see errors), accepted")
    elif result.errors:
        decision, code = Decision.INCOMPLETE, ExitCode.INCOMPLETE
        reasons.append(_reason("input", f"{len(result.errors)} input(s) could not be read; the scan is incomplete"))
    else:
        decision, code = Decision.PASSED, ExitCode.OK
    if not options.active:
        notes.append("no gate options: findings alone do not fail the scan")
    return GateDecision(decision, code, tuple(reasons), tuple(notes), options)


def _rules(result: Assessment, options: GateOptions, notes: list[str]) -> list[Reason]:
    """The reasons of the rules that failed (fail-on, min-score, fail-on-unknown), in that order."""
    reasons: list[Reason] = []
    new_only = " and not in the baseline" if result.baseline is not None else ""
    if options.fail_on is not None:
        bad = [
            f
            for f in result.findings
            if f.status == Status.FAIL and _counted(f) and f.severity.rank >= options.fail_on.rank
        ]
        bad.sort(key=lambda f: (-f.severity.rank, f.check_id, f.resource.key))
        if bad:
            reasons.append(
                _reason(
                    "fail-on",
                    f"{len(bad)} failed check(s) of severity {options.fail_on.value} or higher, not suppressed"
                    f"{new_only}: {_named(bad)}",
                    bad,
                )
            )
    for key, minimum in sorted(options.min_score.items()):
        block = result.scores.overall if key == OVERALL else result.scores.pillar(Pillar(key))
        label = "overall score" if key == OVERALL else f"{key} score"
        if block.score is None:
            notes.append(f"min-score {key}={minimum:g}: no {label} (nothing was assessed), not compared")
        elif block.score < minimum:
            cov = f" (coverage {block.coverage:g}%)" if block.coverage is not None else ""
            reasons.append(_reason("min-score", f"{label} {block.score:g} is below the minimum {minimum:g}{cov}"))
    if options.fail_on_unknown:
        gaps = [f for f in result.findings if f.status in (Status.UNKNOWN, Status.ERROR) and _counted(f)]
        gaps.sort(key=lambda f: (f.check_id, f.resource.key))
        if gaps:
            reasons.append(
                _reason(
                    "fail-on-unknown",
                    f"{len(gaps)} check(s) could not be assessed (UNKNOWN or ERROR), not suppressed{new_only}: "
                    f"{_named(gaps)}",
                    gaps,
                )
            )
    if options.fail_on_policy:
        reason = _policy_rule(result, options.fail_on_policy, new_only)
        if reason is not None:
            reasons.append(reason)
        elif result.policy is None:
            notes.append(f"fail-on-policy {options.fail_on_policy}: Azure Policy was not evaluated, not compared")
    return reasons


def _policy_rule(result: Assessment, rule: str, new_only: str) -> Reason | None:
    """The fail-on-policy reason, or None when no counted policy result breaks the rule."""
    if result.policy is None:
        return None
    bad = [
        r for r in result.policy.results
        if (r.would == "deny" if rule == "deny" else r.failing) and not r.suppressed and not r.in_baseline
    ]
    if not bad:
        return None
    bad.sort(key=lambda r: (r.display_name.lower(), r.resource.key, r.assignment, r.assignment_id))
    what = "policy result(s) Azure would deny" if rule == "deny" else "non-compliant policy result(s)"
    names = ", ".join(f"{r.display_name or r.definition_name} on {r.resource.name}" for r in bad[:_NAMED])
    more = len(bad) - _NAMED
    message = f"{len(bad)} {what}, not suppressed{new_only}: {names}" + (f" and {more} more" if more > 0 else "")
    named = tuple(NamedPolicy(r.assignment, r.definition_name, r.display_name, r.resource.id, r.state.value, r.would)
                  for r in bad)
    return Reason("fail-on-policy", message, policy=named)
