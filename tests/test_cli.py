"""The command line as users run it: scan, checks list/show, the JSON contract, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mlwaf.cli import app

runner = CliRunner()


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


def test_scan_sample_estate_writes_json_contract(sample_estate, tmp_path):
    out = tmp_path / "out.json"
    result = _scan(str(sample_estate), "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report) >= {"tool", "scanned", "errors", "resources", "findings", "scores"}
    assert report["tool"]["name"] == "mlwaf"
    assert report["errors"] == []
    scanned = {s["path"]: s for s in report["scanned"]}
    assert scanned["prod/computes.json"] == {"path": "prod/computes.json", "kind": "list-page", "resources": 4}
    for r in report["resources"]:
        # deployment: a template's resources (repository-relative template and parameter files).
        templated = r["origin"].get("kind") == "arm-template"
        # kind: ARM's kind where the resource has one (mlwaf merge reads a workspace's).
        optional = ({"deployment"} if templated else set()) | ({"kind"} if "kind" in r else set())
        assert set(r) == {"id", "type", "name", "location", "origin"} | optional
        assert r["origin"]["path"] and isinstance(r["origin"]["line"], int)
    assert any(r.get("kind") for r in report["resources"] if r["type"].endswith("/workspaces"))
    keys = {"check_id", "title", "pillar", "severity", "status", "resource_id", "resource_type",
            "resource_name", "message", "evidence", "location"}
    for f in report["findings"]:
        assert keys <= set(f)
        assert f["status"] in {"PASS", "FAIL", "UNKNOWN", "NOT_APPLICABLE", "ERROR"}
    # A real verdict of the estate: the dev workspace leaves public access enabled (its template's
    # parameter default, resolved), so it fails with the value as evidence; never UNKNOWN.
    (dev_public,) = [
        f for f in report["findings"]
        if f["check_id"] == "MLW-SEC-001" and f["resource_name"] == "mlw-fraud-dev"
    ]
    assert dev_public["status"] == "FAIL"
    assert dev_public["evidence"] == [{"path": "properties.publicNetworkAccess", "value": "Enabled"}]
    assert set(report["scores"]["pillars"]) == {
        "reliability", "security", "cost_optimization", "operational_excellence", "performance_efficiency"
    }


def test_failing_finding_points_at_the_offending_line(sample_estate, tmp_path):
    out = tmp_path / "out.json"
    _scan(str(sample_estate), "-f", "json", "-o", str(out))
    report = json.loads(out.read_text())
    (finding,) = [
        f for f in report["findings"]
        if f["check_id"] == "MLW-COST-002" and f["resource_name"] == "gpu-always-on"
    ]
    assert finding["status"] == "FAIL"
    lines = (sample_estate / "prod" / "computes.json").read_text().splitlines()
    assert '"minNodeCount": 2' in lines[finding["location"]["line"] - 1]


def test_default_writes_every_format_to_output_dir(sample_estate, tmp_path):
    result = _scan(str(sample_estate), "--output-dir", str(tmp_path / "reports"))
    assert result.exit_code == 0
    assert (tmp_path / "reports" / "mlwaf.json").is_file()
    assert "Security" in result.output


def test_exit_code_2_for_missing_path(tmp_path):
    result = _scan(str(tmp_path / "nope.json"), "--output-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_exit_code_2_when_nothing_could_be_scanned(tmp_path):
    (tmp_path / "bad.json").write_text("{oops")
    result = _scan(str(tmp_path / "bad.json"), "--output-dir", str(tmp_path / "r"))
    assert result.exit_code == 2


def test_exit_code_3_when_some_inputs_failed(sample_estate, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "arm"}')
    out = tmp_path / "r.json"
    result = _scan(str(sample_estate), str(bad), "-f", "json", "-o", str(out))
    assert result.exit_code == 3
    report = json.loads(out.read_text())
    assert len(report["errors"]) == 1 and "no known ARM shape" in report["errors"][0]["message"]
    assert report["findings"], "the other inputs were still scanned"


def test_checks_list_json_and_show():
    listed = runner.invoke(app, ["checks", "list", "--format", "json"])
    assert listed.exit_code == 0
    checks = json.loads(listed.output)
    first = checks[0]
    expected = {"id", "title", "pillar", "severity", "resource_types", "implements", "references", "remediation"}
    assert expected <= set(first)
    assert set(first["references"]) == {"azure_policy", "psrule", "checkov", "docs"}
    shown = runner.invoke(app, ["checks", "show", "MLW-SEC-001"])
    assert shown.exit_code == 0
    assert "Remediation" in shown.output and "438c38d2-3772-465a-a9cc-7a6666a275ce" in shown.output
    assert runner.invoke(app, ["checks", "show", "NOPE-1"]).exit_code == 2


def test_offline_scan_imports_neither_the_azure_sdk_nor_pandas(tmp_path):
    """Offline scans stay fast to start: no Azure SDK, and scoring needs no pandas or numpy."""
    ws = Path(__file__).resolve().parents[1] / "fixtures" / "sample-estate" / "prod" / "workspace.json"
    code = (
        "import sys\n"
        "from mlwaf.cli import app\n"
        f"try:\n    app(['scan', {str(ws)!r}, '-q', '--output-dir', {str(tmp_path)!r}])\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = ('azure', 'pandas', 'numpy')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
        "print(loaded)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("mlwaf ")


def test_json_report_streams_the_same_bytes_as_it_renders(sample_estate, tmp_path):
    """Large scans stream the JSON report item by item; the bytes must not depend on that."""
    import io

    from mlwaf.report import json as json_report
    from mlwaf.scan import ScanOptions, run_scan
    from mlwaf.sources import ReadOptions

    for root in (sample_estate, tmp_path):  # a real estate, and an empty folder (empty lists)
        result = run_scan([root], ScanOptions(read=ReadOptions(root=root), reproducible=True))
        streamed = io.StringIO()
        json_report.write(result, streamed)
        assert streamed.getvalue() == json_report.render(result)
        assert json.loads(streamed.getvalue())["findings"] == json.loads(json_report.render(result))["findings"]
