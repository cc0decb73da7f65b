"""A merge judged as one scan: the parts' inputs (files of the checkout, live recordings) read
again together by `mlwaf.scan.run_scan`, the code path of `mlwaf scan`, so every relation between
resources in different parts (a project's dev and prod workspaces in two subscriptions, a cluster
attached from several) is judged as a single scan of the whole scope judges it.

Possible only when every part names its inputs (the JSON report's `inputs`, mlwaf.provenance)
and they are there unchanged: a recording with the same digest beside its report, each file read
by an offline part with the same SHA-256 in this checkout. Otherwise `plan` says why, and the
merge falls back to the parts' own verdicts (mlwaf.merge.combine).

The scan runs the parts' checks (tool.check_ids) with the merge's settings (mlwaf.toml and its
flags: check parameters, suppressions, policy options, the gate, baseline and detail limit); it
is verified to be the parts' scan: the same check digest, the same Azure Policy assignments of the
whole scope, and for files the same files read. Not-assessed entries of a part that the inputs
did not reproduce are carried into the result (a report the job could not write; a recording
keeps its failed calls), except those about an input the one scan read or was given: it judged
them again (a --parameters file one part had no template for).
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwaf import gate, provenance
from mlwaf.merge import parts as P
from mlwaf.merge import rebuild
from mlwaf.model import InputError
from mlwaf.registry import Registry
from mlwaf.results import ScanResult
from mlwaf.scan import ScanOptions


@dataclass(frozen=True)
class Plan:
    """What the one scan reads: the paths (as the working directory sees them) and how."""

    targets: list[Path] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    parameters: tuple[str, ...] = ()
    param: Mapping[str, object] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)  # offline parts' files read, repository-relative
    recordings: int = 0


def plan(parts: Sequence[P.Part]) -> Plan | str:
    """The scan of every part's inputs, or why it cannot be made (a sentence naming the part)."""
    targets: dict[Path, None] = {}
    files: dict[str, str | None] = {}
    excludes: list[set[str]] = []
    settings: set[tuple[tuple[str, ...], str]] = set()
    recordings = 0
    for part in parts:
        item = part.data.get("inputs")
        if not isinstance(item, Mapping):
            return (f"{part.path} does not name inputs a merge can read again (a live scan without --record, or "
                    "a report written before reports had `inputs`)")
        inputs = provenance.Inputs.from_dict(item)
        if inputs.recording is not None:
            folder = Path(part.path).parent / inputs.recording
            if not folder.is_dir():
                return f"{part.path}: its recording {folder} is missing (upload it with the report)"
            if provenance.folder_digest(folder) != inputs.digest:
                return f"{part.path}: its recording {folder} changed since the scan (its digest differs)"
            targets[folder] = None
            recordings += 1
            continue
        changed = [name for name, digest in inputs.files.items()
                   if digest is None or provenance.file_digest(provenance.in_checkout(name)) != digest]
        if changed:
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            return (f"{part.path}: {', '.join(changed[:3])}{more} missing or changed in this checkout since the "
                    "part's scan")
        files.update(inputs.files)
        targets.update((provenance.in_checkout(p), None) for p in inputs.paths)
        excludes.append(set(inputs.exclude))
        settings.add((inputs.parameters, repr(sorted(inputs.param.items()))))
    if len(settings) > 1:
        return "the parts were scanned with different --parameters or --param"
    offline = [part.data["inputs"] for part in parts if "recording" not in part.data["inputs"]]
    first: Mapping[str, Any] = offline[0] if offline else {}
    common = set.intersection(*excludes) if excludes else set()
    return Plan(list(targets), [e for e in first.get("exclude", ()) if e in common],
                tuple(first.get("parameters", ())), dict(first.get("param") or {}), files, recordings)


