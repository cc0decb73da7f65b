"""Where a check's references point: the address of an Azure Policy built-in, a PSRule for Azure
rule, a Well-Architected pillar and checkov's policy index, written once for every report and
the generated docs."""

from __future__ import annotations

from mlwaf.model import Pillar

# The portal's view of a built-in policy definition, by its GUID name.
_POLICY = (
    "https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/"
    "%2Fproviders%2FMicrosoft.Authorization%2FpolicyDefinitions%2F{}"
)
_PSRULE = "https://azure.github.io/PSRule.Rules.Azure/en/rules/{}/"
CHECKOV_INDEX = "https://www.checkov.io/5.Policy%20Index/all.html"
WAF_PILLAR: dict[Pillar, str] = {
    Pillar.RELIABILITY: "https://learn.microsoft.com/azure/well-architected/reliability/",
    Pillar.SECURITY: "https://learn.microsoft.com/azure/well-architected/security/",
    Pillar.COST_OPTIMIZATION: "https://learn.microsoft.com/azure/well-architected/cost-optimization/",
    Pillar.OPERATIONAL_EXCELLENCE: "https://learn.microsoft.com/azure/well-architected/operational-excellence/",
    Pillar.PERFORMANCE_EFFICIENCY: "https://learn.microsoft.com/azure/well-architected/performance-efficiency/",
}


def policy_definition(guid: str) -> str:
    """The portal page of a built-in policy definition (`references.azure_policy` holds GUIDs)."""
    return _POLICY.format(guid)


def psrule_rule(name: str) -> str:
    """The documentation page of a PSRule for Azure rule (`Azure.AppService.MinTLS`)."""
    return _PSRULE.format(name)
