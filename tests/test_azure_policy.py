"""The policies assigned in Azure, evaluated by mlwaf on what a live scan read, and held against
Azure's compliance states: management-group scope, current aliases, every kind of disagreement."""

from __future__ import annotations

import datetime as dt

from mlwaf import azure_policy, azure_says
from mlwaf.inventory import Inventory, type_listing
from mlwaf.policy.results import State
from tests.arm import WS, resource

SUB_A = "aaaaaaaa-0000-4000-8000-00000000000a"
SUB_B = "bbbbbbbb-0000-4000-8000-00000000000b"
MG = "/providers/Microsoft.Management/managementGroups"
AUTH = "providers/Microsoft.Authorization"
CLOCK = lambda: dt.datetime(2026, 6, 1, tzinfo=dt.UTC)  # noqa: E731


def _subscription(sid: str, *groups: str):
    return resource("microsoft.resources/subscriptions", sid, {"managementGroupAncestorsChain": [
        {"name": g, "displayName": g} for g in groups]}, rid=f"/subscriptions/{sid}", subscriptionId=sid)


def _definition(name: str, scope: str, condition: dict):
    return resource("Microsoft.Authorization/policyDefinitions", name, {
        "displayName": name, "policyType": "Custom", "mode": "Indexed", "parameters": {},
        "policyRule": {"if": {"allOf": [{"field": "type", "equals": WS}, condition]}, "then": {"effect": "audit"}}},
        rid=f"{scope}/{AUTH}/policyDefinitions/{name}")


def _assignment(name: str, scope: str, definition_id: str):
    return resource("Microsoft.Authorization/policyAssignments", name, {
        "displayName": name, "scope": scope, "policyDefinitionId": definition_id, "notScopes": [],
        "enforcementMode": "Default"}, rid=f"{scope}/{AUTH}/policyAssignments/{name}")


def _workspace(sid: str, name: str, **tags: str):
    return resource(WS, name, {"publicNetworkAccess": "Disabled"}, subscription=sid, tags=tags, location="westeurope")


def test_an_assignment_at_a_management_group_applies_below_it_only():
    definition = _definition("cost-tag", f"{MG}/mg-a", {"field": "tags['cost-center']", "exists": "false"})
    resources = [
        _subscription(SUB_A, "mg-a", "root"), _subscription(SUB_B, "mg-b", "root"),
        definition, _assignment("cost-tag", f"{MG}/mg-a", definition.id),
        _workspace(SUB_A, "in-a"), _workspace(SUB_B, "in-b"),
    ]
    report = azure_policy.evaluate(resources, Inventory(resources), clock=CLOCK)
    assert report.errors == []
    assert [(r.resource.name, r.state) for r in report.results] == [("in-a", State.NONCOMPLIANT)]
    # An assignment at the root group (every subscription below it) reaches both.
    root = _assignment("root-tag", f"{MG}/root", definition.id)
    report = azure_policy.evaluate([*resources, root], Inventory([*resources, root]), clock=CLOCK)
    assert sorted((r.assignment, r.resource.name) for r in report.results) == [
        ("cost-tag", "in-a"), ("root-tag", "in-a"), ("root-tag", "in-b")]


def test_unassigned_definitions_are_not_evaluated_live():
    definition = _definition("cost-tag", f"/subscriptions/{SUB_A}", {"field": "tags['cost-center']", "exists": "false"})
    resources = [definition, _workspace(SUB_A, "ws")]
    report = azure_policy.evaluate(resources, Inventory(resources), clock=CLOCK)
    assert report.assignments == [] and report.results == []


def test_aliases_azure_serves_now_evaluate_a_custom_definition():
    alias = "Microsoft.MachineLearningServices/workspaces/brandNewSetting"
    definition = _definition("new-setting", f"/subscriptions/{SUB_A}", {"field": alias, "notEquals": "On"})
    scope = f"/subscriptions/{SUB_A}"
    ws = _workspace(SUB_A, "ws")
    base = [definition, _assignment("new-setting", scope, definition.id), ws]
    without = azure_policy.evaluate(base, Inventory(base), clock=CLOCK)
    assert without.results == [] and alias.lower() in str([n.reason for n in without.not_evaluated]).lower()
    provider = resource("Microsoft.Resources/providers", "Microsoft.MachineLearningServices", {
        "namespace": "Microsoft.MachineLearningServices", "resourceTypes": [{
            "resourceType": "workspaces", "aliases": [{
                "name": alias, "paths": [{"path": "properties.brandNewSetting", "apiVersions": ["2026-01-01"]}],
                "defaultPath": "properties.brandNewSetting"}]}]}, rid="/providers/Microsoft.MachineLearningServices")
    live = [*base, provider]
    report = azure_policy.evaluate(live, Inventory(live), clock=CLOCK)
    assert [(r.resource.name, r.state) for r in report.results] == [("ws", State.NONCOMPLIANT)]
    # The shipped aliases of the namespace still resolve beside the live ones.
    table = azure_policy.alias_table(live)
    assert table.resolve("Microsoft.MachineLearningServices/workspaces/publicNetworkAccess", WS) == (
        "properties.publicNetworkAccess")


