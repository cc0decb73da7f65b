"""Evaluate planned assignments on an inventory: one result per applicable (assignment,
definition, resource), in Azure's order of decisions.

1. Out of the assignment's scope, under a `notScope`, or not selected by its resource
   selectors: not evaluated at all (Azure shows nothing).
2. The effect, after `overrides`: Disabled means no evaluation at all.
3. Applicability: the mode (Indexed: types that support tags), then for auditIfNotExists and
   deployIfNotExists the whole `if`, for the other effects only its type/name/kind conditions.
   An alias the table lacks makes the definition not applicable, reported in not_evaluated.
4. An exemption of the assignment (or of this member) covering the resource: Exempt.
5. The `if` (and for the existence effects, the related resources): Compliant, NonCompliant,
   Unknown or Error, and what Azure would do (`would`), with `enforcementMode` applied.

A template resource is judged as the request Azure would check at deployment (absent means
absent, and requestContext().apiVersion is the template's apiVersion); exports, REST responses
and live resources as stored resources (compliance scans use the latest API version).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mlwaf import armid
from mlwaf.inventory import Inventory
from mlwaf.model import Resource, Unresolved
from mlwaf.policy import applicability, conditions, effects, index
from mlwaf.policy.aliases import AliasTable, UnknownAlias, default_table
from mlwaf.policy.errors import EvaluationError
from mlwaf.policy.model import Exemption, in_scope
from mlwaf.policy.parse import get
from mlwaf.policy.plan import NotEvaluated, Plan, Target, canonical_effect
from mlwaf.policy.results import PolicyReport, PolicyResult, State
from mlwaf.policy.scope import Env, Scope

# Compliance evaluation of an existing resource uses the latest API version of its type; the
# alias data does not say which that is, so it stands as a version after every dated one.
LATEST_API_VERSION = "9999-12-31"
EXISTENCE = ("AuditIfNotExists", "DeployIfNotExists")
REQUEST_KINDS = ("arm-template",)
_WOULD = {
    "Audit": "audit",
    "Deny": "deny",
    "Append": "append",
    "Modify": "modify",
    "AuditIfNotExists": "auditIfNotExists",
    "DeployIfNotExists": "deployIfNotExists",
    "DenyAction": "denyAction",
    "AuditAction": "auditAction",
}


@dataclass
class Options:
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    aliases: AliasTable | None = None
    exemptions: tuple[Exemption, ...] = ()


class _Rule:
    """A target's conditions compiled (conditions.compile) once for all its resources, each on
    first use: most targets of a large assignment meet no resource that gets that far (out of
    scope, another mode), and a definition with a Deny effect needs its whole `if` only for the
    resources it applies to."""

    __slots__ = ("_applies", "_exists", "_exists_compiled", "_if", "_matches", "_t", "policy")

    def __init__(self, t: Target) -> None:
        self._t = t
        self._if = get(t.definition.rule, "if")
        self._matches: conditions.Node | None = None
        self._applies: conditions.Node | None = None
        self._exists: conditions.Node | None = None
        self._exists_compiled = False
        self.policy = _policy_info(t)  # what policy() returns

    @property
    def matches(self) -> conditions.Node:
        """The `if`."""
        if self._matches is None:
            self._matches = conditions.compile(self._if, self._t.parameters)
        return self._matches

    @property
    def applies(self) -> conditions.Node:
        """The `if` with only type/name/kind counted (non-existence effects)."""
        if self._applies is None:
            counted = conditions.counted_fields(self._if)
            self._applies = conditions.compile_applicable(self._if, self._t.parameters, counted)
        return self._applies

    @property
    def exists(self) -> conditions.Node | None:
        """details.existenceCondition."""
        if not self._exists_compiled:
            details = get(get(self._t.definition.rule, "then") or {}, "details")
            condition = get(details, "existenceCondition") if isinstance(details, dict) else None
            self._exists = conditions.compile(condition, self._t.parameters) if condition is not None else None
            self._exists_compiled = True
        return self._exists


@dataclass
class _Acc:
    report: PolicyReport
    seen_not_evaluated: set[tuple[str, str, str | None, str]] = field(default_factory=set)
    # (id of the assignment, id of the resource) -> selected: the scope, notScopes and selectors
    # are the assignment's, asked again for each of its definitions (396 for every built-in)
    selected: dict[tuple[int, int], bool] = field(default_factory=dict)

    def is_selected(self, t: Target, resource: Resource) -> bool:
        key = (id(t.assignment), id(resource))  # both outlive the evaluation
        hit = self.selected.get(key)
        if hit is None:
            hit = self.selected[key] = _selected(t, resource)
        return hit

    def not_evaluated(self, t: Target, reason: str) -> None:
        key = (t.assignment.id, t.definition.id, t.reference_id, reason)
        if key not in self.seen_not_evaluated:
            self.seen_not_evaluated.add(key)
            self.report.not_evaluated.append(
                NotEvaluated(t.definition.id, t.assignment.name, reason, t.reference_id, t.definition.display_name,
                             t.assignment.id)
            )


def evaluate(plan: Plan, inventory: Inventory, options: Options | None = None) -> PolicyReport:
    options = options or Options()
    aliases = options.aliases or default_table()
    report = PolicyReport(assignments=list(plan.assignments), not_evaluated=list(plan.not_evaluated))
    report.errors.extend(e.to_input_error() for e in plan.errors)
    acc = _Acc(report)
    by_type: dict[str, list[Resource]] = {}
    for r in inventory:
        by_type.setdefault(r.type_key, []).append(r)
    for t in plan.targets:
        rule_if = get(t.definition.rule, "if")
        unknown = sorted(a for a in index.aliases_in(t.definition.rule) if not aliases.knows(a))
        if unknown:
            acc.not_evaluated(t, f"not applicable to any resource: {UnknownAlias(unknown[0])}")
            continue
        types = index.candidate_types(rule_if)
        candidates: Iterable[Resource] = (
            inventory.resources if types is None else [r for ty in sorted(types) for r in by_type.get(ty, ())]
        )
        rule = _Rule(t)
        for resource in candidates:
            result = _one(t, rule, resource, inventory, aliases, options, acc)
            if result is None:
                report.not_applicable[t.assignment.id] += 1
            elif result is not _SKIP:
                report.results.append(result)
    return report


_SKIP: Any = object()  # outside the assignment entirely (scope, notScopes, selectors, Disabled)


def is_request(resource: Resource) -> bool:
    return resource.origin.kind in REQUEST_KINDS


def _selected(t: Target, resource: Resource) -> bool:
    a = t.assignment
    if not _in_assignment_scope(resource, a.scope):
        return False
    if any(in_scope(resource.id, s) for s in a.not_scopes):
        return False
    if a.resource_selectors and not any(_meets(rs.selectors, resource) for rs in a.resource_selectors):
        return False
    return applicability.evaluated_type(resource.type)


def _in_assignment_scope(resource: Resource, scope: str) -> bool:
    # A template's resources carry placeholder ids: the deployment's scope is not known offline,
    # so they are taken to be deployed where the assignment applies.
    if armid.subscription_of(resource.id) == armid.PLACEHOLDER_SUBSCRIPTION:
        return True
    return in_scope(resource.id, scope)


def _meets(selectors: Iterable[Any], resource: Resource) -> bool:
    for s in selectors:
        kind = s.kind.lower()
        if kind == "resourcelocation":
            loc = resource.location
            if loc is None or not s.matches(loc.replace(" ", "")):
                return False
        elif kind == "resourcetype":
            if not s.matches(resource.type):
                return False
        elif kind == "resourcewithoutlocation":
            if not s.matches("true" if resource.location in (None, "", "global") else "false"):
                return False
        elif kind == "policydefinitionreferenceid":
            continue
    return True


def effect_for(t: Target, resource: Resource) -> str:
    """The effect after the assignment's overrides. Azure evaluates them "in the order in which
    they're specified"; the first one whose selectors all match the member and the resource
    applies (decision in docs/policy.md)."""
    for o in t.assignment.overrides:
        if o.kind != "policyEffect":
            continue
        if all(
            s.matches(t.reference_id or "")
            if s.kind.lower() == "policydefinitionreferenceid"
            else _meets([s], resource)
            for s in o.selectors
        ):
            return canonical_effect(o.value) or t.effect
    return t.effect


def _exempt(t: Target, resource: Resource, exemptions: Iterable[Exemption], now: dt.datetime) -> Exemption | None:
    for e in exemptions:
        if (
            armid.normalize(e.assignment_id) != armid.normalize(t.assignment.id)
            and e.assignment_id.lower() != t.assignment.name.lower()
        ):
            continue
        if e.reference_ids and (t.reference_id or "").lower() not in {r.lower() for r in e.reference_ids}:
            continue
        if e.expires_on and _expired(e.expires_on, now):
            continue
        if not in_scope(resource.id, e.scope):
            continue
        if e.resource_selectors and not any(_meets(rs.selectors, resource) for rs in e.resource_selectors):
            continue
        return e
    return None


def _expired(text: str, now: dt.datetime) -> bool:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment <= now


def _policy_info(t: Target) -> dict[str, str]:
    return {
        "assignmentId": t.assignment.id,
        "definitionId": t.definition.id,
        "setDefinitionId": t.initiative.id if t.initiative else "",
        "definitionReferenceId": t.reference_id or "",
    }


def _env(t: Target, rule: _Rule, resource: Resource, aliases: AliasTable, options: Options) -> Env:
    request = is_request(resource)
    api = resource.origin.api_version if request else LATEST_API_VERSION
    return Env(
        aliases=aliases,
        parameters=t.parameters,
        api_version=api or Unresolved("[requestContext().apiVersion]", "the template resource has no apiVersion"),
        policy=rule.policy,
        clock=options.clock,
    )


def _one(
    t: Target, rule: _Rule, resource: Resource, inventory: Inventory, aliases: AliasTable, options: Options, acc: _Acc
) -> PolicyResult | None:
    if not acc.is_selected(t, resource):
        return _SKIP
    effect = effect_for(t, resource)
    if effect == "Disabled":
        return _SKIP
    mode = applicability.mode_applies(t.definition, resource.type)
    if isinstance(mode, str):
        acc.not_evaluated(t, mode)
        return _SKIP
    if not mode:
        return None
    env = _env(t, rule, resource, aliases, options)
    scope = Scope.of(env, resource)
    make = _Maker(t, resource, effect, env)
    try:
        if effect in EXISTENCE:
            matched = rule.matches(scope)
            if matched is False:
                return None
        else:
            env.record = False
            applies = rule.applies(scope)
            env.record = True
            if applies is False:
                return None
            if isinstance(applies, Unresolved):
                return make(
                    State.UNKNOWN,
                    None,
                    f"whether the policy applies depends on {applies.expression}",
                    applies.expression,
                )
            matched = None
        exemption = _exempt(t, resource, options.exemptions, options.clock()) if options.exemptions else None
        if exemption is not None:
            return make(State.EXEMPT, None, f"exempt by {exemption.name!r} ({exemption.category})")
        if effect in EXISTENCE:
            return _existence(make, t, rule, resource, effect, inventory, scope)
        if effect == "Manual":
            return make(State.UNKNOWN, None, "manual effect: compliance is attested by people, not computed")
        matched = rule.matches(scope)
        if isinstance(matched, Unresolved):
            return make(State.UNKNOWN, None, f"the outcome depends on {matched.expression}", matched.expression)
        if not matched:
            return make(State.COMPLIANT, None, "the policy rule's conditions do not match")
        return _matched(make, t, resource, effect, scope)
    except UnknownAlias as err:
        acc.not_evaluated(t, f"not applicable to {resource.type}: {err}")
        return _SKIP
    except EvaluationError as err:
        would = _would(effect, t)
        return make(
            State.ERROR,
            would,
            f"the evaluation failed: {err}; Azure treats a failed evaluation as non-compliant"
            + (" and denies the request" if would == "deny" else ""),
        )


class _Maker:
    def __init__(self, t: Target, resource: Resource, effect: str, env: Env) -> None:
        self.t, self.resource, self.effect, self.env = t, resource, effect, env

    def __call__(
        self, state: State, would: str | None, reason: str, expression: str | None = None, changes: tuple[Any, ...] = ()
    ) -> PolicyResult:
        t = self.t
        message = None
        if state in (State.NONCOMPLIANT, State.ERROR):
            for m in t.assignment.non_compliance_messages:
                if (m.reference_id is None and message is None) or (
                    m.reference_id and t.reference_id and m.reference_id.lower() == t.reference_id.lower()
                ):
                    message = m.message
        return PolicyResult(
            assignment=t.assignment.name,
            assignment_id=t.assignment.id,
            definition_id=t.definition.id,
            definition_name=t.definition.name,
            display_name=t.definition.display_name,
            category=t.definition.category,
            effect=self.effect,
            state=state,
            would=would,
            resource=self.resource,
            reason=reason,
            evidence=tuple(self.env.seen),
            changes=changes,
            reference_id=t.reference_id,
            initiative_id=t.initiative.id if t.initiative else None,
            request=is_request(self.resource),
            message=message,
            expression=expression,
        )


def _would(effect: str, t: Target) -> str | None:
    would = _WOULD.get(effect)
    if would in ("deny", "modify", "append", "deployIfNotExists") and not t.assignment.enforced:
        return "audit"  # enforcementMode DoNotEnforce: reported, never enforced
    return would


def _matched(make: _Maker, t: Target, resource: Resource, effect: str, scope: Scope) -> PolicyResult:
    would = _would(effect, t)
    request = is_request(resource)
    details = get(get(t.definition.rule, "then") or {}, "details")
    if effect in ("DenyAction", "AuditAction"):
        # They act on operations (delete), not on the resource's state: the resource is
        # protected (denyAction) or its operations logged (auditAction), never non-compliant.
        actions = ", ".join(get(details, "actionNames") or ["delete"]) if isinstance(details, dict) else "delete"
        verb = "would be denied" if effect == "DenyAction" else "would be audited"
        return make(State.COMPLIANT, would, f"protected: {actions} of this resource {verb}")
    if effect == "Modify":
        changes = tuple(effects.modify_changes(resource, details if isinstance(details, dict) else {}, scope))
        applied = [c for c in changes if c.applied]
        summary = (
            "; ".join(f"{c.operation} {c.path or c.field} = {c.after!r}" for c in applied) or "no operation applies"
        )
        verb = "would be modified at deployment" if request else "would be modified by remediation"
        return make(State.NONCOMPLIANT, would, f"{verb}: {summary}", changes=changes)
    if effect == "Append":
        changes = tuple(effects.append_changes(resource, details, scope))
        summary = "; ".join(f"append {c.path or c.field} = {c.after!r}" for c in changes)
        return make(State.NONCOMPLIANT, would, f"would be appended: {summary}", changes=changes)
    if effect == "Deny":
        if would == "deny":
            reason = (
                "the deployment of this resource would be denied"
                if request
                else ("non-compliant; an update of this resource as it is would be denied")
            )
        else:
            reason = "non-compliant (Deny not enforced: enforcementMode DoNotEnforce)"
        return make(State.NONCOMPLIANT, would, reason)
    return make(State.NONCOMPLIANT, would, "the policy rule's conditions match")


def _existence(
    make: _Maker, t: Target, rule: _Rule, resource: Resource, effect: str, inventory: Inventory, scope: Scope
) -> PolicyResult:
    details = get(get(t.definition.rule, "then") or {}, "details")
    if not isinstance(details, dict):
        raise EvaluationError(f"{effect} needs details")
    found = effects.related(resource, details, inventory, scope)
    if isinstance(found, Unresolved):
        return make(State.UNKNOWN, None, f"the related resource's name depends on {found.expression}", found.expression)
    pending: Unresolved | None = None
    for candidate in found.candidates:
        if rule.exists is None:
            return make(State.COMPLIANT, None, f"a related resource exists: {candidate.id}")
        ok = rule.exists(Scope.of(scope.env, candidate, resource))
        if ok is True:
            return make(State.COMPLIANT, None, f"{candidate.id} meets the existence condition")
        if isinstance(ok, Unresolved):
            pending = pending or ok
    if pending is not None:
        return make(
            State.UNKNOWN,
            None,
            f"whether a related resource meets the existence condition depends on {pending.expression}",
            pending.expression,
        )
    would = _would(effect, t)
    which = (
        "none of the related resources meets the existence condition"
        if found.candidates
        else "no related resource exists"
    )
    if not found.complete:
        return make(
            State.UNKNOWN,
            None,
            f"{which} in the input, but the list of {found.where} was not read in full (a template, an export or a "
            "failed call says nothing about what else exists)",
            f"list of {found.where}",
        )
    return make(State.NONCOMPLIANT, would, f"{which} ({found.where})")
