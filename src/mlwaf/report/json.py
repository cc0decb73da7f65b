"""The JSON report: the contract other tools read (its shape is documented in the README)."""

from __future__ import annotations

import json
from typing import Any

from mlwaf import __version__
from mlwaf.engine import ScanResult

EXTENSION = "json"
SCHEMA_VERSION = 1


def to_dict(result: ScanResult) -> dict[str, Any]:
    resources = []
    for r in result.inventory.resources:
        line, _ = r.position()
        origin: dict[str, Any] = {"path": r.origin.path, "line": line}
        if r.origin.kind:
            origin["kind"] = r.origin.kind
        if r.origin.api_version:
            origin["api_version"] = r.origin.api_version
        if r.origin.request:
            origin["request"] = r.origin.request
        if r.origin.subscription:
            origin["subscription"] = r.origin.subscription
        if r.origin.parameters_file:
            origin["parameters_file"] = r.origin.parameters_file
        resources.append(
            {
                "id": r.id,
                "type": r.type,
                "name": r.name,
                "location": r.location,
                "origin": origin,
            }
        )
    tool = {
        "name": "mlwaf",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "checks": len(result.checks),
        "check_sources": dict(result.check_sources),
    }
    tool.update({k: v for k, v in result.meta.items() if k not in tool})
    return {
        "tool": tool,
        "scanned": [s.to_dict() for s in result.scanned],
        "errors": [e.to_dict() for e in result.errors],
        "resources": resources,
        # Resources read more than once (overlapping dumps): scanned once, listed here.
        "duplicates": [
            {"id": r.id, "path": r.origin.path, "pointer": r.origin.pointer}
            for r in result.inventory.duplicates
        ],
        "findings": [f.to_dict() for f in result.findings],
        "scores": result.scores,
        # The pre-production gate: decision, exit code, reasons (mlwaf.gate).
        "gate": result.gate,
        "suppressions": result.suppressions,
        "baseline": result.baseline,
    }


def render(result: ScanResult) -> str:
    return dumps(to_dict(result))


def dumps(data: Any) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=False)` plus a newline, byte for byte, through
    orjson: the stdlib encoder falls back to pure Python whenever `indent` is set, and was a third
    of a large scan's time. Values orjson refuses (integers beyond 64 bits, non-string keys) take
    the stdlib path, so the output never depends on which encoder ran."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
        orjson = None
    if orjson is not None:
        try:
            return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")
        except TypeError:
            pass
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
