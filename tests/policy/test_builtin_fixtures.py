"""Each non-deprecated ARM-mode built-in about Azure Machine Learning has a compliant and a
non-compliant fixture, in REST GET and template shapes, run the way `mlwaf policy test` runs
them (tests/policy/builtins/<guid>-<what>/: assignment.json and tests/<outcome>-*.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwaf.policy import applicability, catalog, testing

SUITES = Path(__file__).parent / "builtins"
CASES, PROBLEMS = testing.run(SUITES)


def ml_builtins() -> list[str]:
    out = []
    for d in catalog.builtin_definitions():
        text = json.dumps(dict(d.rule)).lower()
        if "machinelearningservices" in text and not d.deprecated and applicability.classify(d)[0] == applicability.ARM:
            out.append(d.name)
    return sorted(out)


def test_the_suites_read():
    assert PROBLEMS == []


@pytest.mark.parametrize("case", CASES, ids=[f"{c.suite}/{c.fixture}" for c in CASES])
def test_fixture(case):
    assert case.passed, f"expected {case.expected}, got {case.got}: {case.detail}"


def test_every_ml_builtin_has_a_compliant_and_a_non_compliant_fixture():
    guids = ml_builtins()
    assert len(guids) == 25
    by_suite: dict[str, set[str]] = {}
    for c in CASES:
        by_suite.setdefault(c.suite, set()).add(c.expected.split(" ")[0])
    covered = {}
    for suite in SUITES.iterdir():
        doc = json.loads((suite / "assignment.json").read_text())
        covered[doc["properties"]["policyDefinitionId"].rsplit("/", 1)[-1]] = by_suite.get(suite.name, set())
    for guid in guids:
        assert guid in covered, f"no fixture suite for built-in {guid}"
        assert {"Compliant", "NonCompliant"} <= covered[guid], (guid, covered[guid])
