"""The 15 test cases of ../shared/policy/SEMANTICS.md section 7 (TC1-TC15), on the shipped
built-ins (and, where the case is a custom rule, on that rule). Each case also checks that
`effect: Disabled` produces no result at all."""

from __future__ import annotations

import copy
import json

import pytest

from mlwaf import armid
from mlwaf.policy import catalog as catalog_mod
from mlwaf.policy import parse
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.model import Override, Selector
from tests.policy.helpers import COMPUTE, WS, assign, builtin, one, outcome, resource, run_policies


def custom(guid: str, name: str, **changes):
    """A custom copy of a built-in with some properties changed."""
    d = builtin(guid)
    doc = {
        "name": name,
        "properties": {
            "displayName": name,
            "mode": changes.pop("mode", d.mode),
            "parameters": {
                p.name: {"type": p.type, **({"defaultValue": p.default} if not p.required else {})}
                for p in d.parameters.values()
            },
            "policyRule": changes.pop("rule", copy.deepcopy(dict(d.rule))),
        },
    }
    return parse.definition(doc, "test")


def workspace(props, **top):
    return resource(WS, "ws1", props, location="westeurope", kind=top.pop("kind", "Default"), **top)


# --- TC1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"publicNetworkAccess": "Disabled"}, "Compliant"),
        ({"publicNetworkAccess": "disabled"}, "Compliant"),
        ({}, "NonCompliant"),
        ({"publicNetworkAccess": "Enabled"}, "NonCompliant"),
    ],
)
def test_tc1_absent_field_and_case_insensitive_not_equals(props, expected):
    assert outcome(run_policies([assign("438c38d2-3772-465a-a9cc-7a6666a275ce")], [workspace(props)])) == expected


def test_tc1_without_the_exists_branch_a_missing_field_is_still_not_equal():
    d = builtin("438c38d2-3772-465a-a9cc-7a6666a275ce")
    rule = copy.deepcopy(dict(d.rule))
    rule["if"]["allOf"][1] = rule["if"]["allOf"][1]["anyOf"][1]  # notEquals only
    mine = custom("438c38d2-3772-465a-a9cc-7a6666a275ce", "pna-no-exists", rule=rule)
    report = run_policies([assign(mine.id)], [workspace({})], catalog=Catalog([mine]))
    assert outcome(report) == "NonCompliant"


def test_tc1_template_with_deny_would_be_denied_and_disabled_gives_nothing():
    ws = resource(WS, "ws1", {}, template=True, api_version="2024-04-01", location="westeurope", kind="Default")
    r = one(run_policies([assign("438c38d2-3772-465a-a9cc-7a6666a275ce", {"effect": "Deny"})], [ws]))
    assert (r.state.value, r.would, r.request) == ("NonCompliant", "deny", True)
    assert "deployment of this resource would be denied" in r.reason
    assert run_policies([assign("438c38d2-3772-465a-a9cc-7a6666a275ce", {"effect": "Disabled"})], [ws]).results == []


# --- TC2 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"computeType": "ComputeInstance", "disableLocalAuth": True}, "Compliant"),
        ({"computeType": "ComputeInstance", "disableLocalAuth": False}, "NonCompliant"),
        ({"computeType": "ComputeInstance"}, "NonCompliant"),
        ({"computeType": "computeinstance"}, "NonCompliant"),
        ({"computeType": "Kubernetes"}, "Compliant"),  # applicable through type, the if is false
    ],
)
def test_tc2_boolean_not_equals_and_applicable_but_false(props, expected):
    ci = resource(COMPUTE, "ws1/ci1", props)
    assert outcome(run_policies([assign("e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f")], [ci])) == expected
    assert run_policies([assign("e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f", {"effect": "Disabled"})], [ci]).results == []


# --- TC3 -------------------------------------------------------------------------------------------


def _pec(status):
    return {"properties": {"privateLinkServiceConnectionState": {"status": status}}}


