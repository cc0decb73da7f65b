"""The built-in policy data shipped in the package: complete, current, read lazily."""

from __future__ import annotations

import csv

import pytest

from mlwaf.policy import applicability, catalog, refresh, store


def test_shipped_zip_is_what_refresh_builds_from_shared(shared):
    assert refresh.ZIP.read_bytes() == refresh.build(shared / "policy"), (
        "src/mlwaf/policy/data/builtin.zip is stale: run python -m mlwaf.policy.refresh ../shared/policy"
    )


def test_every_definition_parses_and_is_classed_as_the_shared_table_says(shared):
    rows = list(csv.DictReader((shared / "policy" / "definitions.tsv").open(), delimiter="\t"))
    assert len(rows) == len(store.index()["definitions"]) == 766
    for row in rows:
        d = catalog.builtin_definition(row["name"])
        assert d is not None, row["name"]
        assert applicability.classify(d)[0] == row["class"], row["name"]
        assert d.deprecated == (row["deprecated"] == "deprecated")


def test_every_initiative_parses():
    assert len(catalog.builtin_initiatives()) == 147


def test_reading_one_definition_parses_one_member(monkeypatch):
    read = []
    real = store.read
    monkeypatch.setattr(store, "read", lambda member: read.append(member) or real(member))
    catalog.builtin_definition.cache_clear()
    try:
        catalog.builtin_definition("438c38d2-3772-465a-a9cc-7a6666a275ce")
    finally:
        catalog.builtin_definition.cache_clear()
    assert read == ["definitions/Machine Learning/Workspace_PublicNetworkAccessDisabled_Audit.json"]


@pytest.mark.parametrize(
    ("rtype", "tags"),
    [
        ("Microsoft.MachineLearningServices/workspaces", True),
        ("Microsoft.MachineLearningServices/workspaces/computes", False),
        ("Microsoft.MachineLearningServices/workspaces/onlineEndpoints", True),
        ("Microsoft.MachineLearningServices/workspaces/serverlessEndpoints", True),
        ("Microsoft.Insights/diagnosticSettings", False),
        ("Microsoft.Storage/storageAccounts/blobServices", False),
        ("Microsoft.Contoso/widgets", None),
    ],
)
def test_tag_support_table(rtype, tags):
    assert applicability.supports_tags(rtype) is tags
    assert applicability.table_source()["commit"]
