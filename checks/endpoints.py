"""Online endpoints and their deployments (managed and Kubernetes)."""

from __future__ import annotations

import re

from mlwaf import defaults as D
from mlwaf.check import (
    CheckContext,
    Param,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    not_applicable,
    passed,
    read,
    unknown,
    unresolved,
    value_at,
    value_check,
)
from mlwaf.checklib import (
    AUTOSCALE,
    BATCH_DEPLOYMENT,
    BATCH_ENDPOINT,
    COMPUTE,
    ONLINE_DEPLOYMENT,
    ONLINE_ENDPOINT,
    SCHEDULE,
    WORKSPACE,
    compute_instance_verdict,
    endpoint_compute_type,
    environment,
    is_gpu_size,
    is_production,
    managed_identity,
    public_access_disabled,
    read_default,
    scale_type,
    str_list,
    vm_size,
    workspace_network,
    workspace_of,
)
from mlwaf.model import Unresolved

ENDPOINT_AUTH = "https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth"


@check(
    id="MLW-SEC-020",
    title="Online endpoint authenticates with expiring tokens, not keys",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_ENDPOINT],
    implements=["PLAT-12"],
    remediation="Set properties.authMode to 'AADToken' (Entra ID) rather than 'Key'.",
    references=References(docs=[ENDPOINT_AUTH]),
    rationale="Keys never expire and are shared; tokens are short-lived. Entra ID tokens (AADToken) are "
    "preferred, being tied to an identity with RBAC; Azure ML tokens (AMLToken) also expire and pass.",
    absent="authMode is required by the API; when absent the verdict is UNKNOWN.",
    reads=["properties.authMode"],
)
def endpoint_auth_mode(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read(resource, "properties.authMode")
    if v := unresolved(seen):
        return v
    mode = seen.lower()
    if mode == "aadtoken":
        return passed("Microsoft Entra ID token authentication", seen)
    if mode == "amltoken":
        return passed("Azure ML token authentication (short-lived tokens, no static key)", seen)
    if mode == "key":
        return fail("Key authentication: static keys that never expire", seen)
    if seen.absent:
        return unknown("authMode is not set in the input", seen)
    return unknown(f"authMode {seen.value!r} is not a mode the API defines (AADToken, AMLToken, Key)", seen)


@check(
    id="MLW-REL-001",
    title="Online deployment runs more than one instance",
    severity=Severity.HIGH,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-REL-02"],
    remediation="Set sku.capacity (managed deployments with Default scale) or "
    "properties.scaleSettings.minInstances (TargetUtilization) to at least the configured minimum "
    "(default 3, so an update or a node failure leaves capacity).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-deploy-online-endpoints"],
    ),
    params={"min_instances": Param("minimum instance count for a pass (default 3; 2 is reported as a fail)", "integer",
                                   minimum=1)},
    rationale="A single instance is a single point of failure; Azure ML reserves extra capacity for "
    "upgrades, and at least three instances survive a node loss.",
    absent="Absent scaleSettings means Default (fixed sku.capacity) for managed deployments and "
    "TargetUtilization for Kubernetes deployments (REST default); absent minInstances means 1 (REST default). "
    "sku.capacity has no default in the REST specification, so an absent instance count is UNKNOWN, as is an "
    "absent endpointComputeType (required by the API).",
    defaults=[D.DEPLOYMENT_SCALE_TYPE_MANAGED, D.DEPLOYMENT_SCALE_TYPE_KUBERNETES, D.DEPLOYMENT_MIN_INSTANCES],
    reads=["properties.endpointComputeType", "properties.scaleSettings.scaleType",
           "properties.scaleSettings.minInstances", "sku.capacity"],
)
def deployment_instance_count(resource: Resource, ctx: CheckContext) -> Verdict:
    minimum = int(ctx.params.get("min_instances", 3))
    scale, kind = scale_type(resource)
    if v := unresolved(scale, kind):
        return v
    if scale.lower() == "targetutilization":
        seen = read(resource, D.DEPLOYMENT_MIN_INSTANCES)
    else:
        seen = read_default(resource, "sku.capacity", {})
    if v := unresolved(seen):
        return v
    try:
        count = int(seen.value)
    except (TypeError, ValueError):
        return fail(f"Instance count is not a number: {seen.value!r}", seen)
    if count >= minimum:
        return passed(f"{count} instances (minimum {minimum})", seen)
    return fail(f"{count} instance(s), fewer than {minimum}", seen, scale)


