"""Template functions inside policy rules: the one adapter between the policy evaluator and the
ARM expression evaluator of the templates (mlwaf.sources.arm_expressions).

Azure Policy uses the ARM template function library with a few changes, and so does mlwaf,
through `Context.function`, without a second evaluator:
- the policy-only functions `field()`, `current()`, `requestContext()`, `policy()`,
  `ipRangeContains()`, `addDays()`, and `utcNow()` (the evaluation time; allowed anywhere in a
  rule, and read from an injectable clock so tests and reports are reproducible);
- `resourceGroup()` and `subscription()` describe the evaluated resource's own;
- the functions Azure rejects in policy rules fail the evaluation (definition-structure-policy-rule.md,
  "Policy functions"): copyIndex, dateTimeAdd, dateTimeFromEpoch, dateTimeToEpoch, deployment,
  environment, extensionResourceId, lambda and the lambda functions, list*, managementGroup,
  newGuid, pickZones, providers, reference, resourceId, subscriptionResourceId,
  tenantResourceId, tenant, variables.
Issue 13 refactors the template evaluator; only this module should have to follow it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mlwaf import armid
from mlwaf.model import Unresolved
from mlwaf.policy import fields
from mlwaf.policy.errors import EvaluationError
from mlwaf.sources import arm_expressions as arm

if TYPE_CHECKING:
    from mlwaf.policy.scope import Scope

REJECTED = frozenset(
    {
        "copyindex",
        "datetimeadd",
        "datetimefromepoch",
        "datetimetoepoch",
        "deployment",
        "environment",
        "extensionresourceid",
        "lambda",
        "lambdavariables",
        "filter",
        "map",
        "mapvalues",
        "reduce",
        "sort",
        "toobject",
        "groupby",
        "managementgroup",
        "newguid",
        "pickzones",
        "providers",
        "reference",
        "references",
        "resourceid",
        "subscriptionresourceid",
        "tenantresourceid",
        "managementgroupresourceid",
        "tenant",
        "variables",
        "deployer",
    }
)


class PolicyContext(arm.Context):
    """What an expression in a policy rule can ask: the assignment's parameter values, the
    resource under evaluation, the members of the enclosing counts."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        rid = scope.if_resource.id
        self.subscription_id = armid.subscription_of(rid) or arm.Context.subscription_id
        self.resource_group = armid.resource_group_of(rid) or arm.Context.resource_group

    def parameter(self, name: str) -> Any:
        params = self.scope.env.parameters
        if name.lower() in params:
            return params[name.lower()]
        raise arm.ExpressionError(f"the policy has no parameter {name!r}")

    def function(self, name: str) -> tuple[Callable[..., Any], str] | None:
        if name in _POLICY:
            return _POLICY[name]
        if name in REJECTED or name.startswith("list"):
            return _rejected, "lazy"
        return None

    def resource_group_object(self) -> dict[str, Any]:
        rg = armid.resource_group_of(self.scope.if_resource.id)
        if rg is None:
            raise arm.ExpressionError("resourceGroup() is used on a resource outside a resource group")
        sub = self.subscription_id
        unknown = Unresolved("[resourceGroup()]", "the resource group's own properties are not in the input")
        return {
            "id": f"/subscriptions/{sub}/resourceGroups/{rg}",
            "name": rg,
            "type": "Microsoft.Resources/resourceGroups",
            "location": unknown,
            "managedBy": unknown,
            "tags": unknown,
            "properties": unknown,
        }

    def subscription_object(self) -> dict[str, Any]:
        unknown = Unresolved("[subscription()]", "the subscription's own properties are not in the input")
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "subscriptionId": self.subscription_id,
            "tenantId": unknown,
            "displayName": unknown,
            "tags": unknown,
        }


