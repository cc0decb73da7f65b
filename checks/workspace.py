"""Azure Machine Learning workspaces: network exposure, isolation, encryption, identity."""

from __future__ import annotations

from mlwaf import defaults as D
from mlwaf.check import (
    CheckContext,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    is_set,
    not_applicable,
    passed,
    read,
    unresolved,
    value_at,
    value_check,
)
from mlwaf.checklib import (
    CONNECTION,
    DATASTORE,
    WORKSPACE,
    approved_private_endpoint,
    inherited_from_hub,
    is_project,
    isolation_mode,
    not_on_projects,
    public_access_disabled,
    read_default,
)

WAF_AML = "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"


@check(
    id="MLW-SEC-001",
    title="Workspace disables public network access",
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
    absent="Absent publicNetworkAccess means 'Enabled' (an optional setting without a default: public access is "
    "what disabling it switches off), verified for API 2024-04-01 and later; at an older API version absence is "
    "UNKNOWN.",
    defaults=[D.WORKSPACE_PUBLIC_NETWORK_ACCESS],
    reads=["kind", "properties.hubResourceId", "properties.publicNetworkAccess"],
    differs="PSRule Azure.ML.PublicAccess also requires allowPublicAccessWhenBehindVnet to be false; mlwaf reports "
    "that flag separately (MLW-SEC-003), so a workspace failing only on it fails there, not here. Projects are judged "
    "on their hub.",
)
def workspace_public_network_access(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    verdict, seen = public_access_disabled(resource)
    return verdict or fail(
        f"Public network access is {seen.value!r}: the workspace is reachable from the internet", seen
    )


@check(
    id="MLW-SEC-002",
    title="Workspace has an approved private endpoint",
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
    absent="Reads properties.privateEndpointConnections (embedded in the workspace's GET response) and "
    "private endpoints in the scan that target the workspace. Absent and none in the scan means no "
    "private endpoint.",
    reads=["kind", "properties.hubResourceId",
           "properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status"],
    differs="Azure Policy 45e05259 reads only the resource's own privateEndpointConnections, which the provider fills "
    "in after a private endpoint is created: a template that declares the endpoint beside the workspace is an approved "
    "private path here, while the policy audits the workspace's deployment request (and finds it compliant once the "
    "connection exists).",
)
def workspace_private_endpoint(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    return approved_private_endpoint(
        resource, ctx, subject="this workspace", missing="No approved private endpoint connects to this workspace"
    )


workspace_public_access_behind_vnet = value_check(
    id="MLW-SEC-003",
    title="Workspace does not allow public access when behind a virtual network",
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
    absent="Absent allowPublicAccessWhenBehindVnet means false (API default).",
    read=D.WORKSPACE_PUBLIC_ACCESS_BEHIND_VNET, want=False,
    ok="Public access behind a virtual network is not allowed",
    bad="allowPublicAccessWhenBehindVnet is true: public access is re-opened",
)


@check(
    id="MLW-SEC-004",
    title="Workspace uses a managed virtual network that allows only approved outbound",
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
    absent="Absent managedNetwork (or isolationMode) means 'Disabled': no managed network, where the API version "
    "has the property (2023-10-01 and later). A GET or export read at an older version cannot show a managed "
    "network, so absence there is UNKNOWN.",
    defaults=[D.WORKSPACE_ISOLATION_MODE],
    reads=["kind", "properties.hubResourceId", "properties.managedNetwork.isolationMode"],
)
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
    absent="Absent encryption means Microsoft-managed keys (status Disabled).",
    defaults=[D.WORKSPACE_ENCRYPTION_STATUS],
    reads=["kind", "properties.hubResourceId", "properties.encryption.status",
           "properties.encryption.keyVaultProperties.keyIdentifier"],
)
def workspace_cmk(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    status = read(resource, D.WORKSPACE_ENCRYPTION_STATUS)
    key = read(resource, "properties.encryption.keyVaultProperties.keyIdentifier")
    if v := unresolved(status, key):
        return v
    if status.lower() == "enabled" and key.value:
        return passed("Encrypted with a customer-managed key", status, key)
    return fail("Data is encrypted with Microsoft-managed keys only", status, key)


@check(
    id="MLW-SEC-006",
    title="Workspace has a managed identity",
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
    absent="No source documents what a workspace created without an identity gets, so absent identity is "
    "UNKNOWN.",
    reads=["identity.type", "properties.primaryUserAssignedIdentity"],
)
def workspace_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read_default(resource, "identity.type", {})
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


@check(
    id="MLW-SEC-007",
    title="Workspace uses a user-assigned managed identity",
    severity=Severity.LOW,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-05"],
    remediation="Set identity.type to 'UserAssigned' with the identity in identity.userAssignedIdentities and "
    "properties.primaryUserAssignedIdentity set to its resource id.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication"],
        azure_policy=["5f0c7d88-c7de-45b8-ac49-db49e72eaa78"],
        psrule=["Azure.ML.UserManagedIdentity"],
    ),
    rationale="A user-assigned identity has its own lifecycle: it can be granted least-privilege access to "
    "storage, Key Vault and the registry before the workspace exists, and survives re-creating it.",
    absent="Absent identity is UNKNOWN (no documented default); absent primaryUserAssignedIdentity means none is "
    "primary.",
    reads=["identity.type", "identity.userAssignedIdentities", "properties.primaryUserAssignedIdentity"],
    differs="PSRule requires identity.type to equal exactly 'UserAssigned'; this check also passes "
    "'SystemAssigned,UserAssigned' when a primary user-assigned identity is set, since the workspace then "
    "authenticates with the user-assigned one.",
)
def workspace_user_assigned_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    kind = read_default(resource, "identity.type", {})
    primary = read(resource, "properties.primaryUserAssignedIdentity")
    if v := unresolved(kind, primary):
        return v
    if "userassigned" not in kind.lower().replace(" ", ""):
        return fail(f"identity.type is {kind.value!r}: no user-assigned identity", kind)
    if not primary.value:
        return fail("No properties.primaryUserAssignedIdentity: the workspace does not use its user-assigned identity",
                    kind, primary)
    return passed("Uses a user-assigned identity as primary identity", kind, primary)


