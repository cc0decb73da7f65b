"""The pieces of the rule language one by one: operators, fields, functions."""

from __future__ import annotations

import pytest

from mlwaf.model import Unresolved
from mlwaf.policy import operators, parse
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.errors import EvaluationError
from mlwaf.policy.fields import MISSING
from tests.policy.helpers import COMPUTE, WS, assign, one, resource, run_policies


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        ("equals", True, "true", True),
        ("equals", 0, "0", True),
        ("equals", "ABC", "abc", True),
        ("equals", {"A": [1, "x"]}, {"a": [1, "X"]}, True),
        ("notEquals", MISSING, "x", True),
        ("equals", MISSING, "x", False),
        ("like", "Standard_RAGZRS", "*zrs", True),
        ("notLike", MISSING, "*zrs", True),
        ("match", "ab-12", "??-##", True),
        ("match", "AB-12", "??-#.", True),
        ("match", "ab-12", "??-#", False),
        ("matchInsensitively", "AB-x2", "ab-.#", True),
        ("notMatch", "ab-12", "??-##", False),
        ("contains", ["a", "B"], "b", True),
        ("contains", "Standard_LRS", "lrs", True),
        ("notContains", MISSING, "x", True),
        ("in", "West Europe", ["northeurope", "westeurope"], False),
        ("containsKey", {"Env": 1}, "env", True),
        ("notContainsKey", "text", "env", True),
        ("less", 2, 10, True),
        ("less", "2021-06-01-preview", "2023-07-01", True),
        ("greaterOrEquals", "2024-01-01T00:00:00Z", "2023-12-31T23:00:00-02:00", False),
        ("greater", MISSING, 1, False),
        ("exists", MISSING, "false", True),
        ("exists", None, False, True),
        ("exists", "", True, True),
    ],
)
def test_operators(op, actual, expected, result):
    assert operators.apply(op, actual, expected) is result


def test_location_is_normalized_only_for_location():
    assert operators.apply("in", "West Europe", ["westeurope"], location=True) is True
    assert operators.apply("equals", "West Europe", "westeurope") is False


@pytest.mark.parametrize(
    ("op", "actual", "expected"),
    [("in", "a", "a"), ("less", 1, "2"), ("like", "a", "*a*"), ("exists", "a", "maybe")],
)
def test_operator_misuse_is_an_evaluation_error(op, actual, expected):
    with pytest.raises(EvaluationError):
        operators.apply(op, actual, expected)


def test_an_unresolved_side_is_unknown():
    u = Unresolved("[parameters('x')]")
    assert operators.apply("equals", u, "a") is u
    assert operators.apply("in", "a", ["b", u]) is u


def rule_on(condition, *, effect="audit", mode="All", rtype=WS):
    rule = {"if": {"allOf": [{"field": "type", "equals": rtype}, condition]}, "then": {"effect": effect}}
    return parse.definition({"name": "t", "properties": {"mode": mode, "policyRule": rule}}, "test")


def judge(condition, res, **kw):
    d = rule_on(condition, **kw)
    return one(run_policies([assign(d.id)], [res], catalog=Catalog([d])))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tags['cost center']", "42"),
        ("tags.env", "prod"),
        ("tags[env]", "prod"),
        ("tags['''q''']", "quoted"),
        ("tags[]", None),
    ],
)
def test_tag_fields(field, value):
    ws = resource(WS, "ws1", {}, tags={"Cost Center": "42", "env": "prod", "'q'": "quoted"})
    cond = {"field": field, "exists": "true"} if value is None else {"field": field, "equals": value}
    expected = "Compliant" if value is None else "NonCompliant"
    assert judge(cond, ws).state.value == expected


def test_special_fields_name_full_name_identity():
    ci = resource(COMPUTE, "ws1/ci1", {}, identity={"type": "SystemAssigned"})
    assert judge({"field": "fullName", "equals": "ws1/ci1"}, ci, rtype=COMPUTE).state.value == "NonCompliant"
    assert judge({"field": "name", "equals": "ci1"}, ci, rtype=COMPUTE).state.value == "NonCompliant"
    assert (
        judge({"field": "identity.type", "contains": "systemassigned"}, ci, rtype=COMPUTE).state.value == "NonCompliant"
    )


@pytest.mark.parametrize(
    "expression",
    [
        "[reference('x')]",
        "[resourceId('a/b', 'c')]",
        "[variables('v')]",
        "[listKeys('x', '2020-01-01')]",
        "[deployment()]",
    ],
)
def test_functions_azure_rejects_in_rules_fail_the_evaluation(expression):
    r = judge({"value": expression, "equals": "x"}, resource(WS, "ws1", {}), effect="deny")
    assert r.state.value == "Error" and "not available in a policy rule" in r.reason and r.would == "deny"


