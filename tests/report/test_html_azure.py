"""The HTML report's "Azure says" view: Advisor under its pillar and Defender's unhealthy
assessments with severity beside mlwaf's verdict, Azure Policy's state beside mlwaf's with the
disagreement marked, quota headroom per region and family; every value from Azure escaped, usable
from the keyboard in a real browser, and absent when the input holds none of Azure's facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlwaf.report import html
from mlwaf.results import ScanResult

from .conftest import SUB, XSS_ATTR, XSS_SCRIPT, arm_id, scan, workspace, write_json
from .test_html import CHROMIUM, Page, browser, parse  # noqa: F401 - the module's browser fixture

WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
BUILTIN = "/providers/Microsoft.Authorization/policyDefinitions/438c38d2-3772-465a-a9cc-7a6666a275ce"
ASSIGNMENT = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/ml-public"
OPEN, CLOSED = arm_id(WS_TYPE, "mlw-open"), arm_id(WS_TYPE, "mlw-closed")


def _state(resource_id: str, state: str) -> dict:
    """`az policy state list` (flat: no id, no type)."""
    return {"resourceId": resource_id, "policyAssignmentId": ASSIGNMENT, "policyDefinitionId": BUILTIN,
            "policyDefinitionReferenceId": "", "complianceState": state, "timestamp": "2026-05-02T03:04:05Z",
            "resourceType": WS_TYPE, "subscriptionId": SUB}


def _advisor(resource_id: str, category: str, problem: str) -> dict:
    """`az advisor recommendation list` (flat properties)."""
    return {"id": f"{resource_id}/providers/Microsoft.Advisor/recommendations/r-{category}",
            "name": f"r-{category}", "type": "Microsoft.Advisor/recommendations", "category": category,
            "impact": XSS_ATTR, "lastUpdated": "2026-05-01T08:00:00Z",
            "resourceMetadata": {"resourceId": resource_id}, "shortDescription": {"problem": problem}}


def _assessment(resource_id: str, name: str, title: str, code: str, severity: str) -> dict:
    return {"id": f"{resource_id}/providers/Microsoft.Security/assessments/{name}", "name": name,
            "type": "Microsoft.Security/assessments",
            "properties": {"displayName": title, "status": {"code": code}, "resourceDetails": {"Id": resource_id},
                           "metadata": {"severity": severity}}}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("azure-html")
    folder = root / "estate"
    write_json(folder / "workspaces.json", {"value": [
        workspace("mlw-open", publicNetworkAccess="Enabled"), workspace("mlw-closed", publicNetworkAccess="Disabled")]})
    write_json(folder / "assignments.json", [{
        "id": ASSIGNMENT, "name": "ml-public", "type": "Microsoft.Authorization/policyAssignments",
        "displayName": f"ML public {XSS_ATTR}", "scope": f"/subscriptions/{SUB}", "policyDefinitionId": BUILTIN,
        "notScopes": [], "enforcementMode": "Default", "parameters": {}}])
    # Azure: the open workspace NonCompliant (agrees), the closed one NonCompliant too (stale).
    write_json(folder / "states.json", [_state(OPEN, "NonCompliant"), _state(CLOSED, "NonCompliant")])
    write_json(folder / "advisor.json", [_advisor(OPEN, "HighAvailability", f"Zone {XSS_SCRIPT}"),
                                         _advisor(OPEN, "Cost", "Right-size the compute")])
    write_json(folder / "defender.json", {"value": [
        _assessment(OPEN, "a1", f"Disable public access {XSS_SCRIPT}", "Unhealthy", "High"),
        _assessment(OPEN, "a2", "Encrypt with a customer-managed key", "Healthy", "Medium")]})
    write_json(folder / f"subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/usages.json", [
        {"currentValue": 10, "limit": 100, "name": {"value": "cores", "localizedValue": "Total Regional vCPUs"}},
        {"currentValue": 22, "limit": 24, "name": {"value": "standardNCFamily", "localizedValue": f"NC {XSS_ATTR}"}}])
    return root


@pytest.fixture(scope="module")
def result(estate: Path) -> ScanResult:
    return scan(estate / "estate")


def _section(text: str) -> str:
    return text[text.index('<section id="azure"'):text.index("</section>", text.index('<section id="azure"'))]


def test_the_view_puts_azures_word_beside_mlwafs_verdict(result):
    text = html.render(result)
    assert '<a href="#azure">Azure says (' in text
    section = _section(text)
    # Advisor under the pillar of its category; Defender's unhealthy assessment (not the healthy one)
    # under security with its severity, beside mlwaf's verdict on the same resource and pillar.
    for pillar in ("Reliability", "Security", "Cost optimization"):
        assert f'<span class="ws-name">{pillar}</span>' in section
    assert "Operational excellence</span>" not in section
    assert "Disable public access" in section and "severity High" in section
    assert "Encrypt with a customer-managed key" not in section.split("Azure Policy: Azure")[0]
    assert "MLW-SEC-001" in section  # mlwaf's failing security check on the open workspace
    # Azure Policy: the stale state marked, the agreement counted.
    assert "Azure Policy: Azure's state beside mlwaf's (1 disagreement, 1 agree)" in section
    assert "≠ states differ" in section
    # Quota: the family in use, nearly full, marked; and the region's total.
    quota = section[section.index("Quota headroom"):]
    assert "✗ 2" in quota and "regional total" in quota and ">90<" in quota


def test_hostile_values_from_azure_never_become_markup(result):
    text = html.render(result)
    for raw in (XSS_SCRIPT, XSS_ATTR, "<img"):
        assert raw not in text, raw
    section = _section(text)
    assert "Zone &lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "NC &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in section
    tags = [t for t, _ in parse(text).tags]
    assert tags.count("script") == 2 and "img" not in tags


def test_no_facts_no_view(tmp_path):
    write_json(tmp_path / "estate" / "ws.json", workspace("mlw"))
    text = html.render(scan(tmp_path / "estate"))
    assert 'id="azure"' not in text and 'href="#azure"' not in text


@pytest.mark.browser
def test_the_view_works_from_the_keyboard_in_a_browser(browser, result, tmp_path):  # noqa: F811
    (tmp_path / "report.html").write_text(html.render(result), encoding="utf-8")
    page = Page(browser, tmp_path / "report.html")
    p = page.page
    p.focus('a[href="#azure"]')
    p.keyboard.press("Enter")
    assert p.evaluate("location.hash") == "#azure"
    groups = p.locator("#azure details")
    assert groups.count() == 3
    second = groups.nth(1)
    assert second.get_attribute("open") is None
    second.locator("summary").focus()
    p.keyboard.press("Enter")
    assert second.get_attribute("open") == ""
    assert second.locator("tbody tr").count() == 1
    p.keyboard.press("Enter")
    assert second.get_attribute("open") is None
    headroom = p.locator("#azure table").last
    assert headroom.locator("th[scope=col]").count() == 8
    assert "NC \"><img src=x onerror=alert(1)>" in headroom.inner_text()  # shown as text
    assert page.errors == [] and page.dialogs == [] and page.requests == [page.url]
    assert json.loads(p.evaluate("JSON.stringify(document.querySelectorAll('#azure img').length)")) == 0
