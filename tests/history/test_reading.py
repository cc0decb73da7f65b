"""Reports read whole (orjson) or streamed (ijson) give the same runs."""

from __future__ import annotations

import copy
import json

import pytest

from mlwaf.history import reading, runreport

from .conftest import scan_report, write


def same(a: runreport.RunReport, b: runreport.RunReport) -> None:
    assert a.findings == b.findings and a.resources == b.resources
    assert (a.tool, a.errors, a.counted, a.summarized, a.scores, a.gate, a.policy, a.scanned) == (
        b.tool, b.errors, b.counted, b.summarized, b.scores, b.gate, b.policy, b.scanned)


@pytest.mark.parametrize("summarized", [False, True])
def test_streamed_and_whole_reads_agree(estate, tmp_path, summarized):
    pytest.importorskip("ijson")
    report = scan_report(estate, detail_limit=1 if summarized else None, generated_at="2026-11-01T06:00:00+00:00")
    report["policy"] = {"results": [{"assignment": "a", "definition_id": "d", "state": "NonCompliant",
                                     "resource_id": report["resources"][0]["id"]}], "summary": {"a": 50.0}}
    path = write(tmp_path / "r.json", report)
    whole, streamed = reading.load(path), reading.load(path, stream=True)
    same(whole, streamed)
    assert reading._by_lines(path, "r.json") is not None  # mlwaf's layout: read a line at a time
    assert whole.summarized is summarized and whole.policy is not None and whole.generated_at is not None


def test_streamed_read_finds_sections_in_any_order(sample_report, tmp_path):
    pytest.importorskip("ijson")
    shuffled = {k: copy.deepcopy(sample_report[k]) for k in reversed(list(sample_report))}
    # A key of a section quoted inside a finding must not be taken for the section itself.
    shuffled["findings"][-1]["evidence"] = [{"path": "tags", "value": {"omitted": {"x": 1}, "scores": 1}}]
    path = write(tmp_path / "r.json", shuffled)
    assert reading._by_lines(path, "r.json") is None  # findings before resources: another reader
    same(reading.load(path), reading.load(path, stream=True))


def test_a_report_in_another_layout_is_read_the_same(sample_report, tmp_path):
    pytest.importorskip("ijson")
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps(sample_report, separators=(",", ":")))
    assert reading._by_lines(compact, "compact.json") is None
    same(reading.load(compact), reading.load(compact, stream=True))
    four = tmp_path / "four.json"
    four.write_text(json.dumps(sample_report, indent=4))
    same(reading.load(four), reading.load(four, stream=True))


def test_tail_key_inside_the_last_finding_is_not_the_tail(sample_report, tmp_path):
    pytest.importorskip("ijson")
    report = copy.deepcopy(sample_report)
    report["findings"][-1]["message"] = 'x", "omitted": null, "scores": {}}'
    report["findings"][-1]["evidence"] = [{"path": "p", "value": {"a": 1, "omitted": None}}]
    path = write(tmp_path / "r.json", report)
    same(reading.load(path), reading.load(path, stream=True))


def test_policy_results_are_read_one_at_a_time_and_only_in_the_policy_section(estate, tmp_path):
    """The policy section's results (about two hundred thousand at 100k resources) are streamed
    like findings: a "results" list at the same indentation in another section is not theirs."""
    report = scan_report(estate, policy=True)
    results = report["policy"]["results"]
    assert len(results) > 10 and any(r["state"] == "NonCompliant" for r in results)
    decoy = [{"assignment": "decoy", "definition_id": "d", "state": "NonCompliant",
              "resource_id": report["resources"][0]["id"]}]
    sections = list(report.items())
    at = [k for k, _ in sections].index("policy")
    laid = dict([*sections[:at], ("before", {"results": decoy}), *sections[at:], ("after", {"results": decoy})])
    path = write(tmp_path / "r.json", laid)
    streamed = reading._by_lines(path, "r.json")
    assert streamed is not None  # mlwaf's layout: read item by item
    whole = reading.load(path)
    same(whole, streamed)
    assert whole.policy is not None and len(whole.policy.results) == len({runreport.policy_identity(r)
                                                                           for r in results})
    assert not any(r.assignment == "decoy" for r in streamed.policy.results.values())
