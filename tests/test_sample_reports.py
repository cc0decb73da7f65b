"""The sample reports in reports/ are what `mlwaf scan` writes for fixtures/sample-estate today.

They are regenerated here, with the command a user runs, and compared byte for byte: a change to
a check, a reporter or the estate that changes a report must come with the regenerated reports,
so the committed samples never drift from the code. To regenerate, from the repository root:

    mlwaf scan fixtures/sample-estate --reproducible --output-dir reports -q
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "reports"
SCAN = ["scan", "fixtures/sample-estate", "--reproducible"]
REGENERATE = "mlwaf " + " ".join(SCAN) + " --output-dir reports -q"


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
                f"reports/{name}",
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
