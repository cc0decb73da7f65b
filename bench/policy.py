"""Azure Policy evaluation cost (issue 14): data load, the corpus with every evaluable built-in
assigned, and synthetic estates with the default assignment beside the scan.

    python bench/policy.py                                  # load, corpus, 10k and 100k estates
    python bench/policy.py --sizes 10k --repeat 5 --out bench/results/x.md
    python bench/policy.py --write-all-builtins /tmp/all   # then: mlwaf scan CORPUS --policy /tmp/all

Every number is a median over --repeat fresh processes (this script starts them), measured
with a monotonic clock inside the child around the step named:
  load      cold import of mlwaf.policy.api; building the default assignment (reads its 43
            definitions from data/builtin.zip); reading all 766 definitions and 147
            initiatives (what `mlwaf policy list --initiatives` and coverage do)
  corpus    ../shared/corpus read once (not timed); then planning and evaluating every
            evaluable built-in (required parameters get an allowed or typed placeholder value),
            and the default assignment
  estate    bench/generate.py estates: mlwaf.scan.run_scan (sources, checks, scores, gate, no
            report writing) with --no-policy, then the same with the default assignment (the
            wired path: scan.evaluate); the ratio is (scan with policy) / (scan without)
Results go to bench/results/<date>-policy.md and stdout. docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CORPUS = REPO.parent / "shared" / "corpus"
WORK = BENCH / ".work"

CHILD = r"""
import json, sys, time
step = sys.argv[1]
t0 = time.perf_counter()
out = {}
class timed:
    # wall (monotonic) and CPU seconds of a step, as out[name] and out[name + " cpu"]
    def __init__(self, name): self.name = name
    def __enter__(self): self.w, self.c = time.perf_counter(), time.process_time()
    def __exit__(self, *exc):
        out[self.name] = time.perf_counter() - self.w
        out[self.name + " cpu"] = time.process_time() - self.c
if step == "load":
    from mlwaf.policy import api
    out["import"] = time.perf_counter() - t0
    t = time.perf_counter(); api.build_inputs(); out["default inputs"] = time.perf_counter() - t
    from mlwaf.policy import catalog
    t = time.perf_counter(); catalog.builtin_definitions(); catalog.builtin_initiatives()
    out["all definitions and initiatives"] = time.perf_counter() - t
elif step == "corpus":
    from pathlib import Path
    from mlwaf.inventory import Inventory
    from mlwaf.sources import read_paths
    from mlwaf.policy import api, applicability, catalog
    from mlwaf.policy.model import Assignment, Initiative, Member
    source = read_paths([Path(sys.argv[2])])
    inventory = Inventory(source.resources, source.listed)
    out["resources"] = len(inventory)
    clock = timed("all evaluable built-ins"); clock.__enter__()
    members = []
    for d in catalog.builtin_definitions():
        if applicability.classify(d)[0] != applicability.ARM:
            continue
        values = {}
        for p in d.parameters.values():
            if p.required:
                typed = {"array": [], "object": {}, "integer": 1, "float": 1.0, "boolean": True}
                values[p.name] = p.allowed[0] if p.allowed else typed.get(p.type, "x")
        members.append(Member(definition_id=d.id, reference_id=d.name, parameters=values))
    set_id = "/providers/Microsoft.Authorization/policySetDefinitions/all"
    everything = Initiative(id=set_id, name="all", display_name="all", members=tuple(members))
    inputs = api.PolicyInputs(assignments=[Assignment(id="/a/all", name="all", definition_id=everything.id)])
    inputs.catalog.add_initiative(everything)
    report = api.run(inputs, inventory)
    clock.__exit__()
    out["definitions"] = len(members)
    out["results"] = len(report.results)
    out["input errors"] = len(report.errors)
    with timed("default assignment"):
        report = api.run(api.build_inputs(resources=source.resources), inventory)
elif step == "estate":
    # The real scan path both ways (scan.run_scan, as `mlwaf scan` runs it, no report written):
    # --no-policy, then the default assignment; "policy" is the difference.
    from pathlib import Path
    from mlwaf.scan import PolicyOptions, ScanOptions, run_scan
    with timed("scan"):
        result = run_scan([Path(sys.argv[2])], ScanOptions(reproducible=True, policy=PolicyOptions(enabled=False)))
    out["resources"] = len(result.inventory)
    del result
    with timed("with policy"):
        result = run_scan([Path(sys.argv[2])], ScanOptions(reproducible=True))
    out["policy"] = out["with policy"] - out["scan"]
    out["policy cpu"] = out["with policy cpu"] - out["scan cpu"]
    out["results"] = len(result.policy.results)
