"""Azure's word in the reports of a live scan of the mock estate, through the command line and the
real azure-mgmt clients: the assigned policies (a management group's custom one included) evaluated
on the live resources with Azure's state on each result, the disagreements counted and marked; the
"Azure says" entries on findings; quota headroom; the same from the recording; a 403 on Defender or
on role assignments leaving the rest intact and the affected checks UNKNOWN."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mlwaf import azure_policy
from mlwaf.cli import app
from tests.live import facts as planted

pytestmark = pytest.mark.corpus
runner = CliRunner()
WS = "microsoft.machinelearningservices/workspaces"
ACCESS = ("MLW-SEC-082", "MLW-SEC-083", "MLW-SEC-084")


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args], catch_exceptions=False)


def _allowed(estate) -> list[str]:
    return sorted(s for s in estate.subscriptions if s not in estate.forbidden)


def _live(estate, out, *extra: str):
    args = [a for s in _allowed(estate) for a in ("--subscription", s)]
    result = _scan(*args, "--no-progress", "-f", "json", "-o", str(out), "--reproducible", *extra)
    return result, json.loads(out.read_text())


def test_azure_says_in_a_live_scan_and_its_replay(arm, estate, tmp_path):
    rec = tmp_path / "rec"
    result, report = _live(estate, tmp_path / "live.json", "--record", str(rec))
    assert result.exit_code == 0, result.output
    assert report["errors"] == []
    workspaces = {r["id"].lower() for r in report["resources"] if r["type"].lower() == WS}
    azure = report["azure"]
    assert azure["not_read"] == []

    # The assigned policies, not mlwaf-default: one built-in per subscription, the custom one at
    # the management group above them, each result with Azure's state beside mlwaf's.
    policy = report["policy"]
    assert sorted(a["name"] for a in policy["assignments"]) == ["ml-public-access"] * 2 + ["ml-tags"]
    results = {(r["assignment"], r["resource_id"].lower()): r for r in policy["results"]}
    public = {k for (a, k), r in results.items() if a == "ml-public-access" and r["state"] == "NonCompliant"}
    assert public and {k for (a, k) in results if a == "ml-tags"} == workspaces
    assert all(r["azure"]["state"] in ("Compliant", "NonCompliant") for (a, _), r in results.items()
               if a == "ml-public-access")
    # The stale state (Azure: Compliant; mlwaf: NonCompliant) is marked on its result and counted.
    differ = [r for r in policy["results"] if r.get("azure", {}).get("disagreement") == azure_policy.STATES_DIFFER]
    assert [(r["state"], r["azure"]["state"]) for r in differ] == [("NonCompliant", "Compliant")]
    no_state = [r for r in policy["results"] if r["assignment"] == "ml-tags"]
    assert all(r["azure"] == {"state": None, "at": None, "disagreement": azure_policy.AZURE_NO_STATE}
               for r in no_state)
    comparison = azure["policy_comparison"]
    assert comparison["disagree"] == len(workspaces) + 1 == len(comparison["disagreements"])
    assert comparison["agree"] == len(workspaces) - 1

    # Advisor and Defender on the workspaces; the Defender assessment beside the security findings.
    assert set(azure["summary"]) == {"Azure Policy", "Advisor", "Defender for Cloud"}
    assert azure["summary"]["Defender for Cloud"] == {"Unhealthy": len(workspaces), "Healthy": len(workspaces)}
    security = [f for f in report["findings"] if f["resource_id"].lower() in workspaces and f["pillar"] == "security"]
    assert security and all(
        {(a["source"], a["title"], a["severity"], a["state"]) for a in f["azure"]} >= {
            ("Defender for Cloud", planted.ASSESSMENTS[0], "High", "Unhealthy")} for f in security)
    cost = [f for f in report["findings"]
            if f["resource_id"].lower() in workspaces and f["pillar"] == "cost_optimization"]
    assert cost and not any("azure" in f for f in cost)  # no Advisor cost recommendation planted

    # Quota headroom per subscription, region and family: the families the estate runs on.
    rows = {(h["subscription"], h["region"], h["quota"], h["family"]): h for h in azure["headroom"]}
    sid = _allowed(estate)[0]
    # The workspaces' clusters and instances (Standard_NC6, eastus2) on Azure ML's NC family counter;
    # the three GPU VMs (westeurope) on Compute's; each place with its regional total, nothing else.
    nc = rows[(sid, "eastus2", "Azure ML", "nc")]
    assert (nc["counter"], nc["current"], nc["limit"], nc["headroom"]) == (
        "Standard NC Family Cluster Dedicated vCPUs", 12, 24, 12)
    assert nc["used_by"] == 6
    gpu = rows[(sid, "westeurope", "Compute", "ncadsa100v4")]
    assert (gpu["headroom"], gpu["used_by"]) == (48, 3)
    assert rows[(sid, "westeurope", "Compute", None)]["counter"] == "Total Regional vCPUs"
    assert set(rows) == {(s, place, quota, family) for s in _allowed(estate) for place, quota, fam in (
        ("eastus2", "Azure ML", "nc"), ("westeurope", "Compute", "ncadsa100v4")) for family in (fam, None)}

    # The recording replays to the same report, Azure's word included.
    replay = _scan(str(rec), "-f", "json", "-o", str(tmp_path / "replay.json"), "--reproducible")
    assert replay.exit_code == 0, replay.output
    again = json.loads((tmp_path / "replay.json").read_text())
    assert again["azure"] == azure
    # (where each item was read from differs: the live call's recording file, the file replayed;
    # and the order the resources were read in)
    assert _placeless(again["policy"]["results"]) == _placeless(policy["results"])
    assert _placeless(again["findings"]) == _placeless(report["findings"])

    # The HTML of the replay shows the same: Defender beside mlwaf, the disagreement, the quota table.
    page = tmp_path / "replay.html"
    assert _scan(str(rec), "-f", "html", "-o", str(page), "--reproducible").exit_code == 0
    text = page.read_text()
    view = text[text.index('<section id="azure"'):]
    assert planted.ASSESSMENTS[0] in view and "severity High" in view
    assert f"({len(workspaces) + 1} disagreements, {len(workspaces) - 1} agree)" in view
    assert view.count("≠ " + azure_policy.STATES_DIFFER) == 1
    assert view.count("≠ " + azure_policy.AZURE_NO_STATE) == len(workspaces)
    assert "Standard NC Family Cluster Dedicated vCPUs" in view


def _placeless(items):
    return sorted(json.dumps({k: v for k, v in item.items() if k != "location"}, sort_keys=True) for item in items)


@pytest.mark.parametrize(("table", "source", "checks"), [
    ("securityresources", "Defender for Cloud", ()),
    ("authorizationresources", None, ACCESS),
])
def test_a_403_on_one_source_leaves_the_rest_and_its_checks_unknown(arm, estate, tmp_path, table, source, checks):
    _, clean = _live(estate, tmp_path / "clean.json")
    estate.forbidden_tables.add(table)
    result, got = _live(estate, tmp_path / "got.json")
    assert result.exit_code == 3, result.output  # incomplete: some of what was asked could not be read
    assert {e["status"] for e in got["errors"]} == {403}

    def verdicts(report, wanted):
        return {(f["check_id"], f["resource_id"].lower()): f["status"] for f in report["findings"]
                if (f["check_id"] in checks) == wanted}

    # Every other verdict is the clean scan's; the checks that need the source say UNKNOWN.
    assert verdicts(got, False) == verdicts(clean, False)
    if checks:
        affected = verdicts(got, True)
        assert affected and set(affected.values()) <= {"UNKNOWN", "NOT_APPLICABLE"}
        assert "FAIL" in verdicts(clean, True).values()
    if source:
        assert source not in got["azure"]["summary"]
        assert {u["source"] for u in got["azure"]["not_read"]} == {source}
        assert sorted(u["subscription"] for u in got["azure"]["not_read"]) == _allowed(estate)
    assert got["policy"]["results"] == clean["policy"]["results"]
    assert got["azure"]["headroom"] == clean["azure"]["headroom"]

