"""Gate paths that must never read as a pass: nothing assessed, a crash, an unusable output.

Each test runs the command line as a pipeline does and checks the exit code and what a person
reading the CI log sees.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app

runner = CliRunner()
WS = "Microsoft.MachineLearningServices/workspaces"


def _cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _workspace_file(folder: Path) -> Path:
    rid = f"/subscriptions/s/resourceGroups/rg/providers/{WS}/mlw"
    path = folder / "ws.json"
    path.write_text(json.dumps({"id": rid, "name": "mlw", "type": WS, "location": "westeurope", "properties": {}}))
    return path


# --- nothing assessed: exit 2, said on the console, never "gate: passed" ----------------------------
def _nothing_assessed(result, why: str) -> None:
    assert result.exit_code == 2, result.output
    assert "gate: passed" not in result.output
    assert "nothing assessed" in result.output and why in result.output


@pytest.mark.parametrize("gate", [[], ["--fail-on", "high"]])
def test_an_empty_folder_is_not_a_pass(tmp_path, gate):
    (tmp_path / "infra").mkdir()
    result = _cli("scan", str(tmp_path / "infra"), "--output-dir", str(tmp_path / "out"), *gate)
    _nothing_assessed(result, "no input found")
    report = json.loads((tmp_path / "out" / "mlwaf.json").read_text())
    assert report["gate"]["decision"] == "error" and report["gate"]["reasons"][0]["rule"] == "nothing-assessed"


def test_a_folder_of_bicep_only_is_not_a_pass(tmp_path):
    (tmp_path / "main.bicep").write_text("param location string = resourceGroup().location\n")
    (tmp_path / "README.md").write_text("# infra\n")
    result = _cli("scan", str(tmp_path), "-f", "json", "-o", str(tmp_path / "r.json"), "--fail-on", "high")
    _nothing_assessed(result, "2 file(s) skipped")


def test_a_commit_that_changes_only_a_parameter_file_is_not_a_pass(tmp_path, sample_estate):
    """pre-commit passes the changed files: here only the parameter file of a template."""
    params = sample_estate / "dev" / "azuredeploy.parameters.json"
    result = _cli("scan", str(params), "-f", "json", "-o", str(tmp_path / "r.json"), "--fail-on", "high")
    _nothing_assessed(result, "hold no resource")


def test_resources_no_check_targets_are_not_a_pass(tmp_path):
    vnet = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
            "name": "v", "type": "Microsoft.Network/virtualNetworks", "properties": {}}
    (tmp_path / "vnet.json").write_text(json.dumps(vnet))
    result = _cli("scan", str(tmp_path / "vnet.json"), "-f", "json", "-o", str(tmp_path / "r.json"))
    _nothing_assessed(result, "Microsoft.Network/virtualNetworks), none of a type")


def test_selectors_that_leave_no_check_are_a_usage_error_before_scanning(tmp_path):
    ws = _workspace_file(tmp_path)
    result = _cli("scan", str(ws), "--checks", "security", "--skip-checks", "security", "-o", str(tmp_path / "r.json"),
                  "-f", "json")
    assert result.exit_code == 2 and "leaves no check to run" in result.output
    assert not (tmp_path / "r.json").exists()


def test_a_baseline_of_nothing_assessed_is_not_written(tmp_path):
    (tmp_path / "infra").mkdir()
    result = _cli("baseline", "create", str(tmp_path / "infra"), "--output", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "nothing assessed" in result.output
    assert not (tmp_path / "b.json").exists()


def test_gate_reasons_go_to_stderr(tmp_path, sample_estate):
    shutil.copytree(sample_estate, tmp_path / "estate")
    result = runner.invoke(app, ["scan", str(tmp_path / "estate"), "--fail-on", "high", "--output-dir",
                                 str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "gate: failed" in result.stderr and "gate: failed" not in result.stdout
    assert "failed check(s) of severity high" in result.stderr
