"""`mlwaf policy test PATH`: unit tests for policies, so a policy-as-code repository can gate its
own changes.

A *suite* is a folder with a `tests/` subfolder. The suite folder holds the policy under test
(definitions, initiatives, assignments, exemptions: any shape `--policy` reads), optionally
`parameters.json` (`{"name": value}` or `{"name": {"value": value}}`) for the implicit
assignment of what it holds, or an assignment of a built-in by its id. Each file (or recording
folder) in `tests/` is a fixture, read like any scan input, and named by the expected outcome:

    compliant-*        every result Compliant
    noncompliant-*     every result NonCompliant
    deny-* audit-* modify-* append-* auditifnotexists-* deployifnotexists-*
                       every result NonCompliant, and Azure would do that
    unknown-* error-* exempt-*
    notapplicable-* (or na-*)   no result at all

A fixture needs at least one result unless it expects none. A sidecar `<fixture>.ctx.json` may
give `parameters` (for this fixture only) and `listed` (the lists the fixture holds in full, as
a live scan's recording does; see Inventory.children_listed).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlwaf.inventory import Inventory
from mlwaf.policy import api, loaders
from mlwaf.policy.errors import PolicyInputError
from mlwaf.policy.results import PolicyReport

_WOULD = {
    "deny": "deny",
    "audit": "audit",
    "modify": "modify",
    "append": "append",
    "auditifnotexists": "auditIfNotExists",
    "deployifnotexists": "deployIfNotExists",
}
_STATES = {
    "compliant": "Compliant",
    "noncompliant": "NonCompliant",
    "unknown": "Unknown",
    "error": "Error",
    "exempt": "Exempt",
}
_NONE = ("notapplicable", "na")
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class Case:
    suite: str
    fixture: str
    expected: str
    got: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "fixture": self.fixture,
            "expected": self.expected,
            "got": self.got,
            "passed": self.passed,
            "detail": self.detail,
        }


def expectation(fixture: Path) -> tuple[str, str | None] | None:
    """(state or "none", would) a fixture's name asks for, or None when its name says nothing."""
    prefix = re.split(r"[-_.]", fixture.name, maxsplit=1)[0].lower()
    if prefix in _STATES:
        return _STATES[prefix], None
    if prefix in _WOULD:
        return "NonCompliant", _WOULD[prefix]
    if prefix in _NONE:
        return "none", None
    return None


def suites(root: Path) -> list[Path]:
    if (root / "tests").is_dir():
        return [root]
    return sorted(p.parent for p in root.rglob("tests") if p.is_dir() and p.parent != root and _has_policy(p.parent))


def _has_policy(folder: Path) -> bool:
    return any(f.suffix.lower() in (".json", ".jsonc") for f in folder.iterdir() if f.is_file())


def _values(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise PolicyInputError("parameters must be an object", "parameters.json")
    return {k: v["value"] if isinstance(v, dict) and set(v) == {"value"} else v for k, v in raw.items()}


def _suite_inputs(folder: Path) -> tuple[api.PolicyInputs, dict[str, Any]]:
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in (".json", ".jsonc"))
    params: dict[str, Any] = {}
    policy_files = []
    for f in files:
        if f.name.lower() == "parameters.json":
            params = _values(loaders.read_json(f))
        else:
            policy_files.append(f)
    inputs = api.build_inputs(policy_paths=policy_files) if policy_files else api.PolicyInputs()
    if not policy_files:
        inputs.errors.append(PolicyInputError("the suite holds no policy", str(folder)).to_input_error())
    return inputs, params


def _fixtures(folder: Path) -> list[Path]:
    tests = folder / "tests"
    return sorted(
        p
        for p in tests.iterdir()
        if not p.name.endswith(".ctx.json") and (p.is_dir() or p.suffix.lower() in (".json", ".jsonc"))
    )


def _with_parameters(inputs: api.PolicyInputs, params: Mapping[str, Any]) -> api.PolicyInputs:
    if not params:
        return inputs
    assignments = [replace(a, parameters={**a.parameters, **params}) for a in inputs.assignments]
    return replace(inputs, assignments=assignments)


