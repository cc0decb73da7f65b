"""One JSON file as the readers see it: its path (as read and as reports show it), its text and
parsed data, and the options of the scan. A leaf: the document readers (`documents`) and the
template evaluator (`arm_template`) both take a Document, and neither needs the other for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf import jsontext

if TYPE_CHECKING:
    from mlwaf.sources.options import ReadOptions
    from mlwaf.sources.parameters import ParameterUse


@dataclass
class Document:
    path: Path
    display: str
    text: str
    data: Any
    options: ReadOptions
    # The scan's explicit parameters, told what each template used (mlwaf.sources.parameters).
    parameters: ParameterUse | None = None
    _index: jsontext.LineIndex | None = field(default=None, repr=False, compare=False)

    def position(self, pointer: str) -> tuple[int | None, int | None]:
        """Line and column of a pointer (or its nearest written ancestor), indexed on first use:
        only findings need lines, so a scan with none never tokenizes the file twice."""
        if self._index is None:
            self._index = jsontext.LineIndex(self.text, self.data)
        pos = self._index.nearest(pointer)
        return (pos[0], pos[1]) if pos else (None, None)
