"""Runs compared and remembered: `mlwaf diff`, the history store and what is computed from it.

Everything here works from mlwaf's JSON reports (the README's contract), never from a scan in
progress, so a report archived a year ago, a report from another job of a split tenant scan and
the report a scan just wrote are read the same way.

- `runreport`: one JSON report read compactly (findings by identity, resources, scores, policy,
  what was not assessed); `reading` loads it from a file, whole or streamed.
- `coverage`, `compare`: what a run could see, and how a finding moved between two runs; diff
  and the store share them, so "fixed" means the same thing in both.
- `diff`, `diff_output`, `mdtext`: two reports compared, and written as a table, JSON, Markdown,
  CSV or HTML.
- `store`, `schema`: the SQLite history (state changes, not copies); `store.append` is its entry
  point, `store.prune` forgets old runs.
- `analysis` (pandas, imported only there), `tables`, `digest`: trends, open findings and time to
  fix as tables in every format; the Markdown digest of the latest run.
- `cli`: `mlwaf diff` and the `mlwaf history` commands.
"""

from __future__ import annotations
