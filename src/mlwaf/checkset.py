"""What a scan's checks were, as one digest: two reports judged by different checks (another
selection, a changed custom check, other check parameters) must never be merged into one.

The digest covers each selected check's id, metadata (pillar, severity, types, parameters and
defaults: what a finding and a score carry) and the parameter values the scan gave it; for a check
loaded from outside the package (--checks-dir, an entry point) also its module's source, which
no version number tracks. Built-in checks are covered by the tool's version beside it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlwaf.check import CheckSpec


def digest(checks: Sequence[CheckSpec], params: Mapping[str, Mapping[str, Any]]) -> str:
    """`sha256:<hex>` of the checks and their parameter values, in id order."""
    h = hashlib.sha256()
    for spec in sorted(checks, key=lambda s: s.id):
        meta = spec.to_dict()
        entry = {
            "id": spec.id, "pillar": meta["pillar"], "severity": meta["severity"],
            "resource_types": meta["resource_types"], "param_types": meta["param_types"],
            "defaults": meta["defaults"], "params": params.get(spec.id, {}),
            "code": "" if spec.source == "builtin" else _module_source(getattr(spec.fn, "__module__", "")),
        }
        h.update(json.dumps(entry, sort_keys=True, default=str).encode())
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


@lru_cache(maxsize=256)
def _module_source(name: str) -> str:
    """The digest of a custom check's module file ("" when it has none)."""
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return ""
