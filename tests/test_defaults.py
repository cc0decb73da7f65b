"""Defaults are data with a source: the catalog in mlwaf.defaults, how read() picks a rule by API
version and input kind, and the guards that keep the check pack from assuming a default anywhere
else (an AST scan of checks/ and checklib for hidden `.get(key, default)` and literal defaults)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mlwaf import defaults as catalog
from mlwaf import registry
from mlwaf.check import (
    ORIGINS,
    REQUEST,
    STATE,
    Default,
    Rule,
    api_version_of,
    learn,
    origin_of,
    read,
    spec,
    unresolved,
)
from mlwaf.model import Resource, Status
from mlwaf.sources import read_paths
from tests import arm

REPO = Path(__file__).resolve().parents[1]
CHECK_SOURCES = [*sorted((REPO / "checks").glob("*.py")), REPO / "src" / "mlwaf" / "checklib.py"]
FIXTURES = REPO / "checks" / "fixtures"
STORAGE = "Microsoft.Storage/storageAccounts"
SRC = spec("specification/x/stable/2024-01-01/x.json", "X.y", "The default is on.")


def resource(raw: dict | None = None, *, kind: str = "resource", api: str | None = None,
             rtype: str = STORAGE) -> Resource:
    """A resource `r` of `rtype` with these top-level fields, read from an input of `kind`."""
    top = dict(raw or {})
    return arm.resource(rtype, "r", top.pop("properties", {}), origin_kind=kind, api_version=api, **top)


# --- the catalog --------------------------------------------------------------------------------


def test_every_default_in_the_catalog_has_a_source():
    found = catalog.all_defaults()
    assert len(found) > 30
    for name, d in found:
        assert d.rules, name
        assert d.types, f"{name} names no resource type"
        for rule in d.rules:
            src = rule.source
            assert src.words.strip(), f"{name}: a source without the words that say it"
            if src.is_spec:
                assert src.api_version and src.definition, f"{name}: a spec source needs its API version and definition"
            else:
                assert src.url.startswith("https://learn.microsoft.com/"), f"{name}: {src.url}"
            assert set(rule.origins) <= set(ORIGINS) and rule.origins


def test_every_default_a_check_declares_is_in_the_catalog():
    known = {id(d) for _, d in catalog.all_defaults()}
    specs = registry.load(entry_points=False).checks.values()
    stray = [(s.id, d.path) for s in specs for d in s.defaults if id(d) not in known]
    assert not stray, f"defaults declared outside mlwaf.defaults (so without a documented source): {stray}"
    used = {id(d) for s in specs for d in s.defaults}
    unused = [name for name, d in catalog.all_defaults() if id(d) not in used]
    assert not unused, f"catalog defaults no check declares: {unused}"


def test_spec_and_learn_sources_are_checked():
    with pytest.raises(ValueError):
        spec("mfe.json", "X", "words")
    with pytest.raises(ValueError):
        learn("https://example.com/page", "words")


# --- choosing a rule: API version, input kind, creation time ------------------------------------


def test_a_template_is_a_request_and_everything_else_stored_state():
    assert origin_of(resource(kind="arm-template")) == REQUEST
    for kind in ("resource", "list-page", "resource-array", "resource-graph", "group-export",
                 "rest-example/resource", "live/list-page"):
        assert origin_of(resource(kind=kind)) == STATE


def test_resource_graph_rows_have_no_api_version_of_their_own():
    assert api_version_of(resource(kind="live/resource-graph", api="2022-10-01")) is None
    assert api_version_of(resource(kind="resource-graph")) is None
    assert api_version_of(resource({"apiVersion": "2023-05-01"})) == "2023-05-01"
    assert api_version_of(resource(kind="arm-template", api="2025-12-01")) == "2025-12-01"


def test_a_property_that_does_not_exist_at_the_api_version_is_unknown():
    d = Default("properties.x", (STORAGE,), (Rule(False, SRC, since="2020-02-02"),), introduced="2020-02-02")
    seen = read(resource(api="2015-05-01"), d)
    assert seen.unresolved and "does not exist at API version 2015-05-01" in seen.undetermined
    assert unresolved(seen).status is Status.UNKNOWN
    assert read(resource(api="2020-02-02"), d).value is False


def test_an_unknown_api_version_uses_the_current_schema_only_where_every_version_agrees():
    same = Default("properties.x", (STORAGE,), (Rule(True, SRC, since="2019-04-01"),))
    assert read(resource(), same).value is True
    differs = Default("properties.x", (STORAGE,),
                      (Rule(True, SRC, since="2019-04-01"), Rule(False, SRC, until="2019-04-01")))
    seen = read(resource(), differs)
    assert seen.unresolved and "differs by API version" in seen.undetermined
    preview_only = Default("properties.x", (STORAGE,), (Rule(None, SRC, since="2025-01-01", preview=True),))
    assert "current stable schema" in read(resource(), preview_only).undetermined
    assert read(resource(api="2025-01-01-preview"), preview_only).absent
    assert read(resource(api="2025-12-01"), preview_only).unresolved


def test_rules_by_origin_tell_a_template_from_stored_state():
    d = Default("properties.x", (STORAGE,), (Rule(True, SRC, origins=(REQUEST,)),))
    assert read(resource(kind="arm-template", api="2024-01-01"), d).value is True
    seen = read(resource(kind="resource", api="2024-01-01"), d)
    assert seen.unresolved and "for templates only" in seen.undetermined


def test_a_state_rule_bound_to_creation_time_needs_the_creation_time():
    d = catalog.STORAGE_BLOB_PUBLIC_ACCESS
    old = resource({"properties": {"creationTime": "2019-03-14T10:22:41Z"}}, kind="rest-example/resource",
                   api="2023-01-01")
    assert read(old, d).value is True
    new = resource({"properties": {"creationTime": "2024-05-06T08:01:12Z"}}, kind="rest-example/resource",
                   api="2023-01-01")
    assert read(new, d).unresolved
    assert read(resource(kind="resource", api="2023-01-01"), d).unresolved
    assert read(resource(kind="arm-template", api="2023-01-01"), d).value is False
    assert read(resource(kind="arm-template", api="2022-09-01"), d).value is True


def test_a_present_value_is_never_replaced_and_evidence_says_when_a_default_was_applied():
    d = Default("properties.x", (STORAGE,), (Rule("Enabled", SRC),))
    seen = read(resource({"properties": {"x": "Disabled"}}), d)
    assert seen.value == "Disabled" and seen.evidence.present
    applied = read(resource(), d)
    assert applied.evidence.default_applied and applied.evidence.default == "Enabled"


def test_read_refuses_a_default_of_another_property_or_type():
    d = Default("properties.x", (STORAGE,), (Rule(1, SRC),))
    with pytest.raises(ValueError):
        read(resource(), "properties.y", default=d)
    with pytest.raises(ValueError):
        read(resource(rtype="Microsoft.KeyVault/vaults"), d)
    pools = Default("properties.pools[*].mode", (STORAGE,), (Rule("System", SRC),))
    assert read(resource(), "properties.pools[3].mode", default=pools).value == "System"


# --- no default anywhere else -------------------------------------------------------------------


def _empty(node: ast.expr) -> bool:
    """None, '', [], {}, (): the absence of a value, not a value assumed for an absent property."""
    if isinstance(node, ast.Constant):
        return node.value is None or node.value == ""
    return isinstance(node, ast.List | ast.Dict | ast.Tuple) and not (
        getattr(node, "elts", None) or getattr(node, "keys", None))


def _is_params(node: ast.expr) -> bool:
    """ctx.params: the configuration file's values, whose fallbacks are configuration, not Azure."""
    return isinstance(node, ast.Attribute) and node.attr == "params"


