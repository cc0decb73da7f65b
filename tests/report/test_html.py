"""The HTML report: self-contained, safe with hostile values, deterministic, and usable in a real
browser (Debian's chromium driven by Playwright; never a downloaded browser)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from mlwaf import links
from mlwaf.model import Status
from mlwaf.report import html
from mlwaf.results import ScanResult

from .conftest import XSS_ATTR, XSS_SCRIPT, compute_instance, scan, workspace, write_json

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: tuple[str, dict[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = (tag, dict(attrs))

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            tag, attrs = self._in
            if tag == "script":
                self.scripts.append((attrs, data))
            else:
                self.styles.append(data)
            self._in = None


def parse(text: str) -> Tags:
    parser = Tags()
    parser.feed(text)
    return parser


def embedded_data(text: str) -> dict[str, Any]:
    scripts = parse(text).scripts
    (data,) = [body for attrs, body in scripts if attrs.get("type") == "application/json"]
    return json.loads(data)


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# --- the file itself --------------------------------------------------------------------------


def test_self_contained_and_locked_down(sample_result):
    text = html.render(sample_result)
    doc = parse(text)
    for tag, attrs in doc.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
        assert "src" not in attrs or (tag == "script" and attrs["src"] is None), (tag, attrs)
        if tag == "a":  # server-side links stay in the page, but for built-in policies' pages (mlwaf.links)
            assert attrs["href"].startswith(("#", links.policy_definition(""))), attrs
    assert "@import" not in text and "url(" not in "".join(doc.styles)
    (csp,) = [a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp
    code = [body for attrs, body in doc.scripts if attrs.get("type") != "application/json"]
    assert len(code) == 1 and f"script-src {sha256(code[0])}" in csp
    assert len(doc.styles) == 1 and f"style-src {sha256(doc.styles[0])}" in csp


def test_hostile_values_never_become_markup(hostile_result):
    text = html.render(hostile_result)
    for raw in (XSS_SCRIPT, XSS_ATTR, "<img", "<script>alert", "</script><script>"):
        assert raw not in text, raw
    tags = [t for t, _ in parse(text).tags]
    assert tags.count("script") == 2 and "img" not in tags
    # The values survive as data: the page shows them as text.
    data = embedded_data(text)
    assert {XSS_SCRIPT, XSS_ATTR} <= {r["name"] for r in data["resources"]}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the workspace view, escaped by Jinja2


def test_embed_json_cannot_close_the_script_element():
    hostile = {"a": "</script><script>alert(1)</script>", "b": "\u2028\u2029", "c": "<!-- & -->"}
    embedded = html.embed_json(hostile)
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded and "\u2028" not in embedded
    assert json.loads(embedded) == hostile


def test_not_assessed_lists_inputs_unknowns_and_failed_calls(hostile_result):
    ctx = html.context(hostile_result)
    assert [e["path"] for e in ctx["errors"]] == ["broken/<img src=x onerror=alert(4)>.json"]
    unknown = {u["id"]: u["count"] for u in ctx["unknown"]}
    assert unknown == {
        check: sum(1 for f in hostile_result.findings if f.check_id == check and f.status is Status.UNKNOWN)
        for check in unknown
    }
    assert "MLW-SEC-001" in unknown
    text = html.render(hostile_result)
    assert "broken/&lt;img src=x onerror=alert(4)&gt;.json" in text


def test_failed_live_calls_are_shown_with_scope_call_and_status(hostile_result):
    from mlwaf.model import InputError

    err = InputError(
        path="live",
        message="AuthorizationFailed: the client has no read access",
        scope="/subscriptions/00000000-1111-2222-3333-444444444444",
        call="GET https://management.azure.com/subscriptions/00000000-1111-2222-3333-444444444444/providers/"
        "Microsoft.MachineLearningServices/workspaces?api-version=2025-12-01",
        status=403,
    )
    result = dataclasses.replace(hostile_result, errors=[*hostile_result.errors, err])
    text = html.render(result)
    section = text[text.index('id="not-assessed"') : text.index('id="inputs"')]
    assert "AuthorizationFailed" in section and ">403<" in section and "api-version=2025-12-01" in section


def test_workspace_view_shows_children_and_dependencies(sample_result):
    ctx = html.context(sample_result)
    by_name = {w["name"]: w for w in ctx["workspaces"]}
    assert {"mlw-fraud-prod", "mlw-fraud-dev"} <= set(by_name)
    prod = {(r["role"], r["name"]) for r in by_name["mlw-fraud-prod"]["rows"]}
    assert ("workspace", "mlw-fraud-prod") in prod
    assert ("child", "cpu-train") in prod
    assert ("dependency: key vault", "kv-fraud-prod") in prod
    assert any(role.startswith("attached: private endpoint") for role, _ in prod)
    # Findings know which workspace they belong to, for the workspace filter.
    data = embedded_data(html.render(sample_result))
    index = [w["name"] for w in ctx["workspaces"]].index("mlw-fraud-prod")
    assert any(index in f.get("w", []) for f in data["findings"])


def test_same_input_same_bytes_apart_from_the_timestamp(sample_estate, tmp_path):
    copy = tmp_path / "estate"
    shutil.copytree(sample_estate, copy)
    a, b = html.render(scan(copy, reproducible=False)), html.render(scan(copy, reproducible=False))
    stamp = re.compile(r"Generated \d{4}-\d\d-\d\dT[0-9:+]+\.")
    assert stamp.search(a)
    assert stamp.sub("", a) == stamp.sub("", b)
    assert html.render(scan(copy)) == html.render(scan(copy))
    assert not stamp.search(html.render(scan(copy)))


@pytest.mark.slow
def test_templates_ship_in_the_wheel(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if build.returncode != 0 and "Could not find a version" in build.stderr:
        pytest.skip(f"no build backend reachable: {build.stderr[-300:]}")
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("mlwaf-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("report.html.j2", "report.css", "report.js"):
        assert f"mlwaf/report/templates/{name}" in names


# --- in a real browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it with apt)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Page:
    """A report opened from file://, with everything the page said and asked for recorded."""

    def __init__(self, browser: Any, path: Path, width: int = 1360) -> None:
        self.console: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("#findings-body tr")

    def rows(self) -> list[str]:
        return self.page.eval_on_selector_all("#findings-body > tr:not(.detail)", "rows => rows.map(r => r.innerText)")

    def count(self) -> str:
        return self.page.inner_text("#count")

    def wait_for_count(self, fragment: str, timeout_s: float = 5.0) -> None:
        """Poll from Python: the page's CSP forbids the eval that `wait_for_function` needs."""
        deadline = time.monotonic() + timeout_s
        while fragment not in self.count():
            assert time.monotonic() < deadline, f"{fragment!r} never appeared in {self.count()!r}"
            self.page.wait_for_timeout(50)


