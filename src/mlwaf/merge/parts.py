"""The part reports of a merge, read and checked to be parts of one scan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


class MergeError(ValueError):
    """Reports that cannot be merged; the message names the files and what differs."""


@dataclass(frozen=True)
class Part:
    path: str
    data: Mapping[str, Any]

    @property
    def tool(self) -> Mapping[str, Any]:
        return self.data["tool"]


def load(path: Path) -> Part:
    shown = str(path)
    try:
        data = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise MergeError(f"{shown}: no such file") from None
    except OSError as err:
        raise MergeError(f"{shown}: cannot read: {err.strerror or err}") from None
    except orjson.JSONDecodeError as err:
        raise MergeError(f"{shown}: not valid JSON: {err}") from None
    tool = data.get("tool") if isinstance(data, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != "mlwaf" or not isinstance(data.get("findings"), list):
        raise MergeError(f"{shown}: not an mlwaf JSON report (no tool.name 'mlwaf' or no findings)")
    return Part(shown, data)


def compatible(parts: Sequence[Part]) -> None:
    """Raise MergeError unless the reports are parts of one scan: the same tool version and
    report schema, the same checks with the same parameters, the same Azure Policy assignments,
    and each listing every finding."""
    if not parts:
        raise MergeError("no report to merge")
    for part in parts:
        if not part.tool.get("check_digest") or "check_ids" not in part.tool:
            raise MergeError(f"{part.path}: no tool.check_digest (written by mlwaf {part.tool.get('version', '?')}, "
                             "before reports said which checks they ran): scan again with this version to merge")
    _same(parts, "tool version", lambda p: f"mlwaf {p.tool.get('version')}, report schema "
                                           f"{p.tool.get('schema_version')}")
    _same(parts, "checks", lambda p: f"{len(p.tool['check_ids'])} checks, {p.tool['check_digest']}",
          hint="the same checks and check parameters (mlwaf.toml [params], --checks, --checks-dir)")
    ids = with_ids(*(p.data.get("policy") for p in parts))
    _same(parts, "Azure Policy", lambda p: whole_scope(p.data.get("policy"), ids=ids),
          hint="the same policy options, and no policy declared in one part's templates")


def listed(parts: Sequence[Part], why: str) -> None:
    """Raise MergeError for a summarized part when the merge must rebuild from the reports (`why`
    the parts' inputs cannot be read again)."""
    for part in parts:
        if part.data.get("omitted") is not None:
            raise MergeError(f"{part.path}: summarized (PASS and NOT_APPLICABLE findings counted, not listed), and "
                             f"the parts' inputs cannot be judged again ({why}): its per-resource counts are not in "
                             "the report; scan the parts with --detail-limit 0 (the merge applies the detail limit "
                             "to the whole)")


def whole_scope(policy: Mapping[str, Any] | None, *, ids: bool = True) -> str:
    """The assignments of a report's policy section that judge everything scanned (scope "/":
    mlwaf's default, --policy-set, --policy files, a template's): each part must have evaluated
    the same ones. Assignments read from Azure at a subscription or management group judge their
    scope only, so each part has those of its own subscriptions, and the merge takes them all.

    An assignment is its id (scope and name: two of one name are two assignments); `ids` False
    compares names, for reports written before assignments had ids in the report (see with_ids)."""
    if policy is None:
        return "not evaluated"
    names = [f"{a.get('id') if ids else a.get('name')} ({a.get('definition_id')}, {a.get('source')})"
             for a in policy.get("assignments", ()) if a.get("scope", "/") in ("", "/")]
    return "assignments " + ", ".join(names) if names else "no assignment of the whole scope"


def with_ids(*policies: Mapping[str, Any] | None) -> bool:
    """Whether every assignment of these policy sections has its id (reports written before ids name
    assignments only: then every part is compared by name)."""
    return all(a.get("id") for p in policies if p is not None for a in p.get("assignments", ()))


def _same(parts: Sequence[Part], what: str, describe: Any, *, hint: str = "") -> None:
    first = describe(parts[0])
    for part in parts[1:]:
        other = describe(part)
        if other != first:
            tail = f"; scan every part with {hint}" if hint else ""
            raise MergeError(f"cannot merge reports of different {what}: {parts[0].path} has {first}, "
                             f"{part.path} has {other}{tail}")
