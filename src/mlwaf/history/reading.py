"""Reading a JSON report file into a `RunReport`, whole or streamed.

Whole (`orjson`, the default) is the fastest way to read a report and what `mlwaf diff` uses:
a 100k-resource report parses in about 3 s but holds about 1.3 GiB while it does. Streamed
(`ijson`, from the `history` extra) reads the resources and findings one item at a time, a few
passes over the file, so appending a large run to the history stays far below that
(docs/performance.md has the numbers). Both feed the same `Builder`, so they give equal reports.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

from mlwaf.history.runreport import Builder, ReportError, RunReport, from_dict


def load(path: str | os.PathLike[str], *, stream: bool = False) -> RunReport:
    """Read a report file; a file that is missing, not JSON or not an mlwaf report raises
    `ReportError` naming the file and the reason."""
    file = Path(path)
    shown = str(path)
    if not file.is_file():
        raise ReportError(f"{shown}: no such file")
    if stream and _ijson() is not None:
        return _streamed(file, shown)
    try:
        data = orjson.loads(file.read_bytes())
    except orjson.JSONDecodeError as err:
        raise ReportError(f"{shown}: not valid JSON: {err}") from None
    except OSError as err:
        raise ReportError(f"{shown}: cannot read: {err.strerror or err}") from None
    return from_dict(data, shown)


def generated_at(path: str | os.PathLike[str]) -> str | None:
    """The report's `tool.generated_at` (None for a --reproducible report), read from the head
    of the file without reading the rest when ijson is installed."""
    file = Path(path)
    if not file.is_file():
        raise ReportError(f"{path}: no such file")
    ijson = _ijson()
    if ijson is None:
        return load(file).generated_at
    try:
        tool = _first(ijson, file, "tool")
    except ijson.JSONError as err:
        raise ReportError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(tool, dict) or tool.get("name") != "mlwaf":
        raise ReportError(f"{path}: not an mlwaf JSON report (no \"tool\": {{\"name\": \"mlwaf\"}})")
    value = tool.get("generated_at")
    return str(value) if value else None


def _ijson():  # noqa: ANN202 - the module, or None when the extra is not installed
    try:
        import ijson
    except ImportError:
        return None
    return ijson


def _streamed(file: Path, shown: str) -> RunReport:
    ijson = _ijson()
    builder = Builder(shown)
    try:
        with file.open("rb") as fh:
            first = next(ijson.parse(fh), None)
        if first is None or first[1] != "start_map":
            raise ReportError(f"{shown}: not an mlwaf JSON report (not a JSON object)")
        # ijson follows one prefix per pass. The head sections end early in the file, so their
        # passes stop early; the sections after the findings are read from the file's end in one
        # go (`_tail`: a section the writer puts there and the tail lacks is absent); the two
        # long lists take one pass each.
        for key in HEAD:
            if (value := _first(ijson, file, key)) is not _MISSING:
                builder.section(key, value)
        tail = _tail(file)
        for key in TAIL:
            if key in tail:
                builder.section(key, tail[key])
            elif not tail and (value := _first(ijson, file, key)) is not _MISSING:
                builder.section(key, value)
        for prefix, add in (("resources.item", builder.resource), ("findings.item", builder.finding)):
            with file.open("rb") as fh:
                for item in ijson.items(fh, prefix, use_float=True):
                    add(item)
    except ijson.JSONError as err:
        raise ReportError(f"{shown}: not valid JSON: {err}") from None
    except OSError as err:
        raise ReportError(f"{shown}: cannot read: {err.strerror or err}") from None
    return builder.build()


HEAD = ("tool", "scanned", "errors")
TAIL = ("omitted", "scores", "gate", "policy")
_MISSING = object()
_TAIL_KEY = re.compile(rb',\s*"(?:' + b"|".join(k.encode() for k in TAIL) + rb')"\s*:')


def _first(ijson: Any, file: Path, key: str) -> Any:
    with file.open("rb") as fh:
        return next(ijson.items(fh, key, use_float=True), _MISSING)


def _tail(file: Path) -> dict[str, Any]:
    """The top-level members after the findings list, parsed from the end of the file.

    mlwaf writes `omitted` right after `findings`, then the scores, gate and the rest. Each
    candidate `, "key":` near the end is tried as the start of an object: `{` plus the rest of
    the file parses only if the candidate stands at the top level (from anywhere deeper, the
    closers that follow do not balance), so a key quoted inside a finding's evidence cannot be
    taken for it. The first candidate that parses and holds `omitted` is the whole tail; when
    none does (another writer's order), the caller reads each section with a pass of its own.
    """
    size = file.stat().st_size
    window = 1 << 20
    with file.open("rb") as fh:
        while True:
            start = max(0, size - window)
            fh.seek(start)
            text = fh.read()
            for match in _TAIL_KEY.finditer(text):
                try:
                    members = orjson.loads(b"{" + text[match.start() + 1 :])
                except orjson.JSONDecodeError:
                    continue
                if isinstance(members, dict) and "omitted" in members:
                    return members
            if start == 0 or window >= 256 << 20:
                return {}
            window <<= 3
