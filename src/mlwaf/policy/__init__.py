"""Azure Policy, evaluated offline: built-in and custom definitions, initiatives, assignments
and exemptions, on the resources of a scan, the way Azure evaluates them (docs/policy.md).

The scan calls two functions (see mlwaf.policy.api):

    inputs = build_inputs(policy_sets=..., policy_paths=..., resources=...)
    report = run(inputs, inventory)       # PolicyReport; report.to_dict() is the JSON section
"""

from mlwaf.policy.api import PolicyInputs, build_inputs, run
from mlwaf.policy.results import PolicyReport, PolicyResult, State

__all__ = ["PolicyInputs", "PolicyReport", "PolicyResult", "State", "build_inputs", "run"]
