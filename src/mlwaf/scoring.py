"""Pillar scores: the weighted share of passed findings, with coverage beside every score.

Score = 100 * sum(weight of PASS) / sum(weight of PASS + FAIL), weights high 5, medium 3, low 1.
UNKNOWN is never a pass or a fail: it lowers coverage = assessed / (assessed + UNKNOWN) instead,
so a scan that could not see much cannot look good. Suppressed findings count as accepted risk:
they are left out of the score (neither pass nor fail) and reported beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlwaf.model import Finding, Pillar, Status


def _frame(findings: Iterable[Finding]) -> Any:
    import pandas as pd

    rows = [
        (f.pillar.value, f.severity.weight, f.status.value, f.suppressed)
        for f in findings
    ]
    return pd.DataFrame(rows, columns=["pillar", "weight", "status", "suppressed"])


def _summary(df: Any) -> dict[str, Any]:
    active = df[~df["suppressed"]]
    counts = {s.value.lower(): int((df["status"] == s.value).sum()) for s in Status}
    counts["suppressed"] = int(df["suppressed"].sum())
    passed_w = int(active.loc[active["status"] == "PASS", "weight"].sum())
    failed_w = int(active.loc[active["status"] == "FAIL", "weight"].sum())
    assessed = int(active["status"].isin(["PASS", "FAIL"]).sum())
    unknown = int((active["status"] == "UNKNOWN").sum())
    score = round(100.0 * passed_w / (passed_w + failed_w), 1) if passed_w + failed_w else None
    coverage = round(100.0 * assessed / (assessed + unknown), 1) if assessed + unknown else None
    return {"score": score, "coverage": coverage, "counts": counts}


def score(findings: list[Finding]) -> dict[str, Any]:
    df = _frame(findings)
    pillars = {p.value: _summary(df[df["pillar"] == p.value]) for p in Pillar}
    return {"overall": _summary(df), "pillars": pillars}
