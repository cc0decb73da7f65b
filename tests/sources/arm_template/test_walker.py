"""The deployment walker: variables and copy loops, conditions, child resources, nested
deployments (inner and outer scope), symbolic names and extension scopes."""

from __future__ import annotations

from pathlib import Path

from mlwaf.inventory import Inventory
from mlwaf.model import Unresolved
from tests.sources.arm_template.templates import RG, SCHEMA, WS, names, read, template, workspace, write


def test_variables_copy_loops_and_conditions(tmp_path: Path) -> None:
    params = {"count": {"type": "int", "defaultValue": 2}, "deployKv": {"type": "bool", "defaultValue": False}}
    variables = {
        "prefix": "[concat('ws-', parameters('count'))]",
        "copy": [{"name": "subnets", "count": 2, "input": {"name": "[concat('sn', copyIndex('subnets'))]"}}],
    }
    resources = [
        {
            "type": WS, "apiVersion": "2024-04-01", "name": "[concat(variables('prefix'), '-', copyIndex(1))]",
            "copy": {"name": "wsLoop", "count": "[parameters('count')]"},
            "properties": {
                "index": "[copyIndex()]",
                "subnets": "[variables('subnets')]",
                "copy": [{"name": "rules", "count": 3, "input": {"n": "[copyIndex('rules')]"}}],
            },
        },
        {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv",
         "condition": "[parameters('deployKv')]", "properties": {}},
    ]
    t = write(tmp_path / "t.json", template(resources, params, variables))
    got = read(t)
    assert got.errors == []
    assert names(got) == [(WS, "ws-2-1"), (WS, "ws-2-2")]
    first, second = got.resources
    assert first.properties["index"] == 0 and second.properties["index"] == 1
    assert first.properties["subnets"] == [{"name": "sn0"}, {"name": "sn1"}]
    assert first.properties["rules"] == [{"n": 0}, {"n": 1}, {"n": 2}]
    # Every instance points at its declaration, so findings land on the loop's line.
    assert first.origin.pointer == second.origin.pointer == "/resources/0"
    assert first.position()[0] == second.position()[0] == t.read_text().splitlines().index('    {') + 1
    got = read(t, param_overrides={"deployKv": "true", "count": "0"})
    assert names(got) == [("Microsoft.KeyVault/vaults", "kv")]


def test_copy_count_known_only_at_deployment_is_reported(tmp_path: Path) -> None:
    res = [{"type": WS, "apiVersion": "2024-04-01", "name": "[concat('w', copyIndex())]",
            "copy": {"name": "l", "count": "[length(parameters('items'))]"}, "properties": {}}]
    got = read(write(tmp_path / "t.json", template(res, {"items": {"type": "array"}})))
    assert got.resources == []
    (err,) = got.errors
    assert err.message.startswith("not assessed: /resources/0") and "deployment time" in err.message


def test_nested_child_resources(tmp_path: Path) -> None:
    res = [{
        **workspace("ws1"),
        "resources": [
            {"type": "computes", "apiVersion": "2024-04-01", "name": "cpu", "location": "westeurope",
             "properties": {"computeType": "AmlCompute"}},
            {"type": f"{WS}/onlineEndpoints", "apiVersion": "2024-04-01", "name": "ws1/ep", "properties": {}},
        ],
    }]
    got = read(write(tmp_path / "t.json", template(res)))
    assert names(got) == [(WS, "ws1"), (f"{WS}/computes", "ws1/cpu"), (f"{WS}/onlineEndpoints", "ws1/ep")]
    inv = Inventory(got.resources)
    ws = inv.of_type(WS)[0]
    assert {c.name for c in inv.children(ws)} == {"cpu", "ep"}
    assert got.resources[1].origin.pointer == "/resources/0/resources/0"


