"""ARM ids: built as ARM names a declared resource, taken apart into type, parent and the scope
an extension resource hangs below, and compared case-insensitively."""

from __future__ import annotations

import pytest

from mlwaf import armid

RG = "/subscriptions/s1/resourceGroups/rg-ml"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
COMPUTE = f"{WS}/computes/cpu"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv1"
DIAG = f"{VAULT}/providers/Microsoft.Insights/diagnosticSettings/to-law"


def test_build_interleaves_child_types_and_names():
    assert armid.build("Microsoft.MachineLearningServices/workspaces/computes", "ws1/cpu", "s1", "rg-ml") == COMPUTE
    assert armid.build("Microsoft.Insights/diagnosticSettings", "to-law", scope=VAULT + "/") == DIAG
    placeholder = armid.build("Microsoft.KeyVault/vaults", "kv1")
    assert placeholder == (f"/subscriptions/{armid.PLACEHOLDER_SUBSCRIPTION}/resourceGroups/"
                           f"{armid.PLACEHOLDER_RESOURCE_GROUP}/providers/Microsoft.KeyVault/vaults/kv1")


@pytest.mark.parametrize(
    ("rid", "rtype", "parent", "extends"),
    [
        (WS, "Microsoft.MachineLearningServices/workspaces", None, None),
        (COMPUTE, "Microsoft.MachineLearningServices/workspaces/computes", WS, None),
        (DIAG, "Microsoft.Insights/diagnosticSettings", None, VAULT),
        (RG, None, None, None),  # a scope, not a resource
    ],
)
def test_type_parent_and_extended_resource(rid, rtype, parent, extends):
    assert armid.type_of(rid) == rtype
    assert armid.parent_id(rid) == parent
    assert armid.scope_of_extension(rid) == extends


def test_parts_names_and_normal_form():
    assert armid.provider_parts(DIAG) == (VAULT, "Microsoft.Insights", [("diagnosticSettings", "to-law")])
    assert armid.name_of(COMPUTE + "/") == "cpu"
    assert armid.subscription_of(COMPUTE.replace("subscriptions", "SUBSCRIPTIONS")) == "s1"
    assert armid.resource_group_of(COMPUTE.replace("resourceGroups", "resourcegroups")) == "rg-ml"
    assert armid.subscription_of("/providers/Microsoft.Management/managementGroups/mg") is None
    assert armid.normalize(f" {WS.upper()}/ ") == WS.lower()
