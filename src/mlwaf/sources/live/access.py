"""Access: role assignments and role definitions from Resource Graph (`authorizationresources`).

Role assignments at every scope of the scanned subscriptions (subscription, resource groups,
resources), and the role definitions they name, custom and built-in, so a check sees role names
and permissions, not GUIDs (mlwaf.access resolves them, with the built-in table as fallback).
Reader can read both. Resource Graph gives no principal names: guests are known only from
`az role assignment list` output (principalName), said so by the checks.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlwaf.access import ROLE_ASSIGNMENTS, ROLE_DEFINITIONS
from mlwaf.sources.live.collectors import Collected, GraphTable, Session, read_table

TABLE = GraphTable("role assignments", "authorizationresources", (ROLE_ASSIGNMENTS, ROLE_DEFINITIONS))
READS = TABLE.types


def collect(session: Session, subscriptions: Sequence[str]) -> Collected:
    return read_table(session, TABLE, subscriptions)
