"""The sample reports in docs/sample-reports/ are what `mlwaf scan` writes for fixtures/sample-estate
today: the README's first command writes the same bytes to reports/, the default output folder,
where no committed file lives (a scan from the repository root never changes the samples).

They are regenerated here, with the command a user runs, and compared byte for byte: a change to
a check, a reporter or the estate that changes a report must come with the regenerated reports,
so the committed samples never drift from the code. To regenerate, from the repository root:

    mlwaf scan fixtures/sample-estate --reproducible --output-dir docs/sample-reports -q
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "docs" / "sample-reports"
SCAN = ["scan", "fixtures/sample-estate", "--reproducible"]
REGENERATE = "mlwaf " + " ".join(SCAN) + " --output-dir docs/sample-reports -q"


def regenerate(out: Path) -> subprocess.CompletedProcess[str]:
    # Run from the repository root, as the documented command is: SARIF paths are relative to it.
    return subprocess.run(
        [sys.executable, "-m", "mlwaf.cli", *SCAN, "--output-dir", str(out), "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_committed_sample_reports_match_a_fresh_scan(tmp_path):
    run = regenerate(tmp_path)
    assert run.returncode in (0, 1), run.stderr  # the sample estate fails checks on purpose
    fresh = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in COMMITTED.iterdir()) if COMMITTED.is_dir() else []
    assert fresh == committed, f"report files differ; regenerate with: {REGENERATE}"
    stale = []
    for name in fresh:
        new, old = (tmp_path / name).read_bytes(), (COMMITTED / name).read_bytes()
        if new != old:
            diff = difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(),
                new.decode("utf-8", "replace").splitlines(),
                f"docs/sample-reports/{name}",
                "fresh scan",
                lineterm="",
                n=1,
            )
            stale.append("\n".join(list(diff)[:20]))
    assert not stale, f"sample reports are stale; regenerate with: {REGENERATE}\n\n" + "\n\n".join(stale)


def test_sample_reports_carry_no_timestamp_or_local_path():
    for path in COMMITTED.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "generated_at" not in text and "startTimeUtc" not in text, path.name
        assert str(REPO) not in text and "file://" not in text, path.name


def test_the_readme_first_command_is_this_scan_and_writes_to_reports():
    """The README's first command runs the scan compared above, into the default output folder,
    reports/: not the folder of the committed samples, and not committed (.gitignore)."""
    import inspect

    from mlwaf import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (first,) = [line for line in readme.splitlines() if line.startswith("python3 -m venv .venv &&")]
    assert first.endswith("&& mlwaf " + " ".join(SCAN))
    assert inspect.signature(cli.scan).parameters["output_dir"].default == Path("reports")
    assert "/reports/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert COMMITTED != REPO / "reports"