deployment_app_insights = value_check(
    id="MLW-OPS-001",
    title="Online deployment sends telemetry to Application Insights",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-OPS-06", "AML-PERF-04", "PLAT-13"],
    remediation="Set properties.appInsightsEnabled to true.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-monitor-online-endpoints"],
    ),
    rationale="Without request telemetry, failures and latency regressions of a model go unseen.",
    absent="Absent appInsightsEnabled means false (API default).",
    read=D.DEPLOYMENT_APP_INSIGHTS, want=True,
    ok="Application Insights telemetry is enabled",
    bad="Application Insights telemetry is disabled",
)


def _traffic(resource: Resource) -> dict[str, float]:
    value = read(resource, "properties.traffic", default={}).value
    out: dict[str, float] = {}
    for k, v in (value.items() if isinstance(value, dict) else []):
        try:
            out[str(k).lower()] = float(v)
        except (TypeError, ValueError):
            continue
    return out


@check(
    id="MLW-SEC-021",
    title="Online endpoint disables public network access",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_ENDPOINT],
    implements=["PLAT-11", "AML-SEC-01"],
    remediation="Set properties.publicNetworkAccess to 'Disabled' so scoring requests arrive through the "
    "workspace private endpoint.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/concept-secure-online-endpoint"]),
    rationale="An endpoint open to the internet exposes the model to anyone holding a token or key.",
    absent="Absent publicNetworkAccess means 'Enabled' (API default).",
    defaults=[D.ENDPOINT_PUBLIC_NETWORK_ACCESS],
    reads=["properties.publicNetworkAccess"],
)
def endpoint_public_access(resource: Resource, ctx: CheckContext) -> Verdict:
    verdict, seen = public_access_disabled(resource)
    return verdict or fail("The scoring endpoint is reachable from the internet", seen)


@check(
    id="MLW-SEC-022",
    title="Online deployment has no public egress outside a managed network",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-SEC-14"],
    remediation="Set properties.egressPublicNetworkAccess to 'Disabled', or move the workspace to a managed "
    "network (which governs deployment egress itself).",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/concept-secure-online-endpoint"]),
    rationale="Deployment containers with open internet egress can exfiltrate the data they score.",
    absent="Absent egressPublicNetworkAccess means 'Enabled' (REST default). With a workspace managed network "
    "the setting does not apply; egress left enabled with the workspace not in the scan is UNKNOWN. "
    "endpointComputeType is required by the API: absent is UNKNOWN.",
    defaults=[D.DEPLOYMENT_EGRESS_PUBLIC_NETWORK_ACCESS, D.WORKSPACE_ISOLATION_MODE],
    reads=["properties.egressPublicNetworkAccess", "properties.endpointComputeType"],
    reads_related={WORKSPACE: ["properties.managedNetwork.isolationMode"]},
)
def deployment_egress(resource: Resource, ctx: CheckContext) -> Verdict:
    kind = endpoint_compute_type(resource)
    if v := unresolved(kind):
        return v
    if kind.lower() == "kubernetes":
        return not_applicable("Kubernetes deployments follow the cluster's network, not this setting", kind)
    seen = read(resource, D.DEPLOYMENT_EGRESS_PUBLIC_NETWORK_ACCESS)
    if v := unresolved(seen):
        return v
    verdict, mode = workspace_network(resource, ctx, "Public egress is enabled", seen)
    if mode is not None and verdict is None and mode.lower() != "disabled":
        return not_applicable(f"The workspace managed network ({mode.value}) governs egress", mode)
    if seen.lower() == "disabled":
        return passed("Public egress is disabled", seen)
    if verdict is not None:
        return verdict
    return fail("The deployment can reach the internet", seen)


