"""JUnit XML report: valid against the Jenkins xUnit plugin's junit-10.xsd, one case per check x
resource, outcomes that agree with the gate."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from mlwaf.gate import GateOptions
from mlwaf.model import Pillar, Severity
from mlwaf.report import junit
from tests.gate_estate import report_inputs, scan

XSD = Path(__file__).resolve().parents[1] / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    return report_inputs(tmp_path_factory.mktemp("junit"))


@pytest.fixture(scope="module")
def result(estate):
    return scan(*estate, gate=GateOptions(fail_on=Severity.HIGH))


def test_validates_against_the_junit_schema(schema, result):
    text = junit.render(result)
    schema.validate(text)  # raises with the offending element if not
    assert schema.is_valid(text)


def test_the_schema_check_can_fail(schema):
    assert not schema.is_valid('<testsuites><testsuite name="x"><testcase/></testsuite></testsuites>')


def test_one_case_per_check_and_resource_with_outcomes_matching_the_gate(result):
    root = ET.fromstring(junit.render(result))
    cases = root.findall("./testsuite/testcase")
    finding_cases = [
        c
        for c in cases
        if c.get("classname", "").startswith("mlwaf.") and c.get("classname") not in ("mlwaf.gate", "mlwaf.inputs")
        and not c.get("classname", "").startswith("mlwaf.policy.")  # the default assignment's (test_policy_reports)
    ]
    assert len(finding_cases) == len(result.findings)
    names = [c.get("name") for c in finding_cases]
    assert len(set(names)) == len(names)  # unique, so a test tab's history follows each one
    failures = [c for c in finding_cases if c.find("failure") is not None]
    fails = [f for f in result.findings if f.status.value == "FAIL" and not f.suppressed]
    assert len(failures) == len(fails)
    suppressed = [
        c
        for c in finding_cases
        if (s := c.find("skipped")) is not None and s.get("message", "").startswith("suppressed (FAIL)")
    ]
    assert len(suppressed) == 1 and "RISK-9" in suppressed[0].find("skipped").get("message")
    unknown = [
        c for c in finding_cases if (s := c.find("skipped")) is not None and s.get("message", "").startswith("UNKNOWN")
    ]
    assert len(unknown) == 1
    (gate_case,) = root.findall("./testsuite[@name='mlwaf.gate']/testcase")
    assert gate_case.find("failure") is not None and "severity high" in gate_case.find("failure").text
    (inputs,) = root.findall("./testsuite[@name='mlwaf.inputs']")
    assert inputs.get("errors") == "1" and "broken.json" in inputs.find("testcase").get("name")
    assert int(root.get("tests")) == len(cases)
    policy_failures = root.findall("./testsuite[@name='mlwaf.policy.mlwaf-default']/testcase/failure")
    assert policy_failures and int(root.get("failures")) == len(failures) + 1 + len(policy_failures)  # + the gate
    security = root.find("./testsuite[@name='mlwaf.security']")
    props = {p.get("name"): p.get("value") for p in security.findall("./properties/property")}
    assert props == {
        "score": f"{result.scores.pillar(Pillar.SECURITY).score:g}",
        "coverage": f"{result.scores.pillar(Pillar.SECURITY).coverage:g}",
    }


def test_failure_text_has_location_evidence_and_remediation(result):
    root = ET.fromstring(junit.render(result))
    (case,) = [
        c
        for c in root.iter("testcase")
        if c.get("name", "").startswith("TST-SEC-001") and c.get("name", "").endswith("/mlw-dev]")
    ]
    assert case.get("file") == "dev/workspaces.json" and int(case.get("line")) > 0
    failure = case.find("failure")
    assert failure.get("type") == "high" and failure.get("message") == "Public network access is 'Enabled'"
    assert "evidence: properties.publicNetworkAccess = \"Enabled\"" in failure.text
    assert "remediation: Set properties.publicNetworkAccess to Disabled." in failure.text


def test_control_characters_never_break_the_xml(schema, result):
    text = junit.render(result)
    assert "\u0007" not in text and "\u001b" not in text
    assert "bell\ufffdand\ufffdescape" in text
    schema.validate(text)


def test_passing_gate_has_a_passing_gate_case(schema, estate):
    result = scan(*estate)
    root = ET.fromstring(junit.render(result))
    (gate_case,) = root.findall("./testsuite[@name='mlwaf.gate']/testcase")
    assert list(gate_case) == []  # passed
    props = {p.get("name"): p.get("value") for p in root.findall("./testsuite[@name='mlwaf.gate']/properties/property")}
    assert props["decision"] == "incomplete" and props["exit_code"] == "3"
    schema.validate(junit.render(result))
