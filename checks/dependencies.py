"""The workspace's dependencies as the guidance names them: storage account, key vault, container
registry and Application Insights. Each check runs on the dependency itself (so its finding points
at the property to change) but only for those a workspace in the scan links; others are not
applicable, since the pack judges an ML estate, not every account in a subscription."""

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
    passed,
    read,
    unknown,
    unresolved,
    value_check,
)
from mlwaf.checklib import (
    ACR_REPLICATION,
    APP_INSIGHTS,
    CONTAINER_REGISTRY,
    DEPENDENCY_ONLY,
    KEY_VAULT,
    STORAGE,
    acr_zone_redundant_region,
    network_restricted,
    not_a_dependency,
    public_access_disabled,
)

SECURE_WS = "https://learn.microsoft.com/azure/machine-learning/how-to-secure-workspace-vnet"
WAF_AML = "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"


@check(
    id="MLW-SEC-040",
    title="Workspace storage account blocks public network access",
    severity=Severity.MEDIUM,
    resource_types=[STORAGE],
    implements=["AML-SEC-04"],
    remediation="Set properties.publicNetworkAccess to 'Disabled' (or networkAcls.defaultAction 'Deny') and give "
    "the workspace private endpoints for blob and file.",
    references=References(docs=[SECURE_WS], psrule=["Azure.Storage.Firewall"], checkov=["CKV_AZURE_35"]),
    rationale="A private workspace whose default storage is public still exposes its training data and models.",
    absent="Absent publicNetworkAccess means 'Enabled' (optional, no default: not disabled); absent "
    "networkAcls.defaultAction means 'Allow' (REST default).",
    defaults=[D.STORAGE_PUBLIC_NETWORK_ACCESS, D.STORAGE_NETWORK_DEFAULT_ACTION],
    reads=["properties.publicNetworkAccess", "properties.networkAcls.defaultAction"],
    differs="PSRule Azure.Storage.Firewall and checkov CKV_AZURE_35 look only at networkAcls.defaultAction; this check "
    "also passes an account with publicNetworkAccess 'Disabled', which blocks public traffic whatever the firewall "
    "says.",
)
def storage_network(resource: Resource, ctx: CheckContext) -> Verdict:
    return not_a_dependency(resource, ctx) or network_restricted(resource)


storage_shared_key = value_check(
    id="MLW-SEC-041",
    title="Workspace storage account disables shared key access",
    severity=Severity.MEDIUM,
    resource_types=[STORAGE],
    implements=["AML-SEC-05"],
    remediation="Set properties.allowSharedKeyAccess to false after switching the workspace to identity-based "
    "datastore access (systemDatastoresAuthMode 'identity').",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-disable-local-auth-storage"]),
    rationale="Account keys bypass Entra ID: whoever holds one reads and writes every container.",
    absent="Absent allowSharedKeyAccess means true (API default: null is treated as allowed).",
    read=D.STORAGE_SHARED_KEY_ACCESS, want=False, when=DEPENDENCY_ONLY,
    ok="Shared key access is disabled",
    bad="Shared key (account key and SAS) access is allowed",
)


storage_anonymous = value_check(
    id="MLW-SEC-042",
    title="Workspace storage account disallows anonymous blob access",
    severity=Severity.HIGH,
    resource_types=[STORAGE],
    implements=["AML-SEC-04", "PLAT-16"],
    remediation="Set properties.allowBlobPublicAccess to false.",
    references=References(
        docs=["https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent"],
        psrule=["Azure.Storage.BlobPublicAccess"],
        checkov=["CKV_AZURE_190"],
    ),
    rationale="Anonymous access lets one misconfigured container publish training data to the internet.",
    absent="A template without allowBlobPublicAccess creates the account with its API version's default: false "
    "from 2023-01-01, true before. A stored account (GET, export, Resource Graph) without it never set it, and null "
    "permits anonymous access: that holds for accounts created before 2023-01-01 (properties.creationTime); a later "
    "or unknown creation time, or an unknown API version for a template, is UNKNOWN.",
    differs="PSRule Azure.Storage.BlobPublicAccess fails when the property is absent; this check applies the API "
    "version's creation default to templates (false since 2023-01-01), as Azure does.",
    read=D.STORAGE_BLOB_PUBLIC_ACCESS, want=False, when=DEPENDENCY_ONLY,
    reads=["properties.creationTime", "kind"],
    ok="Anonymous blob access is disallowed",
    bad="Anonymous blob access is allowed",
)