@check(
    id="MLW-SEC-023",
    title="Online deployments serve models from approved registries",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT, BATCH_DEPLOYMENT],
    implements=["AML-SEC-11"],
    remediation="Register the model in an approved Azure ML registry (or the workspace) and deploy it from there.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-regulate-registry-deployments"],
        azure_policy=["19539b54-c61e-4196-9a38-67598701be90"],
    ),
    params={"allowed_model_registries": Param("registry names models may come from (azureml://registries/<name>/...); "
            "models registered in the workspace itself are always allowed", "texts")},
    rationale="Only vetted models should reach endpoints; the model catalog offers many that are not.",
    absent="Without allowed_model_registries configured the check is not applicable.",
    reads=["properties.model", "properties.model.assetId"],
)
def deployment_model_registry(resource: Resource, ctx: CheckContext) -> Verdict:
    allowed = {r.lower() for r in str_list(ctx.params.get("allowed_model_registries"))}
    if not allowed:
        return not_applicable("No allowed_model_registries configured (parameter allowed_model_registries)")
    model = read(resource, "properties.model")
    if isinstance(model.value, dict):
        model = read(resource, "properties.model.assetId")
    if v := unresolved(model):
        return v
    if not isinstance(model.value, str) or not model.value:
        return unknown("The deployment's model is not in the input", model)
    m = re.match(r"azureml://registries/([^/]+)/", model.value, re.IGNORECASE)
    if m is None:
        return passed("The model is registered in the workspace", model)
    if m.group(1).lower() in allowed:
        return passed(f"Model from approved registry {m.group(1)!r}", model)
    return fail(f"Model from registry {m.group(1)!r}, not in allowed_model_registries", model)


@check(
    id="MLW-SEC-024",
    title="Online endpoint has a managed identity",
    severity=Severity.LOW,
    resource_types=[ONLINE_ENDPOINT],
    implements=["AML-SEC-05"],
    remediation="Keep identity.type 'SystemAssigned' or set 'UserAssigned' on the endpoint.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth"]),
    rationale="Deployments pull models and images and reach data with the endpoint's identity, without secrets.",
    absent="No primary source documents the identity an endpoint created without one gets, so absent identity "
    "is UNKNOWN.",
    reads=["identity.type"],
)
def endpoint_identity(resource: Resource, ctx: CheckContext) -> Verdict:
    return managed_identity(resource, "The endpoint has no managed identity")


