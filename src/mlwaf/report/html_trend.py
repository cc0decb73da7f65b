"""The HTML report's trend panel, for a scan run with --history (mlwaf.history.recorded).

Two inline SVG charts over the runs of the history, this one included: scores (overall and per
pillar, 0-100) and open findings per severity. The geometry is computed here, so the template
only draws it and the page makes no request. Keyboard: the panel is one tab stop; arrow keys,
Home and End move a cursor from run to run and a live region reads that run's values out
(templates/trend.js). Every value is also in a table below the charts, for reading without
scripts or sight. Colours are paired with line styles and words, never alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mlwaf.model import Pillar

if TYPE_CHECKING:
    from mlwaf.history_section import HistoryReport, TrendPoint

WIDTH, LEFT, RIGHT, TOP, BOTTOM = 820, 48, 200, 14, 30
SCORE_H, OPEN_H = 220, 170
# (key, label, CSS class): a class sets the colour and the dash pattern together.
SERIES = [("overall", "Overall", "s-overall")] + [
    (p.value, p.label, f"s-{p.value.replace('_', '-')}") for p in Pillar
]
SEVERITIES = [("high", "High", "sev-high"), ("medium", "Medium", "sev-medium"), ("low", "Low", "sev-low")]


def context(report: HistoryReport | None) -> dict[str, Any] | None:
    """What templates/trend.html.j2 draws (None without --history)."""
    if report is None:
        return None
    points = report.trend
    plot_w = WIDTH - LEFT - RIGHT
    xs = [LEFT + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2) for i in range(len(points))]
    top_open = _ceiling(max((n for p in points for n in p.open.values()), default=0))
    scores = _chart(points, xs, SCORE_H, 100, [(k, label, cls, lambda p, k=k: p.scores.get(k)) for k, label, cls in
                                               SERIES])
    opened = _chart(points, xs, OPEN_H, top_open, [(k, label, cls, lambda p, k=k: p.open.get(k)) for k, label, cls in
                                                   SEVERITIES])
    a = report.appended
    return {
        "path": report.path,
        "note": report.note,
        "runs": len(points),
        "appended": {"skipped": a.skipped, "at": a.at, "new": a.opened, "again": a.reopened, "fixed": a.fixed,
                     "removed": a.removed, "unseen": a.unseen, "moved": a.moved, "open": a.open},
        "width": WIDTH,
        "scores": scores,
        "open": opened,
        # For the keyboard cursor (trend.js) and the table: one entry per run.
        "points": [
            {"x": round(x, 1), "at": p.at, "text": _describe(p),
             "scores": [_fmt(p.scores.get(k)) for k, _, _ in SERIES], "coverage": _fmt(p.coverage),
             "open": [p.open.get(k, 0) for k, _, _ in SEVERITIES], "not_assessed": p.not_assessed,
             "resources": p.resources}
            for x, p in zip(xs, points, strict=True)
        ],
        "series": [label for _, label, _ in SERIES],
        "severities": [label for _, label, _ in SEVERITIES],
    }


def _chart(points: Sequence[TrendPoint], xs: Sequence[float], height: int, top: float,
           series: Sequence[tuple[str, str, str, Any]]) -> dict[str, Any]:
    """Lines (a polyline per unbroken stretch: a run where the value is missing breaks it), the
    y ticks and the legend of one chart."""
    base = TOP + height
    scale = height / top if top else 0.0

    def y(value: float) -> float:
        return round(base - value * scale, 1)

    lines = []
    for index, (_key, label, cls, value_of) in enumerate(series):
        stretches: list[list[str]] = [[]]
        dots = []
        for x, p in zip(xs, points, strict=True):
            value = value_of(p)
            if value is None:
                stretches.append([])
                continue
            stretches[-1].append(f"{x:.1f},{y(value)}")
            dots.append({"x": round(x, 1), "y": y(value)})
        lines.append({
            "label": label, "cls": cls, "paths": [" ".join(s) for s in stretches if s],
            "dots": dots if len(points) <= 60 else [],  # beyond that, dots only clutter
            "legend_y": TOP + 12 + index * 18,
        })
    ticks = [{"y": y(v), "label": f"{v:g}"} for v in _ticks(top)]
    return {"height": base + BOTTOM, "base": base, "top": TOP, "left": LEFT, "right": WIDTH - RIGHT,
            "legend_x": WIDTH - RIGHT + 14, "lines": lines, "ticks": ticks}


def _ceiling(value: float) -> float:
    """A top for the open-findings axis whose quarters are round numbers (1, 2 or 5 times a
    power of ten): 22 open findings give an axis to 40, ticked every 10."""
    quarter = max(value, 4) / 4
    power = 10.0 ** math.floor(math.log10(quarter))
    return 4 * next(float(step * power) for step in (1, 2, 5, 10) if step * power >= quarter)


def _ticks(top: float) -> list[float]:
    return [top * i / 4 for i in range(5)] if top else [0]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _describe(p: TrendPoint) -> str:
    """The run as one sentence, for the live region the keyboard cursor updates."""
    scores = ", ".join(f"{label.lower()} {_fmt(p.scores.get(k))}" for k, label, _ in SERIES)
    opened = ", ".join(f"{p.open.get(k, 0)} {label.lower()}" for k, label, _ in SEVERITIES)
    return (f"Run at {p.at}: scores {scores}; coverage {_fmt(p.coverage)}%; open findings {opened}; "
            f"{p.not_assessed} not assessed; {p.resources} resources.")
