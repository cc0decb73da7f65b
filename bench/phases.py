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
    marks: dict[str, float] = {}
    t = time.perf_counter()
    from mlwaf import engine, gate, registry, scoring
    from mlwaf.inventory import Inventory
    from mlwaf.report import json as json_report
    from mlwaf.results import Assessment, ScanResult
    from mlwaf.scan import DETAIL_LIMIT, ScanOptions, batch_gc, select_checks
    from mlwaf.sources import ReadOptions, read_paths

    marks["import"] = time.perf_counter() - t
    t = time.perf_counter()
    reg = registry.load([])
    checks = select_checks(reg)
    marks["load checks"] = time.perf_counter() - t
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    options = ScanOptions(read=ReadOptions(root=root), reproducible=True)
    with batch_gc():  # as `mlwaf scan` does, from the first file read to the last report
        t = time.perf_counter()
        source = read_paths(paths, options.read)
        marks["read + parse + detect"] = time.perf_counter() - t
        t = time.perf_counter()
        inventory = Inventory(source.resources)
        marks["inventory"] = time.perf_counter() - t
        t = time.perf_counter()
        omitted = engine.summarize_above(inventory, checks, DETAIL_LIMIT if detail_limit is None else detail_limit)
        findings = engine.run(inventory, checks, options.check_params, omit=omitted)
        marks["run checks (+ locate lines)"] = time.perf_counter() - t
        t = time.perf_counter()
        assessment = Assessment(inventory=inventory, findings=findings, scanned=source.scanned,
                                errors=list(source.errors), checks=checks, check_sources=reg.counts,
                                omitted=omitted, scores=scoring.score(findings, inventory, omitted))
        result = ScanResult.decided(assessment, gate.evaluate(assessment))
        marks["scores"] = time.perf_counter() - t
        t = time.perf_counter()
        with out.open("w", encoding="utf-8") as fh:
            json_report.write(result, fh)
        marks["JSON report"] = time.perf_counter() - t
    marks["resources"] = len(inventory)
    marks["findings"] = len(findings)
    marks["findings counted, not listed"] = omitted.total if omitted is not None else 0
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
