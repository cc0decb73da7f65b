"""Checks and the Azure Policy built-ins they name agree on the check fixtures and the corpus,
or the difference is documented on the check (`@differs` naming the policy)."""

from __future__ import annotations

import pytest

from mlwaf.policy import agreement


@pytest.fixture(scope="module")
def pairs(corpus):
    return agreement.compare(corpus)


def test_no_undocumented_difference(pairs):
    undocumented = {f"{p.check_id} vs {p.guid[:8]}": p.differences for p in pairs if p.undocumented}
    assert not undocumented, f"checks and policies disagree without an @differs naming the policy: {undocumented}"


def test_something_is_compared(pairs):
    compared = [p for p in pairs if p.compared]
    assert len(compared) >= 10 and sum(p.agree for p in compared) >= 150


def test_the_table_in_docs_policy_is_current(pairs):
    text = agreement.DOC.read_text(encoding="utf-8")
    table = text[text.index(agreement.START) : text.index(agreement.END) + len(agreement.END)]
    assert table == agreement.render(pairs), "docs/policy.md is stale: run python -m mlwaf.policy.agreement"


def test_fixtures_alone_have_no_undocumented_difference():
    # Without ../shared/corpus (a bare clone) the check fixtures still hold the rule.
    assert not [p for p in agreement.compare(None) if p.undocumented]
