"""Runs for the history tests: the sample estate copied, edited and scanned through the same
pipeline as `mlwaf scan`, and its JSON report as a dict (what `mlwaf diff` and the store read)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlwaf.report import json as json_report
from mlwaf.scan import PolicyOptions, ScanOptions, run_scan
from mlwaf.sources import ReadOptions

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fixtures" / "sample-estate"


def scan_report(folder: Path, *, detail_limit: int | None = None, generated_at: str | None = None,
                policy: bool = False) -> dict[str, Any]:
    """The JSON report of a scan of `folder`, as `mlwaf scan -f json` writes it; with `policy`,
    as it writes it by default (Azure Policy's default assignment evaluated), else as
    `mlwaf scan --no-policy` does (the tests that build a policy section of their own)."""
    extra: dict[str, Any] = {} if detail_limit is None else {"detail_limit": detail_limit}
    options = ScanOptions(read=ReadOptions(root=folder), reproducible=True, policy=PolicyOptions(enabled=policy),
                          **extra)
    report = json.loads(json_report.render(run_scan([folder], options)))
    if generated_at is not None:
        report["tool"]["generated_at"] = generated_at
    return report


def edit(path: Path, change: Any) -> None:
    """Apply `change(document)` to a JSON file of the estate."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def computes(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["value"] if c["name"] == name)


@pytest.fixture()
def estate(tmp_path: Path) -> Path:
    """A fresh copy of the sample estate per test (tests edit it)."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "estate"))


@pytest.fixture(scope="session")
def sample_report() -> dict[str, Any]:
    return scan_report(SAMPLE)


def write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return path


DAY = "2026-11-{:02d}T06:00:00+00:00"


def gpu_local_auth(estate, enabled: bool) -> None:
    edit(estate / "prod" / "computes.json", lambda c: computes(c, "gpu-always-on").update(
        properties={**computes(c, "gpu-always-on")["properties"], "disableLocalAuth": not enabled}))


@pytest.fixture()
def days(estate):
    """Five scans of an estate that changes: a regression and a fix, a file that cannot be read,
    a file removed (with failing resources), and a fix undone."""
    reports = [scan_report(estate, generated_at=DAY.format(1))]
    edit(estate / "prod" / "workspace.json", lambda w: w["properties"].update(publicNetworkAccess="Enabled"))
    gpu_local_auth(estate, enabled=False)
    reports.append(scan_report(estate, generated_at=DAY.format(2)))
    good = (estate / "prod" / "online-endpoints.json").read_text()
    (estate / "prod" / "online-endpoints.json").write_text("{ broken")
    reports.append(scan_report(estate, generated_at=DAY.format(3)))
    (estate / "prod" / "online-endpoints.json").write_text(good)
    (estate / "graph" / "resource-graph.json").unlink()
    reports.append(scan_report(estate, generated_at=DAY.format(4)))
    gpu_local_auth(estate, enabled=True)
    reports.append(scan_report(estate, generated_at=DAY.format(5)))
    return reports


