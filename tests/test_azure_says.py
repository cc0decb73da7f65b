"""Azure's own verdicts (policy states, Advisor, Defender) read from the shapes people export, and
joined to the scanned resources: `az policy state list` (flat, no id or type), `az advisor
recommendation list` (flat properties), Resource Graph rows and REST lists (nested)."""

from __future__ import annotations

import json

from mlwaf import azure_says
from mlwaf.model import Pillar
from mlwaf.sources import read_paths
from tests.arm import RG, SUB, WS, body

WS_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{WS}/mlw"
OTHER = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vnet"
ASSIGNMENT = f"/subscriptions/{SUB}/providers/microsoft.authorization/policyassignments/ml-public"
BUILTIN = "/providers/microsoft.authorization/policydefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce"


def _state(resource_id: str, state: str, reference: str = "") -> dict:
    """A PolicyState as `az policy state list` prints it (Microsoft Learn, "Get compliance data of
    Azure resources": the Azure CLI example's keys)."""
    return {
        "complianceReasonCode": "", "complianceState": state, "effectiveParameters": "",
        "isCompliant": state == "Compliant", "managementGroupIds": "mg-ml",
        "odatacontext": f"https://management.azure.com/subscriptions/{SUB}/providers/Microsoft.PolicyInsights/"
                        "policyStates/$metadata#latest/$entity",
        "odataid": None, "policyAssignmentId": ASSIGNMENT, "policyAssignmentName": "ml-public",
        "policyAssignmentOwner": "tbd", "policyAssignmentParameters": "",
        "policyAssignmentScope": f"/subscriptions/{SUB}",
        "policyAssignmentVersion": "", "policyDefinitionAction": "audit", "policyDefinitionCategory": "tbd",
        "policyDefinitionGroupNames": [""], "policyDefinitionId": BUILTIN,
        "policyDefinitionName": "438c38d2-3772-465a-a9cc-7a6666a275ce", "policyDefinitionReferenceId": reference,
        "policyDefinitionVersion": "", "policyEvaluationDetails": None, "policySetDefinitionCategory": "",
        "policySetDefinitionId": "", "policySetDefinitionName": "", "policySetDefinitionOwner": "",
        "policySetDefinitionParameters": "", "policySetDefinitionVersion": "", "resourceGroup": RG,
        "resourceId": resource_id, "resourceLocation": "westeurope", "resourceTags": "tbd",
        "resourceType": WS if resource_id == WS_ID else "Microsoft.Network/virtualNetworks",
        "subscriptionId": SUB, "timestamp": "2026-05-02T03:04:05.901911+00:00",
    }


def _advisor_flat(resource_id: str, category: str) -> dict:
    """`az advisor recommendation list`: the SDK flattens `properties` into the item."""
    return {
        "category": category, "extendedProperties": {}, "id": f"{resource_id}/providers/Microsoft.Advisor/"
        "recommendations/1f1b2c3d-0000-4000-8000-000000000001", "impact": "High",
        "impactedField": WS, "impactedValue": "mlw", "lastUpdated": "2026-05-01T08:00:00Z", "metadata": None,
        "name": "1f1b2c3d-0000-4000-8000-000000000001", "recommendationTypeId": "a9b2c3d4-0000-4000-8000-0000000000aa",
        "resourceGroup": RG, "resourceMetadata": {"resourceId": resource_id, "source": None}, "risk": "Warning",
        "shortDescription": {"problem": "Use private link for the workspace",
                             "solution": "Use private link for the workspace"},
        "suppressionIds": None, "type": "Microsoft.Advisor/recommendations",
    }


def _assessment(code: str, severity: str) -> dict:
    """A Defender for Cloud assessment as the REST list (and Resource Graph) return it."""
    return {"id": f"{WS_ID}/providers/Microsoft.Security/assessments/a1", "name": "a1",
            "type": "Microsoft.Security/assessments",
            "properties": {"displayName": "Azure Machine Learning workspaces should disable public network access",
                           "status": {"code": code}, "resourceDetails": {"Source": "Azure", "Id": WS_ID},
                           "metadata": {"severity": severity, "assessmentType": "BuiltIn"}}}


