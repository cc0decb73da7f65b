"""Which resources a definition can say anything about (policy-applicability.md).

- Resource-provider modes (`Microsoft.KeyVault.Data`, `Microsoft.Kubernetes.Data`, ...) judge
  data-plane objects (keys, pods, models) that no template, export or ARM GET holds, and
  definitions whose outcome is runtime state (Defender assessments, guest configuration
  assignments, backup items) need data only Azure's own services produce. Neither is evaluated;
  both are reported as not evaluated, with the reason.
- Mode `Indexed` (and no mode, which Azure treats as Indexed) evaluates only resource types that
  support tags and location; `All` evaluates every type. The table of types that support tags
  is data/tag_support.json, an extract of Microsoft's tag-support page with its source.
- Azure Policy evaluates no `Microsoft.Resources` type but subscriptions and resource groups.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlwaf.policy.model import Definition
from mlwaf.policy.parse import get

ARM = "arm"
RP_MODE = "rp-mode"
RUNTIME_STATE = "runtime-state"

# details.type of the existence effects whose related resources are runtime state.
RUNTIME_STATE_TYPES = {
    "microsoft.guestconfiguration/guestconfigurationassignments": "guest configuration assignments "
    "(the Machine Configuration agent's report from inside the machine)",
    "microsoft.security/assessments": "Microsoft Defender for Cloud assessments",
    "microsoft.security/complianceresults": "Microsoft Defender for Cloud compliance results",
    "microsoft.recoveryservices/backupprotecteditems": "Azure Backup protected items",
}

_TAG_TABLE = Path(__file__).with_name("data") / "tag_support.json"


def classify(definition: Definition) -> tuple[str, str]:
    """(class, reason): `arm` (evaluable from ARM JSON), `rp-mode` or `runtime-state`."""
    mode = (definition.mode or "").lower()
    if mode not in ("", "all", "indexed"):
        return RP_MODE, (
            f"mode {definition.mode} evaluates data-plane objects of the resource provider, which no "
            "ARM template, export or GET holds"
        )
    then = get(definition.rule, "then") or {}
    details = get(then, "details") if isinstance(then, dict) else None
    if isinstance(details, dict):
        rtype = get(details, "type")
        if isinstance(rtype, str) and rtype.lower() in RUNTIME_STATE_TYPES:
            return RUNTIME_STATE, f"its outcome is runtime state: {RUNTIME_STATE_TYPES[rtype.lower()]}"
    return ARM, ""


@functools.cache
def _table() -> tuple[frozenset[str], Mapping[str, bool], Mapping[str, Any]]:
    doc = json.loads(_TAG_TABLE.read_text())
    return frozenset(doc["namespaces"]), doc["types"], doc["source"]


def supports_tags(resource_type: str) -> bool | None:
    """Whether a type supports tags per the table, or None when the table does not say."""
    _, types, _ = _table()
    return types.get(resource_type.lower())


def table_source() -> Mapping[str, Any]:
    return _table()[2]


def evaluated_type(resource_type: str) -> bool:
    """Azure Policy skips Microsoft.Resources types other than subscriptions and resource groups."""
    t = resource_type.lower()
    return not t.startswith("microsoft.resources/") or t in (
        "microsoft.resources/subscriptions",
        "microsoft.resources/resourcegroups",
        "microsoft.resources/subscriptions/resourcegroups",
    )


def mode_applies(definition: Definition, resource_type: str) -> bool | str:
    """True/False for the mode, or the reason it cannot be told (an Indexed definition on a
    type the tag-support table does not list)."""
    mode = (definition.mode or "indexed").lower()
    if mode == "all":
        return True
    tags = supports_tags(resource_type)
    if tags is None:
        return (
            f"mode Indexed evaluates only types that support tags; whether {resource_type} does is "
            "not in mlwaf's tag-support table (src/mlwaf/policy/data/tag_support.json)"
        )
    return tags