@check(
    id="MLW-SEC-008",
    title="Workspace reaches its default storage with its identity, not account keys",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-05"],
    remediation="Set properties.systemDatastoresAuthMode to 'identity' and grant the workspace identity "
    "Storage Blob Data Contributor on the storage account.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage",
              "https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas"],
    ),
    rationale="System datastores that use account keys keep long-lived secrets in the workspace's key vault; "
    "identity-based access removes them and lets shared-key access be turned off.",
    absent="The REST specification gives systemDatastoresAuthMode no default (and the 2024-04-01 schema does not "
    "have it), so absent is UNKNOWN. 'identity' and 'UserDelegationSAS' pass: a user delegation SAS is signed with "
    "a key obtained through Microsoft Entra ID, not with the account key.",
    reads=["kind", "properties.hubResourceId", "properties.systemDatastoresAuthMode"],
)
def workspace_datastore_auth(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    seen = read_default(resource, "properties.systemDatastoresAuthMode", {})
    if v := unresolved(seen):
        return v
    if seen.lower() == "identity":
        return passed("System datastores use the workspace identity", seen)
    if seen.lower() == "userdelegationsas":
        return passed("System datastores use user delegation SAS, signed with Microsoft Entra credentials rather "
                      "than an account key", seen)
    return fail(f"System datastores authenticate with {seen.value!r}", seen)


_BROAD_FQDN = ("*", "*.*", "*.com", "*.net", "*.org", "*.io")


@check(
    id="MLW-SEC-009",
    title="Managed network outbound rules are narrow",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-03", "AML-SEC-12"],
    remediation="Replace wildcard FQDN outbound rules ('*', '*.com') with the specific hosts the jobs need "
    "(e.g. 'pypi.org', '*.pythonhosted.org'); prefer private endpoint and service tag rules.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-managed-network"]),
    rationale="One wildcard FQDN rule silently undoes 'allow only approved outbound': compute can reach any "
    "host on the internet again, and with it any package or exfiltration target.",
    absent="Absent outboundRules means only the rules Azure ML adds itself (none user-defined).",
    defaults=[D.WORKSPACE_ISOLATION_MODE],
    reads=["kind", "properties.hubResourceId", "properties.managedNetwork.isolationMode",
           "properties.managedNetwork.outboundRules.*.type", "properties.managedNetwork.outboundRules.*.destination"],
)
def workspace_outbound_rules(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    mode = isolation_mode(resource)
    rules = read(resource, "properties.managedNetwork.outboundRules", default={})
    if v := unresolved(mode, rules):
        return v
    if mode.lower() != "allowonlyapprovedoutbound":
        return not_applicable(
            f"Outbound rules only restrict traffic in AllowOnlyApprovedOutbound mode ({mode.value})", mode
        )
    broad = []
    for name, rule in (rules.value.items() if isinstance(rules.value, dict) else []):
        if str(value_at(rule, "type") or "").lower() != "fqdn":
            continue
        dest = value_at(rule, "destination")
        if isinstance(dest, str) and dest.strip().lower() in _BROAD_FQDN:
            broad.append(f"{name} ({dest})")
    if broad:
        return fail(f"Wildcard FQDN outbound rule(s) open the internet: {', '.join(broad)}", mode, rules)
    count = len(rules.value) if isinstance(rules.value, dict) else 0
    return passed(f"{count} outbound rule(s), none a wildcard FQDN", mode, rules)


@check(
    id="MLW-SEC-014",
    title="Serverless compute gets no public IP",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-08"],
    remediation="Enable the workspace managed network, or set "
    "properties.serverlessComputeSettings.serverlessComputeNoPublicIP to true with a custom subnet.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-use-serverless-compute"]),
    rationale="Serverless job nodes outside a managed network receive public IPs unless told otherwise.",
    absent="Absent serverlessComputeSettings means serverless nodes get public IPs unless the workspace has a "
    "managed network (which always places them in it without public IPs). Both settings depend on the API version: "
    "the managed network exists from 2023-10-01, serverlessComputeNoPublicIP is verified from 2024-04-01; read at "
    "an older version, their absence is UNKNOWN.",
    defaults=[D.WORKSPACE_ISOLATION_MODE, D.WORKSPACE_SERVERLESS_NO_PUBLIC_IP],
    reads=["kind", "properties.hubResourceId", "properties.managedNetwork.isolationMode",
           "properties.serverlessComputeSettings.serverlessComputeNoPublicIP"],
)
def workspace_serverless_no_public_ip(resource: Resource, ctx: CheckContext) -> Verdict:
    if inherited := inherited_from_hub(resource):
        return inherited
    mode = isolation_mode(resource)
    flag = read(resource, D.WORKSPACE_SERVERLESS_NO_PUBLIC_IP)
    if v := unresolved(mode):
        return v
    if mode.lower() != "disabled":
        return passed(f"Serverless compute runs in the managed network ({mode.value})", mode)
    if v := unresolved(flag):
        return v
    if flag.value is True:
        return passed("serverlessComputeNoPublicIP is true", flag)
    return fail("Serverless compute nodes get public IPs (no managed network, serverlessComputeNoPublicIP false)",
                mode, flag)


