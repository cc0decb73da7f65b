"""Pillar scores: the weighted share of passed findings, with coverage beside every score.

Score = 100 * sum(weight of PASS) / sum(weight of PASS + FAIL), weights high 5, medium 3, low 1.
UNKNOWN is never a pass or a fail: it lowers coverage = assessed / (assessed + not assessed)
instead, so a scan that could not see much cannot look good. A check that raised (ERROR) could
not assess its resource either, so it counts as not assessed beside UNKNOWN. Suppressed findings
are accepted risk: left out of score and coverage (neither pass nor fail) and counted beside them.

Scores are given for the whole scan and per scope, because one estate holds several teams'
workspaces and a pipeline owner wants the figure for the part they deploy:
- workspace: the workspace, everything below it (computes, endpoints, deployments, extension
  resources at its scope), the resources it depends on (storage account, key vault, container
  registry, Application Insights, customer-managed key vault, the clusters its computes attach)
  and the extension resources attached to any of those (private endpoints, diagnostic settings,
  autoscale settings, role assignments). A dependency shared by two workspaces counts in both.
- resource group and subscription: every resource whose id lies in it.

pandas is imported only when scores are computed, so `mlwaf --help` and check listing stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mlwaf import armid
from mlwaf.model import Finding, Pillar, Status

if TYPE_CHECKING:
    from mlwaf.inventory import Inventory
    from mlwaf.model import Resource

WORKSPACE_TYPE = "microsoft.machinelearningservices/workspaces"
# Properties of a workspace (or of a resource below it) that hold the id of a resource it needs.
DEPENDENCY_PROPERTIES = (
    "properties.storageAccount",
    "properties.keyVault",
    "properties.containerRegistry",
    "properties.applicationInsights",
    "properties.encryption.keyVaultProperties.keyVaultArmId",
    "properties.resourceId",  # attached computes: the AKS cluster, VM, Synapse pool or HDInsight
)
ATTACHED_TYPES = (
    "Microsoft.Network/privateEndpoints",
    "Microsoft.Insights/diagnosticSettings",
    "Microsoft.Insights/autoscaleSettings",
    "Microsoft.Authorization/roleAssignments",
)
_WORKSPACE_PREFIX = re.compile(r"^(.*?/providers/microsoft\.machinelearningservices/workspaces/[^/]+)(?:/|$)")
_STATUS_COLUMNS = {s.value: f"n_{s.value.lower()}" for s in Status}
_SUM_COLUMNS = ["pass_w", "fail_w", "assessed", "not_assessed", *_STATUS_COLUMNS.values(), "n_suppressed"]


def _frame(findings: Sequence[Finding]) -> Any:
    """One row per finding with the additive quantities every score is built from."""
    import pandas as pd

    df = pd.DataFrame(
        {
            "key": [f.resource.key for f in findings],
            "pillar": [f.pillar.value for f in findings],
            "weight": [f.severity.weight for f in findings],
            "status": [f.status.value for f in findings],
            "suppressed": [bool(f.suppressed) for f in findings],
        }
    )
    active = ~df["suppressed"]
    status = df["status"]
    df["pass_w"] = df["weight"].where(active & (status == Status.PASS.value), 0)
    df["fail_w"] = df["weight"].where(active & (status == Status.FAIL.value), 0)
    df["assessed"] = (active & status.isin([Status.PASS.value, Status.FAIL.value])).astype(int)
    df["not_assessed"] = (active & status.isin([Status.UNKNOWN.value, Status.ERROR.value])).astype(int)
    for value, column in _STATUS_COLUMNS.items():
        df[column] = (status == value).astype(int)
    df["n_suppressed"] = df["suppressed"].astype(int)
    return df


def _summary(sums: Any) -> dict[str, Any]:
    """Score, coverage and counts from one row of summed columns (a Series or a dict)."""
    get = (lambda c: int(sums[c])) if sums is not None else (lambda c: 0)
    passed_w, failed_w = get("pass_w"), get("fail_w")
    assessed, not_assessed = get("assessed"), get("not_assessed")
    score = round(100.0 * passed_w / (passed_w + failed_w), 1) if passed_w + failed_w else None
    coverage = round(100.0 * assessed / (assessed + not_assessed), 1) if assessed + not_assessed else None
    counts = {value.lower(): get(column) for value, column in _STATUS_COLUMNS.items()}
    counts["suppressed"] = get("n_suppressed")
    return {"score": score, "coverage": coverage, "counts": counts}


def _block(df: Any) -> dict[str, Any]:
    """{"overall": ..., "pillars": {...}} for the findings of one frame."""
    by_pillar = df.groupby("pillar")[_SUM_COLUMNS].sum() if len(df) else None
    pillars = {
        p.value: _summary(by_pillar.loc[p.value] if by_pillar is not None and p.value in by_pillar.index else None)
        for p in Pillar
    }
    return {"overall": _summary(df[_SUM_COLUMNS].sum() if len(df) else None), "pillars": pillars}


def _blocks_by(df: Any, column: str) -> dict[str, dict[str, Any]]:
    """`_block` for every value of `column`, in one grouped pass instead of one filter per scope."""
    if not len(df):
        return {}
    # Plain dicts out of pandas once: label lookups per scope cost more than the grouping itself.
    overall = df.groupby(column)[_SUM_COLUMNS].sum().to_dict("index")
    per_pillar = df.groupby([column, "pillar"])[_SUM_COLUMNS].sum().to_dict("index")
    return {
        scope: {
            "overall": _summary(sums),
            "pillars": {p.value: _summary(per_pillar.get((scope, p.value))) for p in Pillar},
        }
        for scope, sums in overall.items()
    }


def workspace_members(inventory: Inventory, workspace: Resource, below: Iterable[str] | None = None) -> set[str]:
    """Normalized ids of the resources in a workspace's scope (see the module docstring).

    `below`: the keys of the resources under the workspace's id, when the caller indexed them
    once for every workspace (else found here by walking the inventory).
    """
    if below is None:
        below = (r.key for r in inventory.resources if _workspace_of(r.key) == workspace.key)
    own = {workspace.key, *below}
    members = set(own)
    for key in own:
        resource = inventory.get(key)
        if resource is None:
            continue
        for path in DEPENDENCY_PROPERTIES:
            dep = inventory.linked(resource, path)
            if dep is not None:
                members.add(dep.key)
    for key in list(members):
        resource = inventory.get(key)
        if resource is None:
            continue
        for extension_type in ATTACHED_TYPES:
            members.update(r.key for r in inventory.attached(resource, extension_type))
    return members


def _workspace_of(key: str) -> str | None:
    m = _WORKSPACE_PREFIX.match(key)
    return m.group(1) if m else None


def _scope_rows(
    inventory: Inventory | None, keys: Iterable[str]
) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    """(scope id, resource key) membership pairs, and each scope's description."""
    pairs: list[tuple[str, str]] = []
    scopes: dict[str, dict[str, Any]] = {}
    for key in sorted(set(keys)):
        resource = inventory.get(key) if inventory is not None else None
        rid = resource.id if resource is not None else key
        sub = armid.subscription_of(rid)
        if sub:
            sid = f"/subscriptions/{sub}"
            scopes.setdefault(armid.normalize(sid), {"kind": "subscription", "id": sid, "name": sub})
            pairs.append((armid.normalize(sid), key))
        rg = armid.resource_group_of(rid)
        if sub and rg:
            gid = f"/subscriptions/{sub}/resourceGroups/{rg}"
            scopes.setdefault(armid.normalize(gid), {"kind": "resource_group", "id": gid, "name": rg})
            pairs.append((armid.normalize(gid), key))
    if inventory is not None:
        below: dict[str, list[str]] = {}
        for r in inventory.resources:
            ws_key = _workspace_of(r.key)
            if ws_key is not None:
                below.setdefault(ws_key, []).append(r.key)
        for ws in inventory.of_type(WORKSPACE_TYPE):
            scopes[ws.key] = {"kind": "workspace", "id": ws.id, "name": ws.name}
            members = workspace_members(inventory, ws, below.get(ws.key, ()))
            pairs.extend((ws.key, member) for member in sorted(members))
    return pairs, scopes


