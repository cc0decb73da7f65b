"""CSV: one row per finding, for spreadsheets, pandas and ticket imports.

Every finding is a row, passes and suppressed ones included (filter on `status`, `suppressed`,
`in_baseline`), so counts in a spreadsheet match the scores. Scores and the gate do not fit a
row per finding; they are in the JSON, SARIF, HTML, JUnit and Markdown reports. Azure Policy
results have columns of their own, so they are a table of their own: mlwaf.policy.csv
(report/policy_csv.py), leaving this file's columns as they were.

Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab/carriage
return) get a leading apostrophe: resource names and values come from the scanned files, and
opening a report must never execute what a template author wrote (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from mlwaf.model import SuppressionMark
from mlwaf.report import Reporter, ReportOptions, Whole
from mlwaf.results import ScanResult

# A finding's or a policy result's suppression and baseline marks, in both CSV files.
MARK_COLUMNS = ("suppressed", "suppression_reason", "suppression_source", "suppression_expires", "in_baseline")
COLUMNS = (
    "check_id",
    "title",
    "pillar",
    "severity",
    "status",
    *MARK_COLUMNS,
    "resource_id",
    "resource_type",
    "resource_name",
    "path",
    "line",
    "message",
    "evidence",
    "remediation",
    "help_uri",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> str:
    """A cell's text, neutralized if a spreadsheet would evaluate it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def marks(mark: SuppressionMark | None, suppressed: bool, in_baseline: bool) -> dict[str, Any]:
    """The MARK_COLUMNS cells."""
    return {
        "suppressed": suppressed,
        "suppression_reason": mark.reason if mark else None,
        "suppression_source": mark.source if mark else None,
        "suppression_expires": mark.expires.isoformat() if mark and mark.expires else None,
        "in_baseline": in_baseline,
    }


def rows(result: ScanResult) -> list[dict[str, Any]]:
    specs = {s.id: s for s in result.checks}
    out = []
    for f in result.findings:
        spec, mark = specs.get(f.check_id), f.suppression
        out.append(
            {
                "check_id": f.check_id,
                "title": f.title,
                "pillar": f.pillar.value,
                "severity": f.severity.value,
                "status": f.status.value,
                **marks(mark, f.suppressed, f.in_baseline),
                "resource_id": f.resource.id,
                "resource_type": f.resource.type,
                "resource_name": f.resource.name,
                "path": f.location.path,
                "line": f.location.line,
                "message": f.message,
                "evidence": "; ".join(ev.text() for ev in f.evidence),
                "remediation": spec.remediation if spec else None,
                "help_uri": spec.references.docs[0] if spec and spec.references.docs else None,
            }
        )
    return out


def table(columns: Sequence[str], records: Iterable[dict[str, Any]]) -> str:
    """The CSV text: a header, then one formula-safe row per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in records:
        writer.writerow([safe(row[c]) for c in columns])
    return buffer.getvalue()


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    return table(COLUMNS, rows(result))


REPORTER: Reporter = Whole(render)
