"""The conservation law: every element of every collection in an input file (an array, a list
page's `value`, Resource Graph rows, the children a PowerShell export nests under `resources`)
ends up as exactly one of: a resource, a skipped entry, or an error naming the file, the
element's JSON pointer and the reason.

Property-based over generated documents of every shape the README lists, spelled every way the
tools spell them, with elements that are resources, that are not, and that are set aside; then
over the real files of ../shared/corpus. CI runs the `ci` profile (tests/conftest.py: fixed
examples); `python -m pytest tests/sources/test_conservation.py --hypothesis-profile thorough`
searches much further.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mlwaf.sources import ReadOptions, read_paths
from mlwaf.sources.files import read_json
from mlwaf.sources.resource_shape import has_arm_marker

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"
TYPES = ["Microsoft.MachineLearningServices/workspaces", "Microsoft.Storage/storageAccounts",
         "Microsoft.KeyVault/vaults", "Microsoft.ContainerRegistry/registries"]


@dataclass
class Element:
    """A generated element and the outcome the law demands for it."""

    value: Any
    outcome: str  # "resource", "skipped" or "error"
    children: list[Element] | None = None


def _spell(key: str, style: int) -> str:
    return (key, key[0].upper() + key[1:], key.upper(), key.lower())[style]


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
styles = st.integers(0, 3)


@st.composite
def resources(draw: st.DrawFn, depth: int = 0) -> Element:
    rtype = draw(st.sampled_from(TYPES))
    name = draw(names)
    rid = f"{SUB}/providers/{rtype}/{name}"
    style = draw(styles)
    obj: dict[str, Any] = {}
    if draw(st.booleans()):
        obj[_spell("id", style)] = rid
    if draw(st.booleans()) or not obj:
        obj[_spell("name", style)] = name
    obj[_spell("type", draw(styles))] = rtype
    if draw(st.booleans()):  # PowerShell's aliases beside (or instead of) the ARM keys
        obj["ResourceType"] = rtype.lower() if draw(st.booleans()) else rtype
        obj["ResourceName"] = name
    if draw(st.booleans()):
        access = draw(st.sampled_from(["Enabled", "Disabled"]))
        obj[_spell("properties", draw(styles))] = {"publicNetworkAccess": access}
    if draw(st.booleans()):
        obj[_spell("location", draw(styles))] = "westeurope"
    children = None
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        children = draw(st.lists(elements(depth + 1), max_size=4))
        obj[_spell("resources", 0 if draw(st.booleans()) else 1)] = [c.value for c in children]
    return Element(obj, "resource", children)


def not_resources() -> st.SearchStrategy[Element]:
    return st.one_of(
        st.sampled_from([None, 0, 1.5, True, "Microsoft.Storage/storageAccounts", [], ["x"]]),
        st.fixed_dictionaries({"name": names}),  # no type
        st.fixed_dictionaries({"type": st.sampled_from(["module", "string", ""]), "name": names}),
        st.fixed_dictionaries({"type": st.sampled_from(TYPES)}),  # neither id nor name
        st.builds(lambda t, a, b: {"type": t, "name": a, "Name": a + "-" + b}, st.sampled_from(TYPES), names, names),
    ).map(lambda v: Element(v, "error"))


def set_aside() -> st.SearchStrategy[Element]:
    usage = st.builds(lambda n: {"name": n, "limit": 10, "currentValue": 1, "type": TYPES[3] + "/listUsages"}, names)
    usages = st.just({"value": [{"name": "Size", "limit": 1}], "ResourceType": TYPES[3] + "/listUsages"})
    return st.one_of(usage, usages).map(lambda v: Element(v, "skipped"))


def elements(depth: int = 0) -> st.SearchStrategy[Element]:
    return st.one_of(resources(depth), resources(depth), not_resources(), set_aside())


@st.composite
def documents(draw: st.DrawFn) -> tuple[Any, str, list[Element]]:
    """(document, JSON pointer of its collection, the elements in it)."""
    items = draw(st.lists(elements(), max_size=8))
    values = [e.value for e in items]
    shape = draw(st.sampled_from(["array", "page", "graph", "graph-table", "rest-example", "single"]))
    if shape == "array":
        return values, "", items
    if shape == "page":
        return {"value": values, "nextLink": "https://management.azure.com/next"}, "/value", items
    if shape == "graph":
        return {"totalRecords": len(values), "count": len(values), "data": values}, "/data", items
    if shape == "graph-table":
        cols = ["id", "name", "type", "location", "properties"]
        rows, kept = [], []
        for e in items:
            if isinstance(e.value, dict) and e.outcome == "resource" and not e.children:
                low = {k.lower(): v for k, v in e.value.items() if k.lower() in cols}
                low.setdefault("type", e.value.get("ResourceType"))
                rows.append([low.get(c) for c in cols])
                kept.append(Element(None, "resource"))
            else:  # a row of nothing, or a value that is no row at all
                rows.append(e.value if not isinstance(e.value, dict) else [None] * len(cols))
                kept.append(Element(None, "error"))
        return {"data": {"columns": [{"name": c} for c in cols], "rows": rows}}, "/data/rows", kept
    if shape == "rest-example":
        body = {"value": values}
        return {"parameters": {"api-version": "2025-12-01"}, "responses": {"200": {"body": body}}}, \
            "/responses/200/body/value", items
    # A single resource: its children are the collection.
    top = draw(resources(depth=1))
    kids = draw(st.lists(elements(depth=1), max_size=5))
    doc = {**top.value, "resources": [k.value for k in kids]}
    doc = {k: v for k, v in doc.items() if k.lower() != "resources" or k == "resources"}
    return doc, "/resources", kids


def _expected(base: str, items: list[Element]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, e in enumerate(items):
        pointer = f"{base}/{i}"
        out[pointer] = e.outcome
        if e.children is not None:
            key = next(k for k in e.value if k.lower() == "resources")
            out.update(_expected(f"{pointer}/{key_pointer(key)}", e.children))
    return out


def key_pointer(key: str) -> str:
    return "resources" if key.lower() == "resources" else key


def outcomes(got: Any, path: str) -> dict[str, list[str]]:
    """Pointer -> every outcome recorded for it in a read of `path`."""
    seen: dict[str, list[str]] = {}
    for r in got.resources:
        if r.origin.path == path:
            seen.setdefault(r.origin.pointer, []).append("resource")
    for s in got.scanned:
        if s.path == path:
            for item in s.skipped:
                seen.setdefault(item.pointer, []).append("skipped")
    for e in got.errors:
        if e.path == path and e.pointer is not None:
            seen.setdefault(e.pointer, []).append("error")
    return seen


@given(documents(), st.booleans())
@example(([None, "x"], "", [Element(None, "error"), Element("x", "error")]), True)
@example(([None, "x"], "", [Element(None, "error"), Element("x", "error")]), False)
@example(([{"TYPE": TYPES[0], "NAME": "a"}], "", [Element({"TYPE": TYPES[0], "NAME": "a"}, "resource")]), True)
def test_every_generated_element_has_exactly_its_one_outcome(doc, walked):
    data, base, items = doc
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "input.json").write_text(json.dumps(data))
        got = read_paths([folder if walked else folder / "input.json"], ReadOptions(root=folder))
    file_errors = [e for e in got.errors if e.pointer is None]
    expected = _expected(base, items)
    if walked and not has_arm_marker(data):
        # A walked file with nothing ARM in it is skipped whole, and says so.
        (scanned,) = got.scanned
        assert scanned.kind == "skipped" and scanned.note.startswith("not ARM") and not got.errors
        return
    if file_errors:
        # The whole file is an error (a single resource that is not one): it is named, and
        # nothing of it was read.
        assert [e.path for e in file_errors] == ["input.json"] and not got.resources
        assert base == "/resources" or expected == {}
        return
    assert [s.path for s in got.scanned] == ["input.json"]
    seen = outcomes(got, "input.json")
    extra = {p: o for p, o in seen.items() if p not in expected and p != ""}
    assert extra == {}, "outcomes for pointers that are no element"
    for pointer, outcome in expected.items():
        assert seen.get(pointer) == [outcome], (pointer, outcome, seen.get(pointer), data)
    for e in got.errors:
        assert e.pointer in e.message and e.path == "input.json"


def _collections(data: Any) -> list[tuple[str, list[Any]]]:
    """Independently of the readers: the element collections of the shapes the README lists."""
    if isinstance(data, list):
        return [("", data)]
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("responses"), dict):
        out = []
        for code, response in data["responses"].items():
            body = response.get("body") if isinstance(response, dict) else None
            if str(code).startswith("2") and body is not None:
                out += [(f"/responses/{code}/body{p}", items) for p, items in _collections(body)]
                break
        return out
    if "$schema" in data or "template" in data:
        return []  # templates deploy resources: evaluated, not element collections
    if isinstance(data.get("value"), list):
        return [("/value", data["value"])]
    if isinstance(data.get("data"), list):
        return [("/data", data["data"])]
    if isinstance(data.get("data"), dict) and isinstance(data["data"].get("rows"), list):
        return [("/data/rows", data["data"]["rows"])]
    return []


@pytest.mark.corpus
def test_every_element_of_the_corpus_is_accounted_for(corpus):
    got = read_paths([corpus], ReadOptions(root=corpus))
    checked = 0
    for path in sorted(corpus.rglob("*.json")):
        shown = path.relative_to(corpus).as_posix()
        _, data = read_json(path)
        seen = outcomes(got, shown)
        for base, items in _collections(data):
            for i in range(len(items)):
                assert len(seen.get(f"{base}/{i}", [])) == 1, (shown, f"{base}/{i}")
                checked += 1
    assert checked >= 10, "the corpus has list pages and REST list examples"


def test_the_sample_estate_is_fully_accounted_for(sample_estate):
    got = read_paths([sample_estate], ReadOptions(root=sample_estate))
    for path in sorted(sample_estate.rglob("*.json")):
        shown = path.relative_to(sample_estate).as_posix()
        _, data = read_json(path)
        seen = outcomes(got, shown)
        for base, items in _collections(data):
            assert all(seen.get(f"{base}/{i}") == ["resource"] for i in range(len(items))), shown
