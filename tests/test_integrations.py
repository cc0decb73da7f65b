"""The pipeline integrations run as written: the GitHub Action's and the Azure Pipelines
template's shell steps are executed here with the environment their runners give them, and the
pre-commit hook's command line is run on a template."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.gate_estate import build_estate, write_pack

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
AZURE = REPO / "integrations" / "azure-pipelines" / "mlwaf.yml"
AZURE_EXAMPLE = REPO / "integrations" / "azure-pipelines" / "azure-pipelines.example.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
BIN = str(Path(sys.executable).parent)


@pytest.fixture()
def estate(tmp_path):
    build_estate(tmp_path / "repo" / "infra")
    pack = write_pack(tmp_path / "pack")
    (tmp_path / "repo" / "mlwaf.toml").write_text('checks = ["TST-*"]\n', encoding="utf-8")
    return tmp_path / "repo", pack


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), **env}
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=300)


def _step(steps: list[dict], name: str) -> dict:
    (step,) = [s for s in steps if s.get("name") == name or s.get("displayName") == name or s.get("id") == name]
    return step


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_action_is_a_composite_action_that_uploads_sarif():
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    uses = [s.get("uses", "") for s in action["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert all(s.get("shell") == "bash" for s in action["runs"]["steps"] if "run" in s)
    for step in action["runs"]["steps"]:  # inputs reach scripts through env only (no injection)
        assert "${{" not in step.get("run", ""), step.get("name")
    assert set(action["outputs"]) == {"exit-code", "report-dir", "sarif-file"}


def test_action_scan_summary_and_gate_steps_run(estate, tmp_path):
    repo, pack = estate
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary), "MLWAF_PATHS": "infra",
           "MLWAF_ARGS": f"--checks-dir {pack} --fail-on high --min-score security=80", "MLWAF_CONFIG": "mlwaf.toml",
           "MLWAF_OUT": "mlwaf-reports", "MLWAF_CATEGORY": "mlwaf-infra"}
    scan = _bash(_step(steps, "scan")["run"], repo, env)
    assert scan.returncode == 0, scan.stderr  # the scan step records the code, the gate step fails
    out = _outputs(outputs)
    assert out["exit-code"] == "1" and out["sarif-file"] == "mlwaf-reports/mlwaf.sarif"
    reports = repo / "mlwaf-reports"
    assert {p.name for p in reports.iterdir()} >= {"mlwaf.sarif", "mlwaf.md", "mlwaf.json", "mlwaf.junit.xml"}
    sarif = json.loads((reports / "mlwaf.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"]["id"].startswith("mlwaf-infra")
    assert json.loads((reports / "mlwaf.json").read_text())["gate"]["decision"] == "failed"

    done = _bash(_step(steps, "Job summary")["run"], repo, env)
    assert done.returncode == 0 and summary.read_text().startswith("## mlwaf: gate ❌ failed")

    gate_script = _step(steps, "Gate")["run"]
    failed = _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "1", "MLWAF_ALLOW_INCOMPLETE": "false"})
    assert failed.returncode == 1 and "::error title=mlwaf::The gate failed" in failed.stdout
    assert _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "0", "MLWAF_ALLOW_INCOMPLETE": "false"}).returncode == 0
    assert _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "3", "MLWAF_ALLOW_INCOMPLETE": "false"}).returncode == 3
    lenient = _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "3", "MLWAF_ALLOW_INCOMPLETE": "true"})
    assert lenient.returncode == 0 and "::warning" in lenient.stdout
    assert _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "", "MLWAF_ALLOW_INCOMPLETE": "false"}).returncode == 2


def test_action_inputs_cannot_inject_shell(estate, tmp_path):
    repo, pack = estate
    steps = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    marker = tmp_path / "pwned"
    env = {"GITHUB_OUTPUT": str(tmp_path / "o"), "MLWAF_PATHS": f"infra; touch {marker}",
           "MLWAF_ARGS": f"--checks-dir {pack} $(touch {marker})", "MLWAF_CONFIG": "", "MLWAF_OUT": "r",
           "MLWAF_CATEGORY": "mlwaf"}
    _bash(_step(steps, "scan")["run"], repo, env)
    assert not marker.exists()
    assert _outputs(tmp_path / "o")["exit-code"] == "2"  # the odd words are usage errors, not commands


def test_azure_template_scan_and_gate_steps_run(estate, tmp_path):
    repo, pack = estate
    template = yaml.safe_load(AZURE.read_text())
    tasks = [s.get("task") for s in template["steps"] if "task" in s]
    assert {"UsePythonVersion@0", "PublishTestResults@2", "PublishPipelineArtifact@1"} <= set(tasks)
    published = _step(template["steps"], "Publish mlwaf results to the Tests tab")["inputs"]
    assert published["testResultsFormat"] == "JUnit"
    assert published["testResultsFiles"].endswith("/mlwaf.junit.xml")
    out = tmp_path / "staging" / "mlwaf"
    env = {"MLWAF_PATHS": "infra", "MLWAF_ARGS": f"--checks-dir {pack} --fail-on-unknown", "MLWAF_CONFIG": "",
           "MLWAF_OUT": str(out)}
    scan = _bash(_step(template["steps"], "mlwaf scan")["bash"], repo, env)
    assert scan.returncode == 0, scan.stderr
    assert "##vso[task.setvariable variable=MLWAF_EXIT_CODE]1" in scan.stdout
    assert f"##vso[task.uploadsummary]{out}/mlwaf.md" in scan.stdout
    assert {"mlwaf.junit.xml", "mlwaf.sarif", "mlwaf.md", "mlwaf.json", "mlwaf.html"} <= {p.name for p in out.iterdir()}
    gate_script = _step(template["steps"], "mlwaf gate")["bash"]
    failed = _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "1", "MLWAF_ALLOW_INCOMPLETE": "False"})
    assert failed.returncode == 1 and "##vso[task.logissue type=error]" in failed.stdout
    # Azure renders a boolean parameter as True / False.
    assert _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "3", "MLWAF_ALLOW_INCOMPLETE": "True"}).returncode == 0
    assert _bash(gate_script, repo, {"MLWAF_EXIT_CODE": "3", "MLWAF_ALLOW_INCOMPLETE": "False"}).returncode == 3


def test_azure_example_arguments_are_accepted(estate, tmp_path):
    repo, pack = estate
    example = yaml.safe_load(AZURE_EXAMPLE.read_text())
    (use,) = [s for s in example["steps"] if "template" in s]
    assert use["template"] == "integrations/azure-pipelines/mlwaf.yml@mlwaf"
    args = use["parameters"]["args"].split()
    subprocess.run([f"{BIN}/mlwaf", "baseline", "create", "infra", "--checks-dir", str(pack), "-o",
                    "mlwaf-baseline.json"], cwd=repo, check=True, capture_output=True)
    run = subprocess.run([f"{BIN}/mlwaf", "scan", "infra", "--checks-dir", str(pack), "-q", "-f", "json",
                          "-o", str(tmp_path / "r.json"), *args], cwd=repo, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr  # known findings are in the baseline; the scores still gate
    gate = json.loads((tmp_path / "r.json").read_text())["gate"]
    assert [r["rule"] for r in gate["reasons"]] == ["min-score", "min-score"]


def test_pre_commit_hook_runs_on_templates_and_skips_tool_json(estate):
    repo, pack = estate
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert hook["id"] == "mlwaf" and hook["language"] == "python" and hook["pass_filenames"] is True
    exclude = re.compile(hook["exclude"])
    assert exclude.search("package.json") and exclude.search("web/package-lock.json")
    assert exclude.search(".vscode/settings.json") and not exclude.search("infra/tmpl/azuredeploy.json")
    command = [f"{BIN}/{hook['entry'].split()[0]}", *hook["entry"].split()[1:], *hook["args"],
               "--checks-dir", str(pack), "infra/tmpl/azuredeploy.json", "infra/dev/workspaces.json"]
    run = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.startswith("## mlwaf: gate ❌ failed") and "mlw-dev" in run.stdout
    clean = subprocess.run([*command[:-1]], cwd=repo, capture_output=True, text=True)  # the template alone
    assert clean.returncode == 0, clean.stdout


def test_action_installs_its_own_version_unless_told_otherwise(tmp_path):
    """`uses: OWNER/mlwaf@v1.2.0` must run mlwaf 1.2.0: by default the install step installs the
    action's own checkout (github.action_path), not whatever the package index has that day."""
    action = yaml.safe_load(ACTION.read_text())
    assert action["inputs"]["package"]["default"] == ""
    step = _step(action["runs"]["steps"], "Install mlwaf")
    assert step["env"]["MLWAF_ACTION_PATH"] == "${{ github.action_path }}"
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "calls"
    (fake / "python").write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > "{calls}"\n')
    (fake / "python").chmod(0o755)
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "MLWAF_ACTION_PATH": "/runner/_actions/OWNER/mlwaf/v1"}
    run = subprocess.run(["bash", "-e", "-c", step["run"]], env={**os.environ, **env, "MLWAF_PACKAGE": ""},
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert calls.read_text().splitlines()[:3] == ["-m", "pip", "install"]
    assert calls.read_text().splitlines()[-1] == "/runner/_actions/OWNER/mlwaf/v1"
    run = subprocess.run(["bash", "-e", "-c", step["run"]], env={**os.environ, **env, "MLWAF_PACKAGE": "mlwaf==0.2.0"},
                         capture_output=True, text=True)
    assert run.returncode == 0 and calls.read_text().splitlines()[-1] == "mlwaf==0.2.0"


@pytest.mark.parametrize("where", ["action", "azure"])
def test_paths_are_one_per_line_and_may_hold_spaces(estate, tmp_path, where):
    repo, pack = estate
    spaced = repo / "ml templates"
    (repo / "infra" / "dev").rename(spaced)
    if where == "action":
        script = _step(yaml.safe_load(ACTION.read_text())["runs"]["steps"], "scan")["run"]
        env = {"GITHUB_OUTPUT": str(tmp_path / "o"), "MLWAF_CONFIG": "", "MLWAF_CATEGORY": "mlwaf"}
    else:
        script = _step(yaml.safe_load(AZURE.read_text())["steps"], "mlwaf scan")["bash"]
        env = {"MLWAF_CONFIG": ""}
    env |= {"MLWAF_PATHS": "infra\n  ml templates  \n\n", "MLWAF_ARGS": f"--checks-dir {pack}\n--checks TST-*",
            "MLWAF_OUT": str(tmp_path / "out")}
    run = _bash(script, repo, env)
    assert run.returncode == 0, run.stderr
    scanned = {s["path"] for s in json.loads((tmp_path / "out" / "mlwaf.json").read_text())["scanned"]}
    assert any(p.startswith("ml templates/") for p in scanned) and any(p.startswith("infra/") for p in scanned)


def test_gate_steps_say_an_internal_error_is_not_a_gate_failure():
    action_gate = _step(yaml.safe_load(ACTION.read_text())["runs"]["steps"], "Gate")["run"]
    azure_gate = _step(yaml.safe_load(AZURE.read_text())["steps"], "mlwaf gate")["bash"]
    for script in (action_gate, azure_gate):
        run = _bash(script, REPO, {"MLWAF_EXIT_CODE": "4", "MLWAF_ALLOW_INCOMPLETE": "true"})
        assert run.returncode == 4 and "internal error" in run.stdout


def test_pre_commit_hook_does_not_fail_commits_on_json_that_is_not_arm(estate):
    """pre-commit passes every changed JSON file its filters let through; renovate.json or an
    editor's settings must not fail the commit (they were input errors: exit 3)."""
    repo, pack = estate
    (hook,) = yaml.safe_load(HOOKS.read_text())
    (repo / "renovate.json").write_text('{"extends": ["config:recommended"]}')
    (repo / ".eslintrc.json").write_text('{"root": true, "rules": {}}')
    base = [f"{BIN}/{hook['entry'].split()[0]}", *hook["entry"].split()[1:], *hook["args"], "--checks-dir", str(pack)]

    def commit(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *files], cwd=repo, capture_output=True, text=True)

    with_template = commit("renovate.json", "infra/tmpl/azuredeploy.json", ".eslintrc.json")
    assert with_template.returncode == 0, with_template.stdout + with_template.stderr
    only_tooling = commit("renovate.json", ".eslintrc.json")
    assert only_tooling.returncode == 0, only_tooling.stdout + only_tooling.stderr
    failing = commit("renovate.json", "infra/dev/workspaces.json")
    assert failing.returncode == 1 and "mlw-dev" in failing.stdout
    broken = repo / "infra" / "broken.json"
    broken.write_text('{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",')
    assert commit("infra/broken.json", "infra/tmpl/azuredeploy.json").returncode == 3  # broken ARM stays an error


