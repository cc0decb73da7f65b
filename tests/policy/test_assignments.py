"""Assignments as Azure applies them: an initiative with the same definition twice, groups,
overrides and resource selectors; notScopes and scopes; exemptions; enforcement mode;
non-compliance messages; the portal's compliance percentage; templates as requests."""

from __future__ import annotations

import pytest

from mlwaf.model import Unresolved
from mlwaf.policy import parse
from mlwaf.policy.catalog import Catalog
from mlwaf.policy.model import (
    Exemption,
    NonComplianceMessage,
    Override,
    ResourceSelector,
    Selector,
)
from tests.policy.helpers import RG, SUB, WS, assign, one, resource, run_policies

PNA = "438c38d2-3772-465a-a9cc-7a6666a275ce"
PNA_ID = f"/providers/Microsoft.Authorization/policyDefinitions/{PNA}"
TAG = "/providers/Microsoft.Authorization/policyDefinitions/871b6d14-10aa-478d-b590-94f262ecfa99"


def guardrails():
    """A custom initiative: the public-network built-in once as Audit, once as Deny (the set's
    parameter), and the required-tag built-in twice with different tags, in two groups."""
    doc = {
        "name": "ml-guardrails",
        "properties": {
            "displayName": "ML guardrails",
            "parameters": {
                "denyEffect": {"type": "String", "defaultValue": "Deny", "allowedValues": ["Audit", "Deny", "Disabled"]}
            },
            "policyDefinitionGroups": [{"name": "network"}, {"name": "tags"}],
            "policyDefinitions": [
                {"policyDefinitionId": PNA_ID, "policyDefinitionReferenceId": "pna-audit", "groupNames": ["network"]},
                {
                    "policyDefinitionId": PNA_ID,
                    "policyDefinitionReferenceId": "pna-deny",
                    "parameters": {"effect": {"value": "[parameters('denyEffect')]"}},
                    "groupNames": ["network"],
                },
                {
                    "policyDefinitionId": TAG,
                    "policyDefinitionReferenceId": "tag-env",
                    "parameters": {"tagName": {"value": "env"}},
                },
                {
                    "policyDefinitionId": TAG,
                    "policyDefinitionReferenceId": "tag-owner",
                    "parameters": {"tagName": {"value": "owner"}},
                },
            ],
        },
    }
    initiative = parse.initiative(doc, "guardrails.json")
    return initiative, Catalog(initiatives=[initiative])


def ws(name, location="westeurope", props=None, **kw):
    return resource(
        WS, name, props if props is not None else {"publicNetworkAccess": "Enabled"}, location=location, **kw
    )


def states(report):
    return sorted((r.reference_id or "", r.resource.name, r.state.value, r.effect, r.would) for r in report.results)


def test_same_definition_twice_with_its_own_parameters():
    initiative, cat = guardrails()
    report = run_policies([assign(initiative.id, name="guard")], [ws("ws1", tags={"env": "prod"})], catalog=cat)
    assert states(report) == [
        ("pna-audit", "ws1", "NonCompliant", "Audit", "audit"),
        ("pna-deny", "ws1", "NonCompliant", "Deny", "deny"),
        ("tag-env", "ws1", "Compliant", "Deny", None),
        ("tag-owner", "ws1", "NonCompliant", "Deny", "deny"),
    ]
    assert {r.initiative_id for r in report.results} == {initiative.id}


def test_overrides_by_reference_id_and_by_location_in_order():
    initiative, cat = guardrails()
    overrides = (
        Override("policyEffect", "Disabled", (Selector("policyDefinitionReferenceId", in_=("tag-env", "tag-owner")),)),
        Override("policyEffect", "Audit", (Selector("resourceLocation", in_=("northeurope",)),)),
    )
    a = assign(initiative.id, name="guard", overrides=overrides)
    report = run_policies([a], [ws("ws-weu"), ws("ws-neu", location="North Europe")], catalog=cat)
    assert states(report) == [
        ("pna-audit", "ws-neu", "NonCompliant", "Audit", "audit"),
        ("pna-audit", "ws-weu", "NonCompliant", "Audit", "audit"),
        ("pna-deny", "ws-neu", "NonCompliant", "Audit", "audit"),  # the later override wins there
        ("pna-deny", "ws-weu", "NonCompliant", "Deny", "deny"),
    ]


def test_resource_selectors_choose_the_resources_evaluated():
    initiative, cat = guardrails()
    selectors = (
        ResourceSelector(
            "eu-workspaces", (Selector("resourceLocation", in_=("westeurope",)), Selector("resourceType", in_=(WS,)))
        ),
    )
    a = assign(initiative.id, name="guard", resource_selectors=selectors)
    st = resource("Microsoft.Storage/storageAccounts", "st1", {}, location="westeurope")
    report = run_policies(
        [a], [ws("ws-weu", tags={"env": "x", "owner": "y"}), ws("ws-us", location="eastus"), st], catalog=cat
    )
    assert {r.resource.name for r in report.results} == {"ws-weu"}