def _describe(report: PolicyReport) -> str:
    parts = [
        f"{r.resource.name}: {r.state.value}{f' ({r.would})' if r.would else ''} - {r.reason}" for r in report.results
    ]
    parts += [f"not evaluated: {n.reason}" for n in report.not_evaluated]
    parts += [f"input error: {e.path}: {e.message}" for e in report.errors]
    return "; ".join(parts) or "no result"


def run_fixture(inputs: api.PolicyInputs, params: Mapping[str, Any], fixture: Path, suite: str) -> Case:
    from mlwaf.sources import read_paths

    want = expectation(fixture)
    if want is None:
        return Case(suite, fixture.name, "?", "-", False, "the name does not start with an expected outcome")
    state, would = want
    expected = state + (f" ({would})" if would else "")
    ctx_file = fixture.with_name(fixture.name.removesuffix(fixture.suffix) + ".ctx.json") if fixture.is_file() else None
    ctx = loaders.read_json(ctx_file) if ctx_file is not None and ctx_file.is_file() else {}
    merged = {**params, **_values(ctx.get("parameters") or {})}
    source = read_paths([fixture])
    if source.errors:
        return Case(suite, fixture.name, expected, "input error", False, "; ".join(e.message for e in source.errors))
    report = api.run(
        _with_parameters(inputs, merged), Inventory(source.resources, [*source.listed, *ctx.get("listed", [])])
    )
    if report.errors:
        return Case(suite, fixture.name, expected, "input error", False, _describe(report))
    got_states = sorted({r.state.value + (f" ({r.would})" if would and r.would else "") for r in report.results})
    got = ", ".join(got_states) or "none"
    if state == "none":
        ok = not report.results
    else:
        ok = bool(report.results) and all(
            r.state.value == state and (would is None or r.would == would) for r in report.results
        )
    return Case(suite, fixture.name, expected, got, ok, _describe(report))


def run(root: Path) -> tuple[list[Case], list[str]]:
    """(cases, problems): problems are suites that could not be read at all."""
    cases: list[Case] = []
    problems: list[str] = []
    found = suites(root)
    if not found:
        return [], [f"{root}: no suite (a folder with a tests/ subfolder) found"]
    for folder in found:
        name = folder.relative_to(root).as_posix() if folder != root else folder.name
        try:
            inputs, params = _suite_inputs(folder)
        except PolicyInputError as err:
            problems.append(str(err))
            continue
        if inputs.errors:
            problems.extend(f"{e.path}: {e.message}" for e in inputs.errors)
            continue
        for fixture in _fixtures(folder):
            cases.append(run_fixture(inputs, params, fixture, name))
    return cases, problems


def junit(cases: list[Case], problems: list[str]) -> str:
    """JUnit XML: one suite per policy folder, one case per fixture."""

    def clean(text: str) -> str:
        return _INVALID_XML.sub("\ufffd", text)

    root = ET.Element("testsuites", name="mlwaf policy test")
    by_suite: dict[str, list[Case]] = {}
    for c in cases:
        by_suite.setdefault(c.suite, []).append(c)
    for name, mine in by_suite.items():
        failures = sum(1 for c in mine if not c.passed)
        suite = ET.SubElement(
            root, "testsuite", name=clean(name), tests=str(len(mine)), failures=str(failures), errors="0"
        )
        for c in mine:
            case = ET.SubElement(
                suite, "testcase", name=clean(c.fixture), classname=clean(f"mlwaf.policy.{name}"), time="0"
            )
            if not c.passed:
                failure = ET.SubElement(
                    case, "failure", message=clean(f"expected {c.expected}, got {c.got}"), type="policy"
                )
                failure.text = clean(c.detail)
    if problems:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="mlwaf.policy.inputs",
            tests=str(len(problems)),
            failures="0",
            errors=str(len(problems)),
        )
        for i, p in enumerate(problems):
            case = ET.SubElement(suite, "testcase", name=f"input {i + 1}", classname="mlwaf.policy.inputs", time="0")
            error = ET.SubElement(case, "error", message=clean(p), type="input")
            error.text = clean(p)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
