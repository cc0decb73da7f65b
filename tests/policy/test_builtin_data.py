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


@pytest.mark.slow
def test_the_wheel_ships_the_policy_data_and_reads_it_installed(tmp_path, installed_wheel):
    import subprocess
    import sys
    import zipfile

    wheel, target = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    for member in ("builtin.zip", "tag_support.json", "PROVENANCE.md", "LICENSE-azure-policy", "LICENSE-psrule"):
        assert f"mlwaf/policy/data/{member}" in names
    assert wheel.stat().st_size < 12 * 1024 * 1024, f"the wheel grew to {wheel.stat().st_size:,} bytes"
    code = (
        "from mlwaf.policy import catalog, aliases; "
        "d = catalog.builtin_definition('438c38d2-3772-465a-a9cc-7a6666a275ce'); "
        "print(d.display_name); "
        "st = 'Microsoft.Storage/storageAccounts'; "
        "print(aliases.default_table().resolve(st + '/sku.name', st))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert run.stdout.splitlines() == [
        "Azure Machine Learning Workspaces should disable public network access",
        "sku.name",
    ]