def test_not_scopes_and_the_assignment_scope():
    in_rg = ws("ws1")
    other_rg = resource(WS, "ws2", {"publicNetworkAccess": "Enabled"}, location="westeurope", group="sandbox-rg")
    other_sub = resource(
        WS,
        "ws3",
        {"publicNetworkAccess": "Enabled"},
        location="westeurope",
        subscription="22222222-2222-2222-2222-222222222222",
    )
    template = resource(WS, "ws4", {}, template=True, api_version="2024-04-01", location="westeurope")
    a = assign(PNA, not_scopes=(f"/subscriptions/{SUB}/resourceGroups/sandbox-rg",))
    report = run_policies([a], [in_rg, other_rg, other_sub, template])
    # ws2 is under a notScope, ws3 outside the assignment's subscription: neither is evaluated;
    # the template's resource has a placeholder id, taken to deploy where the assignment applies.
    assert sorted(r.resource.name for r in report.results) == ["ws1", "ws4"]
    assert report.not_applicable[a.id] == 0


def _exemption(a, **kw):
    return Exemption(
        id=f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Authorization/policyExemptions/ex1",
        name="ex1",
        assignment_id=a.id,
        scope=kw.pop("scope", f"/subscriptions/{SUB}/resourceGroups/{RG}"),
        **kw,
    )


def test_exemptions_make_applicable_results_exempt():
    initiative, cat = guardrails()
    a = assign(initiative.id, name="guard")
    only_deny = _exemption(a, reference_ids=("pna-deny",), category="Mitigated")
    report = run_policies([a], [ws("ws1", tags={"env": "1", "owner": "2"})], catalog=cat, exemptions=[only_deny])
    assert [(r.reference_id, r.state.value) for r in report.results if r.reference_id.startswith("pna")] == [
        ("pna-audit", "NonCompliant"),
        ("pna-deny", "Exempt"),
    ]
    exempt = one(run_policies([assign(PNA)], [ws("ws1")], exemptions=[_exemption(assign(PNA))]))
    assert exempt.state.value == "Exempt" and "ex1" in exempt.reason and exempt.would is None


@pytest.mark.parametrize(
    ("exemption_kw", "expected"),
    [
        ({"expires_on": "2026-01-01T00:00:00Z"}, "NonCompliant"),  # expired before the clock (2026-06-01)
        ({"expires_on": "2027-01-01T00:00:00Z"}, "Exempt"),
        ({"scope": f"/subscriptions/{SUB}/resourceGroups/other-rg"}, "NonCompliant"),
        (
            {"resource_selectors": (ResourceSelector("us", (Selector("resourceLocation", in_=("eastus",)),)),)},
            "NonCompliant",
        ),
    ],
)
def test_exemption_expiry_scope_and_selectors(exemption_kw, expected):
    a = assign(PNA)
    report = run_policies([a], [ws("ws1")], exemptions=[_exemption(a, **exemption_kw)])
    assert one(report).state.value == expected


def test_do_not_enforce_reports_but_never_denies():
    a = assign(PNA, {"effect": "Deny"}, enforcement_mode="DoNotEnforce")
    r = one(
        run_policies([a], [resource(WS, "ws1", {}, template=True, api_version="2024-04-01", location="westeurope")])
    )
    assert (r.state.value, r.effect, r.would) == ("NonCompliant", "Deny", "audit")
    assert "not enforced" in r.reason


def test_non_compliance_messages_default_and_per_reference():
    initiative, cat = guardrails()
    messages = (NonComplianceMessage("Ask the platform team"), NonComplianceMessage("Tag it with owner", "tag-owner"))
    report = run_policies(
        [assign(initiative.id, name="guard", non_compliance_messages=messages)], [ws("ws1")], catalog=cat
    )
    got = {r.reference_id: r.message for r in report.results}
    assert got == {
        "pna-audit": "Ask the platform team",
        "pna-deny": "Ask the platform team",
        "tag-env": "Ask the platform team",
        "tag-owner": "Tag it with owner",
    }


def test_compliance_percent_as_the_portal_computes_it():
    initiative, cat = guardrails()
    a = assign(initiative.id, name="guard")
    ok = ws("ok", props={"publicNetworkAccess": "Disabled"}, tags={"env": "1", "owner": "2"})
    half = ws("half", props={"publicNetworkAccess": "Disabled"}, tags={"env": "1"})
    unknown = resource(
        WS,
        "tpl",
        {"publicNetworkAccess": Unresolved("[parameters('pna')]")},
        template=True,
        api_version="2024-04-01",
        location="westeurope",
        tags={"env": "1", "owner": "2"},
    )
    exempt = ws("ex", rid=f"/subscriptions/{SUB}/resourceGroups/exempt-rg/providers/{WS}/ex")
    ex = _exemption(a, scope=f"/subscriptions/{SUB}/resourceGroups/exempt-rg")
    report = run_policies([a], [ok, half, unknown, exempt], catalog=cat, exemptions=[ex])
    (entry,) = report.summary()["assignments"]
    # Resources: ok Compliant, half NonCompliant (one member), tpl Unknown (its rule depends on a
    # parameter) but Compliant elsewhere -> Compliant wins over Unknown, ex Exempt.
    assert entry["resources"] == {"Compliant": 2, "NonCompliant": 1, "Exempt": 1, "Unknown": 0, "Error": 0, "total": 4}
    assert entry["compliance_percent"] == 75.0
    assert report.summary()["initiatives"] == [
        {"initiative_id": initiative.id, "assignment": "guard", "assignment_id": a.id, "compliance_percent": 75.0}
    ]