def test_nested_deployments_inner_and_outer_scope_two_levels(tmp_path: Path) -> None:
    innermost = template(
        [workspace("[parameters('wsName')]", publicNetworkAccess="[parameters('access')]")],
        {"wsName": {"type": "string"}, "access": {"type": "string", "defaultValue": "Enabled"}},
    )
    middle = template(
        [{
            "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "level2",
            "properties": {
                "mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                "parameters": {"wsName": {"value": "[concat(parameters('base'), '-ws')]"},
                               "access": {"value": "Disabled"}},
                "template": innermost,
            },
        }],
        {"base": {"type": "string"}},
    )
    outer = template(
        [
            {
                "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "level1",
                "resourceGroup": "other-rg",
                "properties": {
                    "mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"base": {"value": "[variables('base')]"}},
                    "template": middle,
                },
            },
            {
                # Outer scope (the default): the nested template reads the parent's variables.
                "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
                "properties": {"mode": "Incremental", "template": template(
                    [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
                      "name": "[concat('kv-', variables('base'))]", "properties": {}}],
                )},
            },
        ],
        variables={"base": "app"},
    )
    t = write(tmp_path / "t.json", outer)
    got = read(t)
    assert got.errors == []
    assert names(got) == [(WS, "app-ws"), ("Microsoft.KeyVault/vaults", "kv-app")]
    ws, kv = got.resources
    assert ws.properties["publicNetworkAccess"] == "Disabled"
    assert "/resourceGroups/other-rg/" in ws.id  # the deployment's resourceGroup is its scope
    ptr = "/resources/0/properties/template/resources/0/properties/template/resources/0"
    assert ws.origin.pointer == ptr and ws.origin.path == "t.json"
    line = ws.position()[0]
    assert line is not None and "app-ws" not in t.read_text().splitlines()[line - 1]
    assert t.read_text().splitlines()[line].strip().startswith('"type"')
    assert kv.origin.pointer == "/resources/1/properties/template/resources/0"


def test_symbolic_names_existing_and_extension_scope(tmp_path: Path) -> None:
    t = {
        "$schema": SCHEMA, "languageVersion": "2.0", "contentVersion": "1.0.0.0",
        "parameters": {"name": {"type": "string", "defaultValue": "ws1"},
                       "diag": {"type": "array", "nullable": True}},
        "resources": {
            "kv": {"existing": True, "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
                   "name": "shared-kv"},
            "workspace": workspace(keyVault="[resourceId('Microsoft.KeyVault/vaults', 'shared-kv')]",
                                   vaultUri="[reference('kv').vaultUri]"),
            "workspace_diag": {
                "type": "Microsoft.Insights/diagnosticSettings", "apiVersion": "2021-05-01-preview",
                "scope": "[resourceId('Microsoft.MachineLearningServices/workspaces', parameters('name'))]",
                "name": "send-to-law", "properties": {"logs": []},
                "condition": "[empty(parameters('diag'))]",
            },
            "kv_lock": {
                "type": "Microsoft.Authorization/locks", "apiVersion": "2020-05-01",
                "scope": "Microsoft.KeyVault/vaults/shared-kv", "name": "lock", "properties": {"level": "CanNotDelete"},
            },
        },
    }
    got = read(write(tmp_path / "t.json", t))
    assert got.errors == []
    assert names(got) == [(WS, "ws1"), ("Microsoft.Insights/diagnosticSettings", "send-to-law"),
                          ("Microsoft.Authorization/locks", "lock")]
    ws, diag, lock = got.resources
    assert ws.origin.pointer == "/resources/workspace"
    assert isinstance(ws.properties["vaultUri"], Unresolved)
    assert diag.id == f"{RG}/providers/{WS}/ws1/providers/Microsoft.Insights/diagnosticSettings/send-to-law"
    assert lock.id == f"{RG}/providers/Microsoft.KeyVault/vaults/shared-kv/providers/Microsoft.Authorization/locks/lock"
    inv = Inventory(got.resources)
    assert inv.attached(inv.of_type(WS)[0], "Microsoft.Insights/diagnosticSettings") == [diag]