@check(
    id="MLW-REL-002",
    title="Online endpoint routes traffic only to existing, healthy deployments",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_ENDPOINT],
    implements=["AML-REL-04"],
    remediation="Make properties.traffic name only existing deployments in state Succeeded, summing to 100.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints"]),
    rationale="Traffic sent to a missing or failed deployment is answered with errors.",
    absent="Absent traffic means no traffic is routed (an endpoint with deployments then serves nothing). A "
    "deployment's provisioningState is read-only: a template (or an input without it) is judged on existence only.",
    reads=["properties.traffic.*"],
    reads_related={ONLINE_DEPLOYMENT: ["properties.provisioningState"]},
)
def endpoint_traffic(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read(resource, "properties.traffic", default={})
    if v := unresolved(seen):
        return v
    deployments = {d.name.lower(): d for d in ctx.inventory.children(resource, ONLINE_DEPLOYMENT)}
    if not deployments:
        return unknown("The endpoint's deployments are not in the scan", seen)
    traffic = _traffic(resource)
    if not any(v > 0 for v in traffic.values()):
        return fail("No deployment receives traffic", seen)
    problems = []
    for name, share in traffic.items():
        if share <= 0:
            continue
        dep = deployments.get(name)
        if dep is None:
            problems.append(f"{name} ({share:g}%) does not exist")
            continue
        state = read(dep, "properties.provisioningState")
        if state.value and state.lower() != "succeeded":
            problems.append(f"{name} ({share:g}%) is {state.value}")
    total = sum(traffic.values())
    if abs(total - 100) > 0.01:
        problems.append(f"shares sum to {total:g}%, not 100%")
    if problems:
        return fail("Traffic problems: " + "; ".join(problems), seen)
    return passed(f"Traffic goes to {len([v for v in traffic.values() if v > 0])} healthy deployment(s)", seen)


@check(
    id="MLW-REL-003",
    title="Online endpoint is set up for safe rollout",
    severity=Severity.LOW,
    resource_types=[ONLINE_ENDPOINT],
    implements=["AML-REL-04", "DSP-10"],
    remediation="Deploy new model versions as a second deployment and shift properties.traffic gradually (or "
    "mirror traffic with properties.mirrorTraffic) instead of updating the only deployment in place.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints"]),
    rationale="With a single deployment every model update replaces what serves production at once.",
    absent="Absent mirrorTraffic means no mirroring.",
    reads=["properties.traffic.*", "properties.mirrorTraffic.*"],
)
def endpoint_rollout(resource: Resource, ctx: CheckContext) -> Verdict:
    mirror = read(resource, "properties.mirrorTraffic", default={})
    if v := unresolved(mirror):
        return v
    deployments = ctx.inventory.children(resource, ONLINE_DEPLOYMENT)
    if not deployments:
        return unknown("The endpoint's deployments are not in the scan", mirror)
    if len(deployments) >= 2:
        return passed(f"{len(deployments)} deployments (blue-green rollout possible)", mirror)
    if isinstance(mirror.value, dict) and any(mirror.value.values()):
        return passed("Mirror traffic is used to test a deployment", mirror)
    return fail(f"One deployment ({deployments[0].name}) and no mirror traffic: updates replace it in place", mirror)


@check(
    id="MLW-COST-006",
    title="Online deployments without traffic are removed",
    severity=Severity.LOW,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-COST-09"],
    remediation="Delete deployments that receive neither live nor mirrored traffic once a rollout is complete.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-safely-rollout-online-endpoints"]),
    rationale="A deployment at 0% traffic still bills for all its instances.",
    absent="A deployment absent from the endpoint's traffic and mirrorTraffic receives 0%.",
    reads_related={ONLINE_ENDPOINT: ["properties.traffic.*", "properties.mirrorTraffic.*"]},
)
def deployment_idle(resource: Resource, ctx: CheckContext) -> Verdict:
    ep = ctx.inventory.parent(resource)
    if ep is None:
        return unknown("The deployment's endpoint is not in the scan")
    traffic = read(ep, "properties.traffic", default={})
    mirror = read(ep, "properties.mirrorTraffic", default={})
    if v := unresolved(traffic, mirror):
        return v
    name = resource.name.lower()
    shares = _traffic(ep)
    # A deployment the traffic map does not name gets none (the map's meaning, not a default).
    live = shares[name] if name in shares else 0.0  # noqa: SIM401 - .get(k, default) is reserved for defaults
    mirrored = {str(k).lower(): v for k, v in (mirror.value.items() if isinstance(mirror.value, dict) else [])}
    mirrors = isinstance(mirrored.get(name), int | float) and mirrored[name] > 0
    if live > 0 or mirrors:
        return passed(f"Receives {live:g}% live traffic" + (" and mirrored traffic" if mirrors else ""), traffic)
    return fail(f"Receives no traffic from endpoint {ep.name!r} but keeps its instances", traffic, mirror)


