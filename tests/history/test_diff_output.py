"""The diff's outputs with hostile resource values: inert in HTML (also in a real browser),
escaped in Markdown (no mentions, no issue links), neutralized in CSV."""

from __future__ import annotations

import copy
import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mlwaf.history import diff, diff_output, runreport

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)> @platform-team #123'
FORMULA = "=HYPERLINK(\"http://x\")"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def hostile_diff(sample_report) -> diff.Diff:
    new = copy.deepcopy(sample_report)
    rid = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/evil"
    new["resources"].append({"id": rid, "type": "Microsoft.Storage/storageAccounts", "name": HOSTILE,
                             "location": "westeurope", "origin": {"path": "evil.json", "line": 1}})
    new["findings"].append({"check_id": "MLW-SEC-042", "title": "t", "pillar": "security", "severity": "high",
                            "status": "FAIL", "resource_id": rid, "resource_type": "Microsoft.Storage/storageAccounts",
                            "resource_name": HOSTILE, "message": FORMULA, "evidence": [], "location": {}})
    return diff.compute(runreport.from_dict(sample_report, "old.json"), runreport.from_dict(new, "new.json"))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)


def test_html_escapes_every_resource_value(hostile_diff):
    page = diff_output.to_html(hostile_diff)
    assert "<script>alert" not in page and "<img" not in page
    parser = Tags()
    parser.feed(page)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_markdown_breaks_mentions_and_issue_references(hostile_diff):
    md = diff_output.to_markdown(hostile_diff)
    assert "@platform-team" not in md and "#123" not in md
    assert "@\u200bplatform-team" in md
    assert "<script>" not in md and "\\<script\\>" in md


def test_csv_cells_cannot_run_as_formulas(hostile_diff):
    rows = list(csv.DictReader(io.StringIO(diff_output.to_csv(hostile_diff))))
    (row,) = [r for r in rows if r["section"] == "finding" and r["change"] == "new"]
    assert row["message"] == "'" + FORMULA and row["resource_name"] == HOSTILE


def test_json_is_the_whole_diff(hostile_diff):
    data = json.loads(diff_output.render(hostile_diff, "json"))
    assert data["counts"]["new"] == 1 and data["findings"][0]["resource_name"] == HOSTILE
    assert {r["change"] for r in data["resources"]} == {"added"}


@pytest.mark.browser
def test_html_is_inert_in_a_browser(hostile_diff, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it with apt)")
    api = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "diff.html"
    path.write_text(diff_output.to_html(hostile_diff), encoding="utf-8")
    with api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        dialogs, requests, errors = [], [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        body = page.inner_text("body")
        assert HOSTILE.split(" @")[0] in body  # shown as text
        assert page.evaluate("document.querySelectorAll('img, script').length") == 0
        assert dialogs == [] and errors == [] and requests == [path.resolve().as_uri()]
        browser.close()