storage_tls = value_check(
    id="MLW-SEC-043",
    title="Workspace storage account requires TLS 1.2",
    severity=Severity.MEDIUM,
    resource_types=[STORAGE],
    implements=["AML-SEC-13"],
    remediation="Set properties.minimumTlsVersion to 'TLS1_2'.",
    references=References(
        docs=["https://learn.microsoft.com/azure/storage/common/transport-layer-security-configure-minimum-version"],
        psrule=["Azure.Storage.MinTLS"],
        checkov=["CKV_AZURE_44"],
    ),
    rationale="TLS 1.0 and 1.1 have known weaknesses; data in transit must use TLS 1.2 or later.",
    absent="Absent minimumTlsVersion means 'TLS1_0' (the REST API's documented interpretation).",
    read=D.STORAGE_MINIMUM_TLS, want=("TLS1_2", "TLS1_3"), when=DEPENDENCY_ONLY,
    ok="Minimum TLS version {value}",
    bad="Accepts {value}",
)


storage_https = value_check(
    id="MLW-SEC-044",
    title="Workspace storage account accepts only HTTPS",
    severity=Severity.MEDIUM,
    resource_types=[STORAGE],
    implements=["AML-SEC-13"],
    remediation="Set properties.supportsHttpsTrafficOnly to true.",
    references=References(
        docs=["https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer"],
        psrule=["Azure.Storage.SecureTransfer"],
        checkov=["CKV_AZURE_3"],
    ),
    rationale="Plain HTTP exposes data and SAS tokens in transit.",
    absent="Absent supportsHttpsTrafficOnly means true from API 2019-04-01, false before; unknown API "
    "version gives UNKNOWN.",
    differs="PSRule Azure.Storage.SecureTransfer fails when the property is absent; this check applies the API "
    "version's default (true since 2019-04-01), as checkov does.",
    read=D.STORAGE_HTTPS_ONLY, want=True, when=DEPENDENCY_ONLY,
    ok="Only HTTPS is accepted",
    bad="HTTP is accepted",
)


storage_redundancy = value_check(
    id="MLW-REL-010",
    title="Workspace storage account is zone- or geo-redundant",
    severity=Severity.MEDIUM,
    resource_types=[STORAGE],
    implements=["AML-REL-07"],
    remediation="Use sku.name Standard_ZRS, Standard_GZRS or Standard_RAGZRS (or GRS/RAGRS) for the workspace's "
    "default storage.",
    references=References(docs=[WAF_AML], checkov=["CKV_AZURE_206"]),
    rationale="Workspace artifacts, datasets and job outputs live in the default storage; there is no automatic "
    "failover, so the account itself must survive a zone or region loss.",
    absent="sku.name is required; absent is UNKNOWN.",
    differs="checkov CKV_AZURE_206 accepts only geo-redundant SKUs (GRS, RAGRS, GZRS, RAGZRS); this check also accepts "
    "Standard_ZRS/Premium_ZRS, which the Well-Architected reliability guidance counts as redundant.",
    read="sku.name", want=lambda sku: not str(sku).lower().endswith("_lrs"), when=DEPENDENCY_ONLY,
    missing="sku.name is not in the input",
    ok="Redundant storage ({value})",
    bad="Locally redundant storage ({value})",
)


@check(
    id="MLW-SEC-045",
    title="Workspace key vault blocks public network access",
    severity=Severity.MEDIUM,
    resource_types=[KEY_VAULT],
    implements=["AML-SEC-04"],
    remediation="Set properties.publicNetworkAccess to 'Disabled' (or networkAcls.defaultAction 'Deny') and add a "
    "private endpoint for the vault.",
    references=References(docs=[SECURE_WS], checkov=["CKV_AZURE_189", "CKV_AZURE_109"]),
    rationale="The workspace key vault holds connection secrets and keys; it should not be reachable from any "
    "network.",
    absent="Absent publicNetworkAccess means 'enabled' (REST default); absent networkAcls means default action "
    "'Allow' (no network rules).",
    defaults=[D.KEY_VAULT_PUBLIC_NETWORK_ACCESS, D.KEY_VAULT_NETWORK_DEFAULT_ACTION],
    reads=["properties.publicNetworkAccess", "properties.networkAcls.defaultAction"],
    differs="checkov CKV_AZURE_189 requires publicNetworkAccess 'Disabled' and CKV_AZURE_109 requires "
    "networkAcls.defaultAction 'Deny'; this check passes either, since each alone blocks public traffic.",
)
def key_vault_network(resource: Resource, ctx: CheckContext) -> Verdict:
    return not_a_dependency(resource, ctx) or network_restricted(resource)