@pytest.mark.parametrize(
    ("pecs", "expected"),
    [
        (None, "NonCompliant"),
        ([], "NonCompliant"),
        ([_pec("Pending")], "NonCompliant"),
        ([_pec("Pending"), _pec("Approved")], "Compliant"),
        ([_pec("approved")], "Compliant"),
    ],
)
def test_tc3_count_where_on_a_wrapped_element_path(pecs, expected):
    props = {} if pecs is None else {"privateEndpointConnections": pecs}
    assert outcome(run_policies([assign("45e05259-1eb5-4f70-9574-baf73e9d219b")], [workspace(props)])) == expected


# --- TC4 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"publicNetworkAccess": "Enabled", "networkRuleSet": {"ipRules": []}}, "NonCompliant"),
        ({"publicNetworkAccess": "Enabled"}, "NonCompliant"),
        ({"publicNetworkAccess": "Enabled", "networkRuleSet": {"ipRules": [{"value": "203.0.113.7"}]}}, "Compliant"),
        (
            {"publicNetworkAccess": "Enabled", "networkRuleSet": {"ipRules": [{"value": "203.0.113.7"}, {}]}},
            "Compliant",
        ),
        ({"publicNetworkAccess": "disabled"}, "Compliant"),
    ],
)
def test_tc4_star_field_condition_is_all_of_and_vacuous_on_empty(props, expected):
    search = resource("Microsoft.Search/searchServices", "s1", props, location="westeurope")
    assert outcome(run_policies([assign("037eea7a-bd0a-46c5-9a66-03aea78705d3")], [search])) == expected


@pytest.mark.parametrize(("action", "expected"), [("Allow", "NonCompliant"), ("deny", "Compliant")])
def test_tc4_cognitive_branch(action, expected):
    acct = resource(
        "Microsoft.CognitiveServices/accounts",
        "ai1",
        {"publicNetworkAccess": "Enabled", "networkAcls": {"defaultAction": action}},
        location="westeurope",
    )
    assert outcome(run_policies([assign("037eea7a-bd0a-46c5-9a66-03aea78705d3")], [acct])) == expected


# --- TC5 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sku", "kind", "expected"),
    [
        ("Standard_ZRS", "StorageV2", "Compliant"),
        ("standard_grs", "StorageV2", "NonCompliant"),
        ("Standard_RAGZRS", "StorageV2", "Compliant"),
        ("Premium_ZRS", "Storage", "NonCompliant"),
    ],
)
def test_tc5_not_like_on_a_top_level_alias_path(sku, kind, expected):
    st = resource("Microsoft.Storage/storageAccounts", "st1", {}, location="westeurope", sku={"name": sku}, kind=kind)
    assert outcome(run_policies([assign("85b005b2-95fc-4953-b9cb-f9ee6427c754")], [st])) == expected


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("mlw-*-prod", "MLW-a-PROD", "NonCompliant"),
        ("mlw-*-prod", "mlw--prod", "NonCompliant"),
        ("mlw-*-prod", "mlw-prod", "Compliant"),
        ("mlw-*-prod", "mlw-a-prod-x", "Compliant"),
        ("mlw-?-prod", "mlw-x-prod", "Compliant"),  # `?` is literal in like
        ("mlw-?-prod", "mlw-?-prod", "NonCompliant"),
    ],
)
def test_tc5_like_with_one_star(pattern, name, expected):
    rule = {
        "if": {"allOf": [{"field": "type", "equals": WS}, {"field": "name", "like": pattern}]},
        "then": {"effect": "audit"},
    }
    d = parse.definition({"name": "like-test", "properties": {"mode": "All", "policyRule": rule}}, "test")
    report = run_policies([assign(d.id)], [resource(WS, name, {})], catalog=Catalog([d]))
    assert outcome(report) == expected


