"""`mlwaf merge`: the JSON reports of scans of parts of one scope (a CI matrix over
subscriptions, a folder per job) as the result a single scan of the whole scope gives.

Judged again as one scan where every part's inputs can be read (mlwaf.merge.rescan: the files or
recordings each report names in `inputs`, unchanged), so relations across the parts are judged as
a single scan judges them. Otherwise rebuilt from the reports (mlwaf.merge.rebuild,
mlwaf.merge.policy, mlwaf.merge.combine) with each part's verdicts, which the result's `merge`
note says, naming the checks that read related resources; what Azure itself says is then left out.
Either way the scan's own code scores and gates (mlwaf.merge.run).

Refused, with the files named (MergeError): reports of other tool versions or schema, of other
checks or check parameters (tool.check_digest), evaluating other Azure Policy assignments of the
whole scope, reports without a check digest; and, rebuilding, summarized reports and one
resource judged differently by two reports (an overlap is otherwise one resource, the first
report's, the others listed under `duplicates`).
"""

from __future__ import annotations

from mlwaf.merge.combine import MergeError, MergeOptions, related_checks
from mlwaf.merge.run import azure_left_out, merge

__all__ = ["MergeError", "MergeOptions", "azure_left_out", "merge", "related_checks"]
