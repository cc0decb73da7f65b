"""Builders for template tests: a template, a parameter file, a workspace declaration, a read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlwaf.sources import ReadOptions, SourceResult, read_paths

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
WS = "Microsoft.MachineLearningServices/workspaces"
RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlwaf-template-rg"


def template(resources: Any, parameters: dict | None = None, variables: dict | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"$schema": SCHEMA, "contentVersion": "1.0.0.0"}
    if parameters is not None:
        out["parameters"] = parameters
    if variables is not None:
        out["variables"] = variables
    out.update(extra)
    out["resources"] = resources
    return out


def write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def param_file(**values: Any) -> dict:
    return {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {k: {"value": v} for k, v in values.items()}}


def read(path: Path, **options: Any) -> SourceResult:
    return read_paths([path], ReadOptions(root=path.parent, **options))


def names(result: SourceResult) -> list[tuple[str, str]]:
    return [(r.type, r.raw["name"]) for r in result.resources]


def workspace(name: str = "[parameters('name')]", **props: Any) -> dict:
    return {
        "type": WS, "apiVersion": "2024-04-01", "name": name, "location": "[resourceGroup().location]",
        "identity": {"type": "SystemAssigned"}, "properties": props,
    }
