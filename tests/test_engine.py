"""The engine: every check on every resource of its types; UNKNOWN and ERROR, never a crash."""

from __future__ import annotations

from mlwaf import engine
from mlwaf.check import CheckContext, check, passed
from mlwaf.inventory import Inventory
from mlwaf.model import Pillar, Resource, Severity, Status, Unresolved
from mlwaf.registry import validate
from tests.arm import STORAGE, WS, resource


def _spec(fn):
    return validate(fn.__mlwaf_check__, fn, "test", "test", set())


def _ws(name: str, **props) -> Resource:
    return resource(WS, name, props, path=f"{name}.json")


@check(
    id="T-SEC-001", title="t", pillar=Pillar.SECURITY, severity=Severity.HIGH, resource_types=[WS],
    implements=["AML-SEC-01"], remediation="r",
)
def _explodes(resource, ctx: CheckContext):
    if resource.name == "boom":
        raise KeyError("surprise")
    return passed("fine")


def test_a_check_that_raises_is_an_error_entry_not_a_crash():
    inv = Inventory([_ws("boom"), _ws("calm")])
    findings = {f.resource.name: f for f in engine.run(inv, [_spec(_explodes)])}
    assert findings["boom"].status is Status.ERROR
    assert "KeyError" in findings["boom"].message and "surprise" in findings["boom"].message
    assert findings["calm"].status is Status.PASS


def test_unresolved_expression_gives_unknown_with_the_expression(sample_estate):
    from mlwaf import registry

    spec = registry.load().get("MLW-SEC-001")
    ws = _ws("tpl", publicNetworkAccess=Unresolved("[parameters('pna')]"))
    (finding,) = engine.run(Inventory([ws]), [spec])
    assert finding.status is Status.UNKNOWN
    assert finding.evidence[0].expression == "[parameters('pna')]"
    assert finding.to_dict()["evidence"][0]["expression"] == "[parameters('pna')]"


def test_only_resources_of_the_checks_types():
    other = resource(STORAGE, "sa")
    findings = engine.run(Inventory([other, _ws("a")]), [_spec(_explodes)])
    assert [f.resource.name for f in findings] == ["a"]


def test_secrets_never_reach_evidence():
    from mlwaf.model import Evidence

    ev = Evidence("properties.credentials.accountKey", value="c2VjcmV0")
    assert ev.to_dict()["value"] == "***redacted***"
    nested = Evidence("properties.credentials", value={"sasToken": "sv=2024&sig=abc", "authType": "SAS"})
    assert nested.to_dict()["value"] == {"sasToken": "***redacted***", "authType": "SAS"}


@check(
    id="T-SEC-002", title="t", pillar=Pillar.SECURITY, severity=Severity.HIGH, resource_types=[WS],
    implements=["AML-SEC-01"], remediation="r",
)
def _malformed(resource, ctx: CheckContext):
    from mlwaf.model import Verdict

    return {
        "none-evidence": lambda: passed("ok", None),
        "string": lambda: "PASS",
        "none": lambda: None,
        "bad-status": lambda: Verdict("PASS", "ok"),
        "bad-message": lambda: Verdict(Status.PASS, 42),
        "list-evidence": lambda: Verdict(Status.PASS, "ok", None),
        "fine": lambda: passed("ok"),
    }[resource.name]()


def test_a_check_that_returns_a_malformed_verdict_is_an_error_finding(tmp_path):
    """`passed("ok", None)`, a string, None: an ERROR for that check and resource, and every
    report still renders (the reporter used to crash on the None evidence)."""
    from mlwaf import report
    from mlwaf.scan import ScanOptions, evaluate
    from mlwaf.sources import SourceResult

    names = ["none-evidence", "string", "none", "bad-status", "bad-message", "list-evidence", "fine"]
    findings = {f.resource.name: f for f in engine.run(Inventory([_ws(n) for n in names]), [_spec(_malformed)])}
    assert {n: f.status for n, f in findings.items()} == {
        **dict.fromkeys(names[:-1], Status.ERROR), "fine": Status.PASS
    }
    assert "malformed Verdict: evidence holding NoneType" in findings["none-evidence"].message
    assert findings["string"].message == "The check returned str, not a Verdict"
    assert "status of str" in findings["bad-status"].message
    result = evaluate(SourceResult(resources=[_ws(n) for n in names]), [_spec(_malformed)], ScanOptions())
    for fmt in report.FORMATS.values():
        assert fmt.reporter().render(result)
