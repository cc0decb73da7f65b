"""The readers check authors use: `read`, `flag` and `required` on realistic resources."""

from __future__ import annotations

import pytest

from mlwaf.check import flag, read, required
from mlwaf.model import Resource, Status, Unresolved

ACR = "Microsoft.ContainerRegistry/registries"


def _acr(**props) -> Resource:
    rid = f"/subscriptions/s/resourceGroups/rg/providers/{ACR}/cr1"
    return Resource(type=ACR, id=rid, name="cr1", raw={"id": rid, "type": ACR, "properties": props})


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
