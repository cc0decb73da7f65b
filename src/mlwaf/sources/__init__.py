"""Sources turn inputs into Resources. Each input kind has its own module; this one walks paths.

Only offline sources live at this level; `sources.live` imports the Azure SDK and is loaded only
for live scans, so an offline scan never pays for it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlwaf.model import InputError, Resource, ScannedInput
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


@dataclass
class SourceResult:
    resources: list[Resource] = field(default_factory=list)
    scanned: list[ScannedInput] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    # Lists that were read in full (see Inventory.listed): where one was, an absent child or
    # extension resource is really absent; anywhere else it may only be missing from the input.
    listed: set[str] = field(default_factory=set)
    # Live scans and their replays: the resource types collected (None for files), so what the
    # checks need beyond them is reported as not collected (mlwaf.sources.coverage).
    collected: set[str] | None = None

    def extend(self, other: SourceResult) -> None:
        self.resources.extend(other.resources)
        self.scanned.extend(other.scanned)
        self.errors.extend(other.errors)
        self.listed |= other.listed
        if other.collected is not None:
            self.collected = (self.collected or set()) | other.collected


# Files in a walked folder that are read as documents; anything else is listed as skipped.
JSON_SUFFIXES = {".json", ".jsonc", ".arm"}


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


def read_paths(paths: Iterable[Path], options: ReadOptions | None = None) -> SourceResult:
    from mlwaf.sources import documents, walk

    options = options or ReadOptions()
    exclusions = walk.Exclusions(options.exclude, options.outputs)
    entries = walk.walk(list(paths), exclusions, show=lambda p: display_path(p, options.root))
    return documents.read_files(entries, options)
