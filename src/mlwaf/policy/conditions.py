"""Evaluating a policy rule's conditions on one resource: `allOf`/`anyOf`/`not` at any depth,
`field`, `value` and `count` conditions.

Three answers, not two: True, False, or an `Unresolved` (a template expression whose value is
known only at deployment, carried so the report can show it). `allOf` is False as soon as one
member is False whatever the others are, `anyOf` True as soon as one is True; otherwise an
unknown member makes the whole unknown. A `field` condition on a collection (`[*]`) holds when
it holds for every member, so it holds on an empty or missing array (decision Q-1,
docs/policy.md). Errors (a failing function, an ordering between a number and a string) raise
EvaluationError; aliases the table lacks raise UnknownAlias.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mlwaf.model import Resource, Unresolved
from mlwaf.policy import fields, functions, operators
from mlwaf.policy.aliases import AliasTable
from mlwaf.policy.errors import EvaluationError

Result = bool | Unresolved


@dataclass(frozen=True, slots=True)
class Seen:
    """One condition evaluated: what it read and what it compared with (the evidence)."""

    field: str  # the field or value expression as written
    path: str  # the property path read ("" for value conditions)
    value: Any
    operator: str
    expected: Any
    result: Result

    def to_dict(self) -> dict[str, Any]:
        from mlwaf.model import redact

        out: dict[str, Any] = {"field": self.field}
        if self.path:
            out["path"] = self.path
        if isinstance(self.value, Unresolved):
            out["expression"] = self.value.expression
        elif self.value is fields.MISSING:
            out["present"] = False
        else:
            out["value"] = redact(self.path or self.field, _plain(self.value))
        out["condition"] = {self.operator: redact(self.path or self.field, _plain(self.expected))}
        out["result"] = self.result if isinstance(self.result, bool) else "unknown"
        return out


def _plain(value: Any) -> Any:
    if value is fields.MISSING:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Unresolved):
        return value.expression
    return value


@dataclass
class Env:
    """What stays the same while one definition is evaluated on one resource."""

    aliases: AliasTable
    parameters: Mapping[str, Any]  # lower-case name -> value
    api_version: str
    policy: Mapping[str, str] = field(default_factory=dict)  # what policy() returns
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    seen: list[Seen] = field(default_factory=list)
    record: bool = True


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a condition is evaluated: the resource `field` conditions read, the resource
    `field()` reads (the `if` resource, also inside `existenceCondition`), and the members the
    enclosing counts are at."""

    env: Env
    resource: Resource
    if_resource: Resource
    bindings: Mapping[tuple[str, ...], tuple[Any]] = field(default_factory=dict)
    names: Mapping[str, Any] = field(default_factory=dict)  # value-count name -> current item
    anonymous: tuple[Any] | None = None  # the item of an unnamed value count, for current()
    count_depth: int = 0

    @staticmethod
    def of(env: Env, resource: Resource, if_resource: Resource | None = None) -> Scope:
        return Scope(env, resource, if_resource or resource)


def merge(results: list[Result], all_of: bool) -> Result:
    pending: Unresolved | None = None
    for r in results:
        if isinstance(r, Unresolved):
            pending = pending or r
        elif r is not all_of:
            return r
    return pending if pending is not None else all_of


def evaluate(cond: Any, scope: Scope) -> Result:
    if not isinstance(cond, dict):
        raise EvaluationError(f"a condition must be an object, got {cond!r}")
    for key, value in cond.items():
        low = key.lower()
        if low == "allof" or low == "anyof":
            if not isinstance(value, list):
                raise EvaluationError(f"{key} needs an array of conditions")
            return _logical(value, scope, all_of=low == "allof")
        if low == "not":
            r = evaluate(value, scope)
            return r if isinstance(r, Unresolved) else not r
    op = operators.find(cond)
    if op is None:
        raise EvaluationError(f"condition {sorted(cond)} has no operator")
    if _has(cond, "field"):
        return _field(cond, op, scope)
    if _has(cond, "value"):
        return _value(cond, op, scope)
    if _has(cond, "count"):
        return _count(cond, op, scope)
    raise EvaluationError(f"condition {sorted(cond)} has no field, value or count")


def _has(cond: dict[str, Any], key: str) -> bool:
    return any(k.lower() == key for k in cond)