# --- scheduled audits (issue 16): a matrix of scans, a merge, a history in a storage account ---

GITHUB_AUDIT = REPO / "integrations" / "github-actions" / "scheduled-audit.yml"
AZURE_AUDIT = REPO / "integrations" / "azure-pipelines" / "scheduled-audit.yml"
SAMPLE = REPO / "fixtures" / "sample-estate"
LIVE_SCAN = 'mlwaf scan --subscription "$SUBSCRIPTION"'
# Each matrix job's live scan becomes an offline scan of one folder of the sample estate (the
# runner has no Azure): the folders named by SUBSCRIPTION are left out; its recording becomes the
# files it names in the report (`inputs`), which the merge job's checkout holds.
OFFLINE_SCAN = 'mlwaf scan "$ESTATE" --reproducible $EXCLUDE'
PARTS = {"dev": "--exclude graph --exclude prod", "graph": "--exclude dev --exclude prod",
         "prod": "--exclude dev --exclude graph"}
# `az` is stubbed: the storage account is a folder; every call is logged and must sign in with
# the pipeline's identity (--auth-mode login), never an account key.
AZ_STUB = """#!/usr/bin/env bash
echo "$*" >> "$AZ_LOG"
case "$*" in *"--auth-mode login"*) ;; *) echo "az called without --auth-mode login" >&2; exit 9;; esac
name=""; file=""
while [ $# -gt 0 ]; do case "$1" in --name) name=$2; shift;; --file) file=$2; shift;; esac; shift; done
if [[ "$(tail -1 "$AZ_LOG")" == "storage blob exists"* ]]; then
  if [ -f "$BLOBS/$name" ]; then echo true; else echo false; fi
elif [[ "$(tail -1 "$AZ_LOG")" == "storage blob download"* ]]; then cp "$BLOBS/$name" "$file"
elif [[ "$(tail -1 "$AZ_LOG")" == "storage blob upload"* ]]; then cp "$file" "$BLOBS/$name"
else echo "unexpected az call: $*" >&2; exit 9
fi
"""


