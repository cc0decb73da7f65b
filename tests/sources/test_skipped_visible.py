"""What a scan skips on purpose (a file that is not ARM, an element that is not a resource) is
named, with its reason, in every report that lists the scan's inputs and on the console."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

from typer.testing import CliRunner

from mlwaf.cli import app

ACR = "Microsoft.ContainerRegistry/registries"
ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/" + ACR + "/acr1"


def test_skipped_inputs_are_visible_everywhere(tmp_path):
    estate = tmp_path / "estate"
    estate.mkdir()
    (estate / "package.json").write_text(json.dumps({"name": "app", "version": "1.0.0"}))
    export = [{"Id": ID, "Name": "acr1", "Type": ACR, "Properties": {"adminUserEnabled": False},
               "resources": [{"name": "Size", "limit": 10, "type": ACR + "/listUsages"}]}]
    (estate / "export.json").write_text(json.dumps(export))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(estate), "--output-dir", str(out), "--reproducible"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 inputs skipped:" in result.output
    assert "package.json: not ARM: a JSON object with keys name, version" in result.output
    assert "export.json#/0/resources/0: the result of the listUsages action, not a resource" in result.output

    report = json.loads((out / "mlwaf.json").read_text())
    scanned = {s["path"]: s for s in report["scanned"]}
    assert scanned["package.json"]["kind"] == "skipped" and scanned["package.json"]["note"].startswith("not ARM")
    assert scanned["export.json"]["skipped"] == [
        {"pointer": "/0/resources/0", "reason": "the result of the listUsages action, not a resource"}
    ]

    markdown = (out / "mlwaf.md").read_text()
    assert "### Inputs skipped (2)" in markdown and "- package.json: not ARM" in markdown

    sarif = json.loads((out / "mlwaf.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    skipped = [n["message"]["text"] for n in notes if n["descriptor"]["id"] == "input-skipped"]
    assert len(skipped) == 2 and all(n.startswith("Skipped ") for n in skipped)

    junit = ET.parse(out / "mlwaf.junit.xml").getroot()
    inputs = next(s for s in junit.iter("testsuite") if s.get("name") == "mlwaf.inputs")
    assert inputs.get("skipped") == "2"
    assert {c.get("name") for c in inputs.iter("testcase")} == {"read package.json", "read export.json#/0/resources/0"}

    html = (out / "mlwaf.html").read_text()
    assert "export.json#/0/resources/0" in html and "not ARM: a JSON object" in html

    # The CSV report is the findings table (one row per finding); the scan's inputs are in the others.
    with (out / "mlwaf.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["resource_name"] == "acr1" for r in rows)