@check(
    id="MLW-OPS-005",
    title="Production online deployments collect inference data",
    severity=Severity.LOW,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-OPS-05"],
    remediation="Add properties.dataCollector.collections with model_inputs and model_outputs "
    "(dataCollectionMode 'Enabled') to production deployments.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-collect-production-data"]),
    params={"environment_tag": Param("tag key holding the environment (default 'environment')"),
            "production_values": Param("tag values meaning production (default prod, production, prd, live)", "texts")},
    rationale="Collected inputs and outputs feed drift and quality monitoring of the model in production.",
    absent="Absent dataCollector means no data is collected (the REST specification: \"we disable mdc when it's "
    "null\"); a collection without dataCollectionMode is Disabled (REST default). Deployments whose environment is "
    "not production (tag on the deployment, else its workspace) are not applicable.",
    defaults=[D.DATA_COLLECTION_MODE],
    reads=["properties.dataCollector.collections.*.dataCollectionMode", "tags.*"],
    reads_related={WORKSPACE: ["tags.*"]},
)
def deployment_data_collection(resource: Resource, ctx: CheckContext) -> Verdict:
    key = str(ctx.params.get("environment_tag") or "environment")
    env, _ = environment(resource, ctx, key)
    if not is_production(env, ctx):
        return not_applicable(f"Not tagged as production ({key}={env})")
    seen = read(resource, "properties.dataCollector.collections", default={})
    if v := unresolved(seen):
        return v
    modes = [
        read(resource, f"properties.dataCollector.collections.{name}.dataCollectionMode",
             default=D.DATA_COLLECTION_MODE)
        for name, c in (seen.value.items() if isinstance(seen.value, dict) else []) if isinstance(c, dict)
    ]
    if v := unresolved(*modes):
        return v
    enabled = [m.evidence.path.split(".")[-2] for m in modes if m.lower() == "enabled"]
    if enabled:
        return passed(f"Collects {', '.join(sorted(enabled))}", seen)
    return fail("No enabled data collection", seen, *modes)


_LATEST = re.compile(r"(@latest$|/labels/latest$|/versions/latest$|:latest$)", re.IGNORECASE)


@check(
    id="MLW-OPS-006",
    title="Deployments pin model and environment versions",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT, BATCH_DEPLOYMENT],
    implements=["PLAT-08"],
    remediation="Reference models and environments by explicit version (…/versions/7, azureml:model:7), never "
    "by the 'latest' label or an image ':latest' tag.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online"]),
    rationale="Traceability: with 'latest' nobody can say which model or image is serving, and a redeploy "
    "silently changes it.",
    absent="A deployment without a model reference (custom container) is judged on its environment only.",
    reads=["properties.model", "properties.model.assetId", "properties.environmentId"],
)
def deployment_pinned(resource: Resource, ctx: CheckContext) -> Verdict:
    model = read(resource, "properties.model")
    if isinstance(model.value, dict):
        model = read(resource, "properties.model.assetId")
    env = read(resource, "properties.environmentId")
    if v := unresolved(model, env):
        return v
    floating = [s for s in (model, env) if isinstance(s.value, str) and _LATEST.search(s.value.strip())]
    if floating:
        return fail("Floating 'latest' reference: " + ", ".join(str(s.value) for s in floating), *floating)
    if model.absent and env.absent:
        return unknown("Neither model nor environment is in the input", model, env)
    return passed("Model and environment are pinned to versions", model, env)


