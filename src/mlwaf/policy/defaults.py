"""The assignments a scan evaluates when the user names none, and `--policy-set NAME|GUID`.

With no option: one implicit assignment of the built-in definitions of the Machine Learning,
Azure AI Services and Cognitive Services categories (deprecated ones left out, as the portal
does), each with its default parameters, named `mlwaf-default` in the report. A definition of
those categories with a required parameter cannot be assigned with defaults; it is listed as
not evaluated, with the parameter, rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mlwaf.policy import applicability
from mlwaf.policy import catalog as catalog_mod
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.model import Assignment, Initiative, Member
from mlwaf.policy.plan import NotEvaluated

DEFAULT_CATEGORIES = ("Machine Learning", "Azure Ai Services", "Cognitive Services")
DEFAULT_NAME = "mlwaf-default"
DEFAULT_ID = f"/providers/Microsoft.Authorization/policyAssignments/{DEFAULT_NAME}"
DEFAULT_SET_ID = f"/providers/Microsoft.Authorization/policySetDefinitions/{DEFAULT_NAME}"


def default_initiative(categories: Sequence[str] = DEFAULT_CATEGORIES) -> tuple[Initiative, list[NotEvaluated]]:
    members = []
    skipped = []
    for d in catalog_mod.builtin_definitions(categories):
        if d.deprecated:
            continue
        required = [p.name for p in d.parameters.values() if p.required]
        if required:
            cls, reason = applicability.classify(d)
            if cls == applicability.ARM:
                reason = f"needs a value for {', '.join(required)}: assign it with --policy to evaluate it"
            skipped.append(NotEvaluated(d.id, DEFAULT_NAME, reason, d.name, d.display_name, DEFAULT_ID))
            continue
        members.append(Member(definition_id=d.id, reference_id=d.name))
    initiative = Initiative(
        id=DEFAULT_SET_ID,
        name=DEFAULT_NAME,
        display_name="mlwaf default: built-in " + ", ".join(categories) + " policies",
        members=tuple(members),
        policy_type="Custom",
        source="implicit",
    )
    return initiative, skipped


def assignments(
    policy_sets: Iterable[str] = (), *, catalog: Catalog | None = None
) -> tuple[list[Assignment], Catalog, list[NotEvaluated]]:
    """(assignments, catalog holding what they reference, not-evaluated entries) for a scan's
    options: the implicit default assignment when `policy_sets` is empty, otherwise one
    assignment per built-in initiative named (display name or GUID; PolicyInputError when
    none matches). Parameters take their defaults."""
    catalog = catalog or Catalog()
    names = list(policy_sets)
    if not names:
        initiative, skipped = default_initiative()
        catalog.add_initiative(initiative)
        a = Assignment(
            id=DEFAULT_ID,
            name=DEFAULT_NAME,
            definition_id=DEFAULT_SET_ID,
            display_name=initiative.display_name,
            source="implicit",
        )
        return [a], catalog, skipped
    out = []
    for name in names:
        initiative = catalog_mod.find_builtin_initiative(name)
        out.append(
            Assignment(
                id=f"/providers/Microsoft.Authorization/policyAssignments/policy-set-{initiative.name}",
                name=f"policy-set-{initiative.name}",
                definition_id=initiative.id,
                display_name=initiative.display_name,
                source="--policy-set",
            )
        )
    return out, catalog, []
