"""The condition operators (`equals` ... `exists`) with Azure Policy's comparison rules.

- Strings compare case-insensitively (InvariantCultureIgnoreCase), except `match`/`notMatch`.
- Scalars of different JSON types compare by their text: a boolean `true` equals `"true"` and
  the integer `0` equals `"0"`, which built-ins rely on (`"equals": "true"` on booleans).
- `location` fields are normalized: `"West Europe"` equals `westeurope`.
- `like` takes at most one `*` (any run of characters, empty included); `?` is literal.
- `match`: `#` a digit, `?` a letter, `.` any character, anything else itself, whole value.
- `less` ... `greaterOrEquals` compare two numbers or two strings (ISO dates as dates);
  other pairs are an evaluation error, as in Azure.
- A missing property (decision Q-2, docs/policy.md): the negative operators (`notEquals`,
  `notLike`, `notMatch*`, `notContains`, `notIn`, `notContainsKey`) are true, the positive ones
  and the orderings false, `exists: false` true.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from mlwaf.model import Unresolved
from mlwaf.policy.errors import EvaluationError
from mlwaf.policy.fields import MISSING

OPERATORS = (
    "equals",
    "notEquals",
    "like",
    "notLike",
    "match",
    "notMatch",
    "matchInsensitively",
    "notMatchInsensitively",
    "contains",
    "notContains",
    "in",
    "notIn",
    "containsKey",
    "notContainsKey",
    "less",
    "lessOrEquals",
    "greater",
    "greaterOrEquals",
    "exists",
)
BY_LOWER = {op.lower(): op for op in OPERATORS}


def _absent(v: Any) -> bool:
    return v is MISSING or v is None


def text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _norm(v: Any, location: bool) -> str:
    t = text(v).lower()
    return t.replace(" ", "") if location else t


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def equal(a: Any, b: Any, location: bool = False) -> bool:
    if type(a) is str and type(b) is str:  # the common case, first
        if location:
            return a.replace(" ", "").lower() == b.replace(" ", "").lower()
        return a.lower() == b.lower()
    if _absent(a) or _absent(b):
        return _absent(a) and _absent(b)
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or len(a) != len(b):
            return False
        lb = {k.lower(): v for k, v in b.items()}
        return all(k.lower() in lb and equal(v, lb[k.lower()]) for k, v in a.items())
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            return False
        return all(equal(x, y) for x, y in zip(a, b, strict=True))
    if _number(a) and _number(b):
        return bool(a == b)
    return _norm(a, location) == _norm(b, location)


def _like(value: Any, pattern: Any) -> bool:
    if not isinstance(pattern, str):
        raise EvaluationError(f"like needs a string pattern, got {pattern!r}")
    if pattern.count("*") > 1:
        raise EvaluationError(f"like pattern {pattern!r} has more than one '*' (Azure allows one)")
    if _absent(value) or isinstance(value, dict | list):
        return False
    v, p = text(value).lower(), pattern.lower()
    if "*" not in p:
        return v == p
    head, tail = p.split("*")
    return len(v) >= len(head) + len(tail) and v.startswith(head) and v.endswith(tail)


@functools.lru_cache(maxsize=1024)
def _match_regex(pattern: str, insensitive: bool) -> re.Pattern[str]:
    parts = []
    for c in pattern:
        if c == "#":
            parts.append(r"\d")
        elif c == "?":
            parts.append("[A-Za-z]")
        elif c == ".":
            parts.append(".")
        else:
            parts.append(re.escape(c))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if insensitive else re.DOTALL)


def _match(value: Any, pattern: Any, insensitive: bool) -> bool:
    if not isinstance(pattern, str):
        raise EvaluationError(f"match needs a string pattern, got {pattern!r}")
    if _absent(value) or isinstance(value, dict | list):
        return False
    return _match_regex(pattern, insensitive).fullmatch(text(value)) is not None


def _contains(value: Any, item: Any, location: bool) -> bool:
    if _absent(value):
        return False
    if isinstance(value, list):
        return any(equal(v, item, location) for v in value)
    if isinstance(value, dict):
        return False
    return _norm(item, location) in _norm(value, location)


def _in(value: Any, options: Any, location: bool) -> bool:
    if not isinstance(options, list):
        raise EvaluationError(f"in/notIn needs an array, got {options!r}")
    if _absent(value):
        return False
    return any(equal(value, o, location) for o in options)


def _contains_key(value: Any, key: Any) -> bool:
    if not isinstance(value, dict):
        return False
    k = text(key).lower()
    return any(x.lower() == k for x in value)


def _datetime(v: str) -> dt.datetime | None:
    if len(v) < 10 or not v[:4].isdigit() or v[4] != "-":
        return None
    try:
        parsed = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _ordered(a: Any, b: Any, op: str) -> tuple[Any, Any] | None:
    if _absent(a) or _absent(b):
        return None
    if _number(a) and _number(b):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        da, db = _datetime(a), _datetime(b)
        if da is not None and db is not None:
            return da, db
        return a.lower(), b.lower()
    raise EvaluationError(f"{op} compares two numbers or two strings, not {a!r} and {b!r}")


def _exists(value: Any, expected: Any) -> bool:
    want = expected if isinstance(expected, bool) else text(expected).lower() == "true"
    if not isinstance(expected, bool) and text(expected).lower() not in ("true", "false"):
        raise EvaluationError(f"exists needs true or false, got {expected!r}")
    return (not _absent(value)) is want


def _order_op(compare: Callable[[Any, Any], bool], name: str) -> Callable[[Any, Any, bool], bool]:
    def run(a: Any, b: Any, location: bool) -> bool:
        pair = _ordered(a, b, name)
        return pair is not None and compare(*pair)

    return run


_POSITIVE: dict[str, Callable[[Any, Any, bool], bool]] = {
    "equals": equal,
    "like": lambda a, b, loc: _like(a, b),
    "match": lambda a, b, loc: _match(a, b, False),
    "matchinsensitively": lambda a, b, loc: _match(a, b, True),
    "contains": _contains,
    "in": _in,
    "containskey": lambda a, b, loc: _contains_key(a, b),
}
_ORDERINGS: dict[str, Callable[[Any, Any, bool], bool]] = {
    "less": _order_op(lambda x, y: x < y, "less"),
    "lessorequals": _order_op(lambda x, y: x <= y, "lessOrEquals"),
    "greater": _order_op(lambda x, y: x > y, "greater"),
    "greaterorequals": _order_op(lambda x, y: x >= y, "greaterOrEquals"),
}
_NEGATED = {
    "notequals": "equals",
    "notlike": "like",
    "notmatch": "match",
    "notmatchinsensitively": "matchinsensitively",
    "notcontains": "contains",
    "notin": "in",
    "notcontainskey": "containskey",
}


def find(condition: dict[str, Any]) -> str | None:
    """The operator key a condition object uses (as written), or None."""
    for key in condition:
        if key.lower() in BY_LOWER:
            return key
    return None


@functools.lru_cache(maxsize=64)
def compiled(op: str) -> Callable[[Any, Any, bool], bool | Unresolved]:
    """The comparison an operator key names, ready to call on (actual, expected, location).
    An unresolved value on either side makes the answer unknown."""
    low = op.lower()
    base: Callable[[Any, Any, bool], bool]
    if low == "exists":

        def _exists_op(a: Any, e: Any, loc: bool) -> bool:
            return _exists(a, e)

        base = _exists_op
    elif low in _POSITIVE:
        base = _POSITIVE[low]
    elif low in _NEGATED:
        positive = _POSITIVE[_NEGATED[low]]

        def _negated(a: Any, e: Any, loc: bool) -> bool:
            return not positive(a, e, loc)

        base = _negated
    elif low in _ORDERINGS:
        base = _ORDERINGS[low]
    else:
        raise EvaluationError(f"unknown operator {op!r}")
    lists = low in ("in", "notin")

    def run(actual: Any, expected: Any, location: bool = False) -> bool | Unresolved:
        if isinstance(actual, Unresolved):
            return actual
        if isinstance(expected, Unresolved):
            return expected
        if lists and isinstance(expected, list):
            for o in expected:
                if isinstance(o, Unresolved):
                    return o
        return base(actual, expected, location)

    return run


def apply(op: str, actual: Any, expected: Any, location: bool = False) -> bool | Unresolved:
    """One comparison. An unresolved value on either side makes the answer unknown."""
    return compiled(op)(actual, expected, location)
