"""Resource logs, one declaration for every type whose logs the guidance asks to collect: each
check looks for an attached diagnostic setting that sends an enabled log category to a
destination (checklib.diagnostic_logs). Only a live scan lists a resource's diagnostic settings,
so none in an offline input is UNKNOWN, never a FAIL."""

from __future__ import annotations

from mlwaf.check import References, Severity, check_family
from mlwaf.checklib import COGNITIVE, DIAGNOSTIC_READS, ONLINE_ENDPOINT, REGISTRY, WORKSPACE, diagnostic_logs

RESOURCE_LOGS = check_family(
    diagnostic_logs,
    reads_related=DIAGNOSTIC_READS,
    members=[
        dict(
            id="MLW-OPS-003",
            title="Workspace resource logs are collected",
            severity=Severity.MEDIUM,
            resource_types=[WORKSPACE],
            implements=["AML-OPS-07"],
            remediation="Add a diagnostic setting (Microsoft.Insights/diagnosticSettings scoped to the workspace) with "
            "categoryGroup 'allLogs' or 'audit' enabled, sent to Log Analytics.",
            references=References(
                docs=["https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning"],
                azure_policy=["afe0c3be-ba3b-4544-ba52-0c99672a8ad6"],
            ),
            rationale="Resource logs reconstruct who did what in the workspace during incidents and audits.",
            absent="Diagnostic settings are separate extension resources; a workspace export or REST GET never "
            "includes them, so none in an offline input is UNKNOWN (a live scan lists them and fails on none).",
            args={"what": "workspace"},
        ),
        dict(
            id="MLW-OPS-007",
            title="Online endpoint logs are collected",
            severity=Severity.MEDIUM,
            resource_types=[ONLINE_ENDPOINT],
            implements=["PLAT-13"],
            remediation="Add a diagnostic setting on the endpoint with categoryGroup 'allLogs' enabled (traffic, "
            "console and event logs) sent to Log Analytics.",
            references=References(
                docs=["https://learn.microsoft.com/azure/machine-learning/how-to-monitor-online-endpoints"],
                azure_policy=["5cfb9e8a-2f13-40bd-a527-c89bc596d299"],
            ),
            rationale="Endpoint traffic and console logs are what you troubleshoot scoring failures with.",
            absent="Diagnostic settings are separate extension resources: none in an offline input is UNKNOWN; a live "
            "scan lists them and fails on none.",
            args={"what": "online endpoint"},
        ),
        dict(
            id="MLW-OPS-010",
            title="Registry resource logs are collected",
            severity=Severity.LOW,
            resource_types=[REGISTRY],
            implements=["AML-OPS-07"],
            remediation="Add a diagnostic setting on the registry with categoryGroup 'allLogs' or 'audit' enabled.",
            references=References(
                docs=["https://learn.microsoft.com/azure/machine-learning/monitor-azure-machine-learning"],
                azure_policy=["33835ef6-bc67-4bde-bf5f-5a857f195a57"],
            ),
            rationale="An audit trail of who read and wrote shared models and environments.",
            absent="Diagnostic settings are separate extension resources: none in an offline input is UNKNOWN; a live "
            "scan fails on none.",
            args={"what": "registry"},
        ),
        dict(
            id="MLW-OPS-012",
            title="AI services account resource logs are collected",
            severity=Severity.LOW,
            resource_types=[COGNITIVE],
            implements=["PLAT-13"],
            remediation="Add a diagnostic setting on the account with categoryGroup 'allLogs' (or 'audit') enabled.",
            references=References(
                docs=["https://learn.microsoft.com/azure/ai-services/diagnostic-logging"],
                azure_policy=["1b4d1c4e-934c-4703-944c-27c82c06bebb"],
            ),
            rationale="An audit trail of model calls behind hubs and projects, for abuse and incident analysis.",
            absent="Diagnostic settings are separate extension resources: none in an offline input is UNKNOWN; a live "
            "scan fails on none.",
            differs="Azure Policy 1b4d1c4e is satisfied by any diagnostic setting that lists logs, enabled or not; "
            "this check needs an enabled log category and a destination.",
            args={"what": "AI services account"},
        ),
    ],
)
