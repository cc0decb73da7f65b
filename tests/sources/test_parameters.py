"""Explicit parameters are never silently replaced, and per-environment parameter files are each
scanned in one run, each result labelled by its file (mlwaf.sources.parameters)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions, read_paths
from tests.sources.arm_template.templates import param_file, template, workspace, write

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
WS = "Microsoft.MachineLearningServices/workspaces"


def _template(folder: Path, name: str = "main.json") -> Path:
    data = {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0",
        "parameters": {"location": {"type": "string", "defaultValue": "westeurope"},
                       "publicAccess": {"type": "string", "defaultValue": "Enabled"}},
        "resources": [{"type": WS, "apiVersion": "2025-12-01", "name": "ws1", "location": "[parameters('location')]",
                       "identity": {"type": "SystemAssigned"},
                       "properties": {"publicNetworkAccess": "[parameters('publicAccess')]"}}],
    }
    return _write(folder / name, data)


def _params(folder: Path, name: str, **values: object) -> Path:
    return _write(folder / name, {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
                                  "parameters": {k: {"value": v} for k, v in values.items()}})


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def test_per_environment_parameter_files_are_each_scanned_and_labelled(tmp_path):
    main = _template(tmp_path)
    dev = _params(tmp_path, "main.dev.parameters.json", publicAccess="Enabled")
    prod = _params(tmp_path, "main.prod.parameters.json", publicAccess="Disabled")
    result = run_scan([main], ScanOptions(read=ReadOptions(root=tmp_path, parameter_files=[dev, prod]),
                                          reproducible=True))
    assert result.errors == []
    workspaces = {r.origin.parameters_file: r for r in result.inventory if r.type == WS}
    assert sorted(workspaces) == ["main.dev.parameters.json", "main.prod.parameters.json"]
    assert workspaces["main.prod.parameters.json"].properties["publicNetworkAccess"] == "Disabled"
    assert workspaces["main.dev.parameters.json"].properties["publicNetworkAccess"] == "Enabled"
    # The same synthesized id, two deployments: both judged, each finding labelled by its file.
    assert len({r.id for r in workspaces.values()}) == 1 and len({r.uid for r in workspaces.values()}) == 2
    public = {f.resource.origin.parameters_file: f.status.value for f in result.findings if f.check_id == "MLW-SEC-001"}
    assert public == {"main.dev.parameters.json": "FAIL", "main.prod.parameters.json": "PASS"}


def test_a_parameter_file_that_does_not_fit_is_an_error_never_the_sibling(tmp_path):
    """Was: the file was silently passed over and the sibling main.parameters.json used instead."""
    main = _template(tmp_path)
    _params(tmp_path, "main.parameters.json", publicAccess="Disabled")
    prod = _params(tmp_path, "main.prod.parameters.json", publicAccess="Disabled", skuName="Premium")
    got = read_paths([main], ReadOptions(root=tmp_path, parameter_files=[prod]))
    assert got.resources == [], "a deployment Azure rejects is not assessed with other values"
    (err,) = got.errors
    assert err.path == "main.json"
    assert "main.prod.parameters.json sets 'skuName', which this template does not declare" in err.message


def test_a_sibling_that_does_not_fit_is_an_error(tmp_path):
    main = _template(tmp_path)
    _params(tmp_path, "main.parameters.json", publicAccess="Disabled", typo="x")
    got = read_paths([main], ReadOptions(root=tmp_path))
    assert got.resources == []
    assert "main.parameters.json sets 'typo'" in got.errors[0].message


def test_a_parameter_file_for_one_template_leaves_the_others_on_their_defaults(tmp_path):
    _template(tmp_path, "main.json")
    _template(tmp_path / "modules", "storage.json")
    prod = _params(tmp_path, "main.prod.parameters.json", publicAccess="Disabled")
    got = read_paths([tmp_path], ReadOptions(root=tmp_path, parameter_files=[prod]))
    assert got.errors == []
    labels = sorted((r.origin.path, r.origin.parameters_file) for r in got.resources)
    assert labels == [("main.json", "main.prod.parameters.json"), ("modules/storage.json", None)]


def test_a_param_naming_no_declared_parameter_is_an_error_with_a_suggestion(tmp_path):
    main = _template(tmp_path)
    got = read_paths([main], ReadOptions(root=tmp_path, param_overrides={"publicAcess": "Disabled", "location": "x"}))
    assert [(e.path, e.message) for e in got.errors] == [
        ("--param publicAcess", "no scanned template declares a parameter 'publicAcess'; did you mean "
                                "'publicAccess' (main.json)?")
    ]
    assert got.resources[0].location == "x"


def test_the_command_line_exits_3_and_labels_each_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main = _template(Path("."))
    dev = _params(Path("."), "main.dev.parameters.json", publicAccess="Enabled")
    bad = _params(Path("."), "main.test.parameters.json", publicAccess="Enabled", zone="1")
    out = tmp_path / "out.json"
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(main), "--parameters", str(dev), "--parameters", str(bad),
                                 "-f", "json", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 3, result.output
    report = json.loads(out.read_text())
    assert [r["origin"].get("parameters_file") for r in report["resources"]] == ["main.dev.parameters.json"]
    assert any("'zone'" in e["message"] for e in report["errors"])
    typo = runner.invoke(app, ["scan", str(main), "--param", "lcation=x", "-f", "json", "-o", str(out)],
                         catch_exceptions=False)
    assert typo.exit_code == 3
    assert "did you mean 'location'" in out.read_text()


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
