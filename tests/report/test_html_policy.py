"""The HTML report's Azure Policy view: what would be denied first, compliance per assignment and
initiative, non-compliant resources with the conditions and values, what was not evaluated; every
value escaped, usable from the keyboard in a real browser, and absent with --no-policy."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mlwaf.report import html
from mlwaf.results import ScanResult
from mlwaf.scan import PolicyOptions, ScanOptions, run_scan
from mlwaf.sources import ReadOptions

from .conftest import XSS_ATTR, XSS_SCRIPT, workspace, write_json
from .test_html import CHROMIUM, Page, browser, parse  # noqa: F401 - the module's browser fixture

HOSTILE_POLICY = f"Deny {XSS_SCRIPT} workspaces"
ALIAS = "Microsoft.MachineLearningServices/workspaces/publicNetworkAccess"


def policies(folder: Path) -> Path:
    """A custom deny policy whose display name and expected value are hostile, assigned with Deny."""
    rule = {"if": {"allOf": [{"field": "type", "equals": "Microsoft.MachineLearningServices/workspaces"},
                             {"field": ALIAS, "notEquals": XSS_ATTR}]},
            "then": {"effect": "deny"}}
    write_json(folder / "definition.json", {
        "id": "/providers/Microsoft.Authorization/policyDefinitions/no-public-aml", "name": "no-public-aml",
        "type": "Microsoft.Authorization/policyDefinitions",
        "properties": {"displayName": HOSTILE_POLICY, "mode": "Indexed", "policyRule": rule}})
    write_json(folder / "assignment.json", {
        "id": "/subscriptions/6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13/providers/Microsoft.Authorization/"
              "policyAssignments/guard", "name": "guard", "type": "Microsoft.Authorization/policyAssignments",
        "properties": {"displayName": f"Guard {XSS_ATTR}",
                       "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/no-public-aml"}})
    return folder


def scan(root: Path, **policy: object) -> ScanResult:
    return run_scan([root / "estate"], ScanOptions(read=ReadOptions(root=root / "estate"), reproducible=True,
                                                   policy=PolicyOptions(**policy)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("policy-html")
    write_json(root / "estate" / "workspaces.json", {"value": [
        workspace(XSS_SCRIPT, segment="xss-script", publicNetworkAccess=XSS_SCRIPT),
        workspace("mlw-ok", publicNetworkAccess=XSS_ATTR),
    ]})
    policies(root / "policies")
    return root


@pytest.fixture(scope="module")
def result(estate: Path) -> ScanResult:
    return scan(estate, paths=(estate / "policies",))


def test_the_view_lists_what_would_be_denied_with_its_evidence(result):
    text = html.render(result)
    section = text[text.index('<section id="policy"'):text.index('<section id="workspaces"')]
    assert '<a href="#policy">Azure Policy (1 non-compliant)</a>' in text
    deny = section[section.index("Would be denied at deployment (1)"):section.index("Compliance per assignment")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in deny  # the resource, escaped
    assert "properties.publicNetworkAccess = &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in deny  # value seen
    assert "notEquals" in deny and ": true" in deny  # the condition that held
    assert "Compliance per initiative" not in section  # a definition assigned, no initiative
    assert "Non-compliant resources (1)" in section and "Every assigned definition was evaluated" in section


def test_hostile_policy_names_and_values_never_become_markup(result):
    text = html.render(result)
    for raw in (XSS_SCRIPT, XSS_ATTR, "<img"):
        assert raw not in text, raw
    tags = [t for t, _ in parse(text).tags]
    assert tags.count("script") == 2 and "img" not in tags


def test_the_default_assignment_links_built_ins_and_lists_what_was_not_evaluated(estate):
    text = html.render(scan(estate))
    section = text[text.index('<section id="policy"'):text.index('<section id="workspaces"')]
    assert "mlwaf-default" in section and "Compliance per initiative" in section
    assert 'href="https://portal.azure.com/#view/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/' in section
    assert "Definitions not evaluated (" in section and "needs a value for" in section


def test_no_policy_leaves_the_view_out(estate):
    text = html.render(scan(estate, enabled=False))
    assert 'id="policy"' not in text and 'href="#policy"' not in text


def test_azure_state_shows_where_set(result):
    from mlwaf.policy.results import AzureState

    report = result.policy
    assert report is not None
    said = dataclasses.replace(report, results=[dataclasses.replace(r, azure=AzureState("Compliant", "2026-11-30"))
                                                for r in report.results])
    text = html.render(dataclasses.replace(result, policy=said))
    assert "Azure says: Compliant" in text and "(evaluated 2026-11-30)" in text


@pytest.mark.browser
def test_the_view_works_from_the_keyboard_in_a_browser(browser, estate, tmp_path):  # noqa: F811
    path = tmp_path / "report.html"
    path.write_text(html.render(scan(estate)), encoding="utf-8")
    page = Page(browser, path)
    p = page.page
    p.click('a[href="#policy"]')
    assert p.evaluate("location.hash") == "#policy"
    group = p.locator("#policy details.policy-group").first
    assert group.get_attribute("open") is None
    group.locator("summary").focus()
    p.keyboard.press("Enter")
    assert group.get_attribute("open") == ""
    assert group.locator("tbody tr").count() >= 1 and "Non-compliant" in group.inner_text()
    p.keyboard.press("Enter")
    assert group.get_attribute("open") is None
    assert page.errors == [] and page.dialogs == [] and page.requests == [page.url]
    assert json.loads(p.evaluate("JSON.stringify([...document.querySelectorAll('#policy a')]"
                                 ".every(a => a.rel.includes('noopener')))"))