def test_tc5_like_with_two_stars_is_an_evaluation_error():
    rule = {
        "if": {"allOf": [{"field": "type", "equals": WS}, {"field": "name", "like": "a*b*"}]},
        "then": {"effect": "deny"},
    }
    d = parse.definition({"name": "like-two", "properties": {"mode": "All", "policyRule": rule}}, "test")
    r = one(run_policies([assign(d.id)], [resource(WS, "ab", {}, template=True)], catalog=Catalog([d])))
    assert (r.state.value, r.would) == ("Error", "deny")
    assert "more than one '*'" in r.reason and "denies the request" in r.reason
    assert "Azure treats a failed evaluation as non-compliant" in r.reason  # said, as issue 14 asks


# --- TC6 -------------------------------------------------------------------------------------------


def test_tc6_not_kind_and_applicability_by_kind():
    a = assign("ba769a63-b8cc-4b2d-abf6-ac33c7204be8")
    assert outcome(run_policies([a], [workspace({"encryption": {"status": "Enabled"}})])) == "Compliant"
    assert outcome(run_policies([a], [workspace({})])) == "NonCompliant"
    report = run_policies([a], [workspace({}, kind="Project")])
    assert outcome(report) == "N/A" and report.not_applicable[a.id] == 1
    odd = resource("microsoft.machinelearningservices/WORKSPACES", "ws1", {}, kind="Default", location="westeurope")
    assert outcome(run_policies([a], [odd])) == "NonCompliant"


# --- TC7 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"computeType": "AmlCompute", "properties": {"subnet": {"id": "/subscriptions/x/subnets/s1"}}}, "Compliant"),
        ({"computeType": "AmlCompute", "properties": {}}, "NonCompliant"),
        ({"computeType": "AmlCompute", "properties": {"subnet": {"id": ""}}}, "NonCompliant"),
        (
            {"computeType": "ComputeInstance", "properties": {"subnet": {"id": "/subscriptions/x/subnets/s1"}}},
            "Compliant",
        ),
        ({"computeType": "Kubernetes", "properties": {}}, "Compliant"),
    ],
)
def test_tc7_exists_false_empty_and_nested_properties(props, expected):
    c = resource(COMPUTE, "ws1/c1", props)
    assert outcome(run_policies([assign("7804b5c7-01dc-4723-969b-ae300cc07ff1")], [c])) == expected


# --- TC8 -------------------------------------------------------------------------------------------

DIAG = "Microsoft.Insights/diagnosticSettings"


def _setting(ws, name, props):
    rid = f"{ws.id}/providers/{DIAG}/{name}"
    return resource(DIAG, name, props, rid=rid)


B_OK = {"workspaceId": "/subscriptions/x/workspaces/la", "logs": [{"categoryGroup": "allLogs", "enabled": True}]}
C_OFF = {"workspaceId": "/subscriptions/x/workspaces/la", "logs": [{"categoryGroup": "allLogs", "enabled": False}]}


def _retention(days):
    return {
        "storageAccountId": "/subscriptions/x/storageAccounts/st",
        "logs": [{"category": "x", "enabled": True, "retentionPolicy": {"enabled": True, "days": days}}],
    }


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ([], "NonCompliant"),
        ([B_OK], "Compliant"),
        ([C_OFF], "NonCompliant"),
        ([C_OFF, B_OK], "Compliant"),
        ([_retention(30)], "NonCompliant"),
        ([_retention(400)], "Compliant"),
        ([_retention(0)], "Compliant"),
    ],
)
def test_tc8_audit_if_not_exists_over_listed_diagnostic_settings(settings, expected):
    ws = workspace({})
    related = [_setting(ws, f"ds{i}", s) for i, s in enumerate(settings)]
    listed = [f"{ws.id}/providers/{DIAG}"]
    report = run_policies([assign("afe0c3be-ba3b-4544-ba52-0c99672a8ad6")], [ws, *related], listed=listed)
    assert outcome(report, "ws1") == expected


