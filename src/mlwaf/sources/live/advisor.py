"""Advisor: recommendations for the estate's resources from Resource Graph (`advisorresources`).

Only recommendations about the types the scan collects (`properties.impactedField`), so a
subscription's thousands of unrelated recommendations are not read. Reports show them beside
mlwaf's verdicts under the pillar of their category (mlwaf.azure_says).
"""

from __future__ import annotations

from collections.abc import Sequence

from mlwaf.sources.live.collectors import Collected, GraphTable, Session, read_table

RECOMMENDATIONS = "microsoft.advisor/recommendations"
READS = (RECOMMENDATIONS,)


def table(types: Sequence[str]) -> GraphTable:
    kinds = ", ".join(f"'{t.lower()}'" for t in types)
    return GraphTable("Advisor recommendations", "advisorresources", READS,
                      f"tolower(tostring(properties.impactedField)) in ({kinds})")


def collect(session: Session, subscriptions: Sequence[str]) -> Collected:
    return read_table(session, table(session.options.graph_types), subscriptions)