def _stub_az(tmp: Path) -> dict[str, str]:
    bin_dir = tmp / "stub-bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(AZ_STUB)
    az.chmod(0o755)
    (tmp / "blobs").mkdir()
    return {"PATH": str(bin_dir) + os.pathsep + BIN + os.pathsep + os.environ.get("PATH", ""),
            "AZ_LOG": str(tmp / "az.log"), "BLOBS": str(tmp / "blobs")}


def _run_matrix(script: str, work: Path, env: dict[str, str]) -> None:
    assert LIVE_SCAN in script and '--record "part/$SUBSCRIPTION/rec"' in script
    script = script.replace(LIVE_SCAN, OFFLINE_SCAN).replace(' --record "part/$SUBSCRIPTION/rec"', "")
    # The job runs in a checkout of the repository, as the merge job does.
    shutil.copytree(SAMPLE, work / "estate")
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    for name, exclude in PARTS.items():
        run = _bash(script, work, {**env, "SUBSCRIPTION": name, "ESTATE": "estate", "EXCLUDE": exclude})
        assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (work / "part").iterdir()) == ["dev", "graph", "prod"]
    assert all((work / "part" / p / "mlwaf.json").is_file() for p in PARTS)


def _judged_as_one_scan(work: Path) -> None:
    """The merge judged the parts again as one scan: the single scan's findings and scores."""
    report = json.loads((work / "reports" / "mlwaf.json").read_text())
    assert report["merge"]["judged"] == "as one scan of the parts' inputs"
    one = _bash("mlwaf scan estate --reproducible -q -f json -o -", work, {})
    whole = json.loads(one.stdout)
    marks = [{k: v for k, v in f.items() if k != "history"} for f in report["findings"]]  # --history's marks
    assert marks == whole["findings"] and report["scores"] == whole["scores"]


