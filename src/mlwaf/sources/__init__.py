"""Sources turn inputs into Resources. Each input kind has its own module; this one walks paths.

What a source is told and what it gives back (`ReadOptions`, `SourceResult`, `display_path`) live
in the leaf modules `options` and `result`, which every reader imports; they are named here too,
where callers have always found them.

Only offline sources live at this level; `sources.live` imports the Azure SDK and is loaded only
for live scans, so an offline scan never pays for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlwaf.sources.options import ReadOptions, display_path
from mlwaf.sources.result import SourceResult

__all__ = ["ReadOptions", "SourceResult", "display_path", "read_paths"]


def read_paths(paths: Iterable[Path], options: ReadOptions | None = None) -> SourceResult:
    # The readers load with the first read: a live scan imports this package (ReadOptions,
    # SourceResult) and reads no files.
    from mlwaf.sources import documents, walk

    options = options or ReadOptions()
    exclusions = walk.Exclusions(options.exclude, options.outputs)
    entries = walk.walk(list(paths), exclusions, show=lambda p: display_path(p, options.root))
    return documents.read_files(entries, options)
