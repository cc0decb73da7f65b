"""Baselines: the findings an estate already had, so a pipeline fails only on new ones.

`mlwaf baseline create --output FILE` records the identity of every finding that is not a pass
(FAIL, UNKNOWN, ERROR), with its status: the check id and the normalized resource id, and for a
template's resource also its deployment, the template's repository-relative path and parameter
files (`model.identity`). Never a line number: a template reformatted or reordered keeps its
identities. The deployment is there because a template's resources have placeholder ids (the
same subscription and resource group for every template), so two templates that declare the
same name would otherwise share one entry, and a regression in the second would pass as known.

`--baseline FILE` then marks the findings of a scan found in it (`in_baseline`); the gate counts
only the others. A finding is known when the same identity had the same status: a check that
answered UNKNOWN before and FAIL now is a newly confirmed failure, hence new. Entries of the
baseline with no such finding any more are reported as fixed, with what the scan says now
(PASS, NOT_APPLICABLE, another status, or not found: resource removed or check not run).

Moved templates: an entry whose identity is not in the scan any more (its template was moved or
renamed, or the resource moved to another template) is carried over to the one finding with the
same check, resource id and status whose identity the baseline does not hold, when there is
exactly one of each; the report lists it under `moved`. With two candidates nothing is carried:
both are new, as a regression in a second template must be. The same rule reads baselines of
format 1 (written before templates carried their deployment): their entries still match
resources with real ids exactly, and a template's resource when only one template declares it.

The file is JSON, sorted, without timestamps, so it diffs cleanly when committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlwaf import __version__, armid, model
from mlwaf.model import Finding, Status

FORMAT_KEY = "mlwaf_baseline"
FORMAT_VERSION = 2
READS = (1, 2)  # format 1: no deployment on template resources (read, carried over when unambiguous)
RECORDED = (Status.FAIL, Status.UNKNOWN, Status.ERROR)


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Entry:
    check_id: str
    resource_id: str  # normalized
    deployment: str | None
    status: str

    @property
    def identity(self) -> str:
        return model.identity(self.check_id, self.resource_id, self.deployment)

    @property
    def loose(self) -> tuple[str, str, str]:
        """What a moved template's finding still shares with its entry."""
        return self.check_id.upper(), self.resource_id, self.status

    def to_dict(self) -> dict[str, str]:
        out = {"check_id": self.check_id, "resource_id": self.resource_id}
        if self.deployment is not None:
            out["deployment"] = self.deployment
        out["status"] = self.status
        return out


