"""The capacity and power checks on a live scan of the mock estate, through the command line: the
resource SKUs, Azure ML usages, GPU VMs' power states and auto-shutdown schedules read live, each
check's verdicts where the estate plants a pass and a fail, and the same verdicts on replay."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app

pytestmark = pytest.mark.corpus
runner = CliRunner()
CHECKS = ("MLW-REL-040", "MLW-REL-041", "MLW-PERF-030", "MLW-COST-030")


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


def _verdicts(report: dict) -> dict[tuple[str, str], str]:
    return {(f["check_id"], f["resource_id"].lower()): f["status"] for f in report["findings"]
            if f["check_id"] in CHECKS}


def test_capacity_and_power_checks_live_and_replayed(arm, estate, tmp_path):
    allowed = sorted(s for s in estate.subscriptions if s not in estate.forbidden)
    out, rec = tmp_path / "live.json", tmp_path / "rec"
    args = [a for s in allowed for a in ("--subscription", s)]
    live = _scan(*args, "--checks", ",".join(CHECKS), "--no-progress", "--record", str(rec), "-f", "json",
                 "-o", str(out), "--reproducible")
    assert live.exit_code == 0, live.output  # no gate option: findings alone never fail a scan
    report = json.loads(out.read_text())
    assert report["errors"] == []
    got = _verdicts(report)

    for sid in allowed:
        vms = f"/subscriptions/{sid}/resourcegroups/rg-gpu/providers/microsoft.compute/virtualmachines"
        # running with a schedule, running without, deallocated
        assert [got[("MLW-COST-030", f"{vms}/gpu-vm-{n}")] for n in range(3)] == ["PASS", "FAIL", "NOT_APPLICABLE"]
        # zones 1 and 2 on a size westeurope offers in zone 1 only; zone 1 alone
        assert got[("MLW-REL-041", f"{vms}/gpu-vm-0")] == "FAIL"
        assert got[("MLW-REL-041", f"{vms}/gpu-vm-1")] == "PASS"
        assert {got[("MLW-REL-040", f"{vms}/gpu-vm-{n}")] for n in range(3)} == {"PASS"}
        clusters = sorted(k for (c, k) in got if c == "MLW-PERF-030" and k.startswith(f"/subscriptions/{sid}/")
                          and k.endswith("/computes/cpu-cluster"))
        # STANDARD_NC6 x 1 node fits the NC family's 12 free vCPUs; the second workspace's 4 nodes do not
        assert [got[("MLW-PERF-030", k)] for k in clusters] == ["PASS", "FAIL", "PASS"]
    deployments = [k for (c, k) in got if c == "MLW-REL-040" and k.endswith("/deployments/blue")]
    assert deployments and {got[("MLW-REL-040", k)] for k in deployments} == {"PASS"}
    fail = next(f for f in report["findings"] if f["check_id"] == "MLW-PERF-030" and f["status"] == "FAIL")
    assert "needs 24 more vCPUs" in fail["message"] and "12/24" in fail["message"]

    replay_out = tmp_path / "replay.json"
    replay = _scan(str(rec), "--checks", ",".join(CHECKS), "-f", "json", "-o", str(replay_out), "--reproducible")
    assert replay.exit_code == live.exit_code, replay.output
    again = json.loads(replay_out.read_text())
    assert _verdicts(again) == got
    assert sorted(f["message"] for f in again["findings"]) == sorted(f["message"] for f in report["findings"])
