"""Every default the check pack reads into an absent property, each with its source.

One constant per property (and resource type), used by the checks through `read()` and listed in
their `@check(defaults=[...])`; `python -m mlwaf.docs` renders them on each check's page and in
docs/defaults.md. A default comes from the REST API specification (Azure/azure-rest-api-specs: the
file at an API version, the definition, the spec's words) or a Microsoft Learn page, quoted
exactly. Rules marked `unset` are optional settings the spec gives no default: the source shows
what the setting switches, and the value is the spec's name for "not switched on".

What is not here on purpose is in DROPPED: defaults the check pack used to assume that no primary
source gives; those checks now answer UNKNOWN when the property is absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlwaf.check import REQUEST, STATE, Default, Rule, default, learn, spec
from mlwaf.resource_types import (
    AKS,
    AKS_POOL,
    APP_INSIGHTS,
    AUTOSCALE,
    COMPUTE,
    CONTAINER_REGISTRY,
    KEY_VAULT,
    ONLINE_DEPLOYMENT,
    ONLINE_ENDPOINT,
    REGISTRY,
    SCHEDULE,
    STORAGE,
    WORKSPACE,
)

_ML = "specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices"
WORKSPACE_RP = f"{_ML}/stable/2025-12-01/workspaceRP.json"
WORKSPACE_RP_2024_04 = f"{_ML}/stable/2024-04-01/workspaceRP.json"
ML_COMPUTE = f"{_ML}/stable/2025-12-01/machineLearningServices.json"
ML_COMPUTE_PREVIEW = f"{_ML}/preview/2025-01-01-preview/machineLearningServices.json"
MFE = f"{_ML}/stable/2025-12-01/mfe.json"
ML_REGISTRIES = f"{_ML}/stable/2025-12-01/registries.json"
STORAGE_2023 = "specification/storage/resource-manager/Microsoft.Storage/stable/2023-01-01/storage.json"
STORAGE_2022 = "specification/storage/resource-manager/Microsoft.Storage/stable/2022-09-01/storage.json"
KEYVAULT = "specification/keyvault/resource-manager/Microsoft.KeyVault/stable/2023-02-01/keyvault.json"
ACR = ("specification/containerregistry/resource-manager/Microsoft.ContainerRegistry/stable/2023-07-01/"
       "containerregistry.json")
APP_INSIGHTS_2020 = ("specification/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/"
                     "components_API.json")
AUTOSCALE_2022 = "specification/monitor/resource-manager/Microsoft.Insights/stable/2022-10-01/autoscale_API.json"
AKS_SYSTEM_POOLS = "https://learn.microsoft.com/azure/aks/use-system-pools"
AKS_POOL_PROFILE = "https://learn.microsoft.com/javascript/api/@azure-rest/arm-containerservice/managedclusteragentpoolprofile"
MANAGED_NETWORK = "https://learn.microsoft.com/azure/machine-learning/how-to-managed-network"
ANONYMOUS_ACCESS = "https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent"


# --- Azure Machine Learning workspaces (workspaceRP.json) ------------------------------------

# Verified in the 2024-04-01 and 2025-12-01 schemas; not claimed for older versions (no rule).
WORKSPACE_PUBLIC_NETWORK_ACCESS = default(
    "properties.publicNetworkAccess", [WORKSPACE], "Enabled",
    spec(WORKSPACE_RP, "WorkspaceProperties.publicNetworkAccess",
         "Whether requests from Public Network are allowed."),
    since="2024-04-01", unset=True,
)

WORKSPACE_PUBLIC_ACCESS_BEHIND_VNET = default(
    "properties.allowPublicAccessWhenBehindVnet", [WORKSPACE], False,
    spec(WORKSPACE_RP, "WorkspaceProperties.allowPublicAccessWhenBehindVnet",
         '"default": false; "The flag to indicate whether to allow public access when behind VNet."'),
)

# The managed network arrived in stable 2023-10-01 (its outbound-rule operations are in that
# version's spec and not in 2023-04-01): read at an older version its absence says nothing.
WORKSPACE_ISOLATION_MODE = default(
    "properties.managedNetwork.isolationMode", [WORKSPACE], "Disabled",
    learn(MANAGED_NETWORK, "| Disabled | Inbound and outbound traffic isn't restricted or you're using your own "
          "Azure Virtual Network to protect resources. |"),
    since="2023-10-01", introduced="2023-10-01", unset=True,
)

WORKSPACE_SERVERLESS_NO_PUBLIC_IP = default(
    "properties.serverlessComputeSettings.serverlessComputeNoPublicIP", [WORKSPACE], False,
    spec(WORKSPACE_RP, "ServerlessComputeSettings.serverlessComputeNoPublicIP",
         "The flag to signal if serverless compute nodes deployed in custom vNet would have no public IP addresses "
         "for a workspace with private endpoint"),
    since="2024-04-01", unset=True,
)

WORKSPACE_ENCRYPTION_STATUS = default(
    "properties.encryption.status", [WORKSPACE], "Disabled",
    spec(WORKSPACE_RP, "EncryptionProperty.status",
         "Indicates whether or not the encryption is enabled for the workspace."),
    unset=True,
)


# --- Azure Machine Learning computes (machineLearningServices.json) --------------------------

COMPUTE_IDENTITY = default(
    "identity.type", [COMPUTE], "None",
    spec(ML_COMPUTE, "ComputeResource.identity", "The identity of the resource."),
    unset=True,
)

COMPUTE_DISABLE_LOCAL_AUTH = default(
    "properties.disableLocalAuth", [COMPUTE], False,
    spec(ML_COMPUTE, "Compute.disableLocalAuth",
         "Opt-out of local authentication and ensure customers can use only MSI and AAD exclusively for "
         "authentication."),
    unset=True,
)

CLUSTER_NODE_PUBLIC_IP = default(
    "properties.properties.enableNodePublicIp", [COMPUTE], True,
    spec(ML_COMPUTE, "AmlComputeProperties.enableNodePublicIp",
         '"default": true; "Enable or disable node public IP address provisioning. Possible values are: Possible '
         'values are: true - Indicates that the compute nodes will have public IPs provisioned. false - Indicates '
         'that the compute nodes will have a private endpoint and no public IPs."'),
    when="compute clusters (AmlCompute); compute instances have no default",
)

INSTANCE_SSH_PUBLIC_ACCESS = default(
    "properties.properties.sshSettings.sshPublicAccess", [COMPUTE], "Disabled",
    spec(ML_COMPUTE, "ComputeInstanceSshSettings.sshPublicAccess",
         '"default": "Disabled"; "State of the public SSH port. Possible values are: Disabled - Indicates that the '
         'public ssh port is closed on this instance. Enabled - Indicates that the public ssh port is open and '
         'accessible according to the VNet/subnet policy if applicable."'),
    when="compute instances",
)

# A creation default only: "after creation it will be either enabled or disabled".
CLUSTER_REMOTE_LOGIN_PORT = default(
    "properties.properties.remoteLoginPortPublicAccess", [COMPUTE], "NotSpecified",
    spec(ML_COMPUTE, "AmlComputeProperties.remoteLoginPortPublicAccess",
         '"default": "NotSpecified"; "NotSpecified - Indicates that the public ssh port is closed on all nodes of '
         'the cluster if VNet is defined, else is open all public nodes. It can be default only during cluster '
         'creation time, after creation it will be either enabled or disabled."'),
    origins=(REQUEST,), when="compute clusters (AmlCompute)",
)

CLUSTER_MIN_NODES = default(
    "properties.properties.scaleSettings.minNodeCount", [COMPUTE], 0,
    spec(ML_COMPUTE, "ScaleSettings.minNodeCount", '"default": 0; "Min number of nodes to use"'),
)

CLUSTER_VM_PRIORITY = default(
    "properties.properties.vmPriority", [COMPUTE], "Dedicated",
    spec(ML_COMPUTE, "AmlComputeProperties.vmPriority",
         '"description": "Virtual Machine priority", "enum": ["Dedicated", "LowPriority"]'),
    unset=True, when="compute clusters (AmlCompute): low priority is the setting to switch on",
)

AKS_COMPUTE_SSL_STATUS = default(
    "properties.properties.sslConfiguration.status", [COMPUTE], "Disabled",
    spec(ML_COMPUTE, "SslConfiguration.status",
         '"description": "Enable or disable ssl for scoring", "enum": ["Disabled", "Enabled", "Auto"]'),
    unset=True, when="attached AKS computes",
)

# Not in any stable compute-instance schema (2025-12-01 sets it only through the idle-shutdown
# action, IdleShutdownSetting); preview schemas from 2025-01-01-preview have it, without a default.
INSTANCE_IDLE_SHUTDOWN = Default(
    "properties.properties.idleTimeBeforeShutdown", (COMPUTE,), (
        Rule(None, spec(ML_COMPUTE_PREVIEW, "ComputeInstanceProperties.idleTimeBeforeShutdown",
                        "Stops compute instance after user defined period of inactivity. Time is defined in ISO8601 "
                        "format. Minimum is 15 min, maximum is 3 days."),
             since="2025-01-01", preview=True, unset=True),
        Rule(None, spec(ML_COMPUTE, "IdleShutdownSetting.idleTimeBeforeShutdown",
                        "Time is defined in ISO8601 format. Minimum is 15 min, maximum is 3 days."),
             origins=(REQUEST,), unset=True,
             when="a template: the instance it creates has no idle shutdown (stable versions set it only with "
                  "the updateIdleShutdownSetting action)"),
    ),
)


# --- online endpoints and deployments (mfe.json) ---------------------------------------------

ENDPOINT_PUBLIC_NETWORK_ACCESS = default(
    "properties.publicNetworkAccess", [ONLINE_ENDPOINT], "Enabled",
    spec(MFE, "OnlineEndpoint.publicNetworkAccess",
         '"default": "Enabled"; "Set to \\"Enabled\\" for endpoints that should allow public access when Private '
         'Link is enabled."'),
)

DEPLOYMENT_EGRESS_PUBLIC_NETWORK_ACCESS = default(
    "properties.egressPublicNetworkAccess", [ONLINE_DEPLOYMENT], "Enabled",
    spec(MFE, "OnlineDeployment.egressPublicNetworkAccess",
         "If Enabled, allow egress public network access. If Disabled, this will create secure egress. Default: "
         "Enabled."),
)

DEPLOYMENT_APP_INSIGHTS = default(
    "properties.appInsightsEnabled", [ONLINE_DEPLOYMENT], False,
    spec(MFE, "OnlineDeployment.appInsightsEnabled",
         '"default": false; "If true, enables Application Insights logging."'),
)

DEPLOYMENT_INSTANCE_TYPE = default(
    "properties.instanceType", [ONLINE_DEPLOYMENT], "Standard_F4s_v2",
    spec(MFE, "OnlineDeployment.instanceType",
         '"default": "Standard_F4s_v2"; "Compute instance type. Default: Standard_F4s_v2."'),
    when="managed deployments (a Kubernetes deployment's instanceType names a Kubernetes instance type)",
)

_SCALE_SETTINGS_WORDS = ("Scale settings for the deployment.\\r\\nIf it is null or not provided,\\r\\nit defaults to "
                         "TargetUtilizationScaleSettings for KubernetesOnlineDeployment\\r\\nand to "
                         "DefaultScaleSettings for ManagedOnlineDeployment.")

DEPLOYMENT_SCALE_TYPE_MANAGED = default(
    "properties.scaleSettings.scaleType", [ONLINE_DEPLOYMENT], "Default",
    spec(MFE, "OnlineDeployment.scaleSettings", _SCALE_SETTINGS_WORDS),
    when="managed deployments",
)

DEPLOYMENT_SCALE_TYPE_KUBERNETES = default(
    "properties.scaleSettings.scaleType", [ONLINE_DEPLOYMENT], "TargetUtilization",
    spec(MFE, "OnlineDeployment.scaleSettings", _SCALE_SETTINGS_WORDS),
    when="Kubernetes deployments",
)

DEPLOYMENT_MIN_INSTANCES = default(
    "properties.scaleSettings.minInstances", [ONLINE_DEPLOYMENT], 1,
    spec(MFE, "TargetUtilizationScaleSettings.minInstances",
         '"default": 1; "The minimum number of instances to always be present."'),
    when="TargetUtilization scale settings",
)

DEPLOYMENT_MAX_INSTANCES = default(
    "properties.scaleSettings.maxInstances", [ONLINE_DEPLOYMENT], 1,
    spec(MFE, "TargetUtilizationScaleSettings.maxInstances",
         '"default": 1; "The maximum number of instances that the deployment can scale to. The quota will be '
         'reserved for max_instances."'),
    when="TargetUtilization scale settings",
)

DATA_COLLECTION_MODE = default(
    "properties.dataCollector.collections.*.dataCollectionMode", [ONLINE_DEPLOYMENT], "Disabled",
    spec(MFE, "Collection.dataCollectionMode", '"description": "Enable or disable data collection.", '
         '"default": "Disabled"'),
)

SCHEDULE_IS_ENABLED = default(
    "properties.isEnabled", [SCHEDULE], True,
    spec(MFE, "Schedule.isEnabled", '"description": "Is the schedule enabled?", "default": true'),
)


# --- Azure Machine Learning registries (registries.json) -------------------------------------

REGISTRY_PUBLIC_NETWORK_ACCESS = default(
    "properties.publicNetworkAccess", [REGISTRY], "Enabled",
    spec(ML_REGISTRIES, "Registry.publicNetworkAccess",
         'Is the Registry accessible from the internet?\\r\\nPossible values: \\"Enabled\\" or \\"Disabled\\"'),
    unset=True,
)

REGISTRY_STORAGE_PUBLIC_BLOB_ACCESS = default(
    "properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.allowBlobPublicAccess",
    [REGISTRY], False,
    spec(ML_REGISTRIES, "SystemCreatedStorageAccount.allowBlobPublicAccess", "Public blob access allowed"),
    unset=True,
)


# --- storage accounts (storage.json) ---------------------------------------------------------

STORAGE_SHARED_KEY_ACCESS = default(
    "properties.allowSharedKeyAccess", [STORAGE], True,
    spec(STORAGE_2023, "StorageAccountPropertiesCreateParameters.allowSharedKeyAccess",
         "If false, then all requests, including shared access signatures, must be authorized with Azure Active "
         "Directory (Azure AD). The default value is null, which is equivalent to true."),
)

# A template gets the creation default of its API version; a stored account without the property
# never set it, and null permits anonymous access: certain only for accounts created before the
# default changed (the 2023-01-01 API), so a stored account created later, or with no creation
# time in the input, is UNKNOWN.
STORAGE_BLOB_PUBLIC_ACCESS = Default(
    "properties.allowBlobPublicAccess", (STORAGE,), (
        Rule(False, spec(STORAGE_2023, "StorageAccountPropertiesCreateParameters.allowBlobPublicAccess",
                         "Allow or disallow public access to all blobs or containers in the storage account. The "
                         "default interpretation is false for this property."),
             since="2023-01-01", origins=(REQUEST,)),
        Rule(True, spec(STORAGE_2022, "StorageAccountPropertiesCreateParameters.allowBlobPublicAccess",
                        "Allow or disallow public access to all blobs or containers in the storage account. The "
                        "default interpretation is true for this property."),
             until="2023-01-01", origins=(REQUEST,)),
        Rule(True, learn(ANONYMOUS_ACCESS,
                         "The AllowBlobPublicAccess property is not set for a storage account by default and does "
                         "not return a value until you explicitly set it. The storage account permits public access "
                         "when the property value is either null or true."),
             origins=(STATE,), created_before="2023-01-01"),
    ),
)

STORAGE_MINIMUM_TLS = default(
    "properties.minimumTlsVersion", [STORAGE], "TLS1_0",
    spec(STORAGE_2023, "StorageAccountPropertiesCreateParameters.minimumTlsVersion",
         "Set the minimum TLS version to be permitted on requests to storage. The default interpretation is TLS 1.0 "
         "for this property."),
)

_HTTPS_ONLY = spec(STORAGE_2023, "StorageAccountPropertiesCreateParameters.supportsHttpsTrafficOnly",
                   "Allows https traffic only to storage service if sets to true. The default value is true since API "
                   "version 2019-04-01.")
STORAGE_HTTPS_ONLY = Default(
    "properties.supportsHttpsTrafficOnly", (STORAGE,), (
        Rule(True, _HTTPS_ONLY, since="2019-04-01"),
        Rule(False, _HTTPS_ONLY, until="2019-04-01"),
    ),
)

STORAGE_PUBLIC_NETWORK_ACCESS = default(
    "properties.publicNetworkAccess", [STORAGE], "Enabled",
    spec(STORAGE_2023, "StorageAccountPropertiesCreateParameters.publicNetworkAccess",
         "Allow or disallow public network access to Storage Account. Value is optional but if passed in, must be "
         "'Enabled' or 'Disabled'."),
    unset=True,
)

STORAGE_NETWORK_DEFAULT_ACTION = default(
    "properties.networkAcls.defaultAction", [STORAGE], "Allow",
    spec(STORAGE_2023, "NetworkRuleSet.defaultAction",
         '"default": "Allow"; "Specifies the default action of allow or deny when no other rules match."'),
)


# --- key vaults (keyvault.json) --------------------------------------------------------------

# What a vault is created with; whether an old vault that never set it has soft delete is not
# documented in the spec, so stored vaults get no default.
KEY_VAULT_SOFT_DELETE = default(
    "properties.enableSoftDelete", [KEY_VAULT], True,
    spec(KEYVAULT, "VaultProperties.enableSoftDelete",
         "Property to specify whether the 'soft delete' functionality is enabled for this key vault. If it's not "
         "set to any value(true or false) when creating new key vault, it will be set to true by default. Once set "
         "to true, it cannot be reverted to false."),
    origins=(REQUEST,),
)

KEY_VAULT_PURGE_PROTECTION = default(
    "properties.enablePurgeProtection", [KEY_VAULT], False,
    spec(KEYVAULT, "VaultProperties.enablePurgeProtection",
         "Setting this property to true activates protection against purge for this vault and its content - only "
         "the Key Vault service may initiate a hard, irrecoverable deletion."),
    unset=True,
)

KEY_VAULT_PUBLIC_NETWORK_ACCESS = default(
    "properties.publicNetworkAccess", [KEY_VAULT], "enabled",
    spec(KEYVAULT, "VaultProperties.publicNetworkAccess",
         '"default": "enabled"; "Property to specify whether the vault will accept traffic from public internet."'),
)

KEY_VAULT_NETWORK_DEFAULT_ACTION = default(
    "properties.networkAcls.defaultAction", [KEY_VAULT], "Allow",
    spec(KEYVAULT, "VaultProperties.networkAcls",
         "Rules governing the accessibility of the key vault from specific network locations."),
    unset=True,
)


# --- container registries (containerregistry.json) -------------------------------------------

ACR_ADMIN_USER = default(
    "properties.adminUserEnabled", [CONTAINER_REGISTRY], False,
    spec(ACR, "RegistryProperties.adminUserEnabled",
         '"description": "The value that indicates whether the admin user is enabled.", "default": false'),
)

ACR_PUBLIC_NETWORK_ACCESS = default(
    "properties.publicNetworkAccess", [CONTAINER_REGISTRY], "Enabled",
    spec(ACR, "RegistryProperties.publicNetworkAccess",
         '"description": "Whether or not public network access is allowed for the container registry.", '
         '"default": "Enabled"'),
)

ACR_ZONE_REDUNDANCY = default(
    "properties.zoneRedundancy", [CONTAINER_REGISTRY], "Disabled",
    spec(ACR, "RegistryProperties.zoneRedundancy",
         '"description": "Whether or not zone redundancy is enabled for this container registry", '
         '"default": "Disabled"'),
)


# --- Application Insights (components_API.json) ----------------------------------------------

# Neither property exists in the 2015-05-01 schema. A template written at that version cannot set
# them (so the component is classic, with local auth); a GET or export read at it cannot show them.
_WORKSPACE_RESOURCE_ID = spec(
    APP_INSIGHTS_2020, "ApplicationInsightsComponentProperties.WorkspaceResourceId",
    "Resource Id of the log analytics workspace which the data will be ingested to. This property is required to "
    "create an application with this API version. Applications from older versions will not have this property.",
)
APP_INSIGHTS_WORKSPACE = Default(
    "properties.WorkspaceResourceId", (APP_INSIGHTS,), (
        Rule(None, _WORKSPACE_RESOURCE_ID, since="2020-02-02", origins=(STATE,), unset=True),
        Rule(None, _WORKSPACE_RESOURCE_ID, until="2020-02-02", origins=(REQUEST,), unset=True),
    ),
    introduced="2020-02-02",
)

_DISABLE_LOCAL_AUTH = spec(APP_INSIGHTS_2020, "ApplicationInsightsComponentProperties.DisableLocalAuth",
                           "Disable Non-AAD based Auth.")
APP_INSIGHTS_DISABLE_LOCAL_AUTH = Default(
    "properties.DisableLocalAuth", (APP_INSIGHTS,), (
        Rule(False, _DISABLE_LOCAL_AUTH, since="2020-02-02", unset=True),
        Rule(False, _DISABLE_LOCAL_AUTH, until="2020-02-02", origins=(REQUEST,), unset=True),
    ),
    introduced="2020-02-02",
)


# --- AKS node pools --------------------------------------------------------------------------

# A pool's mode has no default ("a required property"); a cluster's only pool must be its System
# pool ("requires at least one system node pool"). Applied by checklib.node_pools only then.
_ONLY_POOL = learn(AKS_SYSTEM_POOLS, "An AKS cluster can have multiple system node pools and requires at least one "
                   "system node pool.")
AKS_ONLY_POOL_MODE = default(
    "properties.agentPoolProfiles[*].mode", [AKS], "System", _ONLY_POOL, when="the cluster's only node pool",
)
AKS_CHILD_ONLY_POOL_MODE = default(
    "properties.mode", [AKS_POOL], "System", _ONLY_POOL, when="the cluster's only node pool",
)

_AUTOSCALER = learn(AKS_POOL_PROFILE, "Whether to enable auto-scaler")
AKS_POOL_AUTOSCALING = default(
    "properties.agentPoolProfiles[*].enableAutoScaling", [AKS], False, _AUTOSCALER, unset=True,
)
AKS_CHILD_POOL_AUTOSCALING = default(
    "properties.enableAutoScaling", [AKS_POOL], False, _AUTOSCALER, unset=True,
)


# --- autoscale settings (autoscale_API.json) -------------------------------------------------

AUTOSCALE_ENABLED = default(
    "properties.enabled", [AUTOSCALE], True,
    spec(AUTOSCALE_2022, "AutoscaleSetting.enabled",
         "the enabled flag. Specifies whether automatic scaling is enabled for the resource. The default value is "
         "'true'."),
)


# --- what the pack no longer assumes ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dropped:
    """A default the check pack used to assume without a primary source: absent now is UNKNOWN."""

    path: str
    types: tuple[str, ...]
    checks: tuple[str, ...]
    why: str


_NO_SPEC_DEFAULT = "the REST specification gives it no default and no primary source documents one"

DROPPED: tuple[Dropped, ...] = (
    Dropped("identity.type", (WORKSPACE,), ("MLW-SEC-006", "MLW-SEC-007"),
            f"was 'None'; {_NO_SPEC_DEFAULT} (what a workspace created without an identity gets)"),
    Dropped("properties.systemDatastoresAuthMode", (WORKSPACE,), ("MLW-SEC-008",),
            "was 'accessKey' 'from API 2024-04-01'; the 2024-04-01 schema does not have the property and "
            f"2025-12-01 gives it no default: {_NO_SPEC_DEFAULT}"),
    Dropped("properties.properties.enableNodePublicIp", (COMPUTE,), ("MLW-SEC-011",),
            "was true for compute instances too; only AmlComputeProperties has the default (true), "
            "ComputeInstanceProperties.enableNodePublicIp has none"),
    Dropped("properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown", (COMPUTE,), ("MLW-COST-003",),
            "was PT120S, the az ml CLI's value; ScaleSettings.nodeIdleTimeBeforeScaleDown has no REST default"),
    Dropped("properties.properties.vmSize", (COMPUTE,), ("MLW-COST-004",),
            "was described as required for compute instances; the spec neither requires it nor gives a default"),
    Dropped("properties.properties.schedules.computeStartStop[*].status", (COMPUTE,), ("MLW-COST-001",),
            "was 'Enabled'; ComputeStartStopSchedule.status (ScheduleStatus) has no default"),
    Dropped("properties.endpointComputeType", (ONLINE_DEPLOYMENT,),
            ("MLW-COST-007", "MLW-PERF-003", "MLW-PERF-004", "MLW-PERF-010", "MLW-REL-001", "MLW-REL-020",
             "MLW-SEC-022"),
            "was 'Managed'; the API requires it (OnlineDeployment's discriminator), so absent means the input left "
            "it out"),
    Dropped("sku.capacity", (ONLINE_DEPLOYMENT,), ("MLW-REL-001",),
            "was 1; Sku.capacity has no default (\"If the SKU supports scale out/in then the capacity integer should "
            "be included\")"),
    Dropped("identity.type", (ONLINE_ENDPOINT,), ("MLW-SEC-024",),
            f"was 'SystemAssigned'; {_NO_SPEC_DEFAULT}"),
    Dropped("properties.provisioningState", (ONLINE_DEPLOYMENT, "Microsoft.MachineLearningServices/workspaces/"
            "batchEndpoints/deployments"), ("MLW-REL-002", "MLW-OPS-009"),
            "was 'Succeeded'; a read-only state, not a default: a deployment without one is judged on existence"),
    Dropped("properties.regionDetails", (REGISTRY,), ("MLW-REL-006",),
            "was described as required; the spec neither requires it nor gives a default"),
    Dropped("properties.regionDetails[*].storageAccountDetails[*].systemCreatedStorageAccount.storageAccountType",
            (REGISTRY,), ("MLW-REL-007",), f"was 'Standard_LRS'; {_NO_SPEC_DEFAULT}"),
    Dropped("properties.regionDetails[*].acrDetails[*].systemCreatedAcrAccount.acrAccountSku", (REGISTRY,),
            ("MLW-PERF-005",), f"was 'Premium'; {_NO_SPEC_DEFAULT}"),
    Dropped("properties.enableSoftDelete", (KEY_VAULT,), ("MLW-REL-011",),
            "stored vaults only (templates keep the creation default true): what an old vault that never set it "
            "has is not documented"),
    Dropped("properties.disableLocalAuth", ("Microsoft.CognitiveServices/accounts",), ("MLW-SEC-060",),
            "was false; not sourced for AI services accounts"),
    Dropped("properties.publicNetworkAccess, properties.networkAcls.defaultAction",
            ("Microsoft.CognitiveServices/accounts",), ("MLW-SEC-061",),
            "were 'Enabled' and 'Allow'; not sourced for AI services accounts"),
    Dropped("identity.type", ("Microsoft.CognitiveServices/accounts",), ("MLW-SEC-063",),
            "was 'None'; not sourced for AI services accounts"),
    Dropped("properties.priority", ("Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachineScaleSets"),
            ("MLW-COST-011",), f"was 'Regular'; {_NO_SPEC_DEFAULT}"),
    Dropped("properties.agentPoolProfiles[*].mode", (AKS, AKS_POOL), ("MLW-PERF-020", "MLW-PERF-021", "MLW-PERF-007"),
            "was 'User'; the mode is required (use-system-pools: \"a required property and must be explicitly set "
            "when using ARM templates or direct API calls\"): only a cluster's only pool is known (System)"),
    Dropped("properties.agentPoolProfiles[*].minCount, maxCount", (AKS, AKS_POOL), ("MLW-PERF-020",),
            "were 0; an autoscaling pool without them is UNKNOWN"),
)


def all_defaults() -> list[tuple[str, Default]]:
    """(name, Default) of every constant above, in the order they are declared."""
    return [(name, value) for name, value in globals().items() if isinstance(value, Default)]