def open_report(browser: Any, result: ScanResult, folder: Path) -> Page:
    path = folder / "report.html"
    path.write_text(html.render(result), encoding="utf-8")
    return Page(browser, path)


@pytest.mark.browser
def test_page_loads_offline_without_errors(browser, sample_result, tmp_path):
    page = open_report(browser, sample_result, tmp_path)
    assert page.errors == []
    assert [m for m in page.console if m[0] in ("error", "warning")] == []
    assert page.requests == [page.url]  # the file itself, nothing else
    problems = sum(
        1 for f in sample_result.findings if f.status.value in ("FAIL", "UNKNOWN", "ERROR") and not f.suppressed
    )
    assert f"of {problems} matching" in page.count()


@pytest.mark.browser
def test_filters_change_the_visible_rows(browser, sample_result, tmp_path):
    page = open_report(browser, sample_result, tmp_path)
    p = page.page
    p.select_option("#pg-size", "250")
    problems = page.rows()
    p.select_option("#f-severity", "high")
    high = page.rows()
    assert 0 < len(high) < len(problems)
    assert all("High" in r for r in high)
    p.select_option("#f-severity", "")
    p.select_option("#f-status", "")
    # every finding matches; the page shows at most 250 of them
    assert len(page.rows()) == min(250, len(sample_result.findings))
    page.wait_for_count(f"of {len(sample_result.findings)} matching")
    p.select_option("#f-status", "PASS")
    assert all("Pass" in r for r in page.rows())
    p.select_option("#f-pillar", "cost_optimization")
    assert all("Cost optimization" in r for r in page.rows())
    p.select_option("#f-pillar", "")
    p.select_option("#f-status", "")
    p.select_option("#f-type", "Microsoft.MachineLearningServices/workspaces/computes")
    assert all("workspaces/computes" in r for r in page.rows())
    p.select_option("#f-type", "")
    p.fill("#f-text", "cpu-dev")
    p.press("#f-text", "Enter")  # the search applies at once on Enter, else after a short pause
    assert page.rows() and all("cpu-dev" in r for r in page.rows())
    assert len(page.rows()) < len(sample_result.findings)
    p.click("#f-reset")
    page.wait_for_count(f"of {len(problems)} matching")
    # Workspace filter, from the per-workspace view's button.
    p.click("button[data-ws]")
    assert 0 < len(page.rows()) <= len(problems)


@pytest.mark.browser
def test_a_summarized_report_says_so_and_lists_only_what_to_act_on(browser, sample_estate, tmp_path):
    from mlwaf.scan import ScanOptions, run_scan

    summarized = run_scan([sample_estate], ScanOptions(detail_limit=10))
    page = open_report(browser, summarized, tmp_path)
    p = page.page
    assert page.errors == [] and page.requests == [page.url]
    banner = p.inner_text("p.banner:has-text('Summarized')")
    passes = sum(n for (_, status), n in summarized.omitted.by_check.items() if status.value == "PASS")
    assert f"{passes} PASS" in banner and "--detail-limit 0" in banner
    p.select_option("#f-status", "")
    page.wait_for_count(f"of {len(summarized.findings)} matching")
    p.select_option("#f-status", "PASS")
    assert page.rows() == ["No finding matches these filters."]


