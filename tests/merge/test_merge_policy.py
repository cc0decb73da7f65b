"""Azure Policy assignments across merged parts: an assignment is its id (scope and name), so two
of one name are two assignments, whether each part judged its own subscription's (kept, each
with its results) or the parts evaluated different whole-scope assignments (refused)."""

from __future__ import annotations

import json
from pathlib import Path

from mlwaf.merge import parts as P
from tests.arm import SUB, WS, body
from tests.merge.test_merge import run, without_inputs
from tests.test_scan_policy import assignment, definition, write

SUB_B = "22222222-2222-2222-2222-222222222222"


def _at(scope: str, rid: str | None = None) -> dict:
    doc = assignment(effect="Audit", scope=scope)
    if rid is None:
        del doc["id"]  # Azure's id: the scope's, then the name
    else:
        doc["id"] = rid
    return doc


def _scan(estate: Path, policies: Path, out: Path, code: int = 0) -> str:
    result = run("scan", str(estate), "--policy", str(policies), "--reproducible", "-q", "-f", "json", "-o", str(out))
    assert result.exit_code == code, result.output
    return str(out)


def test_one_name_assigned_at_each_subscription_stays_two_assignments(tmp_path):
    """A job per subscription, each given its subscription's `aml-guard` assignment: merged per
    part (the parts' verdicts), the two assignments stay two, each with its own results and
    summary entry, as in a single scan given both."""
    def ws(name: str, access: str, sub: str = SUB) -> dict:
        return body(WS, name, {"publicNetworkAccess": access}, location="westeurope", subscription=sub)

    estate = {"a": write(tmp_path / "a", {"public.json": ws("mlw-a-public", "Enabled"),
                                          "private.json": ws("mlw-a-private", "Disabled")}),
              "b": write(tmp_path / "b", {"public.json": ws("mlw-b-public", "Enabled", SUB_B)})}
    policies = {"a": write(tmp_path / "policy-a", {"definition.json": definition(),
                                                    "assignment.json": _at(f"/subscriptions/{SUB}")}),
                "b": write(tmp_path / "policy-b", {"definition.json": definition(),
                                                    "assignment.json": _at(f"/subscriptions/{SUB_B}")})}
    parts = [without_inputs(_scan(estate[k], policies[k], tmp_path / f"{k}.json"), tmp_path / f"{k}-part.json")
             for k in ("a", "b")]
    both = write(tmp_path / "policy-both", {"definition.json": definition(), "a.json": _at(f"/subscriptions/{SUB}"),
                                            "b.json": _at(f"/subscriptions/{SUB_B}")})
    whole = tmp_path / "whole"
    write(whole, {f"{k}-{f.name}": f.read_text() for k in ("a", "b") for f in sorted(estate[k].iterdir())})
    one = json.loads(Path(_scan(whole, both, tmp_path / "whole.json")).read_text())["policy"]

    out = tmp_path / "m"
    assert run("merge", *parts, "--output-dir", str(out), "-f", "json", "-q").exit_code == 0
    many = json.loads((out / "mlwaf.json").read_text())
    assert many["merge"]["judged"] == "per part"
    ids = [f"/subscriptions/{s}/providers/Microsoft.Authorization/policyAssignments/aml-guard" for s in (SUB, SUB_B)]
    assert [(a["id"], a["name"]) for a in many["policy"]["assignments"]] == [(i, "aml-guard") for i in ids]
    assert sorted((r["assignment_id"], r["resource_name"], r["state"]) for r in many["policy"]["results"]) == sorted(
        (r["assignment_id"], r["resource_name"], r["state"]) for r in one["results"]) == [
        (ids[0], "mlw-a-private", "Compliant"), (ids[0], "mlw-a-public", "NonCompliant"),
        (ids[1], "mlw-b-public", "NonCompliant")]
    def entries(policy: dict) -> dict:
        return {e["assignment_id"]: (e["resources"], e["compliance_percent"]) for e in policy["summary"]["assignments"]}

    summary = entries(many["policy"])
    assert summary == entries(one)
    assert summary[ids[0]][1] == 50.0 and summary[ids[1]][1] == 0.0


def test_whole_scope_assignments_of_one_name_and_other_ids_are_refused(tmp_path):
    """Two jobs given `aml-guard` at the whole scope from the same file, which changed between
    them (its id moved to another management group): by name the same, by id two assignments,
    so not parts of one scan."""
    estate = write(tmp_path / "estate", {
        "ws.json": body(WS, "mlw-public", {"publicNetworkAccess": "Enabled"}, location="westeurope")})
    policies = tmp_path / "policies"
    mg = ("/providers/Microsoft.Management/managementGroups/{}/providers/Microsoft.Authorization/"
          "policyAssignments/aml-guard")
    parts = []
    for group in ("contoso", "fabrikam"):
        write(policies, {"definition.json": definition(), "assignment.json": _at("/", mg.format(group))})
        parts.append(_scan(estate, policies, tmp_path / f"{group}.json"))
    sections = [json.loads(Path(p).read_text())["policy"] for p in parts]
    assert [a["id"] for s in sections for a in s["assignments"]] == [mg.format("contoso"), mg.format("fabrikam")]
    assert P.whole_scope(sections[0], ids=False) == P.whole_scope(sections[1], ids=False)  # the name alone
    result = run("merge", *parts, "--output-dir", str(tmp_path / "m"), "-f", "json")
    assert result.exit_code == 2, result.output + result.stderr
    assert "cannot merge reports of different Azure Policy" in result.stderr
    assert mg.format("contoso") in result.stderr and mg.format("fabrikam") in result.stderr

    # A part written before reports gave assignments their ids: every part is compared by name.
    older = _edited_ids(parts[0], tmp_path / "older.json")
    result = run("merge", older, parts[1], "--output-dir", str(tmp_path / "o"), "-f", "json", "-q")
    assert result.exit_code == 0, result.stderr


def _edited_ids(src: str, dst: Path) -> str:
    data = json.loads(Path(src).read_text())
    for a in data["policy"]["assignments"]:
        del a["id"]
    dst.write_text(json.dumps(data))
    return str(dst)
