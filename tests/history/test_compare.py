"""How a finding moved between runs, and what a run could not see."""

from __future__ import annotations

import pytest

from mlwaf.history import compare
from mlwaf.history.compare import Change
from mlwaf.history.coverage import Coverage
from mlwaf.history.runreport import NotAssessed

SUB = "/subscriptions/6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13"
WS = f"{SUB}/resourcegroups/rg/providers/microsoft.machinelearningservices/workspaces/w"


@pytest.mark.parametrize("before, now, expected", [
    ("FAIL", "FAIL", Change.STILL_FAILING),
    ("PASS", "FAIL", Change.REGRESSED),
    ("NOT_APPLICABLE|PASS", "FAIL", Change.REGRESSED),  # counted: it may have passed
    ("NOT_APPLICABLE", "FAIL", Change.NEW),
    ("UNKNOWN", "FAIL", Change.NEW),
    (compare.ABSENT, "FAIL", Change.NEW),
    (compare.NOT_ASSESSED, "FAIL", Change.NEW),
    ("FAIL", "PASS", Change.FIXED),
    ("FAIL", "NOT_APPLICABLE|PASS", Change.FIXED),
    ("FAIL", compare.ABSENT, Change.FIXED),
    ("FAIL", "UNKNOWN", Change.NOT_ASSESSED),
    ("FAIL", "ERROR", Change.NOT_ASSESSED),
    ("FAIL", compare.NOT_ASSESSED, Change.NOT_ASSESSED),
    ("FAIL", compare.NOT_CHECKED, Change.NOT_ASSESSED),
    ("PASS", "UNKNOWN", None),
])
def test_classify(before, now, expected):
    assert compare.classify(before, now) == expected


def test_counted_statuses_read_as_either():
    assert compare.shown(compare.counted(frozenset({"PASS", "NOT_APPLICABLE"}))) == "NOT_APPLICABLE or PASS (counted)"
    assert compare.shown(compare.ABSENT) == "resource absent"


def test_live_scopes_cover_what_lies_below_them_only():
    cov = Coverage([NotAssessed("x", "403", scope=SUB.upper()), NotAssessed("y", "timeout", scope=WS + "/computes")])
    assert cov.missed(f"{SUB}/resourcegroups/rg/providers/microsoft.storage/storageaccounts/s", None)
    assert not cov.missed("/subscriptions/other/resourcegroups/rg", None)
    assert not cov.missed(SUB + "0/resourcegroups/rg", None)  # a longer subscription id is another one
    only_children = Coverage([NotAssessed("y", "timeout", scope=WS + "/computes")])
    assert only_children.missed(WS + "/computes/c1", None) and not only_children.missed(WS, None)


def test_a_failure_above_subscriptions_covers_everything_and_files_cover_their_resources():
    mg = Coverage([NotAssessed("/providers/Microsoft.Management/managementGroups/mg", "403",
                               scope="/providers/Microsoft.Management/managementGroups/mg")])
    assert mg.missed("/subscriptions/any/x", None)
    files = Coverage([NotAssessed("prod/computes.json", "not valid JSON")])
    assert files.missed("/subscriptions/s/x", "prod/computes.json") and not files.missed("/subscriptions/s/x", "a.json")
    assert Coverage([]).complete and not Coverage([]).missed("/subscriptions/s", "a.json")


def test_types_a_live_scan_did_not_collect_were_not_seen():
    cov = Coverage([], types=["Microsoft.MachineLearningServices/workspaces/computes"])
    assert cov.missed(WS + "/computes/c1", None) and not cov.missed(WS, None) and not cov.complete