def test_tc8_a_setting_of_another_workspace_does_not_count():
    ws, other = workspace({}), resource(WS, "ws2", {}, location="westeurope", kind="Default")
    report = run_policies(
        [assign("afe0c3be-ba3b-4544-ba52-0c99672a8ad6")],
        [ws, other, _setting(other, "ds", B_OK)],
        listed=[f"{ws.id}/providers/{DIAG}"],
    )
    assert outcome(report, "ws1") == "NonCompliant"


def test_tc8_none_listed_is_unknown_not_non_compliant():
    ws = workspace({})
    r = one(run_policies([assign("afe0c3be-ba3b-4544-ba52-0c99672a8ad6")], [ws]))
    assert r.state.value == "Unknown" and "was not read in full" in r.reason
    assert r.expression == f"list of {DIAG} extension resources of {ws.id}"


def _template(resources):
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }


WS_T = {
    "type": WS,
    "apiVersion": "2024-04-01",
    "name": "ws1",
    "location": "westeurope",
    "kind": "Default",
    "properties": {},
}


@pytest.mark.parametrize(
    "form",
    [
        [
            WS_T,
            {"type": DIAG, "apiVersion": "2021-05-01-preview", "name": "ds1", "scope": f"{WS}/ws1", "properties": B_OK},
        ],
        [
            WS_T,
            {
                "type": f"{WS}/providers/diagnosticSettings",
                "apiVersion": "2021-05-01-preview",
                "name": "ws1/Microsoft.Insights/ds1",
                "properties": B_OK,
            },
        ],
        [
            {
                **WS_T,
                "resources": [
                    {
                        "type": "providers/diagnosticSettings",
                        "apiVersion": "2021-05-01-preview",
                        "name": "Microsoft.Insights/ds1",
                        "properties": B_OK,
                    }
                ],
            }
        ],
    ],
    ids=["scope", "nested-name", "inline"],
)
def test_tc8_template_forms_of_the_setting(tmp_path, form):
    from mlwaf.inventory import Inventory
    from mlwaf.policy.api import PolicyInputs, run
    from mlwaf.sources import read_paths

    f = tmp_path / "t.json"
    f.write_text(json.dumps(_template(form)))
    src = read_paths([f])
    inputs = PolicyInputs(assignments=[assign("afe0c3be-ba3b-4544-ba52-0c99672a8ad6")])
    report = run(inputs, Inventory(src.resources, src.listed))
    assert outcome(report, "ws1") == "Compliant"


# --- TC9 -------------------------------------------------------------------------------------------


def test_tc9_existence_on_the_resource_itself():
    a = assign("7f40cee6-e933-4d0f-a782-b96615e0f4a6")
    assert outcome(run_policies([a], [workspace({"encryption": {"status": "Enabled"}})])) == "Compliant"
    assert outcome(run_policies([a], [workspace({"encryption": {"status": "Disabled"}})])) == "NonCompliant"
    assert outcome(run_policies([a], [workspace({}, kind="Project")])) == "N/A"


# --- TC10 ------------------------------------------------------------------------------------------


def test_tc10_indexed_mode_dynamic_tag_and_required_parameter():
    a = assign("871b6d14-10aa-478d-b590-94f262ecfa99", {"tagName": "costCenter"})
    ws_none = workspace({})
    ws_tagged = resource(WS, "ws2", {}, location="westeurope", tags={"costCenter": "42"})
    ci = resource(COMPUTE, "ws1/ci1", {"computeType": "ComputeInstance"})
    ds = _setting(ws_none, "ds1", B_OK)
    st = resource("Microsoft.Storage/storageAccounts", "st1", {}, location="westeurope")
    report = run_policies([a], [ws_none, ws_tagged, ci, ds, st])
    states = {r.resource.name: (r.state.value, r.would) for r in report.results}
    assert states == {"ws1": ("NonCompliant", "deny"), "ws2": ("Compliant", None), "st1": ("NonCompliant", "deny")}
    assert report.not_applicable[a.id] == 2  # the compute and the diagnostic setting: types without tags


