"""What every source gives back: resources, the inputs read, and what could not be read.

A leaf: the file readers, the recording format and the live collector all build one, and the
package's `read_paths` calls the readers, so it lives apart from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlwaf.model import InputError, Resource, ScannedInput


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
