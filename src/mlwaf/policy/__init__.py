"""Azure Policy, evaluated offline: built-in and custom definitions, initiatives, assignments
and exemptions, on the resources of a scan, the way Azure evaluates them (docs/policy.md).

The scan calls two functions (see mlwaf.policy.api):

    inputs = build_inputs(policy_sets=..., policy_paths=..., resources=...)
    report = run(inputs, inventory)       # PolicyReport; report.to_dict() is the JSON section

The names below are imported on first use, so `mlwaf --help` and a scan with policy turned
off do not load the evaluator.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PolicyInputs": "mlwaf.policy.api",
    "build_inputs": "mlwaf.policy.api",
    "run": "mlwaf.policy.api",
    "PolicyReport": "mlwaf.policy.results",
    "PolicyResult": "mlwaf.policy.results",
    "State": "mlwaf.policy.results",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlwaf.policy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
