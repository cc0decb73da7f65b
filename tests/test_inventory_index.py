"""Indexed reverse look-ups of the inventory: the same answers as a scan over every resource,
and kept fresh when resources are added."""

from __future__ import annotations

from mlwaf.inventory import Inventory
from mlwaf.model import Origin, Resource
from mlwaf.sources import ReadOptions, read_paths

WS = "Microsoft.MachineLearningServices/workspaces"
KV = "Microsoft.KeyVault/vaults"
RG = "/subscriptions/6b1f3c2e-8d4a-4f7e-9c51-2a7d9e0b4c13/resourceGroups/rg-ml/providers/"


def _ws(name: str, vault: str | None, team: str) -> Resource:
    props = {"keyVault": RG + f"Microsoft.KeyVault/vaults/{vault}"} if vault else {}
    rid = RG + f"{WS}/{name}"
    raw = {"id": rid, "name": name, "type": WS, "tags": {"team": team}, "properties": props}
    return Resource(type=WS, id=rid, name=name, raw=raw, origin=Origin(path="estate.json"))


def _kv(name: str) -> Resource:
    rid = RG + f"{KV}/{name}"
    return Resource(type=KV, id=rid, name=name, raw={"id": rid, "name": name, "type": KV, "properties": {}})


def _team(r: Resource) -> str | None:
    return r.raw.get("tags", {}).get("team")


def test_referrers_match_linked_run_backwards(sample_estate):
    inv = Inventory(read_paths([sample_estate], ReadOptions(root=sample_estate)).resources)
    for vault in inv.of_type(KV):
        expected = [w for w in inv.of_type(WS) if inv.linked(w, "properties.keyVault") is vault]
        assert inv.referrers(vault, WS, "properties.keyVault") == expected
    assert any(inv.referrers(v, WS, "properties.keyVault") for v in inv.of_type(KV)), "the estate links vaults"


def test_referrers_are_case_insensitive_and_skip_absent_properties():
    shared, own = _kv("kv-shared"), _kv("kv-own")
    a, b, c = _ws("a", "KV-SHARED", "x"), _ws("b", "kv-shared/", "y"), _ws("c", None, "x")
    inv = Inventory([shared, own, a, b, c])
    assert inv.referrers(shared, WS, "properties.keyVault") == [a, b]
    assert inv.referrers(own, WS, "properties.keyVault") == []


def test_grouped_index_is_rebuilt_after_add():
    a, b = _ws("a", None, "x"), _ws("b", None, "y")
    inv = Inventory([a, b])
    assert inv.grouped(WS, _team) == {"x": [a], "y": [b]}
    c = _ws("c", None, "x")
    inv.add(c)
    assert inv.grouped(WS, _team)["x"] == [a, c], "a resource added later is found"
    assert inv.grouped(KV, _team) == {}
