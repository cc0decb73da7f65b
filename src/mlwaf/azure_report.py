"""What Azure itself says, put beside mlwaf's verdicts: the report's `azure` section.

A scan whose input holds Azure's own facts (a live scan, its recording, or exports such as `az
policy state list`, `az advisor recommendation list`, `az vm list-usage`) gets:

- Azure's verdicts on the scanned resources (mlwaf.azure_says): policy states, Advisor
  recommendations under the pillar of their category, Defender for Cloud assessments with their
  severity; and, per finding, those about the same resource that speak to the check: Advisor and
  Defender verdicts of the finding's pillar, the policy states of the built-in definitions the
  check cites (the "Azure says" column);
- mlwaf's policy results held against Azure's states (mlwaf.azure_policy.compare), every
  disagreement listed and marked on the result it concerns;
- the quota headroom per subscription, region and VM family (mlwaf.capacity.headroom);
- in a live scan, the sources that were not read in full for a scanned subscription (a 403 on
  Defender, say): their silence is not a clean bill.

A scan without any of Azure's facts gets no section at all (offline template scans: the sample
reports are unchanged).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwaf import armid, azure_says, capacity
from mlwaf.azure_says import AzureSays, AzureVerdict
from mlwaf.inventory import Inventory, type_listing
from mlwaf.model import Finding, Resource
from mlwaf.resource_types import COMPUTE, COMPUTE_USAGES, ML_USAGES, ONLINE_DEPLOYMENT, VM, VMSS

if TYPE_CHECKING:
    from mlwaf.azure_policy import Comparison
    from mlwaf.check import CheckSpec
    from mlwaf.policy.results import PolicyReport

FACT_TYPES = frozenset(t.lower() for t in (*azure_says.TYPES, COMPUTE_USAGES, ML_USAGES))
SOURCES = {azure_says.POLICY: azure_says.POLICY_STATES, azure_says.ADVISOR_SOURCE: azure_says.ADVISOR,
           azure_says.DEFENDER_SOURCE: azure_says.DEFENDER}


@dataclass(frozen=True, slots=True)
class Unread:
    """A source of Azure's verdicts not read in full for a subscription the scan read."""

    source: str
    subscription: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "subscription": self.subscription}


@dataclass(frozen=True)
class AzureReport:
    says: AzureSays
    comparison: Comparison | None = None  # None: no policy results, or no policy state to compare
    headroom: tuple[capacity.Headroom, ...] = ()
    unread: tuple[Unread, ...] = ()

    def beside(self, finding: Finding, spec: CheckSpec | None) -> list[AzureVerdict]:
        """What Azure says that speaks to a finding: Advisor and Defender on its resource under its
        pillar, and the states of the policies its check cites."""
        cited = {g.lower() for g in spec.references.azure_policy} if spec is not None else set()
        out = []
        for v in self.says.about(finding.resource):
            if v.policy is not None:
                if v.policy.definition_id.rsplit("/", 1)[-1] in cited:
                    out.append(v)
            elif v.pillar is finding.pillar:
                out.append(v)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.says.to_dict(),
            "policy_comparison": self.comparison.to_dict() if self.comparison is not None else None,
            "headroom": [h.to_dict() for h in self.headroom],
            "not_read": [u.to_dict() for u in self.unread],
        }


def column(verdicts: Iterable[AzureVerdict]) -> list[dict[str, Any]]:
    """A finding's "Azure says" entries, as the JSON report writes them on the finding."""
    return [{"source": v.source, "state": v.state, "title": v.title, "severity": v.severity, "at": v.at,
             "read_from": v.read_from} for v in verdicts]


def _sized(inventory: Inventory) -> list[tuple[Resource, str, str]]:
    """The scanned resources that run on a VM size, with it and the quota they draw on."""
    from mlwaf.checklib import vm_size

    out = []
    for r in inventory.of_type(VM, VMSS, COMPUTE, ONLINE_DEPLOYMENT):
        verdict, size = vm_size(r)
        if verdict is None and isinstance(size.value, str):
            out.append((r, size.value, capacity.COMPUTE_QUOTA if r.is_type(VM, VMSS) else capacity.ML_QUOTA))
    return out


def _unread(inventory: Inventory) -> tuple[Unread, ...]:
    subscriptions = sorted({s.lower() for r in inventory.resources if (s := armid.subscription_of(r.id))})
    return tuple(Unread(source, sub) for sub in subscriptions for source, rtype in SOURCES.items()
                 if not inventory.is_listed(type_listing(sub, rtype)))


def build(resources: Sequence[Resource], inventory: Inventory, policy: PolicyReport | None, *,
          live: bool) -> tuple[AzureReport | None, PolicyReport | None]:
    """The section (None when the input holds none of Azure's facts and the scan is not live),
    and the policy report with Azure's state on its results."""
    if not live and not any(r.type_key in FACT_TYPES for r in resources):
        return None, policy
    said = azure_says.read(resources, inventory.resources)
    comparison = None
    if policy is not None and (live or any(v.source == azure_says.POLICY for v in said.verdicts)):
        from mlwaf import azure_policy

        comparison = azure_policy.compare(policy, said, inventory)
        policy = azure_policy.annotate(policy, said, comparison)
    headroom = tuple(capacity.headroom(inventory, _sized(inventory)))
    return AzureReport(said, comparison, headroom, _unread(inventory) if live else ()), policy

