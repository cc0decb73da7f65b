"""The floor a scan cannot go below: read and `json.loads` every file a scan would read.

Walks the paths the same way the scanner does (sorted, JSON suffixes) and parses each file with
the C parser; prints {"files": n, "bytes": n, "seconds": s} on stdout. Run as its own process by
bench/run.py so its wall time and peak RSS compare with a whole `mlwaf scan` process.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path

SUFFIXES = {".json", ".jsonc", ".arm"}


def files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames.sort()
                out.extend(Path(dirpath) / n for n in sorted(filenames) if Path(n).suffix.lower() in SUFFIXES)
        else:
            out.append(p)
    return out


def main(argv: list[str]) -> int:
    # --gc-tuned: collect the young generation as rarely as a scan does (mlwaf.scan.batch_gc).
    # With the default thresholds the collector re-walks every parsed object again and again,
    # which is half of the time of `json.loads` on a large estate: the floor is the tuned one.
    if "--gc-tuned" in argv:
        argv = [a for a in argv if a != "--gc-tuned"]
        gc.set_threshold(50_000, *gc.get_threshold()[1:])
    start = time.perf_counter()
    n = size = 0
    keep = []  # hold every document, as a scan does, so the RSS compares like for like
    for path in files([Path(a) for a in argv]):
        text = path.read_text(encoding="utf-8")
        size += len(text)
        keep.append(json.loads(text, strict=False))
        n += 1
    print(json.dumps({"files": n, "bytes": size, "seconds": round(time.perf_counter() - start, 4)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
