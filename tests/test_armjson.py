"""ARM JSON's reading rule: property names match case-insensitively, an exact match first."""

from __future__ import annotations

from mlwaf import armjson


def test_key_prefers_the_exact_spelling_then_any_case():
    assert armjson.key({"vmSize": "a", "VmSize": "b"}, "VmSize") == "b"
    assert armjson.key({"VmSize": "b"}, "vmsize") == "b"
    assert armjson.key({}, "vmSize") is armjson.MISSING
    assert armjson.key({"a": None}, "A", "default") is None  # present and null is not absent


def test_at_follows_names_through_objects_only():
    raw = {"Properties": {"KeyVault": "/x/kv", "rules": [1]}}
    assert armjson.at(raw, "properties", "keyVault") == "/x/kv"
    assert armjson.at(raw, "properties", "rules", "0") is None  # a list is not an object
    assert armjson.at(raw, "properties", "missing") is None
    assert armjson.at(raw) is raw
