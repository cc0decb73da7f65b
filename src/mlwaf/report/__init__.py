"""Reporters render a ScanResult. Each format is a module with `EXTENSION` and `render(result)`;
they are imported only when asked for, so a JSON-only scan never loads Jinja2."""

from __future__ import annotations

import importlib
from typing import Any

# format name -> module that renders it
FORMATS: dict[str, str] = {
    "json": "mlwaf.report.json",
}


def renderer(name: str) -> Any:
    try:
        return importlib.import_module(FORMATS[name])
    except KeyError:
        raise ValueError(f"unknown report format {name!r}; choose from {', '.join(sorted(FORMATS))}") from None
