"""The readers check authors use: `read`, `flag` and `required` on realistic resources."""

from __future__ import annotations

import pytest

from mlwaf.check import flag, read, required
from mlwaf.model import Resource, Status, Unresolved
from tests.arm import ACR, resource


def _acr(**props) -> Resource:
    return resource(ACR, "cr1", props)


def _admin(resource: Resource):
    return flag(resource, "properties.adminUserEnabled", default=False, want=False,
                ok="admin user disabled", bad="admin user enabled")


@pytest.mark.parametrize(
    ("props", "status"),
    [
        ({"adminUserEnabled": False}, Status.PASS),
        ({"adminUserEnabled": True}, Status.FAIL),
        ({}, Status.PASS),  # the documented default applies, and the evidence says so
        ({"adminUserEnabled": "True"}, Status.FAIL),  # ARM's string rendering of a boolean
        ({"adminUserEnabled": Unresolved("[parameters('admin')]")}, Status.UNKNOWN),
        ({"adminUserEnabled": "sometimes"}, Status.UNKNOWN),  # not a boolean: never guessed
    ],
)
def test_flag(props, status):
    verdict = _admin(_acr(**props))
    assert verdict.status is status
    (evidence,) = verdict.evidence
    assert evidence.path == "properties.adminUserEnabled"
    if not props:
        assert evidence.default_applied and evidence.default is False


def test_read_matches_keys_case_insensitively_and_reports_absence():
    seen = read(_acr(AdminUserEnabled=True), "properties.adminUserEnabled")
    assert seen.value is True and not seen.absent
    missing = read(_acr(), "properties.networkRuleSet.defaultAction")
    assert missing.absent and missing.value is None and missing.evidence.to_dict()["present"] is False


def test_required_gives_the_value_or_unknown_never_a_default():
    """sku.name has no default: present is the value, absent or unresolved is UNKNOWN."""
    present = _acr()
    present.raw["sku"] = {"name": "Premium"}
    seen, verdict = required(present, "sku.name")
    assert verdict is None and seen.value == "Premium"
    seen, verdict = required(_acr(), "sku.name", "The registry's SKU")
    assert verdict is not None and verdict.status is Status.UNKNOWN
    assert verdict.message == "The registry's SKU is not in the input"
    assert verdict.evidence == (seen.evidence,) and seen.absent
    pending = _acr()
    pending.raw["sku"] = {"name": Unresolved("[parameters('sku')]")}
    _, verdict = required(pending, "sku.name")
    assert verdict is not None and verdict.status is Status.UNKNOWN and "parameters('sku')" in verdict.message


# --- declared checks ------------------------------------------------------------------------

DECLARED = '''
from mlwaf.check import Guard, References, Severity, check_family, is_set, not_applicable, passed, value_check

ACR = "Microsoft.ContainerRegistry/registries"
PREMIUM_ONLY = Guard(
    lambda r, ctx: None if str(r.raw.get("sku", {}).get("name")) == "Premium" else not_applicable("not Premium"),
    reads=("sku.name",),
)

admin_user = value_check(
    id="ACME-SEC-001", title="Admin user disabled", severity=Severity.HIGH, resource_types=[ACR],
    implements=["PLAT-09"], remediation="Disable it.", references=References(psrule=["Azure.ACR.AdminUser"]),
    read="properties.adminUserEnabled", want=False, when=PREMIUM_ONLY, ok="disabled", bad="enabled ({value})",
)
tls = value_check(
    id="ACME-SEC-002", title="TLS", severity="low", resource_types=[ACR], implements=["PLAT-09"], remediation="r",
    read="properties.tls", want=("TLS1_2", "TLS1_3"), missing="no tls in the input", ok="{value}", bad="{value!r}",
)
policy = value_check(
    id="ACME-OPS-003", title="Policy", severity="low", resource_types=[ACR], implements=["PLAT-09"], remediation="r",
    read="properties.policy", want=is_set, reads=["properties.other"], ok="set", bad="unset",
)
FAMILY = check_family(
    lambda resource, ctx, word: passed(f"{word} {resource.name}"),
    severity="low", implements=["PLAT-09"], remediation="r", resource_types=[ACR],
    reads_related={"Microsoft.Insights/diagnosticSettings": ["properties.logs"]},
    members=[dict(id="ACME-REL-004", title="One", args={"word": "one"}),
             dict(id="ACME-REL-005", title="Two", severity="high", args={"word": "two"})],
)
'''


