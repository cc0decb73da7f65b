"""`mlwaf merge` against single scans: the sample estate split three ways (folders left out with
--exclude, so every part has the same scan root and paths), through the command line as a CI
matrix runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf import registry
from mlwaf.cli import app
from mlwaf.merge import related_checks

REPO = Path(__file__).resolve().parents[2]
ESTATE = "fixtures/sample-estate"
PARTS = {"dev": ("graph", "prod"), "graph": ("dev", "prod"), "prod": ("dev", "graph")}  # the whole scan's read order
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def at_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def related() -> list[str]:
    return related_checks(registry.load().sorted())


def scan_parts(tmp: Path, *extra: str, parts: dict[str, tuple[str, ...]] = PARTS) -> list[str]:
    reports = []
    for name, excluded in parts.items():
        out = tmp / f"part-{name}.json"
        result = run("scan", ESTATE, "--reproducible", "-q", "-f", "json", "-o", str(out),
                     *(a for e in excluded for a in ("--exclude", e)), *extra)
        assert result.exit_code == 0, result.output
        reports.append(str(out))
    return reports


def without_policy_order(report: dict) -> dict:
    """The report with its policy results in one order (a merge orders policies by first sight)."""
    out = dict(report)
    if "policy" in out:
        out["policy"] = {**out["policy"], "results": sorted(out["policy"]["results"], key=json.dumps)}
    return out


def merge_and_scan(tmp: Path, parts: dict[str, tuple[str, ...]], *extra: str) -> tuple[Path, Path]:
    whole = tmp / "whole"
    assert run("scan", ESTATE, "--reproducible", "-q", "--output-dir", str(whole), *extra).exit_code == 0
    merged = tmp / "merged"
    result = run("merge", *scan_parts(tmp, *extra, parts=parts), "--output-dir", str(merged), "--source-root", ESTATE,
                 "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in merged.iterdir()) == sorted(p.name for p in whole.iterdir())
    return whole, merged


def test_parts_by_subscription_merge_to_the_single_scan(at_repo, tmp_path):
    """The estate's two subscriptions (the dev template's, and prod's with graph/) as parts: no
    relation crosses them once the checks judging across subscriptions (the fraud project's dev
    and prod workspaces) are left out; every report of the merge is then the single scan's."""
    whole, merged = merge_and_scan(tmp_path, {"dev": ("graph", "prod"), "prod": ("dev",)},
                                   "--skip-checks", "MLW-OPS-030")
    one = json.loads((whole / "mlwaf.json").read_text())
    many = json.loads((merged / "mlwaf.json").read_text())
    assert one["findings"] and one["policy"]["results"] and one["scores"]["scopes"]
    for key in ("findings", "scores", "gate", "errors", "scanned", "duplicates", "suppressions", "resources"):
        assert many[key] == one[key], key
    assert many["policy"]["summary"] == one["policy"]["summary"]
    assert without_policy_order(many) == without_policy_order(one)
    for name in ("mlwaf.sarif", "mlwaf.csv", "mlwaf.junit.xml", "mlwaf.md"):
        assert (merged / name).read_text() == (whole / name).read_text(), name


def test_three_parts_merge_to_the_single_scan(at_repo, tmp_path):
    """Three folders as parts, without the checks that judge a resource by related ones (the
    split cuts the estate's relations: prod's AKS cluster is in graph/): findings, policy,
    gate, inputs and every score are the single scan's, but for the one workspace whose member
    lies in another part (its attached cluster), which its part could not see."""
    whole, merged = merge_and_scan(tmp_path, PARTS, "--skip-checks", ",".join(related()))
    one = json.loads((whole / "mlwaf.json").read_text())
    many = json.loads((merged / "mlwaf.json").read_text())
    for key in ("findings", "gate", "errors", "scanned", "duplicates", "suppressions", "resources"):
        assert many[key] == one[key], key
    assert many["policy"]["summary"] == one["policy"]["summary"]
    assert without_policy_order(many)["policy"] == without_policy_order(one)["policy"]
    assert {k: v for k, v in many["scores"].items() if k != "scopes"} == {
        k: v for k, v in one["scores"].items() if k != "scopes"}
    differ = [(a["name"], [m for m in a.get("members", ()) if m not in b.get("members", ())])
              for a, b in zip(one["scores"]["scopes"], many["scores"]["scopes"], strict=True) if a != b]
    assert [(name, [m["id"].rsplit("/", 1)[-1] for m in missing]) for name, missing in differ] == [
        ("mlw-fraud-prod", ["aks-fraud-prod"])]


def test_with_every_check_only_related_checks_differ(at_repo, tmp_path):
    """The limit of a merge, pinned: with every check, the findings that differ from the single
    scan's are those of checks judging by related resources in another part, and nothing else."""
    whole = tmp_path / "whole.json"
    assert run("scan", ESTATE, "--reproducible", "-q", "-f", "json", "-o", str(whole)).exit_code == 0
    merged = tmp_path / "merged"
    result = run("merge", *scan_parts(tmp_path), "--output-dir", str(merged), "-f", "json")
    assert result.exit_code == 0
    assert "checks judge a resource by related ones" in result.stderr
    one = json.loads(whole.read_text())["findings"]
    many = json.loads((merged / "mlwaf.json").read_text())["findings"]
    assert len(one) == len(many)
    differ = {a["check_id"] for a, b in zip(one, many, strict=True) if a != b}
    assert differ and differ <= set(related())