def test_a_template_value_still_unresolved_is_unknown_with_the_expression():
    expr = "[if(parameters('private'), 'Disabled', 'Enabled')]"
    tpl = resource(
        WS,
        "ws1",
        {"publicNetworkAccess": Unresolved(expr)},
        template=True,
        api_version="2024-04-01",
        location="westeurope",
    )
    r = one(run_policies([assign(PNA, {"effect": "Deny"})], [tpl]))
    assert (r.state.value, r.would, r.expression) == ("Unknown", None, expr)
    assert r.to_dict()["evidence"][0]["expression"] == expr


def test_result_json_contract():
    r = one(run_policies([assign(PNA)], [ws("ws1")]))
    d = r.to_dict()
    assert set(d) >= {
        "assignment",
        "definition_id",
        "definition_name",
        "reference_id",
        "display_name",
        "category",
        "effect",
        "state",
        "would",
        "resource_id",
        "resource_type",
        "resource_name",
        "reason",
        "evidence",
        "location",
    }
    assert d["evidence"][-1] == {
        "field": "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess",
        "path": "properties.publicNetworkAccess",
        "value": "Enabled",
        "condition": {"notEquals": "Disabled"},
        "result": True,
    }
    assert d["location"] == {"path": "test.json", "line": None}


def test_two_templates_declaring_the_same_names_are_two_resources():
    from dataclasses import replace

    a = resource(WS, "ws1", {}, template=True, api_version="2024-04-01", location="westeurope")
    b = resource(
        WS, "ws1", {"publicNetworkAccess": "Disabled"}, template=True, api_version="2024-04-01", location="westeurope"
    )
    b.origin = replace(b.origin, path="other/main.json")
    report = run_policies([assign(PNA)], [a, b])
    assert sorted(r.state.value for r in report.results) == ["Compliant", "NonCompliant"]
    assert len({r.identity for r in report.results}) == 2
    assert {r.to_dict()["deployment"] for r in report.results} == {"test.json", "other/main.json"}
    assert report.summary()["resources"]["total"] == 2


# --- where an if-not-exists effect looks (effect-audit-if-not-exists.md) ------------------------

VAULT = "Microsoft.KeyVault/vaults"


def vault_required(**details):
    """Every workspace needs a key vault with purge protection: where Azure looks for it is
    `existenceScope` (ResourceGroup by default, or Subscription) or `resourceGroupName`."""
    doc = {"name": "needs-vault", "properties": {"mode": "Indexed", "displayName": "A vault beside each workspace",
           "policyRule": {"if": {"field": "type", "equals": WS},
                          "then": {"effect": "auditIfNotExists", "details": {
                              "type": VAULT, **details, "existenceCondition": {
                                  "field": "Microsoft.KeyVault/vaults/enablePurgeProtection", "equals": True}}}}}}
    return Catalog(definitions=[parse.definition(doc, "needs-vault.json")])


@pytest.mark.parametrize(
    ("details", "vault_group", "purge", "expected"),
    [
        ({}, RG, True, "Compliant"),  # same resource group
        ({}, "rg-other", True, "NonCompliant"),  # another group: not where the default scope looks
        ({"existenceScope": "Subscription"}, "rg-other", True, "Compliant"),
        ({"existenceScope": "subscription"}, "rg-other", False, "NonCompliant"),  # the existenceCondition fails
        ({"resourceGroupName": "rg-other"}, "rg-other", True, "Compliant"),
        ({"resourceGroupName": "[concat('rg-', 'other')]"}, RG, True, "NonCompliant"),
    ],
)
def test_existence_scope_resource_group_name_and_condition(details, vault_group, purge, expected):
    from mlwaf.inventory import type_listing

    vault = resource(VAULT, "kv1", {"enablePurgeProtection": purge}, group=vault_group, location="westeurope")
    report = run_policies([assign("needs-vault")], [ws("ws1"), vault], catalog=vault_required(**details),
                          listed=[type_listing(SUB, VAULT)])
    assert one(report, "ws1").state.value == expected


def test_existence_in_a_list_not_read_in_full_is_unknown():
    report = run_policies([assign("needs-vault")], [ws("ws1")], catalog=vault_required(existenceScope="Subscription"))
    r = one(report, "ws1")
    assert r.state.value == "Unknown" and r.expression == f"list of {VAULT} resources of subscription {SUB}"