def test_tc10_mode_null_behaves_as_indexed():
    mine = custom("871b6d14-10aa-478d-b590-94f262ecfa99", "tag-null-mode", mode=None)
    assert mine.mode is None
    ci = resource(COMPUTE, "ws1/ci1", {"computeType": "ComputeInstance"})
    report = run_policies([assign(mine.id, {"tagName": "costCenter"})], [workspace({}), ci], catalog=Catalog([mine]))
    assert [(r.resource.name, r.state.value) for r in report.results] == [("ws1", "NonCompliant")]


def test_tc10_assignment_without_the_required_parameter_is_an_error():
    report = run_policies([assign("871b6d14-10aa-478d-b590-94f262ecfa99")], [workspace({})])
    assert report.results == []
    assert len(report.errors) == 1 and "required parameter 'tagName'" in report.errors[0].message


# --- TC11 ------------------------------------------------------------------------------------------


def test_tc11_array_parameter_with_allowed_values():
    a = assign("7433c107-6db4-4ad1-b57a-a76dce0154a1", {"listOfAllowedSKUs": ["Standard_LRS", "Standard_ZRS"]})
    lrs = resource("Microsoft.Storage/storageAccounts", "st1", {}, location="westeurope", sku={"name": "standard_lrs"})
    assert outcome(run_policies([a], [lrs])) == "Compliant"
    grs_t = resource(
        "Microsoft.Storage/storageAccounts",
        "st2",
        {},
        template=True,
        api_version="2023-01-01",
        location="westeurope",
        sku={"name": "Standard_GRS"},
    )
    r = one(run_policies([a], [grs_t]))
    assert (r.state.value, r.would) == ("NonCompliant", "deny")
    grs = resource("Microsoft.Storage/storageAccounts", "st3", {}, location="westeurope", sku={"name": "Standard_GRS"})
    r = one(run_policies([a], [grs]))
    assert (r.state.value, r.request) == ("NonCompliant", False)
    missing = run_policies([assign("7433c107-6db4-4ad1-b57a-a76dce0154a1")], [lrs])
    assert "required parameter 'listOfAllowedSKUs'" in missing.errors[0].message


def test_tc11_array_values_outside_allowed_values_are_an_error():
    # The shipped 7433c107 names its SKUs by strongType, without allowedValues (SEMANTICS.md
    # describes an older version): a copy with allowedValues pins the rule.
    d = builtin("7433c107-6db4-4ad1-b57a-a76dce0154a1")
    doc = {
        "name": "skus-allowed",
        "properties": {
            "mode": "Indexed",
            "policyRule": dict(d.rule),
            "parameters": {
                "effect": {"type": "String", "defaultValue": "Deny"},
                "listOfAllowedSKUs": {
                    "type": "Array",
                    "allowedValues": ["Standard_LRS", "Standard_ZRS", "Standard_GRS"],
                },
            },
        },
    }
    mine = parse.definition(doc, "test")
    st = resource("Microsoft.Storage/storageAccounts", "st1", {}, location="westeurope", sku={"name": "Standard_LRS"})
    ok = run_policies([assign(mine.id, {"listOfAllowedSKUs": ["standard_lrs"]})], [st], catalog=Catalog([mine]))
    assert ok.errors == [] and outcome(ok) == "Compliant"
    bad = run_policies([assign(mine.id, {"listOfAllowedSKUs": ["Standard_XYZ"]})], [st], catalog=Catalog([mine]))
    assert bad.results == [] and "'Standard_XYZ' is not an allowed value" in bad.errors[0].message
    wrong_type = run_policies([assign(mine.id, {"listOfAllowedSKUs": "Standard_LRS"})], [st], catalog=Catalog([mine]))
    assert "is array" in wrong_type.errors[0].message


# --- TC12 ------------------------------------------------------------------------------------------

MCSB = "/providers/Microsoft.Authorization/policySetDefinitions/1f3afdf9-d0c9-4c3d-847f-89da613e70a8"
CMK_PARAM = "azureMachineLearningWorkspacesShouldBeEncryptedWithACustomerManagedKeyMonitoringEffect"