def get(obj: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A key of a rule object, case-insensitively (Azure accepts `AllOf`, `Like`, ...)."""
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if k.lower() == low:
            return v
    return default


def _logical(items: list[Any], scope: Scope, all_of: bool) -> Result:
    pending: Unresolved | None = None
    for item in items:
        r = evaluate(item, scope)
        if isinstance(r, Unresolved):
            pending = pending or r
        elif r is not all_of:
            return r
    return pending if pending is not None else all_of


def field_name(cond: Mapping[str, Any], scope: Scope) -> str:
    name = functions.evaluate(get(cond, "field"), scope)
    if isinstance(name, Unresolved):
        raise EvaluationError(f"the field name {get(cond, 'field')!r} depends on {name.expression}")
    if not isinstance(name, str) or not name:
        raise EvaluationError(f"a field must be a string, got {name!r}")
    return name


def _field(cond: dict[str, Any], op: str, scope: Scope) -> Result:
    name = field_name(cond, scope)
    read = fields.read(name, scope.resource, scope.env.aliases, scope.bindings)
    expected = functions.evaluate(cond[op], scope)
    location = name.lower() == "location"
    if read.unknown is not None:
        result: Result = read.unknown
    elif read.collection:
        result = merge([operators.apply(op, v, expected, location) for v in read.values], all_of=True)
    else:
        result = operators.apply(op, read.values, expected, location)
    _note(scope, Seen(name, read.path, read.unknown or read.values, op, expected, result))
    return result


def _value(cond: dict[str, Any], op: str, scope: Scope) -> Result:
    written = get(cond, "value")
    value = functions.evaluate(written, scope)
    expected = functions.evaluate(cond[op], scope)
    result = operators.apply(op, value, expected)
    if isinstance(written, str) and "field(" in written.lower():
        _note(scope, Seen(written, "", value, op, expected, result))
    return result


def _count(cond: dict[str, Any], op: str, scope: Scope) -> Result:
    spec = get(cond, "count")
    if not isinstance(spec, dict):
        raise EvaluationError("count needs an object with field or value")
    where = get(spec, "where")
    if _has(spec, "field"):
        counted = _field_members(spec, scope)
        if isinstance(counted, Unresolved):
            return counted
        label, path, key, members = counted
        scopes = [
            replace(scope, bindings={**scope.bindings, key: (m,)}, count_depth=scope.count_depth + 1) for m in members
        ]
    elif _has(spec, "value"):
        items = functions.evaluate(get(spec, "value"), scope)
        if isinstance(items, Unresolved):
            return items
        if not isinstance(items, list):
            raise EvaluationError(f"count.value must be an array, got {items!r}")
        name = get(spec, "name")
        if name is None and scope.count_depth:
            raise EvaluationError("a nested value count needs a name")
        label, path = f"count of {get(spec, 'value')}", ""
        scopes = [
            replace(
                scope,
                names={**scope.names, name.lower(): item} if isinstance(name, str) else scope.names,
                anonymous=(item,) if name is None else scope.anonymous,
                count_depth=scope.count_depth + 1,
            )
            for item in items
        ]
    else:
        raise EvaluationError("count needs field or value")
    true = unknown = 0
    pending: Unresolved | None = None
    for inner in scopes:
        r = True if where is None else evaluate(where, inner)
        if isinstance(r, Unresolved):
            unknown += 1
            pending = pending or r
        elif r:
            true += 1
    expected = functions.evaluate(cond[op], scope)
    outcomes = {operators.apply(op, n, expected) for n in range(true, true + unknown + 1)}
    result: Result = outcomes.pop() if len(outcomes) == 1 else (pending or Unresolved("count"))
    _note(scope, Seen(label, path, true if not unknown else pending, op, expected, result))
    return result


def _field_members(spec: Mapping[str, Any], scope: Scope) -> tuple[str, str, tuple[str, ...], list[Any]] | Unresolved:
    """(alias, path, binding key, members) of a field count: the elements of the array the
    alias's last `[*]` stands for."""
    name = field_name(spec, scope)
    if not name.endswith(fields.STAR):
        raise EvaluationError(f"count.field must be an array alias ending in [*], got {name!r}")
    path = fields.resolve_path(name, scope.resource, scope.env.aliases)
    if not path:  # the alias exists for other types only: nothing to count here
        return name, "", (), []
    segments = fields.split_path(path)
    if fields.STAR not in segments:
        raise EvaluationError(f"the path {path!r} of {name!r} is not an array")
    last = max(i for i, s in enumerate(segments) if s == fields.STAR)
    values, _, unknown = fields.walk(scope.resource.raw, segments[: last + 1], scope.bindings)
    if unknown is not None:
        return unknown
    return name, path, tuple(s.lower() for s in segments[: last + 1]), list(values)


def _note(scope: Scope, seen: Seen) -> None:
    if scope.env.record and seen.field.lower() != "type":
        scope.env.seen.append(seen)


# --- applicability of the non-existence effects ------------------------------------------------

APPLICABILITY_FIELDS = ("type", "name", "fullname", "kind")


def leaf_fields(cond: Any) -> set[str]:
    """Lower-case literal field names of the `field` conditions anywhere in a condition, with
    "other" for every condition that is not on type, name or kind."""
    out: set[str] = set()
    if isinstance(cond, dict):
        for key, value in cond.items():
            low = key.lower()
            if low in ("allof", "anyof"):
                for c in value if isinstance(value, list) else []:
                    out |= leaf_fields(c)
                return out
            if low == "not":
                return leaf_fields(value)
        f = get(cond, "field")
        if isinstance(f, str) and f.lower() in APPLICABILITY_FIELDS:
            out.add("name" if f.lower() == "fullname" else f.lower())
        else:
            out.add("other")
    return out


def counted_fields(rule_if: Any) -> frozenset[str]:
    """Which of type/name/kind decide applicability (policy-applicability.md): only `type` when
    the rule has type and only kind or name besides; type, name and kind when it also has other
    conditions; nothing (applicable to all) when it has only kind or only name conditions."""
    present = leaf_fields(rule_if)
    if "type" in present:
        return frozenset({"type"}) if "other" not in present else frozenset({"type", "name", "kind"})
    if "other" in present:
        return frozenset(present & {"name", "kind"})
    return frozenset()


def applicable(cond: Any, scope: Scope, counted: frozenset[str], positive: bool = True) -> Result:
    """The rule with every condition not on a counted field taken as true (false under `not`)."""
    if not isinstance(cond, dict):
        return positive
    for key, value in cond.items():
        low = key.lower()
        if low in ("allof", "anyof"):
            results = [applicable(c, scope, counted, positive) for c in value]
            return merge(results, all_of=low == "allof")
        if low == "not":
            r = applicable(value, scope, counted, not positive)
            return r if isinstance(r, Unresolved) else not r
    f = get(cond, "field")
    if isinstance(f, str) and ("name" if f.lower() == "fullname" else f.lower()) in counted:
        return evaluate(cond, scope)
    return positive