def evaluate(value: Any, scope: Scope) -> Any:
    """A rule value: an expression string is evaluated, arrays and objects member by member."""
    if isinstance(value, str):
        if arm.is_expression(value):
            try:
                return arm.evaluate(value[1:-1], PolicyContext(scope))
            except arm.ExpressionError as err:
                raise EvaluationError(f"{value}: {err}") from None
            except RecursionError:
                raise EvaluationError(f"{value}: nested too deeply") from None
        return arm.literal_text(value)
    if isinstance(value, list):
        return [evaluate(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: evaluate(v, scope) for k, v in value.items()}
    return value


def _rejected(ctx: arm.Context, lambdas: dict[str, Any], nodes: list[Any], text: str) -> Any:
    name = text.split("(", 1)[0]
    raise arm.ExpressionError(f"{name}() is not available in a policy rule")


def _scope(ctx: arm.Context) -> Scope:
    assert isinstance(ctx, PolicyContext)
    return ctx.scope


def _field(ctx: arm.Context, name: Any) -> Any:
    if not isinstance(name, str):
        raise arm.ExpressionError(f"field() needs a field name, got {name!r}")
    scope = _scope(ctx)
    bindings = scope.bindings if scope.resource is scope.if_resource else None
    return fields.read(name, scope.if_resource, scope.env.aliases, bindings).function_value()


def _current(ctx: arm.Context, *args: Any) -> Any:
    scope = _scope(ctx)
    if not args:
        if scope.anonymous is None:
            raise arm.ExpressionError("current() without a name is allowed only inside an unnamed value count")
        return scope.anonymous[0]
    name = args[0]
    if not isinstance(name, str):
        raise arm.ExpressionError(f"current() needs a name, got {name!r}")
    if name.lower() in scope.names:
        return scope.names[name.lower()]
    if not fields.is_alias(name):
        raise arm.ExpressionError(f"current({name!r}) names no enclosing count")
    path = fields.resolve_path(name, scope.resource, scope.env.aliases)
    segments = fields.split_path(path or "")
    for end in range(len(segments), 0, -1):
        key = tuple(s.lower() for s in segments[:end])
        if segments[end - 1] == fields.STAR and key in scope.bindings:
            member = scope.bindings[key][0]
            value, _, unknown = fields.walk(member, segments[end:])
            if unknown is not None:
                return unknown
            return None if value is fields.MISSING else value
    raise arm.ExpressionError(f"current({name!r}) is used outside a count of that array")


def _request_context(ctx: arm.Context) -> Any:
    # The caller's identity (claims of the request's token) is never in an offline input.
    identity = Unresolved("[requestContext().identity]", "the identity of the caller is known only at request time")
    return {"apiVersion": _scope(ctx).env.api_version, "identity": identity}


def _policy(ctx: arm.Context) -> Any:
    info = _scope(ctx).env.policy
    keys = ("assignmentId", "definitionId", "setDefinitionId", "definitionReferenceId")
    return {k: info.get(k, "") for k in keys}


def _network(text: Any) -> tuple[Any, Any]:
    """(first, last) address of a CIDR range, a single address, or an `a-b` range."""
    if not isinstance(text, str):
        raise arm.ExpressionError(f"ipRangeContains() needs address ranges, got {text!r}")
    try:
        if "-" in text:
            lo, hi = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
            if lo.version != hi.version or int(hi) < int(lo):
                raise ValueError("bad range")
            return lo, hi
        net = ipaddress.ip_network(text.strip(), strict=False)
        return net[0], net[-1]
    except ValueError:
        raise arm.ExpressionError(f"{text!r} is not an IP address or range") from None


def _ip_range_contains(ctx: arm.Context, outer: Any, inner: Any) -> bool:
    lo, hi = _network(outer)
    ilo, ihi = _network(inner)
    if lo.version != ilo.version:
        raise arm.ExpressionError(f"ipRangeContains() mixes IPv{lo.version} {outer!r} and IPv{ilo.version} {inner!r}")
    return bool(lo <= ilo and ihi <= hi)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _utc_now(ctx: arm.Context, fmt: Any = None) -> str:
    now = _scope(ctx).env.clock()
    if fmt is None:
        return _iso(now)
    if not isinstance(fmt, str):
        raise arm.ExpressionError("utcNow() takes a format string")
    formats = {"u": "%Y-%m-%d %H:%M:%SZ", "d": "%m/%d/%Y", "s": "%Y-%m-%dT%H:%M:%S"}
    if fmt in formats:
        return now.astimezone(dt.UTC).strftime(formats[fmt])
    out = fmt
    for token, code in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")):
        out = out.replace(token, code)
    return now.astimezone(dt.UTC).strftime(out)


def _add_days(ctx: arm.Context, moment: Any, days: Any) -> str:
    if not isinstance(moment, str):
        raise arm.ExpressionError(f"addDays() needs a date and time, got {moment!r}")
    if isinstance(days, bool) or not isinstance(days, int | float):
        raise arm.ExpressionError(f"addDays() needs a number of days, got {days!r}")
    try:
        parsed = dt.datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
    except ValueError:
        raise arm.ExpressionError(f"{moment!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return _iso(parsed + dt.timedelta(days=days))


_POLICY: dict[str, tuple[Callable[..., Any], str]] = {
    "field": (_field, "shallow"),
    "current": (_current, "shallow"),
    "requestcontext": (_request_context, "strict"),
    "policy": (_policy, "strict"),
    "iprangecontains": (_ip_range_contains, "strict"),
    "utcnow": (_utc_now, "strict"),
    "adddays": (_add_days, "strict"),
}


class _ParameterContext(arm.Context):
    """Only `parameters()` and the pure template functions: initiative member values are
    expressions over the initiative's parameters, resolved before any resource is seen."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def parameter(self, name: str) -> Any:
        if name.lower() in self.values:
            return self.values[name.lower()]
        raise arm.ExpressionError(f"the initiative has no parameter {name!r}")

    def function(self, name: str) -> tuple[Callable[..., Any], str] | None:
        if name in _POLICY or name in REJECTED or name.startswith("list"):
            return _rejected, "lazy"
        return None


def evaluate_parameters(value: Any, values: Mapping[str, Any]) -> Any:
    """A value written in terms of parameters (`[parameters('effect')]`), resolved against
    `values` (lower-case name -> value); raises EvaluationError."""
    if isinstance(value, str) and arm.is_expression(value):
        try:
            return arm.evaluate(value[1:-1], _ParameterContext(values))
        except arm.ExpressionError as err:
            raise EvaluationError(f"{value}: {err}") from None
    if isinstance(value, str):
        return arm.literal_text(value)
    if isinstance(value, list):
        return [evaluate_parameters(v, values) for v in value]
    if isinstance(value, dict):
        return {k: evaluate_parameters(v, values) for k, v in value.items()}
    return value


# What makes a value depend on the resource (or the clock): never folded into a constant.
_RESOURCE_BOUND = frozenset({"field", "current", "requestcontext", "policy", "utcnow", "resourcegroup", "subscription"})


_BOUND_CALL = re.compile(r"\b(?:" + "|".join(sorted(_RESOURCE_BOUND)) + r")\s*\(", re.IGNORECASE)


class _Dynamic(Exception):
    pass


def _dynamic(ctx: arm.Context, lambdas: dict[str, Any], nodes: list[Any], text: str) -> Any:
    raise _Dynamic


class _ConstantContext(_ParameterContext):
    def function(self, name: str) -> tuple[Callable[..., Any], str] | None:
        if name in _RESOURCE_BOUND or name in REJECTED or name.startswith("list"):
            return _dynamic, "lazy"
        return None


def constant(value: Any, parameters: Mapping[str, Any]) -> tuple[bool, Any]:
    """(True, value) when a rule value needs only the assignment's parameters (a literal,
    `[parameters('x')]`, `[concat(...)]` of those), so it can be worked out once per assignment;
    (False, None) when it reads the resource, the clock, or fails (then it fails per resource,
    as Azure's evaluation would)."""
    if isinstance(value, str):
        if not arm.is_expression(value):
            return True, arm.literal_text(value)
        if _BOUND_CALL.search(value):  # reads the resource or the clock: no need to try
            return False, None
        try:
            got = arm.evaluate(value[1:-1], _ConstantContext(parameters))
        except (_Dynamic, arm.ExpressionError, RecursionError):
            return False, None
        return (True, got) if arm.first_unknown(got) is None else (False, None)
    if isinstance(value, list):
        folded = [constant(v, parameters) for v in value]
        return (True, [v for _, v in folded]) if all(ok for ok, _ in folded) else (False, None)
    if isinstance(value, dict):
        items = {k: constant(v, parameters) for k, v in value.items()}
        return (True, {k: v for k, (_, v) in items.items()}) if all(ok for ok, _ in items.values()) else (False, None)
    return True, value
