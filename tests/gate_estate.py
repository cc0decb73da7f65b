"""A small estate and a small check pack for the gate, config, suppression, baseline and
pipeline-report tests.

The estate is written as users hand it to the scanner (a REST GET response, list pages, an
`az resource show` array, a deployment template); the check pack is a real `--checks-dir`
folder, so the tests drive the same loading, selection and parameter paths a user's pack takes,
with verdicts the tests control exactly (the built-in pack keeps growing; the gate's arithmetic
must not depend on it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions

SUB_A = "6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13"
SUB_B = "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
WS = "Microsoft.MachineLearningServices/workspaces"

CHECK_PACK = '''
"""Test pack: four workspace/compute checks with known severities, one parameterized, one buggy."""
from mlwaf.check import Pillar, Severity, check, fail, passed, read, unresolved

WS = "Microsoft.MachineLearningServices/workspaces"


@check(id="TST-SEC-001", title="Workspace disables public network access", pillar=Pillar.SECURITY,
       severity=Severity.HIGH, resource_types=[WS], implements=["AML-SEC-01"], tags=["network"],
       remediation="Set properties.publicNetworkAccess to Disabled.")
def public_access(resource, ctx):
    seen = read(resource, "properties.publicNetworkAccess", default="Enabled")
    if v := unresolved(seen):
        return v
    if seen.lower() == "disabled":
        return passed("Public network access is disabled", seen)
    return fail(f"Public network access is {seen.value!r}", seen)


@check(id="TST-OPS-001", title="Workspace has Application Insights", pillar=Pillar.OPERATIONAL_EXCELLENCE,
       severity=Severity.MEDIUM, resource_types=[WS], implements=["AML-OPS-01"], tags=["monitoring"],
       remediation="Set properties.applicationInsights.")
def app_insights(resource, ctx):
    seen = read(resource, "properties.applicationInsights")
    if v := unresolved(seen):
        return v
    if seen.value:
        return passed("Application Insights is linked", seen)
    return fail("No Application Insights is linked", seen)


@check(id="TST-COST-001", title="Workspace carries the cost tags", pillar=Pillar.COST_OPTIMIZATION,
       severity=Severity.LOW, resource_types=[WS], implements=["AML-COST-01"],
       params={"required_tags": "tag names every workspace must carry"},
       remediation="Add the tags.")
def cost_tags(resource, ctx):
    required = ctx.params.get("required_tags", ["cost-center"])
    missing = [t for t in required if t not in resource.tags]
    seen = read(resource, "tags")
    if missing:
        return fail(f"Missing tags: {', '.join(missing)}", seen)
    return passed("All cost tags are present", seen)


@check(id="TST-REL-001", title="Cluster can scale out", pillar=Pillar.RELIABILITY,
       severity=Severity.MEDIUM, resource_types=[WS + "/computes"], implements=["AML-REL-01"],
       params={"min_max_nodes": "the least maxNodeCount a cluster may have"},
       remediation="Raise properties.properties.scaleSettings.maxNodeCount.")
def scale_out(resource, ctx):
    seen = read(resource, "properties.properties.scaleSettings.maxNodeCount")
    if resource.tags.get("explode"):
        raise KeyError("scaleSettings")  # a user's check with a bug: becomes an ERROR finding
    if seen.value is None:
        return fail("No scale settings", seen)
    if seen.value >= ctx.params.get("min_max_nodes", 2):
        return passed(f"Scales to {seen.value} nodes", seen)
    return fail(f"Scales to {seen.value} node(s) only", seen)
'''


def arm_id(sub: str, rg: str, *segments: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/" + "/".join(segments)


def workspace(sub: str, rg: str, name: str, *, tags: dict[str, str] | None = None, **props: Any) -> dict[str, Any]:
    """A workspace as `GET .../workspaces/{name}` returns it."""
    body: dict[str, Any] = {
        "id": arm_id(sub, rg, WS, name),
        "name": name,
        "type": WS,
        "location": "westeurope",
        "identity": {"type": "SystemAssigned", "principalId": "3f0d4b8e-1c2a-4e5f-8a9b-0c1d2e3f4a5b"},
        "sku": {"name": "Basic", "tier": "Basic"},
        "properties": {
            "friendlyName": name,
            "storageAccount": arm_id(sub, rg, "Microsoft.Storage/storageAccounts", f"st{name.replace('-', '')}"),
            "keyVault": arm_id(sub, rg, "Microsoft.KeyVault/vaults", f"kv-{name}"),
            **props,
        },
    }
    if tags is not None:
        body["tags"] = tags
    return body


def cluster(sub: str, rg: str, ws: str, name: str, max_nodes: int) -> dict[str, Any]:
    """An AmlCompute cluster as the computes list returns it (settings under properties.properties)."""
    body: dict[str, Any] = {
        "id": arm_id(sub, rg, WS, ws, "computes", name),
        "name": name,
        "type": f"{WS}/computes",
        "location": "westeurope",
        "properties": {
            "computeType": "AmlCompute",
            "properties": {
                "vmSize": "STANDARD_DS3_V2",
                "scaleSettings": {"minNodeCount": 0, "maxNodeCount": max_nodes},
            },
        },
    }
    return body


def template(name: str, *, metadata: dict[str, Any] | None = None, **props: Any) -> dict[str, Any]:
    """A deployment template declaring one workspace; `pna` has no default, so a property set to
    `[parameters('pna')]` stays unresolved offline (UNKNOWN)."""
    decl: dict[str, Any] = {
        "type": WS,
        "apiVersion": "2024-10-01",
        "name": name,
        "location": "westeurope",
        "identity": {"type": "SystemAssigned"},
        "tags": {"cost-center": "cc-17"},
        "properties": {"friendlyName": name, **props},
    }
    if metadata is not None:
        decl["metadata"] = metadata
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"pna": {"type": "string"}},
        "resources": [decl],
    }


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def write_pack(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tst_checks.py").write_text(CHECK_PACK, encoding="utf-8")
    return folder


def build_estate(root: Path) -> Path:
    """prod (subscription A, rg-prod): a well-set workspace with its dependencies and two
    clusters, one too small; dev (A, dev-sandbox) and lab (B, dev-lab): public workspaces without
    Application Insights; tmpl: a template whose public access is a parameter without default."""
    prod_ai = arm_id(SUB_A, "rg-prod", "microsoft.insights/components", "appi-prod")
    write_json(
        root / "prod" / "workspace.json",
        workspace(
            SUB_A, "rg-prod", "mlw-prod", publicNetworkAccess="Disabled", applicationInsights=prod_ai,
            tags={"cost-center": "cc-01"},
        ),
    )
    write_json(
        root / "prod" / "dependencies.json",
        [
            {
                "id": arm_id(SUB_A, "rg-prod", "Microsoft.Storage/storageAccounts", "stmlwprod"),
                "name": "stmlwprod",
                "type": "Microsoft.Storage/storageAccounts",
                "location": "westeurope",
                "kind": "StorageV2",
                "properties": {"allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2"},
            },
            {
                "id": arm_id(SUB_A, "rg-prod", "Microsoft.Insights/components", "appi-prod"),
                "name": "appi-prod",
                "type": "Microsoft.Insights/components",
                "location": "westeurope",
                "kind": "web",
                "properties": {"Application_Type": "web"},
            },
        ],
    )
    write_json(
        root / "prod" / "computes.json",
        {
            "value": [
                cluster(SUB_A, "rg-prod", "mlw-prod", "cpu-big", 8),
                cluster(SUB_A, "rg-prod", "mlw-prod", "cpu-one", 1),
            ]
        },
    )
    write_json(
        root / "dev" / "workspaces.json",
        {
            "value": [
                workspace(SUB_A, "dev-sandbox", "mlw-dev", publicNetworkAccess="Enabled"),
                workspace(SUB_B, "dev-lab", "mlw-lab", tags={"cost-center": "cc-09"}),
            ]
        },
    )
    write_json(root / "tmpl" / "azuredeploy.json", template("mlw-tmpl", publicNetworkAccess="[parameters('pna')]"))
    return root


HOSTILE_NAMES = {
    "formula": '=HYPERLINK("http://attacker.example/x","open me")',
    "markup": "<img src=x onerror=alert(1)> [click](http://attacker.example) | **bold**",
    "control": "bell\u0007and\u001bescape",
}


def build_report_estate(root: Path) -> Path:
    """The estate plus what pipeline reports must carry: names an attacker could choose (a
    spreadsheet formula, Markdown and HTML, control characters), an unreadable file, and a
    suppressed finding (suppressed through the resource's own tag)."""
    build_estate(root)
    hostile = [
        workspace(SUB_A, "rg-hostile", f"ws-{key}", publicNetworkAccess="Enabled") for key in HOSTILE_NAMES
    ]
    for body, name in zip(hostile, HOSTILE_NAMES.values(), strict=True):
        body["name"] = name
    hostile[0]["tags"] = {"mlwaf-suppress": "TST-SEC-001: reviewed in RISK-9 | <b>accepted</b>"}
    write_json(root / "hostile" / "workspaces.json", {"value": hostile})
    (root / "hostile" / "broken.json").write_text('{"value": [', encoding="utf-8")
    return root


def report_inputs(folder: Path) -> tuple[Path, Path]:
    """(estate, check pack) for the report tests."""
    return build_report_estate(folder / "estate"), write_pack(folder / "pack")


def scan(root: Path, pack: Path, **options: Any):
    """Scan as the CLI does, with only the test pack's checks."""
    options.setdefault("checks", ["TST-*"])
    return run_scan(
        [root], ScanOptions(read=ReadOptions(root=root), checks_dirs=[pack], reproducible=True, **options)
    )


def by(result: Any, check_id: str, resource_name: str) -> Any:
    (finding,) = [f for f in result.findings if f.check_id == check_id and f.resource.name == resource_name]
    return finding
