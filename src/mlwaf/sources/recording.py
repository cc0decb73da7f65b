"""The recorded-scan format: a folder of ARM responses plus a manifest that accounts for them.

`mlwaf scan --subscription ... --record DIR` writes it; `mlwaf scan DIR` replays it offline.
Every recorded file is a plain REST document (a list page `{"value": [...]}` or a Resource Graph
result page `{"data": [...]}`) that the document readers already understand, so a recording
replays through the same code as any other JSON the user hands in. The manifest carries what
files cannot: the calls made and, above all, what could not be assessed, so a replay reports
the same gaps (and the same exit code) as the live scan it came from.

This module is offline: it is shared by the live recorder and the document source.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf.model import InputError

if TYPE_CHECKING:
    from mlwaf.sources.result import SourceResult

MANIFEST_NAME = "mlwaf-recording.json"
MANIFEST_KEY = "mlwafRecording"
MANIFEST_KIND = "recording-manifest"
FORMAT_VERSION = 1

# Characters kept as they are in a file name made from an ARM path segment; the rest are
# percent-encoded, so a name from the server can never climb out of the folder or clash.
_SAFE = re.compile(r"[^A-Za-z0-9._()\-]")


def _segment(seg: str) -> str:
    out = _SAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), seg)
    return out.replace(".", "%2E") if set(out) <= {"."} else out


def file_for(arm_path: str, page: int = 1) -> str:
    """The recording file (relative, POSIX) of a response: its ARM path, then `.json`, with
    `.page-N` for the pages after the first."""
    segs = [_segment(s) for s in arm_path.strip("/").split("/") if s]
    if not segs:
        segs = ["root"]
    suffix = ".json" if page <= 1 else f".page-{page}.json"
    return "/".join(segs) + suffix


def is_manifest(data: Any) -> bool:
    return isinstance(data, dict) and MANIFEST_KEY in data


def manifest_errors(path: Path, shown: str) -> list[InputError]:
    """The not-assessed entries of a recording, and any recorded file that is missing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [InputError(shown, f"cannot read the recording manifest: {err}")]
    errors: list[InputError] = []
    for entry in data.get("notAssessed") or []:
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            errors.append(
                InputError(
                    path=entry["path"],
                    message=str(entry.get("message", "")),
                    scope=entry.get("scope"),
                    call=entry.get("call"),
                    status=entry.get("status"),
                )
            )
    root = path.parent
    for call in data.get("calls") or []:
        rel = call.get("file") if isinstance(call, dict) else None
        if isinstance(rel, str) and not (root / rel).is_file():
            errors.append(
                InputError(
                    rel,
                    "recorded response missing from the recording folder: the replay lacks what it held",
                    call=call.get("request"),
                )
            )
    return errors


def manifest_listed(path: Path) -> set[str]:
    """The lists the recorded scan read in full (see Inventory.listed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    listed = data.get("listed") if isinstance(data, dict) else None
    return {p for p in listed if isinstance(p, str)} if isinstance(listed, list) else set()


def manifest_collected(path: Path) -> set[str]:
    """The resource types the recorded scan collected; a recording made before they were
    recorded collected the default plan (mlwaf.sources.coverage)."""
    from mlwaf.sources import coverage

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    types = data.get("collected") if isinstance(data, dict) else None
    if isinstance(types, list):
        return {t.lower() for t in types if isinstance(t, str)}
    return coverage.collected(coverage.GRAPH_TYPES, coverage.DIAGNOSTIC_TYPES)


def manifest_api_versions(path: Path, shown: str) -> dict[str, str]:
    """The API version each recorded file was read with (from its call's request URL), keyed by the
    file's shown path: a replay judges version-dependent defaults as the live scan did."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    root = posixpath.dirname(shown)
    out = {}
    for call in data.get("calls") or [] if isinstance(data, dict) else []:
        rel = call.get("file") if isinstance(call, dict) else None
        found = re.search(r"[?&]api-version=([^&\s]+)", str(call.get("request") or "")) if rel else None
        if isinstance(rel, str) and found:
            out[posixpath.join(root, rel) if root else rel] = found.group(1)
    return out


def replays_live(source: SourceResult) -> bool:
    """True when the scan read a recording and nothing else: then checks see `ctx.live` as the
    live scan's did. (Which lists were read in full travels separately, in the manifest's
    `listed`: that, not this flag, lets an absent diagnostic setting be a FAIL.)"""
    roots = [posixpath.dirname(s.path) for s in source.scanned if s.kind == MANIFEST_KIND]
    if not roots:
        return False

    def under(path: str | None) -> bool:
        return path is not None and any(not r or path == r or path.startswith(r + "/") for r in roots)

    return all(under(r.origin.path) for r in source.resources)
