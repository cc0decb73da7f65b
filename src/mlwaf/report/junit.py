"""JUnit XML: one test case per check x resource, for CI test tabs (Azure DevOps, GitLab, Jenkins).

Layout:
- suite `mlwaf.gate`: one case, failed when the gate failed (its reasons as the failure text),
  so a test tab shows the pipeline's decision first; properties carry the overall score.
- one suite per pillar (`mlwaf.security`, ...), with the pillar's score and coverage as
  properties, holding a case per finding. Case names are the check and the resource id, never a
  file or line, so a CI's test history follows the same finding across runs.
  FAIL -> <failure> (type = severity); ERROR -> <error>; UNKNOWN, NOT_APPLICABLE, suppressed
  and baselined findings -> <skipped> with the reason, so the tab agrees with the gate.
- suite `mlwaf.inputs`: one <error> case per input that could not be read.
- when policies were evaluated, one suite per Azure Policy assignment (`mlwaf.policy.NAME`, its
  compliance as a property) holding a case per result, named by the policy and the resource id:
  NonCompliant and Error (which Azure counts as non-compliant) -> <failure> (type = what Azure
  would do); Unknown, Exempt, suppressed and baselined results -> <skipped> with the reason, as
  for findings; and a <skipped> case per definition of the assignment that was not evaluated.
The output validates against the Jenkins xUnit plugin's junit-10.xsd (see tests/data).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from mlwaf.exit_codes import ExitCode
from mlwaf.model import Finding, Pillar, Status
from mlwaf.report import Reporter, ReportOptions, Whole, skipped
from mlwaf.report import policy_results as shown
from mlwaf.results import ScanResult

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyResult

# Characters XML 1.0 cannot carry, even escaped; scanned files may hold them in names and values.
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: Any) -> str:
    return _INVALID_XML.sub("\ufffd", "" if text is None else str(text))


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items() if v is not None})
    if text:
        el.text = _clean(text)
    return el


def _properties(parent: ET.Element, values: dict[str, Any]) -> None:
    props = _el(parent, "properties")
    for name, value in values.items():
        _el(props, "property", name=name, value="" if value is None else value)


def _details(f: Finding, remediation: str | None) -> str:
    lines = [f.message, f"resource: {f.resource.id}"]
    if f.location.path:
        lines.append(f"location: {f.location.path}" + (f":{f.location.line}" if f.location.line else ""))
    lines += [f"evidence: {ev.text()}" for ev in f.evidence]
    if remediation:
        lines.append(f"remediation: {remediation}")
    return "\n".join(lines)


def _case(suite: ET.Element, f: Finding, remediation: str | None) -> str:
    """Add one finding's test case; returns its outcome (passed, failure, error, skipped)."""
    case = _el(
        suite,
        "testcase",
        name=f"{f.check_id} {f.title} [{f.resource.id}]",
        classname=f"mlwaf.{f.pillar.value}.{f.check_id}",
        time="0",
        file=f.location.path,
        line=f.location.line,
    )
    details = _details(f, remediation)
    if f.status in (Status.FAIL, Status.UNKNOWN, Status.ERROR) and f.suppressed:
        reason = f.suppression.reason if f.suppression is not None else ""
        _el(case, "skipped", details, message=f"suppressed ({f.status.value}): {reason}")
        return "skipped"
    if f.status in (Status.FAIL, Status.UNKNOWN, Status.ERROR) and f.in_baseline:
        _el(case, "skipped", details, message=f"in the baseline ({f.status.value}): {f.message}")
        return "skipped"
    if f.status == Status.FAIL:
        _el(case, "failure", details, message=f.message, type=f.severity.value)
        return "failure"
    if f.status == Status.ERROR:
        _el(case, "error", details, message=f.message, type="check-error")
        return "error"
    if f.status in (Status.UNKNOWN, Status.NOT_APPLICABLE):
        _el(case, "skipped", details, message=f"{f.status.value}: {f.message}")
        return "skipped"
    return "passed"


def _policy_case(suite: ET.Element, r: PolicyResult, label: str) -> str:
    """Add one policy result's test case; returns its outcome."""
    at = r.location
    case = _el(suite, "testcase", name=f"{shown.title(r)} [{r.resource.id}]",
               classname=f"mlwaf.policy.{label}.{r.reference_id or r.definition_name}", time="0",
               file=at.path, line=at.line)
    text = "\n".join(shown.details(r))
    state = r.state.value
    if r.failing and shown.mark(r):
        _el(case, "skipped", text, message=f"{shown.mark(r)} ({state})")
        return "skipped"
    if r.failing:
        _el(case, "failure", text, message=f"{state}: {r.reason}", type=r.would or r.effect)
        return "failure"
    if state != "Compliant":
        _el(case, "skipped", text, message=f"{state}: {r.reason}")
        return "skipped"
    return "passed"


