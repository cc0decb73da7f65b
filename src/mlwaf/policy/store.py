"""The shipped built-in policy data (`data/builtin.zip`), opened once and read member by member.

Nothing is parsed until asked for: a scan that assigns the Machine Learning definitions reads
those files and the alias maps of the namespaces they name, not the 766 definitions, the 147
initiatives and 135 alias maps in the zip (docs/performance.md has the load times).
"""

from __future__ import annotations

import functools
import json
import threading
import zipfile
from typing import Any

import orjson

from mlwaf.policy.refresh import ZIP

_lock = threading.Lock()


@functools.cache
def _archive() -> zipfile.ZipFile:
    return zipfile.ZipFile(ZIP)


def read(member: str) -> Any:
    """The parsed JSON of one member; KeyError when the zip has no such member."""
    with _lock:  # one ZipFile is not safe to read from several threads at once
        data = _archive().read(member)
    try:
        # orjson parses the alias maps (microsoft.network's is 4.6 MB) about twice as fast.
        return orjson.loads(data)
    except orjson.JSONDecodeError:  # what only Python's parser accepts (NaN, huge integers)
        return json.loads(data)


@functools.cache
def index() -> dict[str, dict[str, dict[str, Any]]]:
    """{"definitions": {guid: {path, display_name, category, ...}}, "initiatives": {...}}."""
    return read("index.json")


@functools.cache
def alias_namespace(namespace: str) -> dict[str, dict[str, str]] | None:
    """PSRule's {resource type: {alias: path}} map of one namespace, or None when not shipped."""
    try:
        return read(f"aliases/{namespace.lower()}.json")
    except KeyError:
        return None