def test_tc12_effect_parameter_values():
    ws_t = resource(WS, "ws1", {}, template=True, api_version="2024-04-01", location="westeurope", kind="Default")
    pna = "438c38d2-3772-465a-a9cc-7a6666a275ce"
    assert run_policies([assign(pna, {"effect": "Disabled"})], [ws_t]).results == []
    assert one(run_policies([assign(pna, {"effect": "Deny"})], [ws_t])).would == "deny"
    bad = run_policies([assign(pna, {"effect": "AuditIfNotExists"})], [ws_t])
    assert bad.results == [] and "not an allowed value of parameter 'effect'" in bad.errors[0].message
    for casing in ("audit", "AUDIT"):
        assert one(run_policies([assign(pna, {"effect": casing})], [ws_t])).effect == "Audit"


def _mcsb_results(report, guid):
    return [r for r in report.results if r.definition_name == guid]


def test_tc12_initiative_defaults_parameters_and_overrides():
    ws = workspace({})
    cmk, pna = "ba769a63-b8cc-4b2d-abf6-ac33c7204be8", "438c38d2-3772-465a-a9cc-7a6666a275ce"
    report = run_policies([assign(MCSB, name="mcsb")], [ws])
    assert report.errors == []
    assert _mcsb_results(report, cmk) == []  # the set parameter defaults to Disabled
    (r,) = _mcsb_results(report, pna)
    assert (r.state.value, r.effect, r.reference_id) == (
        "NonCompliant",
        "Audit",
        "azureMachineLearningWorkspacesShouldDisablePublicNetworkAccess",
    )
    report = run_policies([assign(MCSB, {CMK_PARAM: "Audit"}, name="mcsb")], [ws])
    assert [r.state.value for r in _mcsb_results(report, cmk)] == ["NonCompliant"]
    off = Override(
        kind="policyEffect",
        value="Disabled",
        selectors=(
            Selector(
                "policyDefinitionReferenceId", in_=("azureMachineLearningWorkspacesShouldDisablePublicNetworkAccess",)
            ),
        ),
    )
    report = run_policies([assign(MCSB, name="mcsb", overrides=(off,))], [ws])
    assert _mcsb_results(report, pna) == []


def test_tc12_an_override_outside_allowed_values_is_an_error():
    modify = Override(
        kind="policyEffect",
        value="Modify",
        selectors=(Selector("policyDefinitionReferenceId", in_=(CMK_PARAM,)),),
    )
    report = run_policies([assign(MCSB, name="mcsb", overrides=(modify,))], [workspace({})])
    assert report.errors and "not an allowed effect" in report.errors[0].message


# --- TC13 ------------------------------------------------------------------------------------------


def test_tc13_field_of_the_counted_alias_inside_where_is_a_one_element_array():
    alias = "Microsoft.Web/hostingEnvironments/clusterSettings[*]"
    rule = {
        "if": {
            "allOf": [
                {"field": "type", "equals": "Microsoft.Web/hostingEnvironments"},
                {
                    "count": {
                        "field": alias,
                        "where": {
                            "allOf": [
                                {"field": f"{alias}.name", "equals": "FrontEndSSLCipherSuiteOrder"},
                                {"value": f"[length(field('{alias}.value'))]", "less": 80},
                            ]
                        },
                    },
                    "less": 1,
                },
            ]
        },
        "then": {"effect": "audit"},
    }
    d = parse.definition({"name": "tc13", "properties": {"mode": "Indexed", "policyRule": rule}}, "test")
    value = ",".join(
        (
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        )
    )
    assert len(value) == 115
    ase = resource(
        "Microsoft.Web/hostingEnvironments",
        "ase1",
        {"clusterSettings": [{"name": "FrontEndSSLCipherSuiteOrder", "value": value}]},
        kind="ASEV3",
        location="westeurope",
    )
    assert outcome(run_policies([assign(d.id)], [ase], catalog=Catalog([d]))) == "Compliant"


