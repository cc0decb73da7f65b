"""People's own policies in the shapes they keep them: az CLI output, REST lists, portal exports
and the azure-policy repository layout, EPAC folders, and policy resources in templates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlwaf.inventory import Inventory
from mlwaf.policy import api, loaders
from tests.policy.helpers import SUB, WS, resource

RULE = {
    "if": {
        "allOf": [
            {"field": "type", "equals": WS},
            {"field": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess", "notEquals": "Disabled"},
        ]
    },
    "then": {"effect": "[parameters('effect')]"},
}
PARAMS = {"effect": {"type": "String", "defaultValue": "Audit", "allowedValues": ["Audit", "Deny", "Disabled"]}}
MG = "/providers/Microsoft.Management/managementGroups/contoso"


def az_definition(name="deny-aml-pna"):
    """`az policy definition show` prints the properties flat, beside id and name."""
    return {
        "description": "Deny public AML workspaces",
        "displayName": "Deny public AML workspaces",
        "id": f"{MG}/providers/Microsoft.Authorization/policyDefinitions/{name}",
        "metadata": {"category": "Machine Learning", "createdBy": "x"},
        "mode": "Indexed",
        "name": name,
        "parameters": PARAMS,
        "policyRule": RULE,
        "policyType": "Custom",
        "systemData": {"createdAt": "2025-01-01T00:00:00Z"},
        "type": "Microsoft.Authorization/policyDefinitions",
        "version": "1.0.0",
    }


def az_assignment(definition_id, name="aml-pna", **extra):
    return {
        "description": None,
        "displayName": "AML public network",
        "enforcementMode": "Default",
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/{name}",
        "identity": None,
        "location": None,
        "metadata": {"assignedBy": "someone"},
        "name": name,
        "nonComplianceMessages": None,
        "notScopes": [],
        "parameters": {"effect": {"value": "Deny"}},
        "policyDefinitionId": definition_id,
        "resourceGroup": None,
        "scope": f"/subscriptions/{SUB}",
        "type": "Microsoft.Authorization/policyAssignments",
        **extra,
    }


def evaluate(tmp_path, files, resources):
    for name, doc in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    inputs = api.build_inputs(policy_paths=[tmp_path])
    return inputs, api.run(inputs, Inventory(resources))


def ws(pna="Enabled", **kw):
    return resource(WS, "ws1", {"publicNetworkAccess": pna}, location="westeurope", **kw)


def test_az_cli_definition_and_assignment_list(tmp_path):
    d = az_definition()
    inputs, report = evaluate(tmp_path, {"def.json": d, "assignments.json": [az_assignment(d["id"])]}, [ws()])
    assert inputs.errors == [] and [a.name for a in inputs.assignments] == ["aml-pna"]
    (r,) = report.results
    assert (r.state.value, r.effect, r.would, r.definition_name) == ("NonCompliant", "Deny", "deny", "deny-aml-pna")


def test_rest_list_of_definitions_and_a_set_whose_members_use_management_group_ids(tmp_path):
    nested = {"id": az_definition()["id"], "name": "deny-aml-pna", "type": "Microsoft.Authorization/policyDefinitions"}
    nested["properties"] = {k: v for k, v in az_definition().items() if k not in ("id", "name", "type")}
    other_mg = (
        "/providers/Microsoft.Management/managementGroups/elsewhere"
        "/providers/Microsoft.Authorization/policyDefinitions/deny-aml-pna"
    )
    initiative = {
        "id": f"{MG}/providers/Microsoft.Authorization/policySetDefinitions/aml",
        "name": "aml",
        "type": "Microsoft.Authorization/policySetDefinitions",
        "properties": {
            "displayName": "AML",
            "policyDefinitions": [{"policyDefinitionId": other_mg, "policyDefinitionReferenceId": "pna"}],
        },
    }
    files = {"defs.json": {"value": [nested]}, "set.json": initiative}
    inputs, report = evaluate(tmp_path, files, [ws()])
    # No assignment among the inputs: the initiative is assigned implicitly, its member
    # (referenced under another management group) found by name, not assigned twice.
    assert [(a.name, a.definition_id) for a in inputs.assignments] == [("aml", initiative["id"])]
    assert [(r.reference_id, r.state.value) for r in report.results] == [("pna", "NonCompliant")]


def test_azure_policy_repository_layouts(tmp_path):
    whole = {
        "name": "whole",
        "properties": {"displayName": "whole", "mode": "All", "parameters": PARAMS, "policyRule": RULE},
    }
    files = {
        "policies/whole/azurepolicy.json": whole,
        "policies/split-one/azurepolicy.rules.json": RULE,
        "policies/split-one/azurepolicy.parameters.json": PARAMS,
        "initiatives/aml-set/policyset.definitions.json": [
            {
                "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/split-one",
                "policyDefinitionReferenceId": "s1",
            }
        ],
        "initiatives/aml-set/policyset.parameters.json": {},
    }
    inputs, report = evaluate(tmp_path, files, [ws()])
    assert inputs.errors == []
    assert sorted(a.name for a in inputs.assignments) == ["aml-set", "whole"]
    assert sorted((r.assignment, r.definition_name) for r in report.results) == [
        ("aml-set", "split-one"),
        ("whole", "whole"),
    ]


EPAC_DEF = """{
  // EPAC: JSON with comments and trailing commas
  "$schema": "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-definition-schema.json",
  "name": "Deny-AML-PNA",
  "properties": {
    "displayName": "Deny public AML workspaces",
    "mode": "Indexed",
    "parameters": {
      "effect": {"type": "String", "defaultValue": "Audit", "allowedValues": ["Audit", "Deny", "Disabled"],},
    },
    "policyRule": %s,
  },
}"""
EPAC_SET = {
    "name": "AML-Guardrails",
    "properties": {
        "displayName": "AML guardrails",
        "parameters": {"effect": {"type": "String", "defaultValue": "Audit"}},
        "policyDefinitions": [
            {
                "policyDefinitionName": "Deny-AML-PNA",
                "policyDefinitionReferenceId": "pna",
                "parameters": {"effect": {"value": "[parameters('effect')]"}},
            }
        ],
    },
}
EPAC_ASSIGNMENT = {
    "$schema": "https://raw.githubusercontent.com/Azure/enterprise-azure-policy-as-code/main/Schemas/policy-assignment-schema.json",
    "nodeName": "/Security/",
    "scope": {"tenant1": [MG]},
    "definitionEntry": {"policySetName": "AML-Guardrails", "displayName": "AML guardrails"},
    "children": [
        {
            "nodeName": "prod",
            "assignment": {"name": "aml-prod", "displayName": "AML (prod)"},
            "parameters": {"effect": "Deny"},
        },
        {
            "nodeName": "dev",
            "assignment": {"name": "aml-dev", "displayName": "AML (dev)"},
            "enforcementMode": "DoNotEnforce",
            "parameters": {"effect": "Deny"},
        },
    ],
}


def test_epac_folders(tmp_path):
    files = {
        "Definitions/global-settings.jsonc": '{"pacEnvironments": []}',
        "Definitions/policyDefinitions/aml/deny-pna.jsonc": EPAC_DEF % json.dumps(RULE),
        "Definitions/policySetDefinitions/aml-guardrails.jsonc": EPAC_SET,
        "Definitions/policyAssignments/aml.jsonc": EPAC_ASSIGNMENT,
    }
    inputs, report = evaluate(tmp_path, files, [ws()])
    assert inputs.errors == []
    assert inputs.skipped and "global settings" in inputs.skipped[0][1]
    assert [(a.name, a.enforcement_mode, dict(a.parameters)) for a in inputs.assignments] == [
        ("aml-prod", "Default", {"effect": "Deny"}),
        ("aml-dev", "DoNotEnforce", {"effect": "Deny"}),
    ]
    assert sorted((r.assignment, r.would) for r in report.results) == [("aml-dev", "audit"), ("aml-prod", "deny")]


def test_policy_resources_in_a_template_with_expressions_and_escapes(tmp_path):
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"effect": {"type": "string", "defaultValue": "Deny"}},
        "variables": {"defName": "deny-aml-pna"},
        "resources": [
            {
                "type": "Microsoft.Authorization/policyDefinitions",
                "apiVersion": "2021-06-01",
                "name": "[variables('defName')]",
                "properties": {
                    "displayName": "Deny public AML workspaces",
                    "mode": "Indexed",
                    "parameters": PARAMS,
                    "policyRule": {**RULE, "then": {"effect": "[[parameters('effect')]"}},
                },
            },
            {
                "type": "Microsoft.Authorization/policyAssignments",
                "apiVersion": "2022-06-01",
                "name": "aml-pna",
                "properties": {
                    "policyDefinitionId": (
                        "[subscriptionResourceId('Microsoft.Authorization/policyDefinitions', variables('defName'))]"
                    ),
                    "parameters": {"effect": {"value": "[parameters('effect')]"}},
                },
            },
        ],
    }
    workload = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": WS, "apiVersion": "2024-04-01", "name": "ws1", "location": "westeurope", "properties": {}}
        ],
    }
    from mlwaf.sources import read_paths

    (tmp_path / "policy.json").write_text(json.dumps(template))
    (tmp_path / "workload.json").write_text(json.dumps(workload))
    source = read_paths([tmp_path])
    inputs = api.build_inputs(resources=source.resources)
    report = api.run(inputs, Inventory(source.resources))
    assert inputs.errors == []
    (r,) = report.results
    assert (r.assignment, r.state.value, r.would, r.request) == ("aml-pna", "NonCompliant", "deny", True)


def test_exemptions_from_az_and_epac_wrappers(tmp_path):
    d = az_definition()
    a = az_assignment(d["id"])
    exemption = {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg1/providers/Microsoft.Authorization/policyExemptions/sandbox",
        "name": "sandbox",
        "type": "Microsoft.Authorization/policyExemptions",
        "displayName": "Sandbox",
        "exemptionCategory": "Waiver",
        "expiresOn": None,
        "policyAssignmentId": a["id"],
        "policyDefinitionReferenceIds": None,
    }
    inputs, report = evaluate(tmp_path, {"d.json": d, "a.json": a, "exemptions.json": [exemption]}, [ws()])
    assert [e.scope for e in inputs.exemptions] == [f"/subscriptions/{SUB}/resourceGroups/rg1"]
    assert [r.state.value for r in report.results] == ["Exempt"]


@pytest.mark.parametrize(
    ("content", "pointer", "message"),
    [
        ("{not json", "", "not JSON"),
        (
            {"name": "x", "properties": {"mode": "All", "policyRule": {"if": {}}}},
            "/properties/policyRule",
            "'if' and 'then'",
        ),
        (
            {"name": "x", "properties": {"policyRule": RULE, "parameters": {"effect": {"type": "Text"}}}},
            "/properties/parameters/effect/type",
            "Azure allows",
        ),
        ([{"hello": "world"}], "/0", "not a policy definition"),
        (
            {"name": "a", "properties": {"policyDefinitionId": "/x", "enforcementMode": "Sometimes"}},
            "/properties/enforcementMode",
            "Default or DoNotEnforce",
        ),
    ],
)
def test_a_bad_policy_file_is_an_input_error_with_file_and_pointer(tmp_path, content, pointer, message):
    p = tmp_path / "bad.json"
    p.write_text(content if isinstance(content, str) else json.dumps(content))
    loaded = loaders.load([p])
    (err,) = loaded.errors
    assert err.path == str(p) and message in err.message
    if pointer:
        assert f"(at {pointer})" in err.message


def test_a_member_that_names_no_loaded_definition_is_an_input_error(tmp_path):
    initiative = dict(EPAC_SET, name="broken")
    _, report = evaluate(tmp_path, {"set.json": initiative}, [ws()])
    assert report.results == []
    assert any("no definition named 'Deny-AML-PNA'" in e.message for e in report.errors)


def test_policy_sets_and_the_default_assignment():
    default = api.build_inputs()
    assert [a.name for a in default.assignments] == ["mlwaf-default"]
    assert any("needs a value for" in n.reason for n in default.not_evaluated)
    mcsb = api.build_inputs(policy_sets=["Microsoft cloud security benchmark"])
    assert [a.definition_id.rsplit("/", 1)[-1] for a in mcsb.assignments] == ["1f3afdf9-d0c9-4c3d-847f-89da613e70a8"]
    by_guid = api.build_inputs(policy_sets=["1f3afdf9-d0c9-4c3d-847f-89da613e70a8"])
    assert by_guid.assignments[0].definition_id == mcsb.assignments[0].definition_id
    unknown = api.build_inputs(policy_sets=["microsoft cloud security"])
    assert unknown.assignments == [] and "did you mean" in unknown.errors[0].message


def test_the_default_assignment_on_the_sample_estate(sample_estate):
    from mlwaf.sources import read_paths

    source = read_paths([sample_estate])
    report = api.run(api.build_inputs(resources=source.resources), Inventory(source.resources, source.listed))
    assert report.errors == [] and report.results
    assert {r.assignment for r in report.results} == {"mlwaf-default"}
    assert all(r.category in ("Machine Learning", "Azure Ai Services", "Cognitive Services") for r in report.results)


def test_the_shipped_suites_are_valid_policy_inputs(tmp_path):
    shutil.copytree(Path(__file__).parent / "builtins" / "afe0c3be-workspace-resource-logs", tmp_path / "s")
    loaded = loaders.load([tmp_path / "s" / "assignment.json"])
    assert loaded.errors == [] and len(loaded.assignments) == 1


def test_az_set_definition_show_is_flat(tmp_path):
    d = az_definition()
    flat_set = {
        "description": None,
        "displayName": "AML set",
        "id": f"{MG}/providers/Microsoft.Authorization/policySetDefinitions/aml-set",
        "metadata": {"category": "Machine Learning"},
        "name": "aml-set",
        "parameters": {"effect": {"type": "String", "defaultValue": "Deny"}},
        "policyDefinitionGroups": None,
        "policyDefinitions": [
            {
                "groupNames": None,
                "parameters": {"effect": {"value": "[parameters('effect')]"}},
                "policyDefinitionId": d["id"],
                "policyDefinitionReferenceId": "pna",
            }
        ],
        "policyType": "Custom",
        "type": "Microsoft.Authorization/policySetDefinitions",
    }
    inputs, report = evaluate(tmp_path, {"d.json": d, "set.json": flat_set}, [ws()])
    assert [a.name for a in inputs.assignments] == ["aml-set"]
    assert [(r.reference_id, r.effect, r.would) for r in report.results] == [("pna", "Deny", "deny")]


def test_epac_definition_entry_list_gives_an_assignment_per_entry(tmp_path):
    """A `definitionEntryList` assigns each entry at every leaf below it, named by EPAC's rule: the
    entry's own name and display name before the tree's, or after them with `append: true`; an
    entry's non-compliance messages come with it."""
    tree = {
        "nodeName": "/AML/",
        "scope": {"tenant1": [MG]},
        "definitionEntryList": [
            {"policySetName": "AML-Guardrails", "assignment": {"name": "set-", "displayName": "Set: "}},
            {"policyName": "Audit-AML-PNA", "assignment": {"append": True, "name": "-one", "displayName": " (one)"},
             "nonComplianceMessages": [{"message": "no public AML"}]},
        ],
        "children": [{"nodeName": "prod", "assignment": {"name": "prod", "displayName": "Prod"},
                      "parameters": {"effect": "Deny"}}],
    }
    files = {
        "Definitions/policyDefinitions/aml/deny-pna.jsonc": EPAC_DEF % json.dumps(RULE),
        "Definitions/policyDefinitions/aml/audit-pna.jsonc": EPAC_DEF.replace("Deny-", "Audit-") % json.dumps(RULE),
        "Definitions/policySetDefinitions/aml-guardrails.jsonc": EPAC_SET,
        "Definitions/policyAssignments/aml.jsonc": tree,
    }
    inputs, report = evaluate(tmp_path, files, [ws()])
    assert inputs.errors == []
    assert [(a.name, a.display_name, a.definition_id.rsplit("/", 1)[-1]) for a in inputs.assignments] == [
        ("set-prod", "Set: Prod", "AML-Guardrails"), ("prod-one", "Prod (one)", "Audit-AML-PNA")]
    assert sorted((r.assignment, r.would) for r in report.results) == [("prod-one", "deny"), ("set-prod", "deny")]
    assert {r.assignment: r.message for r in report.results}["prod-one"] == "no public AML"


