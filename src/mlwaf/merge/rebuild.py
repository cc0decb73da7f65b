"""A JSON report read back into the typed objects a scan produced (resources, findings, errors,
suppression marks, policy results), so a merge scores, gates and renders them with the same code
as a scan: nothing is re-added from the report's numbers.

What the report does not hold is not invented: a resource carries no properties (`raw` holds its
id, type, name, location and kind), so what needs them (a workspace's members) is read from the
report too (`scores.scopes[].members`). Lines and columns are the report's; a policy result's
location is found again through a locator that answers the pointer its evidence names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from mlwaf.model import (
    Evidence,
    Finding,
    InputError,
    Location,
    Origin,
    Pillar,
    Resource,
    ScannedInput,
    Severity,
    SkippedItem,
    Status,
    SuppressionKind,
    SuppressionMark,
    Unresolved,
)


class Positions:
    """A rebuilt resource's locator: the (line, column) of each pointer a report located."""

    def __init__(self) -> None:
        self.at: dict[str, tuple[int | None, int | None]] = {}

    def __call__(self, pointer: str) -> tuple[int | None, int | None]:
        return self.at.get(pointer, (None, None))


def resource(item: Mapping[str, Any]) -> Resource:
    """A report's resource entry as a Resource with its place and deployment, no properties."""
    o = item.get("origin") or {}
    raw: dict[str, Any] = {"id": item["id"], "type": item["type"], "name": item["name"]}
    if item.get("location") is not None:
        raw["location"] = item["location"]
    if item.get("kind"):
        raw["kind"] = item["kind"]
    r = Resource(
        type=item["type"], id=item["id"], name=item["name"], raw=raw,
        origin=Origin(path=o.get("path"), line=o.get("line"), column=o.get("column"), kind=o.get("kind", ""),
                      api_version=o.get("api_version"), request=o.get("request"), subscription=o.get("subscription"),
                      parameters_file=o.get("parameters_file")),
        pointer_base="", locator=Positions(),
    )
    r.deployment = item.get("deployment")
    return r


def duplicate(item: Mapping[str, Any], first: Resource) -> Resource:
    """A `duplicates` entry read as the same resource read again (from another file or place)."""
    r = Resource(type=first.type, id=item["id"], name=first.name, raw=dict(first.raw),
                 origin=Origin(path=item.get("path"), pointer=item.get("pointer") or ""))
    r.deployment = first.deployment
    return r


def evidence(item: Mapping[str, Any]) -> Evidence:
    path = item["path"]
    default, applied, note = item.get("default_applied"), "default_applied" in item, item.get("note")
    if "expression" in item:
        return Evidence(path, None, True, default, applied, item["expression"], note)
    if item.get("present") is False:
        return Evidence(path, None, False, default, applied, None, note)
    return Evidence(path, item.get("value"), True, default, applied, None, note)


def mark(item: Mapping[str, Any]) -> SuppressionMark | None:
    """The suppression mark of a finding or a policy result (its `suppressed` and `suppression`)."""
    s = item.get("suppression")
    if not isinstance(s, Mapping):
        return None
    expires = s.get("expires")
    return SuppressionMark(
        reason=s["reason"], source=s["source"], kind=SuppressionKind(s.get("kind", SuppressionKind.CONFIG.value)),
        expires=dt.date.fromisoformat(expires) if expires else None, active=bool(item.get("suppressed")),
    )


def finding(item: Mapping[str, Any], r: Resource) -> Finding:
    """A finding entry on its (rebuilt) resource. Its baseline and history marks are left out:
    the merge decides them again on the merged findings."""
    loc = item.get("location") or {}
    return Finding(
        check_id=item["check_id"], title=item["title"], pillar=Pillar(item["pillar"]),
        severity=Severity(item["severity"]), status=Status(item["status"]), resource=r, message=item["message"],
        evidence=tuple(evidence(e) for e in item.get("evidence", ())),
        location=Location(loc.get("path"), loc.get("line"), loc.get("column")),
        suppression=mark(item),
    )


def input_error(item: Mapping[str, Any]) -> InputError:
    return InputError(path=item["path"], message=item["message"], scope=item.get("scope"), call=item.get("call"),
                      status=item.get("status"), pointer=item.get("pointer"))


def scanned(item: Mapping[str, Any]) -> ScannedInput:
    return ScannedInput(path=item["path"], kind=item["kind"], resources=item["resources"], note=item.get("note"),
                        skipped=tuple(SkippedItem(s["pointer"], s["reason"]) for s in item.get("skipped", ())))


def unresolved(expression: str) -> Unresolved:
    return Unresolved(expression)
