"""Report formats: each renders a ScanResult, and is registered once, in `FORMATS`.

A format is a module that exposes `REPORTER`, a `Reporter`: `render` gives the whole report as
text; `write` puts it in an open file, streamed where the format can (the JSON report writes a
million findings without holding them as one string). Modules are imported only when their
format is asked for, so a JSON-only scan never loads Jinja2. Adding a format: CONTRIBUTING.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from mlwaf.results import ScanResult


@dataclass(frozen=True)
class ReportOptions:
    """What the command line tells reporters beyond the ScanResult itself: choices about how to
    render, not facts about the scan (those are in the result, and in the JSON report)."""

    # SARIF `automationDetails.id` category, so several scans of one repository upload side by side.
    sarif_category: str = "mlwaf"
    # SARIF leaves PASS results out unless asked (they become `kind: pass`).
    sarif_include_pass: bool = False
    # The scan root relative to the working directory ("infra/" for `mlwaf scan infra`): code
    # scanning reads relative paths from the repository root, so SARIF prefixes them with it.
    source_prefix: str = ""


class Reporter(Protocol):
    def render(self, result: ScanResult, options: ReportOptions | None = None) -> str: ...

    def write(self, result: ScanResult, out: IO[str], options: ReportOptions | None = None) -> None: ...


Render = Callable[["ScanResult", "ReportOptions | None"], str]
Write = Callable[["ScanResult", IO[str], "ReportOptions | None"], None]


@dataclass(frozen=True)
class Whole:
    """A reporter that renders the whole report, then writes it."""

    render_report: Render

    def render(self, result: ScanResult, options: ReportOptions | None = None) -> str:
        return self.render_report(result, options)

    def write(self, result: ScanResult, out: IO[str], options: ReportOptions | None = None) -> None:
        out.write(self.render_report(result, options))


@dataclass(frozen=True)
class Streamed(Whole):
    """A reporter that writes its report piece by piece (the same bytes as `render`)."""

    write_report: Write

    def write(self, result: ScanResult, out: IO[str], options: ReportOptions | None = None) -> None:
        self.write_report(result, out, options)


@dataclass(frozen=True)
class Format:
    name: str  # --format NAME
    extension: str  # reports/mlwaf.EXTENSION
    module: str  # exposes REPORTER

    def reporter(self) -> Reporter:
        return cast("Reporter", importlib.import_module(self.module).REPORTER)


# Every format, in the order a scan writes them by default.
FORMATS: Mapping[str, Format] = {
    f.name: f
    for f in (
        Format("json", "json", "mlwaf.report.json"),
        Format("csv", "csv", "mlwaf.report.csv"),
        Format("policy-csv", "policy.csv", "mlwaf.report.policy_csv"),
        Format("junit", "junit.xml", "mlwaf.report.junit"),
        Format("markdown", "md", "mlwaf.report.markdown"),
        Format("sarif", "sarif", "mlwaf.report.sarif"),
        Format("html", "html", "mlwaf.report.html"),
    )
}


def format_named(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown report format {name!r}; choose from {', '.join(FORMATS)}") from None


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


def skipped(result: ScanResult) -> list[Skipped]:
    """Every input the scan skipped, in the order it was met (mlwaf.sources.walk, documents)."""
    out = []
    for s in result.scanned:
        if s.kind == "skipped":
            out.append(Skipped(s.path, None, s.note or ""))
        out.extend(Skipped(s.path, item.pointer, item.reason) for item in s.skipped)
    return out
