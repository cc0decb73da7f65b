"""mlwaf benchmarks: one entry point, one results file per run.

    python bench/run.py                                  # every part, default sizes
    python bench/run.py --part checkov,startup --repeat 5
    python bench/run.py --part scaling,parse --sizes 1k,10k,100k,1M

Parts (issue 8; docs/performance.md holds the recorded numbers and how to read them):
  checkov  mlwaf vs checkov (pinned, installed by this script into bench/.work/checkov-venv)
           on every ARM template of ../shared/corpus, both in the same run
  scaling  synthetic estates (bench/generate.py, seeded) of each size: wall, resources/s,
           peak RSS, and the growth exponent between sizes (1.0 = linear)
  parse    json.loads of the same files (bench/parse_only.py) vs the full scan: scan / parse
  startup  `mlwaf --version` and a one-file scan as whole processes (medians)
  live     the live scanner against the local mock server, when both exist in the tree

Every measurement is a whole process started by this script; wall time is a monotonic clock
around it, peak RSS is the child's own ru_maxrss from wait4 (the largest process) and, for
tools that fork workers, the sampled sum over the process tree. Medians over --repeat runs.
Results go to bench/results/<date>.md and a summary table to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
CORPUS = REPO.parent / "shared" / "corpus"
CHECKOV_VERSION = "3.3.30"
CHECKOV_VENV = WORK / "checkov-venv"
DEFAULT_SIZES = "1k,10k,100k,1M"
PARTS = ("checkov", "scaling", "parse", "startup", "live")

sys.path.insert(0, str(BENCH))
import generate  # noqa: E402 - bench/ is not a package; its generator sits beside this file


# --- measuring one process -------------------------------------------------------------------
@dataclass
class Run:
    wall: float
    rss_kib: int  # ru_maxrss of the largest process (Linux: KiB)
    tree_kib: int  # sampled peak of the sum of RSS over the process tree
    rc: int
    stdout: str = ""
    stderr: str = ""


def _tree_rss_kib(pid: int) -> int:
    """Sum of VmRSS over a process and its descendants, from /proc (no psutil needed)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                ppid = vm = 0
                for line in fh:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("VmRSS:"):
                        vm = int(line.split()[1])
            parents[int(entry)] = ppid
            rss[int(entry)] = vm
        except (OSError, ValueError):
            continue
    total, todo = 0, [pid]
    children: dict[int, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def measure(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            sample_tree: bool = False, timeout: float = 3600) -> Run:
    out_path = WORK / "last.stdout"
    err_path = WORK / "last.stderr"
    WORK.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=tree_env(env), cwd=cwd)
        peak = [0]
        stop = threading.Event()
        if sample_tree:
            def sample() -> None:
                while not stop.wait(0.05):
                    peak[0] = max(peak[0], _tree_rss_kib(proc.pid))
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
            time.sleep(0.002)
        wall = time.perf_counter() - start
        stop.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_maxrss, max(peak[0], usage.ru_maxrss), proc.returncode,
               out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def repeat(cmd: list[str], n: int, ok: tuple[int, ...] = (0,), **kw: Any) -> list[Run]:
    runs = []
    for _ in range(n):
        r = measure(cmd, **kw)
        if r.rc not in ok:
            raise SystemExit(f"command failed (exit {r.rc}): {' '.join(cmd)}\n{r.stderr[-2000:]}")
        runs.append(r)
    return runs


