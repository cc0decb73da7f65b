"""Online endpoints and their deployments (managed and Kubernetes)."""

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
    unknown,
    unresolved,
)
from mlwaf.checklib import ONLINE_DEPLOYMENT, ONLINE_ENDPOINT, reads

ENDPOINT_AUTH = "https://learn.microsoft.com/azure/machine-learning/concept-endpoints-online-auth"


@check(
    id="MLW-SEC-020",
    title="Online endpoint authenticates with Microsoft Entra ID tokens, not keys",
    pillar=Pillar.SECURITY,
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_ENDPOINT],
    implements=["PLAT-12"],
    remediation="Set properties.authMode to 'AADToken' (Entra ID) rather than 'Key'.",
    references=References(docs=[ENDPOINT_AUTH]),
    rationale="Keys never expire and are shared; Entra ID tokens are short-lived and tied to an "
    "identity with RBAC.",
    defaults="authMode is required by the API; when absent the verdict is UNKNOWN.",
)
@reads("properties.authMode")
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
    return unknown("authMode is not set in the input", seen)


@check(
    id="MLW-REL-001",
    title="Online deployment runs more than one instance",
    pillar=Pillar.RELIABILITY,
    severity=Severity.HIGH,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-REL-02"],
    remediation="Set sku.capacity (managed deployments with Default scale) or "
    "properties.scaleSettings.minInstances (TargetUtilization) to at least the configured minimum "
    "(default 3, so an update or a node failure leaves capacity).",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-deploy-online-endpoints"],
    ),
    params={"min_instances": "minimum instance count for a pass (default 3; 2 is reported as a fail)"},
    rationale="A single instance is a single point of failure; Azure ML reserves extra capacity for "
    "upgrades, and at least three instances survive a node loss.",
    defaults="Absent sku.capacity means 1 instance (API default for managed deployments).",
)
@reads("properties.scaleSettings.scaleType", "properties.scaleSettings.minInstances", "sku.capacity")
def deployment_instance_count(resource: Resource, ctx: CheckContext) -> Verdict:
    minimum = int(ctx.params.get("min_instances", 3))
    scale_type = read(resource, "properties.scaleSettings.scaleType", default="Default")
    if v := unresolved(scale_type):
        return v
    if scale_type.lower() == "targetutilization":
        seen = read(resource, "properties.scaleSettings.minInstances", default=1)
    else:
        seen = read(resource, "sku.capacity", default=1)
    if v := unresolved(seen):
        return v
    try:
        count = int(seen.value)
    except (TypeError, ValueError):
        return fail(f"Instance count is not a number: {seen.value!r}", seen)
    if count >= minimum:
        return passed(f"{count} instances (minimum {minimum})", seen)
    return fail(f"{count} instance(s), fewer than {minimum}", seen, scale_type)


@check(
    id="MLW-OPS-001",
    title="Online deployment sends telemetry to Application Insights",
    pillar=Pillar.OPERATIONAL_EXCELLENCE,
    severity=Severity.MEDIUM,
    resource_types=[ONLINE_DEPLOYMENT],
    implements=["AML-OPS-06", "AML-PERF-04", "PLAT-13"],
    remediation="Set properties.appInsightsEnabled to true.",
    references=References(
        docs=["https://learn.microsoft.com/azure/machine-learning/how-to-monitor-online-endpoints"],
    ),
    rationale="Without request telemetry, failures and latency regressions of a model go unseen.",
    defaults="Absent appInsightsEnabled means false (API default).",
)
@reads("properties.appInsightsEnabled")
def deployment_app_insights(resource: Resource, ctx: CheckContext) -> Verdict:
    seen = read(resource, "properties.appInsightsEnabled", default=False)
    if v := unresolved(seen):
        return v
    if seen.value is True:
        return passed("Application Insights telemetry is enabled", seen)
    return fail("Application Insights telemetry is disabled", seen)
