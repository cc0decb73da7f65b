"""Document sources: every input shape users hand the scanner, detected by shape, with locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwaf.model import Unresolved
from mlwaf.sources import ReadOptions, read_paths

WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
WS_ID = (
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg1/providers/"
    "Microsoft.MachineLearningServices/workspaces/ws1"
)


def _workspace(**props) -> dict:
    return {
        "id": WS_ID,
        "name": "ws1",
        "type": WS_TYPE,
        "location": "westeurope",
        "properties": {"publicNetworkAccess": "Disabled", **props},
    }


def _read(tmp_path: Path, name: str, content: str | object):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return read_paths([path], ReadOptions(root=tmp_path))


def test_single_rest_resource(tmp_path):
    got = _read(tmp_path, "ws.json", _workspace())
    assert got.errors == []
    assert [s.kind for s in got.scanned] == ["resource"]
    (r,) = got.resources
    assert r.type == WS_TYPE and r.name == "ws1" and r.id == WS_ID
    assert r.origin.path == "ws.json" and r.origin.pointer == ""
    assert r.position() == (1, 1)


def test_list_page_with_next_link(tmp_path):
    page = {"value": [_workspace(), {**_workspace(), "id": WS_ID + "2", "name": "ws12"}], "nextLink": "https://x"}
    got = _read(tmp_path, "page.json", page)
    assert [s.kind for s in got.scanned] == ["list-page"]
    assert [r.name for r in got.resources] == ["ws1", "ws12"]
    assert got.resources[1].origin.pointer == "/value/1"


def test_array_and_powershell_spelling(tmp_path):
    pwsh = [
        {
            "ResourceId": WS_ID,
            "ResourceName": "ws1",
            "ResourceType": WS_TYPE,
            "Location": "westeurope",
            "Tags": None,
            "Properties": {"publicNetworkAccess": "Enabled"},
        }
    ]
    got = _read(tmp_path, "pwsh.json", pwsh)
    assert [s.kind for s in got.scanned] == ["resource-array"]
    (r,) = got.resources
    assert r.type == WS_TYPE and r.location == "westeurope"
    assert r.properties["publicNetworkAccess"] == "Enabled"
    assert r.tags == {}


def test_resource_graph_list_and_table(tmp_path):
    rows = {"count": 1, "data": [{**_workspace(), "type": WS_TYPE.lower()}], "skip_token": None}
    got = _read(tmp_path, "graph.json", rows)
    assert [s.kind for s in got.scanned] == ["resource-graph"]
    assert got.resources[0].is_type(WS_TYPE)
    assert not got.resources[0].partial

    table = {
        "data": {
            "columns": [{"name": "id", "type": "string"}, {"name": "name"}, {"name": "type"}, {"name": "location"}],
            "rows": [[WS_ID, "ws1", WS_TYPE.lower(), "westeurope"]],
        }
    }
    got = _read(tmp_path, "table.json", table)
    (r,) = got.resources
    assert r.name == "ws1" and r.partial, "a row without properties is partial: absent means not exported"


def test_rest_example_with_placeholder_type(tmp_path):
    example = {
        "parameters": {
            "subscriptionId": "sub-1",
            "resourceGroupName": "rg1",
            "workspaceName": "ws1",
            "endpointName": "ep1",
            "api-version": "2025-12-01",
        },
        "responses": {
            "200": {
                "body": {
                    "id": "string",
                    "name": "string",
                    "type": "string",
                    "properties": {"authMode": "Key", "traffic": {"blue": 100}},
                }
            }
        },
    }
    got = _read(tmp_path, "get.json", example)
    (r,) = got.resources
    assert r.type == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    assert r.id.endswith("/workspaces/ws1/onlineEndpoints/ep1")
    assert r.api_version == "2025-12-01"
    assert r.origin.pointer == "/responses/200/body"


def test_template_literals_children_and_unresolved(tmp_path):
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"pna": {"type": "string"}},
        "resources": [
            {
                "type": WS_TYPE,
                "apiVersion": "2025-12-01",
                "name": "ws1",
                "location": "westeurope",
                "properties": {"publicNetworkAccess": "[parameters('pna')]"},
                "resources": [
                    {"type": "computes", "name": "cpu", "properties": {"computeType": "AmlCompute"}}
                ],
            }
        ],
    }
    got = _read(tmp_path, "azuredeploy.json", template)
    assert got.errors == []
    by_type = {r.type: r for r in got.resources}
    ws = by_type[WS_TYPE]
    assert isinstance(ws.properties["publicNetworkAccess"], Unresolved)
    child = by_type[WS_TYPE + "/computes"]
    assert child.id.endswith("/workspaces/ws1/computes/cpu")
    assert child.origin.pointer == "/resources/0/resources/0"


def test_symbolic_resources_language_version_2(tmp_path):
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
        "resources": {
            "workspace": {"type": WS_TYPE, "apiVersion": "2025-12-01", "name": "ws1", "properties": {}},
            "existingKv": {
                "existing": True, "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv"
            },
        },
    }
    got = _read(tmp_path, "main.json", template)
    assert [(r.type, r.name) for r in got.resources] == [(WS_TYPE, "ws1")], "existing resources are not scanned"


def test_group_export_envelope(tmp_path):
    export = {
        "template": {
            "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{"type": WS_TYPE, "apiVersion": "2025-12-01", "name": "ws1", "properties": {}}],
        }
    }
    got = _read(tmp_path, "export.json", export)
    assert [s.kind for s in got.scanned] == ["group-export"]
    assert got.resources[0].origin.pointer == "/template/resources/0"


def test_comments_and_raw_newlines(tmp_path):
    text = (
        "// exported by hand\n{\n  /* a workspace */\n"
        '  "id": "' + WS_ID + '",\n  "type": "' + WS_TYPE + '",\n'
        '  "name": "ws1", // trailing comment\n'
        '  "properties": {\n    "description": "two\nlines",\n    "publicNetworkAccess": "Enabled"\n  }\n}\n'
    )
    got = _read(tmp_path, "commented.json", text)
    assert got.errors == []
    (r,) = got.resources
    assert r.properties["description"] == "two\nlines"
    assert r.position(r.pointer_for("properties.publicNetworkAccess"))[0] == 10


def test_line_of_a_property(tmp_path):
    got = _read(tmp_path, "ws.json", _workspace(managedNetwork={"isolationMode": "Disabled"}))
    (r,) = got.resources
    line, _ = r.position(r.pointer_for("properties.managedNetwork.isolationMode"))
    text = (tmp_path / "ws.json").read_text().splitlines()
    assert '"isolationMode"' in text[line - 1]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json at all, but Microsoft.Storage", "not valid JSON"),
        ('{"value": [1,', "not valid JSON"),
        ("[", "not valid JSON"),
        ("", "empty file"),
        ('{"type": "Microsoft.Storage/storageAccounts"}', "no known ARM shape"),
        ('{"value": 1, "id": "/subscriptions/x"}', "no known ARM shape"),
        ('{"responses": {"404": {"body": {}}}}', "no 2xx response body"),
    ],
)
def test_broken_arm_files_are_errors_and_the_scan_goes_on(tmp_path, content, reason):
    (tmp_path / "bad.json").write_text(content)
    (tmp_path / "good.json").write_text(json.dumps(_workspace()))
    got = read_paths([tmp_path], ReadOptions(root=tmp_path))
    assert [e.path for e in got.errors] == ["bad.json"]
    assert reason in got.errors[0].message
    assert [r.name for r in got.resources] == ["ws1"]


@pytest.mark.parametrize(
    ("content", "note"),
    [
        ('{"hello": "world"}', "not ARM: a JSON object with keys hello"),
        ("[1, 2, 3]", "not ARM: a JSON array of 3 items"),
        ("null", "not ARM: JSON null"),
        ('"a string"', "not ARM: a JSON str"),
        ('{"editor.tabSize": 2,}', "not ARM, and not valid JSON"),
        ('{"$schema": "https://docs.renovatebot.com/renovate-schema.json", "extends": ["config:base"]}', "not ARM"),
        ('{"name": "app", "type": "module", "version": "1.0.0"}', "not ARM"),
    ],
)
def test_walked_files_with_nothing_arm_are_skipped_but_named_files_are_errors(tmp_path, content, note):
    (tmp_path / "other.json").write_text(content)
    (tmp_path / "good.json").write_text(json.dumps(_workspace()))
    walked = read_paths([tmp_path], ReadOptions(root=tmp_path))
    assert walked.errors == []
    skipped = {s.path: s.note for s in walked.scanned if s.kind == "skipped"}
    assert note in skipped["other.json"]
    named = read_paths([tmp_path / "other.json"], ReadOptions(root=tmp_path))
    assert named.errors and all(e.path == "other.json" for e in named.errors), named
    assert not named.resources


def test_folder_walk_lists_skipped_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ws.json").write_text(json.dumps(_workspace()))
    (tmp_path / "notes.md").write_text("# notes")
    (tmp_path / "main.bicep").write_text("resource x 'y' = {}")
    got = read_paths([tmp_path], ReadOptions(root=tmp_path))
    kinds = {s.path: (s.kind, s.note) for s in got.scanned}
    assert kinds["sub/ws.json"][0] == "resource"
    assert kinds["notes.md"] == ("skipped", "not a JSON file")
    assert "az bicep build" in kinds["main.bicep"][1]


def test_parameter_file_is_not_an_error(tmp_path):
    params = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"x": {"value": 1}},
    }
    got = _read(tmp_path, "azuredeploy.parameters.json", params)
    assert got.errors == [] and [s.kind for s in got.scanned] == ["arm-parameters"]


def test_whole_corpus_reads_without_crash(corpus):
    got = read_paths([corpus], ReadOptions(root=corpus))
    json_files = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.json"))
    accounted = sorted({s.path for s in got.scanned if s.kind != "skipped"} | {e.path for e in got.errors})
    assert accounted == json_files, "every JSON file is either scanned or reported as an error"
    for error in got.errors:
        assert error.message, error
    assert len(got.resources) > 100
