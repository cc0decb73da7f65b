"""Reporters render a ScanResult. Each format is a module with `EXTENSION` and `render(result)`;
they are imported only when asked for, so a JSON-only scan never loads Jinja2."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import IO, Any

# format name -> module that renders it
FORMATS: dict[str, str] = {
    "json": "mlwaf.report.json",
    "csv": "mlwaf.report.csv",
    "junit": "mlwaf.report.junit",
    "markdown": "mlwaf.report.markdown",
    "sarif": "mlwaf.report.sarif",
    "html": "mlwaf.report.html",
}


def renderer(name: str) -> Any:
    try:
        return importlib.import_module(FORMATS[name])
    except KeyError:
        raise ValueError(f"unknown report format {name!r}; choose from {', '.join(sorted(FORMATS))}") from None


@dataclass(frozen=True)
class ReportOptions:
    """What the command line tells reporters beyond the ScanResult itself.

    Kept out of `ScanResult.meta` because meta is written into the JSON report, and these are
    choices about how to render, not facts about the scan.
    """

    # SARIF `automationDetails.id` category, so several scans of one repository upload side by side.
    sarif_category: str = "mlwaf"
    # SARIF leaves PASS results out unless asked (they become `kind: pass`).
    sarif_include_pass: bool = False
    # The scan root relative to the working directory ("infra/" for `mlwaf scan infra`): code
    # scanning reads relative paths from the repository root, so SARIF prefixes them with it.
    source_prefix: str = ""


@dataclass(frozen=True)
class Skipped:
    """An input passed over on purpose: a whole file or folder (`pointer` None), or an element
    of a file that was read (a JSON pointer). Every format lists these beside the errors."""

    path: str
    pointer: str | None
    reason: str

    @property
    def where(self) -> str:
        return self.path if self.pointer is None else f"{self.path}#{self.pointer}"


def skipped(result: Any) -> list[Skipped]:
    """Every input the scan skipped, in the order it was met (mlwaf.sources.walk, documents)."""
    out = []
    for s in result.scanned:
        if s.kind == "skipped":
            out.append(Skipped(s.path, None, s.note or ""))
        out.extend(Skipped(s.path, item.pointer, item.reason) for item in s.skipped)
    return out


def write(module: Any, result: Any, out: IO[str], options: ReportOptions | None = None) -> None:
    """Write a report to an open file: streamed where the reporter can (`write(result, out)`),
    so a large scan's report never has to exist as one string in memory."""
    if hasattr(module, "write"):
        module.write(result, out)
        return
    out.write(render(module, result, options))


def render(module: Any, result: Any, options: ReportOptions | None = None) -> str:
    """Render with a reporter module, passing the options to those whose `render` takes them."""
    if options is not None and len(inspect.signature(module.render).parameters) > 1:
        return module.render(result, options)
    return module.render(result)
