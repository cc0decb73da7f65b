"""Linked templates: a local file is followed, a remote address is reported as not assessed."""

from __future__ import annotations

from pathlib import Path

from mlwaf.sources import ReadOptions, read_paths
from tests.sources.arm_template.templates import WS, names, template, workspace, write


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