@check(
    id="MLW-REL-011",
    title="Workspace key vault has soft delete and purge protection",
    severity=Severity.MEDIUM,
    resource_types=[KEY_VAULT],
    implements=["AML-REL-07"],
    remediation="Set properties.enablePurgeProtection to true (soft delete is on by default and cannot be turned "
    "off on current API versions).",
    references=References(
        docs=["https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview"],
        psrule=["Azure.KeyVault.SoftDelete", "Azure.KeyVault.PurgeProtect"],
        checkov=["CKV_AZURE_42", "CKV_AZURE_110"],
    ),
    rationale="Losing the vault (or a customer-managed key in it) makes the workspace unrecoverable; purge "
    "protection keeps deleted vaults and keys restorable.",
    absent="A template without enableSoftDelete creates the vault with soft delete on (REST default); a stored "
    "vault without it is UNKNOWN (what an old vault that never set it has is not documented). Absent "
    "enablePurgeProtection means not enabled (an opt-in without a default).",
    defaults=[D.KEY_VAULT_SOFT_DELETE, D.KEY_VAULT_PURGE_PROTECTION],
    reads=["properties.enableSoftDelete", "properties.enablePurgeProtection"],
    differs="PSRule Azure.KeyVault.SoftDelete fails when enableSoftDelete is absent; this check applies the API "
    "creation default (true) to templates.",
)
def key_vault_recovery(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_a_dependency(resource, ctx):
        return v
    soft = read(resource, D.KEY_VAULT_SOFT_DELETE)
    purge = read(resource, D.KEY_VAULT_PURGE_PROTECTION)
    if v := unresolved(soft, purge):
        return v
    if soft.value is True and purge.value is True:
        return passed("Soft delete and purge protection are on", soft, purge)
    missing = [n for n, s in (("soft delete", soft), ("purge protection", purge)) if s.value is not True]
    return fail(f"Not enabled: {', '.join(missing)}", soft, purge)


acr_admin = value_check(
    id="MLW-SEC-046",
    title="Workspace container registry disables the admin user",
    severity=Severity.MEDIUM,
    resource_types=[CONTAINER_REGISTRY],
    implements=["AML-SEC-12", "AML-SEC-05"],
    remediation="Set properties.adminUserEnabled to false; Azure ML pulls and pushes with the workspace identity.",
    references=References(
        docs=["https://learn.microsoft.com/azure/container-registry/container-registry-authentication"],
        psrule=["Azure.ACR.AdminUser"],
        checkov=["CKV_AZURE_137"],
    ),
    rationale="The admin user is a shared password with push rights to the images every job and deployment runs.",
    absent="Absent adminUserEnabled means false (API default).",
    read=D.ACR_ADMIN_USER, want=False, when=DEPENDENCY_ONLY,
    ok="The admin user is disabled",
    bad="The admin user is enabled",
)


@check(
    id="MLW-SEC-047",
    title="Workspace container registry disables public network access",
    severity=Severity.MEDIUM,
    resource_types=[CONTAINER_REGISTRY],
    implements=["AML-SEC-04", "AML-SEC-12"],
    remediation="Use the Premium SKU, set properties.publicNetworkAccess to 'Disabled' and add a private "
    "endpoint; with a private registry and no managed network set the workspace's imageBuildCompute.",
    references=References(docs=[SECURE_WS], checkov=["CKV_AZURE_139"]),
    rationale="Environment images are code: a public registry is a supply-chain entry point.",
    absent="Absent publicNetworkAccess means 'Enabled' (API default).",
    defaults=[D.ACR_PUBLIC_NETWORK_ACCESS],
    reads=["properties.publicNetworkAccess", "sku.name"],
)
def acr_network(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_a_dependency(resource, ctx):
        return v
    verdict, seen = public_access_disabled(resource)
    sku = read(resource, "sku.name")
    if v := unresolved(seen, sku):
        return v
    if verdict is not None:
        return verdict
    if sku.value and sku.lower() != "premium":
        return fail(f"Public, and the {sku.value} SKU cannot be made private (Premium is required)", seen, sku)
    return fail("The registry is reachable from the internet", seen)


@check(
    id="MLW-REL-012",
    title="Workspace container registry is zone-redundant or geo-replicated",
    severity=Severity.LOW,
    resource_types=[CONTAINER_REGISTRY],
    implements=["AML-REL-07"],
    remediation="Use the Premium SKU with properties.zoneRedundancy 'Enabled', or add a replication "
    "(Microsoft.ContainerRegistry/registries/replications) in another region.",
    references=References(
        docs=["https://learn.microsoft.com/azure/container-registry/zone-redundancy"],
        psrule=["Azure.ACR.GeoReplica"],
    ),
    rationale="Jobs and deployments fail when their environment images cannot be pulled.",
    absent="Absent zoneRedundancy means 'Disabled'. Microsoft makes every registry (all SKUs) zone-redundant by "
    "default in regions with availability zones, even where zoneRedundancy still reads Disabled, so a registry in "
    "such a region passes (region table shipped with mlwaf, with its source). Replications are child resources: "
    "only those in the scan are seen.",
    defaults=[D.ACR_ZONE_REDUNDANCY],
    reads=["location", "properties.zoneRedundancy", "sku.name"],
    reads_related={ACR_REPLICATION: ["location"]},
    differs="PSRule Azure.ACR.GeoReplica requires a replication in another region; this check also accepts zone "
    "redundancy, which the Well-Architected reliability guidance counts as a recovery option.",
)
def acr_redundancy(resource: Resource, ctx: CheckContext) -> Verdict:
    if v := not_a_dependency(resource, ctx):
        return v
    zr = read(resource, D.ACR_ZONE_REDUNDANCY)
    if v := unresolved(zr):
        return v
    replicas = [r for r in ctx.inventory.children(resource, ACR_REPLICATION)
                if (r.location or "").lower() != (resource.location or "").lower()]
    if zr.lower() == "enabled":
        return passed("Zone redundancy is enabled", zr)
    if replicas:
        return passed(f"Geo-replicated to {', '.join(sorted({r.location or '?' for r in replicas}))}", zr)
    where = read(resource, "location")
    if v := unresolved(where):
        return v
    if not where.value:
        return unknown("zoneRedundancy is not enabled and the registry's location is not in the input", zr, where)
    if acr_zone_redundant_region(str(where.value)):
        return passed(f"Zone-redundant by default in {where.value}, a region with availability zones (whatever "
                      "zoneRedundancy reads)", zr, where)
    return fail(f"Neither zone-redundant nor geo-replicated ({where.value} has no zone-redundant registries in "
                "mlwaf's region table)", zr, where)


app_insights_workspace = value_check(
    id="MLW-OPS-011",
    title="Workspace Application Insights is workspace-based",
    severity=Severity.LOW,
    resource_types=[APP_INSIGHTS],
    implements=["AML-OPS-06"],
    remediation="Set properties.WorkspaceResourceId to a Log Analytics workspace (classic Application Insights "
    "is retired).",
    references=References(
        docs=["https://learn.microsoft.com/azure/azure-monitor/app/convert-classic-resource"],
        psrule=["Azure.AppInsights.Workspace"],
    ),
    rationale="Classic Application Insights was retired; workspace-based components keep telemetry with the "
    "rest of the logs and their retention.",
    absent="WorkspaceResourceId exists from API 2020-02-02: absent in a GET or export read at that version or "
    "later means a classic component; a template at an older version cannot set it (classic too); read at an "
    "older version its absence is UNKNOWN.",
    read=D.APP_INSIGHTS_WORKSPACE, want=is_set, when=DEPENDENCY_ONLY,
    ok="Workspace-based (Log Analytics)",
    bad="Classic Application Insights (no WorkspaceResourceId)",
)


app_insights_local_auth = value_check(
    id="MLW-SEC-048",
    title="Workspace Application Insights disables local authentication",
    severity=Severity.LOW,
    resource_types=[APP_INSIGHTS],
    implements=["AML-SEC-05"],
    remediation="Set properties.DisableLocalAuth to true so only Entra ID-authenticated telemetry is accepted.",
    references=References(
        docs=["https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication"],
        psrule=["Azure.AppInsights.LocalAuth"],
    ),
    rationale="With local auth anyone holding the instrumentation key can write telemetry into the component.",
    absent="DisableLocalAuth exists from API 2020-02-02, without a default (an opt-in: absent is not disabled). A "
    "template at an older version cannot set it (local auth stays on); a GET or export read at an older version "
    "cannot show it, so absence there is UNKNOWN.",
    read=D.APP_INSIGHTS_DISABLE_LOCAL_AUTH, want=True, when=DEPENDENCY_ONLY,
    ok="Local authentication is disabled",
    bad="Telemetry can be sent with the instrumentation key alone",
)
