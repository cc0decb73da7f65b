"""Paths as the repository names them: what identities and reports carry instead of a runner's.

A CI runner checks the repository out under a folder of its own (`/home/runner/work/x/x`), and a
developer under another; a pipeline scans `infra/ml`, a pre-commit hook names `infra/ml/main.json`.
The only path all of them agree on is the one relative to the repository root, with `/`
separators. That is what a template resource's identity holds (so a baseline made on one machine
matches a scan on another) and what reports show for files outside the scanned folder (the
config file of a suppression, the baseline).

The repository root is the nearest folder holding `.git` (a folder, or a file in a worktree), at
or above where the scan starts. Outside a git repository (an unpacked archive) the working
directory stands in for it when the scan lies below it, as it does for SARIF paths (CI runs from
the repository root), else the scan root.
"""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath


def root_of(start: Path | None = None) -> Path | None:
    """The repository holding `start` (default: the working directory), or None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def relative(path: Path | str) -> str:
    """A real file's path relative to the repository holding it (else to the working
    directory), POSIX; as given when it lies outside both."""
    path = Path(path)
    full = path.resolve()
    for root in (root_of(full.parent), Path.cwd().resolve()):
        if root is not None and full.is_relative_to(root):
            return full.relative_to(root).as_posix()
    return path.as_posix()


class Labels:
    """Turns the paths reports show (relative to the scan root) into repository-relative ones."""

    def __init__(self, scan_root: Path | None) -> None:
        base = (scan_root or Path.cwd()).resolve()
        cwd = Path.cwd().resolve()
        self.root = root_of(base) or (cwd if base.is_relative_to(cwd) else base)
        prefix = base.relative_to(self.root).as_posix()
        self.prefix = "" if prefix == "." else prefix

    def path(self, shown: str) -> str:
        p = PurePosixPath(shown)
        if p.is_absolute():
            try:
                return p.relative_to(self.root.as_posix()).as_posix()
            except ValueError:
                return shown
        return posixpath.normpath(posixpath.join(self.prefix, shown)) if self.prefix else shown

    def deployment(self, path: str | None, parameters: str | None) -> str:
        """`Resource.deployment` in repository terms: the file and its parameter file(s)."""
        from mlwaf.model import deployment_label

        files = ", ".join(self.path(p) for p in parameters.split(", ")) if parameters else None
        return deployment_label(self.path(path) if path else None, files)