def _scan(tmp_path, **files):
    for name, doc in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    got = read_paths([tmp_path])
    assert got.errors == []
    return got.resources


def test_az_exports_are_read_and_joined_to_the_resource(tmp_path):
    workspace = body(WS, "mlw", {"publicNetworkAccess": "Enabled"}, location="westeurope")
    resources = _scan(
        tmp_path, workspace=workspace,
        states=[_state(WS_ID, "NonCompliant"), _state(OTHER, "Compliant")],
        advisor=[_advisor_flat(WS_ID, "HighAvailability")],
        defender={"value": [_assessment("Unhealthy", "High")]},
    )
    states = [r for r in resources if r.type_key == azure_says.POLICY_STATES]
    assert len(states) == 2 and all(r.id.lower().startswith(r.properties["resourceId"].lower()) for r in states)
    scanned = [r for r in resources if r.type_key == WS.lower()]
    said = azure_says.read(resources, scanned)
    assert said.outside == 1  # the virtual network's state: not a scanned resource
    ws = scanned[0]
    by_source = {v.source: v for v in said.about(ws)}
    policy = by_source[azure_says.POLICY]
    assert (policy.state, policy.problem, policy.at) == ("NonCompliant", True, "2026-05-02T03:04:05.901911+00:00")
    assert policy.policy == azure_says.PolicyKey.of(ASSIGNMENT, BUILTIN, "")
    assert by_source[azure_says.ADVISOR_SOURCE].pillar is Pillar.RELIABILITY
    assert by_source[azure_says.ADVISOR_SOURCE].title == "Use private link for the workspace"
    assert (by_source[azure_says.DEFENDER_SOURCE].state, by_source[azure_says.DEFENDER_SOURCE].severity) == (
        "Unhealthy", "High")
    # Filters: a check of the security pillar citing the built-in sees the state and Defender only.
    seen = said.about(ws, pillar=Pillar.SECURITY, policies=["438C38D2-3772-465A-A9CC-7A6666A275CE"])
    assert {v.source for v in seen} == {azure_says.POLICY, azure_says.DEFENDER_SOURCE}
    assert said.about(ws, policies=["00000000-0000-0000-0000-000000000000"], pillar=Pillar.RELIABILITY) == [
        by_source[azure_says.ADVISOR_SOURCE]]
    assert said.to_dict()["summary"] == {"Azure Policy": {"NonCompliant": 1}, "Advisor": {"Recommended": 1},
                                         "Defender for Cloud": {"Unhealthy": 1}}


def test_a_policy_state_has_one_identity_per_assignment_definition_and_reference(tmp_path):
    resources = _scan(tmp_path, a=[_state(WS_ID, "Compliant"), _state(WS_ID, "Compliant", "member-1")],
                      b=[_state(WS_ID, "Compliant")])
    ids = [r.key for r in resources]
    assert len(ids) == 3 and len(set(ids)) == 2  # the same state exported twice is one resource read twice


def test_the_rest_query_results_page_reads_like_the_az_output(tmp_path):
    page = {"@odata.context": "https://management.azure.com/...$metadata#latest", "@odata.count": 1,
            "value": [{"@odata.id": None, **{k: v for k, v in _state(WS_ID, "NonCompliant").items()
                                            if not k.startswith("odata")}}]}
    resources = _scan(tmp_path, page=page, workspace=body(WS, "mlw", {}))
    said = azure_says.read(resources, [r for r in resources if r.type_key == WS.lower()])
    assert [v.state for v in said.verdicts] == ["NonCompliant"]


def test_is_compliant_alone_gives_the_state():
    from mlwaf.sources import azure_facts
    from tests.arm import resource

    item = {k: v for k, v in _state(WS_ID, "Compliant").items() if k != "complianceState"}
    obj = azure_facts.policy_state(item)
    fact = resource(obj["type"], obj["name"], rid=obj["id"], properties=obj["properties"])
    assert azure_says.policy_state(fact).state == "Compliant"
