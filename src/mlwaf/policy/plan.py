"""Assignments -> what to evaluate: each assigned definition with its parameter values.

Azure checks an assignment when it is created; so does mlwaf before any resource is seen:
every parameter gets the assignment's value or the default, a required parameter without
either is an error naming it, a value must have the declared type and be one of
`allowedValues`, an initiative's member values are expressions over the initiative's own
parameters, and an effect override must be a value the effect parameter allows. An assignment
that fails any of this is reported as an input error and not evaluated; the others still are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlwaf.policy import applicability, functions
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.errors import EvaluationError, PolicyInputError
from mlwaf.policy.model import Assignment, Definition, Initiative, Parameter
from mlwaf.policy.operators import equal
from mlwaf.policy.parse import get

# Built-in definitions live at the tenant root and are named by GUID (one built-in initiative
# even names a member 17k78e20-...: the shape, not hex digits, tells them apart).
_BUILTIN_ID = re.compile(
    r"^/providers/microsoft\.authorization/policydefinitions/[0-9a-z]{8}-[0-9a-z-]{27}$", re.IGNORECASE
)

EFFECTS = {
    e.lower(): e
    for e in (
        "Audit",
        "Deny",
        "Append",
        "Modify",
        "AuditIfNotExists",
        "DeployIfNotExists",
        "Disabled",
        "Manual",
        "DenyAction",
        "AuditAction",
    )
}


@dataclass(frozen=True, slots=True)
class Target:
    """One definition as an assignment applies it (directly or as an initiative member)."""

    assignment: Assignment
    definition: Definition
    parameters: Mapping[str, Any]  # lower-case parameter name -> value
    effect: str  # canonical casing (Audit, Deny, ...), before per-resource overrides
    initiative: Initiative | None = None
    reference_id: str | None = None
    group_names: tuple[str, ...] = ()
    effect_allowed: tuple[str, ...] | None = None  # allowedValues of the effect parameter


@dataclass(frozen=True, slots=True)
class NotEvaluated:
    definition_id: str
    assignment: str
    reason: str
    reference_id: str | None = None
    display_name: str = ""
    assignment_id: str = ""  # the assignment's identity (its resource id); `assignment` is its name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "definition_id": self.definition_id,
            "assignment": self.assignment,
            "assignment_id": self.assignment_id,
            "reason": self.reason,
        }
        if self.reference_id:
            out["reference_id"] = self.reference_id
        if self.display_name:
            out["display_name"] = self.display_name
        return out


@dataclass
class Plan:
    targets: list[Target] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    errors: list[PolicyInputError] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)


def canonical_effect(value: Any) -> str | None:
    return EFFECTS.get(value.lower()) if isinstance(value, str) else None


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "datetime": (str,),
    "array": (list,),
    "object": (dict,),
    "boolean": (bool,),
    "integer": (int,),
    "float": (int, float),
}


def check_value(param: Parameter, value: Any, owner: str) -> str | None:
    """Why a value is not acceptable for a parameter, or None."""
    types = _PYTHON_TYPES[param.type]
    wrong_bool = isinstance(value, bool) and param.type in ("integer", "float")
    if value is not None and (not isinstance(value, types) or wrong_bool):
        return f"parameter {param.name!r} of {owner} is {param.type}, got {value!r}"
    if param.allowed is not None and value is not None:
        allowed = list(param.allowed)
        items = value if isinstance(value, list) and not any(isinstance(a, list) for a in allowed) else [value]
        for item in items:
            if not any(equal(item, a) for a in allowed):
                return (
                    f"{item!r} is not an allowed value of parameter {param.name!r} of {owner} "
                    f"(allowed: {', '.join(map(str, allowed))})"
                )
    return None


def resolve(
    params: Mapping[str, Parameter], given: Mapping[str, Any], owner: str, source: str, pointer: str
) -> dict[str, Any]:
    """Parameter values: given ones over defaults; raises PolicyInputError."""
    lowered = {k.lower(): (k, v) for k, v in given.items()}
    for key, (name, _) in lowered.items():
        if key not in params:
            raise PolicyInputError(f"{owner} has no parameter {name!r}", source, pointer)
    out: dict[str, Any] = {}
    for key, p in params.items():
        if key in lowered:
            value = lowered[key][1]
        elif not p.required:
            value = p.default
        else:
            raise PolicyInputError(f"required parameter {p.name!r} of {owner} has no value", source, pointer)
        problem = check_value(p, value, owner)
        if problem:
            raise PolicyInputError(problem, source, pointer)
        out[key] = value
    return out


def effect_of(definition: Definition, values: Mapping[str, Any]) -> str:
    written = get(get(definition.rule, "then") or {}, "effect")
    try:
        value = functions.evaluate_parameters(written, values)
    except EvaluationError as err:
        raise PolicyInputError(
            f"the effect of {definition.display_name!r} cannot be resolved: {err}", definition.source
        ) from None
    effect = canonical_effect(value)
    if effect is None:
        raise PolicyInputError(
            f"{value!r} is not an Azure Policy effect ({definition.display_name!r})", definition.source
        )
    return effect


def _effect_allowed(definition: Definition) -> tuple[str, ...] | None:
    written = get(get(definition.rule, "then") or {}, "effect")
    if isinstance(written, str) and written.startswith("[") and "parameters(" in written.lower():
        name = written.split("parameters(", 1)[1].split(")", 1)[0].strip(" '\"")
        p = definition.parameter(name)
        if p is not None and p.allowed is not None:
            return tuple(str(a) for a in p.allowed)
    return None


def _check_overrides(target: Target) -> None:
    for i, o in enumerate(target.assignment.overrides):
        if o.kind != "policyEffect" or not _selects_reference(o.selectors, target.reference_id):
            continue
        effect = canonical_effect(o.value)
        if effect is None:
            raise PolicyInputError(
                f"override value {o.value!r} is not an effect",
                target.assignment.source,
                f"{target.assignment.pointer}/properties/overrides/{i}",
            )
        allowed = target.effect_allowed
        if allowed is not None and effect.lower() not in {a.lower() for a in allowed}:
            raise PolicyInputError(
                f"override {o.value!r} is not an allowed effect of {target.definition.display_name!r} "
                f"(allowed: {', '.join(allowed)})",
                target.assignment.source,
                f"{target.assignment.pointer}/properties/overrides/{i}",
            )


def _selects_reference(selectors: Iterable[Any], reference_id: str | None) -> bool:
    for s in selectors:
        if s.kind.lower() == "policydefinitionreferenceid" and not s.matches(reference_id or ""):
            return False
    return True


def plan(assignments: Iterable[Assignment], catalog: Catalog) -> Plan:
    out = Plan()
    for a in assignments:
        try:
            targets, skipped = _expand(a, catalog)
        except PolicyInputError as err:
            out.errors.append(err)
            continue
        out.assignments.append(a)
        out.targets.extend(targets)
        out.not_evaluated.extend(skipped)
    return out


def _expand(a: Assignment, catalog: Catalog) -> tuple[list[Target], list[NotEvaluated]]:
    is_set = catalog.is_set_reference(a.definition_id)
    found = catalog.initiative(a.definition_id) if is_set else catalog.definition(a.definition_id)
    if found is None:
        raise PolicyInputError(
            f"assignment {a.name!r}: no {'initiative' if is_set else 'definition'} {a.definition_id!r} among the "
            "built-ins or --policy inputs",
            a.source,
            f"{a.pointer}/properties/policyDefinitionId",
        )
    if isinstance(found, Initiative):
        return _expand_initiative(a, found, catalog)
    definition = found
    cls, why = applicability.classify(definition)
    if cls != applicability.ARM:
        return [], [NotEvaluated(definition.id, a.name, why, None, definition.display_name, a.id)]
    values = resolve(
        definition.parameters,
        a.parameters,
        f"definition {definition.display_name!r}",
        a.source,
        f"{a.pointer}/properties/parameters",
    )
    target = Target(a, definition, values, effect_of(definition, values), effect_allowed=_effect_allowed(definition))
    _check_overrides(target)
    return [target], []


def _expand_initiative(
    a: Assignment, initiative: Initiative, catalog: Catalog
) -> tuple[list[Target], list[NotEvaluated]]:
    set_values = resolve(
        initiative.parameters,
        a.parameters,
        f"initiative {initiative.display_name!r}",
        a.source,
        f"{a.pointer}/properties/parameters",
    )
    targets: list[Target] = []
    skipped: list[NotEvaluated] = []
    for i, m in enumerate(initiative.members):
        definition = catalog.definition(m.definition_id)
        if definition is None:
            if initiative.builtin or _BUILTIN_ID.match(m.definition_id):
                skipped.append(
                    NotEvaluated(
                        m.definition_id,
                        a.name,
                        "a built-in definition mlwaf does not ship (its rule targets no ML-estate resource type)",
                        m.reference_id,
                        assignment_id=a.id,
                    )
                )
                continue
            raise PolicyInputError(
                f"initiative {initiative.display_name!r} member {m.reference_id!r}: no definition named "
                f"{m.definition_id.rsplit('/', 1)[-1]!r} among the --policy inputs",
                initiative.source,
                f"{initiative.pointer}/properties/policyDefinitions/{i}",
            )
        cls, why = applicability.classify(definition)
        if cls != applicability.ARM:
            skipped.append(NotEvaluated(definition.id, a.name, why, m.reference_id, definition.display_name, a.id))
            continue
        owner = f"definition {definition.display_name!r} (member {m.reference_id!r} of {initiative.display_name!r})"
        try:
            given = {k: functions.evaluate_parameters(v, set_values) for k, v in m.parameters.items()}
        except EvaluationError as err:
            raise PolicyInputError(
                f"{owner}: {err}",
                initiative.source,
                f"{initiative.pointer}/properties/policyDefinitions/{i}/parameters",
            ) from None
        values = resolve(
            definition.parameters,
            given,
            owner,
            initiative.source,
            f"{initiative.pointer}/properties/policyDefinitions/{i}/parameters",
        )
        target = Target(
            a,
            definition,
            values,
            effect_of(definition, values),
            initiative,
            m.reference_id,
            m.group_names,
            _effect_allowed(definition),
        )
        _check_overrides(target)
        targets.append(target)
    return targets, skipped
