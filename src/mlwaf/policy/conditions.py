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

from collections.abc import Callable, Mapping
from typing import Any

from mlwaf import armjson
from mlwaf.model import Unresolved
from mlwaf.policy import fields, functions, operators
from mlwaf.policy.errors import EvaluationError
from mlwaf.policy.scope import Result, Scope, Seen


def merge(results: list[Result], all_of: bool) -> Result:
    pending: Unresolved | None = None
    for r in results:
        if isinstance(r, Unresolved):
            pending = pending or r
        elif r is not all_of:
            return r
    return pending if pending is not None else all_of


Node = Callable[[Scope], Result]


def evaluate(cond: Any, scope: Scope) -> Result:
    """Evaluate a condition once (compiling it first); `compile` it to evaluate it often."""
    return compile(cond, scope.env.parameters)(scope)


def compile(cond: Any, parameters: Mapping[str, Any]) -> Node:  # noqa: A001 - the module's verb
    """A condition as a function of the scope. What depends only on the parameters (field names,
    expected values, `[parameters('x')]` expressions) is worked out here, once per assignment,
    so judging a resource only reads the resource: the rule tree is not walked again."""
    if not isinstance(cond, dict):
        return _failing(f"a condition must be an object, got {cond!r}")
    for key, value in cond.items():
        low = key.lower()
        if low in ("allof", "anyof"):
            if not isinstance(value, list):
                return _failing(f"{key} needs an array of conditions")
            return _logical([compile(c, parameters) for c in value], all_of=low == "allof")
        if low == "not":
            return _negate(compile(value, parameters))
    op = operators.find(cond)
    if op is None:
        return _failing(f"condition {sorted(cond)} has no operator")
    if _has(cond, "field"):
        return _field(cond, op, parameters)
    if _has(cond, "value"):
        return _value(cond, op, parameters)
    if _has(cond, "count"):
        return _count(cond, op, parameters)
    return _failing(f"condition {sorted(cond)} has no field, value or count")


def _negate(inner: Node) -> Node:
    def node(scope: Scope) -> Result:
        r = inner(scope)
        return r if isinstance(r, Unresolved) else not r

    return node


def _failing(message: str) -> Node:
    """A malformed condition fails when it is reached, as Azure's evaluation would."""

    def node(scope: Scope) -> Result:
        raise EvaluationError(message)

    return node


def _has(cond: dict[str, Any], key: str) -> bool:
    return any(k.lower() == key for k in cond)


