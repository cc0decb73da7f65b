"""A live scan's own word from Azure, end to end through the mock ARM server: the assigned policies
evaluated by mlwaf on the live resources beside Azure's states (a stale one reported as a
disagreement), Advisor and Defender joined to the workspaces, and the same from the recording."""

from __future__ import annotations

import datetime as dt

import pytest

from mlwaf import azure_policy, azure_says
from mlwaf.inventory import Inventory
from mlwaf.model import Pillar
from mlwaf.policy.results import State
from mlwaf.sources import read_paths
from mlwaf.sources.live import LiveOptions, read_live
from tests.live import facts as planted

pytestmark = pytest.mark.corpus
CLOCK = lambda: dt.datetime(2026, 6, 1, tzinfo=dt.UTC)  # noqa: E731
WS = "microsoft.machinelearningservices/workspaces"


def _assess(source):
    inventory = Inventory(source.resources, source.listed)
    report = azure_policy.evaluate(source.resources, inventory, clock=CLOCK)
    said = azure_says.read(source.resources, inventory.resources)
    return report, said, azure_policy.compare(report, said, inventory)


def test_assigned_policies_and_azures_word_live_and_replayed(arm, estate, tmp_path):
    allowed = sorted(s for s in estate.subscriptions if s not in estate.forbidden)
    live = read_live(LiveOptions(subscriptions=allowed, arm_endpoint=arm.url, progress=False,
                                 record=tmp_path / "rec"))
    assert live.errors == []
    report, said, comparison = _assess(live)
    assert report.errors == [] and report.not_evaluated == []
    # One built-in assignment per subscription, the custom one at the management group above them.
    assert sorted(a.name for a in report.assignments) == ["ml-public-access"] * len(allowed) + ["ml-tags"]
    workspaces = [r for r in live.resources if r.type_key == WS]
    public = {w.key for w in workspaces if str(w.properties.get("publicNetworkAccess")).lower() == "enabled"}
    verdicts = {(r.assignment, r.resource.key): r.state for r in report.results}
    assert {k for (a, k), s in verdicts.items() if a == "ml-public-access" and s is State.NONCOMPLIANT} == public
    assert {k for (a, k), s in verdicts.items() if a == "ml-tags"} == {w.key for w in workspaces}

    # Azure's states beside: every workspace's state compared, the stale one a disagreement; the
    # management group's assignment has no state in Azure yet, for every workspace.
    first = allowed[0]
    stale = {w.key for w in workspaces if w.key in public and w.origin.subscription == first}
    assert len(stale) == 1
    kinds = {(d.kind, armid_key(d.resource_id)) for d in comparison.disagreements}
    assert {k for kind, k in kinds if kind == azure_policy.STATES_DIFFER} == stale
    assert {k for kind, k in kinds if kind == azure_policy.AZURE_NO_STATE} == {w.key for w in workspaces}
    assert len(comparison.disagreements) == len(workspaces) + 1
    assert comparison.agree == len(workspaces) - 1

    # Advisor under its pillar, Defender's unhealthy assessment with its severity.
    for w in workspaces:
        seen = said.about(w)
        assert {v.source for v in seen} == {azure_says.POLICY, azure_says.ADVISOR_SOURCE, azure_says.DEFENDER_SOURCE}
        unhealthy = [v for v in seen if v.source == azure_says.DEFENDER_SOURCE and v.problem]
        assert [(v.title, v.severity) for v in unhealthy] == [(planted.ASSESSMENTS[0], "High")]
        advice = next(v for v in seen if v.source == azure_says.ADVISOR_SOURCE)
        assert advice.pillar in (Pillar.SECURITY, Pillar.RELIABILITY)

    # The recording replays offline to the same results, the same comparison, the same word.
    replay = read_paths([tmp_path / "rec"])
    assert replay.errors == []
    again, said_again, comparison_again = _assess(replay)
    def results(rep):  # where each resource was read from differs: the live call, the recorded file
        return sorted((r.identity, r.state, r.would, r.reason, tuple(map(str, r.evidence))) for r in rep.results)

    assert results(again) == results(report)
    assert comparison_again == comparison
    assert said_again.to_dict() == said.to_dict()


def armid_key(resource_id: str) -> str:
    return resource_id.lower().rstrip("/")