@check(
    id="MLW-OPS-008",
    title="Production online deployments are covered by model monitoring",
    severity=Severity.LOW,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-OPS-05"],
    remediation="Create a model monitoring schedule (workspaces/schedules with action.actionType 'CreateMonitor') "
    "whose monitoringTarget.deploymentId is the deployment.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-monitor-model-performance"]),
    params={"environment_tag": Param("tag key holding the environment (default 'environment')"),
            "production_values": Param("tag values meaning production (default prod, production, prd, live)", "texts")},
    rationale="Monitoring detects data drift and prediction quality loss before it hurts outcomes.",
    absent="Schedules are child resources that REST GETs of the deployment do not include: none in the scan "
    "is UNKNOWN offline. A schedule without isEnabled is enabled (REST default). Non-production deployments are not "
    "applicable.",
    defaults=[D.SCHEDULE_IS_ENABLED],
    reads=["tags.*"],
    reads_related={
        WORKSPACE: ["tags.*"],
        SCHEDULE: ["properties.action.actionType", "properties.action.monitorDefinition.monitoringTarget.deploymentId",
                   "properties.isEnabled"],
    },
)
def deployment_monitoring(resource: Resource, ctx: CheckContext) -> Verdict:
    key = str(ctx.params.get("environment_tag") or "environment")
    env, _ = environment(resource, ctx, key)
    if not is_production(env, ctx):
        return not_applicable(f"Not tagged as production ({key}={env})")
    workspace = workspace_of(resource, ctx)
    schedules = ctx.inventory.children(workspace, SCHEDULE) if workspace is not None else []
    if not schedules:
        if workspace is not None and ctx.inventory.children_listed(workspace, "schedules"):
            return fail("No model monitoring schedule in the workspace")
        return unknown("No schedules of the workspace in the input (include workspaces/schedules to assess)")
    for sched in schedules:
        action = read(sched, "properties.action.actionType")
        target = read(sched, "properties.action.monitorDefinition.monitoringTarget.deploymentId")
        enabled = read(sched, D.SCHEDULE_IS_ENABLED)
        if (action.lower() == "createmonitor" and isinstance(target.value, str)
                and target.value.lower().endswith(resource.id.lower().split("/workspaces/", 1)[-1])
                and enabled.value is not False):
            return passed(f"Monitored by schedule {sched.name!r}", action, target)
    return fail("No enabled monitoring schedule targets this deployment")


@check(
    id="MLW-PERF-003",
    title="Online deployment autoscales",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-PERF-03", "PLAT-07"],
    remediation="Managed: add an Azure Monitor autoscale setting (Microsoft.Insights/autoscalesettings) with "
    "targetResourceUri = the deployment id, enabled, maximum above minimum and a scale-out rule. "
    "Kubernetes: set properties.scaleSettings.scaleType 'TargetUtilization' with maxInstances above "
    "minInstances.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-autoscale-endpoints"]),
    rationale="Inference load varies; a fixed instance count either queues requests or pays for idle capacity.",
    absent="Autoscale settings are separate resources: none in an offline input is UNKNOWN (a live scan fails "
    "on none). Absent scaleSettings means 'Default' (fixed sku.capacity) for managed deployments and "
    "TargetUtilization with minInstances and maxInstances 1 for Kubernetes deployments (REST defaults); Kubernetes "
    "deployments scale only through TargetUtilization. An autoscale setting without enabled is enabled (REST "
    "default); a profile without capacity or rules cannot scale out.",
    defaults=[D.DEPLOYMENT_SCALE_TYPE_MANAGED, D.DEPLOYMENT_SCALE_TYPE_KUBERNETES, D.DEPLOYMENT_MIN_INSTANCES,
              D.DEPLOYMENT_MAX_INSTANCES, D.AUTOSCALE_ENABLED],
    reads=["properties.endpointComputeType", "properties.scaleSettings.scaleType",
           "properties.scaleSettings.minInstances", "properties.scaleSettings.maxInstances"],
    reads_related={
        AUTOSCALE: ["properties.enabled", "properties.targetResourceUri", "properties.profiles[*].capacity.minimum",
                    "properties.profiles[*].capacity.maximum", "properties.profiles[*].rules[*].scaleAction.direction"],
    },
)
def deployment_autoscale(resource: Resource, ctx: CheckContext) -> Verdict:
    scale, kind = scale_type(resource)
    if v := unresolved(scale, kind):
        return v
    if scale.lower() == "targetutilization":
        lo = read(resource, D.DEPLOYMENT_MIN_INSTANCES)
        hi = read(resource, D.DEPLOYMENT_MAX_INSTANCES)
        if v := unresolved(lo, hi):
            return v
        if int(hi.value) > int(lo.value):
            return passed(f"Scales between {lo.value} and {hi.value} instances", scale, lo, hi)
        return fail(f"TargetUtilization with maxInstances {hi.value} <= minInstances {lo.value}", scale, lo, hi)
    if kind.lower() == "kubernetes":
        return fail("A Kubernetes deployment with fixed capacity (scaleType Default): Azure Monitor autoscale does not "
                    "apply to it", scale, kind)
    settings = ctx.inventory.attached(resource, AUTOSCALE)
    if not settings:
        if ctx.inventory.type_listed(AUTOSCALE, resource):
            return fail("No autoscale setting targets this deployment", scale)
        return unknown("No autoscale setting for this deployment in the input (include "
                       "Microsoft.Insights/autoscalesettings to assess)", scale)
    for s in settings:
        enabled = read(s, D.AUTOSCALE_ENABLED)
        profiles = read(s, "properties.profiles", default=[])
        if v := unresolved(enabled, profiles):
            return v
        if enabled.value is False:
            continue
        for prof in profiles.value if isinstance(profiles.value, list) else []:
            low, high = value_at(prof, "capacity.minimum"), value_at(prof, "capacity.maximum")
            rules = value_at(prof, "rules")
            try:  # minimum and maximum are required by the API: without them the profile cannot grow
                can_grow = int(high) > int(low)
            except (TypeError, ValueError):
                can_grow = False
            out = any(str(value_at(r, "scaleAction.direction") or "").lower() == "increase"
                      for r in (rules if isinstance(rules, list) else []))
            if can_grow and out:
                return passed(f"Autoscale setting {s.name!r} scales {low}..{high}", enabled, profiles)
    return fail("Autoscale settings exist but none is enabled with maximum above minimum and a scale-out rule")