workspace_app_insights = value_check(
    id="MLW-OPS-002",
    title="Workspace has Application Insights",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["AML-OPS-06", "AML-PERF-04"],
    remediation="Set properties.applicationInsights to the resource id of a (workspace-based) Application "
    "Insights component.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-enable-app-insights"]),
    rationale="Online endpoints, deployments and jobs send their telemetry to the workspace's Application "
    "Insights; without one it has nowhere to go.",
    absent="Absent applicationInsights means none. Projects use their hub's, so they are not assessed.",
    read="properties.applicationInsights", want=is_set,
    when=not_on_projects("A project uses its hub's Application Insights"),
    ok="Application Insights is linked",
    bad="No Application Insights is linked",
)


@check(
    id="MLW-OPS-004",
    title="Workspace links its storage, key vault, container registry and Application Insights",
    severity=Severity.LOW,
    resource_types=[WORKSPACE],
    implements=["DSP-01"],
    remediation="Create the workspace with properties.storageAccount, keyVault, containerRegistry and "
    "applicationInsights set to resources you manage (a registry is otherwise created on first image build, "
    "outside your templates).",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/concept-workspace#associated-resources"]),
    rationale="Jobs, images, secrets and telemetry each need one of the four; declaring them keeps their "
    "configuration (network, redundancy, keys) under your control and in your templates.",
    absent="An absent property means the dependency is not linked. Projects inherit all four from their hub.",
    reads=["kind", "properties.storageAccount", "properties.keyVault", "properties.containerRegistry",
           "properties.applicationInsights"],
)
def workspace_dependencies(resource: Resource, ctx: CheckContext) -> Verdict:
    if is_project(resource):
        return not_applicable("A project inherits its dependencies from its hub", read(resource, "kind"))
    seen = [read(resource, f"properties.{p}") for p in ("storageAccount", "keyVault", "containerRegistry",
                                                        "applicationInsights")]
    if v := unresolved(*seen):
        return v
    missing = [s.evidence.path.rsplit(".", 1)[-1] for s in seen if not s.value]
    if missing:
        return fail(f"Not linked: {', '.join(missing)}", *seen)
    return passed("Storage, key vault, container registry and Application Insights are linked", *seen)


