"""What a rule's `if` says before any resource is seen: the resource types it can apply to (so
a resource meets only the definitions that can apply to it) and the aliases it reads (so an
alias the table lacks is found once per definition, not once per resource).
"""

from __future__ import annotations

import re
from typing import Any

from mlwaf.policy.parse import get

_FIELD_CALL = re.compile(r"\b(?:field|current)\(\s*'([^']+)'\s*\)", re.IGNORECASE)


def candidate_types(cond: Any) -> frozenset[str] | None:
    """Lower-case types the condition can be true for, or None when it may hold for any type.

    Sound for applicability too: a resource of another type makes a counted `type` condition
    false, so the definition is not applicable to it (policy-applicability.md)."""
    if not isinstance(cond, dict):
        return None
    for key, value in cond.items():
        low = key.lower()
        if low == "allof" and isinstance(value, list):
            sets = [s for s in (candidate_types(c) for c in value) if s is not None]
            if not sets:
                return None
            return frozenset.intersection(*sets)
        if low == "anyof" and isinstance(value, list):
            out: set[str] = set()
            for c in value:
                s = candidate_types(c)
                if s is None:
                    return None
                out |= s
            return frozenset(out)
        if low == "not":
            return None
    f = get(cond, "field")
    if not isinstance(f, str) or f.lower() != "type":
        return None
    equals = get(cond, "equals")
    if isinstance(equals, str) and not equals.startswith("["):
        return frozenset({equals.lower()})
    within = get(cond, "in")
    if isinstance(within, list) and all(isinstance(t, str) and not t.startswith("[") for t in within):
        return frozenset(t.lower() for t in within)
    return None


def aliases_in(cond: Any) -> set[str]:
    """Alias names a condition reads literally: `field` and `count.field` values and
    `field('...')`/`current('...')` arguments inside expressions."""
    out: set[str] = set()
    if isinstance(cond, dict):
        for key, value in cond.items():
            low = key.lower()
            if low == "field" and isinstance(value, str) and not value.startswith("[") and "/" in value:
                out.add(value)
            elif isinstance(value, str):
                out |= {m for m in _FIELD_CALL.findall(value) if "/" in m}
            else:
                out |= aliases_in(value)
    elif isinstance(cond, list):
        for c in cond:
            out |= aliases_in(c)
    elif isinstance(cond, str):
        out |= {m for m in _FIELD_CALL.findall(cond) if "/" in m}
    return out
