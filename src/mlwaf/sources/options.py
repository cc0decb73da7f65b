"""What a user tells the file sources, and how a path is shown relative to the scan root.

A leaf: every reader (documents, parameters, templates, the walk) needs these, and the package's
`read_paths` needs the readers, so they live apart from both.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from mlwaf.sources.files import MAX_FILE_BYTES


@dataclass
class ReadOptions:
    """What a user can tell the file sources (CLI and config file feed this)."""

    parameter_files: list[Path] = field(default_factory=list)
    param_overrides: dict[str, object] = field(default_factory=dict)
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    resource_group: str = "mlwaf-template-rg"
    location: str = "westeurope"
    # Paths are shown relative to this folder in reports (the scan root).
    root: Path | None = None
    # Files larger than this are reported, not read (`max-file-size`; mlwaf.sources.files).
    max_file_bytes: int = MAX_FILE_BYTES
    # Walked paths not to read (mlwaf.sources.walk): gitignore-style patterns (--exclude,
    # `exclude` in mlwaf.toml), and this run's own outputs (reports, baseline).
    exclude: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    # Files named on the command line are candidates, read as a walk reads files: not-ARM JSON is
    # skipped, not an error (`--skip-non-arm`, for hooks that pass every changed JSON file).
    skip_non_arm: bool = False


def display_path(path: Path, root: Path | None) -> str:
    """A path relative to the scan root (as GitHub code scanning wants it), POSIX separators.

    A file name that is not UTF-8 (Python holds its bytes as lone surrogates) is shown with
    those bytes escaped (`\\xff`): a report must never hold text UTF-8 cannot write."""
    shown = path.as_posix()
    if root is not None:
        # Where the file was found (a symbolic link is shown where it is, not where it points);
        # failing that, where it really is.
        try:
            shown = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            with contextlib.suppress(ValueError, OSError, RuntimeError):  # RuntimeError: a link loop
                shown = path.resolve().relative_to(root.resolve()).as_posix()
    if not shown.isascii():
        shown = os.fsencode(shown).decode("utf-8", "backslashreplace")
    return shown