_IDENTITY_AUTH = {
    "aad", "managedidentity", "projectmanagedidentity", "accountmanagedidentity", "userentratoken", "none",
}


connection_auth = value_check(
    id="MLW-SEC-015",
    title="Workspace connections authenticate with Microsoft Entra ID, not keys",
    severity=Severity.MEDIUM,
    resource_types=[CONNECTION],
    implements=["AML-SEC-05"],
    remediation="Recreate the connection with properties.authType 'AAD' (or a managed identity type) and grant "
    "the workspace or project identity a role on the target.",
    references=References(docs=["https://learn.microsoft.com/azure/ai-foundry/how-to/connections-add"]),
    rationale="Key, SAS, PAT and password connections store long-lived secrets in the workspace; Entra ID "
    "connections have none to leak or rotate.",
    absent="authType is required by the API; absent means the input omitted it (UNKNOWN).",
    read="properties.authType", want=_IDENTITY_AUTH, missing="properties.authType is not in the input",
    ok="Authenticates with {value}",
    bad="Authenticates with a stored secret ({value})",
)


datastore_credentials = value_check(
    id="MLW-SEC-016",
    title="Datastores use identity-based access, not stored credentials",
    severity=Severity.MEDIUM,
    resource_types=[DATASTORE],
    implements=["AML-SEC-05"],
    remediation="Set properties.credentials.credentialsType to 'None' (identity-based data access) and grant "
    "the users' or compute's identity data roles on the storage.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-datastore"]),
    rationale="Account keys, SAS tokens and service principal secrets kept in a datastore give every "
    "workspace user the same standing access to the data.",
    absent="credentials is required by the API; absent means the input omitted it (UNKNOWN).",
    read="properties.credentials.credentialsType", want=("None",),
    missing="properties.credentials.credentialsType is not in the input",
    ok="Identity-based data access (no stored credentials)",
    bad="Stores {value} credentials",
)
