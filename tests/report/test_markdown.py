"""Markdown summary: parses as the tables and headings it claims, and text from scanned files
cannot inject links, HTML or table breaks."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from mlwaf.baseline import Baseline
from mlwaf.gate import GateOptions
from mlwaf.model import Severity
from mlwaf.report import markdown
from tests.gate_estate import HOSTILE_NAMES, report_inputs, scan

MD = MarkdownIt("commonmark").enable("table")


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    return report_inputs(tmp_path_factory.mktemp("md"))


@pytest.fixture(scope="module")
def result(estate):
    return scan(*estate, gate=GateOptions(fail_on=Severity.HIGH))


def _tables(tokens):
    """Each table as a list of rows of cell texts."""
    tables, rows, row, in_cell = [], None, None, False
    for tok in tokens:
        if tok.type == "table_open":
            rows = []
        elif tok.type == "table_close":
            tables.append(rows)
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close":
            rows.append(row)
        elif tok.type in ("th_open", "td_open"):
            in_cell = True
            row.append("")
        elif tok.type in ("th_close", "td_close"):
            in_cell = False
        elif tok.type == "inline" and in_cell:
            row[-1] = "".join(c.content for c in tok.children if c.type in ("text", "code_inline"))
    return tables


def test_renders_headings_and_tables(result):
    tokens = MD.parse(markdown.render(result))
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == "mlwaf: gate ❌ failed"
    assert {"Pillar scores", "Scores by scope", "Suppressed (1)", "Inputs not read (1)"} <= set(headings)
    assert any(h.startswith("Top findings (") for h in headings)
    pillars, scopes, top, assignments, noncompliant, suppressed = _tables(tokens)  # the default policies' two
    assert pillars[0] == ["Pillar", "Score", "Coverage", "Pass", "Fail", "Unknown", "Suppressed"]
    overall = result.scores.overall
    assert pillars[-1][:3] == ["Overall", f"{overall.score:g}", f"{overall.coverage:g}%"]
    assert len(pillars) == 7  # header, five pillars, overall
    assert all(len(r) == 6 for r in scopes) and len(scopes) == 1 + len(result.scores.scopes)
    fails = [f for f in result.findings if f.status.value == "FAIL" and not f.suppressed]
    assert len(top) == 1 + len(fails) and top[1][0] == "high"
    assert all(len(r) == 5 for r in top)  # no cell broke out of its column
    assert all(len(r) == 8 for r in assignments) and all(len(r) == 7 for r in noncompliant)
    reason = "reviewed in RISK-9 | <b>accepted</b>"
    assert suppressed[1][:4] == ["TST-SEC-001", HOSTILE_NAMES["formula"], "FAIL", reason]


def test_text_from_scanned_files_cannot_inject_markup(result):
    text = markdown.render(result)
    tokens = MD.parse(text)
    flat = [c for t in tokens for c in (t, *(t.children or []))]
    assert not [t for t in flat if t.type in ("html_inline", "html_block", "link_open", "image")]
    # Bold only where the report puts it: "Why:" and the overall row; never the hostile "**bold**".
    strong = [
        t.children[i + 1].content for t in tokens for i, c in enumerate(t.children or []) if c.type == "strong_open"
    ]
    overall_row = _tables(tokens)[0][-1]
    assert set(strong) <= {"Why:", *overall_row} and "bold" not in strong
    shown = "".join(t.content for t in flat if t.type == "text")
    assert "<img src=x onerror=alert(1)> [click](http://attacker.example) | **bold**" in shown  # literally
    assert "\u0007" not in text and "bell\ufffdand\ufffdescape" in shown


def test_caps_long_lists_and_reports_baseline_and_expiry(estate):
    root, pack = estate
    markdown_module_cap = markdown.TOP_FINDINGS
    try:
        markdown.TOP_FINDINGS = 3
        known = Baseline.from_findings([f for f in scan(root, pack).findings if f.resource.name != "mlw-dev"])
        result = scan(root, pack, baseline=known)
        text = markdown.render(result)
    finally:
        markdown.TOP_FINDINGS = markdown_module_cap
    tokens = MD.parse(text)
    top = _tables(tokens)[2]
    assert len(top) == 4 and top[0][-1] == "New"
    assert [r[-1] for r in top[1:]] == ["new", "new", "new"]  # new findings first
    assert "more in the full report." in text
    assert "### Baseline" in text and f"{result.baseline.new} new" in text