def med(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def secs(s: float) -> str:
    return f"{s:.3f} s" if s < 10 else f"{s:.1f} s"


# --- the machine -------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "checks"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return {
        "cores (nproc)": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "mlwaf commit": commit + (" (+ uncommitted changes)" if dirty else ""),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# Set by --tree: measure the mlwaf of another source tree (a patched copy) instead of this one.
TREE: Path | None = None


def tree_env(env: dict[str, str] | None = None) -> dict[str, str] | None:
    if TREE is None:
        return env
    base = dict(env or os.environ)
    base["PYTHONPATH"] = str(TREE / "src")
    return base


def mlwaf_cmd() -> list[str]:
    if TREE is not None:
        return [sys.executable, "-c", "from mlwaf.cli import run; run()"]
    exe = Path(sys.executable).with_name("mlwaf")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mlwaf.cli"]


# --- parts ------------------------------------------------------------------------------------
@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    summary: list[tuple[str, str, str, str]] = field(default_factory=list)  # what, value, target, verdict

    def add(self, title: str, body: str) -> None:
        self.sections.append(f"## {title}\n\n{body.rstrip()}\n")

    def row(self, what: str, value: str, target: str = "", verdict: str = "") -> None:
        self.summary.append((what, value, target, verdict))


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def corpus_templates() -> list[Path]:
    """Every ARM template of the corpus (MANIFEST.tsv kind `arm-template`)."""
    manifest = CORPUS / "MANIFEST.tsv"
    rows = manifest.read_text(encoding="utf-8").splitlines()
    head = rows[0].split("\t")
    out = []
    for line in rows[1:]:
        rec = dict(zip(head, line.split("\t"), strict=False))
        if rec.get("kind") == "arm-template":
            path = CORPUS / rec["local_path"]
            if path.is_file():
                out.append(path)
    return sorted(out)


def ensure_checkov() -> Path:
    """checkov at the pinned version in its own virtual environment (never in the project's)."""
    exe = CHECKOV_VENV / "bin" / "checkov"
    if exe.exists():
        got = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip()
        if got == CHECKOV_VERSION:
            return exe
    print(f"installing checkov=={CHECKOV_VERSION} into {CHECKOV_VENV.relative_to(REPO)} ...", file=sys.stderr)
    if not (CHECKOV_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
    subprocess.run([str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    f"checkov=={CHECKOV_VERSION}"], check=True)
    return exe


def part_checkov(rep: Report, n: int) -> None:
    if not CORPUS.is_dir():
        rep.add("Offline scan vs checkov", f"not run: {CORPUS} is missing")
        rep.row("vs checkov", "not run (no corpus)")
        return
    files = corpus_templates()
    checkov = ensure_checkov()
    out = WORK / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false",
               PYTHONWARNINGS="ignore", LOG_LEVEL="ERROR")
    m_cmd = [*mlwaf_cmd(), "scan", *map(str, files), "-f", "json", "-o", str(out / "corpus-mlwaf.json"), "-q"]
    c_cmd = [str(checkov), "--framework", "arm", "--skip-download", "--quiet", "--compact", "-o", "json",
             *[a for f in files for a in ("-f", str(f))]]
    # Warm both (page cache, .pyc), then alternate so drift hits both tools alike.
    measure(m_cmd, env=env)
    measure(c_cmd, env=env)
    m_runs, c_runs = [], []
    for _ in range(n):
        m_runs += repeat(m_cmd, 1, ok=(0, 1, 3), env=env, sample_tree=True)
        c_runs += repeat(c_cmd, 1, ok=(0, 1), env=env, sample_tree=True)
    mlwaf_findings = len(json.loads((out / "corpus-mlwaf.json").read_text())["findings"])
    try:
        cj = json.loads(c_runs[-1].stdout)
        cj = cj if isinstance(cj, list) else [cj]
        c_summary = {k: sum(int(r.get("summary", {}).get(k, 0)) for r in cj) for k in ("passed", "failed")}
        checkov_results = f"{c_summary['passed']} passed, {c_summary['failed']} failed"
    except (ValueError, AttributeError):
        checkov_results = "(output not JSON)"
    mw, cw = med(m_runs, "wall"), med(c_runs, "wall")
    ratio = cw / mw
    body = (
        f"Inputs: the {len(files)} ARM templates of ../shared/corpus (MANIFEST.tsv kind `arm-template`), "
        f"named as files to both tools.\n\n"
        f"- mlwaf: `mlwaf scan <files> -f json -o ... -q`\n"
        f"- checkov {CHECKOV_VERSION} (own venv, bench/.work): `checkov --framework arm --skip-download "
        f"--quiet --compact -o json -f <file> ...`\n\n"
        + table(
            ["tool", "median wall", "min wall", "peak RSS (largest process)", "peak RSS (tree)", "results"],
            [
                ["mlwaf", secs(mw), secs(min(r.wall for r in m_runs)), mib(med(m_runs, "rss_kib")),
                 mib(med(m_runs, "tree_kib")), f"{mlwaf_findings} findings"],
                [f"checkov {CHECKOV_VERSION}", secs(cw), secs(min(r.wall for r in c_runs)),
                 mib(med(c_runs, "rss_kib")), mib(med(c_runs, "tree_kib")), checkov_results],
            ],
        )
        + f"\nRatio (checkov / mlwaf wall, medians of {n} alternating runs): **{ratio:.1f}x**; "
        f"memory ratio (tree peak): {med(c_runs, 'tree_kib') / med(m_runs, 'tree_kib'):.1f}x.\n"
    )
    rep.add("1. Offline scan vs checkov", body)
    rep.row("vs checkov (corpus templates)", f"{ratio:.1f}x faster ({secs(mw)} vs {secs(cw)})", ">= 20x",
            verdict(ratio >= 20))


def estate(size: int, seed: int) -> Path:
    """The generated estate of a size, reused while the generator and seed are unchanged."""
    out = WORK / "estates" / f"{size}"
    stamp = WORK / "estates" / f"{size}.stamp"
    key = f"{seed} {(BENCH / 'generate.py').stat().st_mtime_ns}"
    if out.is_dir() and stamp.exists() and stamp.read_text() == key:
        return out
    print(f"generating {size:,} resources ...", file=sys.stderr)
    t = time.perf_counter()
    generate.generate(size, out, seed)
    stamp.write_text(key)
    print(f"  generated in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return out


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 and size % 1_000_000 == 0 else (
        f"{size // 1000}k" if size % 1000 == 0 else str(size))


def part_scaling(rep: Report, sizes: list[int], n: int, seed: int, do_scan: bool, do_parse: bool,
                 profile: bool) -> None:
    rows, prow = [], []
    points: list[tuple[int, float, float]] = []
    ratio_at: dict[int, float] = {}
    for size in sizes:
        folder = estate(size, seed)
        summary = json.loads((folder.parent / f"{folder.name}.summary.json").read_text())
        reps = n if size < 1_000_000 else 1
        report_file = WORK / "out" / f"scale-{size}.json"
        report_file.parent.mkdir(parents=True, exist_ok=True)
        scan_runs: list[Run] = []
        if do_scan or do_parse:
            cmd = [*mlwaf_cmd(), "scan", str(folder), "-f", "json", "-o", str(report_file), "-q"]
            scan_runs = repeat(cmd, reps, ok=(0, 1, 3), timeout=7200)
            w, rss = med(scan_runs, "wall"), med(scan_runs, "rss_kib")
            points.append((size, w, rss))
            rows.append([label(size), f"{summary['files']:,}", f"{summary['bytes'] / 1e6:,.0f} MB",
                         secs(w), f"{size / w:,.0f}", mib(rss),
                         f"{report_file.stat().st_size / 1e6:,.0f} MB", str(reps)])
        if do_parse:
            pcmd = [sys.executable, str(BENCH / "parse_only.py"), str(folder)]
            p_default = med(repeat(pcmd, reps), "wall")
            p_runs = repeat([*pcmd, "--gc-tuned"], reps)
            pw = med(p_runs, "wall")  # the floor: parsing as fast as this interpreter can
            ratio_at[size] = med(scan_runs, "wall") / pw
            prow.append([label(size), secs(pw), secs(p_default), mib(med(p_runs, "rss_kib")),
                         secs(med(scan_runs, "wall")), f"**{ratio_at[size]:.1f}x**",
                         f"{med(scan_runs, 'wall') / p_default:.1f}x"])
    if rows:
        slopes = []
        for (s0, w0, r0), (s1, w1, r1) in itertools.pairwise(points):
            k = math.log(s1 / s0)
            slopes.append([f"{label(s0)} -> {label(s1)}", f"{math.log(w1 / w0) / k:.2f}",
                           f"{math.log(r1 / r0) / k:.2f}",
                           f"{(w1 - w0) / (s1 - s0) * 1e6:.1f} us", f"{(r1 - r0) / (s1 - s0):.1f} KiB"])
        body = (
            f"Estates from `bench/generate.py` (seed {seed}): Resource Graph pages of workspaces and their "
            "dependencies plus REST list pages of computes, endpoints, deployments and diagnostic "
            "settings (see the generator's docstring). Command: `mlwaf scan <estate> -f json -o ... -q`.\n\n"
            + table(["resources", "files", "input", "median wall", "resources/s", "peak RSS", "JSON report",
                     "runs"], rows)
            + "\nGrowth between sizes: exponent of time and memory (log-log slope; 1.00 = linear) and the "
            "marginal cost per extra resource.\n\n"
            + table(["sizes", "time exponent", "RSS exponent", "time / resource", "RSS / resource"], slopes)
        )
        rep.add("2. Scaling", body)
        for size, w, rss in points:
            rep.row(f"scan {label(size)} resources", f"{secs(w)}, {size / w:,.0f} res/s, {mib(rss)}",
                    "< 2 GiB RSS" if size == 100_000 else ("completes" if size >= 1_000_000 else ""),
                    verdict(rss < 2 * 1024 * 1024) if size == 100_000 else ("met" if size >= 1_000_000 else ""))
        if len(points) > 1:
            last = slopes[-1]
            rep.row(f"growth {last[0]}", f"time^{last[1]}, RSS^{last[2]}", "linear (~1.0)",
                    verdict(float(last[1]) < 1.15))
    if prow:
        rep.add("3. Distance from the limit: parse only vs full scan",
                "`python bench/parse_only.py <estate> --gc-tuned` reads and `json.loads` every file the "
                "scan reads (and keeps them, as a scan does) in one process, with the garbage collector "
                "tuned as the scan tunes it: that is the floor. The default-GC column is the same parse "
                "with the interpreter's default thresholds, twice as slow on large estates. The scan "
                "column is the same run as above.\n\n"
                + table(["resources", "parse-only wall (floor)", "parse-only, default GC", "parse-only RSS",
                         "scan wall", "scan / floor", "scan / default-GC parse"], prow))
        for size, r in ratio_at.items():
            rep.row(f"scan / parse at {label(size)}", f"{r:.1f}x", "<= 2x" if size == 100_000 else "",
                    verdict(r <= 2) if size == 100_000 else "")
    if profile and sizes:
        size = 100_000 if 100_000 in sizes else sizes[-1]
        folder = estate(size, seed)
        prof = measure([sys.executable, str(BENCH / "phases.py"), str(folder), "--out",
                        str(WORK / "out" / "phases.json"), "--profile", "25"])
        plain = measure([sys.executable, str(BENCH / "phases.py"), str(folder), "--out",
                         str(WORK / "out" / "phases.json")])
        phases = json.loads(plain.stdout)["phases"]
        body = f"In-process phases of one scan of {label(size)} resources (`python bench/phases.py`, no profiler):\n\n"
        body += table(["phase", "seconds"], [[k, f"{v:.3f}" if isinstance(v, float) else str(v)]
                                             for k, v in phases.items()])
        data = json.loads(prof.stdout)
        body += "\ncProfile, top functions by own time (`bench/phases.py --profile 25`; the profiler " \
                "roughly doubles Python-heavy phases):\n\n```\n" + data["profile_tottime"] + "\n```\n"
        rep.add(f"Profile at {label(size)}", body)


def part_startup(rep: Report, n: int) -> None:
    small = REPO / "fixtures" / "sample-estate"
    one = None
    if CORPUS.is_dir():
        hits = sorted(CORPUS.rglob("Workspace/get.json"))
        one = hits[0] if hits else None
    if one is None:
        cands = sorted(small.rglob("*.json")) if small.is_dir() else []
        one = cands[0] if cands else None
    n = max(n, 10)
    version = repeat([*mlwaf_cmd(), "--version"], n)
    rows = [["`mlwaf --version`", secs(med(version, "wall")), secs(min(r.wall for r in version)),
             mib(med(version, "rss_kib"))]]
    vw = med(version, "wall")
    rep.row("`mlwaf --version`", secs(vw), "< 0.3 s", verdict(vw < 0.3))
    if one is not None:
        out = WORK / "out" / "one.json"
        scan = repeat([*mlwaf_cmd(), "scan", str(one), "-f", "json", "-o", str(out), "-q"], n, ok=(0, 1, 3))
        sw = med(scan, "wall")
        rows.append([f"`mlwaf scan {one.name} -f json` (one file)", secs(sw), secs(min(r.wall for r in scan)),
                     mib(med(scan, "rss_kib"))])
        rep.row("one-file scan", secs(sw), "< 0.6 s", verdict(sw < 0.6))
        full = repeat([*mlwaf_cmd(), "scan", str(one), "--output-dir", str(WORK / "out" / "one-all"), "-q"], n,
                      ok=(0, 1, 3))
        rows.append(["same file, every report format", secs(med(full, "wall")), secs(min(r.wall for r in full)),
                     mib(med(full, "rss_kib"))])
    py = repeat([sys.executable, "-c", "pass"], n)
    rows.append(["`python -c pass` (interpreter floor)", secs(med(py, "wall")), secs(min(r.wall for r in py)),
                 mib(med(py, "rss_kib"))])
    rep.add("4. Start-up",
            f"Whole processes, {n} runs each.\n\n" + table(["command", "median", "min", "peak RSS"], rows))


# Rows per Resource Graph page the mock serves: the scanner asks for $top=1000, the most Resource
# Graph returns per page ("work with data": https://learn.microsoft.com/azure/governance/resource-graph/concepts/work-with-data).
# ARM list pages stay at 2 items, fewer than services send: a workspace's 3 computes take 2 calls.
LIVE_GRAPH_PAGE = 1000
LIVE_LIST_PAGE = 2
# The tests' Resource Graph page (tests/live/server.py): measured once more at the default
# concurrency, to show what serial skip-token paging costs when pages are small.
LIVE_SMALL_GRAPH_PAGE = 4
LIVE_SMALL_PAGES = True  # --live-quick leaves the small-page row (and concurrencies but the default) out


# What the collectors of Azure's own facts ask for (sources/live/facts.py): the other Resource Graph
# tables, the subscriptions' management-group chains, usages, SKUs, quotas and providers.
_FACT_TABLES = ("authorizationresources", "advisorresources", "securityresources", "policyresources")


def _fact_request(entry: Any) -> bool:
    if entry.method == "POST":
        query = str((entry.body or {}).get("query", ""))
        return query.startswith(_FACT_TABLES) or (query.startswith("resourcecontainers") and "properties" in query)
    path = entry.path.split("?", 1)[0].lower()
    return path.endswith(("/usages", "/skus", "/quotas")) or path.startswith("/providers/microsoft.")


def part_live(rep: Report, concurrencies: tuple[int, ...] = (1, 8, 16, 32), workspaces: int = 1000,
              latency_ms: float = 50.0, default_concurrency: int = 16) -> None:
    """The live scanner, whole process, against the local HTTPS mock of ARM (tests/live/server.py)
    with `latency_ms` added to every answer. The server runs in this process on its own threads;
    every request it answers is counted, so requests per workspace is measured, not estimated.
    CPU is measured on both sides: the scanner's from the rusage of reaped children, the server's
    as this process's CPU time (it does nothing else while the scan runs but poll for its end)."""
    if not CORPUS.is_dir():
        rep.add("5. Live scan", "**not run**: the mock server builds its estate from ../shared/corpus, absent here.")
        rep.row(f"live, {workspaces:,} workspaces @ {latency_ms:g} ms", "not run: no ../shared/corpus", "< 60 s", "")
        return
    import resource

    sys.path.insert(0, str(REPO))
    from tests.live.server import Corpus, MockArm, build_estate, iter_env

    corpus = Corpus(CORPUS)
    # the same workspaces in 1 and 10 subscriptions, and a tenth of them in one
    layouts = [(1, workspaces), (10, workspaces // 10), (1, workspaces // 10)]
    estates = {layout: build_estate(corpus, subscriptions=layout[0], workspaces=layout[1], forbidden=())
               for layout in layouts}
    rows: list[list[str]] = []
    default_wall = None

    def one(layout: tuple[int, int], concurrency: int, graph_page: int) -> None:
        nonlocal default_wall
        estate = estates[layout]
        mock = MockArm(estate, latency=latency_ms / 1000, graph_page=graph_page, list_page=LIVE_LIST_PAGE).start()
        try:
            env = dict(os.environ)
            env.update(dict(iter_env(mock)))
            out = WORK / "out" / f"live-{layout[0]}x{layout[1]}-c{concurrency}-g{graph_page}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            cmd = [*mlwaf_cmd(), "scan", *[a for s in estate.subscriptions for a in ("--subscription", s)],
                   "--max-concurrency", str(concurrency), "--time-budget", "3600", "--no-progress",
                   "-f", "json", "-o", str(out), "-q"]
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            server = time.process_time()
            run = measure(cmd, env=env, timeout=3600)
            server_cpu = time.process_time() - server
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            scanner_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
            if run.rc not in (0, 1):
                raise SystemExit(f"live scan failed (exit {run.rc}): {run.stderr[-2000:]}")
            report = json.loads(out.read_text())
            log = mock.requests()
            requests, resources = len(log), len(report["resources"])
            facts = sum(1 for e in log if _fact_request(e))
        finally:
            mock.stop()
        if layout == layouts[0] and concurrency == default_concurrency and graph_page == LIVE_GRAPH_PAGE:
            default_wall = run.wall
        count = layout[0] * layout[1]
        rows.append([
            f"{layout[0]} x {layout[1]:,}", str(concurrency), f"{graph_page:,}", secs(run.wall), f"{requests:,}",
            f"{facts:,}", f"{requests / run.wall:,.0f}", f"{requests / count:.2f}",
            f"{(requests - facts) / count:.2f}", f"{resources:,}", secs(scanner_cpu), secs(server_cpu),
            mib(run.rss_kib),
        ])

    for concurrency in concurrencies:
        one(layouts[0], concurrency, LIVE_GRAPH_PAGE)
    one(layouts[1], default_concurrency, LIVE_GRAPH_PAGE)
    one(layouts[2], default_concurrency, LIVE_GRAPH_PAGE)
    if LIVE_SMALL_PAGES:
        one(layouts[0], default_concurrency, LIVE_SMALL_GRAPH_PAGE)
    rep.add(
        "5. Live scan",
        f"`mlwaf scan --subscription ... --max-concurrency N -f json` against tests/live/server.py "
        f"(HTTPS, self-signed CA via REQUESTS_CA_BUNDLE, token via MLWAF_ACCESS_TOKEN), {workspaces:,} "
        f"workspaces with computes, endpoints, deployments and dependencies built from the corpus's REST "
        f"examples, {latency_ms:g} ms added to every answer; one run each. "
        f"The default concurrency is {default_concurrency}. Requests are counted by the server. "
        f"Resource Graph pages hold {LIVE_GRAPH_PAGE:,} rows (the scanner asks for $top={LIVE_GRAPH_PAGE:,}, "
        f"the most Resource Graph returns per page); ARM list pages hold {LIVE_LIST_PAGE} items, so a "
        f"workspace's three computes take two calls. "
        + (f"The last row serves Resource Graph pages of {LIVE_SMALL_GRAPH_PAGE} rows, as the tests do: "
           "skip-token pages come one after the other. " if LIVE_SMALL_PAGES else "")
        + "Scanner CPU is the scan process's user+system time; server CPU is the benchmark process's, "
        "where the mock server runs (both share the machine's cores).\n\n"
        + table(["subscriptions x workspaces", "concurrency", "Resource Graph page", "wall", "requests",
                 "of which Azure's facts", "requests/s", "requests per workspace",
                 "per workspace without the facts", "resources", "scanner CPU", "server CPU", "peak RSS"], rows)
        + "\n\nRequests per workspace stay the same with 1 or 10 subscriptions: Resource Graph answers "
        "for all subscriptions in one paged query, and the per-workspace ARM lists (computes, "
        "connections, datastores, schedules, diagnostic settings) do not depend on the subscription count. "
        "Azure's facts (role assignments, Advisor, Defender, policy, management-group chains: one paged query "
        "per table per batch of subscriptions; usages, SKUs and quotas: four lists per subscription and region; "
        "aliases: one call per namespace custom policies read) grow with subscriptions and regions, not "
        "workspaces.",
    )
    if default_wall is not None:
        rep.row(f"live, {workspaces:,} workspaces @ {latency_ms:g} ms (concurrency {default_concurrency})",
                secs(default_wall), "< 60 s", verdict(default_wall < 60))


def _section_order(section: str) -> str:
    """Numbered parts in their issue order, the profile last."""
    title = section[3:]
    return title if title[:1].isdigit() else "9" + title


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", default=",".join(PARTS), help=f"comma list of: {', '.join(PARTS)}")
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="estate sizes for scaling/parse, e.g. 1k,10k,100k,1M")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (1M runs once)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile summary of the scan")
    ap.add_argument("--out", type=Path, help="results file (default bench/results/<date>.md)")
    ap.add_argument("--live-quick", action="store_true", help="live part: the default concurrency only, no "
                    "small-page row (the layouts' requests per workspace and the 60 s target)")
    ap.add_argument("--tree", type=Path, help="measure the mlwaf source tree in this folder (its src/ and "
                    "checks/), e.g. a copy with a proposed fix; results then say so")
    args = ap.parse_args(argv)
    global TREE
    TREE = args.tree.resolve() if args.tree else None
    parts = [p.strip() for p in args.part.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    sizes = [generate.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    rep = Report()
    info = machine()
    started = time.perf_counter()
    if "startup" in parts:
        part_startup(rep, args.repeat)
    if "checkov" in parts:
        part_checkov(rep, args.repeat)
    if "scaling" in parts or "parse" in parts:
        part_scaling(rep, sizes, args.repeat, args.seed, "scaling" in parts, "parse" in parts,
                     profile=not args.no_profile)
    if "live" in parts:
        global LIVE_SMALL_PAGES
        LIVE_SMALL_PAGES = not args.live_quick
        part_live(rep, concurrencies=(16,) if args.live_quick else (1, 8, 16, 32))

    today = dt.date.today().isoformat()
    out = args.out or RESULTS / (f"{today}.md" if TREE is None else f"{today}-{TREE.name}.md")
    if TREE is not None:
        info["mlwaf source"] = f"the tree in {TREE} (--tree), not this checkout"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmdline = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    summary = table(["measure", "value", "target", ""], [list(r) for r in rep.summary])
    text = (
        f"# mlwaf benchmark results, {today}\n\n"
        f"Command: `{cmdline.strip()}` (medians of {args.repeat} runs, except the 1M scan and each live "
        f"row, which run once; took "
        f"{(time.perf_counter() - started) / 60:.1f} min)\n\n"
        + table(["machine", ""], [[k, v] for k, v in info.items()])
        + "\n## Summary\n\n" + summary + "\n" + "\n".join(sorted(rep.sections, key=_section_order))
    )
    out.write_text(text, encoding="utf-8")
    print(summary)
    print(f"results: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    return 0


if __name__ == "__main__":
    if shutil.which("git") is None:
        print("note: git not found; the commit will be left out", file=sys.stderr)
    raise SystemExit(main())
