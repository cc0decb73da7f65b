"""Suppressions: a known risk, accepted on purpose, with a reason and (ideally) an end date.

A suppression names a check (id or glob), the resources it covers (an ARM id glob), why the
risk is accepted, and optionally the last day it holds. It never hides a finding: a suppressed
finding stays in every report, marked suppressed with its reason and where the suppression was
written, and leaves the score and the gate. After its expiry date a suppression stops
suppressing and the report says it expired, so an exception granted "until the migration" does
not quietly become permanent.

Where they come from:
- the config file, `[[suppressions]]` (check, resource, reason, expires);
- a resource's tag `mlwaf-suppress` (or `mlwaf-suppress-<anything>`, for several), written
  `CHECKS: REASON` with an optional `(expires YYYY-MM-DD)` at the end, CHECKS being check ids or
  globs separated by commas: `MLW-SEC-001, MLW-SEC-01*: dev sandbox, no data (expires 2027-01-31)`;
- a template resource's `metadata` (Bicep `@metadata`): `"mlwaf-suppress"` holding an object
  `{"check": ..., "reason": ..., "expires": ...}`, a list of them, or strings in the tag form.
Inline ones cover only the resource they are written on. Pipelines that must not let a template
suppress its own findings turn them off (`--no-inline-suppressions`).

Azure Policy results are suppressed the same way from the config file: a `[[suppressions]]`
entry with `policy` (a definition's name, the GUID of a built-in, or a glob) instead of `check`.
Inside a template, Azure's own exemptions (`Microsoft.Authorization/policyExemptions`) say it:
the evaluator reads them, and the result is Exempt.

Only findings that would count against the estate are suppressed (FAIL, UNKNOWN, ERROR); a
PASS or NOT_APPLICABLE needs no exception, and suppressing it would take it out of the score.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlwaf import armid
from mlwaf.model import Finding, Resource, Status, SuppressionKind, SuppressionMark

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyReport, PolicyResult

TAG = "mlwaf-suppress"
SUPPRESSIBLE = frozenset({Status.FAIL, Status.UNKNOWN, Status.ERROR})
FIELDS = ("check", "policy", "resource", "reason", "expires")
_INLINE_FIELDS = ("check", "reason", "expires")
_TAG_VALUE = re.compile(
    r"^\s*(?P<checks>[^:]+?)\s*:\s*(?P<reason>.*?)\s*(?:\(\s*expires\s+(?P<expires>[^)]*?)\s*\))?\s*$",
    re.IGNORECASE,
)


class SuppressionError(ValueError):
    """A suppression that cannot be used; the message names the field that is wrong."""


@dataclass(frozen=True, slots=True)
class Suppression:
    check: str  # a check id or a glob (`MLW-SEC-*`), matched case-insensitively; "" for a policy rule
    resource: str  # an ARM id glob; `*` matches across `/`, matched case-insensitively
    reason: str
    expires: dt.date | None = None  # the last day it suppresses
    source: str = "config"  # where it was written, shown beside every finding it covers
    kind: SuppressionKind = SuppressionKind.CONFIG
    # An Azure Policy definition's name (a built-in's GUID) or a glob: the rule covers policy
    # results, never findings.
    policy: str | None = None

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def mark(self, active: bool) -> SuppressionMark:
        return SuppressionMark(self.reason, self.source, self.kind, self.expires, active)

    @property
    def names(self) -> str:
        """What the rule covers, as reports show it: the check, or `policy NAME`."""
        return self.check if self.policy is None else f"policy {self.policy}"

    def matches(self, finding: Finding) -> bool:
        return self.policy is None and fnmatch.fnmatchcase(finding.check_id.upper(), self.check.upper()) and (
            fnmatch.fnmatchcase(finding.resource.key, armid.normalize(self.resource))
        )

    def matches_policy(self, result: PolicyResult) -> bool:
        return self.policy is not None and fnmatch.fnmatchcase(
            result.definition_name.upper(), self.policy.upper()
        ) and fnmatch.fnmatchcase(result.resource.key, armid.normalize(self.resource))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = (
            {"check": self.check} if self.policy is None else {"policy": self.policy}
        ) | {"resource": self.resource, "reason": self.reason}
        if self.expires is not None:
            out["expires"] = self.expires.isoformat()
        out["source"] = self.source
        if self.kind is not SuppressionKind.CONFIG:
            out["kind"] = self.kind.value
        return out


def parse_date(value: Any, where: str) -> dt.date:
    """A TOML date (`2027-01-31`) or an ISO date string; a datetime keeps its date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise SuppressionError(f"{where}: 'expires' must be a date written YYYY-MM-DD, got {value!r}")