def test_github_scheduled_audit_scans_a_matrix_merges_and_keeps_history(tmp_path):
    flow = yaml.safe_load(GITHUB_AUDIT.read_text())
    assert flow[True]["schedule"] and flow["permissions"]["id-token"] == "write"  # `on:` parses as True
    scan, merge = flow["jobs"]["scan"], flow["jobs"]["merge"]
    assert "fromJSON(vars.MLWAF_SUBSCRIPTIONS)" in scan["strategy"]["matrix"]["subscription"]
    assert merge["needs"] == "scan"
    for job in (scan, merge):
        login = next(s for s in job["steps"] if s.get("uses", "").startswith("azure/login@"))
        assert set(login["with"]) >= {"client-id", "tenant-id"} and "client-secret" not in login["with"]
        for step in job["steps"]:  # values reach scripts through env only (no injection)
            assert "${{" not in step.get("run", ""), step.get("name")
    work = tmp_path / "work"
    work.mkdir()
    env = _stub_az(tmp_path)
    _run_matrix(_step(scan["steps"], "Scan")["run"], work, env)
    # The artifacts: every job's part/ lands in parts/ (download-artifact, merge-multiple).
    (work / "parts").mkdir()
    for part in (work / "part").iterdir():
        part.rename(work / "parts" / part.name)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    gh = {**env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs), "ACCOUNT": "acct",
          "CONTAINER": "mlwaf"}
    for _night in (1, 2):
        for name in ("Download history", "Merge", "Upload history"):
            run = _bash(_step(merge["steps"], name)["run"], work, gh)
            assert run.returncode == 0, (name, run.stderr)
        assert _outputs(outputs)["exit-code"] == "0"  # the sample estate passes the default gate
        assert (tmp_path / "blobs" / "audit.db").is_file()
    from mlwaf.report import FORMATS
    from mlwaf.report.output import target

    assert sorted(p.name for p in (work / "reports").iterdir()) == sorted(
        target(name, None, Path()).name for name in FORMATS)  # every format a scan writes
    report = json.loads((work / "reports" / "mlwaf.json").read_text())
    assert report["history"] and len(report["resources"]) == 24
    _judged_as_one_scan(work)
    assert summary.read_text().count("#") >= 2  # the digest, posted twice (two nights)
    log = (tmp_path / "az.log").read_text().splitlines()
    assert [line.split()[2] for line in log] == ["exists", "upload", "exists", "download", "upload"]
    gate = _bash(_step(merge["steps"], "Gate")["run"], work, {"CODE": _outputs(outputs)["exit-code"]})
    assert gate.returncode == 0


