"""What a report says it was made from, so `mlwaf merge` can judge its parts again as one scan.

A part's verdicts cannot be judged again from verdicts (a check reading a resource in another part
saw it missing), but they can from the part's inputs. So the JSON report names them (`inputs`):

- an offline scan: the paths it was given and the exclusions it walked them with (repository
  relative: they exist in a merge job's checkout of the same commit), and a SHA-256 of every file
  it read, so a changed or missing file is detected rather than judged as something else;
- a live scan run with `--record FOLDER`: the recording folder, relative to the JSON report (the
  two travel together as one CI artifact), and a digest of its files. A live scan without a
  recording names nothing: it cannot be read again.

A merged report says how it was judged (`merge`): as one scan of the parts' inputs, or, when some
could not be read again, each part's verdicts as the part gave them (and which checks that
affects). A leaf module: the result carries both sections to the JSON reporter.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwaf import repository

_CHUNK = 1 << 20


def file_digest(path: Path) -> str | None:
    """`sha256:<hex>` of a file's bytes; None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return f"sha256:{digest.hexdigest()}"


def folder_digest(folder: Path) -> str | None:
    """One digest of every file below a folder, by relative path and content: a recording
    whose files were changed, added or removed gets another. None when it cannot be read."""
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        one = file_digest(path)
        if one is None:
            return None
        digest.update(f"{path.relative_to(folder).as_posix()}\0{one}\n".encode("utf-8", "surrogateescape"))
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True)
class Inputs:
    """The JSON report's `inputs`: an offline scan's paths, exclusions and files read (with
    digests), or a live scan's recording (relative to the report) and its digest."""

    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    param: Mapping[str, object] = field(default_factory=dict)
    files: Mapping[str, str | None] = field(default_factory=dict)
    recording: str | None = None
    digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.recording is not None:
            return {"recording": self.recording, "digest": self.digest}
        out: dict[str, Any] = {"paths": list(self.paths)}
        for key in ("exclude", "parameters", "param"):
            if getattr(self, key):
                out[key] = list(getattr(self, key)) if key != "param" else dict(self.param)
        out["files"] = dict(self.files)
        return out

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Inputs:
        if "recording" in item:
            return cls(recording=str(item["recording"]), digest=item.get("digest"))
        return cls(paths=tuple(item.get("paths", ())), exclude=tuple(item.get("exclude", ())),
                   parameters=tuple(item.get("parameters", ())), param=dict(item.get("param") or {}),
                   files=dict(item.get("files") or {}))


def offline(paths: Sequence[Path], root: Path | None, exclude: Iterable[str], parameters: Sequence[Path],
            param: Mapping[str, object], read: Iterable[str]) -> Inputs:
    """An offline scan's inputs: `read` are the paths the report shows (relative to the scan
    root) of the files the scan read; each is hashed now, named as the repository names it (a
    file outside the repository and the working directory by its absolute path)."""
    files: dict[str, str | None] = {}
    for shown in read:
        path = _under(root, shown)
        files[repository.relative(path)] = file_digest(path)
    for p in parameters:
        files.setdefault(repository.relative(p), file_digest(p))
    return Inputs(paths=tuple(repository.relative(p) for p in paths), exclude=tuple(exclude),
                  parameters=tuple(repository.relative(p) for p in parameters), param=dict(param), files=files)


def _under(root: Path | None, shown: str) -> Path:
    p = Path(shown)
    return p if p.is_absolute() or root is None else root / p


def recording(folder: Path, report: Path | None) -> Inputs:
    """A live scan's recording, named relative to the folder of the JSON report (`report`; None:
    written to stdout, the working directory)."""
    base = report.parent if report is not None else Path.cwd()
    return Inputs(recording=Path(os.path.relpath(folder.resolve(), base.resolve())).as_posix(),
                  digest=folder_digest(folder))


def in_checkout(name: str) -> Path:
    """A repository-relative path of a report's inputs in this checkout (the working
    directory's repository; an absolute path stays as it is), as the working directory sees it."""
    p = Path(name)
    if p.is_absolute():
        return p
    base = repository.root_of() or Path.cwd()
    full = base / p
    try:
        return Path(os.path.relpath(full, Path.cwd()))
    except ValueError:
        return full


@dataclass(frozen=True)
class MergeNote:
    """The JSON report's `merge` section: the parts, and how they were judged. `rescanned`: as
    one scan of the parts' inputs (identical to a single scan of the same scope); else per part,
    with `reason` and the checks (`related`) whose verdicts may differ from a single scan's."""

    parts: tuple[str, ...]
    rescanned: bool
    reason: str | None = None
    related: tuple[str, ...] = ()
    carried: int = 0  # not-assessed entries of the parts the inputs did not reproduce

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"parts": list(self.parts),
                               "judged": "as one scan of the parts' inputs" if self.rescanned else "per part"}
        if self.carried:
            out["carried_errors"] = self.carried
        if not self.rescanned:
            out["reason"] = self.reason
            out["related_checks"] = list(self.related)
        return out
