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


# --- a crash is not a gate failure ---------------------------------------------------------------
def _run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """`mlwaf ...` as the installed command runs it (`mlwaf.cli:run`), not through CliRunner."""
    import sys

    from mlwaf import cli

    monkeypatch.setattr(sys, "argv", ["mlwaf", *args])
    with pytest.raises(SystemExit) as exc:
        cli.run()
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def test_a_crash_while_writing_reports_exits_4_and_the_written_reports_say_incomplete(
    tmp_path, sample_estate, monkeypatch, capsys
):
    from mlwaf.report import Whole, sarif

    out = tmp_path / "out"
    out.mkdir()
    (out / "mlwaf.sarif").write_text("{}  a report of an earlier run")

    def broken(result, options=None):
        raise RuntimeError("renderer exploded\nover two lines")

    monkeypatch.setattr(sarif, "REPORTER", Whole(broken))
    monkeypatch.delenv("MLWAF_DEBUG", raising=False)
    code, _, stderr = _run(monkeypatch, capsys, "scan", str(sample_estate), "-f", "json", "-f", "sarif",
                                "-f", "html", "--output-dir", str(out), "--fail-on", "high")
    assert code == 4
    assert "Traceback" not in stderr
    (line,) = [ln for ln in stderr.splitlines() if "internal error" in ln]
    assert "RuntimeError: renderer exploded over two lines" in line and "report it at" in line
    assert "while writing the sarif report" in line and "mlwaf.json now say" in line
    assert sorted(p.name for p in out.iterdir()) == ["mlwaf.json"]  # no stale SARIF, no partial file
    report = json.loads((out / "mlwaf.json").read_text())
    assert report["gate"]["exit_code"] == 4 and report["gate"]["decision"] == "incomplete"
    assert report["gate"]["reasons"][0]["rule"] == "internal-error"
    assert any("internal error while writing the sarif report" in e["message"] for e in report["errors"])


def test_a_crash_before_any_report_is_one_line_with_the_traceback_only_when_asked(
    tmp_path, sample_estate, monkeypatch, capsys
):
    from mlwaf import scoring

    def broken(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(scoring, "score", broken)
    monkeypatch.delenv("MLWAF_DEBUG", raising=False)
    args = ("scan", str(sample_estate), "--output-dir", str(tmp_path / "out"))
    code, _, stderr = _run(monkeypatch, capsys, *args)
    assert code == 4 and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and "KeyError: 'surprise'" in stderr
    assert not list((tmp_path / "out").glob("mlwaf.*"))
    code, _, stderr = _run(monkeypatch, capsys, "--debug", *args)
    assert code == 4 and "Traceback" in stderr and "KeyError: 'surprise'" in stderr.splitlines()[-1]
    monkeypatch.setenv("MLWAF_DEBUG", "1")
    code, _, stderr = _run(monkeypatch, capsys, *args)
    assert code == 4 and "Traceback" in stderr


# --- outputs that cannot be written: exit 2 with the path, before scanning ----------------------------
@pytest.mark.parametrize("where", ["dir-is-file", "dir-under-file", "output-is-dir", "output-under-file"])
def test_an_unusable_output_is_a_usage_error_before_scanning(tmp_path, monkeypatch, where):
    from mlwaf import scan

    ws = _workspace_file(tmp_path)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    option = {
        "dir-is-file": ["--output-dir", str(tmp_path / "afile")],
        "dir-under-file": ["--output-dir", str(tmp_path / "afile" / "reports")],
        "output-is-dir": ["-f", "json", "--output", str(tmp_path / "adir")],
        "output-under-file": ["-f", "json", "--output", str(tmp_path / "afile" / "r.json")],
    }[where]

    def never(*args, **kwargs):
        raise AssertionError("the scan started")

    monkeypatch.setattr(scan, "read_paths", never)
    result = _cli("scan", str(ws), *option)
    assert result.exit_code == 2, result.output
    assert option[-1] in result.output and "mlwaf: error:" in result.output


def test_an_unusable_baseline_output_is_a_usage_error(tmp_path):
    ws = _workspace_file(tmp_path)
    (tmp_path / "afile").write_text("x")
    result = _cli("baseline", "create", str(ws), "--output", str(tmp_path / "afile" / "b.json"))
    assert result.exit_code == 2 and "afile" in result.output


def test_ctrl_c_is_exit_130_not_a_gate_failure(tmp_path, sample_estate, monkeypatch, capsys):
    from mlwaf import scan

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(scan, "read_paths", interrupted)
    code, _, _ = _run(monkeypatch, capsys, "scan", str(sample_estate), "--output-dir", str(tmp_path / "out"))
    assert code == 130