def test_policy_functions():
    ws = resource(WS, "ws1", {"ipRules": []})
    now = judge({"value": "[utcNow()]", "greater": "[addDays('2026-05-31T12:00:00Z', 1)]"}, ws)
    assert now.state.value == "Compliant"  # the injected clock is 2026-06-01T12:00 exactly: not greater
    assert (
        judge({"value": "[ipRangeContains('10.0.0.0-10.0.0.255', '10.0.0.7')]", "equals": True}, ws).state.value
        == "NonCompliant"
    )
    assert judge({"value": "[policy().assignmentId]", "like": "*/a-t"}, ws).state.value == "NonCompliant"
    assert (
        judge(
            {"value": "[field('Microsoft.MachineLearningServices/workspaces/friendlyName')]", "equals": ""}, ws
        ).state.value
        == "NonCompliant"
    )
    missing_star = {
        "value": "[length(field('Microsoft.MachineLearningServices/workspaces/privateEndpointConnections[*]'))]",
        "equals": 0,
    }
    assert judge(missing_star, ws).state.value == "NonCompliant"
    outside = judge(
        {
            "value": "[current('Microsoft.MachineLearningServices/workspaces/privateEndpointConnections[*]')]",
            "equals": 1,
        },
        ws,
    )
    assert outside.state.value == "Error"


def test_request_context_api_version_of_templates_and_stored_resources():
    cond = {"value": "[requestContext().apiVersion]", "less": "2024-01-01"}
    assert judge(cond, resource(WS, "ws1", {}, template=True, api_version="2023-04-01")).state.value == "NonCompliant"
    assert judge(cond, resource(WS, "ws1", {})).state.value == "Compliant"  # stored: the latest version
    no_version = judge(cond, resource(WS, "ws1", {}, template=True))
    assert no_version.state.value == "Unknown" and no_version.expression == "[requestContext().apiVersion]"


def test_unknown_outside_the_input():
    ws = resource(WS, "ws1", {})
    r = judge({"value": "[resourceGroup().managedBy]", "equals": "x"}, ws)
    assert (r.state.value, r.expression) == ("Unknown", "[resourceGroup()]")
    r = judge({"value": "[resourceGroup().name]", "equals": "rg1"}, ws)
    assert r.state.value == "NonCompliant"


def test_a_partial_resource_graph_row_is_unknown_where_a_property_is_not_exported():
    ws = resource(WS, "ws1", {})
    ws.partial = True
    r = judge(
        {"field": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess", "notEquals": "Disabled"}, ws
    )
    assert r.state.value == "Unknown" and r.expression == "properties.publicNetworkAccess"


def test_an_alias_the_table_lacks_is_not_applicable_with_the_reason():
    d = rule_on({"field": "Microsoft.MachineLearningServices/workspaces/madeUpProperty", "equals": "x"})
    report = run_policies([assign(d.id)], [resource(WS, "ws1", {})], catalog=Catalog([d]))
    assert report.results == []
    (n,) = report.not_evaluated
    assert "madeUpProperty" in n.reason and "not in mlwaf's alias table" in n.reason


def test_action_and_manual_effects():
    ws = resource(WS, "ws1", {})
    assert judge({"field": "name", "equals": "ws1"}, ws, effect="denyAction").would == "denyAction"
    assert judge({"field": "name", "equals": "ws1"}, ws, effect="AuditAction").state.value == "Compliant"
    assert judge({"field": "name", "equals": "ws1"}, ws, effect="manual").state.value == "Unknown"


def test_append_reports_what_would_be_added():
    rule = {
        "if": {
            "allOf": [
                {"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                {"field": "tags['owner']", "exists": "false"},
            ]
        },
        "then": {
            "effect": "append",
            "details": [
                {"field": "tags['owner']", "value": "platform"},
                {
                    "field": "Microsoft.Storage/storageAccounts/networkAcls.ipRules[*]",
                    "value": {"value": "10.0.0.1", "action": "Allow"},
                },
            ],
        },
    }
    d = parse.definition({"name": "append-owner", "properties": {"mode": "Indexed", "policyRule": rule}}, "test")
    st = resource(
        "Microsoft.Storage/storageAccounts", "st1", {"networkAcls": {"ipRules": [{"value": "1.2.3.4"}]}}, location="x"
    )
    r = one(run_policies([assign(d.id)], [st], catalog=Catalog([d])))
    assert (r.state.value, r.would) == ("NonCompliant", "append")
    tag, rules = r.changes
    assert (tag.path, tag.before, tag.after) == ("tags.owner", MISSING, "platform")
    assert rules.after == [{"value": "1.2.3.4"}, {"value": "10.0.0.1", "action": "Allow"}]
    assert r.to_dict()["changes"][0] == {
        "operation": "append",
        "field": "tags['owner']",
        "path": "tags.owner",
        "applied": True,
        "before": None,
        "after": "platform",
    }
