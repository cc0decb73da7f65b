"""The benchmark's estate generator writes what the scanner reads: correctness only, never timing
(timings come from `python bench/run.py`, see docs/performance.md)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from mlwaf.scan import ScanOptions, run_scan
from mlwaf.sources import ReadOptions

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def generate():
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


def test_sizes_parse(generate):
    assert [generate.parse_size(s) for s in ("1k", "10K", "1M", "2500", "0.5k")] == [1000, 10000, 1_000_000, 2500, 500]


def test_estate_is_deterministic_and_exact(generate, tmp_path):
    a = generate.generate(450, tmp_path / "a", seed=3, page_size=40, graph_page=100)
    b = generate.generate(450, tmp_path / "b", seed=3, page_size=40, graph_page=100)
    assert b == a
    assert a["resources"] == 450 and sum(a["types"].values()) == 450
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.json"))
    assert files_a == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.json"))
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    c = generate.generate(450, tmp_path / "c", seed=4, page_size=40, graph_page=100)
    assert c["types"] != a["types"] or c["bytes"] != a["bytes"], "another seed, another estate"


def test_pages_have_the_real_envelopes(generate, tmp_path):
    generate.generate(450, tmp_path / "e", seed=3, page_size=40, graph_page=100)
    graph = sorted((tmp_path / "e" / "graph").glob("*.json"))
    rest = sorted((tmp_path / "e" / "rest").glob("computes-*.json"))
    assert len(graph) >= 2 and len(rest) >= 2
    first = json.loads(graph[0].read_text())
    assert first["count"] == len(first["data"]) == 100 and "skip_token" in first
    assert all(row["type"] == row["type"].lower() and row["subscriptionId"] for row in first["data"])
    assert "skip_token" not in json.loads(graph[-1].read_text()), "the last page has no token"
    page = json.loads(rest[0].read_text())
    assert len(page["value"]) == 40 and page["nextLink"].startswith("https://management.azure.com/")
    compute = page["value"][0]
    assert compute["type"] == "Microsoft.MachineLearningServices/workspaces/computes"
    assert compute["id"].startswith(compute["id"].split("/computes/")[0] + "/computes/")
    assert "computeType" in compute["properties"] and isinstance(compute["properties"]["properties"], dict)


def test_scanner_reads_every_generated_resource(generate, tmp_path):
    out = tmp_path / "estate"
    summary = generate.generate(600, out, seed=11, page_size=50, graph_page=200)
    result = run_scan([out], ScanOptions(read=ReadOptions(root=out), reproducible=True))
    assert result.errors == []
    assert len(result.inventory) == 600 and not result.inventory.duplicates
    kinds = {s.kind for s in result.scanned}
    assert kinds == {"resource-graph", "list-page"}
    by_type: dict[str, int] = {}
    for r in result.inventory:
        by_type[r.type_key] = by_type.get(r.type_key, 0) + 1
    assert by_type == summary["types"]
    # Workspaces find their dependencies and children: relations work on the generated ids.
    ws = result.inventory.of_type("Microsoft.MachineLearningServices/workspaces")[0]
    assert result.inventory.linked(ws, "properties.keyVault") is not None
    assert result.inventory.children(ws, "computes")
    statuses = {f.status.value for f in result.findings}
    assert {"PASS", "FAIL", "NOT_APPLICABLE"} <= statuses, "a realistic mix, not all one verdict"
    failing = [f for f in result.findings if f.status.value == "FAIL"]
    assert all(f.location.line for f in failing[:200]), "findings point at a line of the page"
