"""`--record DIR`: every response a live scan reads, written as a replayable fixture folder.

One file per list page or Resource Graph page, named by its ARM path (see
`mlwaf.sources.recording.file_for`), plus the manifest: the calls made with their status, the
responses that are not resource documents (subscription lookups), and the not-assessed entries.
Response bodies are written as ARM sent them; request headers (the token) are never written.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

from mlwaf import __version__, repository
from mlwaf.model import InputError
from mlwaf.sources import recording
from mlwaf.sources.live.http import Reply
from mlwaf.sources.live.options import (
    API_DIAGNOSTIC_SETTINGS,
    API_ML,
    API_RESOURCE_GRAPH,
    API_SUBSCRIPTIONS,
    LiveOptions,
    LiveUsageError,
)


class Recorder:
    def __init__(self, folder: Path, options: LiveOptions) -> None:
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise LiveUsageError(
                f"--record {folder}: give a new or empty folder (a recording must hold one scan only)"
            )
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.options = options
        self._lock = threading.Lock()
        self._calls: list[dict[str, Any]] = []
        self._context: dict[str, Any] = {}
        self._started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()

    def page(self, arm_path: str, page: int, reply: Reply, resources: int) -> str:
        """Write one resource page; returns the path resources read from it point at."""
        rel = recording.file_for(arm_path, page)
        target = self.folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(reply.data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        with self._lock:
            self._calls.append(
                {"request": reply.request, "status": reply.status, "file": rel, "resources": resources}
            )
        # Reports carry it: relative to the repository (or working directory), never a runner's path.
        return repository.relative(target)

    def context(self, reply: Reply) -> None:
        """A response that holds no resources of the scan (a subscription, a list of them)."""
        with self._lock:
            self._calls.append({"request": reply.request, "status": reply.status})
            self._context[reply.request] = reply.data

    def finish(
        self, errors: list[InputError], subscriptions: list[str], listed: set[str] | None = None,
        collected: set[str] | None = None,
    ) -> Path:
        manifest = {
            recording.MANIFEST_KEY: recording.FORMAT_VERSION,
            "generator": f"mlwaf {__version__}",
            "recordedAt": self._started,
            "armEndpoint": self.options.endpoint,
            "apiVersions": {
                "subscriptions": API_SUBSCRIPTIONS,
                "resourceGraph": API_RESOURCE_GRAPH,
                "machineLearningServices": API_ML,
                "diagnosticSettings": API_DIAGNOSTIC_SETTINGS,
            },
            "scope": {
                "subscriptions": list(self.options.subscriptions),
                "allSubscriptions": self.options.all_subscriptions,
                "managementGroups": list(self.options.management_groups),
                "resourceGroups": list(self.options.resource_groups),
            },
            "subscriptions": subscriptions,
            "calls": sorted(self._calls, key=lambda c: (c["request"], c.get("file") or "")),
            "context": dict(sorted(self._context.items())),
            "notAssessed": [e.to_dict() for e in errors],
            # Lists read to their last page: on replay an absent child there is really absent.
            "listed": sorted(listed or ()),
            # The resource types the scan collected: on replay, what checks need beyond them is
            # reported as not collected, as the live scan reported it (mlwaf.sources.coverage).
            "collected": sorted(collected or ()),
        }
        path = self.folder / recording.MANIFEST_NAME
        path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
