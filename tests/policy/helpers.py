"""Small builders for policy tests: resources in ARM shape, assignments of built-ins, a run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from mlwaf.inventory import Inventory
from mlwaf.model import Resource
from mlwaf.policy import catalog as catalog_mod
from mlwaf.policy.api import PolicyInputs, run
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.model import Assignment, Definition, Exemption
from mlwaf.policy.results import PolicyReport
from tests.arm import COMPUTE, RG, SUB, WS, resource

__all__ = ["COMPUTE", "RG", "SUB", "WS", "assign", "builtin", "one", "outcome", "resource", "run_policies"]

CLOCK = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def builtin(guid: str) -> Definition:
    found = catalog_mod.builtin_definition(guid)
    assert found is not None, guid
    return found


def assign(target: str, params: Mapping[str, Any] | None = None, name: str | None = None, **kw: Any) -> Assignment:
    """An assignment of a definition (a GUID means a built-in) or of an initiative id."""
    if "/" not in target:
        target = f"/providers/Microsoft.Authorization/policyDefinitions/{target}"
    name = name or f"a-{target.rsplit('/', 1)[-1][:8]}"
    return Assignment(
        id=f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/{name}",
        name=name,
        definition_id=target,
        scope=kw.pop("scope", f"/subscriptions/{SUB}"),
        parameters=dict(params or {}),
        source="test",
        **kw,
    )


def run_policies(
    assignments: Iterable[Assignment],
    resources: Iterable[Resource],
    *,
    catalog: Catalog | None = None,
    exemptions: Iterable[Exemption] = (),
    listed: Iterable[str] = (),
) -> PolicyReport:
    inputs = PolicyInputs(assignments=list(assignments), catalog=catalog or Catalog(), exemptions=list(exemptions))
    return run(inputs, Inventory(list(resources), listed), clock=lambda: CLOCK)


def outcome(report: PolicyReport, resource_name: str | None = None) -> str:
    """The state of the one result (on a resource name), 'N/A' when there is none."""
    hits = [r for r in report.results if resource_name is None or r.resource.name == resource_name]
    assert len(hits) <= 1, [(h.display_name, h.state) for h in hits]
    if report.errors:
        raise AssertionError(report.errors)
    return hits[0].state.value if hits else "N/A"


def one(report: PolicyReport, resource_name: str | None = None):
    hits = [r for r in report.results if resource_name is None or r.resource.name == resource_name]
    assert len(hits) == 1, [(h.display_name, h.state) for h in hits]
    return hits[0]
