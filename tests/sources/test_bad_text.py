"""Bad text in an input file is an input error for that file, the scan goes on, and every report
is written whole; text JSON allows in several encodings reads the same (docs/reliability.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf import jsontext
from mlwaf.cli import app
from mlwaf.report import FORMATS
from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions, read_paths

WS_TYPE = "Microsoft.MachineLearningServices/workspaces"
WS_ID = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg1/providers/" + WS_TYPE + "/ws1"


def _workspace(pna: object = "Disabled") -> dict:
    return {"id": WS_ID, "name": "ws1", "type": WS_TYPE, "location": "westeurope",
            "properties": {"publicNetworkAccess": pna}}


def _ws_text(pna_literal: str) -> str:
    """A workspace whose checked property is written as raw JSON text (which json.dumps cannot)."""
    return json.dumps(_workspace("__PNA__")).replace('"__PNA__"', pna_literal)


BAD = [
    ("deep-1000", "[" * 1000 + "]" * 1000, "nested deeper than 128 levels"),
    ("deep-200000", "[" * 200_000 + "]" * 200_000, "nested deeper than 128 levels"),
    ("deep-objects", '{"a":' * 5000 + "1" + "}" * 5000, "nested deeper than 128 levels"),
    ("lone-high-surrogate", _ws_text('"\\ud800"'), "lone surrogate escape \\ud800"),
    ("lone-low-surrogate", _ws_text('"x\\udc00y"'), "lone surrogate escape \\udc00"),
    ("surrogate-key", '{"\\ud800": 1}', "lone surrogate"),
    ("nan", _ws_text("NaN"), "NaN is not a JSON value"),
    ("infinity", _ws_text("Infinity"), "Infinity is not a JSON value"),
    ("minus-infinity", _ws_text("-Infinity"), "-Infinity is not a JSON value"),
    ("float-overflow", _ws_text("1e400"), "too large for a double"),
    ("long-integer", _ws_text("1" * 5000), "number too long"),
    ("duplicate-key", _ws_text('"Disabled", "publicNetworkAccess": "Enabled"'),
     "'publicNetworkAccess' is written twice"),
    ("empty", "", "empty file"),
    ("whitespace", " \n\t\r\n", "empty file"),
    ("trailing-comma", '{"id": "' + WS_ID + '", "type": "' + WS_TYPE + '",}', "not valid JSON: line 1"),
    ("truncated", json.dumps(_workspace())[:-7], "not valid JSON"),
]


@pytest.mark.parametrize(("name", "text", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_text_is_an_error_for_that_file_and_the_scan_goes_on(tmp_path, name, text, reason):
    (tmp_path / f"{name}.json").write_text(text, encoding="utf-8", errors="surrogatepass")
    (tmp_path / "good.json").write_text(json.dumps(_workspace()), encoding="utf-8")
    got = read_paths([tmp_path], ReadOptions(root=tmp_path))
    assert [(e.path, reason in e.message) for e in got.errors] == [(f"{name}.json", True)], got.errors
    assert [r.name for r in got.resources] == ["ws1"]


def test_not_utf8_text_names_the_byte(tmp_path):
    path = tmp_path / "ansi.json"
    path.write_bytes(json.dumps(_workspace("Disabled")).replace("ws1", "wé1").encode("cp1252"))
    (err,) = read_paths([path], ReadOptions(root=tmp_path)).errors
    assert "not UTF-8 text: byte 0xe9" in err.message


GOOD = [
    ("utf8-bom", lambda t: b"\xef\xbb\xbf" + t.encode()),
    ("utf16-bom", lambda t: t.encode("utf-16")),  # PowerShell 5's Out-File
    ("utf16le-no-bom", lambda t: t.encode("utf-16-le")),
    ("utf16be-no-bom", lambda t: t.encode("utf-16-be")),
    ("utf32", lambda t: t.encode("utf-32")),
    ("crlf", lambda t: json.dumps(json.loads(t), indent=2).replace("\n", "\r\n").encode()),
    ("one-long-line", lambda t: json.dumps({"value": [json.loads(t)] * 3000}, separators=(",", ":")).encode()),
]


@pytest.mark.parametrize(("name", "encode"), GOOD, ids=[g[0] for g in GOOD])
def test_text_json_allows_reads_the_same(tmp_path, name, encode):
    path = tmp_path / f"{name}.json"
    path.write_bytes(encode(json.dumps(_workspace("Enabled"), indent=2)))
    got = read_paths([path], ReadOptions(root=tmp_path))
    assert got.errors == []
    assert got.resources and all(r.properties["publicNetworkAccess"] == "Enabled" for r in got.resources)
    assert got.resources[0].position() is not None


def test_values_json_allows_are_kept(tmp_path):
    text = _ws_text('"\\ud83d\\ude00 \\u00e9"').replace('"location": "westeurope"', '"location": "westeurope", '
                                                          '"big": 123456789012345678901234567890, "small": 1e-300')
    (r,) = read_paths([_write(tmp_path, "ok.json", text)], ReadOptions(root=tmp_path)).resources
    assert r.properties["publicNetworkAccess"] == "\U0001f600 é"
    assert r.raw["big"] == 123456789012345678901234567890


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("honours_limit", [True, False], ids=["parser-bounded", "measured-after"])
def test_depth_limit_is_the_same_on_both_paths(monkeypatch, honours_limit):
    """Python 3.11 bounds the C parser itself; from 3.12 on the parsed value is measured. Both
    read MAX_DEPTH levels and refuse two more, for arrays and objects alike."""
    monkeypatch.setattr(jsontext, "_PARSER_HONOURS_LIMIT", honours_limit)
    depth = jsontext.MAX_DEPTH
    assert jsontext.loads("[" * depth + "]" * depth)
    assert jsontext.loads('{"a":' * depth + "1" + "}" * depth)
    for text in ("[" * (depth + 2) + "]" * (depth + 2), '{"a":' * (depth + 2) + "1" + "}" * (depth + 2)):
        with pytest.raises(jsontext.JsonTextError, match="nested deeper"):
            jsontext.loads(text)


def test_parsing_leaves_the_recursion_limit_as_it_was():
    import sys

    before = sys.getrecursionlimit()
    jsontext.loads("[" * 50 + "]" * 50)
    with pytest.raises(jsontext.JsonTextError):
        jsontext.loads("[" * 5000 + "]" * 5000)
    assert sys.getrecursionlimit() == before


def _nested(depth: int) -> object:
    value: object = "Enabled"
    for _ in range(depth - 1):
        value = [value]
    return value


def test_values_at_the_depth_limit_reach_every_report(tmp_path):
    """Whatever the parser lets through, every later walker (template evaluation, checks,
    redaction, each report writer) handles: a checked property and a template value nested to
    just under the limit."""
    deep = _nested(jsontext.MAX_DEPTH - 6)
    (tmp_path / "ws.json").write_text(json.dumps(_workspace(deep)))
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": WS_TYPE, "apiVersion": "2025-12-01", "name": "ws2",
                       "properties": {"publicNetworkAccess": deep, "description": "[concat('a', 'b')]"}}],
    }
    (tmp_path / "main.json").write_text(json.dumps(template))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "ws.json"), str(tmp_path / "main.json"),
                                      "--output-dir", str(out), "--reproducible"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "mlwaf.json").read_text())
    assert report["errors"] == [] and len(report["resources"]) == 2
    _assert_whole(out)


def test_a_lone_surrogate_in_a_checked_property_leaves_every_report_whole(tmp_path):
    """Was: UnicodeEncodeError, a traceback, exit 1 and a truncated mlwaf.json."""
    _write(tmp_path, "bad.json", _ws_text('"\\ud800"'))
    _write(tmp_path, "good.json", json.dumps({**_workspace(), "id": WS_ID + "2", "name": "ws12"}))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(tmp_path), "--output-dir", str(out)], catch_exceptions=False)
    assert result.exit_code == 3, result.output
    report = json.loads((out / "mlwaf.json").read_text(encoding="utf-8"))
    assert [e["path"] for e in report["errors"]] == ["bad.json"]
    assert [r["name"] for r in report["resources"]] == ["ws12"]
    json.loads((out / "mlwaf.sarif").read_text(encoding="utf-8"))


def test_deep_nesting_is_exit_3_with_reports_not_a_traceback(tmp_path):
    """Was: RecursionError, a traceback, exit 1, no report."""
    _write(tmp_path, "deep.json", "[" * 200_000 + "]" * 200_000)
    _write(tmp_path, "good.json", json.dumps(_workspace()))
    result = run_scan([tmp_path], ScanOptions(read=ReadOptions(root=tmp_path), reproducible=True))
    assert [e.path for e in result.errors] == ["deep.json"]
    assert result.gate.exit_code == 3
    out = tmp_path / "out"
    cli = CliRunner().invoke(app, ["scan", str(tmp_path / "deep.json"), str(tmp_path / "good.json"),
                                   "--output-dir", str(out)], catch_exceptions=False)
    assert cli.exit_code == 3, cli.output
    assert (out / "mlwaf.json").is_file()


def test_file_names_that_are_not_utf8_are_shown_escaped(tmp_path):
    import os

    name = os.fsdecode(b"ws-\xff.json")
    try:
        (tmp_path / name).write_text(json.dumps(_workspace()))
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take non-UTF-8 names")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["scan", str(tmp_path), "-f", "json", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [s["path"] for s in report["scanned"]] == ["ws-\\xff.json"]


def test_a_template_expression_that_builds_a_value_deeper_than_the_limit_is_an_error(tmp_path):
    """Files are bounded by the parser; values built by expressions (createArray nested 200 deep)
    are held to the same bound, so no walker after the template evaluator meets deeper data."""
    deep = "[" + "createArray(" * 200 + "1" + ")" * 200 + "]"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": WS_TYPE, "apiVersion": "2025-12-01", "name": "ws",
                       "properties": {"publicNetworkAccess": deep}}],
    }
    got = read_paths([_write(tmp_path, "main.json", json.dumps(template))], ReadOptions(root=tmp_path))
    (err,) = got.errors
    assert "/resources/0/properties/publicNetworkAccess: its value nests deeper than 128 levels" in err.message
    (ws,) = got.resources
    assert ws.properties["publicNetworkAccess"].expression == deep


def test_duplicate_keys_are_refused_where_json_is_written_by_hand(tmp_path):
    """Small files and templates of any size are parsed strictly; a large machine-written export
    (whose serializer cannot repeat a key) is parsed without the per-object hook, which costs
    about half a parse again (docs/reliability.md)."""
    from mlwaf.sources.files import HAND_WRITTEN_BYTES

    padding = "x" * HAND_WRITTEN_BYTES
    template = (
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", '
        '"contentVersion": "1.0.0.0", "metadata": {"pad": "' + padding + '"}, "resources": [{"type": "' + WS_TYPE
        + '", "apiVersion": "2025-12-01", "name": "ws", "properties": {"publicNetworkAccess": "Enabled", '
        '"publicNetworkAccess": "Disabled"}}]}'
    )
    big_template = _write(tmp_path, "big-template.json", template)
    (err,) = read_paths([big_template], ReadOptions(root=tmp_path)).errors
    assert "'publicNetworkAccess' is written twice" in err.message
    export = _ws_text('"Disabled", "publicNetworkAccess": "Disabled"')
    export = export.replace('"location"', f'"pad": "{padding}", "location"')
    got = read_paths([_write(tmp_path, "big-export.json", export)], ReadOptions(root=tmp_path))
    assert got.errors == [] and got.resources[0].properties["publicNetworkAccess"] == "Disabled"


def _assert_whole(out):
    """Every report a scan wrote parses whole in its own format (a truncated one would not)."""
    import csv
    import xml.etree.ElementTree as ET

    written = {p.suffix: p for p in out.iterdir()}
    # One file per registered format (a new format is written too, and its own tests parse it).
    assert set(written) == {Path(f"mlwaf.{f.extension}").suffix for f in FORMATS.values()}, sorted(written)
    json.loads(written[".json"].read_text(encoding="utf-8"))
    json.loads(written[".sarif"].read_text(encoding="utf-8"))
    ET.parse(written[".xml"])
    assert list(csv.DictReader(written[".csv"].open(encoding="utf-8")))
    assert written[".html"].read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert written[".md"].read_text(encoding="utf-8").startswith("#")
