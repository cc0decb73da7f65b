"""History benchmarks (issue 16): append, growth, trend, diff on a 100k-resource estate.

    python bench/history.py                       # every part; results in bench/results/<date>-history.md
    python bench/history.py --part append,diff --size 100k

Parts:
  append  `mlwaf history import REPORT --history FILE` of the estate's JSON report into a new
          history (the first run writes every span: the worst case), then of the next day's
          report (1% churn): wall and peak RSS of the whole process. Target < 10 s, < 500 MiB.
  scan-append
          `mlwaf scan ESTATE --history FILE -f json`, the product path of a scheduled audit: the
          run is appended from the scan's own result (no file read). The scan runs as a whole
          process; only its history step (mlwaf.history.recorded.record: the run's rows, the
          append, the marks and the trend) is timed, from inside: wall and CPU of the step, and
          the growth of the process's peak RSS over the step (VmHWM reset through
          /proc/self/clear_refs before it), into a new history (every span written). The scan
          alone peaks far higher; what the step adds is what appending costs.
  growth  30 daily runs with 1% churn appended in one process (store.append of the run read
          once, changed in memory each day): the file's size after each run. Target: it grows
          with what changed, not with the estate.
  trend   365 daily runs with 1% churn in a history, then `mlwaf history trend` as a whole
          process (Python start and the pandas import included). Target < 2 s.
  diff    `mlwaf diff OLD NEW -f json` of two reports of the estate (a day of churn apart)
          against the time to load both (`orjson.loads` of each file in one process). Target
          < 1.5x.

Churn: each day 1% of the resources change: 40% lose their failing findings (fixed), 40% gain
one (a check failing on another resource of the same type), 10% are removed and 10% added (a
copy of a removed one under a new name, with its failing findings). Scores of the run, and of the
subscription, resource group and workspace of every changed resource, move by up to a point.
The estate is bench/generate.py's (seeded), scanned once with `mlwaf scan -f json`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as runner  # noqa: E402 - bench/run.py: measure(), estate(), the results format

from mlwaf import armid  # noqa: E402
from mlwaf.history import reading, runreport, store  # noqa: E402
from mlwaf.history.runreport import FindingRow, ResourceRow, RunReport  # noqa: E402

WORK = runner.WORK / "history"
PARTS = ("append", "scan-append", "growth", "trend", "diff")
START = dt.datetime(2026, 1, 1, 6, tzinfo=dt.UTC)


def report_of(size: int, seed: int) -> Path:
    """The estate's JSON report, scanned once and reused."""
    folder = runner.estate(size, seed)
    out = WORK / f"report-{size}.json"
    stamp = WORK / f"report-{size}.stamp"
    key = (folder.parent / f"{folder.name}.stamp").read_text()
    if out.exists() and stamp.exists() and stamp.read_text() == key:
        return out
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"scanning {size:,} resources for the base report ...", file=sys.stderr)
    runner.repeat([*runner.mlwaf_cmd(), "scan", str(folder), "-f", "json", "-o", str(out), "-q"], 1, ok=(0, 1, 3),
                  timeout=7200)
    stamp.write_text(key)
    return out


