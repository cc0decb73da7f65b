"""Reading a template's own JSON: what makes JSON a template or a parameter file, property names
matched case-insensitively as ARM matches them, and JSON pointer tokens (every value evaluated
keeps the pointer it was written at)."""

from __future__ import annotations

from typing import Any

from mlwaf import armjson, jsontext

_SCHEMA_TEMPLATE = "deploymenttemplate.json"
_SCHEMA_PARAMETERS = "deploymentparameters.json"
_ABSENT = object()


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


def get(obj: Any, key: str, default: Any = None) -> Any:
    """A property of a template object, its name matched as ARM matches it."""
    return armjson.key(obj, key, default) if isinstance(obj, dict) else default


def has(obj: Any, key: str) -> bool:
    return get(obj, key, _ABSENT) is not _ABSENT


def escape(token: str | int) -> str:
    """One JSON pointer token."""
    return jsontext.escape_pointer_token(token)
