"""Azure Policy results as every report shows them, said once: the order they are listed in
(what Azure would deny first), a definition's help link, a state's label, the evidence and
the changes as text, what counts against the estate.

The values come from the results' `to_dict()` forms (evidence, changes), which redact secrets:
a report never shows a value the JSON would not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mlwaf import links

if TYPE_CHECKING:
    from mlwaf.policy.plan import NotEvaluated
    from mlwaf.policy.results import PolicyResult

# Listing order: what counts against the estate first.
STATE_ORDER = {"NonCompliant": 0, "Error": 1, "Unknown": 2, "Exempt": 3, "Compliant": 4}
STATE_LABEL = {"NonCompliant": "Non-compliant", "Error": "Error", "Unknown": "Unknown", "Exempt": "Exempt",
               "Compliant": "Compliant"}


def title(r: PolicyResult | NotEvaluated) -> str:
    """What a result or a definition not evaluated is called: the display name, else the
    definition's name."""
    return r.display_name or r.definition_id.rsplit("/", 1)[-1]


def ordered(results: Iterable[PolicyResult]) -> list[PolicyResult]:
    """Denied first, then by state (non-compliant first), policy and resource."""
    return sorted(results, key=lambda r: (r.would != "deny", STATE_ORDER[r.state.value], r.display_name.lower(),
                                          r.resource.key, r.assignment, r.assignment_id, r.reference_id or ""))


def counted(r: PolicyResult) -> bool:
    """A result that counts against the estate: non-compliant (or a failed evaluation), neither
    suppressed nor in the baseline (what the gate reads)."""
    return r.failing and not r.suppressed and not r.in_baseline


def help_uri(definition_id: str) -> str | None:
    """The portal page of a built-in definition; None for a custom one (its page lives in a
    tenant the report cannot name)."""
    from mlwaf.policy import catalog

    if not catalog.is_builtin(definition_id):
        return None
    return links.policy_definition(definition_id.rsplit("/", 1)[-1])


def _value(seen: Mapping[str, Any]) -> str:
    if "expression" in seen:
        return f"unresolved {seen['expression']}"
    if seen.get("present") is False:
        return "absent"
    return _text(seen.get("value"))


def _text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'


def evidence(r: PolicyResult) -> list[str]:
    """Each condition the rule evaluated, as one line: what was read, the value seen, the
    condition and whether it held (`field = value; notEquals "Disabled": true`)."""
    lines = []
    for seen in (s.to_dict() for s in r.evidence):
        read = seen.get("path") or seen["field"]
        condition = "; ".join(f"{op} {_text(expected)}" for op, expected in seen.get("condition", {}).items())
        result = seen.get("result")
        held = "unknown" if result == "unknown" else ("true" if result else "false")
        lines.append(f"{read} = {_value(seen)}; {condition}: {held}")
    return lines


def changes(r: PolicyResult) -> list[str]:
    """What modify or append would change, one line each."""
    out = []
    for c in (c.to_dict() for c in r.changes):
        after = f" -> {_text(c['after'])}" if "after" in c else ""
        state = "" if c["applied"] else f" (not applied: {c.get('note') or 'condition false'})"
        out.append(f"{c['operation']} {c['path']}: {_text(c['before'])}{after}{state}")
    return out


def where(r: PolicyResult) -> str:
    """`path:line` of the offending property (or the resource), as findings give it."""
    loc = r.location
    if not loc.path:
        return ""
    return loc.path + (f":{loc.line}" if loc.line else "")


def mark(r: PolicyResult) -> str:
    """Why a failing result does not count against the estate: its suppression (with the reason)
    or the baseline; empty when it counts (or passed)."""
    if r.suppressed and r.suppression is not None:
        return f"suppressed: {r.suppression.reason or 'no reason given'}"
    return "in the baseline" if r.in_baseline else ""


def why(r: PolicyResult) -> str:
    """One line for a table cell: the reason, and the conditions evaluated with the values seen."""
    seen = evidence(r)
    return f"{r.reason}: {'; '.join(seen)}" if seen else r.reason


def details(r: PolicyResult) -> list[str]:
    """The lines a text report shows under one result: why, the assignment's non-compliance
    message, the unresolved expression, the resource and where it is written, the conditions with
    the values seen, and what modify or append would change."""
    lines = [r.reason]
    if r.message:
        lines.append(f"message: {r.message}")
    if r.expression:
        lines.append(f"unresolved: {r.expression}")
    lines.append(f"resource: {r.resource.id}")
    at = where(r)
    if at:
        lines.append(f"location: {at}")
    lines += [f"evidence: {line}" for line in evidence(r)]
    lines += [f"change: {line}" for line in changes(r)]
    if r.azure is not None:
        lines.append(f"azure says: {azure(r)}")
    return lines


def azure(r: PolicyResult) -> str:
    """Azure's own state for the result (a live scan or its recording read it), when it was
    evaluated, and how it differs from mlwaf's; empty when no comparison was made."""
    if r.azure is None:
        return ""
    a = r.azure
    at = f" (evaluated {a.at})" if a.at else ""
    differs = f"; differs: {a.disagreement}" if a.disagreement else ""
    return f"{a.state or 'no state'}{at}{differs}"