print(json.dumps(out))
"""


def child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = statistics.median(values) if isinstance(values[0], float) else values[0]
    return out


def estate(size: str) -> Path:
    path = WORK / "estates" / size
    if not path.is_dir():
        subprocess.run([sys.executable, str(BENCH / "generate.py"), "--size", size, "--out", str(path)], check=True)
    return path


def write_all_builtins(folder: Path) -> int:
    """Every evaluable built-in as one initiative and its assignment, in files `mlwaf scan
    --policy FOLDER` reads (required parameters get the corpus step's placeholder values): the
    corpus measurement through the real scan path, e.g. paired whole-process runs against --no-policy."""
    from mlwaf.policy import applicability, catalog

    members = []
    for d in catalog.builtin_definitions():
        if applicability.classify(d)[0] != applicability.ARM:
            continue
        typed = {"array": [], "object": {}, "integer": 1, "float": 1.0, "boolean": True}
        values = {p.name: {"value": p.allowed[0] if p.allowed else typed.get(p.type, "x")}
                  for p in d.parameters.values() if p.required}
        members.append({"policyDefinitionId": d.id, "policyDefinitionReferenceId": d.name, "parameters": values})
    folder.mkdir(parents=True, exist_ok=True)
    set_id = "/providers/Microsoft.Authorization/policySetDefinitions/all-evaluable"
    (folder / "initiative.json").write_text(json.dumps({
        "id": set_id, "name": "all-evaluable", "type": "Microsoft.Authorization/policySetDefinitions",
        "properties": {"displayName": "Every evaluable built-in", "policyDefinitions": members}}))
    (folder / "assignment.json").write_text(json.dumps({
        "id": "/providers/Microsoft.Authorization/policyAssignments/all-evaluable", "name": "all-evaluable",
        "type": "Microsoft.Authorization/policyAssignments",
        "properties": {"displayName": "Every evaluable built-in", "policyDefinitionId": set_id}}))
    print(f"{len(members)} definitions in {folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10k,100k")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=BENCH / "results" / f"{dt.date.today().isoformat()}-policy.md")
    ap.add_argument("--write-all-builtins", type=Path, metavar="FOLDER",
                    help="write every evaluable built-in as a --policy folder, then stop")
    args = ap.parse_args(argv)
    if args.write_all_builtins:
        return write_all_builtins(args.write_all_builtins)
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, cwd=REPO).stdout.strip()
    lines = [
        f"# Policy benchmark, {dt.date.today().isoformat()}",
        "",
        f"`python bench/policy.py --sizes {args.sizes} --repeat {args.repeat}` at {commit}; Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start. "
        "Medians of fresh processes, seconds.",
        "",
        "| measurement | value |",
        "|---|---:|",
    ]

    def row(name: str, value: object) -> None:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"| {name} | {shown} |")
        print(f"{name}: {shown}", flush=True)

    load = median_of([child("load") for _ in range(args.repeat)])
    for key, value in load.items():
        row(f"load: {key}", value)
    if CORPUS.is_dir():
        corpus = median_of([child("corpus", str(CORPUS)) for _ in range(args.repeat)])
        for key, value in corpus.items():
            row(f"corpus: {key}", value)
    else:
        row("corpus", "not run: ../shared/corpus is absent")
    for size in [s for s in args.sizes.split(",") if s]:
        path = estate(size)
        runs = [child("estate", str(path)) for _ in range(args.repeat)]
        m = median_of(runs)
        row(f"{size}: resources", m["resources"])
        for key in ("scan", "scan cpu", "policy", "policy cpu"):
            row(f"{size}: {key.replace('policy', 'default policy assignment')}", m[key])
        row(f"{size}: policy results", m["results"])
        for key in ("", " cpu"):
            ratio = statistics.median((r["scan" + key] + r["policy" + key]) / r["scan" + key] for r in runs)
            row(f"{size}: (scan + policy) / scan{key}", ratio)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
