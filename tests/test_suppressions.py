"""Suppressions: globs, mandatory reasons, expiry, inline ones (tags, template metadata), and
suppressed findings staying visible in every report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from mlwaf import suppressions
from mlwaf.cli import app
from mlwaf.gate import GateOptions
from mlwaf.model import Finding, Pillar, Severity, Status, SuppressionKind
from mlwaf.suppressions import Suppression, SuppressionError
from tests.arm import resource
from tests.gate_estate import WS, by, scan, template, write_json

runner = CliRunner()
DEV = "/subscriptions/*/resourceGroups/dev-*/*"


def test_check_glob_and_resource_glob_select_what_is_suppressed(estate, pack):
    rule = Suppression("tst-sec-*", DEV, "Dev sandboxes hold no customer data", source="mlwaf.toml #1")
    result = scan(estate, pack, suppressions=[rule])
    dev, lab = by(result, "TST-SEC-001", "mlw-dev"), by(result, "TST-SEC-001", "mlw-lab")
    assert dev.suppressed and lab.suppressed  # dev-sandbox and dev-lab, case-insensitive globs
    assert dev.suppression.reason == "Dev sandboxes hold no customer data"
    assert dev.suppression.source == "mlwaf.toml #1" and dev.suppression.kind is SuppressionKind.CONFIG
    assert not by(result, "TST-OPS-001", "mlw-dev").suppressed  # another check
    assert not by(result, "TST-SEC-001", "mlw-tmpl").suppressed  # another resource group
    assert not by(result, "TST-SEC-001", "mlw-prod").suppressed  # a PASS needs no exception
    assert result.suppressions.rules[0].matched == 2
    assert result.scores.pillar(Pillar.SECURITY).counts.suppressed == 2
    assert result.scores.pillar(Pillar.SECURITY).score == 100.0  # the accepted risks leave the score
    # Still in the report, marked.
    shown = dev.to_dict()
    assert shown["status"] == "FAIL" and shown["suppressed"] is True
    assert shown["suppression"] == {"reason": "Dev sandboxes hold no customer data", "source": "mlwaf.toml #1"}


def test_expiry_is_inclusive_then_the_suppression_stops_and_says_so(estate, pack):
    rule = Suppression("TST-SEC-001", DEV, "until the migration", expires=dt.date(2027, 1, 31))
    on_the_day = scan(estate, pack, suppressions=[rule], today=dt.date(2027, 1, 31))
    assert by(on_the_day, "TST-SEC-001", "mlw-dev").suppressed
    after = scan(estate, pack, suppressions=[rule], today=dt.date(2027, 2, 1), gate=GateOptions(fail_on=Severity.HIGH))
    f = by(after, "TST-SEC-001", "mlw-dev")
    assert not f.suppressed
    assert f.suppression.reason == "until the migration" and f.suppression.expires == dt.date(2027, 1, 31)
    assert f.to_dict()["suppression"]["expired"] is True
    (listed,) = after.suppressions.to_dict()["rules"]
    assert listed["expired"] is True and listed["matched"] == 2 and listed["expires"] == "2027-01-31"
    assert after.gate.exit_code == 1  # the expired exception no longer shields the gate


def test_an_active_rule_wins_over_an_expired_one(estate, pack):
    old = Suppression("TST-SEC-001", DEV, "old exception", expires=dt.date(2020, 1, 1))
    new = Suppression("TST-SEC-*", "*/resourcegroups/dev-sandbox/*", "renewed exception")
    result = scan(estate, pack, suppressions=[old, new], today=dt.date(2026, 6, 1))
    dev, lab = by(result, "TST-SEC-001", "mlw-dev"), by(result, "TST-SEC-001", "mlw-lab")
    assert dev.suppressed and dev.suppression.reason == "renewed exception"
    assert not lab.suppressed and lab.suppression.reason == "old exception"


def test_resource_tag_suppresses_only_its_resource_and_can_be_turned_off(estate, pack):
    path = estate / "dev" / "workspaces.json"
    data = json.loads(path.read_text())
    data["value"][0]["tags"] = {"mlwaf-suppress": "TST-SEC-001, TST-OPS-*: exploration only (expires 2030-12-31)",
                                "MLWAF-SUPPRESS-cost": "TST-COST-001: tags come from the landing zone"}
    path.write_text(json.dumps(data))
    result = scan(estate, pack, today=dt.date(2026, 6, 1))
    for check_id in ("TST-SEC-001", "TST-OPS-001", "TST-COST-001"):
        assert by(result, check_id, "mlw-dev").suppressed, check_id
    sec = by(result, "TST-SEC-001", "mlw-dev")
    assert sec.suppression.reason == "exploration only" and sec.suppression.expires == dt.date(2030, 12, 31)
    assert sec.suppression.source == "tag mlwaf-suppress on mlw-dev" and sec.suppression.kind is SuppressionKind.TAG
    assert not by(result, "TST-SEC-001", "mlw-lab").suppressed
    off = scan(estate, pack, inline_suppressions=False, today=dt.date(2026, 6, 1))
    assert not any(f.suppressed for f in off.findings)
    assert off.suppressions.inline == "ignored (3 found)"


def test_template_tags_suppress_through_the_template_source(estate, pack):
    write_json(estate / "tmpl" / "azuredeploy.json", template(
        "mlw-tmpl", publicNetworkAccess="[parameters('pna')]",
    ))
    data = json.loads((estate / "tmpl" / "azuredeploy.json").read_text())
    data["resources"][0]["tags"]["mlwaf-suppress"] = "TST-SEC-001: value set by the release pipeline"
    (estate / "tmpl" / "azuredeploy.json").write_text(json.dumps(data))
    result = scan(estate, pack, gate=GateOptions(fail_on_unknown=True))
    f = by(result, "TST-SEC-001", "mlw-tmpl")
    assert f.status == Status.UNKNOWN and f.suppressed
    assert result.gate.exit_code == 0


def test_template_metadata_suppresses_through_the_template_source(estate, pack):
    """Bicep `@metadata({'mlwaf-suppress': ...})` compiles to the resource's `metadata`: the
    template source keeps it, so it suppresses end to end, and --no-inline-suppressions stops it."""
    write_json(estate / "tmpl" / "azuredeploy.json", template("mlw-meta", publicNetworkAccess="Enabled"))
    data = json.loads((estate / "tmpl" / "azuredeploy.json").read_text())
    data["resources"][0]["metadata"] = {
        "mlwaf-suppress": [{"check": "TST-SEC-001", "reason": "exposed on purpose: public demo (RISK-7)"}]
    }
    (estate / "tmpl" / "azuredeploy.json").write_text(json.dumps(data))
    f = by(scan(estate, pack), "TST-SEC-001", "mlw-meta")
    assert f.status == Status.FAIL and f.suppressed
    assert f.suppression.reason == "exposed on purpose: public demo (RISK-7)"
    assert f.suppression.kind is SuppressionKind.METADATA
    off = by(scan(estate, pack, inline_suppressions=False), "TST-SEC-001", "mlw-meta")
    assert off.status == Status.FAIL and not off.suppressed


def _template_resource(metadata):
    return resource(WS, "w", {"publicNetworkAccess": "Enabled"}, template=True, group="mlwaf-template-rg",
                    path="main.json", pointer="/resources/0", metadata=metadata)


def _fail(resource, check_id="TST-SEC-001"):
    return Finding(check_id, "t", Pillar.SECURITY, Severity.HIGH, Status.FAIL, resource, "m")


def test_template_metadata_objects_and_strings():
    res = _template_resource({"mlwaf-suppress": [
        {"check": "TST-SEC-001", "reason": "private by the hub's policy", "expires": "2030-01-01"},
        "TST-OPS-*: monitoring comes from the platform",
    ]})
    findings = [_fail(res), _fail(res, "TST-OPS-001"), _fail(res, "TST-COST-001")]
    annotated, summary = suppressions.apply(findings, today=dt.date(2026, 1, 1))
    assert [f.suppressed for f in annotated] == [True, True, False]
    assert not any(f.suppressed for f in findings)  # annotated copies: the engine's findings never change
    assert annotated[0].suppression.source == "template metadata mlwaf-suppress #1 on w"
    assert annotated[0].suppression.kind is annotated[1].suppression.kind is SuppressionKind.METADATA
    assert summary.suppressed == 2 and summary.invalid == ()


@pytest.mark.parametrize(
    ("metadata", "needle"),
    [
        ({"mlwaf-suppress": {"check": "TST-SEC-001"}}, "'reason' is required"),
        ({"mlwaf-suppress": {"check": "TST-SEC-001", "reason": "r", "resource": "*"}}, "unknown key 'resource'"),
        ({"mlwaf-suppress": "TST-SEC-001"}, "write 'CHECK[, CHECK...]: reason'"),
        ({"mlwaf-suppress": "TST-SEC-001: r (expires someday)"}, "'expires' must be a date"),
    ],
)
def test_bad_inline_suppressions_are_reported_and_suppress_nothing(metadata, needle):
    res = _template_resource(metadata)
    finding = _fail(res)
    (annotated,), summary = suppressions.apply([finding])
    assert not annotated.suppressed
    (bad,) = summary.invalid
    assert needle in bad.message and bad.resource_id == res.id


def test_config_suppressions_require_check_resource_and_reason():
    entry = {"check": "X-1", "resource": "*", "reason": "r", "expires": dt.date(2027, 1, 1)}
    ok = suppressions.from_config([entry], "f")
    assert ok[0].expires == dt.date(2027, 1, 1)
    for entry, needle in (
        ({"resource": "*", "reason": "r"}, "'check' is required"),
        ({"check": "X-1", "resource": "*", "reason": "  "}, "'reason' is required"),
        ({"check": "X-1", "resource": "*", "reason": "r", "expires": 20270101}, "'expires' must be a date"),
    ):
        with pytest.raises(SuppressionError, match=needle):
            suppressions.from_config([entry], "f")
    with pytest.raises(SuppressionError, match="array of tables"):
        suppressions.from_config({"check": "X-1"}, "f")


def test_suppressed_findings_stay_visible_in_every_report(estate, pack, tmp_path):
    cfg = tmp_path / "mlwaf.toml"
    cfg.write_text(
        '[[suppressions]]\ncheck = "TST-SEC-001"\nresource = "*/mlw-dev"\nreason = "Accepted: RISK-7"\n'
        '[[suppressions]]\ncheck = "TST-OPS-001"\nresource = "*/mlw-lab"\nreason = "Ran out"\nexpires = 2020-01-01\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["scan", str(estate), "--checks-dir", str(pack), "--checks", "TST-*", "--config",
                                 str(cfg), "-q", "-f", "json", "-f", "csv", "-f", "markdown", "-f", "junit",
                                 "--output-dir", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "mlwaf.json").read_text())
    (shown,) = [f for f in report["findings"] if f.get("suppressed")]
    assert shown["resource_name"] == "mlw-dev" and shown["suppression"]["reason"] == "Accepted: RISK-7"
    assert [r["expired"] for r in report["suppressions"]["rules"]] == [False, True]
    assert "Accepted: RISK-7" in (out / "mlwaf.csv").read_text()
    md = (out / "mlwaf.md").read_text()
    assert "### Suppressed (1)" in md and "Accepted: RISK-7" in md
    assert "Expired suppressions (1 findings no longer suppressed)" in md and "expired 2020-01-01" in md
    assert 'message="suppressed (FAIL): Accepted: RISK-7"' in (out / "mlwaf.junit.xml").read_text()
    off = runner.invoke(app, ["scan", str(estate), "--checks-dir", str(pack), "--checks", "TST-*", "--config",
                              str(cfg), "--no-inline-suppressions", "-q", "-f", "json", "-o", "-"])
    assert json.loads(off.stdout)["suppressions"]["inline"] == "ignored (0 found)"
