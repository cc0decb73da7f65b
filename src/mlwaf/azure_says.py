"""What Azure itself says about the scanned resources, beside mlwaf's verdicts: Azure Policy's
compliance states, Advisor recommendations and Defender for Cloud assessments.

They come from a live scan (Resource Graph `policyresources`, `advisorresources`,
`securityresources`), its recording, or offline exports (`az policy state list`, `az advisor
recommendation list`, the REST lists), and are read here into one typed shape, joined to the
resource each is about. A fact about a resource the scan did not read is counted, not dropped.
Their fields sit under `properties` (REST, Resource Graph) or at the top level (`az` output
flattens them): both are read, with ARM's case-insensitive names.

Advisor's categories map to the Well-Architected pillars (HighAvailability is reliability);
Defender assessments are security. Policy states keep their assignment, definition and reference
in an initiative, so mlwaf's own evaluation of the same assignment can be held against them
(mlwaf.azure_policy_live).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlwaf import armid, armjson
from mlwaf.model import Pillar, Resource

POLICY_STATES = "microsoft.policyinsights/policystates"
ADVISOR = "microsoft.advisor/recommendations"
DEFENDER = "microsoft.security/assessments"
TYPES = (POLICY_STATES, ADVISOR, DEFENDER)

POLICY, ADVISOR_SOURCE, DEFENDER_SOURCE = "Azure Policy", "Advisor", "Defender for Cloud"
# Advisor's recommendation categories and the pillar each belongs to (Microsoft Learn, "Azure
# Advisor": reliability was called high availability).
ADVISOR_PILLARS: Mapping[str, Pillar] = {
    "highavailability": Pillar.RELIABILITY,
    "reliability": Pillar.RELIABILITY,
    "security": Pillar.SECURITY,
    "cost": Pillar.COST_OPTIMIZATION,
    "operationalexcellence": Pillar.OPERATIONAL_EXCELLENCE,
    "performance": Pillar.PERFORMANCE_EFFICIENCY,
}
# States that say something is wrong: a finding of Azure's own.
PROBLEMS = frozenset({"noncompliant", "unhealthy", "recommended"})


@dataclass(frozen=True, slots=True)
class PolicyKey:
    """Which assignment and definition a policy state is about (ids normalized)."""

    assignment_id: str
    definition_id: str
    reference_id: str = ""  # the definition's reference in an initiative, lower case

    @classmethod
    def of(cls, assignment_id: str, definition_id: str, reference_id: str | None) -> PolicyKey:
        return cls(armid.normalize(assignment_id), armid.normalize(definition_id), (reference_id or "").lower())

    def to_dict(self) -> dict[str, str]:
        return {"assignment_id": self.assignment_id, "definition_id": self.definition_id,
                "reference_id": self.reference_id}


@dataclass(frozen=True, slots=True)
class AzureVerdict:
    """One thing Azure says about one resource."""

    source: str  # POLICY, ADVISOR_SOURCE, DEFENDER_SOURCE
    resource_id: str  # the resource it is about, as Azure names it
    state: str  # Compliant/NonCompliant/...; Healthy/Unhealthy/NotApplicable; "Recommended" for Advisor
    title: str
    pillar: Pillar | None
    severity: str | None = None  # Defender's severity, Advisor's impact
    at: str | None = None  # when Azure evaluated it (policy timestamp, Advisor lastUpdated)
    policy: PolicyKey | None = None
    read_from: str = ""  # the id of the state, recommendation or assessment read

    @property
    def key(self) -> str:
        return armid.normalize(self.resource_id)

    @property
    def problem(self) -> bool:
        return self.state.lower() in PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "state": self.state, "title": self.title,
                               "pillar": self.pillar.value if self.pillar else None, "severity": self.severity,
                               "at": self.at, "resource_id": self.resource_id, "read_from": self.read_from}
        if self.policy is not None:
            out.update(self.policy.to_dict())
        return out


@dataclass(frozen=True)
class AzureSays:
    """Azure's word on the scanned resources: each verdict joined to a resource of the scan, and
    how many facts were about resources the scan did not read."""

    verdicts: tuple[AzureVerdict, ...] = ()
    outside: int = 0  # facts about resources outside the scan
    _by_resource: Mapping[str, tuple[AzureVerdict, ...]] = field(default_factory=dict, repr=False, compare=False)

    def about(self, resource: Resource, *, pillar: Pillar | None = None,
              policies: Iterable[str] = ()) -> list[AzureVerdict]:
        """What Azure says about a resource; with `pillar`, Advisor and Defender verdicts of that
        pillar only, and with `policies` (built-in definition GUIDs a check cites) only the
        policy states of those definitions."""
        wanted = {p.lower() for p in policies}
        out = []
        for v in self._by_resource.get(resource.key, ()):
            if v.policy is not None:
                if wanted and v.policy.definition_id.rsplit("/", 1)[-1] not in wanted:
                    continue
            elif pillar is not None and v.pillar is not pillar:
                continue
            out.append(v)
        return out

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for v in self.verdicts:
            per = counts.setdefault(v.source, {})
            per[v.state] = per.get(v.state, 0) + 1
        return {"summary": counts, "outside_scan": self.outside, "verdicts": [v.to_dict() for v in self.verdicts]}


def _props(fact: Resource) -> Mapping[str, Any]:
    """REST and Resource Graph nest the fields in properties; `az` output flattens them."""
    props = armjson.key(fact.raw, "properties", None)
    return props if isinstance(props, dict) and props else fact.raw


def _text(obj: Any, *path: str) -> str | None:
    value = armjson.at(obj, *path)
    return value if isinstance(value, str) and value else None


def _about(fact: Resource, *paths: tuple[str, ...]) -> str:
    """The resource a fact is about: a named property, else the scope of the extension id."""
    props = _props(fact)
    for path in paths:
        found = _text(props, *path)
        if found:
            return found
    return armid.scope_of_extension(fact.id) or ""


def policy_state(fact: Resource) -> AzureVerdict:
    props = _props(fact)
    state = _text(props, "complianceState")
    if state is None:
        compliant = armjson.key(props, "isCompliant", None)
        state = "Compliant" if compliant is True else "NonCompliant" if compliant is False else "Unknown"
    definition = _text(props, "policyDefinitionId") or ""
    title = (_text(props, "policyDefinitionName") or definition.rsplit("/", 1)[-1])
    return AzureVerdict(
        POLICY, _about(fact, ("resourceId",)), state, title, None, at=_text(props, "timestamp"),
        policy=PolicyKey.of(_text(props, "policyAssignmentId") or "", definition,
                            _text(props, "policyDefinitionReferenceId")),
        read_from=fact.id,
    )


def advisor(fact: Resource) -> AzureVerdict:
    props = _props(fact)
    category = _text(props, "category") or ""
    title = _text(props, "shortDescription", "problem") or _text(props, "shortDescription", "solution") or fact.name
    return AzureVerdict(
        ADVISOR_SOURCE, _about(fact, ("resourceMetadata", "resourceId")), "Recommended", title,
        ADVISOR_PILLARS.get(category.lower()), severity=_text(props, "impact"), at=_text(props, "lastUpdated"),
        read_from=fact.id,
    )


def defender(fact: Resource) -> AzureVerdict:
    props = _props(fact)
    return AzureVerdict(
        DEFENDER_SOURCE, _about(fact, ("resourceDetails", "Id"), ("resourceDetails", "ResourceId")),
        _text(props, "status", "code") or "Unknown", _text(props, "displayName") or fact.name, Pillar.SECURITY,
        severity=_text(props, "metadata", "severity"), read_from=fact.id,
    )


READERS = {POLICY_STATES: policy_state, ADVISOR: advisor, DEFENDER: defender}


def read(resources: Iterable[Resource], scanned: Sequence[Resource]) -> AzureSays:
    """Azure's verdicts among `resources` (any input), joined to the `scanned` resources."""
    keys = {r.key for r in scanned}
    verdicts: list[AzureVerdict] = []
    outside = 0
    for fact in resources:
        reader = READERS.get(fact.type_key)
        if reader is None:
            continue
        verdict = reader(fact)
        if verdict.key in keys:
            verdicts.append(verdict)
        else:
            outside += 1
    verdicts.sort(key=lambda v: (v.key, v.source, v.title.lower(), v.read_from.lower()))
    by_resource: dict[str, list[AzureVerdict]] = {}
    for v in verdicts:
        by_resource.setdefault(v.key, []).append(v)
    return AzureSays(tuple(verdicts), outside, {k: tuple(v) for k, v in by_resource.items()})
