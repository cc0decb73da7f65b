"""The HTML report of a scan run with --history: a trend panel (inline SVG, no request, one tab
stop read with the arrow keys, a table of every value) and each failing finding marked new,
failing again or open since, with its age. In headless chromium like the other HTML tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from mlwaf.history import analysis, recorded
from mlwaf.history.schema import HistoryError
from mlwaf.report import html
from mlwaf.results import ScanResult

from .conftest import scan
from .test_html import Page, browser, parse, sha256  # noqa: F401 - browser is a fixture

T0 = dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)


def with_history(result: ScanResult, db: Path, runs: int = 3) -> ScanResult:
    """`runs` runs of the same estate a day apart, the last one recorded on `result`: the first
    run's failing findings are open for runs - 1 days."""
    with recorded.open_history(db) as history:
        for day in range(runs - 1):
            recorded.record(dataclasses.replace(result, generated_at=None), history, now=T0 + dt.timedelta(days=day))
        return recorded.record(dataclasses.replace(result, generated_at=None), history,
                               now=T0 + dt.timedelta(days=runs - 1))


@pytest.fixture(scope="module")
def trend_result(sample_estate, tmp_path_factory) -> ScanResult:
    return with_history(scan(sample_estate), tmp_path_factory.mktemp("trend") / "a<b>.db")


def test_the_panel_is_inline_locked_down_and_escaped(trend_result):
    text = html.render(trend_result)
    doc = parse(text)
    (csp,) = [a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    code = [body for attrs, body in doc.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 2 and all(sha256(body) in csp for body in code)  # the report's script and the panel's
    assert len(doc.styles) == 2 and all(sha256(style) in csp for style in doc.styles)
    assert "a<b>.db" not in text and "a&lt;b&gt;.db" in text
    assert [t for t, _ in doc.tags].count("svg") == 3  # the pillar chart and the two trend charts
    # Marks travel with the findings: the first run's failures are two days old now.
    (data,) = [body for attrs, body in doc.scripts if attrs.get("id") == "mlwaf-data"]
    marked = [f["h"] for f in json.loads(data)["findings"] if "h" in f]
    assert marked and {(h[0], h[1]) for h in marked} == {("recurring", 2.0)}
    assert len(marked) == sum(1 for f in trend_result.findings if f.status.value == "FAIL")


def test_without_history_there_is_no_panel(sample_estate):
    text = html.render(scan(sample_estate))
    assert 'id="trend"' not in text and "mlwaf-trend" not in text and len(parse(text).styles) == 1


def test_without_pandas_the_panel_says_how_to_get_it(sample_estate, tmp_path, monkeypatch):
    def missing() -> None:
        raise HistoryError("the history commands compute with pandas, which is not installed: pip install "
                           "'mlwaf[history]'")

    monkeypatch.setattr(analysis, "pandas", missing)
    text = html.render(with_history(scan(sample_estate), tmp_path / "h.db", runs=1))
    assert "No trend chart" in text and "mlwaf[history]" in text and 'id="mlwaf-trend"' not in text


def test_the_store_says_what_the_panel_shows(trend_result, tmp_path):
    """Same numbers as `mlwaf history trend`: the panel is the history, not a copy of this run."""
    report = trend_result.history
    assert report is not None and len(report.trend) == 3
    assert [p.at for p in report.trend] == [f"2026-11-0{d}T06:00:00Z" for d in (1, 2, 3)]
    last = report.trend[-1]
    assert last.scores["overall"] == trend_result.scores.overall.score
    failing = [f for f in trend_result.findings if f.status.value == "FAIL"]
    assert sum(last.open.values()) == len(failing)
    with sqlite3.connect(report.path) as con:
        assert con.execute("SELECT count(*) FROM run").fetchone() == (3,)


@pytest.mark.browser
def test_the_trend_is_read_from_the_keyboard(browser, trend_result, tmp_path):  # noqa: F811
    path = tmp_path / "report.html"
    path.write_text(html.render(trend_result), encoding="utf-8")
    page = Page(browser, path)
    p = page.page
    assert page.errors == [] and page.requests == [page.url]
    assert [m for m in page.console if m[0] in ("error", "warning")] == []
    readout = "#trend-readout"
    assert "2026-11-03" in p.inner_text(readout)  # the latest run first
    p.focus("#trend-charts")
    p.keyboard.press("Home")
    assert p.inner_text(readout).startswith("Run at 2026-11-01T06:00:00Z: scores overall")
    first_x = p.get_attribute("[data-trend-cursor]", "x1")
    p.keyboard.press("ArrowRight")
    assert "2026-11-02" in p.inner_text(readout)
    assert p.get_attribute("[data-trend-cursor]", "x1") != first_x
    p.keyboard.press("End")
    assert "2026-11-03" in p.inner_text(readout)
    assert p.get_attribute(readout, "aria-live") == "polite"
    # Every value, without the chart: the table in its disclosure.
    p.click("details.trend-table summary")
    rows = p.eval_on_selector_all("details.trend-table tbody tr", "rows => rows.map(r => r.innerText)")
    assert len(rows) == 3 and rows[0].startswith("2026-11-01T06:00:00Z")


@pytest.mark.browser
def test_findings_show_their_mark_and_filter_on_new(browser, sample_estate, tmp_path):  # noqa: F811
    result = with_history(scan(sample_estate), tmp_path / "h.db", runs=2)
    # One finding as if it failed only now: its span starts at this run.
    (first_fail,) = [f for f in result.findings if f.status.value == "FAIL"][:1]
    new_mark = dataclasses.replace(first_fail.history, state=recorded.Recurrence.NEW, age_days=0.0)
    result = dataclasses.replace(result, findings=[
        dataclasses.replace(f, history=new_mark) if f is first_fail else f for f in result.findings])
    path = tmp_path / "report.html"
    path.write_text(html.render(result), encoding="utf-8")
    page = Page(browser, path)
    p = page.page
    assert any("Open 1 day" in row for row in page.rows())
    p.select_option("#f-status", "new")
    (row,) = page.rows()
    assert "New" in row and first_fail.resource.name in row
