"""Azure Machine Learning workspaces: network exposure, isolation, encryption, identity."""

from __future__ import annotations

from mlwaf.check import (
    CheckContext,
    Pillar,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    passed,
    read,
    unresolved,
)
from mlwaf.checklib import (
    WORKSPACE,
    approved_connections,
    inherited_from_hub,
    isolation_mode,
    reads,
)

WAF_AML = "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"


@check(
    id="MLW-SEC-001",
    title="Workspace disables public network access",
    pillar=Pillar.SECURITY,
    severity=Severity.HIGH,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-01"],
    remediation="Set properties.publicNetworkAccess to 'Disabled' and reach the workspace through a "
    "private endpoint (az ml workspace update --public-network-access Disabled).",
    references=References(
        docs=[WAF_AML, "https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link"],
        azure_policy=["438c38d2-3772-465a-a9cc-7a6666a275ce"],
        psrule=["Azure.ML.PublicAccess"],
        checkov=["CKV_AZURE_144"],
    ),
    rationale="A workspace reachable from the internet widens the attack surface for data, models "
    "and the studio; private access only.",
    defaults="Absent publicNetworkAccess means 'Enabled' (the API default in every version that has "
    "the property).",
)
@reads("kind", "properties.hubResourceId", "properties.publicNetworkAccess")
def workspace_public_network_access(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    seen = read(resource, "properties.publicNetworkAccess", default="Enabled")
    if v := unresolved(seen):
        return v
    if seen.lower() == "disabled":
        return passed("Public network access is disabled", seen)
    return fail(f"Public network access is {seen.value!r}: the workspace is reachable from the internet", seen)


@check(
    id="MLW-SEC-002",
    title="Workspace has an approved private endpoint",
    pillar=Pillar.SECURITY,
    severity=Severity.HIGH,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-01"],
    remediation="Create a private endpoint (group id 'amlworkspace') for the workspace in the workload "
    "virtual network and approve the connection.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link"],
        azure_policy=["45e05259-1eb5-4f70-9574-baf73e9d219b"],
    ),
    rationale="Only an approved private endpoint gives clients a private path; pending or rejected "
    "connections do not count.",
    defaults="Reads properties.privateEndpointConnections (embedded in the workspace's GET response) and "
    "private endpoints in the scan that target the workspace. Absent and none in the scan means no "
    "private endpoint.",
)
@reads(
    "kind",
    "properties.hubResourceId",
    "properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status",
)
def workspace_private_endpoint(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    seen = read(resource, "properties.privateEndpointConnections", default=[])
    if v := unresolved(seen):
        return v
    approved = approved_connections(seen.value)
    if approved:
        return passed(f"{len(approved)} approved private endpoint connection(s)", seen)
    endpoints = ctx.inventory.attached(resource, "Microsoft.Network/privateEndpoints")
    if endpoints:
        names = ", ".join(e.name for e in endpoints)
        return passed(f"Private endpoint(s) in the scan target this workspace: {names}", seen)
    return fail("No approved private endpoint connects to this workspace", seen)


@check(
    id="MLW-SEC-003",
    title="Workspace does not allow public access when behind a virtual network",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-01"],
    remediation="Set properties.allowPublicAccessWhenBehindVnet to false (or remove it).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-configure-private-link"],
        psrule=["Azure.ML.PublicAccess"],
    ),
    rationale="This legacy flag re-opens public access to a workspace that is otherwise bound to a "
    "virtual network.",
    defaults="Absent allowPublicAccessWhenBehindVnet means false (API default).",
)
@reads("properties.allowPublicAccessWhenBehindVnet")
def workspace_public_access_behind_vnet(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read(resource, "properties.allowPublicAccessWhenBehindVnet", default=False)
    if v := unresolved(seen):
        return v
    if seen.value is True or seen.lower() == "true":
        return fail("allowPublicAccessWhenBehindVnet is true: public access is re-opened", seen)
    return passed("Public access behind a virtual network is not allowed", seen)


@check(
    id="MLW-SEC-004",
    title="Workspace uses a managed virtual network that allows only approved outbound",
    pillar=Pillar.SECURITY,
    severity=Severity.HIGH,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-02", "AML-SEC-03", "AML-SEC-14"],
    remediation="Set properties.managedNetwork.isolationMode to 'AllowOnlyApprovedOutbound' and add "
    "the outbound rules (private endpoint, service tag, FQDN) the workloads need.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-managed-network"],
        azure_policy=["6ddb1705-c8cf-450e-aa4b-19ad6703c440"],
    ),
    rationale="A managed network that allows only approved outbound traffic blocks data "
    "exfiltration from managed compute, serverless jobs and managed endpoints.",
    defaults="Absent managedNetwork (or isolationMode) means 'Disabled': no managed network.",
)
@reads("kind", "properties.hubResourceId", "properties.managedNetwork.isolationMode")
def workspace_managed_network(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    seen = isolation_mode(resource)
    if v := unresolved(seen):
        return v
    mode = seen.lower()
    if mode == "allowonlyapprovedoutbound":
        return passed("Managed network allows only approved outbound traffic", seen)
    if mode == "allowinternetoutbound":
        return fail("Managed network allows all internet outbound traffic (exfiltration is possible)", seen)
    return fail(f"No managed network isolation (isolationMode {seen.value!r})", seen)


@check(
    id="MLW-SEC-005",
    title="Workspace encrypts data with a customer-managed key",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-13"],
    remediation="Set properties.encryption.status to 'Enabled' with keyVaultProperties.keyIdentifier "
    "and keyVaultArmId of a key in a Key Vault with purge protection (set at creation only).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/concept-customer-managed-keys"],
        azure_policy=["ba769a63-b8cc-4b2d-abf6-ac33c7204be8"],
    ),
    rationale="Where regulation requires it, data at rest must be encrypted with keys the "
    "organization controls and can revoke.",
    defaults="Absent encryption means Microsoft-managed keys (status Disabled).",
)
@reads(
    "kind",
    "properties.hubResourceId",
    "properties.encryption.status",
    "properties.encryption.keyVaultProperties.keyIdentifier",
)
def workspace_cmk(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    status = read(resource, "properties.encryption.status", default="Disabled")
    key = read(resource, "properties.encryption.keyVaultProperties.keyIdentifier")
    if v := unresolved(status, key):
        return v
    if status.lower() == "enabled" and key.value:
        return passed("Encrypted with a customer-managed key", status, key)
    return fail("Data is encrypted with Microsoft-managed keys only", status, key)


@check(
    id="MLW-SEC-006",
    title="Workspace has a managed identity",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-05"],
    remediation="Set identity.type to 'SystemAssigned' or 'UserAssigned' (with "
    "properties.primaryUserAssignedIdentity) so the workspace reaches storage, Key Vault and the "
    "registry without stored credentials.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication"],
    ),
    rationale="Managed identities authenticate the workspace to its dependencies without secrets "
    "that can leak or expire.",
    defaults="Absent identity means no managed identity (type None).",
)
@reads("identity.type", "properties.primaryUserAssignedIdentity")
def workspace_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read(resource, "identity.type", default="None")
    if v := unresolved(seen):
        return v
    kind = seen.lower().replace(" ", "")
    if kind in ("", "none"):
        return fail("The workspace has no managed identity", seen)
    if "userassigned" in kind:
        primary = read(resource, "properties.primaryUserAssignedIdentity")
        if v := unresolved(primary):
            return v
        if not primary.value and "systemassigned" not in kind:
            return fail("User-assigned identity without properties.primaryUserAssignedIdentity", seen, primary)
        return passed(f"Managed identity: {seen.value}", seen, primary)
    return passed(f"Managed identity: {seen.value}", seen)
