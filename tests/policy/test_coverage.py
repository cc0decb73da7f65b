"""docs/policy-coverage.md is what mlwaf.policy.coverage writes, and it accounts for every
shipped definition: evaluated, or listed with the reason."""

from __future__ import annotations

import csv
from collections import Counter

from mlwaf.policy import coverage


def test_the_committed_page_is_current():
    assert coverage.DOC.read_text(encoding="utf-8") == coverage.render(), (
        "docs/policy-coverage.md is stale: run python -m mlwaf.policy.coverage"
    )


def test_every_definition_is_evaluated_or_has_a_reason():
    rows = coverage.classify_all()
    assert len(rows) == 766
    for _, name, display, cls, reason in rows:
        assert cls == coverage.EVALUATED or reason, (name, display)
    text = coverage.DOC.read_text(encoding="utf-8")
    for row in rows:
        assert f"`{row[1]}`" in text


def test_classes_match_the_shared_table(shared):
    table = Counter(r["class"] for r in csv.DictReader((shared / "policy" / "definitions.tsv").open(), delimiter="\t"))
    mine = Counter(r[3] for r in coverage.classify_all())
    assert mine[coverage.EVALUATED] + mine[coverage.UNKNOWN_ALIAS] == table["arm"] == 396
    assert (mine["rp-mode"], mine["runtime-state"]) == (table["rp-mode"], table["runtime-state"]) == (119, 251)
