"""The progress bar of a live scan, on stderr: what it is doing, calls done, resources, waits.

Off when stderr is not a terminal (CI logs stay clean) or with --no-progress; then every method
is a no-op, so the collector never asks whether there is a bar.
"""

from __future__ import annotations

import sys
import threading
from typing import Any


class Progress:
    def __init__(self, enabled: bool | None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self.calls = 0
        self.resources = 0
        self.throttled = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None, status="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _status(self) -> str:
        return f"{self.resources} resources, {self.calls} requests, {self.throttled} throttled"

    def phase(self, description: str, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description, total=total, completed=0, status=self._status())

    def grow(self, n: int = 1) -> None:
        """A step found more work (a next page)."""
        if self._bar is not None:
            task = self._bar.tasks[0]
            self._bar.update(self._task, total=(task.total or 0) + n)

    def step(self, resources: int = 0) -> None:
        with self._lock:
            self.resources += resources
        if self._bar is not None:
            self._bar.update(self._task, advance=1, status=self._status())

    def attempt(self) -> None:
        with self._lock:
            self.calls += 1

    def throttle(self) -> None:
        with self._lock:
            self.throttled += 1
        if self._bar is not None:
            self._bar.update(self._task, status=self._status())
