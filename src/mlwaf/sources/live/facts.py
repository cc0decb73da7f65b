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

Job = Callable[[Session, Sequence[str], Sequence[Resource]], Collected]

# Each collector run side by side: its name, the resource types it yields (the checks that read
# them need it), and how it is called (the subscriptions read in full, the inventory read first).
# A new collector is one line here.
PARALLEL: tuple[tuple[str, tuple[str, ...], Job], ...] = (
    ("access", access.READS, lambda session, subs, _inventory: access.collect(session, subs)),
    ("advisor", advisor.READS, lambda session, subs, _inventory: advisor.collect(session, subs)),
    ("defender", defender.READS, lambda session, subs, _inventory: defender.collect(session, subs)),
    ("policy", policy_state.READS, lambda session, subs, _inventory: policy_state.collect(session, subs)),
    ("capacity", capacity.READS, capacity.collect),
)
# Every collector and the types it yields; the aliases run last, for the namespaces of the
# custom policy definitions the policy collector found.
COLLECTORS: dict[str, tuple[str, ...]] = {
    **{name: reads for name, reads, _job in PARALLEL},
    "aliases": aliases.READS,
}


def collect(session: Session, subscriptions: Sequence[str], inventory: Sequence[Resource],
            cache: aliases.AliasCache | None = None) -> Collected:
    """Everything the collectors read for these subscriptions, in a fixed order."""
    out = Collected()
    if not subscriptions:
        return out
    session.progress.phase("access, Advisor, Defender, policy, quotas", len(PARALLEL))
    parts = session.parallel(lambda entry: entry[2](session, subscriptions, inventory), list(PARALLEL))
    for part in parts:
        out.add(part)
    names = [name for name, _reads, _job in PARALLEL]
    wanted = aliases.namespaces(parts[names.index("policy")].resources)
    if wanted:
        out.add((cache or aliases.AliasCache()).collect(session, wanted))
    return out
