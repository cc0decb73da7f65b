"""Defender for Cloud: security assessments of the estate's resources from Resource Graph
(`securityresources`, `microsoft.security/assessments`).

Only assessments of resources in the namespaces the scan collects. A caller without access to
Defender data gets 403: a not-assessed entry, and the rest of the scan is intact.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlwaf.sources.live.collectors import Collected, GraphTable, Session, read_table

ASSESSMENTS = "microsoft.security/assessments"
READS = (ASSESSMENTS,)


def table(types: Sequence[str]) -> GraphTable:
    namespaces = sorted({t.split("/", 1)[0].lower() for t in types})
    hints = ", ".join(f"'/providers/{ns}/'" for ns in namespaces)
    return GraphTable("Defender for Cloud assessments", "securityresources", READS,
                      f"tolower(tostring(properties.resourceDetails.Id)) has_any ({hints})")


def collect(session: Session, subscriptions: Sequence[str]) -> Collected:
    return read_table(session, table(session.options.graph_types), subscriptions)