def _text(entry: Mapping[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SuppressionError(f"{where}: '{name}' is required (a non-empty string)")
    return value.strip()


def from_mapping(
    entry: Any, where: str, *, resource: str | None = None, allowed: Sequence[str] = FIELDS,
    kind: SuppressionKind = SuppressionKind.CONFIG,
) -> Suppression:
    """One suppression from a config table or a metadata object. With `resource` given (inline
    suppressions), the entry may not name a resource of its own: it covers the one it is on."""
    if not isinstance(entry, Mapping):
        raise SuppressionError(f"{where}: expected a table with {', '.join(allowed)}, got {entry!r}")
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        raise SuppressionError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})")
    expires = parse_date(entry["expires"], where) if entry.get("expires") is not None else None
    if "policy" in entry and "check" in entry:
        raise SuppressionError(f"{where}: give 'check' (findings) or 'policy' (Azure Policy results), not both")
    policy = _text(entry, "policy", where) if "policy" in entry else None
    return Suppression(
        check="" if policy is not None else _text(entry, "check", where),
        resource=resource if resource is not None else _text(entry, "resource", where),
        reason=_text(entry, "reason", where),
        expires=expires,
        source=where,
        kind=kind,
        policy=policy,
    )


def unknown_check(pattern: str, known: Sequence[str]) -> str | None:
    """Why a suppression's `check` names no loaded check (with the nearest id), or None. A typo
    in an id would otherwise suppress nothing, silently, while the finding it was meant for
    fails the gate or, worse, someone believes it is accepted."""
    import difflib

    upper = pattern.upper()
    if any(fnmatch.fnmatchcase(k.upper(), upper) for k in known):
        return None
    close = difflib.get_close_matches(upper, [k.upper() for k in known], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else " (`mlwaf checks list` shows them)"
    return f"'check' {pattern!r} names no loaded check{hint}"


def from_config(entries: Any, where: str) -> list[Suppression]:
    """`[[suppressions]]` of a config file: every field checked, errors name the entry."""
    if not isinstance(entries, list):
        raise SuppressionError(f"{where}: 'suppressions' must be an array of tables ([[suppressions]])")
    return [from_mapping(e, f"{where} [[suppressions]] #{i}") for i, e in enumerate(entries, start=1)]


def parse_inline_text(text: str, resource: Resource, where: str, kind: SuppressionKind) -> list[Suppression]:
    """`CHECKS: REASON (expires YYYY-MM-DD)` -> one suppression per check id or glob."""
    m = _TAG_VALUE.match(text)
    if not m or not m.group("reason"):
        raise SuppressionError(
            f"{where}: write 'CHECK[, CHECK...]: reason' with an optional '(expires YYYY-MM-DD)', got {text!r}"
        )
    expires = parse_date(m.group("expires"), where) if m.group("expires") else None
    checks = [c.strip() for c in m.group("checks").split(",") if c.strip()]
    return [Suppression(c, resource.id, m.group("reason"), expires, where, kind) for c in checks]


@dataclass(frozen=True, slots=True)
class Invalid:
    """An inline suppression that could not be read or names no loaded check: not applied."""

    resource_id: str
    source: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"resource_id": self.resource_id, "source": self.source, "message": self.message}


def inline(resource: Resource) -> tuple[list[Suppression], list[Invalid]]:
    """The suppressions a resource carries in its tags and template metadata, and the ones that
    could not be read (reported, never fatal: a bad tag must not stop the scan)."""
    found: list[Suppression] = []
    invalid: list[Invalid] = []
    for name, value in sorted(resource.tags.items()):
        lowered = str(name).lower()
        if lowered != TAG and not lowered.startswith(TAG + "-"):
            continue
        where = f"tag {name} on {resource.name}"
        try:
            if not isinstance(value, str):
                raise SuppressionError(f"{where}: the tag value must be a string, got {value!r}")
            found.extend(parse_inline_text(value, resource, where, SuppressionKind.TAG))
        except SuppressionError as err:
            invalid.append(Invalid(resource.id, where, str(err)))
    metadata = resource.raw.get("metadata")
    if isinstance(metadata, Mapping):
        for name, value in metadata.items():
            if str(name).lower() != TAG:
                continue
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items, start=1):
                where = f"template metadata {name} #{i} on {resource.name}"
                try:
                    if isinstance(item, str):
                        found.extend(parse_inline_text(item, resource, where, SuppressionKind.METADATA))
                    else:
                        found.append(from_mapping(item, where, resource=resource.id, allowed=_INLINE_FIELDS,
                                                  kind=SuppressionKind.METADATA))
                except SuppressionError as err:
                    invalid.append(Invalid(resource.id, where, str(err)))
    return found, invalid


@dataclass(frozen=True, slots=True)
class RuleUse:
    """A suppression rule of the scan and what it did."""

    rule: Suppression
    expired: bool
    matched: int  # findings it covers (in force) or would cover (expired)

    def to_dict(self) -> dict[str, Any]:
        return {**self.rule.to_dict(), "expired": self.expired, "matched": self.matched}


