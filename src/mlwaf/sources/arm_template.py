"""Deployment templates (ARM JSON, `az bicep build` output, `az group export`) as resources.

This first version reads literal values, flattens nested child resources to their full type and
name, reads `languageVersion 2.0` symbolic resources, and substitutes parameters and variables
written as a whole-string `[parameters('x')]` / `[variables('x')]` from their defaults. Every
other expression is left as an `Unresolved` value, so checks answer UNKNOWN rather than guess.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mlwaf import armid
from mlwaf.model import Origin, Resource, Unresolved

if TYPE_CHECKING:
    from mlwaf.sources.documents import Document

_SCHEMA_TEMPLATE = "deploymenttemplate.json"
_SCHEMA_PARAMETERS = "deploymentparameters.json"


def is_template(data: dict[str, Any]) -> bool:
    schema = str(data.get("$schema", "")).lower()
    if _SCHEMA_TEMPLATE in schema:
        return True
    return "resources" in data and ("contentVersion" in data or "parameters" in data) and (
        isinstance(data["resources"], list | dict)
    )


def is_parameter_file(data: dict[str, Any]) -> bool:
    schema = str(data.get("$schema", "")).lower()
    return _SCHEMA_PARAMETERS in schema


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and not value.startswith("[[") and value.endswith("]")


_SIMPLE = re.compile(r"^\[\s*(parameters|variables)\(\s*'([^']*)'\s*\)\s*\]$", re.IGNORECASE)


class _Scope:
    def __init__(self, template: dict[str, Any]) -> None:
        self.parameters: dict[str, Any] = {}
        for name, spec in (template.get("parameters") or {}).items():
            if isinstance(spec, dict) and "defaultValue" in spec:
                self.parameters[name.lower()] = spec["defaultValue"]
        self.variables = {k.lower(): v for k, v in (template.get("variables") or {}).items()}

    def value(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            if value.startswith("[["):
                return value[1:]
            if is_expression(value):
                m = _SIMPLE.match(value)
                if m and depth < 8:
                    table = self.parameters if m.group(1).lower() == "parameters" else self.variables
                    key = m.group(2).lower()
                    if key in table:
                        return self.value(table[key], depth + 1)
                return Unresolved(value)
            return value
        if isinstance(value, dict):
            return {k: self.value(v, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, depth) for v in value]
        return value


def _declarations(
    resources: Any, pointer: str, parent_type: str | None = None, parent_name: str | None = None
) -> list[tuple[dict[str, Any], str, str | None, str | None]]:
    """(declaration, pointer, parent type, parent name) for every resource, children included."""
    out = []
    items = (
        [(str(k), v) for k, v in resources.items()]
        if isinstance(resources, dict)
        else list(enumerate(resources or []))
    )
    for key, decl in items:
        if not isinstance(decl, dict):
            continue
        ptr = f"{pointer}/{key}"
        out.append((decl, ptr, parent_type, parent_name))
    return out


def read_template(template: dict[str, Any], doc: Document, pointer: str) -> list[Resource]:
    scope = _Scope(template)
    out: list[Resource] = []
    todo = _declarations(template.get("resources"), f"{pointer}/resources")
    while todo:
        decl, ptr, parent_type, parent_name = todo.pop(0)
        if decl.get("existing") is True:
            continue
        rtype = scope.value(decl.get("type"))
        name = scope.value(decl.get("name"))
        if not isinstance(rtype, str):
            continue
        name_text = name if isinstance(name, str) else (decl.get("name") or "")
        if parent_type and "/" not in rtype:
            rtype = f"{parent_type}/{rtype}"
            name_text = f"{parent_name}/{name_text}"
        raw: dict[str, Any] = {"type": rtype, "name": name_text}
        for key in ("location", "kind", "sku", "identity", "tags", "properties", "zones", "plan"):
            if key in decl:
                raw[key] = scope.value(decl[key])
        rid = armid.build(rtype, name_text, doc.options.subscription_id, doc.options.resource_group)
        raw["id"] = rid
        api_version = decl.get("apiVersion") if isinstance(decl.get("apiVersion"), str) else None
        out.append(
            Resource(
                type=rtype,
                id=rid,
                name=name_text.rsplit("/", 1)[-1] if name_text else armid.name_of(rid),
                raw=raw,
                origin=Origin(
                    path=doc.display, pointer=ptr, kind="arm-template", api_version=api_version
                ),
                locator=doc.position,
            )
        )
        if decl.get("resources"):
            todo.extend(_declarations(decl["resources"], f"{ptr}/resources", rtype, name_text))
    return out