@dataclass
class Baseline:
    # identity (model.identity) -> the recorded entry
    rows: dict[str, Entry] = field(default_factory=dict)
    path: str | None = None
    version: int = FORMAT_VERSION

    @property
    def entries(self) -> dict[str, str]:
        """identity -> recorded status (what a summarized scan keeps findings for)."""
        return {identity: e.status for identity, e in self.rows.items()}

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Baseline:
        rows = {}
        for f in findings:
            if f.status in RECORDED:
                entry = Entry(f.check_id.upper(), f.resource.key, f.resource.deployment, f.status.value)
                rows[entry.identity] = entry
        return cls(rows)

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.rows.values(), key=lambda e: (e.check_id, e.resource_id, e.deployment or ""))
        return {
            FORMAT_KEY: FORMAT_VERSION,
            "tool": {"name": "mlwaf", "version": __version__},
            "findings": [e.to_dict() for e in ordered],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Baseline:
        from mlwaf import repository

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as err:
            raise BaselineError(f"baseline {path}: cannot read it ({err.strerror or err})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BaselineError(f"baseline {path}: not valid JSON ({err})") from None
        version = data.get(FORMAT_KEY) if isinstance(data, dict) else None
        if version not in READS or isinstance(version, bool):
            raise BaselineError(
                f"baseline {path}: not an mlwaf baseline (expected \"{FORMAT_KEY}\": {FORMAT_VERSION}); "
                "create one with `mlwaf baseline create --output FILE`"
            )
        rows = data.get("findings")
        if not isinstance(rows, list):
            raise BaselineError(f"baseline {path}: 'findings' must be a list")
        entries: dict[str, Entry] = {}
        for i, row in enumerate(rows, start=1):
            fields = ("check_id", "resource_id")
            ok = isinstance(row, dict) and all(isinstance(row.get(k), str) and row[k] for k in fields)
            status = row.get("status", Status.FAIL.value) if isinstance(row, dict) else None
            deployment = row.get("deployment") if isinstance(row, dict) else None
            if not ok or status not in {s.value for s in Status} or not isinstance(deployment, str | None):
                raise BaselineError(
                    f"baseline {path}: finding #{i} needs check_id, resource_id and a status, got {row!r}"
                )
            entry = Entry(row["check_id"].upper(), armid.normalize(row["resource_id"]), deployment or None, status)
            entries[entry.identity] = entry
        return cls(entries, repository.relative(path), version)

    def apply(self, findings: Sequence[Finding]) -> tuple[list[Finding], BaselineDiff]:
        """The findings, the known ones annotated `in_baseline`, and the diff: counts, the
        fixed and the moved entries."""
        now: dict[str, str] = {f.identity: f.status.value for f in findings}
        carried, moved = self._carried(findings, now)
        out = list(findings)
        new = known = 0
        for i, f in enumerate(out):
            if f.status not in RECORDED:
                continue
            recorded = self.rows.get(f.identity) or carried.get(f.identity)
            if recorded is not None and recorded.status == f.status.value:
                out[i] = replace(f, in_baseline=True)
                known += 1
            else:
                new += 1
        moved_from = {e.identity for e in carried.values()}
        fixed = tuple(
            Fixed(entry, now.get(identity, "not found"))
            for identity, entry in sorted(self.rows.items(), key=lambda kv: _order(kv[1]))
            if now.get(identity) != entry.status and identity not in moved_from
        )
        return out, BaselineDiff(self.path, len(self.rows), known, new, fixed, tuple(moved))

    def _carried(self, findings: Sequence[Finding], now: Mapping[str, str]) -> tuple[dict[str, Entry], list[Moved]]:
        """Entries of a moved template: finding identity -> the entry it carries over (module
        docstring), with the list the report shows."""
        # Entries whose identity the scan no longer has, and findings the baseline does not
        # name, by (check, resource, status): one of each is a moved template.
        gone: dict[tuple[str, str, str], list[Entry]] = {}
        for identity, entry in self.rows.items():
            if identity not in now:
                gone.setdefault(entry.loose, []).append(entry)
        unnamed: dict[tuple[str, str, str], list[Finding]] = {}
        for f in findings:
            if f.status in RECORDED and f.identity not in self.rows:
                unnamed.setdefault((f.check_id.upper(), f.resource.key, f.status.value), []).append(f)
        carried: dict[str, Entry] = {}
        moved = []
        for loose, candidates in sorted(unnamed.items()):
            entries = gone.get(loose, [])
            if len(candidates) == 1 and len(entries) == 1:
                carried[candidates[0].identity] = entries[0]
                moved.append(Moved(entries[0], candidates[0].resource.deployment))
        return carried, moved


@dataclass(frozen=True, slots=True)
class Fixed:
    """A baseline entry the scan no longer has with its recorded status, and what it has now
    (PASS, NOT_APPLICABLE, another status, or "not found": resource removed or check not run)."""

    entry: Entry
    now: str

    def to_dict(self) -> dict[str, str]:
        return {**_where(self.entry), "was": self.entry.status, "now": self.now}


@dataclass(frozen=True, slots=True)
class Moved:
    """A baseline entry carried over to the finding of a moved template."""

    entry: Entry
    now_in: str | None  # the finding's deployment now

    def to_dict(self) -> dict[str, Any]:
        return {**_where(self.entry), "now_in": self.now_in}


@dataclass(frozen=True, slots=True)
class BaselineDiff:
    """What a scan with --baseline found: the report's `baseline` section."""

    path: str | None
    recorded: int
    known: int
    new: int
    fixed: tuple[Fixed, ...] = ()
    moved: tuple[Moved, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path, "recorded": self.recorded, "known": self.known, "new": self.new,
            "fixed": [f.to_dict() for f in self.fixed],
        }
        if self.moved:
            out["moved"] = [m.to_dict() for m in self.moved]
        return out


def _order(entry: Entry) -> tuple[str, str, str]:
    return entry.check_id, entry.resource_id, entry.deployment or ""


def _where(entry: Entry) -> dict[str, str]:
    out = {"check_id": entry.check_id, "resource_id": entry.resource_id}
    if entry.deployment is not None:
        out["deployment"] = entry.deployment
    return out