class Churn:
    """Day after day of 1% churn applied to a run read once."""

    def __init__(self, run: RunReport, seed: int, rate: float = 0.01) -> None:
        self.run, self.rng, self.rate, self.day = run, random.Random(seed), rate, 0
        self.start = dt.datetime.fromisoformat(run.generated_at) if run.generated_at else START
        self.by_type: dict[str, list[FindingRow]] = {}
        for row in run.findings.values():
            if row.status == "FAIL":
                self.by_type.setdefault(row.resource_type.lower(), []).append(row)
        self.scope_at = {armid.normalize(s["id"]): i for i, s in enumerate(run.scores.get("scopes") or ())}

    def next(self) -> RunReport:
        self.day += 1
        run, rng = self.run, self.rng
        resources, findings = dict(run.resources), dict(run.findings)
        failing: dict[str, list[str]] = {}
        listed: dict[str, list[str]] = {}
        for identity, row in findings.items():
            listed.setdefault(row.resource_uid, []).append(identity)
            if row.status == "FAIL":
                failing.setdefault(row.resource_uid, []).append(identity)
        chosen = rng.sample(sorted(resources), int(len(resources) * self.rate))
        n = len(chosen)
        fix, regress, remove = chosen[: n * 4 // 10], chosen[n * 4 // 10 : n * 8 // 10], chosen[n * 8 // 10 :]
        for uid in fix:
            for identity in failing.get(uid, ()):
                del findings[identity]
        for uid in regress:
            r = resources[uid]
            pool = self.by_type.get(r.type.lower()) or []
            if pool:
                self._fail(findings, r, rng.choice(pool))
        for i, uid in enumerate(remove):
            old = resources.pop(uid)
            for identity in listed.get(uid, ()):
                findings.pop(identity, None)
            if i % 2:  # every other one: a new resource in its place
                new = ResourceRow(*_renamed(old, f"d{self.day}n{i}"))
                resources[new.uid] = new
                for identity in failing.get(uid, ()):
                    self._fail(findings, new, run.findings[identity])
        scores = self._scores(chosen)
        self.run = dataclasses.replace(run, resources=resources, findings=findings, scores=scores,
                                       generated_at=(self.start + dt.timedelta(days=self.day)).isoformat())
        return self.run

    def _fail(self, findings: dict[str, FindingRow], r: ResourceRow, like: FindingRow) -> None:
        identity = runreport.finding_identity({"check_id": like.check_id, "resource_id": r.id}, r.deployment)
        findings.setdefault(identity, like._replace(identity=identity, resource_id=r.id, resource_name=r.name,
                                                    resource_type=r.type, deployment=r.deployment,
                                                    resource_uid=r.uid))

    def _scores(self, chosen: list[str]) -> dict[str, Any]:
        scores = dict(self.run.scores)
        scopes = list(scores.get("scopes") or ())
        touched: set[int] = set()
        for uid in chosen:
            key = uid.split("|", 1)[0]
            cut = key.find("/providers/")
            for prefix in (key[: key.find("/resourcegroups/")], key[:cut] if cut > 0 else key,
                           key.split("/computes/")[0].split("/onlineendpoints/")[0]):
                if prefix in self.scope_at:
                    touched.add(self.scope_at[prefix])
        for i in touched:
            scope = dict(scopes[i])
            scope["overall"] = self._moved(scope.get("overall") or {})
            scopes[i] = scope
        scores["scopes"] = scopes
        scores["overall"] = self._moved(scores.get("overall") or {})
        return scores

    def _moved(self, block: dict[str, Any]) -> dict[str, Any]:
        score = block.get("score")
        if score is None:
            return block
        return {**block, "score": round(min(100.0, max(0.0, score + self.rng.uniform(-1, 1))), 1)}


def _renamed(r: ResourceRow, suffix: str) -> tuple[Any, ...]:
    rid = f"{r.id}-{suffix}"
    return (armid.normalize(rid), rid, r.type, f"{r.name}-{suffix}", r.path, r.deployment)


# --- parts ------------------------------------------------------------------------------------
def measured(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[runner.Run, float]:
    """A whole process, and the CPU seconds (user + system) it and its children used: with other
    work on the machine's two cores, CPU time says what wall time cannot."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = runner.measure(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.rc not in ok:
        raise SystemExit(f"command failed (exit {run.rc}): {' '.join(cmd)}\n{run.stderr[-2000:]}")
    return run, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_of(cmd: list[str], n: int = 3, ok: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """Median wall, CPU and peak RSS (KiB) of n runs."""
    runs = [measured(cmd, ok) for _ in range(n)]
    return (statistics.median(r.wall for r, _ in runs), statistics.median(c for _, c in runs),
            statistics.median(r.rss_kib for r, _ in runs))


def next_day_report(base: Path, seed: int) -> Path:
    """The base report after a day of churn, written by a child process: a measured command's
    peak RSS (ru_maxrss) starts from its parent's at fork, so the parent must stay small."""
    out = WORK / "next-day.json"
    if not out.exists() or out.stat().st_mtime < base.stat().st_mtime:
        runner.repeat([sys.executable, __file__, "--write-next-day", str(out), "--base", str(base),
                       "--seed", str(seed)], 1)
    return out


def part_append(rep: runner.Report, base: Path, size: int, seed: int) -> None:
    history = WORK / "append.db"
    history.unlink(missing_ok=True)
    next_day = next_day_report(base, seed)
    cmd = [*runner.mlwaf_cmd(), "history", "import", "--history", str(history)]
    load = os.getloadavg()[0]
    first, first_cpu = measured([*cmd, str(base)])
    size_after = history.stat().st_size
    second, second_cpu = measured([*cmd, str(next_day)])
    rows = [["first run (every span written)", runner.secs(first.wall), runner.secs(first_cpu),
             runner.mib(first.rss_kib), f"{size_after / 1e6:,.1f} MB"],
            ["next day (1% churn)", runner.secs(second.wall), runner.secs(second_cpu), runner.mib(second.rss_kib),
             f"{history.stat().st_size / 1e6:,.1f} MB"]]
    rep.add(f"Append a {runner.label(size)}-resource run",
            f"`mlwaf history import REPORT --history FILE` as a whole process (load average {load:.1f} at the "
            f"start); the report is {base.stat().st_size / 1e6:,.0f} MB.\n\n"
            + runner.table(["append", "wall", "CPU", "peak RSS", "file after"], rows))
    worst, cpu, rss = max(first.wall, second.wall), max(first_cpu, second_cpu), max(first.rss_kib, second.rss_kib)
    ok_rss = rss < 500 * 1024
    judged = ("met" if worst < 10 else "met in CPU time, not in wall time on this loaded machine") if (
        cpu < 10 and ok_rss) else "MISSED"
    rep.row(f"append {runner.label(size)} run", f"{runner.secs(worst)} wall, {runner.secs(cpu)} CPU, {runner.mib(rss)}",
            "< 10 s, < 500 MiB", judged)


def part_scan_append(rep: runner.Report, size: int, seed: int) -> None:
    history, timings = WORK / "scan-append.db", WORK / "scan-append.json"
    history.unlink(missing_ok=True)
    timings.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    cmd = [sys.executable, __file__, "--time-history-step", str(timings), "--",
           "scan", str(runner.estate(size, seed)), "-f", "json", "-o", os.devnull, "-q", "--history", str(history)]
    scan, _ = measured(cmd, ok=(0,))
    step = json.loads(timings.read_text())
    rows = [[name, runner.secs(wall), runner.secs(cpu)] for name, (wall, cpu) in step["phases"].items()]
    rep.add(f"Append a {runner.label(size)}-resource run from the scan (`mlwaf scan --history`)",
            f"`mlwaf scan ESTATE -f json --history FILE` as a whole process (load average {load:.1f} at the start; "
            f"{runner.secs(scan.wall)} wall and peak RSS {runner.mib(scan.rss_kib)} for the whole scan); the history "
            f"step timed from inside: {runner.secs(step['wall'])} wall, {runner.secs(step['cpu'])} CPU, peak RSS "
            f"+{runner.mib(step['rss_growth_kib'])} over the {runner.mib(step['rss_before_kib'])} the process held "
            f"before it; history {history.stat().st_size / 1e6:,.1f} MB.\n\n"
            + runner.table(["step", "wall", "CPU"], rows))
    judged = "met" if step["wall"] < 10 and step["rss_growth_kib"] < 500 * 1024 else (
        "met in CPU time and memory, not in wall time on this loaded machine"
        if step["cpu"] < 10 and step["rss_growth_kib"] < 500 * 1024 else "MISSED")
    rep.row(f"append {runner.label(size)} run in the scan (--history)",
            f"{runner.secs(step['wall'])} wall, {runner.secs(step['cpu'])} CPU, +{runner.mib(step['rss_growth_kib'])}",
            "< 10 s, < 500 MiB", judged)


def time_history_step(out: Path, cli_args: list[str]) -> int:
    """Run `mlwaf <cli_args>` in this process with its history step timed (the child of
    part_scan_append); writes the timings to `out` and ends the process once the run is in the
    history (the reports after it are not what is measured)."""
    from mlwaf import cli
    from mlwaf.history import recorded

    phases: dict[str, list[float]] = {}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[name] = [time.perf_counter() - wall, time.process_time() - cpu]
        return wrapper

    record = recorded.record
    recorded.runreport.from_items = timed("rows from the scan's result (runreport.from_items)",
                                          recorded.runreport.from_items)
    recorded.store.History.append = timed("append to the store (History.append)", recorded.store.History.append)
    recorded._trend = timed("trend for the HTML panel", recorded._trend)

    def step(*args: Any, **kwargs: Any) -> Any:
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS (VmHWM) := current RSS
        before = _status_kib("VmRSS")
        wall, cpu = time.perf_counter(), time.process_time()
        result = record(*args, **kwargs)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        args[1].close()
        out.write_text(json.dumps({"wall": wall, "cpu": cpu, "rss_before_kib": before,
                                   "rss_growth_kib": _status_kib("VmHWM") - before, "phases": phases}))
        os._exit(0)
        return result

    recorded.record = step
    sys.argv = ["mlwaf", *cli_args]
    cli.run()
    return 1  # the step never ran


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def write_report(run: RunReport, base: Path, out: Path) -> None:
    """A JSON report of a churned run, as a scan would write it: the base report's own items
    (evidence, locations, every key) for what did not change; a finding the churn added is a
    copy of one of its check's, moved to its resource; a resource added in place of a removed
    one has the removed one's policy results, and a removed resource's are dropped. Written in
    mlwaf's own layout (two-space indentation), so the next day is as large as the first."""
    data = orjson.loads(base.read_bytes())
    data["tool"]["generated_at"] = run.generated_at
    by_uid = {runreport.uid(armid.normalize(r["id"]), r.get("deployment")): r for r in data["resources"]}
    resources: list[dict[str, Any]] = []
    renamed: dict[str, dict[str, Any]] = {}  # old normalized id -> the resource in its place
    for r in run.resources.values():
        item = by_uid.get(r.uid)
        if item is None:  # a resource the churn added, in the place of a removed one
            old = by_uid[runreport.uid(armid.normalize(r.id.rsplit("-", 1)[0]), r.deployment)]
            item = {**old, "id": r.id, "name": r.name}
            renamed[armid.normalize(old["id"])] = item
        resources.append(item)
    by_identity: dict[str, dict[str, Any]] = {}
    of_check: dict[str, dict[str, Any]] = {}
    for f in data["findings"]:
        by_identity[runreport.finding_identity(f, f.get("deployment"))] = f
        if f["status"] == "FAIL":
            of_check.setdefault(f["check_id"], f)
    findings: list[dict[str, Any]] = []
    for f in run.findings.values():
        item = by_identity.get(f.identity)
        if item is None or item["status"] != f.status:  # a failure the churn added
            like = of_check[f.check_id]
            item = {**like, "resource_id": f.resource_id, "resource_type": f.resource_type,
                    "resource_name": f.resource_name, **_deployment(f.deployment)}
        findings.append(item)
    data["resources"], data["findings"], data["scores"] = resources, findings, run.scores
    policy = data.get("policy")
    if isinstance(policy, dict):
        kept = {r.key for r in run.resources.values()}
        results = []
        for result in policy.get("results") or ():
            key = armid.normalize(result["resource_id"])
            if key in kept:
                results.append(result)
            if key in renamed:
                item = renamed[key]
                results.append({**result, "resource_id": item["id"], "resource_name": item["name"]})
        policy["results"] = results
    out.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))