def test_an_empty_definition_entry_list_is_an_input_error_with_its_pointer(tmp_path):
    tree = {"nodeName": "/AML/", "scope": {"t": [MG]}, "assignment": {"name": "a", "displayName": "A"},
            "definitionEntryList": []}
    inputs, _ = evaluate(tmp_path, {"Definitions/policyAssignments/aml.jsonc": tree}, [ws()])
    (err,) = inputs.errors
    assert "definitionEntryList must be a non-empty array" in err.message and "/definitionEntryList" in err.message


def test_an_assignment_naming_a_custom_definition_under_another_management_group_resolves_by_name(tmp_path):
    """`az policy assignment list` at a child management group names the definition by the id it
    has at the parent; the definition file was exported from another scope: the name decides."""
    d = az_definition()
    elsewhere = "/providers/Microsoft.Management/managementGroups/parent/providers/Microsoft.Authorization/" \
                "policyDefinitions/deny-aml-pna"
    inputs, report = evaluate(tmp_path, {"def.json": d, "assignments.json": [az_assignment(elsewhere)]}, [ws()])
    assert inputs.errors == [] and [a.definition_id for a in inputs.assignments] == [elsewhere]
    (r,) = report.results
    assert (r.state.value, r.would, r.definition_name) == ("NonCompliant", "deny", "deny-aml-pna")
