"""A merge judged as one scan of the parts' inputs (mlwaf.merge.rescan): the not-assessed entries
of a part that the inputs cannot reproduce are carried into the result and gated again, and each
check that the one scan is the parts' scan falls back, with its reason, to the parts' verdicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mlwaf.cli import app
from tests.merge.test_merge import ESTATE, REPO, at_repo, related, run, runner, scan_parts

__all__ = ["at_repo"]  # the fixture, used by name

WARNING = "warning: the parts were not judged again as one scan"


def test_a_not_assessed_entry_the_inputs_do_not_reproduce_is_carried_and_gated(at_repo, tmp_path):
    """graph's job could not write its HTML report (a folder stands where it goes): its JSON report
    says the scan is incomplete, with an entry no file of the estate reproduces. The merge judges
    the files again as one scan, keeps that entry and gates on it as a single scan gates on an
    entry it could not assess: incomplete, exit 3 (allowed with --allow-incomplete)."""
    dev, _, prod = scan_parts(tmp_path)
    job = tmp_path / "job-graph"
    (job / "mlwaf.html" / "in-the-way").mkdir(parents=True)
    result = runner.invoke(app, ["scan", ESTATE, "--reproducible", "-q", "-f", "json", "-f", "html", "--output-dir",
                                 str(job), "--exclude", "dev", "--exclude", "prod"])
    assert isinstance(result.exception, IsADirectoryError)  # the job's own internal error (exit 4)
    graph = str(job / "mlwaf.json")
    (entry,) = json.loads(Path(graph).read_text())["errors"]
    assert entry["path"] == "report: html" and "IsADirectoryError" in entry["message"]

    merged = tmp_path / "merged"
    result = run("merge", dev, graph, prod, "--output-dir", str(merged), "-f", "json")
    assert result.exit_code == 3, result.output + result.stderr
    assert WARNING not in result.stderr
    many = json.loads((merged / "mlwaf.json").read_text())
    assert many["merge"] == {"parts": [dev, graph, prod], "judged": "as one scan of the parts' inputs",
                             "carried_errors": 1}
    assert many["errors"] == [entry]
    assert many["gate"]["decision"] == "incomplete" and many["gate"]["exit_code"] == 3
    # Everything else is the single scan's.
    whole = tmp_path / "whole.json"
    assert run("scan", ESTATE, "--reproducible", "-q", "-f", "json", "-o", str(whole)).exit_code == 0
    one = json.loads(whole.read_text())
    for key in ("findings", "resources", "scores", "policy"):
        assert many[key] == one[key], key

    allowed = run("merge", dev, graph, prod, "--output-dir", str(tmp_path / "allowed"), "-f", "json",
                  "--allow-incomplete")
    assert allowed.exit_code == 0, allowed.output + allowed.stderr
    assert json.loads((tmp_path / "allowed" / "mlwaf.json").read_text())["errors"] == [entry]


def _fell_back(result, out: Path, reason: str) -> dict:
    """The merge's JSON note after a fallback whose reason contains `reason`, said on stderr too."""
    assert result.exit_code == 0, result.output + result.stderr
    assert WARNING in result.stderr and reason in result.stderr, result.stderr
    note = json.loads((out / "mlwaf.json").read_text())["merge"]
    assert note["judged"] == "per part" and reason in note["reason"]
    assert note["related_checks"] == related()
    return note


def test_other_check_parameters_on_the_merge_fall_back(at_repo, tmp_path):
    """The one scan runs with the merge's mlwaf.toml: other [params] give another check digest,
    so it is not the parts' scan."""
    parts = scan_parts(tmp_path)
    toml = tmp_path / "mlwaf.toml"
    toml.write_text('[params]\nrequired_tags = ["owner"]\n')
    out = tmp_path / "m"
    result = run("merge", *parts, "--output-dir", str(out), "-f", "json", "--config", str(toml))
    _fell_back(result, out, "the merge's check parameters differ from the parts'")
    # The same [params] as the parts (none): judged as one scan.
    same = run("merge", *parts, "--output-dir", str(tmp_path / "n"), "-f", "json")
    assert json.loads((tmp_path / "n" / "mlwaf.json").read_text())["merge"]["judged"] != "per part", same.stderr


def test_other_policy_assignments_of_the_whole_scope_on_the_merge_fall_back(at_repo, tmp_path):
    """The parts evaluated mlwaf's default assignment; a merge with --no-policy would evaluate
    none, so its one scan is not the parts'."""
    parts = scan_parts(tmp_path)
    out = tmp_path / "m"
    note = _fell_back(run("merge", *parts, "--output-dir", str(out), "-f", "json", "--no-policy"), out,
                      "the merge evaluates other Azure Policy assignments of the whole scope (not evaluated)")
    assert "mlwaf-default" in note["reason"]


def test_a_file_added_since_the_parts_scans_falls_back(at_repo, tmp_path):
    """Every file a part read is unchanged, but one scan of the parts' paths now reads one more (a
    template added to dev/ after the jobs ran): not the parts' scan."""
    estate = tmp_path / "estate"
    shutil.copytree(REPO / ESTATE, estate)
    parts = []
    for name, excluded in (("dev", ("graph", "prod")), ("rest", ("dev",))):
        out = tmp_path / f"part-{name}.json"
        assert run("scan", str(estate), "--reproducible", "-q", "-f", "json", "-o", str(out),
                   *(a for e in excluded for a in ("--exclude", e))).exit_code == 0
        parts.append(str(out))
    assert run("merge", *parts, "--output-dir", str(tmp_path / "before"), "-f", "json").stderr == ""
    shutil.copy(estate / "dev" / "azuredeploy.json", estate / "dev" / "later.json")
    out = tmp_path / "m"
    _fell_back(run("merge", *parts, "--output-dir", str(out), "-f", "json"), out,
               "one scan of the parts' paths reads other files than the parts did")
    assert f"{estate}/dev/later.json" in json.loads((out / "mlwaf.json").read_text())["merge"]["reason"]


def test_an_entry_the_one_scan_judged_again_is_not_carried(at_repo, tmp_path):
    """Every job given the same --parameters file and --param: the jobs without the template they
    are for say so (not assessed); the one scan has that template, and, like a single scan of the
    whole scope, says nothing: the merge is complete, not incomplete by the split."""
    given = ("--parameters", f"{ESTATE}/dev/azuredeploy.parameters.json", "--param", "workspaceName=mlw-x")
    parts = scan_parts(tmp_path, *given, codes=(0, 3, 3))
    unused = json.loads(Path(parts[1]).read_text())["errors"]
    assert {e["path"] for e in unused} == {"dev/azuredeploy.parameters.json", "--param workspaceName"}
    whole = tmp_path / "whole.json"
    assert run("scan", ESTATE, "--reproducible", "-q", "-f", "json", "-o", str(whole), *given).exit_code == 0
    merged = tmp_path / "m"
    result = run("merge", *parts, "--output-dir", str(merged), "-f", "json")
    assert result.exit_code == 0, result.output + result.stderr
    many = json.loads((merged / "mlwaf.json").read_text())
    assert many["merge"] == {"parts": parts, "judged": "as one scan of the parts' inputs"}
    one = json.loads(whole.read_text())
    assert many["errors"] == one["errors"] == [] and many["gate"] == one["gate"]
