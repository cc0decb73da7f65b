"""Reading a JSON report file into a `RunReport`, whole or streamed.

Whole (`orjson`, the default) is the fastest way to read a report and what `mlwaf diff` uses:
a 100k-resource report parses in about 3 s but holds about 1.3 GiB while it does. Streamed, for
appending to the history, never holds the report whole. A report as mlwaf writes it (two-space
indentation, as `json.dumps(indent=2)` lays it out) is read in blocks: each resource and finding
is cut out at its closing brace and parsed alone with orjson, and everything else (the small
sections) in one parse with those two lists left empty. A report in any other layout (one
reformatted by another tool) is read with ijson (the `history` extra), a pass per section. All
paths feed the same `Builder`, so they give equal reports (tested).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from mlwaf.history.runreport import SECTIONS, Builder, ReportError, RunReport, from_dict


def load(path: str | os.PathLike[str], *, stream: bool = False) -> RunReport:
    """Read a report file; a file that is missing, not JSON or not an mlwaf report raises
    `ReportError` naming the file and the reason."""
    file = Path(path)
    shown = str(path)
    if not file.is_file():
        raise ReportError(f"{shown}: no such file")
    if stream:
        try:
            read = _by_lines(file, shown)
        except OSError as err:
            raise ReportError(f"{shown}: cannot read: {err.strerror or err}") from None
        if read is not None:
            return read
        if _ijson() is not None:
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


_LIST_STARTS = (b'\n  "resources": [\n', b'\n  "findings": [\n')
# The policy section's results (issue 14), its largest part: read item by item too, looked for
# only inside that section (which ends at the first closing brace indented by two).
_POLICY_START = b'\n  "policy": {\n'
_RESULTS_START = b'\n    "results": [\n'
_SECTION_END = b"\n  }"
_BLOCK = 1 << 22


class _Blocks:
    """A file read in blocks, searched with bytes.find: mlwaf's layout is found by searching for
    its markers, not by looking at each of a large report's seven million lines."""

    def __init__(self, fh: Any) -> None:
        self.fh, self.buf, self.pos = fh, b"", 0

    def more(self) -> bool:
        data = self.fh.read(_BLOCK)
        if not data:
            return False
        self.buf, self.pos = self.buf[self.pos :] + data, 0
        return True

    def find(self, *needles: bytes) -> tuple[int, bytes | None]:
        """The nearest of the needles from here on: (where, which), or (-1, None) at the end."""
        while True:
            hits = [(i, n) for n in needles if (i := self.buf.find(n, self.pos)) >= 0]
            if hits:
                return min(hits)
            if not self.more():
                return -1, None

    def ensure(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n and self.more():
            pass
        return self.buf[self.pos : self.pos + n]

    def take(self, end: int) -> bytes:
        out, self.pos = self.buf[self.pos : end], end
        return out


def _by_lines(file: Path, shown: str) -> RunReport | None:
    """A report in mlwaf's own layout, item by item; None when the file is laid out otherwise
    (the caller then reads it another way)."""
    builder = Builder(shown)
    skeleton = bytearray()  # everything but the long lists' items: the small sections
    seen: list[bytes] = []
    with file.open("rb") as fh:
        blocks = _Blocks(fh)
        if not blocks.ensure(5).startswith(b'{\n  "'):  # not two-space indentation: another layout
            return None
        in_policy = False
        while True:
            needles = (_RESULTS_START, _SECTION_END) if in_policy else (*_LIST_STARTS, _POLICY_START)
            at, marker = blocks.find(*needles)
            if marker is None:
                skeleton += blocks.take(len(blocks.buf))
                break
            if marker in (_POLICY_START, _SECTION_END):
                in_policy = marker == _POLICY_START
                skeleton += blocks.take(at + len(marker))
                continue
            seen.append(marker)
            skeleton += blocks.take(at + len(marker) - 2) + b"[]"  # the list, left empty
            blocks.take(at + len(marker))
            if marker == _RESULTS_START:
                ok = _items(blocks, b"      ", builder.policy_result)
            else:
                ok = _items(blocks, b"    ", builder.resource if marker == _LIST_STARTS[0] else builder.finding)
            if not ok:
                return None
    if seen[:2] == [_LIST_STARTS[1], _LIST_STARTS[0]]:
        return None  # findings before the resources they name
    try:
        sections = orjson.loads(skeleton)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(sections, dict) or sections.get("resources") or sections.get("findings"):
        return None  # a list written some other way: not this layout after all
    for key in SECTIONS:
        if key in sections:
            builder.section(key, sections[key])
    return builder.build()


def _items(blocks: _Blocks, indent: bytes, add: Callable[[Any], None]) -> bool:
    """The items of a list at `indent`, up to its closing bracket, each parsed alone: an item ends
    at the first closing brace at its indentation (deeper ones are indented more, and JSON strings
    hold no newline). False when the list is laid out otherwise."""
    start, end_mark, close = indent + b"{", b"\n" + indent + b"}", b"\n" + indent[:-2] + b"]"
    while True:
        if not blocks.ensure(len(start)).startswith(start):
            return False
        end, _ = blocks.find(end_mark)
        if end < 0:
            return False
        try:
            add(orjson.loads(blocks.take(end + len(end_mark))))
        except orjson.JSONDecodeError:
            return False
        follow = blocks.ensure(len(close))
        if follow.startswith(b",\n"):
            blocks.take(blocks.pos + 2)
        elif follow == close:
            blocks.take(blocks.pos + len(close))
            return True
        else:
            return False


def _streamed(file: Path, shown: str) -> RunReport:
    """Any other layout, with ijson: a pass per section (the head ones stop early), then the two
    long lists item by item."""
    ijson = _ijson()
    builder = Builder(shown)
    try:
        with file.open("rb") as fh:
            first = next(ijson.parse(fh), None)
        if first is None or first[1] != "start_map":
            raise ReportError(f"{shown}: not an mlwaf JSON report (not a JSON object)")
        for key in SECTIONS:
            if (value := _first(ijson, file, key)) is not _MISSING:
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


_MISSING = object()


def _first(ijson: Any, file: Path, key: str) -> Any:
    with file.open("rb") as fh:
        return next(ijson.items(fh, key, use_float=True), _MISSING)