@check(
    id="MLW-PERF-004",
    title="Kubernetes online deployments declare resource requests and limits",
    severity=Severity.LOW,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["DSP-09"],
    remediation="Set properties.containerResourceRequirements.containerResourceRequests and "
    "containerResourceLimits (cpu, memory, and gpu when used) from load-test measurements.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/reference-kubernetes"]),
    rationale="Unbounded containers on a shared cluster starve each other and make latency unpredictable.",
    absent="Absent requirements mean none (the instance type's defaults, if any, apply).",
    reads=["properties.endpointComputeType", "properties.containerResourceRequirements.containerResourceRequests.cpu",
           "properties.containerResourceRequirements.containerResourceRequests.memory",
           "properties.containerResourceRequirements.containerResourceLimits.cpu",
           "properties.containerResourceRequirements.containerResourceLimits.memory"],
)
def k8s_resources(resource: Resource, ctx: CheckContext) -> Verdict:
    kind = endpoint_compute_type(resource)
    if v := unresolved(kind):
        return v
    if kind.lower() != "kubernetes":
        return not_applicable(f"A {kind.value} deployment: Azure sizes the instance", kind)
    base = "properties.containerResourceRequirements"
    seen = [read(resource, f"{base}.{side}.{res}") for side in ("containerResourceRequests", "containerResourceLimits")
            for res in ("cpu", "memory")]
    if v := unresolved(*seen):
        return v
    missing = [s.evidence.path.split(".", 2)[-1] for s in seen if not s.value]
    if missing:
        return fail(f"Not set: {', '.join(missing)}", *seen)
    return passed("CPU and memory requests and limits are set", *seen)


@check(
    id="MLW-REL-005",
    title="Inference does not run on compute instances",
    severity=Severity.HIGH,
    resource_types=[BATCH_DEPLOYMENT, ONLINE_ENDPOINT],
    implements=["AML-REL-05", "PLAT-07"],
    remediation="Run batch deployments on compute clusters and online endpoints on managed compute or an "
    "attached Kubernetes cluster.",
    references=References(docs=["https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"]),
    rationale="Compute instances have no SLA: they are single development machines, stopped on schedules and "
    "restarted for patches.",
    absent="Managed online endpoints have no compute reference and pass.",
    reads=["properties.compute"],
    reads_related={COMPUTE: ["properties.computeType"]},
)
def inference_not_on_instance(resource: Resource, ctx: CheckContext) -> Verdict:
    target = read(resource, "properties.compute")
    if v := unresolved(target):
        return v
    if not target.value:
        if resource.is_type(ONLINE_ENDPOINT):
            return passed("Managed compute (no compute reference)", target)
        return unknown("properties.compute is not in the input", target)
    return compute_instance_verdict(target, ctx, missing="The compute it runs on is not in the scan",
                                    why=", which has no SLA")


