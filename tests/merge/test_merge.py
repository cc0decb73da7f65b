"""`mlwaf merge` against single scans: the sample estate split three ways (folders left out with
--exclude, so every part has the same scan root and paths), through the command line as a CI
matrix runs it."""

from __future__ import annotations

import json
import re
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


def scan_parts(tmp: Path, *extra: str, parts: dict[str, tuple[str, ...]] = PARTS,
               codes: tuple[int, ...] = (0, 0, 0)) -> list[str]:
    reports = []
    for (name, excluded), code in zip(parts.items(), codes, strict=True):
        out = tmp / f"part-{name}.json"
        result = run("scan", ESTATE, "--reproducible", "-q", "-f", "json", "-o", str(out),
                     *(a for e in excluded for a in ("--exclude", e)), *extra)
        assert result.exit_code == code, result.output
        reports.append(str(out))
    return reports


# What legitimately differs between the merge and the single scan, and only that: the merged
# JSON report names its parts and how they were judged (`merge`).
MERGE_ONLY = ("merge",)


def without_merge_line(path: Path) -> bytes:
    """A merged report without the one line that says how it was judged (HTML, Markdown: a
    single scan's reports have none; tests/merge/test_merge_shown.py)."""
    text = path.read_bytes()
    if path.suffix == ".html":
        return re.sub(rb'    <p id="merge" [^\n]*</p>\n', b"", text, count=1)
    if path.suffix == ".md":
        return re.sub(rb"\n_Merged: [^\n]*_\n", b"", text, count=1)
    return text


def without_inputs(src: str, dst: Path) -> str:
    """A part that does not name its inputs (a live scan without --record, an older report)."""
    return _edited(src, dst, lambda d: d.pop("inputs"))


def test_three_parts_merge_to_the_single_scan_in_every_format(at_repo, tmp_path):
    """Three folders as parts, every check: the split cuts the estate's relations (prod's AKS
    cluster is in graph/, the fraud project's dev and prod workspaces are in dev/ and prod/), which
    the parts judge on their own; the merge judges the parts' files again as one scan, so every
    report is the single scan's, byte for byte, but the JSON's merge note."""
    whole = tmp_path / "whole"
    assert run("scan", ESTATE, "--reproducible", "-q", "--output-dir", str(whole)).exit_code == 0
    parts = scan_parts(tmp_path)
    merged = tmp_path / "merged"
    result = run("merge", *parts, "--output-dir", str(merged), "-q")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stderr == ""
    assert sorted(p.name for p in merged.iterdir()) == sorted(p.name for p in whole.iterdir())
    for path in whole.iterdir():
        if path.name != "mlwaf.json":
            assert without_merge_line(merged / path.name) == path.read_bytes(), path.name
    one = json.loads((whole / "mlwaf.json").read_text())
    many = json.loads((merged / "mlwaf.json").read_text())
    assert many.pop("merge") == {"parts": parts, "judged": "as one scan of the parts' inputs"}
    assert set(MERGE_ONLY) == {"merge"} and many == one
    # The parts alone judged the relations across them otherwise (what the merge undoes).
    own = {(f["check_id"], f["resource_id"]): (f["status"], f["message"]) for p in parts
           for f in json.loads(Path(p).read_text())["findings"]}
    differ = {f["check_id"] for f in one["findings"] if own[f["check_id"], f["resource_id"]] != (
        f["status"], f["message"])}
    assert {"MLW-OPS-030"} <= differ <= set(related())
    scopes = [s for p in parts for s in json.loads(Path(p).read_text())["scores"]["scopes"]]
    assert next(s for s in one["scores"]["scopes"] if s["name"] == "mlw-fraud-prod") not in scopes


def test_parts_whose_inputs_are_gone_are_judged_per_part_and_say_so(at_repo, tmp_path):
    """The fallback: a part that names no inputs (or whose files changed) cannot be judged again;
    the merge keeps each part's verdicts, says so on stderr and in the JSON, naming the checks
    whose verdicts may differ from a single scan, and differs only in those."""
    whole = tmp_path / "whole.json"
    assert run("scan", ESTATE, "--reproducible", "-q", "-f", "json", "-o", str(whole)).exit_code == 0
    dev, graph, prod = scan_parts(tmp_path)
    merged = tmp_path / "merged"
    result = run("merge", dev, without_inputs(graph, tmp_path / "graph-old.json"), prod, "--output-dir", str(merged),
                 "-f", "json")
    assert result.exit_code == 0
    assert "warning: the parts were not judged again as one scan" in result.stderr
    assert "graph-old.json does not name inputs" in result.stderr and "MLW-OPS-030" in result.stderr
    many = json.loads((merged / "mlwaf.json").read_text())
    note = many["merge"]
    assert note["judged"] == "per part" and "graph-old.json" in note["reason"]
    assert note["related_checks"] == related() and "MLW-REL-031" in related()
    one = json.loads(whole.read_text())["findings"]
    assert len(one) == len(many["findings"])
    differ = {a["check_id"] for a, b in zip(one, many["findings"], strict=True) if a != b}
    assert differ and differ <= set(related())

    changed = tmp_path / "estate"
    shutil.copytree(REPO / ESTATE, changed)
    part = tmp_path / "changed.json"
    assert run("scan", str(changed), "-q", "-f", "json", "-o", str(part), "--exclude", "dev").exit_code == 0
    (changed / "prod" / "workspace.json").write_text((changed / "prod" / "workspace.json").read_text() + " ")
    result = run("merge", dev, str(part), "--output-dir", str(tmp_path / "m2"), "-f", "json")
    assert "prod/workspace.json missing or changed" in result.stderr, result.stderr[:600]
    assert json.loads((tmp_path / "m2" / "mlwaf.json").read_text())["merge"]["judged"] == "per part"


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


def test_a_summarized_part_is_refused_per_part_and_the_merge_applies_the_limit(at_repo, tmp_path):
    summarized = tmp_path / "s.json"
    assert run("scan", ESTATE, "-q", "-f", "json", "-o", str(summarized), "--detail-limit", "10").exit_code == 0
    # Judged again from its inputs, a summarized part is fine: the merge applies its own limit.
    assert run("merge", str(summarized), "--output-dir", str(tmp_path / "r"), "-f", "json").exit_code == 0
    result = run("merge", without_inputs(str(summarized), tmp_path / "old.json"), "--output-dir", str(tmp_path / "m"))
    assert result.exit_code == 2 and "--detail-limit 0" in result.stderr
    whole = json.loads(summarized.read_text())
    parts = [without_inputs(p, Path(p).with_suffix(".old.json")) for p in scan_parts(tmp_path)]
    result = run("merge", *parts, "--output-dir", str(tmp_path / "m"), "-f", "json", "--detail-limit", "10")
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
    """Judged again, a part given twice is read once. Rebuilt from reports (inputs gone), an
    overlap is deduped by identity, or refused when the reports judge it differently."""
    dev, graph, _ = scan_parts(tmp_path)
    for name in ("m", "n"):
        extra = [dev] if name == "m" else []
        assert run("merge", dev, graph, *extra, "-f", "json", "--output-dir", str(tmp_path / name)).exit_code == 0
    assert ((tmp_path / "m" / "mlwaf.json").read_text().replace(f'"{dev}",\n      "{graph}",\n      "{dev}"',
                                                                 f'"{dev}",\n      "{graph}"')
            == (tmp_path / "n" / "mlwaf.json").read_text())
    dev, graph = (without_inputs(p, Path(p).with_suffix(".old.json")) for p in (dev, graph))
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