@pytest.mark.browser
def test_sorting_and_details_work_from_the_keyboard(browser, sample_result, tmp_path):
    page = open_report(browser, sample_result, tmp_path)
    p = page.page
    p.focus("th[data-key=resource] button")
    p.keyboard.press("Enter")
    assert p.get_attribute("th[data-key=resource]", "aria-sort") == "ascending"
    names = page.rows()
    p.keyboard.press("Enter")
    assert p.get_attribute("th[data-key=resource]", "aria-sort") == "descending"
    assert page.rows() != names
    toggle = p.locator("#findings-body button.toggle").first
    toggle.focus()
    p.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    detail = p.locator("#findings-body tr.detail").first
    text = detail.inner_text()
    for heading in ("EVIDENCE", "REMEDIATION", "SOURCE", "RESOURCE"):
        assert heading in text.upper()
    p.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert p.locator("#findings-body tr.detail").count() == 0


@pytest.mark.browser
def test_hostile_names_stay_inert(browser, hostile_result, tmp_path):
    page = open_report(browser, hostile_result, tmp_path)
    p = page.page
    p.select_option("#f-status", "")
    p.select_option("#pg-size", "250")
    # Render every detail (evidence values, names, ids) by pressing each Details button.
    opened = p.evaluate(
        "() => { const b = [...document.querySelectorAll('#findings-body button.toggle')];"
        " b.forEach(x => x.click()); return b.length; }"
    )
    assert opened == len(hostile_result.findings)
    assert page.dialogs == [] and page.errors == []
    assert p.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert p.evaluate("document.scripts.length") == 2
    body = p.inner_text("body")
    assert XSS_SCRIPT in body and XSS_ATTR in body and "<script>alert(2)</script>" in body
    assert page.requests == [page.url]
    ARTIFACTS.mkdir(exist_ok=True)
    p.locator("#findings-body tr.detail").nth(1).scroll_into_view_if_needed()
    p.screenshot(path=str(ARTIFACTS / "html-report-hostile.png"))


@pytest.mark.browser
def test_screenshot_of_the_sample_report(browser, sample_result, tmp_path):
    """The screenshot is the whole page as rendered, with the first finding's details open."""
    page = open_report(browser, sample_result, tmp_path)
    toggle = page.page.locator("#findings-body button.toggle").first
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    detail = page.page.locator("#" + str(toggle.get_attribute("aria-controls")))
    assert detail.is_visible()
    assert all(h in detail.inner_text().lower() for h in ("verdict", "evidence", "resource", "source"))
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "html-report.png"
    png = page.page.screenshot(path=str(target), full_page=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk: the image's size in pixels
    full = page.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert [width, height] == full, "the screenshot holds the whole page"
    assert height > 900, "the page is longer than the window: scores, filters and findings"


def big_estate(root: Path, findings: int) -> Path:
    """A workspace with enough compute instances for `findings` findings."""
    probe = root / "probe"
    write_json(probe / "workspace.json", workspace("mlw-big"))
    write_json(probe / "computes.json", {"value": [compute_instance("mlw-big", "ci-probe")]})
    per_compute = sum(1 for f in scan(probe).findings if f.resource.name == "ci-probe")
    n = findings // per_compute + 1
    big = root / "big"
    write_json(big / "workspace.json", workspace("mlw-big"))
    write_json(big / "computes.json", {"value": [compute_instance("mlw-big", f"ci-{i:05d}") for i in range(n)]})
    return big


@pytest.mark.browser
@pytest.mark.slow
def test_twenty_thousand_findings_stay_responsive(browser, tmp_path):
    result = scan(big_estate(tmp_path, 20_000))
    assert len(result.findings) >= 20_000
    page = open_report(browser, result, tmp_path)
    p = page.page
    load_ms = p.evaluate("performance.now()")
    assert load_ms < 15_000
    assert p.locator("#findings-body > tr").count() == 50  # one page of rows, not 20,000
    timings = p.evaluate(
        """() => {
          const t = {};
          const run = (name, fn) => { const s = performance.now(); fn(); t[name] = performance.now() - s; };
          const change = (id, v) => { const e = document.getElementById(id); e.value = v;
                                      e.dispatchEvent(new Event('change')); };
          run('all', () => change('f-status', ''));
          run('severity', () => change('f-severity', 'high'));
          run('sort', () => document.querySelector('th[data-key=resource] button').click());
          run('page', () => document.getElementById('pg-last').click());
          return t;
        }"""
    )
    assert all(ms < 2_000 for ms in timings.values()), timings
    assert f"({len(result.findings):,} in all)" in page.count()


def test_gate_and_suppressions_are_shown(hostile_result):
    ctx = html.context(hostile_result)
    assert ctx["gate"]["decision"] == hostile_result.gate.decision
    (rule,) = ctx["suppression_rules"]
    assert rule["check"] == "MLW-SEC-001" and rule["matched"] == 1 and not rule["expired"]
    assert rule["source"].startswith("tag mlwaf-suppress")
    text = html.render(hostile_result)
    section = text[text.index('id="suppressions"') : text.index('id="inputs"')]
    assert "sandbox without data, reviewed by the platform team" in section
