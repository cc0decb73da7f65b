"""Output people read in CI logs and pull requests: never wrapped or cut when stdout is not a
terminal, Markdown that notifies nobody, and reports that carry no runner's absolute paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from mlwaf import cli

WS = "Microsoft.MachineLearningServices/workspaces"


def _mlwaf(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command's code path, stdout a pipe as in CI (COLUMNS as a CI runner sets it)."""
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    env.pop("MLWAF_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "mlwaf.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_help_in_a_log_keeps_every_option_whole():
    """At rich's 80 columns `--inline-suppressions/--no-inline-suppressions` came out as
    `--inline-suppres…` and help text broke mid-sentence across boxed lines."""
    out = _mlwaf("scan", "--help").stdout
    assert "…" not in out and "╭" not in out
    command = typer.main.get_command(cli.app).commands["scan"]  # type: ignore[attr-defined]
    for param in command.params:
        if param.param_type_name == "option":
            for name in (*param.opts, *param.secondary_opts):
                assert name in out, name
            if param.help:
                assert " ".join(param.help.split()) in out, param.help  # one line, unbroken


def test_console_summary_in_a_log_keeps_paths_and_check_titles_whole(tmp_path):
    deep = tmp_path / ("a-folder-name-long-enough-to-overflow-eighty-columns-" * 2) / "infra"
    deep.mkdir(parents=True)
    (deep / "broken.json").write_text("[1, 2")
    rid = f"/subscriptions/s/resourceGroups/rg/providers/{WS}/mlw"
    (deep / "ws.json").write_text(json.dumps({"id": rid, "name": "mlw", "type": WS, "properties": {}}))
    run = _mlwaf("scan", str(deep), "--output-dir", str(tmp_path / "out"))
    assert run.returncode == 3, run.stderr
    assert any(line.startswith("  broken.json: not valid JSON") for line in run.stdout.splitlines()), run.stdout
    assert f"wrote {tmp_path / 'out' / 'mlwaf.json'}" in run.stdout.splitlines()
    titles = _mlwaf("checks", "list").stdout
    from mlwaf import registry

    for spec in registry.load().sorted():
        assert spec.title in titles, spec.title


def test_markdown_breaks_mentions_and_issue_references(tmp_path):
    from mlwaf.report import markdown

    assert markdown.esc("@platform-team owns fix-#12 and #34") == (
        "@\u200bplatform-team owns fix-\\#\u200b12 and \\#\u200b34"
    )
    for name in ("@platform-team", "fix-#12"):
        rid = f"/subscriptions/s/resourceGroups/rg/providers/{WS}/{name}"
        (tmp_path / f"{len(name)}.json").write_text(json.dumps(
            {"id": rid, "name": name, "type": WS, "properties": {"publicNetworkAccess": "Enabled"}}))
    md = tmp_path / "r.md"
    run = _mlwaf("scan", str(tmp_path), "--checks", "MLW-SEC-001", "-f", "markdown", "-o", str(md))
    assert run.returncode == 0, run.stderr
    text = md.read_text()
    assert "@\u200bplatform-team" in text and "\\#\u200b12" in text
    assert "@platform" not in text and "#12" not in text


def test_reports_carry_repository_relative_paths_only(tmp_path):
    """A suppression's source and the baseline's path were the runner's absolute paths."""
    repo = tmp_path / "checkout"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    rid = f"/subscriptions/s/resourceGroups/rg/providers/{WS}/mlw"
    (repo / "infra" / "ws.json").write_text(json.dumps(
        {"id": rid, "name": "mlw", "type": WS, "properties": {"publicNetworkAccess": "Enabled"}}))
    (repo / "ci").mkdir()
    (repo / "ci" / "mlwaf.toml").write_text(
        'baseline = "baselines/known.json"\n'
        '[[suppressions]]\ncheck = "MLW-SEC-001"\nresource = "*"\nreason = "RISK-1"\n')
    config = str(repo / "ci" / "mlwaf.toml")
    assert _mlwaf("baseline", "create", "infra", "--config", config, cwd=repo).returncode == 0
    out = repo / "out"
    run = _mlwaf("scan", str(repo / "infra"), "--config", config, "--output-dir", str(out), cwd=repo)
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "mlwaf.json").read_text())
    assert report["baseline"]["path"] == "ci/baselines/known.json"
    assert {r["source"] for r in report["suppressions"]["rules"]} == {"ci/mlwaf.toml [[suppressions]] #1"}
    for name in ("mlwaf.json", "mlwaf.md", "mlwaf.sarif", "mlwaf.html", "mlwaf.csv", "mlwaf.junit.xml"):
        assert str(tmp_path) not in (out / name).read_text(), name
