"""Deployment templates evaluated as Azure deploys them: parameters, loops, conditions, nesting,
symbolic names, extension scopes, linked templates, errors and locations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.inventory import Inventory
from mlwaf.model import Status, Unresolved
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions, SourceResult, read_paths

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
WS = "Microsoft.MachineLearningServices/workspaces"
RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlwaf-template-rg"


def template(resources: Any, parameters: dict | None = None, variables: dict | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0"}
    if parameters is not None:
        out["parameters"] = parameters
    if variables is not None:
        out["variables"] = variables
    out.update(extra)
    out["resources"] = resources
    return out


def write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def param_file(**values: Any) -> dict:
    return {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {k: {"value": v} for k, v in values.items()}}


def read(path: Path, **options: Any) -> SourceResult:
    return read_paths([path], ReadOptions(root=path.parent, **options))


def names(result: SourceResult) -> list[tuple[str, str]]:
    return [(r.type, r.raw["name"]) for r in result.resources]


def workspace(name: str = "[parameters('name')]", **props: Any) -> dict:
    return {
        "type": WS, "apiVersion": "2024-04-01", "name": name, "location": "[resourceGroup().location]",
        "identity": {"type": "SystemAssigned"}, "properties": props,
    }


# --- parameters ---------------------------------------------------------------------------------


def test_defaults_sibling_parameter_file_and_overrides(tmp_path: Path) -> None:
    params = {
        "name": {"type": "string", "defaultValue": "[concat('mlw-', uniqueString(resourceGroup().id))]"},
        "access": {"type": "string", "defaultValue": "Enabled"},
        "count": {"type": "int", "defaultValue": 1},
    }
    t = write(tmp_path / "main.json", template([workspace(publicNetworkAccess="[parameters('access')]")], params))
    got = read(t)
    assert got.errors == []
    (ws,) = got.resources
    assert ws.name.startswith("mlw-") and len(ws.name) == 17
    assert ws.properties["publicNetworkAccess"] == "Enabled"
    assert ws.origin.parameters_file is None

    write(tmp_path / "main.parameters.json", param_file(access="Disabled"))
    (ws,) = read(t).resources
    assert ws.properties["publicNetworkAccess"] == "Disabled"
    assert ws.origin.parameters_file == "main.parameters.json"

    (ws,) = read(t, param_overrides={"access": "Enabled", "name": "given"}).resources
    assert ws.properties["publicNetworkAccess"] == "Enabled" and ws.name == "given"


def test_explicit_parameter_files_match_by_declared_names(tmp_path: Path) -> None:
    """Each --parameters file is one deployment of the templates that declare all it sets (they
    were merged, later ones winning, and a file that fit nothing was silently ignored)."""
    params = {"name": {"type": "string"}, "replicas": {"type": "int", "defaultValue": 1}}
    t = write(tmp_path / "infra" / "template.json", template([workspace(replicas="[parameters('replicas')]")], params))
    good = write(tmp_path / "env" / "prod.json", param_file(name="prod-ws"))
    later = write(tmp_path / "env" / "prod2.json", param_file(name="prod2-ws", replicas=3))
    other = write(tmp_path / "env" / "other.json", param_file(zzz=1))
    got = read_paths([t], ReadOptions(root=tmp_path, parameter_files=[good, other, later]))
    by_file = {r.origin.parameters_file: r for r in got.resources}
    assert sorted(by_file) == ["env/prod.json", "env/prod2.json"]
    assert by_file["env/prod.json"].name == "prod-ws" and by_file["env/prod.json"].properties["replicas"] == 1
    assert by_file["env/prod2.json"].properties["replicas"] == 3
    assert [(e.path, e.message) for e in got.errors] == [
        ("env/other.json", "--parameters file used by no scanned template: infra/template.json does not declare 'zzz'")
    ]
    # --param values are read as the declared type.
    (ws,) = read_paths([t], ReadOptions(root=tmp_path, param_overrides={"name": "x", "replicas": "5"})).resources
    assert ws.properties["replicas"] == 5


def test_parameter_without_value_stays_unresolved(tmp_path: Path) -> None:
    params = {"name": {"type": "string"}, "access": {"type": "string"}}
    t = write(tmp_path / "t.json", template([workspace(publicNetworkAccess="[parameters('access')]")], params))
    got = read(t)
    assert got.errors == []
    (ws,) = got.resources
    value = ws.properties["publicNetworkAccess"]
    assert isinstance(value, Unresolved) and value.expression == "[parameters('access')]"
    # The unresolved name stays its expression in the id, so references to it still match.
    assert ws.id == f"{RG}/providers/{WS}/[parameters('name')]"


def test_secure_parameters_are_never_shown(tmp_path: Path) -> None:
    params = {
        "password": {"type": "secureString"},
        "name": {"type": "string", "defaultValue": "ws"},
    }
    compute = {
        "type": f"{WS}/computes", "apiVersion": "2024-04-01", "name": "ws/ci",
        "properties": {"computeType": "ComputeInstance", "properties": {
            "adminPassword": "[parameters('password')]",
            "derived": "[concat('x', parameters('password'))]",
            "enabled": "[not(empty(parameters('password')))]",
            "plain": "[parameters('name')]",
        }},
    }
    t = write(tmp_path / "t.json", template([compute], params))
    write(tmp_path / "t.parameters.json", param_file(password="S3cr3t!pw"))
    (r,) = read(t).resources
    inner = r.properties["properties"]
    for key in ("adminPassword", "derived", "enabled"):
        assert isinstance(inner[key], Unresolved), key
        assert "secure" in inner[key].reason
    assert inner["plain"] == "ws"
    assert "S3cr3t" not in repr(r.raw) and "S3cr3t" not in json.dumps(r.raw, default=lambda v: v.expression)


# --- variables, loops, conditions ----------------------------------------------------------------


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


# --- nested deployments, symbolic names, scope, links ---------------------------------------


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


def test_classic_extension_naming(tmp_path: Path) -> None:
    res = [{"type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings", "apiVersion": "2021-05-01-preview",
            "name": "kv1/Microsoft.Insights/diag", "properties": {}}]
    (r,) = read(write(tmp_path / "t.json", template(res))).resources
    assert r.type == "Microsoft.Insights/diagnosticSettings"
    assert r.id == f"{RG}/providers/Microsoft.KeyVault/vaults/kv1/providers/Microsoft.Insights/diagnosticSettings/diag"


def test_local_linked_templates_followed_and_remote_reported(tmp_path: Path) -> None:
    write(tmp_path / "nested" / "ws.json", template([workspace("[parameters('n')]")], {"n": {"type": "string"}}))
    deployments = [
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "byRelativePath",
         "properties": {"mode": "Incremental", "templateLink": {"relativePath": "nested/ws.json"},
                        "parameters": {"n": {"value": "rel"}}}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "byArtifactsUri",
         "properties": {"mode": "Incremental",
                        "templateLink": {"uri": "[uri(parameters('_artifactsLocation'), 'nested/ws.json')]"},
                        "parameters": {"n": {"value": "uri"}}}},
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "remote",
         "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.org/t.json"}}},
    ]
    params = {"_artifactsLocation": {"type": "string", "defaultValue": "[deployment().properties.templateLink.uri]"}}
    got = read_paths([write(tmp_path / "azuredeploy.json", template(deployments, params))], ReadOptions(root=tmp_path))
    assert names(got) == [(WS, "rel"), (WS, "uri")]
    assert {r.origin.path for r in got.resources} == {"nested/ws.json"}
    assert got.resources[0].position()[0] is not None
    (err,) = got.errors
    assert err.path == "azuredeploy.json" and "not assessed" in err.message and "example.org" in err.message


# --- errors ----------------------------------------------------------------------------------


def test_expression_errors_name_file_pointer_and_expression(tmp_path: Path) -> None:
    res = [
        workspace("ws1", description="[concat('a', ]", friendlyName="[toLower(1)]"),
        {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv", "properties": {
            "created": "[utcNow()]"}},
    ]
    got = read(write(tmp_path / "bad.json", template(res)))
    assert names(got) == [(WS, "ws1"), ("Microsoft.KeyVault/vaults", "kv")]  # the scan goes on
    messages = sorted(e.message for e in got.errors)
    assert all(e.path == "bad.json" for e in got.errors)
    assert any(m.startswith("/resources/0/properties/description: cannot parse expression")
               and "[concat('a', ]" in m for m in messages)
    assert any(m.startswith("/resources/0/properties/friendlyName") and "[toLower(1)]" in m for m in messages)
    assert any(m.startswith("/resources/1/properties/created") and "defaultValue" in m for m in messages)
    assert isinstance(got.resources[0].properties["description"], Unresolved)


def test_utcnow_in_parameter_default_is_allowed(tmp_path: Path) -> None:
    params = {"stamp": {"type": "string", "defaultValue": "[utcNow('u')]"}}
    got = read(write(tmp_path / "t.json", template([workspace("ws", tags="[parameters('stamp')]")], params)))
    assert got.errors == []
    assert isinstance(got.resources[0].properties["tags"], Unresolved)


# --- checks read evaluated values --------------------------------------------------------------


def _sec001(path: Path, **read_options: Any):
    result = run_scan([path], ScanOptions(read=ReadOptions(root=path.parent, **read_options)))
    return next(f for f in result.findings if f.check_id == "MLW-SEC-001")


def test_checks_get_resolved_values_or_unknown_with_the_expression(tmp_path: Path) -> None:
    params = {"publicNetworkAccess": {"type": "string"}, "isolated": {"type": "bool", "defaultValue": True}}
    expression = "[if(parameters('isolated'), parameters('publicNetworkAccess'), 'Enabled')]"
    ws = workspace("ws1", publicNetworkAccess=expression)
    t = write(tmp_path / "t.json", template([ws], params))

    unknown = _sec001(t)
    assert unknown.status == Status.UNKNOWN
    (ev,) = unknown.evidence
    assert ev.expression == expression
    assert unknown.location.line is not None

    assert _sec001(t, param_overrides={"publicNetworkAccess": "Disabled"}).status == Status.PASS
    failed = _sec001(t, param_overrides={"publicNetworkAccess": "Disabled", "isolated": "false"})
    assert failed.status == Status.FAIL and failed.evidence[0].value == "Enabled"
    lines = t.read_text().splitlines()
    assert '"publicNetworkAccess"' in lines[failed.location.line - 1]


def test_cli_param_and_parameters_options(tmp_path: Path) -> None:
    params = {"publicNetworkAccess": {"type": "string"}}
    ws = workspace("ws1", publicNetworkAccess="[parameters('publicNetworkAccess')]")
    t = write(tmp_path / "t.json", template([ws], params))
    pfile = write(tmp_path / "prod.json", param_file(publicNetworkAccess="Enabled"))
    runner = CliRunner()

    def status(*args: str) -> str:
        out = tmp_path / "r.json"
        res = runner.invoke(app, ["scan", str(t), "-f", "json", "-o", str(out), "-q", *args])
        assert res.exit_code in (0, 3), res.output
        findings = json.loads(out.read_text())["findings"]
        return next(f["status"] for f in findings if f["check_id"] == "MLW-SEC-001")

    assert status() == "UNKNOWN"
    assert status("--parameters", str(pfile)) == "FAIL"
    assert status("--parameters", str(pfile), "--param", "publicNetworkAccess=Disabled") == "PASS"
    bad = runner.invoke(app, ["scan", str(t), "--param", "novalue"])
    assert bad.exit_code == 2 and "name=value" in bad.output
    missing = runner.invoke(app, ["scan", str(t), "--parameters", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