def _gets(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and not _is_params(node.func.value))


def hidden_defaults(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if _gets(node):
            fallback = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "default"), None)
            if fallback is not None and not _empty(fallback):
                found.append(f"{where} .get(..., {ast.unparse(fallback)})")
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and _gets(node.values[0]):
            for value in node.values[1:]:
                if isinstance(value, ast.Constant) and not _empty(value):
                    found.append(f"{where} {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("read", "flag"):
            for k in node.keywords:
                if k.arg == "default" and not (_empty(k.value) or isinstance(k.value, ast.Name | ast.Attribute)):
                    found.append(f"{where} {node.func.id}(..., default={ast.unparse(k.value)})")
    return found


def test_no_check_assumes_a_default_outside_the_catalog():
    found = [f for path in CHECK_SOURCES for f in hidden_defaults(path)]
    assert not found, "defaults assumed in code (declare a sourced Default in mlwaf.defaults):\n" + "\n".join(found)


def test_the_scan_finds_what_it_forbids(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        'def f(p, resource, ctx):\n'
        '    a = p.get("mode", "User")\n'
        '    b = str(p.get("sku") or "Premium")\n'
        '    c = read(resource, "properties.x", default=False)\n'
        '    d = ctx.params.get("min", 3)\n'
        '    e = p.get("items", [])\n'
    )
    found = sorted(f.split(" ", 1)[1] for f in hidden_defaults(bad))
    assert found == [".get(..., 'User')", "p.get('sku') or 'Premium'", "read(..., default=False)"]


# --- defaults that differ by input are tested on both -------------------------------------------


def _origins_of_fixtures(check_id: str, types: tuple[str, ...]) -> set[str]:
    seen = set()
    for path in (FIXTURES / check_id).glob("*.json"):
        if path.name.endswith(".ctx.json"):
            continue
        for r in read_paths([path]).resources:
            if r.type_key in {t.lower() for t in types}:
                seen.add(origin_of(r))
    return seen


def test_checks_whose_default_differs_by_input_are_tested_on_both():
    specs = registry.load(entry_points=False).checks.values()
    by_origin = [s for s in specs if any(set(r.origins) != set(ORIGINS) for d in s.defaults for r in d.rules)]
    assert by_origin, "no check has a default that differs by input"
    missing = {}
    for s in by_origin:
        types = tuple(t for d in s.defaults if any(set(r.origins) != set(ORIGINS) for r in d.rules) for t in d.types)
        got = _origins_of_fixtures(s.id, types)
        if got != {REQUEST, STATE}:
            missing[s.id] = sorted(set(ORIGINS) - got)
    assert not missing, f"fixtures missing for these inputs (template = request, GET/export = state): {missing}"