def _policy_suites(root: ET.Element, result: ScanResult) -> list[str]:
    """A suite per assignment (none when policies were not evaluated); the outcomes of its cases."""
    report = result.policy
    if report is None:
        return []
    all_outcomes: list[str] = []
    results = shown.ordered(report.results)
    labels = report.labels()  # the name; with its scope where two assignments share it
    for a, entry in zip(report.assignments, report.summary()["assignments"], strict=True):
        label = labels[a.id]
        suite = _el(root, "testsuite", name=f"mlwaf.policy.{label}")
        _properties(suite, {"display_name": entry["display_name"], "definition_id": a.definition_id,
                            "enforcement_mode": a.enforcement_mode, "source": a.source,
                            "compliance_percent": _fmt(entry["compliance_percent"])})
        outcomes = [_policy_case(suite, r, label) for r in results if r.assignment_id == a.id]
        for n in (n for n in report.not_evaluated if n.assignment_id == a.id):
            case = _el(suite, "testcase", name=f"{shown.title(n)} [not evaluated]",
                       classname=f"mlwaf.policy.{label}.{n.reference_id or n.definition_id.rsplit('/', 1)[-1]}",
                       time="0")
            _el(case, "skipped", n.reason, message=f"not evaluated: {n.reason}")
            outcomes.append("skipped")
        _count(suite, outcomes)
        all_outcomes += outcomes
    return all_outcomes


def _count(suite: ET.Element, outcomes: list[str]) -> None:
    suite.set("tests", str(len(outcomes)))
    suite.set("failures", str(outcomes.count("failure")))
    suite.set("errors", str(outcomes.count("error")))
    suite.set("skipped", str(outcomes.count("skipped")))
    suite.set("time", "0")


def _fmt(value: Any) -> str:
    return "" if value is None else f"{value:g}"


def to_element(result: ScanResult) -> ET.Element:
    root = ET.Element("testsuites", {"name": "mlwaf"})
    all_outcomes: list[str] = []
    gate = result.gate
    overall = result.scores.overall

    suite = _el(root, "testsuite", name="mlwaf.gate")
    _properties(
        suite,
        {
            "decision": gate.decision.value,
            "exit_code": int(gate.exit_code),
            "overall_score": _fmt(overall.score),
            "overall_coverage": _fmt(overall.coverage),
            # A summarized scan (--detail-limit) has no test case for its PASS/NOT_APPLICABLE findings.
            **({"omitted": result.omitted.reason} if result.omitted is not None else {}),
        },
    )
    case = _el(suite, "testcase", name="pre-production gate", classname="mlwaf.gate", time="0")
    reasons = "\n".join(r.message for r in gate.reasons)
    if gate.exit_code in (ExitCode.GATE_FAILED, ExitCode.USAGE):
        _el(case, "failure", reasons, message=f"gate {gate.decision.value}", type="gate")
        outcomes = ["failure"]
    else:
        outcomes = ["passed"]
    _count(suite, outcomes)
    all_outcomes += outcomes

    specs = {s.id: s for s in result.checks}
    for pillar in Pillar:
        findings = [f for f in result.findings if f.pillar == pillar]
        if not findings:
            continue
        suite = _el(root, "testsuite", name=f"mlwaf.{pillar.value}")
        block = result.scores.pillar(pillar)
        _properties(suite, {"score": _fmt(block.score), "coverage": _fmt(block.coverage)})
        outcomes = []
        for f in findings:
            spec = specs.get(f.check_id)
            outcomes.append(_case(suite, f, spec.remediation if spec else None))
        _count(suite, outcomes)
        all_outcomes += outcomes

    all_outcomes += _policy_suites(root, result)

    passed_over = skipped(result)
    if result.errors or passed_over:
        suite = _el(root, "testsuite", name="mlwaf.inputs")
        for e in result.errors:
            case = _el(suite, "testcase", name=f"read {e.path}", classname="mlwaf.inputs", time="0")
            _el(case, "error", e.message, message=e.message, type="input")
        for s in passed_over:
            case = _el(suite, "testcase", name=f"read {s.where}", classname="mlwaf.inputs", time="0")
            _el(case, "skipped", s.reason, message=s.reason)
        outcomes = ["error"] * len(result.errors) + ["skipped"] * len(passed_over)
        _count(suite, outcomes)
        all_outcomes += outcomes

    root.set("tests", str(len(all_outcomes)))
    root.set("failures", str(all_outcomes.count("failure")))
    root.set("errors", str(all_outcomes.count("error")))
    root.set("time", "0")
    return root


def render(result: ScanResult, options: ReportOptions | None = None) -> str:
    root = to_element(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


REPORTER: Reporter = Whole(render)
