"""`mlwaf merge` of live scans: the mock tenant's subscriptions scanned in three jobs (as a CI
matrix does), each recording what it read (--record), merged, against one live scan of them all,
through the real Azure SDK clients. The merge replays the three recordings as one scan, so what
crosses the jobs (the mock's workspaces all attach one AKS cluster: MLW-REL-031; workspace
members; Azure's policy states, Advisor, Defender and quotas) is judged as the single scan
judges it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlwaf.cli import app
from tests.live.server import MockArm, iter_env

pytestmark = pytest.mark.corpus
runner = CliRunner()


@pytest.fixture
def tenant(estate_factory, monkeypatch):
    estate = estate_factory(subscriptions=4, workspaces=3, forbidden=(3,))
    with MockArm(estate) as mock:
        for key, value in iter_env(mock):
            monkeypatch.setenv(key, value)
        yield estate


def _scan(out, subs, *extra, code=0):
    args = [a for s in subs for a in ("--subscription", s)]
    result = runner.invoke(app, ["scan", *args, "--no-progress", "--reproducible", "-q", "-f", "json", "-o", str(out),
                                 *extra], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return str(out)


# Where each item was read from differs, and only that: the live call (origin.request, the
# recording file a live scan writes) against the recorded file the merge replays; so do the
# inputs named (the single scan recorded nothing) and the merge's note of its parts.
DIFFERS = ("scanned", "inputs", "merge")


def _placeless(items, place="location"):
    """The items without where each was read from (`place`: a finding's or a policy result's
    location, a resource's origin), in one order."""
    return sorted(json.dumps({k: v for k, v in item.items() if k != place}, sort_keys=True) for item in items)


def test_three_live_jobs_merge_to_one_live_scan(tenant, tmp_path):
    subs = sorted(tenant.subscriptions)
    jobs = [subs[:1], subs[1:2], subs[2:]]  # the last job holds the forbidden subscription
    _scan(tmp_path / "whole.json", subs, code=3)  # the forbidden subscription: incomplete
    parts = []
    for i, job in enumerate(jobs):
        (tmp_path / f"job{i}").mkdir()
        parts.append(_scan(tmp_path / f"job{i}" / "part.json", job, "--record", str(tmp_path / f"job{i}" / "rec"),
                           code=3 if i == 2 else 0))
    merged = tmp_path / "merged"
    result = runner.invoke(app, ["merge", *parts, "--output-dir", str(merged)], catch_exceptions=False)
    assert result.exit_code == 3, result.output + result.stderr  # incomplete, as the single scan
    assert "warning" not in result.stderr and "left out" not in result.stderr
    one = json.loads((tmp_path / "whole.json").read_text())
    many = json.loads((merged / "mlwaf.json").read_text())
    assert many["merge"] == {"parts": parts, "judged": "as one scan of the parts' inputs"}
    # The parts alone judge the shared cluster otherwise: the merge is not the parts' verdicts
    # (a part sees its own three workspaces attach the cluster; the tenant sees nine)
    verdicts = {(f["check_id"], f["resource_id"]): (f["status"], f["message"]) for p in parts
                for f in json.loads(Path(p).read_text())["findings"]}
    assert {f["check_id"] for f in one["findings"] if verdicts[f["check_id"], f["resource_id"]] != (
        f["status"], f["message"])} >= {"MLW-REL-031"}
    assert "FAIL" in {f["status"] for f in one["findings"] if f["check_id"] == "MLW-REL-031"}
    assert one["errors"] and one["azure"] and one["policy"]["results"]

    assert set(many) == set(one) | {"merge"}
    for key in set(one) - set(DIFFERS) - {"resources", "findings", "policy", "duplicates"}:
        assert many[key] == one[key], key
    assert _placeless(many["resources"], "origin") == _placeless(one["resources"], "origin")
    assert _placeless(many["findings"]) == _placeless(one["findings"])
    assert _placeless(many["duplicates"]) == _placeless(one["duplicates"])
    # Azure's assignments in the order the replay met them (the first job's management group
    # before the second job's subscription), each with the file it was read from (`source`): the
    # same assignments, summaries and results.
    policy_one, policy_many = dict(one["policy"]), dict(many["policy"])
    summary_one, summary_many = dict(policy_one.pop("summary")), dict(policy_many.pop("summary"))
    for a, b in ((policy_one, policy_many), (summary_one, summary_many)):
        assert set(a) == set(b)
        for key in a:
            place = "source" if key == "assignments" else "location"
            assert (_placeless(a[key], place) == _placeless(b[key], place) if isinstance(a[key], list)
                    else a[key] == b[key]), key