@check(
    id="MLW-OPS-009",
    title="Batch endpoint has a valid default deployment",
    severity=Severity.LOW,
    resource_types=[BATCH_ENDPOINT],
    implements=["PLAT-04"],
    remediation="Set properties.defaults.deploymentName to an existing deployment in state Succeeded.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-use-batch-model-deployments"]),
    rationale="Callers that invoke the endpoint without naming a deployment fail when the default is unset or "
    "broken.",
    absent="Absent defaults.deploymentName means no default deployment. The deployment's provisioningState is "
    "read-only: a template (or an input without it) is judged on existence only.",
    reads=["properties.defaults.deploymentName"],
    reads_related={BATCH_DEPLOYMENT: ["properties.provisioningState"]},
)
def batch_default_deployment(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read(resource, "properties.defaults.deploymentName")
    if v := unresolved(seen):
        return v
    if not seen.value:
        return fail("No default deployment", seen)
    deployments = {d.name.lower(): d for d in ctx.inventory.children(resource, BATCH_DEPLOYMENT)}
    if not deployments:
        return unknown("The endpoint's deployments are not in the scan", seen)
    dep = deployments.get(str(seen.value).lower())
    if dep is None:
        return fail(f"Default deployment {seen.value!r} does not exist", seen)
    state = read(dep, "properties.provisioningState")
    if state.value and state.lower() != "succeeded":
        return fail(f"Default deployment {seen.value!r} is {state.value}", seen, state)
    return passed(f"Default deployment {seen.value!r} is ready", seen)


@check(
    id="MLW-COST-007",
    title="Prompt flow deployments serve on CPU sizes, not GPUs",
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["PLAT-15"],
    remediation="Redeploy the flow on a general-purpose CPU instance type (the flow calls models served elsewhere) "
    "and let it scale out; keep GPUs for the model deployments themselves.",
    references=References(docs=[
        "https://learn.microsoft.com/azure/machine-learning/prompt-flow/how-to-deploy-to-code",
        "https://learn.microsoft.com/azure/well-architected/ai/application-platform",
    ]),
    rationale="A deployed flow orchestrates prompts, tools and calls to model endpoints; it does not run a model "
    "itself, so a GPU under it is paid for and idle.",
    absent="A deployment serves a prompt flow when its environmentVariables set PROMPTFLOW_RUN_MODE to 'serving', "
    "which Microsoft's flow deployment instructions require; other deployments are not applicable. Kubernetes "
    "deployments name a Kubernetes instance type, not a VM size, and are not applicable. A managed deployment "
    "without instanceType runs on Standard_F4s_v2 (REST default). Prompt flow compute sessions and runtimes are not "
    "Azure resources and are not seen.",
    defaults=[D.DEPLOYMENT_INSTANCE_TYPE],
    reads=["properties.environmentVariables.*", "properties.endpointComputeType", "properties.instanceType"],
)
def prompt_flow_on_cpu(resource: Resource, ctx: CheckContext) -> Verdict:
    variables = read(resource, "properties.environmentVariables", default={})
    if v := unresolved(variables):
        return v
    values = variables.value if isinstance(variables.value, dict) else {}
    mode = next((val for key, val in values.items() if str(key).upper() == "PROMPTFLOW_RUN_MODE"), None)
    if isinstance(mode, Unresolved):
        return unknown("PROMPTFLOW_RUN_MODE is an unresolved expression", variables)
    if str(mode or "").lower() != "serving":
        return not_applicable("Not a prompt flow deployment (no PROMPTFLOW_RUN_MODE=serving)", variables)
    verdict, size = vm_size(resource)
    if verdict is not None:
        return verdict
    if is_gpu_size(size.value):
        return fail(f"The flow is served on GPU size {size.value}", variables, size)
    return passed(f"The flow is served on CPU size {size.value}", variables, size)
