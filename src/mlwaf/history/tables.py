"""A pandas table written as `mlwaf history` prints it: a console table, JSON records, CSV,
Markdown or a standalone HTML page. Values from resources (names, ids, titles) are escaped for
each: CSV cells against formula injection, Markdown through `mdtext.esc`, HTML by Jinja2's
autoescaping."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import orjson

from mlwaf.history import mdtext

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("table", "json", "csv", "markdown", "html")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = list(frame.columns)
    return [{c: _cell(v) for c, v in zip(cols, row, strict=True)} for row in frame.itertuples(index=False)]


def _text(value: Any) -> str:
    value = _cell(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render(frame: pd.DataFrame, fmt: str, title: str) -> str:
    if fmt == "json":
        return orjson.dumps({"title": title, "rows": records(frame)},
                            option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
    if fmt == "csv":
        from mlwaf.report.csv import safe

        return frame.map(lambda v: safe(_cell(v))).to_csv(index=False, lineterminator="\n")
    if fmt == "markdown":
        rows = [[mdtext.esc(_text(v)) for v in row] for row in frame.itertuples(index=False)]
        numeric = [i for i, dtype in enumerate(frame.dtypes) if dtype.kind in "iuf"]
        return "\n".join([f"### {mdtext.esc(title)}", "", *mdtext.table(list(frame.columns), rows, numeric)]) + "\n"
    if fmt == "html":
        from jinja2 import Environment, PackageLoader, select_autoescape

        env = Environment(loader=PackageLoader("mlwaf.history", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True))
        numeric_columns = {c for c, dtype in zip(frame.columns, frame.dtypes, strict=True) if dtype.kind in "iuf"}
        rows = [[_text(v) for v in row] for row in frame.itertuples(index=False)]
        return env.get_template("table.html.j2").render(title=title, columns=list(frame.columns), rows=rows,
                                                        numeric=numeric_columns)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def print_table(frame: pd.DataFrame, title: str, console: Any = None, columns: dict[str, str] | None = None) -> None:
    """A rich table; `columns` (column -> header) narrows it to what fits a console, and any
    `policy:` column is kept."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if columns is not None:
        keep = [c for c in columns if c in frame.columns] + [c for c in frame.columns if str(c).startswith("policy:")]
        frame = frame[keep].rename(columns=columns)
    table = Table(title=escape(title))
    for column, dtype in zip(frame.columns, frame.dtypes, strict=True):
        table.add_column(escape(str(column)), justify="right" if dtype.kind in "iuf" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(escape(_text(v)) for v in row))
    (console or Console()).print(table)