def _deployment(deployment: str | None) -> dict[str, str]:
    """A template resource's deployment, as the report writes it on the resource and its findings."""
    return {} if deployment is None else {"deployment": deployment}


def simulate(path: Path, base: RunReport, days: int, seed: int, sizes: list[tuple[int, int, float]] | None = None
             ) -> None:
    path.unlink(missing_ok=True)
    base = dataclasses.replace(base, generated_at=START.isoformat())
    churn = Churn(base, seed)
    with store.History(path) as history:
        store.append(base, history)
        if sizes is not None:
            sizes.append((0, path.stat().st_size, 0.0))
        for day in range(1, days):
            run = churn.next()
            t = time.perf_counter()
            store.append(run, history)
            if sizes is not None:
                sizes.append((day, path.stat().st_size, time.perf_counter() - t))
            elif day % 30 == 0:
                print(f"  day {day}", file=sys.stderr)


def part_growth(rep: runner.Report, base: Path, size: int, seed: int) -> None:
    run = reading.load(base)
    sizes: list[tuple[int, int, float]] = []
    simulate(WORK / "growth.db", run, 30, seed, sizes)
    first, last = sizes[0][1], sizes[-1][1]
    per_day = (last - first) / (len(sizes) - 1)
    rows = [[str(d + 1), f"{s / 1e6:,.1f} MB", f"{t:.2f} s" if d else "(first run)"] for d, s, t in sizes
            if d in (0, 1, 2, 9, 19, 29)]
    rep.add("History growth: 30 daily runs, 1% churn",
            f"{runner.label(size)} resources, runs appended in one process (`store.append`). The first run writes "
            f"every open finding, resource and score; each later run writes what changed.\n\n"
            + runner.table(["run", "file size", "append (in process)"], rows)
            + f"\nGrowth: {per_day / 1e6:,.2f} MB a day, {per_day / first * 100:.1f}% of the first run's size.\n")
    rep.row("history growth (1% churn)", f"{first / 1e6:,.0f} MB, then +{per_day / 1e6:,.2f} MB/day",
            "grows with what changed", runner.verdict(per_day < 0.05 * first))


