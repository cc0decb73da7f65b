"""Markdown text that is safe to post where people are notified: chat channels, issues, pull
requests. Beyond the report's escaping (no links, HTML or table breaks from a resource name),
`@name` and `#123` in a value from a scanned resource must not mention a team or link an issue,
so a zero-width space is put after the `@` or `#`: the text reads the same and matches neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from mlwaf.report.markdown import esc as _report_esc

_ZWSP = "\u200b"
_TRIGGER = re.compile(r"([@#])(?=[\w-])")


def esc(text: Any) -> str:
    """One line of inline Markdown from untrusted text: escaped, with mentions and references
    broken."""
    return _report_esc(_TRIGGER.sub(r"\1" + _ZWSP, "" if text is None else str(text)))


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> list[str]:
    """A GitHub table; cells are already escaped; `numeric` columns are right-aligned."""
    rule = ["---:" if i in numeric else "---" for i in range(len(header))]
    lines = [f"| {' | '.join(header)} |", f"|{'|'.join(rule)}|"]
    lines.extend(f"| {' | '.join(str(c) for c in row)} |" for row in rows)
    return lines


def num(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+g}" if signed else f"{value:g}"