def _state(target, assignment, definition_id: str, state: str):
    name = f"{target.name}-{assignment.name}"
    return resource("Microsoft.PolicyInsights/policyStates", name, {
        "resourceId": target.id, "policyAssignmentId": assignment.id.lower(),
        "policyDefinitionId": definition_id.lower(),
        "policyDefinitionReferenceId": "", "complianceState": state, "timestamp": "2026-05-30T03:00:00Z"},
        rid=f"{target.id}/providers/Microsoft.PolicyInsights/policyStates/{name}")


def test_every_disagreement_with_azure_is_reported():
    scope = f"/subscriptions/{SUB_A}"
    tagged = _definition("cost-tag", scope, {"field": "tags['cost-center']", "exists": "false"})
    runtime = resource("Microsoft.Authorization/policyDefinitions", "vm-guest", {
        "displayName": "guest configuration", "policyType": "Custom", "mode": "Microsoft.Kubernetes.Data",
        "parameters": {}, "policyRule": {"if": {"field": "type", "equals": WS}, "then": {"effect": "audit"}}},
        rid=f"{scope}/{AUTH}/policyDefinitions/vm-guest")
    logs = resource("Microsoft.Authorization/policyDefinitions", "logs", {
        "displayName": "logs", "policyType": "Custom", "mode": "Indexed", "parameters": {},
        "policyRule": {"if": {"field": "type", "equals": WS}, "then": {"effect": "auditIfNotExists", "details": {
            "type": "Microsoft.Insights/diagnosticSettings"}}}}, rid=f"{scope}/{AUTH}/policyDefinitions/logs")
    tags_assignment = _assignment("cost-tag", scope, tagged.id)
    runtime_assignment = _assignment("vm-guest", scope, runtime.id)
    logs_assignment = _assignment("logs", scope, logs.id)
    agree, stale, new, unseen = (_workspace(SUB_A, n) for n in ("agree", "stale", "new", "unseen"))
    tagged_ok = _workspace(SUB_A, "tagged", **{"cost-center": "cc1"})
    resources = [tagged, runtime, logs, tags_assignment, runtime_assignment, logs_assignment, agree, stale, new,
                 unseen, tagged_ok, _state(tagged_ok, logs_assignment, logs.id, "Compliant"),
                 _state(agree, tags_assignment, tagged.id, "NonCompliant"),
                 _state(stale, tags_assignment, tagged.id, "Compliant"),
                 _state(tagged_ok, tags_assignment, tagged.id, "Compliant"),
                 _state(agree, runtime_assignment, runtime.id, "NonCompliant"),
                 # a state of an assignment the scan did not read: not compared
                 _state(agree, _assignment("elsewhere", f"/subscriptions/{SUB_B}", tagged.id), tagged.id, "Compliant")]
    listed = [type_listing(SUB_A, azure_says.POLICY_STATES)]
    inventory = Inventory(resources, listed)
    report = azure_policy.evaluate(resources, inventory, clock=CLOCK)
    said = azure_says.read(resources, resources)
    got = azure_policy.compare(report, said, inventory)
    assert got.agree == 2  # agree and tagged_ok
    kinds = {(d.resource_id.rsplit("/", 1)[-1], d.kind): d for d in got.disagreements}
    assert set(kinds) == {("stale", azure_policy.STATES_DIFFER), ("agree", azure_policy.MLWAF_NO_RESULT),
                          ("new", azure_policy.AZURE_NO_STATE), ("unseen", azure_policy.AZURE_NO_STATE),
                          ("tagged", azure_policy.MLWAF_UNDECIDED)}
    # The diagnostic settings were not listed: mlwaf cannot say whether one exists.
    assert "diagnosticsettings" in kinds[("tagged", azure_policy.MLWAF_UNDECIDED)].why.lower()
    differ = kinds[("stale", azure_policy.STATES_DIFFER)]
    assert (differ.azure, differ.mlwaf, differ.azure_at) == ("Compliant", "NonCompliant", "2026-05-30T03:00:00Z")
    assert "Microsoft.Kubernetes.Data" in kinds[("agree", azure_policy.MLWAF_NO_RESULT)].why
    assert got.to_dict()["disagree"] == 5
    # Where Azure's states were not read in full, their absence says nothing.
    partial = Inventory(resources)
    assert {d.kind for d in azure_policy.compare(report, said, partial).disagreements} == {
        azure_policy.STATES_DIFFER, azure_policy.MLWAF_NO_RESULT, azure_policy.MLWAF_UNDECIDED}