def test_azure_pipelines_scheduled_audit_scans_a_matrix_merges_and_keeps_history(tmp_path):
    pipe = yaml.safe_load(AZURE_AUDIT.read_text())
    assert pipe["schedules"][0]["cron"] and pipe["trigger"] == "none"
    scan, merge = pipe["jobs"]
    assert len(scan["strategy"]["matrix"]) == 3 and merge["dependsOn"] == "scan"
    tasks = [s for job in (scan, merge) for s in job["steps"] if s.get("task", "").startswith("AzureCLI@2")]
    assert len(tasks) == 2 and all(t["inputs"]["azureSubscription"] == "$(serviceConnection)" for t in tasks)
    work = tmp_path / "work"
    work.mkdir()
    env = _stub_az(tmp_path)
    _run_matrix(_step(scan["steps"], "Scan")["inputs"]["inlineScript"], work, env)
    # The published artifacts, as `download: current` lays them out.
    pipeline_ws = tmp_path / "pipeline"
    for i, part in enumerate(sorted((work / "part").iterdir())):
        (pipeline_ws / f"mlwaf-part-{i}").mkdir(parents=True)
        part.rename(pipeline_ws / f"mlwaf-part-{i}" / part.name)
    run = _bash(_step(merge["steps"], "Merge")["inputs"]["inlineScript"], work,
                {**env, "PIPELINE_WORKSPACE": str(pipeline_ws), "HISTORYACCOUNT": "acct", "HISTORYCONTAINER": "c"})
    assert run.returncode == 0, run.stderr
    assert "##vso[task.uploadsummary]" in run.stdout and "##vso[task.setvariable variable=gate]0" in run.stdout
    assert (work / "digest.md").is_file() and (tmp_path / "blobs" / "audit.db").is_file()
    assert json.loads((work / "reports" / "mlwaf.json").read_text())["gate"]["exit_code"] == 0
    _judged_as_one_scan(work)
