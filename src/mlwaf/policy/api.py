"""The two calls a scan makes: which policies to evaluate (from the scan's options), then
evaluate them on the inventory.

    inputs = policy.build_inputs(policy_sets=..., policy_paths=..., resources=source.resources)
    report = policy.run(inputs, inventory)          # PolicyReport; report.to_dict() is the JSON section

What is evaluated:
- `--policy PATH` and `Microsoft.Authorization/policy*` resources in the scanned templates: their
  assignments (and exemptions); where they hold definitions or initiatives but no assignment,
  each initiative, and each definition no loaded initiative contains, is assigned implicitly
  (scope: everything scanned, default parameters);
- `--policy-set NAME|GUID`: a built-in initiative with its default parameters;
- neither: the implicit `mlwaf-default` assignment (policy.defaults).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlwaf.inventory import Inventory
from mlwaf.model import InputError, Resource
from mlwaf.policy import defaults, loaders
from mlwaf.policy.aliases import AliasTable
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.errors import PolicyInputError
from mlwaf.policy.evaluate import Options, evaluate
from mlwaf.policy.model import Assignment, Exemption
from mlwaf.policy.plan import NotEvaluated, plan
from mlwaf.policy.results import PolicyReport


@dataclass
class PolicyInputs:
    assignments: list[Assignment] = field(default_factory=list)
    catalog: Catalog = field(default_factory=Catalog)
    exemptions: list[Exemption] = field(default_factory=list)
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)  # input errors (exit code 2 with the scan's rules)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files read and deliberately not used


def _implicit(loaded: loaders.Loaded) -> list[Assignment]:
    members = {m.definition_id.rsplit("/", 1)[-1].lower() for i in loaded.initiatives for m in i.members}
    out = []
    for obj, collection in [(i, "initiative") for i in loaded.initiatives] + [
        (d, "definition") for d in loaded.definitions if d.name.lower() not in members
    ]:
        out.append(
            Assignment(
                id=f"/providers/Microsoft.Authorization/policyAssignments/{obj.name}",
                name=obj.name,
                definition_id=obj.id,
                display_name=obj.display_name,
                source=f"implicit ({collection} from {obj.source})",
            )
        )
    return out


def build_inputs(
    *,
    policy_sets: Sequence[str] = (),
    policy_paths: Sequence[Path] = (),
    resources: Iterable[Resource] = (),
) -> PolicyInputs:
    """The assignments, definitions and exemptions a scan with these options evaluates."""
    out = PolicyInputs()
    loaded = loaders.load(policy_paths) if policy_paths else loaders.Loaded()
    loaded.extend(loaders.from_resources(resources))
    out.errors.extend(loaded.errors)
    out.skipped.extend(loaded.skipped)
    for d in loaded.definitions:
        out.catalog.add_definition(d)
    for i in loaded.initiatives:
        out.catalog.add_initiative(i)
    out.exemptions.extend(loaded.exemptions)
    user = loaded.assignments or _implicit(loaded)
    if policy_sets or not user:
        try:
            chosen, _, skipped = defaults.assignments(policy_sets, catalog=out.catalog)
        except PolicyInputError as err:
            out.errors.append(err.to_input_error())
            chosen, skipped = [], []
        out.assignments.extend(chosen)
        out.not_evaluated.extend(skipped)
    out.assignments.extend(user)
    return out


def run(
    inputs: PolicyInputs,
    inventory: Inventory,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    aliases: AliasTable | None = None,
) -> PolicyReport:
    """Evaluate the inputs on every resource of the inventory."""
    planned = plan(inputs.assignments, inputs.catalog)
    planned.not_evaluated[:0] = inputs.not_evaluated
    options = Options(exemptions=tuple(inputs.exemptions), aliases=aliases)
    if clock is not None:
        options.clock = clock
    report = evaluate(planned, inventory, options)
    report.errors[:0] = inputs.errors
    return report