def run(parts: Sequence[P.Part], planned: Plan, reg: Registry, options: ScanOptions) -> ScanResult | str:
    """The one scan, verified to be the parts' (else why not), with the parts' not-assessed
    entries it did not reproduce."""
    from mlwaf import scan

    targets = planned.targets
    root = targets[0] if len(targets) == 1 and targets[0].is_dir() else Path.cwd()
    parameters = [provenance.in_checkout(p) for p in planned.parameters]
    read = dataclasses.replace(options.read, root=root, exclude=list(planned.exclude), parameter_files=parameters,
                               param_overrides=dict(planned.param))
    options = dataclasses.replace(options, read=read, checks=tuple(parts[0].tool["check_ids"]), skip_checks=(),
                                  reproducible=True)
    result = scan.run_scan(targets, options, checks=reg)
    # The time of the data: the latest part's (none when every part was scanned --reproducible).
    result = dataclasses.replace(result, generated_at=max(
        (p.tool["generated_at"] for p in parts if p.tool.get("generated_at")), default=None))
    if result.check_digest != parts[0].tool["check_digest"]:
        return ("the merge's check parameters differ from the parts' (run the merge with the parts' mlwaf.toml "
                "[params])")
    ids = P.with_ids(parts[0].data.get("policy"))
    mine = P.whole_scope(result.policy.to_dict() if result.policy is not None else None, ids=ids)
    theirs = P.whole_scope(parts[0].data.get("policy"), ids=ids)
    if mine != theirs:
        return (f"the merge evaluates other Azure Policy assignments of the whole scope ({mine}) than the parts "
                f"({theirs}): give the merge the parts' policy options")
    inputs = None
    if not planned.recordings:
        inputs = provenance.offline(targets, root, planned.exclude, parameters, planned.param,
                                    (s.path for s in result.scanned if s.kind != "skipped"))
        if dict(inputs.files) != planned.files:
            odd = sorted(set(inputs.files).symmetric_difference(planned.files))
            return f"one scan of the parts' paths reads other files than the parts did ({', '.join(odd[:5])})"
    if planned.recordings:
        _one_call_once(result)
    judged = _judged(result, root, parameters, planned)
    result, carried = _carried(result, parts, options, judged)
    note = provenance.MergeNote(tuple(p.path for p in parts), True, carried=carried)
    return dataclasses.replace(result, inputs=inputs, merge=note)


def _one_call_once(result: ScanResult) -> None:
    """Calls every job made alike (the tenant's providers, a management group's assignments) are in
    each recording: the same response read again from another recording is the one read of a
    single scan, not a duplicate (the same file below two recordings' roots)."""
    from mlwaf.sources.recording import MANIFEST_KIND

    roots = [posixpath.dirname(s.path) for s in result.scanned if s.kind == MANIFEST_KIND]

    def call(path: str | None) -> str | None:
        for root in roots:
            if path is not None and path.startswith(root + "/"):
                return path[len(root) + 1:]
        return None

    again = {id(r): first for r, first, scanned in result.inventory.repeated() if not scanned}
    result.inventory.duplicates[:] = [
        r for r in result.inventory.duplicates
        if call(r.origin.path) is None or call(r.origin.path) != call(again[id(r)].origin.path)]


def _judged(result: ScanResult, root: Path, given: Sequence[Path], planned: Plan) -> Callable[[str], bool]:
    """Whether a part's not-assessed entry is about an input the one scan read or was given (a
    file, a --parameters file, a --param): the one scan judged it again, so the part's entry is
    not carried. A parameters file no template of one part used is used by another part's, and
    the one scan, which has both, says nothing (as a single scan of the whole scope)."""
    read = {os.path.abspath(root / s.path) for s in result.scanned}
    read.update(os.path.abspath(p) for p in given)
    bases = [root, *(p for p in planned.targets if p.is_dir())]

    def judged(path: str) -> bool:
        if path.startswith("--param ") and path[len("--param "):] in planned.param:
            return True
        return any(os.path.abspath(base / path) in read for base in bases)

    return judged


def _carried(result: ScanResult, parts: Sequence[P.Part], options: ScanOptions,
             judged: Callable[[str], bool]) -> tuple[ScanResult, int]:
    """The result with the parts' not-assessed entries it lacks and did not judge again (gated
    again if any), and how many."""
    have = {_key(e.to_dict()) for e in result.errors}
    extra: dict[str, InputError] = {}
    for part in parts:
        for item in part.data.get("errors", ()):
            if _key(item) not in have and not judged(str(item.get("path", ""))):
                extra.setdefault(_key(item), rebuild.input_error(item))
    if not extra:
        return result, 0
    decided = dataclasses.replace(result, errors=[*result.errors, *extra.values()])
    return dataclasses.replace(decided, gate=gate.evaluate(decided, options.gate)), len(extra)


def _key(item: Mapping[str, Any]) -> str:
    return repr(sorted(item.items()))