@pytest.fixture(scope="module")
def declared(tmp_path_factory):
    from mlwaf import registry

    folder = tmp_path_factory.mktemp("declared")
    (folder / "acme.py").write_text(DECLARED)
    return registry.load([folder], builtin=False, entry_points=False)


def _run(spec, resource):
    from mlwaf.check import CheckContext
    from mlwaf.inventory import Inventory

    return spec.fn(resource, CheckContext(Inventory([resource])))


@pytest.mark.parametrize(
    ("props", "sku", "status", "message"),
    [
        ({"adminUserEnabled": False}, "Premium", Status.PASS, "disabled"),
        ({"adminUserEnabled": "TRUE"}, "Premium", Status.FAIL, "enabled (TRUE)"),
        ({"adminUserEnabled": "sometimes"}, "Premium", Status.UNKNOWN, "not a boolean"),
        ({"adminUserEnabled": Unresolved("[parameters('a')]")}, "Premium", Status.UNKNOWN, "parameters('a')"),
        ({}, "Premium", Status.UNKNOWN, "not a boolean"),  # absent and no default: never guessed
        ({"adminUserEnabled": True}, "Basic", Status.NOT_APPLICABLE, "not Premium"),  # the guard first
    ],
)
def test_value_check_judges_one_boolean_property(declared, props, sku, status, message):
    resource = _acr(**props)
    resource.raw["sku"] = {"name": sku}
    verdict = _run(declared.get("ACME-SEC-001"), resource)
    assert verdict.status is status and message in verdict.message


def test_value_check_enum_values_match_case_insensitively_and_missing_is_unknown(declared):
    spec = declared.get("ACME-SEC-002")
    assert _run(spec, _acr(tls="tls1_3")).message == "tls1_3"
    assert _run(spec, _acr(tls="TLS1_0")).status is Status.FAIL
    assert _run(spec, _acr(tls="TLS1_0")).message == "'TLS1_0'"
    absent = _run(spec, _acr())
    assert absent.status is Status.UNKNOWN and absent.message == "no tls in the input"
    assert _run(declared.get("ACME-OPS-003"), _acr(policy={"x": 1})).status is Status.PASS
    assert _run(declared.get("ACME-OPS-003"), _acr(policy={})).status is Status.FAIL


def test_value_check_generates_reads_defaults_and_derives_the_pillar(declared):
    admin = declared.get("ACME-SEC-001")
    assert admin.reads == {"": ("sku.name", "properties.adminUserEnabled")}
    assert admin.pillar.value == "security" and list(admin.references.psrule) == ["Azure.ACR.AdminUser"]
    assert declared.get("ACME-OPS-003").reads == {"": ("properties.policy", "properties.other")}
    assert admin.fn.__name__ == "acme_sec_001"


def test_value_check_refuses_a_string_want_and_a_broken_message():
    from mlwaf.check import value_check

    common = dict(id="X-SEC-1", title="t", severity="low", resource_types=["A.B/c"], implements=["x"],
                  remediation="r", read="properties.x", ok="ok")
    with pytest.raises(TypeError, match="as a tuple"):
        value_check(want="Enabled", bad="bad", **common)
    with pytest.raises((ValueError, KeyError, IndexError)):
        value_check(want=True, bad="bad {", **common)


def test_check_family_shares_metadata_and_passes_each_member_its_args(declared):
    one, two = declared.get("ACME-REL-004"), declared.get("ACME-REL-005")
    assert (one.severity.value, two.severity.value) == ("low", "high")
    assert one.reads == two.reads == {"microsoft.insights/diagnosticsettings": ("properties.logs",)}
    assert _run(one, _acr()).message == "one cr1" and _run(two, _acr()).message == "two cr1"