@dataclass(frozen=True, slots=True)
class SuppressionReport:
    """What suppressions did in a scan: the report's `suppressions` section."""

    inline_honored: bool = True
    inline_found: int = 0  # inline suppressions seen (read or not understood)
    suppressed: int = 0  # findings suppressed
    rules: tuple[RuleUse, ...] = ()  # config rules first, then inline ones, in written order
    invalid: tuple[Invalid, ...] = ()
    policy_suppressed: int | None = None  # policy results suppressed (None: no policy evaluated)

    @property
    def inline(self) -> str:
        return "honored" if self.inline_honored else f"ignored ({self.inline_found} found)"

    @property
    def stale(self) -> list[RuleUse]:
        """Expired rules that match no finding any more: to be removed."""
        return [use for use in self.rules if use.expired and not use.matched]

    def to_dict(self) -> dict[str, Any]:
        return {
            "inline": self.inline,
            "suppressed": self.suppressed,
            **({"policy_suppressed": self.policy_suppressed} if self.policy_suppressed else {}),
            "rules": [use.to_dict() for use in self.rules],
            "invalid": [i.to_dict() for i in self.invalid],
        }


def apply(
    findings: Sequence[Finding],
    rules: Sequence[Suppression] = (),
    *,
    inline_suppressions: bool = True,
    today: dt.date | None = None,
    known_checks: Sequence[str] = (),
) -> tuple[list[Finding], SuppressionReport]:
    """The findings, those a suppression covers annotated with it, and what the report says.

    The first rule in force that matches wins (config rules before inline ones, in written
    order). A finding matched only by expired rules stays unsuppressed and carries the expired
    rule's mark, so the report can say the exception ran out. With `known_checks` (every loaded
    check id), an inline suppression naming none of them is listed as invalid, not applied.
    """
    today = today or dt.date.today()
    config_rules = list(rules)
    inline_rules, invalid, inline_seen = _inline_rules(findings, inline_suppressions, known_checks)
    used: dict[int, int] = {}
    out = list(findings)
    suppressed = 0
    for i, f in enumerate(out):
        if f.status not in SUPPRESSIBLE:
            continue
        mark = _mark([r for r in (*config_rules, *inline_rules.get(f.resource.uid, ())) if r.matches(f)], today, used)
        if mark is not None:
            out[i] = replace(f, suppression=mark)
            suppressed += mark.active
    listed = [*config_rules, *(r for rs in inline_rules.values() for r in rs)]
    report = SuppressionReport(
        inline_honored=inline_suppressions,
        inline_found=inline_seen,
        suppressed=suppressed,
        rules=tuple(RuleUse(r, r.expired(today), used.get(id(r), 0)) for r in listed),
        invalid=tuple(invalid),
    )
    return out, report


def _mark(candidates: Sequence[Suppression], today: dt.date, used: dict[int, int]) -> SuppressionMark | None:
    """The mark of the first matching rule in force, else of the first expired one (the report
    says the exception ran out); the rule's use counted in `used`. None when no rule matches."""
    if not candidates:
        return None
    active = next((r for r in candidates if not r.expired(today)), None)
    rule = active or candidates[0]
    used[id(rule)] = used.get(id(rule), 0) + 1
    return rule.mark(active is not None)


def apply_policy(
    report: PolicyReport, rules: Sequence[Suppression], findings_report: SuppressionReport,
    *, today: dt.date | None = None,
) -> tuple[PolicyReport, SuppressionReport]:
    """The policy report with the results a `policy` rule covers annotated (NonCompliant and
    Error: what counts against the estate), as `apply` does for findings, and the suppression
    report with those rules' matches counted."""
    today = today or dt.date.today()
    policy_rules = [r for r in rules if r.policy is not None]
    if not policy_rules:
        return report, replace(findings_report, policy_suppressed=0)
    used: dict[int, int] = {}
    results = list(report.results)
    suppressed = 0
    for i, r in enumerate(results):
        if not r.failing:
            continue
        mark = _mark([rule for rule in policy_rules if rule.matches_policy(r)], today, used)
        if mark is not None:
            results[i] = replace(r, suppression=mark)
            suppressed += mark.active
    uses = tuple(replace(use, matched=used.get(id(use.rule), 0)) if use.rule.policy is not None else use
                 for use in findings_report.rules)
    return replace(report, results=results), replace(findings_report, rules=uses, policy_suppressed=suppressed)


def _inline_rules(
    findings: Iterable[Finding], honored: bool, known_checks: Sequence[str]
) -> tuple[dict[str, list[Suppression]], list[Invalid], int]:
    """Per resource uid, the inline suppressions in force (when honored), the invalid ones, and
    how many were seen in all."""
    rules: dict[str, list[Suppression]] = {}
    invalid: list[Invalid] = []
    seen = 0
    seen_resources: set[str] = set()
    for f in findings:
        if f.resource.uid in seen_resources:
            continue
        seen_resources.add(f.resource.uid)
        found, bad = inline(f.resource)
        for rule in list(found) if known_checks else ():
            problem = unknown_check(rule.check, known_checks)
            if problem:
                found.remove(rule)
                bad.append(Invalid(f.resource.id, rule.source, f"{rule.source}: {problem}"))
        seen += len(found) + len(bad)
        if honored:
            rules[f.resource.uid] = found
            invalid.extend(bad)
    return rules, invalid, seen
