"""A frame answers what expressions ask: parameters (defaults, files, overrides, none),
secure values never shown, expression errors with their file, pointer and expression."""

from __future__ import annotations

import json
from pathlib import Path

from mlwaf.model import Unresolved
from tests.sources.arm_template.templates import RG, WS, names, param_file, read, template, workspace, write


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
