"""What one evaluation of a policy rule on one resource works with: the environment that stays
the same for a definition and a resource (`Env`), where a condition is evaluated (`Scope`), and
what each condition read (`Seen`, the evidence). Conditions (mlwaf.policy.conditions) and the
template functions inside rules (mlwaf.policy.functions) both read these, so they live below
both: the functions never need the conditions module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlwaf.model import Resource, Unresolved
from mlwaf.policy import fields
from mlwaf.policy.aliases import AliasTable

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
    api_version: str | Unresolved  # unresolved: a template resource with no apiVersion
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
