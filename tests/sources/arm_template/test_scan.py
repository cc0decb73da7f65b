"""Templates through a whole scan: checks judge evaluated values, or answer UNKNOWN with the
expression; --param and --parameters on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mlwaf.cli import app
from mlwaf.model import Status
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions
from tests.sources.arm_template.templates import param_file, template, workspace, write


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
        assert res.exit_code == 0, res.output
        findings = json.loads(out.read_text())["findings"]
        return next(f["status"] for f in findings if f["check_id"] == "MLW-SEC-001")

    assert status() == "UNKNOWN"
    assert status("--parameters", str(pfile)) == "FAIL"
    assert status("--parameters", str(pfile), "--param", "publicNetworkAccess=Disabled") == "PASS"
    bad = runner.invoke(app, ["scan", str(t), "--param", "novalue"])
    assert bad.exit_code == 2 and "name=value" in bad.output
    missing = runner.invoke(app, ["scan", str(t), "--parameters", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2