# --- TC14 ------------------------------------------------------------------------------------------

KV_PARAMS = {"restrictIPAddresses": "Yes", "allowedIPAddresses": ["10.0.0.0/8"]}


def _vault(ip_rules, *, template=False, api="2023-07-01", pna="Enabled", action="Deny", **extra):
    props = {"networkAcls": {"defaultAction": action, "ipRules": ip_rules}, "publicNetworkAccess": pna, **extra}
    return resource(
        "Microsoft.KeyVault/vaults", "kv1", props, template=template, api_version=api, location="westeurope"
    )


@pytest.mark.parametrize(
    ("vault", "expected"),
    [
        (_vault([{"value": "10.1.2.3"}]), "Compliant"),
        (_vault([{"value": "10.1.2.3"}, {"value": "52.1.1.1/32"}]), "NonCompliant"),
        (_vault([{"value": "10.1.2.3"}, {"value": "52.1.1.1/32"}], pna="Disabled"), "Compliant"),
        (_vault([{"value": "10.1.2.3"}], action="Allow"), "NonCompliant"),
        (_vault([{"value": "52.1.1.1"}], action="Allow", createMode="recover"), "Compliant"),
        # A template at an API version before 2021-06-01-preview: publicNetworkAccess does not count.
        (
            _vault([{"value": "10.1.2.3"}, {"value": "52.1.1.1/32"}], template=True, api="2019-09-01", pna="Disabled"),
            "NonCompliant",
        ),
        (
            _vault([{"value": "10.1.2.3"}, {"value": "52.1.1.1/32"}], template=True, api="2023-07-01", pna="Disabled"),
            "Compliant",
        ),
    ],
)
def test_tc14_value_count_in_field_count_ip_ranges_and_request_api_version(vault, expected):
    assert outcome(run_policies([assign("55615ac9-af46-4a59-874e-391cc3dfb490", KV_PARAMS)], [vault])) == expected


def test_tc14_mixed_ip_families_is_an_evaluation_error():
    r = one(
        run_policies([assign("55615ac9-af46-4a59-874e-391cc3dfb490", KV_PARAMS)], [_vault([{"value": "2001:db8::1"}])])
    )
    assert r.state.value == "Error" and "mixes IPv4" in r.reason and "non-compliant" in r.reason


# --- TC15 ------------------------------------------------------------------------------------------


def test_tc15_modify_with_an_operation_condition_on_the_api_version():
    a = assign("a10ee784-7409-4941-b091-663697637c0f")
    r = one(run_policies([a], [workspace({"publicNetworkAccess": "Enabled"})]))
    assert (r.state.value, r.would) == ("NonCompliant", "modify")
    new = resource(
        WS, "ws1", {"publicNetworkAccess": "Enabled"}, template=True, api_version="2024-04-01", location="westeurope"
    )
    r = one(run_policies([a], [new]))
    assert r.would == "modify" and "would be modified at deployment" in r.reason
    (change,) = r.changes
    assert (change.path, change.before, change.after, change.applied) == (
        "properties.publicNetworkAccess",
        "Enabled",
        "Disabled",
        True,
    )
    old = resource(
        WS, "ws1", {"publicNetworkAccess": "Enabled"}, template=True, api_version="2021-07-01", location="westeurope"
    )
    r = one(run_policies([a], [old]))
    assert r.state.value == "NonCompliant" and r.changes[0].applied is False
    assert "condition is false" in r.changes[0].note
    assert outcome(run_policies([a], [workspace({"publicNetworkAccess": "Disabled"})])) == "Compliant"


def test_builtins_used_here_ship_in_the_package():
    for guid in ("e96a9a5f-07ca-471b-9bc5-6a0f33cbd68f", "871b6d14-10aa-478d-b590-94f262ecfa99"):
        assert catalog_mod.builtin_definition(guid) is not None
    assert armid.normalize(MCSB).endswith("1f3afdf9-d0c9-4c3d-847f-89da613e70a8")