_KIND_ORDER = {"subscription": 0, "resource_group": 1, "workspace": 2}


def score(findings: Sequence[Finding], inventory: Inventory | None = None) -> dict[str, Any]:
    """Scores of the whole scan (`overall`, `pillars`) and, with the inventory, per scope.

    `scopes` lists subscriptions, resource groups and workspaces, each with `resources` (how
    many resources of the scan it holds) and its own `overall` and `pillars`.
    """
    import pandas as pd

    df = _frame(findings)
    out = _block(df)
    keys = [r.key for r in inventory.resources] if inventory is not None else list(df["key"].unique())
    pairs, scopes = _scope_rows(inventory, keys)
    # Typed columns: with no resources an untyped empty frame would not merge with `df`.
    membership = pd.DataFrame(pairs, columns=["scope", "key"]).astype({"scope": object, "key": object})
    if df.empty or membership.empty:
        df = df.astype({"key": object})
    blocks = _blocks_by(df.merge(membership, on="key", how="inner"), "scope")
    sizes = membership.groupby("scope")["key"].nunique().to_dict() if len(membership) else {}
    empty = _block(df.iloc[0:0])
    out["scopes"] = [
        {**scopes[sid], "resources": int(sizes.get(sid, 0)), **blocks.get(sid, empty)}
        for sid in sorted(scopes, key=lambda s: (_KIND_ORDER[scopes[s]["kind"]], s))
    ]
    return out
