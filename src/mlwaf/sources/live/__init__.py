"""Live scans of Azure subscriptions through the Azure SDK (the `live` extra).

Imported only when a live scan is asked for: the offline path never loads `azure`. The result is
a `SourceResult` of the same Resources the offline sources produce (the ARM JSON as Azure returns
it, with an Origin that records the request and API version), so every check runs unchanged.
"""

from __future__ import annotations

from mlwaf.sources.live.auth import AuthError
from mlwaf.sources.live.collect import read_live
from mlwaf.sources.live.options import LiveOptions, LiveUsageError

__all__ = ["AuthError", "LiveOptions", "LiveUsageError", "read_live"]
