"""The JSON report: the contract other tools read (its shape is documented in the README)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from mlwaf import __version__
from mlwaf.report import Reporter, ReportOptions, Streamed
from mlwaf.results import ScanResult

SCHEMA_VERSION = 1


def _resource(r: Any) -> dict[str, Any]:
    line, column = r.position()
    origin: dict[str, Any] = {"path": r.origin.path, "line": line}
    if column is not None:
        origin["column"] = column
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
    out = {"id": r.id, "type": r.type, "name": r.name, "location": r.location, "origin": origin}
    if r.kind:  # ARM's kind (a workspace's Default, Hub or Project)
        out["kind"] = r.kind
    if r.deployment is not None:
        # A template's resource: the template and parameter files in repository terms, the third
        # part of its findings' identity (mlwaf.model.identity), as baselines and SARIF have it.
        out["deployment"] = r.deployment
    return out


def to_dict(result: ScanResult) -> dict[str, Any]:
    return {**_head(result), "resources": [_resource(r) for r in result.inventory.resources],
            **_middle(result), "findings": list(_findings(result)), **_tail(result, streamed=False)}


def _findings(result: ScanResult) -> Iterator[dict[str, Any]]:
    # With Azure's facts in the input, each finding carries what Azure says that speaks to it
    # (`azure`, mlwaf.azure_report.AzureReport.beside) when it says anything.
    azure = result.azure
    if azure is None:
        yield from (f.to_dict() for f in result.findings)
        return
    from mlwaf.azure_report import column

    specs = {s.id: s for s in result.checks}
    for f in result.findings:
        out = f.to_dict()
        said = azure.beside(f, specs.get(f.check_id))
        if said:
            out["azure"] = column(said)
        yield out


def _head(result: ScanResult) -> dict[str, Any]:
    tool = {
        "name": "mlwaf",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "checks": len(result.checks),
        "check_sources": dict(result.check_sources),
    }
    if result.check_digest is not None:
        # The selected checks and their parameters (mlwaf.checkset): `mlwaf merge` refuses reports
        # whose checks differ, and reads which checks they ran here.
        tool["check_ids"] = sorted(s.id for s in result.checks)
        tool["check_digest"] = result.check_digest
    if result.generated_at is not None:
        tool["generated_at"] = result.generated_at
    return {
        "tool": tool,
        "scanned": [s.to_dict() for s in result.scanned],
        "errors": [e.to_dict() for e in result.errors],
        **_not_collected(result),
    }


def _not_collected(result: ScanResult) -> dict[str, Any]:
    # Live scans and their replays: what checks need that no call collected, and why.
    if result.not_collected is None:
        return {}
    return {"not_collected": [gap.to_dict() for gap in result.not_collected]}


def _middle(result: ScanResult) -> dict[str, Any]:
    # Every id read again after its first read: the same resource read twice (overlapping dumps:
    # scanned once, `scanned` false) or a resource of another template declaring the same
    # placeholder id (scanned on its own, `scanned` true).
    return {
        "duplicates": [
            {"id": r.id, "path": r.origin.path, "pointer": r.origin.pointer, "first_path": first.origin.path,
             "scanned": scanned}
            for r, first, scanned in result.inventory.repeated()
        ]
    }


def _tail(result: ScanResult, *, streamed: bool = True) -> dict[str, Any]:
    # streamed: the policy section's results as an iterator (PolicyReport.sections), as `items`
    # gives the long lists
    policy = result.policy
    return {
        # A scan above the detail limit counts its PASS and NOT_APPLICABLE findings instead of
        # listing them (mlwaf.engine.Omitted); null when every finding is listed.
        "omitted": result.omitted.to_dict() if result.omitted is not None else None,
        "scores": result.scores.to_dict(),
        # The pre-production gate: decision, exit code, reasons (mlwaf.gate).
        "gate": result.gate.to_dict(),
        "suppressions": result.suppressions.to_dict(),
        "baseline": result.baseline.to_dict() if result.baseline is not None else None,
        # Azure Policy results, when policies were evaluated (mlwaf.policy; docs/policy.md).
        **({"policy": policy.sections() if streamed else policy.to_dict()} if policy is not None else {}),
        # What Azure itself says (policy states, Advisor, Defender, the policy comparison, quota
        # headroom), when the input holds any of it (mlwaf.azure_report).
        **({"azure": result.azure.to_dict()} if result.azure is not None else {}),
        # With --history: the history file and what appending this run did (mlwaf.history.recorded).
        **({"history": result.history.to_dict()} if result.history is not None else {}),
        # What the scan read, so `mlwaf merge` can judge parts again as one scan (mlwaf.provenance);
        # a merged report's parts and how they were judged.
        **({"inputs": result.inputs.to_dict()} if result.inputs is not None else {}),
        **({"merge": result.merge.to_dict()} if result.merge is not None else {}),
    }


def items(result: ScanResult) -> list[tuple[str, Any]]:
    """The report's sections in order, as (key, value); the long lists (resources, findings,
    the policy section's results) are iterators that build one item at a time: the writer streams
    them, the history reads them into its compact rows (mlwaf.history.runreport.from_items)
    without the whole report."""
    return [
        *_head(result).items(),
        ("resources", (_resource(r) for r in result.inventory.resources)),
        *_middle(result).items(),
        ("findings", _findings(result)),
        *_tail(result).items(),
    ]


def write(result: ScanResult, out: IO[str], options: ReportOptions | None = None) -> None:
    """Stream the report to a file, one resource and one finding at a time.

    The same bytes as `render`, without holding the whole report (a dict per finding, then one
    string of it all) in memory: at 100k resources that is a million findings and gigabytes.
    Lists of resources and findings are written item by item, each item encoded on its own and
    indented to its place; everything else is small and encoded whole.
    """
    out.write("{\n")
    sections = items(result)
    for index, (key, value) in enumerate(sections):
        out.write(f"  {dumps(key).rstrip()}: ")
        if key in ("resources", "findings"):
            _write_list(value, out)
        elif key == "policy":
            _write_policy(value, out)
        else:
            out.write(_indented(dumps(value).rstrip(), "  ", first=False))
        out.write(",\n" if index < len(sections) - 1 else "\n")
    out.write("}\n")


def _write_policy(section: dict[str, Any], out: IO[str]) -> None:
    """The policy section, its results streamed as the top-level lists are (one dict per result
    at a time, encoded a batch at a time), the rest encoded whole."""
    out.write("{\n")
    for index, (key, value) in enumerate(section.items()):
        out.write(f"    {dumps(key).rstrip()}: ")
        if key == "results":
            _write_list(value, out, "    ")
        else:
            out.write(_indented(dumps(value).rstrip(), "    ", first=False))
        out.write(",\n" if index < len(section) - 1 else "\n")
    out.write("  }")


def _write_list(items: Iterable[Any], out: IO[str], prefix: str = "  ") -> None:
    """Items encoded a batch at a time: one orjson call and one indent per thousand items, not
    per item, which is what a million findings cost most in this writer. `prefix`: the list's
    own indentation inside the report."""
    first = True
    for batch in _batches(items, 1000):
        text = dumps(batch)  # "[\n  {...},\n  {...}\n]\n": the items, indented by 2
        body = text[text.index("\n") + 1 : text.rindex("]")].rstrip()
        out.write("[\n" if first else ",\n")
        out.write(_indented(body, prefix, first=True))
        first = False
    out.write("[]" if first else "\n" + prefix + "]")


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _indented(text: str, prefix: str, *, first: bool) -> str:
    """Indent every line of an encoded value (the first too, when it starts a list item)."""
    return (prefix if first else "") + text.replace("\n", "\n" + prefix)


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    return dumps(to_dict(result))


REPORTER: Reporter = Streamed(render, write)


def dumps(data: Any) -> str:
    """`json.dumps(data, indent=2, ensure_ascii=False)` plus a newline, byte for byte, through
    orjson: the stdlib encoder falls back to pure Python whenever `indent` is set, and was a third
    of a large scan's time. Values orjson refuses (integers beyond 64 bits, non-string keys) take
    the stdlib path, so the output never depends on which encoder ran."""
    import orjson

    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode("utf-8")
    except TypeError:
        pass
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
