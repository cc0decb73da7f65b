"""Run every collector of what Azure already knows, after the inventory: access, Advisor, Defender,
Azure Policy (then the aliases its custom definitions need), quotas and capacity.

The Resource Graph tables are read side by side on the scan's bounded pool; each collector's
failures stay its own (a 403 on Defender leaves access, policy and capacity intact).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mlwaf.model import Resource
from mlwaf.sources.live import access, advisor, aliases, capacity, defender, policy_state
from mlwaf.sources.live.collectors import Collected, Session

# Each collector's name, the resource types it yields (the checks that read them need it).
COLLECTORS: dict[str, tuple[str, ...]] = {
    "access": access.READS,
    "advisor": advisor.READS,
    "defender": defender.READS,
    "policy": policy_state.READS,
    "capacity": capacity.READS,
    "aliases": aliases.READS,
}


def collect(session: Session, subscriptions: Sequence[str], inventory: Sequence[Resource],
            cache: aliases.AliasCache | None = None) -> Collected:
    """Everything the collectors read for these subscriptions, in a fixed order."""
    out = Collected()
    if not subscriptions:
        return out
    session.progress.phase("access, Advisor, Defender, policy, quotas", 5)
    jobs: list[Callable[[], Collected]] = [
        lambda: access.collect(session, subscriptions),
        lambda: advisor.collect(session, subscriptions),
        lambda: defender.collect(session, subscriptions),
        lambda: policy_state.collect(session, subscriptions),
        lambda: capacity.collect(session, subscriptions, inventory),
    ]
    parts = session.parallel(lambda job: job(), jobs)
    for part in parts:
        out.add(part)
    wanted = aliases.namespaces(parts[3].resources)
    if wanted:
        out.add((cache or aliases.AliasCache()).collect(session, wanted))
    return out
