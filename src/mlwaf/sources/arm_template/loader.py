"""Linked templates: a `templateLink` to a local file is read and evaluated like an inline one;
a remote address, a template spec or an address known only at deployment time is reported as
not assessed (the scan never fetches anything)."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any, NamedTuple

from mlwaf.sources.arm_template.declaration import get, has, is_template
from mlwaf.sources.arm_template.frame import Frame
from mlwaf.sources.document import Document
from mlwaf.sources.files import ReadFailure, read_json
from mlwaf.sources.options import display_path


class Linked(NamedTuple):
    doc: Document
    template: dict[str, Any]
    uri: str


def linked_template(frame: Frame, link: dict[str, Any], ptr: str) -> Linked | None:
    """The template a `templateLink` names, loaded; None when it is not read (reported)."""
    state = frame.state
    evaluation, doc = state.evaluation, state.doc
    if has(link, "relativePath"):
        rel = frame.name_text(get(link, "relativePath"), f"{ptr}/properties/templateLink/relativePath")
        return load(frame, doc.path.parent / rel, ptr)
    if not has(link, "uri"):
        evaluation.gap(doc, ptr, "templateLink names a template spec (id), which is not read offline")
        return None
    uri = frame.resolve(get(link, "uri"), f"{ptr}/properties/templateLink/uri")
    if not isinstance(uri, str):
        evaluation.gap(doc, ptr, f"linked template address is known only at deployment time ({get(link, 'uri')})")
        return None
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "file":
        from urllib.request import url2pathname  # only here: it costs more to import than the evaluator

        return load(frame, Path(url2pathname(parsed.path)), ptr)
    if parsed.scheme in ("http", "https"):
        evaluation.gap(doc, ptr, f"linked template {uri} is remote; scan a local copy to assess it")
        return None
    return load(frame, doc.path.parent / uri, ptr)


def load(frame: Frame, target: Path, ptr: str) -> Linked | None:
    """A local linked template as a Document of its own (its resources point into it)."""
    evaluation, doc = frame.state.evaluation, frame.state.doc
    options = evaluation.options
    target = target.resolve()
    try:
        text, data = read_json(target, options.max_file_bytes, strict=True)
    except ReadFailure as err:
        evaluation.error(doc, ptr, f"cannot read linked template {target}: {err}")
        return None
    if not (isinstance(data, dict) and is_template(data)):
        evaluation.error(doc, ptr, f"linked template {target} is not a deployment template")
        return None
    linked = Document(path=target, display=display_path(target, options.root), text=text, data=data, options=options)
    return Linked(linked, data, target.as_uri())
