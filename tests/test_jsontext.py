"""Line look-ups of jsontext.LineIndex, which walks the text lazily instead of tokenizing it:
every key and value of real corpus files must land where a reader finds it, and ARM's comments
and a BOM must not shift anything."""

from __future__ import annotations

import json

import pytest

from mlwaf import jsontext


def _pointers(value, pointer=""):
    yield pointer
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _pointers(v, f"{pointer}/{jsontext.escape_pointer_token(k)}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _pointers(v, f"{pointer}/{i}")


@pytest.mark.corpus
def test_every_pointer_of_corpus_files_lands_on_its_token(corpus):
    files = sorted(corpus.rglob("*.json"))[::7]  # a spread of templates, parameters, REST examples
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        data = jsontext.loads(text)
        index = jsontext.LineIndex(text, data)
        lines = text.splitlines()
        for pointer in list(_pointers(data))[:400]:
            pos = index.get(pointer)
            assert pos is not None, (path, pointer)
            line, column = pos
            at = lines[line - 1][column - 1 :]
            token = pointer.rsplit("/", 1)[-1]
            parent = pointer.rsplit("/", 1)[0]
            parent_value = data
            for t in parent.split("/")[1:]:
                t = jsontext.unescape_pointer_token(t)
                parent_value = parent_value[int(t)] if isinstance(parent_value, list) else parent_value[t]
            if pointer and isinstance(parent_value, dict):
                # An object member is located at its key.
                key = jsontext.unescape_pointer_token(token)
                assert at.startswith(json.dumps(key, ensure_ascii=False)[:-1]), (path, pointer, at[:40])
            else:
                # An array item (or the root) at its value's first character.
                assert at[:1] in ('"', "{", "[", "-", "t", "f", "n") or at[:1].isdigit(), (path, pointer, at[:40])


def test_comments_bom_and_nearest():
    text = (
        '\ufeff// header\n{\n  "a": 1, /* note */ "b": [\n    1,\n    // skip\n    {"c~/d": "x\\"y",'
        ' "e": {"f": null}}\n  ]\n}\n'
    )
    index = jsontext.LineIndex(text)
    assert index.get("") == (2, 1)
    assert index.get("/a") == (3, 3)
    assert index.get("/b") == (3, 22)
    assert index.get("/b/0") == (4, 5)
    assert index.get("/b/1") == (6, 5)
    assert index.get("/b/1/c~0~1d") == (6, 6)
    assert index.get("/b/1/e/f") == (6, 28)
    assert index.get("/b/1/zz") is None
    assert index.nearest("/b/1/zz/0") == (6, 5), "the closest ancestor written in the file"
    assert index.nearest("/b/7") == (3, 22)


def test_nearest_with_parsed_data_matches_without():
    data = {"resources": [{"type": "T", "properties": {"x": [1, {"y": 2}]}} for _ in range(30)]}
    text = json.dumps(data, indent=2)
    with_data = jsontext.LineIndex(text, data)
    without = jsontext.LineIndex(text)
    for pointer in ["/resources/29/properties/x/1/y", "/resources/3/properties/absent", "/resources/40", ""]:
        assert with_data.nearest(pointer) == without.nearest(pointer)
    assert with_data.nearest("/resources/29/properties/x/1/y") == (text[: text.rindex('"y"')].count("\n") + 1, 13)
