"""How a merged report was judged, for people: the JSON has `merge`; HTML and Markdown say it in
one line, a warning where each part's verdicts were kept (a reader must not take a merge judged
per part for a single scan), every value escaped. A plain scan has no such line (the committed
sample reports are unchanged: tests/test_sample_reports.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.merge.test_merge import at_repo, related, run, scan_parts, without_inputs
from tests.report.test_html import Page, browser, parse  # noqa: F401 - browser is a fixture

__all__ = ["at_repo"]

HOSTILE = "<img src=x onerror=alert(1)>*graph*"


def _merged(tmp_path: Path, per_part: bool) -> Path:
    parts = scan_parts(tmp_path)
    if per_part:  # a part that does not name its inputs, with a name that is markup
        parts[1] = without_inputs(parts[1], tmp_path / f"{HOSTILE}.json")
    out = tmp_path / "m"
    result = run("merge", *parts, "--output-dir", str(out), "-f", "json", "-f", "html", "-f", "markdown", "-q")
    assert result.exit_code == 0, result.output + result.stderr
    return out


def test_a_merge_judged_per_part_says_so_in_html_and_markdown(at_repo, tmp_path, browser):  # noqa: F811
    out = _merged(tmp_path, per_part=True)
    note = json.loads((out / "mlwaf.json").read_text())["merge"]
    assert note["judged"] == "per part" and HOSTILE in note["reason"]

    html = (out / "mlwaf.html").read_text()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;*graph*" in html
    assert [t for t, a in parse(html).tags if a.get("id") == "merge"] == ["p"]
    page = Page(browser, out / "mlwaf.html")
    banner = page.page.locator("#merge")
    text = banner.inner_text()
    assert text.startswith("⚠ Merged per part: 3 reports, each part's verdicts kept, not judged again as one scan")
    assert HOSTILE in text and f"{len(related())} checks that read related resources may differ" in text
    assert banner.get_attribute("class") == "banner warn" and banner.get_attribute("role") == "note"
    assert banner.is_visible() and page.page.locator("#merge img").count() == 0
    assert not page.errors and not page.dialogs and all(u.startswith("file:") for u in page.requests)

    md = (out / "mlwaf.md").read_text().splitlines()
    (line,) = [x for x in md if "Merged" in x]
    assert line.startswith("**Merged per part:** 3 reports, each part's verdicts kept")
    assert "\\<img src=x onerror=alert(1)\\>\\*graph\\*" in line and not re.search(r"(?<!\\)[<>*]", line[20:])
    assert f"{len(related())} checks that read related resources" in line


def test_a_merge_judged_as_one_scan_says_so_quietly(at_repo, tmp_path, browser):  # noqa: F811
    out = _merged(tmp_path, per_part=False)
    page = Page(browser, out / "mlwaf.html")
    banner = page.page.locator("#merge")
    assert banner.inner_text() == "Merged: 3 reports, judged again as one scan of their inputs."
    assert banner.get_attribute("class") == "banner"
    md = (out / "mlwaf.md").read_text()
    assert "\n_Merged: 3 reports, judged again as one scan of their inputs._\n" in md


def test_a_plain_scan_says_nothing_of_a_merge(at_repo, tmp_path):
    out = tmp_path / "s"
    assert run("scan", "fixtures/sample-estate", "-q", "--output-dir", str(out), "-f", "html", "-f",
               "markdown").exit_code == 0
    assert 'id="merge"' not in (out / "mlwaf.html").read_text() and "Merged" not in (out / "mlwaf.md").read_text()
