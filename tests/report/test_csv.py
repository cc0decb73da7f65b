"""CSV report: one row per finding, round-trips through pandas, neutralizes spreadsheet formulas."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from mlwaf.report import csv as csv_report
from tests.gate_estate import HOSTILE_NAMES, report_inputs, scan


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return scan(*report_inputs(tmp_path_factory.mktemp("csv")))


def test_round_trips_through_pandas(result):
    text = csv_report.render(result)
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(df.columns) == list(csv_report.COLUMNS)
    assert len(df) == len(result.findings)  # one row per finding, passes and suppressed included
    expected = [{c: csv_report.safe(v) for c, v in row.items()} for row in csv_report.rows(result)]
    assert df.to_dict(orient="records") == expected
    # Typed reading works too: booleans and line numbers come back as such.
    typed = pd.read_csv(io.StringIO(text))
    assert typed["suppressed"].dtype == bool and typed["in_baseline"].dtype == bool
    assert typed["suppressed"].sum() == sum(f.suppressed for f in result.findings) == 1
    assert typed["line"].dropna().astype(int).tolist() == [f.location.line for f in result.findings if f.location.line]
    assert sorted(typed["status"].unique()) == ["FAIL", "PASS", "UNKNOWN"]


def test_columns_carry_what_a_ticket_needs(result):
    df = pd.read_csv(io.StringIO(csv_report.render(result)), dtype=str, keep_default_na=False)
    row = df[(df["check_id"] == "TST-SEC-001") & (df["resource_name"] == "mlw-dev")].iloc[0]
    assert row["status"] == "FAIL" and row["severity"] == "high" and row["pillar"] == "security"
    assert row["path"] == "dev/workspaces.json" and int(row["line"]) > 0
    assert row["evidence"] == 'properties.publicNetworkAccess = "Enabled"'
    assert row["remediation"] == "Set properties.publicNetworkAccess to Disabled."
    unknown = df[(df["check_id"] == "TST-SEC-001") & (df["resource_name"] == "mlw-tmpl")].iloc[0]
    assert unknown["evidence"] == "properties.publicNetworkAccess = [parameters('pna')] (unresolved)"
    suppressed = df[df["suppressed"] == "true"].iloc[0]
    assert suppressed["suppression_reason"] == "reviewed in RISK-9 | <b>accepted</b>"


def test_spreadsheet_formulas_are_neutralized(result):
    df = pd.read_csv(io.StringIO(csv_report.render(result)), dtype=str, keep_default_na=False)
    names = set(df["resource_name"])
    assert "'" + HOSTILE_NAMES["formula"] in names
    assert HOSTILE_NAMES["formula"] not in names
    assert not any(str(v).startswith(("=", "+", "-", "@")) for col in df.columns for v in df[col])
    assert csv_report.safe("-1") == "'-1" and csv_report.safe(-1) == "-1" and csv_report.safe(None) == ""
