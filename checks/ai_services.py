"""Azure AI services and Azure OpenAI accounts (Microsoft.CognitiveServices/accounts): the model
endpoints hubs and projects connect to. Every account in the scan is in scope: in an AI estate
they are part of the workload."""

from __future__ import annotations

from mlwaf.check import (
    CheckContext,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    value_check,
)
from mlwaf.checklib import (
    COGNITIVE,
    approved_private_endpoint,
    managed_identity,
    network_restricted,
)

AI_SECURITY = "https://learn.microsoft.com/azure/ai-services/security-features"


ai_local_auth = value_check(
    id="MLW-SEC-060",
    title="AI services account disables local (key) authentication",
    severity=Severity.HIGH,
    resource_types=[COGNITIVE],
    implements=["PLAT-12"],
    remediation="Set properties.disableLocalAuth to true and call the account with Entra ID tokens (hub and "
    "project connections with authType 'AAD').",
    references=References(
        docs=["https://learn.microsoft.com/azure/ai-services/disable-local-auth"],
        azure_policy=["71ef260a-8f18-47b7-abcb-62d0673d94dc"],
        psrule=["Azure.AI.DisableLocalAuth"],
    ),
    rationale="API keys are shared, never expire and cannot be tied to a caller; Entra ID tokens can.",
    absent="No primary source is cited for an absent disableLocalAuth on AI services accounts, so absent is "
    "UNKNOWN.",
    read="properties.disableLocalAuth", want=True,
    missing="disableLocalAuth is not in the input and no documented default applies",
    ok="Key authentication is disabled",
    bad="API keys are accepted",
)


@check(
    id="MLW-SEC-061",
    title="AI services account restricts public network access",
    severity=Severity.MEDIUM,
    resource_types=[COGNITIVE],
    implements=["PLAT-11"],
    remediation="Set properties.publicNetworkAccess to 'Disabled', or properties.networkAcls.defaultAction to "
    "'Deny' with explicit rules.",
    references=References(
        docs=["https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks"],
        azure_policy=["037eea7a-bd0a-46c5-9a66-03aea78705d3"],
        psrule=["Azure.AI.PublicAccess"],
        checkov=["CKV_AZURE_134"],
    ),
    rationale="Model endpoints reachable from any network invite abuse of the model and its quota.",
    absent="Passes when publicNetworkAccess is Disabled or the firewall denies by default; no primary source is "
    "cited for either absent on AI services accounts, so otherwise an absent one is UNKNOWN.",
    reads=["properties.publicNetworkAccess", "properties.networkAcls.defaultAction"],
    differs="checkov CKV_AZURE_134 requires publicNetworkAccess 'Disabled'; like PSRule Azure.AI.PublicAccess this "
    "check also passes a firewall with default action 'Deny'.",
)
def ai_network(resource: Resource, ctx: CheckContext) -> Verdict:
    return network_restricted(resource)


@check(
    id="MLW-SEC-062",
    title="AI services account has an approved private endpoint",
    severity=Severity.MEDIUM,
    resource_types=[COGNITIVE],
    implements=["PLAT-11"],
    remediation="Create a private endpoint (group id 'account') for the account and approve it.",
    references=References(
        docs=["https://learn.microsoft.com/azure/ai-services/cognitive-services-virtual-networks"],
        azure_policy=["d6759c02-b87f-42b7-892e-71b3f471d782"],
    ),
    rationale="Private endpoints keep prompts and completions on the private network.",
    absent="Absent privateEndpointConnections (and no private endpoint in the scan) means none.",
    reads=["properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status"],
    differs="Azure Policy d6759c02 reads only the resource's own privateEndpointConnections, which the provider fills "
    "in after a private endpoint is created: a template that declares the endpoint beside the account is an approved "
    "private path here, while the policy audits the account's deployment request (and finds it compliant once the "
    "connection exists).",
)
def ai_private_endpoint(resource: Resource, ctx: CheckContext) -> Verdict:
    return approved_private_endpoint(resource, ctx)


@check(
    id="MLW-SEC-063",
    title="AI services account has a managed identity",
    severity=Severity.LOW,
    resource_types=[COGNITIVE],
    implements=["AML-SEC-05"],
    remediation="Set identity.type to 'SystemAssigned' or 'UserAssigned'.",
    references=References(
        docs=[AI_SECURITY],
        azure_policy=["fe3fd216-4f83-4fc1-8984-2bbec80a3418"],
        psrule=["Azure.AI.ManagedIdentity"],
    ),
    rationale="The account reaches customer-managed keys, storage and search with its identity, not secrets.",
    absent="No primary source is cited for an absent identity on AI services accounts, so absent is UNKNOWN.",
    reads=["identity.type", "kind"],
    differs="PSRule Azure.AI.ManagedIdentity applies only to kind TextAnalytics; this check applies to every account "
    "kind, as Azure Policy fe3fd216 does.",
)
def ai_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    return managed_identity(resource, "No managed identity")
