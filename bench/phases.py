"""Where a scan's time goes: the same steps as `mlwaf scan -f json`, timed one by one.

Runs in one process (the project's interpreter) and prints JSON: seconds per phase (import,
checks loaded, files read and parsed, inventory, checks run, scores, JSON report rendered and
written). With --profile N, also runs the scan under cProfile and prints the N functions with
the most own time, which is what docs/performance.md quotes when a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

T0 = time.perf_counter()


def scan(paths: list[Path], out: Path, detail_limit: int | None = None) -> dict[str, float]:
    """`mlwaf scan -f json` in this process, through the one entry point (mlwaf.scan.run_scan),
    which tells each phase's end."""
    marks: dict[str, float] = {}
    t = time.perf_counter()
    from mlwaf import report
    from mlwaf.scan import DETAIL_LIMIT, ScanOptions, batch_gc, run_scan
    from mlwaf.sources import ReadOptions

    marks["import"] = time.perf_counter() - t
    names = {"checks loaded": "load checks", "read": "read + parse + detect", "inventory": "inventory",
             "checks run": "run checks (+ locate lines)", "scores": "scores (+ suppressions, baseline)"}

    def phase(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        marks[names.get(name, name)] = now - t
        t = now

    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    options = ScanOptions(read=ReadOptions(root=root), reproducible=True,
                          detail_limit=DETAIL_LIMIT if detail_limit is None else detail_limit)
    t = time.perf_counter()
    with batch_gc():  # as `mlwaf scan` does, from the first file read to the last report
        result = run_scan(paths, options, phases=phase)
        phase("gate")
        with out.open("w", encoding="utf-8") as fh:
            report.FORMATS["json"].reporter().write(result, fh)
        phase("JSON report")
    marks["resources"] = len(result.inventory)
    marks["findings"] = len(result.findings)
    marks["findings counted, not listed"] = result.omitted.total if result.omitted is not None else 0
    return marks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--profile", type=int, default=0, help="print the top N functions by own time")
    ap.add_argument("--detail-limit", type=int, default=None, help="as `mlwaf scan --detail-limit`")
    args = ap.parse_args(argv)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        marks = scan(args.paths, args.out, args.detail_limit)
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("tottime").print_stats(args.profile)
        buf2 = io.StringIO()
        pstats.Stats(prof, stream=buf2).sort_stats("cumulative").print_stats(args.profile)
        print(json.dumps({"phases": marks, "profile_tottime": _trim(buf.getvalue()),
                          "profile_cumulative": _trim(buf2.getvalue())}))
    else:
        print(json.dumps({"phases": scan(args.paths, args.out, args.detail_limit)}))
    return 0


def _trim(report: str) -> str:
    """The table of a pstats report, with the repository's path prefix cut for readability."""
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    root = str(Path(__file__).resolve().parents[1]) + "/"
    return "\n".join(line.replace(root, "").replace(sys.prefix + "/", "") for line in lines[start:] if line.strip())


if __name__ == "__main__":
    raise SystemExit(main())