def get(obj: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A key of a rule object, as ARM reads names (Azure accepts `AllOf`, `Like`, ...)."""
    return armjson.key(obj, key, default)


def _logical(nodes: list[Node], all_of: bool) -> Node:
    def node(scope: Scope) -> Result:
        pending: Unresolved | None = None
        for n in nodes:
            r = n(scope)
            if isinstance(r, Unresolved):
                pending = pending or r
            elif r is not all_of:
                return r
        return pending if pending is not None else all_of

    return node


def _value_of(written: Any, parameters: Mapping[str, Any]) -> Callable[[Scope], Any]:
    """A rule value as a function of the scope: a constant when it needs only the parameters."""
    constant, value = functions.constant(written, parameters)
    if constant:
        return lambda scope: value
    return lambda scope: functions.evaluate(written, scope)


def _name_of(written: Any, parameters: Mapping[str, Any]) -> Callable[[Scope], str]:
    value = _value_of(written, parameters)

    def name(scope: Scope) -> str:
        got = value(scope)
        if isinstance(got, Unresolved):
            raise EvaluationError(f"the field name {written!r} depends on {got.expression}")
        if not isinstance(got, str) or not got:
            raise EvaluationError(f"a field must be a string, got {got!r}")
        return got

    return name


def _field(cond: dict[str, Any], op: str, parameters: Mapping[str, Any]) -> Node:
    written = get(cond, "field")
    fixed, name_value = functions.constant(written, parameters)
    name_of = None if fixed and isinstance(name_value, str) else _name_of(written, parameters)
    expected_of = _value_of(cond[op], parameters)
    compare = operators.compiled(op)
    if fixed and isinstance(name_value, str):  # the usual case: worked out once
        fixed_location = name_value.lower() == "location"
        fixed_noted = name_value.lower() != "type"

    def node(scope: Scope) -> Result:
        if name_of is None:
            name, location, noted = name_value, fixed_location, fixed_noted
        else:
            name = name_of(scope)
            location, noted = name.lower() == "location", name.lower() != "type"
        read = fields.read(name, scope.resource, scope.env.aliases, scope.bindings)
        expected = expected_of(scope)
        if read.unknown is not None:
            result: Result = read.unknown
        elif read.collection:
            result = merge([compare(v, expected, location) for v in read.values], all_of=True)
        else:
            result = compare(read.values, expected, location)
        if noted and scope.env.record:
            scope.env.seen.append(Seen(name, read.path, read.unknown or read.values, op, expected, result))
        return result

    return node


def _value(cond: dict[str, Any], op: str, parameters: Mapping[str, Any]) -> Node:
    written = get(cond, "value")
    value_of = _value_of(written, parameters)
    expected_of = _value_of(cond[op], parameters)
    compare = operators.compiled(op)
    noted = isinstance(written, str) and "field(" in written.lower()

    def node(scope: Scope) -> Result:
        value = value_of(scope)
        expected = expected_of(scope)
        result = compare(value, expected, False)
        if noted and scope.env.record:
            scope.env.seen.append(Seen(written, "", value, op, expected, result))
        return result

    return node


def _count(cond: dict[str, Any], op: str, parameters: Mapping[str, Any]) -> Node:
    spec = get(cond, "count")
    if not isinstance(spec, dict):
        return _failing("count needs an object with field or value")
    where_cond = get(spec, "where")
    where = compile(where_cond, parameters) if where_cond is not None else None
    expected_of = _value_of(cond[op], parameters)
    compare = operators.compiled(op)
    if _has(spec, "field"):
        members_of = _field_members(_name_of(get(spec, "field"), parameters))
    elif _has(spec, "value"):
        members_of = _value_members(spec, parameters)
    else:
        return _failing("count needs field or value")

    def node(scope: Scope) -> Result:
        counted = members_of(scope)
        if isinstance(counted, Unresolved):
            return counted
        label, path, scopes = counted
        true = unknown = 0
        pending: Unresolved | None = None
        for inner in scopes:
            r = True if where is None else where(inner)
            if isinstance(r, Unresolved):
                unknown += 1
                pending = pending or r
            elif r:
                true += 1
        expected = expected_of(scope)
        outcomes = {compare(n, expected, False) for n in range(true, true + unknown + 1)}
        result: Result = outcomes.pop() if len(outcomes) == 1 else (pending or Unresolved("count"))
        if scope.env.record:
            scope.env.seen.append(Seen(label, path, true if not unknown else pending, op, expected, result))
        return result

    return node


Counted = tuple[str, str, list[Scope]] | Unresolved


def _field_members(name_of: Callable[[Scope], str]) -> Callable[[Scope], Counted]:
    """(alias, path, one scope per member) of a field count: the elements of the array the
    alias's last `[*]` stands for, each bound in turn."""

    def members(scope: Scope) -> Counted:
        name = name_of(scope)
        if not name.endswith(fields.STAR):
            raise EvaluationError(f"count.field must be an array alias ending in [*], got {name!r}")
        path = fields.resolve_path(name, scope.resource, scope.env.aliases)
        if not path:  # the alias exists for other types only: nothing to count here
            return name, "", []
        segments = fields.split_path(path)
        if fields.STAR not in segments:
            raise EvaluationError(f"the path {path!r} of {name!r} is not an array")
        last = max(i for i, s in enumerate(segments) if s == fields.STAR)
        values, _, unknown = fields.walk(scope.resource.raw, segments[: last + 1], scope.bindings)
        if unknown is not None:
            return unknown
        key = tuple(s.lower() for s in segments[: last + 1])
        depth = scope.count_depth + 1
        scopes = [
            Scope(
                scope.env,
                scope.resource,
                scope.if_resource,
                {**scope.bindings, key: (m,)},
                scope.names,
                scope.anonymous,
                depth,
            )
            for m in values
        ]
        return name, path, scopes

    return members


def _value_members(spec: Mapping[str, Any], parameters: Mapping[str, Any]) -> Callable[[Scope], Counted]:
    written = get(spec, "value")
    items_of = _value_of(written, parameters)
    name = get(spec, "name")
    label = f"count of {written}"

    def members(scope: Scope) -> Counted:
        items = items_of(scope)
        if isinstance(items, Unresolved):
            return items
        if not isinstance(items, list):
            raise EvaluationError(f"count.value must be an array, got {items!r}")
        if name is None and scope.count_depth:
            raise EvaluationError("a nested value count needs a name")
        depth = scope.count_depth + 1
        scopes = [
            Scope(
                scope.env,
                scope.resource,
                scope.if_resource,
                scope.bindings,
                {**scope.names, name.lower(): item} if isinstance(name, str) else scope.names,
                (item,) if name is None else scope.anonymous,
                depth,
            )
            for item in items
        ]
        return label, "", scopes

    return members


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


def compile_applicable(
    cond: Any, parameters: Mapping[str, Any], counted: frozenset[str], positive: bool = True
) -> Node:
    """The rule with every condition not on a counted field taken as true (false under `not`)."""
    if not isinstance(cond, dict):
        return lambda scope: positive
    for key, value in cond.items():
        low = key.lower()
        if low in ("allof", "anyof") and isinstance(value, list):
            nodes = [compile_applicable(c, parameters, counted, positive) for c in value]
            all_of = low == "allof"
            return lambda scope: merge([n(scope) for n in nodes], all_of=all_of)
        if low == "not":
            return _negate(compile_applicable(value, parameters, counted, not positive))
    f = get(cond, "field")
    if isinstance(f, str) and ("name" if f.lower() == "fullname" else f.lower()) in counted:
        return compile(cond, parameters)
    return lambda scope: positive
