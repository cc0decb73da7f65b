"""An export-only audit: an offline scan of what `az` prints (policy assignments and states,
Advisor recommendations, Defender assessments, VM usages and SKUs) gets the same "Azure says"
column and section as a live scan; a scan without any of Azure's facts gets neither."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mlwaf import azure_policy
from mlwaf.cli import app
from tests.arm import SUB, WS, body
from tests.test_azure_says import ASSIGNMENT, BUILTIN, WS_ID, _advisor_flat, _assessment, _state

runner = CliRunner()
CLOSED_ID = WS_ID.replace("/mlw", "/mlw-closed")
CLUSTER = f"{WS_ID}/computes/gpu"


def _assignment() -> dict:
    """`az policy assignment list`: the SDK flattens `properties` into the item."""
    return {"id": ASSIGNMENT, "name": "ml-public", "type": "Microsoft.Authorization/policyAssignments",
            "displayName": "ML workspaces disable public network access", "scope": f"/subscriptions/{SUB}",
            "policyDefinitionId": BUILTIN, "notScopes": [], "enforcementMode": "Default", "parameters": {}}


def _usage(name: str, local: str, current: int, limit: int) -> dict:
    """`az vm list-usage --location westeurope`."""
    return {"currentValue": str(current), "limit": str(limit), "localName": local,
            "name": {"localizedValue": local, "value": name}}


def _sku(name: str, family: str, vcpus: str) -> dict:
    """`az vm list-skus --location westeurope`."""
    return {"resourceType": "virtualMachines", "name": name, "tier": "Standard", "family": family,
            "locations": ["westeurope"], "locationInfo": [{"location": "westeurope", "zones": ["1", "2", "3"]}],
            "capabilities": [{"name": "vCPUs", "value": vcpus}], "restrictions": []}


def _write(folder, **docs):
    for name, doc in docs.items():
        path = folder / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))


def _scan(folder, out, *extra):
    result = runner.invoke(app, ["scan", str(folder), "-f", "json", "-o", str(out), "--reproducible", *extra],
                           catch_exceptions=False)
    return result, json.loads(out.read_text())


def test_an_offline_scan_of_az_exports_shows_what_azure_says(tmp_path):
    estate = tmp_path / "estate"
    cluster = body("Microsoft.MachineLearningServices/workspaces/computes", "mlw/gpu", {
        "computeType": "AmlCompute", "properties": {"vmSize": "Standard_NC6", "vmPriority": "Dedicated",
                                                    "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 2}}},
        location="westeurope")
    _write(
        estate,
        workspace=body(WS, "mlw", {"publicNetworkAccess": "Enabled"}, location="westeurope"),
        closed=body(WS, "mlw-closed", {"publicNetworkAccess": "Disabled"}, location="westeurope"),
        cluster=cluster,
        assignments=[_assignment()],
        # Azure: the open workspace NonCompliant (agrees); the closed one NonCompliant too (stale).
        states=[_state(WS_ID, "NonCompliant"), _state(CLOSED_ID, "NonCompliant")],
        advisor=[_advisor_flat(WS_ID, "HighAvailability")],
        defender={"value": [_assessment("Unhealthy", "High")]},
        **{f"subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/usages": [
            _usage("cores", "Total Regional vCPUs", 10, 100),
            _usage("standardNCFamily", "Standard NC Family vCPUs", 6, 24),
            _usage("standardDSv2Family", "Standard DSv2 Family vCPUs", 0, 100)],
           "skus": [_sku("Standard_NC6", "standardNCFamily", "6")]},
    )
    result, report = _scan(estate, tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    assert report["errors"] == []
    azure = report["azure"]
    assert azure["summary"] == {"Azure Policy": {"NonCompliant": 2}, "Advisor": {"Recommended": 1},
                                "Defender for Cloud": {"Unhealthy": 1}}
    assert azure["not_read"] == []  # offline: the exports say what they say, nothing is claimed complete

    # The exported assignment is what is evaluated, and held against Azure's states.
    results = {r["resource_name"]: r for r in report["policy"]["results"] if r["assignment"] == "ml-public"}
    assert results["mlw"]["azure"] == {"state": "NonCompliant", "at": "2026-05-02T03:04:05.901911+00:00",
                                       "disagreement": None}
    assert (results["mlw-closed"]["state"], results["mlw-closed"]["azure"]["disagreement"]) == (
        "Compliant", azure_policy.STATES_DIFFER)
    assert azure["policy_comparison"]["agree"] == 1
    assert [d["resource_id"] for d in azure["policy_comparison"]["disagreements"]] == [CLOSED_ID]

    # The column: the check citing the built-in sees Azure's state; security findings see Defender;
    # reliability findings the Advisor recommendation (HighAvailability); others see nothing.
    on_ws = [f for f in report["findings"] if f["resource_id"] == WS_ID]
    public = next(f for f in on_ws if f["check_id"] == "MLW-SEC-001")
    assert {(a["source"], a["state"]) for a in public["azure"]} == {("Azure Policy", "NonCompliant"),
                                                                    ("Defender for Cloud", "Unhealthy")}
    assert all({a["source"] for a in f.get("azure", [])} == {"Advisor"} for f in on_ws if f["pillar"] == "reliability")
    assert any("azure" in f for f in on_ws if f["pillar"] == "reliability")
    assert not any("azure" in f for f in on_ws if f["pillar"] in ("cost_optimization", "operational_excellence"))

    # Quota headroom: the NC family holds vCPUs (the export's SKUs name no subscription, so no size is
    # placed on a counter of SUB: the counters in use stand in), and the region's total; not the idle DSv2.
    assert [(h["quota"], h["family"], h["current"], h["limit"], h["headroom"], h["used_by"])
            for h in azure["headroom"]] == [("Compute", None, 10, 100, 90, 0), ("Compute", "nc", 6, 24, 18, 0)]
    assert {h["subscription"] for h in azure["headroom"]} == {SUB}


def test_a_scan_without_azures_facts_has_no_azure_key(tmp_path):
    _write(tmp_path / "estate", workspace=body(WS, "mlw", {"publicNetworkAccess": "Enabled"}, location="westeurope"))
    _, report = _scan(tmp_path / "estate", tmp_path / "out.json")
    assert "azure" not in report
    assert not any("azure" in f for f in report["findings"])
    assert not any("azure" in r for r in report["policy"]["results"])
