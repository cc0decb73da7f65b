"""Baselines: the findings an estate already had, so a pipeline fails only on new ones.

`mlwaf baseline create --output FILE` records the identity of every finding that is not a pass
(FAIL, UNKNOWN, ERROR): the check id and the normalized resource id, with the status. Never a
file name or a line number: a template reformatted, split or moved to another folder declares
the same resources, so its findings keep their identities and stay "known".

`--baseline FILE` then marks the findings of a scan found in it (`in_baseline`); the gate counts
only the others. A finding is known when the same identity had the same status: a check that
answered UNKNOWN before and FAIL now is a newly confirmed failure, hence new. Entries of the
baseline with no such finding any more are reported as fixed, with what the scan says now
(PASS, NOT_APPLICABLE, another status, or not found: resource removed or check not run).

The file is JSON, sorted, without timestamps, so it diffs cleanly when committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwaf import __version__, model
from mlwaf.model import Finding, Status

FORMAT_KEY = "mlwaf_baseline"
FORMAT_VERSION = 1
RECORDED = (Status.FAIL, Status.UNKNOWN, Status.ERROR)


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and what is wrong."""


@dataclass
class Baseline:
    # identity (check id | normalized resource id) -> recorded status
    entries: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Baseline:
        return cls({f.identity: f.status.value for f in findings if f.status in RECORDED})

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for identity in sorted(self.entries):
            check_id, resource_id = identity.split("|", 1)
            rows.append({"check_id": check_id, "resource_id": resource_id, "status": self.entries[identity]})
        return {FORMAT_KEY: FORMAT_VERSION, "tool": {"name": "mlwaf", "version": __version__}, "findings": rows}

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise BaselineError(f"baseline {path}: cannot read it ({err.strerror or err})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BaselineError(f"baseline {path}: not valid JSON ({err})") from None
        if not isinstance(data, dict) or data.get(FORMAT_KEY) != FORMAT_VERSION:
            raise BaselineError(
                f"baseline {path}: not an mlwaf baseline (expected \"{FORMAT_KEY}\": {FORMAT_VERSION}); "
                "create one with `mlwaf baseline create --output FILE`"
            )
        rows = data.get("findings")
        if not isinstance(rows, list):
            raise BaselineError(f"baseline {path}: 'findings' must be a list")
        entries: dict[str, str] = {}
        for i, row in enumerate(rows, start=1):
            fields = ("check_id", "resource_id")
            ok = isinstance(row, dict) and all(isinstance(row.get(k), str) and row[k] for k in fields)
            status = row.get("status", Status.FAIL.value) if isinstance(row, dict) else None
            if not ok or status not in {s.value for s in Status}:
                raise BaselineError(
                    f"baseline {path}: finding #{i} needs check_id, resource_id and a status, got {row!r}"
                )
            entries[model.identity(row["check_id"], row["resource_id"])] = status
        return cls(entries, str(path))

    def apply(self, findings: Iterable[Finding]) -> dict[str, Any]:
        """Mark known findings `in_baseline`; returns counts and the fixed entries for reports."""
        now: dict[str, str] = {}
        new = known = 0
        for f in findings:
            identity = f.identity
            now[identity] = f.status.value
            if f.status not in RECORDED:
                continue
            if self.entries.get(identity) == f.status.value:
                f.in_baseline = True
                known += 1
            else:
                new += 1
        fixed = []
        for identity in sorted(self.entries):
            status = self.entries[identity]
            if now.get(identity) == status:
                continue
            check_id, resource_id = identity.split("|", 1)
            fixed.append(
                {"check_id": check_id, "resource_id": resource_id, "was": status, "now": now.get(identity, "not found")}
            )
        return {"path": self.path, "recorded": len(self.entries), "known": known, "new": new, "fixed": fixed}