def test_gate_options_on_the_merge_decide_as_on_a_scan(at_repo, tmp_path):
    skip = ("--skip-checks", ",".join(related()))
    parts = scan_parts(tmp_path, *skip)
    one = run("scan", ESTATE, "-q", "-f", "json", "-o", str(tmp_path / "w.json"), *skip, "--fail-on", "high",
              "--min-score", "security=90")
    many = run("merge", *parts, "-f", "json", "--output-dir", str(tmp_path / "m"), "-q", "--fail-on", "high",
               "--min-score", "security=90")
    assert one.exit_code == many.exit_code == 1
    gate = json.loads((tmp_path / "m" / "mlwaf.json").read_text())["gate"]
    assert gate == json.loads((tmp_path / "w.json").read_text())["gate"]
    assert gate["decision"] == "failed" and len(gate["reasons"]) >= 2


def _edited(src: str, dst: Path, change) -> str:
    data = json.loads(Path(src).read_text())
    change(data)
    dst.write_text(json.dumps(data))
    return str(dst)


def test_reports_of_other_versions_or_checks_are_refused(at_repo, tmp_path):
    dev, graph, _ = scan_parts(tmp_path)
    older = _edited(graph, tmp_path / "older.json", lambda d: d["tool"].update(version="0.0.9"))
    result = run("merge", dev, older, "--output-dir", str(tmp_path / "m"))
    assert result.exit_code == 2
    assert "different tool version" in result.stderr and dev in result.stderr and older in result.stderr
    assert "mlwaf 0.0.9" in result.stderr and not (tmp_path / "m" / "mlwaf.json").exists()

    other = tmp_path / "other.json"
    assert run("scan", ESTATE, "-q", "-f", "json", "-o", str(other), "--exclude", "dev", "--exclude", "prod",
               "--skip-checks", "MLW-SEC-*").exit_code == 0
    result = run("merge", dev, str(other), "--output-dir", str(tmp_path / "m"))
    assert result.exit_code == 2 and "different checks" in result.stderr and str(other) in result.stderr

    params = tmp_path / "params.json"
    toml = tmp_path / "mlwaf.toml"
    toml.write_text('[params]\nrequired_tags = ["owner"]\n')
    assert run("scan", ESTATE, "-q", "-f", "json", "-o", str(params), "--exclude", "dev", "--exclude", "prod",
               "--config", str(toml)).exit_code == 0
    assert "different checks" in run("merge", dev, str(params), "--output-dir", str(tmp_path / "m")).stderr

    before = _edited(dev, tmp_path / "before.json", lambda d: [d["tool"].pop("check_digest")])
    assert "no tool.check_digest" in run("merge", before, graph, "--output-dir", str(tmp_path / "m")).stderr


def test_a_summarized_part_is_refused_and_the_merge_applies_the_limit(at_repo, tmp_path):
    summarized = tmp_path / "s.json"
    assert run("scan", ESTATE, "-q", "-f", "json", "-o", str(summarized), "--detail-limit", "10").exit_code == 0
    result = run("merge", str(summarized), "--output-dir", str(tmp_path / "m"))
    assert result.exit_code == 2 and "--detail-limit 0" in result.stderr
    whole = json.loads(summarized.read_text())
    result = run("merge", *scan_parts(tmp_path), "--output-dir", str(tmp_path / "m"), "-f", "json",
                 "--detail-limit", "10")
    merged = json.loads((tmp_path / "m" / "mlwaf.json").read_text())
    assert merged["omitted"]["expected"] == whole["omitted"]["expected"]
    assert {f["status"] for f in merged["findings"]} <= {"FAIL", "UNKNOWN", "ERROR"}
    assert merged["omitted"]["counts"] == {
        s: sum(1 for f in json.loads(Path(tmp_path / "part-dev.json").read_text())["findings"] if f["status"] == s)
        + sum(1 for p in ("graph", "prod") for f in json.loads((tmp_path / f"part-{p}.json").read_text())["findings"]
              if f["status"] == s)
        for s in ("PASS", "NOT_APPLICABLE")
    }


def test_overlapping_reports_dedupe_by_identity_or_are_refused(at_repo, tmp_path):
    dev, graph, _ = scan_parts(tmp_path)
    twice = shutil.copy(dev, tmp_path / "dev-again.json")
    result = run("merge", dev, graph, str(twice), "-f", "json", "--output-dir", str(tmp_path / "m"))
    assert result.exit_code == 0
    once = run("merge", dev, graph, "-f", "json", "--output-dir", str(tmp_path / "n"))
    assert once.exit_code == 0
    a = json.loads((tmp_path / "m" / "mlwaf.json").read_text())
    b = json.loads((tmp_path / "n" / "mlwaf.json").read_text())
    assert a["findings"] == b["findings"] and a["scores"] == b["scores"]
    assert len(a["duplicates"]) == len(b["duplicates"]) + len(b["resources"]) - 3  # dev's 5 read again

    def flip(d):
        f = next(f for f in d["findings"] if f["status"] == "PASS")
        f["status"] = "FAIL"

    changed = _edited(dev, tmp_path / "dev-changed.json", flip)
    result = run("merge", dev, changed, "--output-dir", str(tmp_path / "o"))
    assert result.exit_code == 2 and "judge it differently" in result.stderr and changed in result.stderr


def test_not_a_report_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = run("merge", str(bad), str(tmp_path / "missing.json"), "--output-dir", str(tmp_path / "m"))
    assert result.exit_code == 2 and "not an mlwaf JSON report" in result.stderr