def part_trend(rep: runner.Report, base: Path, size: int, seed: int, runs: int) -> None:
    path = WORK / f"trend-{runs}.db"
    t = time.perf_counter()
    simulate(path, reading.load(base), runs, seed)
    built = time.perf_counter() - t
    cmd = [*runner.mlwaf_cmd(), "history", "trend", "--history", str(path), "-f", "json", "-o",
           str(WORK / "trend.json")]
    walls = runner.repeat(cmd, 3)
    w = runner.med(walls, "wall")
    start = runner.med(runner.repeat([*runner.mlwaf_cmd(), "--version"], 3), "wall")
    rep.add(f"Trend over {runs} runs",
            f"{runs} daily runs of {runner.label(size)} resources with 1% churn ({path.stat().st_size / 1e6:,.0f} MB "
            f"history, built in {built:,.0f} s). `mlwaf history trend --history FILE -f json` as a whole process, "
            f"median of 3: {runner.secs(w)} (of which `mlwaf --version` start-up {runner.secs(start)}).\n")
    rep.row(f"history trend, {runs} runs", runner.secs(w), "< 2 s", runner.verdict(w < 2))


def part_diff(rep: runner.Report, base: Path, size: int, seed: int) -> None:
    next_day = next_day_report(base, seed)
    load = [sys.executable, "-c", "import orjson, sys\nfor p in sys.argv[1:]: orjson.loads(open(p, 'rb').read())",
            str(base), str(next_day)]
    diff = [*runner.mlwaf_cmd(), "diff", str(base), str(next_day), "-f", "json", "-o", str(WORK / "diff.json")]
    load_avg = os.getloadavg()[0]
    lw, lc, _ = median_of(load)
    dw, dc, drss = median_of(diff, ok=(0, 3))
    counts = json.loads((WORK / "diff.json").read_bytes())["counts"]
    rep.add(f"Diff of two {runner.label(size)}-resource reports",
            f"`mlwaf diff OLD NEW -f json -o FILE` (whole process) against `orjson.loads` of both files in one "
            f"process; medians of 3, load average "
            f"{load_avg:.1f} at the start.\n\n"
            + runner.table(["", "wall", "CPU", "peak RSS"],
                           [["diff", runner.secs(dw), runner.secs(dc), runner.mib(drss)],
                            ["load both", runner.secs(lw), runner.secs(lc), ""],
                            ["ratio", f"**{dw / lw:.2f}x**", f"{dc / lc:.2f}x", ""]])
            + f"\nCounts: {json.dumps(counts)}.\n")
    rep.row(f"diff {runner.label(size)} vs load", f"{dw / lw:.2f}x wall, {dc / lc:.2f}x CPU "
            f"({runner.secs(dw)} vs {runner.secs(lw)})", "< 1.5x", runner.verdict(dw / lw < 1.5))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", default=",".join(PARTS), help=f"comma list of: {', '.join(PARTS)}")
    ap.add_argument("--size", default="100k", help="estate size (bench/generate.py)")
    ap.add_argument("--runs", type=int, default=365, help="runs in the trend history")
    ap.add_argument("--trend-size", default="10k", help="estate size of the trend history (365 appends of a "
                    "100k estate take most of an hour to build)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help="results file (default bench/results/<date>-history.md)")
    ap.add_argument("--write-next-day", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--time-history-step", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("cli_args", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.time_history_step:
        return time_history_step(args.time_history_step, args.cli_args)
    if args.write_next_day:
        write_report(Churn(reading.load(args.base), args.seed).next(), args.base, args.write_next_day)
        return 0
    started = time.perf_counter()
    size = runner.generate.parse_size(args.size)
    base = report_of(size, args.seed)
    rep = runner.Report()
    out = args.out or BENCH / "results" / f"{dt.date.today().isoformat()}-history.md"
    trend_size = runner.generate.parse_size(args.trend_size)
    for part in args.part.split(","):
        print(f"part {part} ...", file=sys.stderr)
        t = time.perf_counter()
        {"append": lambda: part_append(rep, base, size, args.seed),
         "scan-append": lambda: part_scan_append(rep, size, args.seed),
         "growth": lambda: part_growth(rep, base, size, args.seed),
         "trend": lambda: part_trend(rep, report_of(trend_size, args.seed), trend_size, args.seed, args.runs),
         "diff": lambda: part_diff(rep, base, size, args.seed)}[part]()
        print(f"  {time.perf_counter() - t:.0f} s", file=sys.stderr)
        save(rep, out, argv, started)  # after each part: a long run stopped midway keeps what it measured
    print(runner.table(["measure", "value", "target", ""], [list(r) for r in rep.summary]))
    print(f"results: {out}", file=sys.stderr)
    return 0


def save(rep: runner.Report, out: Path, argv: list[str] | None, started: float) -> None:
    summary = runner.table(["measure", "value", "target", ""], [list(r) for r in rep.summary])
    cmdline = "python bench/history.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# mlwaf history benchmarks, {dt.date.today().isoformat()}\n\nCommand: `{cmdline.strip()}` "
                   f"(took {(time.perf_counter() - started) / 60:.1f} min)\n\n"
                   + runner.table(["machine", ""], [[k, v] for k, v in runner.machine().items()])
                   + "\n## Summary\n\n" + summary + "\n" + "\n".join(rep.sections), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
