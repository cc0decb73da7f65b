"""CSV of the Azure Policy results (mlwaf.policy.csv): one row per (assignment, definition,
resource) result, compliant, exempt and unknown ones included (filter on `state`, `would`,
`counted`), so counts in a spreadsheet match the compliance the reports compute.

A table of its own beside mlwaf.csv, not rows in it: a policy result has an assignment, an
effect, a state and what Azure would do, where a finding has a check, a pillar, a severity and a
status; one sheet per kind of record is what a spreadsheet or `pandas.read_csv` expects, and
mlwaf.csv keeps its columns. The cells are what report/policy_results.py says a result shows; with no policy evaluated
(`--no-policy`) the file holds the header only. Cells are formula-safe as in mlwaf.csv.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlwaf.report import Reporter, ReportOptions, Whole
from mlwaf.report import policy_results as shown
from mlwaf.report.csv import MARK_COLUMNS, marks, table
from mlwaf.results import ScanResult

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyResult

COLUMNS = (
    "assignment",
    "assignment_id",
    "policy",
    "definition_name",
    "definition_id",
    "reference_id",
    "initiative_id",
    "category",
    "effect",
    "state",
    "would",
    "counted",
    *MARK_COLUMNS,
    "resource_id",
    "resource_type",
    "resource_name",
    "evaluated_as",
    "path",
    "line",
    "reason",
    "message",
    "expression",
    "evidence",
    "changes",
    "azure_state",
    "azure_disagreement",
    "help_uri",
)


def row(r: PolicyResult) -> dict[str, Any]:
    """One result's cells, by column."""
    loc = r.location
    return {
        "assignment": r.assignment,
        "assignment_id": r.assignment_id,
        "policy": shown.title(r),
        "definition_name": r.definition_name,
        "definition_id": r.definition_id,
        "reference_id": r.reference_id,
        "initiative_id": r.initiative_id,
        "category": r.category,
        "effect": r.effect,
        "state": r.state.value,
        "would": r.would,
        "counted": shown.counted(r),
        **marks(r.suppression, r.suppressed, r.in_baseline),
        "resource_id": r.resource.id,
        "resource_type": r.resource.type,
        "resource_name": r.resource.name,
        "evaluated_as": "request" if r.request else "resource",
        "path": loc.path,
        "line": loc.line,
        "reason": r.reason,
        "message": r.message,
        "expression": r.expression,
        "evidence": "; ".join(shown.evidence(r)),
        "changes": "; ".join(shown.changes(r)),
        "azure_state": r.azure.state if r.azure is not None else None,
        "azure_disagreement": r.azure.disagreement if r.azure is not None else None,
        "help_uri": shown.help_uri(r.definition_id),
    }


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    results = shown.ordered(result.policy.results) if result.policy is not None else []
    return table(COLUMNS, (row(r) for r in results))


REPORTER: Reporter = Whole(render)
