"""ARM JSON's reading rule, spelled once: property names match case-insensitively (an exact
match first, as ARM reads `Properties`, `TYPE` or a PowerShell export's PascalCase keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MISSING: Any = object()


def key(obj: Mapping[str, Any], name: str, default: Any = MISSING) -> Any:
    """`obj[name]` as ARM reads it; `default` (MISSING unless given) when no key matches."""
    if name in obj:
        return obj[name]
    lowered = name.lower()
    for k, v in obj.items():
        if k.lower() == lowered:
            return v
    return default


def at(obj: Any, *names: str) -> Any:
    """The value below `obj` at these property names (`at(raw, "properties", "keyVault")`), each
    matched as ARM matches names; None where a step is absent or not an object."""
    for name in names:
        if not isinstance(obj, dict):
            return None
        obj = key(obj, name, None)
    return obj
