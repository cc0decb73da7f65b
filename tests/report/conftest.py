"""Estates for the report tests, written as the JSON users hand the scanner (REST GET
responses, list pages, a deployment template), and scanned through `run_scan` as the CLI does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlwaf.results import ScanResult
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions

SUB = "6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13"
RG = "rg-reports"
WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'


def arm_id(*segments: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/" + "/".join(segments)


def workspace(name: str, segment: str | None = None, **properties: Any) -> dict[str, Any]:
    """A workspace as `GET .../workspaces/{name}` returns it."""
    props = {
        "friendlyName": name,
        "storageAccount": arm_id("Microsoft.Storage/storageAccounts", "streports01"),
        "keyVault": arm_id("Microsoft.KeyVault/vaults", "kv-reports"),
        "publicNetworkAccess": "Enabled",
        "v1LegacyMode": False,
    }
    props.update(properties)
    return {
        "id": arm_id(WS_TYPE, segment or name),
        "name": name,
        "type": WS_TYPE,
        "location": "westeurope",
        "kind": "Default",
        "identity": {"type": "SystemAssigned", "principalId": "3f0d4b8e-1c2a-4e5f-8a9b-0c1d2e3f4a5b"},
        "sku": {"name": "Basic", "tier": "Basic"},
        "properties": props,
    }


def compute_instance(ws_segment: str, name: str, **inner: Any) -> dict[str, Any]:
    """A compute instance as the computes list returns it (settings under properties.properties)."""
    settings = {"vmSize": "STANDARD_DS3_V2", "enableNodePublicIp": True, "sshSettings": {"sshPublicAccess": "Enabled"}}
    settings.update(inner)
    return {
        "id": arm_id(WS_TYPE, ws_segment, "computes", name),
        "name": name,
        "type": f"{WS_TYPE}/computes",
        "location": "westeurope",
        "properties": {"computeType": "ComputeInstance", "disableLocalAuth": False, "properties": settings},
    }


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def scan(root: Path, *, reproducible: bool = True) -> ScanResult:
    return run_scan([root], ScanOptions(read=ReadOptions(root=root), reproducible=reproducible))


def build_hostile_estate(root: Path) -> Path:
    """Names, tags and property values an attacker could choose, plus what the report must still
    account for: an unresolved template value (UNKNOWN), an inline suppression and a broken file."""
    write_json(
        root / "prod" / "workspaces.json",
        {
            "value": [
                workspace(XSS_SCRIPT, segment="xss-script"),
                workspace(
                    XSS_ATTR,
                    segment="xss-attr",
                    publicNetworkAccess="<script>alert(2)</script>",
                    description="</script><script>alert(3)</script>",
                ),
                workspace(
                    "mlw-sandbox",
                    publicNetworkAccess="Enabled",
                ),
            ]
        },
    )
    sandbox = root / "prod" / "workspaces.json"
    data = json.loads(sandbox.read_text())
    data["value"][2]["tags"] = {"mlwaf-suppress": "MLW-SEC-001: sandbox without data, reviewed by the platform team"}
    write_json(sandbox, data)
    write_json(
        root / "prod" / "computes.json",
        {"value": [compute_instance("xss-attr", XSS_ATTR.replace("/", "")), compute_instance("mlw-sandbox", "ci-ok")]},
    )
    write_json(
        root / "dev" / "azuredeploy.json",
        {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"publicNetworkAccess": {"type": "string"}},
            "resources": [
                {
                    "type": WS_TYPE,
                    "apiVersion": "2024-10-01",
                    "name": "mlw-template",
                    "location": "westeurope",
                    "identity": {"type": "SystemAssigned"},
                    "properties": {"publicNetworkAccess": "[parameters('publicNetworkAccess')]"},
                }
            ],
        },
    )
    (root / "broken").mkdir(parents=True, exist_ok=True)
    (root / "broken" / "<img src=x onerror=alert(4)>.json").write_text('{"value": [', encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def sample_result(sample_estate: Path) -> ScanResult:
    return scan(sample_estate)


@pytest.fixture(scope="session")
def hostile_estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hostile_estate(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="session")
def hostile_result(hostile_estate: Path) -> ScanResult:
    return scan(hostile_estate)
