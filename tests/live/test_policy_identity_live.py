"""The live mock's Azure Policy assignments by identity: each subscription assigns the built-in
under one name (`ml-public-access`), and Azure computes compliance per assignment, i.e. per
resource id (scope + name): each summary entry counts only its own subscription's workspaces."""

from __future__ import annotations

import pytest

from mlwaf import armid, azure_policy
from mlwaf.inventory import Inventory
from mlwaf.sources.live import LiveOptions, read_live

pytestmark = pytest.mark.corpus
WS = "microsoft.machinelearningservices/workspaces"


def test_one_summary_entry_per_assignment_of_the_same_name(arm, estate):
    allowed = sorted(s for s in estate.subscriptions if s not in estate.forbidden)
    live = read_live(LiveOptions(subscriptions=allowed, arm_endpoint=arm.url, progress=False))
    inventory = Inventory(live.resources, live.listed)
    report = azure_policy.evaluate(live.resources, inventory)
    workspaces = [r for r in live.resources if r.type_key == WS]
    per_sub = {s: {w.key for w in workspaces if armid.subscription_of(w.id) == s} for s in allowed}
    assert all(per_sub.values())

    public = [a for a in report.assignments if a.name == "ml-public-access"]
    assert len(public) == len(allowed) >= 2 and len({a.id for a in public}) == len(allowed)
    entries = {e["assignment_id"]: e for e in report.summary()["assignments"]}
    for a in public:
        sub = armid.subscription_of(a.scope)
        mine = [r for r in report.results if r.assignment_id == a.id]
        # An assignment at one subscription never evaluates another's resources.
        assert {r.resource.key for r in mine} == per_sub[sub]
        assert entries[a.id]["resources"]["total"] == len(per_sub[sub])
        assert entries[a.id]["scope"] == a.scope
    # The management group's assignment covers every scanned subscription.
    (tags,) = [a for a in report.assignments if a.name == "ml-tags"]
    assert entries[tags.id]["resources"]["total"] == len(workspaces)
    assert report.labels()[public[0].id] == f"ml-public-access at {public[0].scope}"
    assert report.labels()[tags.id] == "ml-tags"
