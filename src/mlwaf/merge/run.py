"""`mlwaf merge` as one result: judged again as one scan of the parts' inputs where they can be
read (mlwaf.merge.rescan: identical to a single scan of the whole scope), else rebuilt from the
parts' reports with each part's verdicts (mlwaf.merge.combine), which the result says, naming
the checks whose verdicts may differ from a single scan's. Either way the scan's own code scores
and gates it, and the reporters write it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from mlwaf import provenance
from mlwaf.merge import combine, rescan
from mlwaf.merge import parts as P
from mlwaf.registry import Registry
from mlwaf.results import ScanResult
from mlwaf.scan import ScanOptions


def merge(paths: Sequence[Path], reg: Registry, options: ScanOptions) -> ScanResult:
    """The reports at `paths` as one result (its `merge` note says how it was judged);
    MergeError when they cannot be merged."""
    parts = [P.load(p) for p in paths]
    P.compatible(parts)
    combine.specs_of(parts[0], reg.sorted())
    planned = rescan.plan(parts)
    reason = rescan.run(parts, planned, reg, options) if isinstance(planned, rescan.Plan) else planned
    if isinstance(reason, ScanResult):
        return reason
    P.listed(parts, reason)
    result = combine.rebuilt(parts, reg.sorted(), combine.MergeOptions(options.gate, options.baseline,
                                                                         options.detail_limit))
    note = provenance.MergeNote(tuple(p.path for p in parts), False, reason,
                                tuple(combine.related_checks(result.checks)))
    return dataclasses.replace(result, merge=note)


def azure_left_out(result: ScanResult, paths: Sequence[Path]) -> bool:
    """Whether a rebuilt merge left out what Azure itself says (a part's `azure` section): only
    a merge judged as one scan reads it again from the inputs."""
    if result.merge is None or result.merge.rescanned:
        return False
    return any(P.load(p).data.get("azure") is not None for p in paths)
