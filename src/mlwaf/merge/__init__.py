"""`mlwaf merge`: the JSON reports of scans of parts of one scope (a CI matrix over
subscriptions, a folder per job) as the result a single scan of the whole scope would give.

Typed results are rebuilt from the reports (mlwaf.merge.rebuild, mlwaf.merge.policy) and judged
by the scan's own code: scores by mlwaf.scoring from the findings (never averaged), the baseline
and the gate with the merge's options, PASS and NOT_APPLICABLE counted rather than listed above
the detail limit, as a scan does. The reporters then write every format from that result.

Refused, with the files named (MergeError): reports of other tool versions or schema, of other
checks or check parameters (tool.check_digest), evaluating other Azure Policy assignments,
summarized reports (above a scan's detail limit: their per-resource counts are not in the
report; scan the parts with --detail-limit 0), reports without a check digest (written before
it existed), and one resource judged differently by two reports.

Overlap: a resource in two reports (the same uid: normalized id, and deployment for a
template's) is one resource of the merge, taken from the first report that holds it in the
order given, and listed under `duplicates` as a second read (as a scan reading it twice does);
its findings and policy results must be the same in both, or the merge is refused.

Not merged yet: what Azure itself says (a live scan's `azure` section and the `azure` marks of
findings and policy results: policy states, Advisor, Defender, quota headroom) is left out of the
merged reports, and the command says so; findings, scores, policy and the gate do not read it.

A merge equals a single scan when no relation crosses the parts: a check that looks at a
resource in another part (a workspace's key vault in another subscription) saw it missing in
its own part's scan, which a merge cannot undo; split along subscriptions or folders that hold
whole workspaces.
"""

from __future__ import annotations

from mlwaf.merge.combine import MergeError, MergeOptions, related_checks
from mlwaf.merge.run import azure_left_out, merge

__all__ = ["MergeError", "MergeOptions", "azure_left_out", "merge", "related_checks"]
