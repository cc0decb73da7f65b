"""JSON documents that hold ARM resources: detect the kind of each file and yield its resources.

Users hand the scanner whatever their tooling wrote: a REST GET body, a list page, a REST
example file, `az ... -o json`, `Get-AzResource | ConvertTo-Json`, `az graph query`, a
deployment template or `az group export`. Detection looks at the shape, never the file name, so
a file renamed by a pipeline still reads the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlwaf import armid, jsontext
from mlwaf.model import InputError, Origin, Resource, ScannedInput
from mlwaf.sources import JSON_SUFFIXES, ReadOptions, SourceResult, display_path, files, rest_examples


class ShapeError(ValueError):
    """JSON that holds no shape the scanner knows; the message says what was expected."""


@dataclass
class Document:
    path: Path
    display: str
    text: str
    data: Any
    options: ReadOptions
    _index: jsontext.LineIndex | None = None
    # Problems found inside a document that was otherwise read (template expressions Azure would
    # reject, linked templates not assessed): reported beside the resources, never instead.
    errors: list[InputError] = field(default_factory=list)

    def position(self, pointer: str) -> tuple[int | None, int | None]:
        """Line and column of a pointer (or its nearest written ancestor), indexed on first use:
        only findings need lines, so a scan with none never tokenizes the file twice."""
        if self._index is None:
            self._index = jsontext.LineIndex(self.text, self.data)
        pos = self._index.nearest(pointer)
        return (pos[0], pos[1]) if pos else (None, None)



def is_arm_resource(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    t = obj.get("type")
    if isinstance(t, str) and "/" in t and ("id" in obj or "name" in obj):
        return True
    t = obj.get("ResourceType")
    return isinstance(t, str) and "/" in t and ("ResourceId" in obj or "ResourceName" in obj)


_PWSH_KEYS = {
    "ResourceId": "id",
    "ResourceName": "name",
    "ResourceType": "type",
    "Location": "location",
    "Kind": "kind",
    "Sku": "sku",
    "Identity": "identity",
    "Tags": "tags",
    "Properties": "properties",
    "ManagedBy": "managedBy",
    "Plan": "plan",
    "Zones": "zones",
}


def _arm_shape(obj: dict[str, Any]) -> dict[str, Any]:
    """Azure PowerShell spells ARM keys in PascalCase; map them so checks see one shape."""
    if "ResourceType" in obj and "type" not in obj:
        out = {_PWSH_KEYS.get(k, k): v for k, v in obj.items()}
        # Get-AzResource prints Tags as null rather than {} when there are none.
        if out.get("tags") is None:
            out.pop("tags", None)
        return out
    return obj


def make_resource(
    obj: dict[str, Any], doc: Document, pointer: str, kind: str, *, partial: bool = False,
    api_version: str | None = None,
) -> Resource:
    obj = _arm_shape(obj)
    rtype = str(obj.get("type", ""))
    name = str(obj.get("name", "") or "")
    rid = obj.get("id")
    if not isinstance(rid, str) or not rid.startswith("/"):
        # REST examples sometimes carry placeholder ids ("string"); synthesize a stable one.
        rid = armid.build(rtype, name, doc.options.subscription_id, doc.options.resource_group)
    if not name:
        name = armid.name_of(rid)
    origin = Origin(path=doc.display, pointer=pointer, kind=kind, api_version=api_version)
    return Resource(
        type=rtype, id=rid, name=name, raw=obj, origin=origin, partial=partial,
        locator=doc.position,
    )


def _resources_from_list(items: list[Any], doc: Document, base: str, kind: str) -> list[Resource]:
    out = []
    for i, item in enumerate(items):
        if is_arm_resource(item):
            partial = isinstance(item, dict) and "properties" not in item and kind == "resource-graph"
            out.append(make_resource(item, doc, f"{base}/{i}", kind, partial=partial))
    return out


# --- document kinds -------------------------------------------------------------------------
# Each reader takes (data, doc, pointer) and returns (kind, resources), or None when the shape
# is not its own. They are tried in order; the first that claims the document wins.

Reader = Callable[[Any, Document, str], "tuple[str, list[Resource]] | None"]


def _rest_example(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    if not (isinstance(data, dict) and isinstance(data.get("responses"), dict)):
        return None
    responses = data["responses"]
    api_version = None
    params = data.get("parameters")
    if isinstance(params, dict) and isinstance(params.get("api-version"), str):
        api_version = params["api-version"]
    for code in sorted(responses):
        body = responses[code].get("body") if isinstance(responses[code], dict) else None
        if str(code).startswith("2") and body is not None:
            rest_examples.repair(body, params if isinstance(params, dict) else {})
            inner = detect(body, doc, f"{ptr}/responses/{code}/body")
            if inner is None:
                raise ShapeError(f"REST example: response {code} body holds no ARM resource")
            kind, resources = inner
            for r in resources:
                r.origin = replace(
                    r.origin, kind=f"rest-example/{kind}", api_version=api_version or r.origin.api_version
                )
            return f"rest-example/{kind}", resources
    raise ShapeError("REST example with no 2xx response body (nothing a GET would return)")


def _list_page(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    if not (isinstance(data, dict) and isinstance(data.get("value"), list)):
        return None
    if data["value"] and not any(is_arm_resource(v) for v in data["value"]):
        return None
    return "list-page", _resources_from_list(data["value"], doc, f"{ptr}/value", "list-page")


def _resource_graph(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    if not (isinstance(data, dict) and "data" in data):
        return None
    rows = data["data"]
    if isinstance(rows, dict) and isinstance(rows.get("columns"), list):
        cols = [c.get("name") if isinstance(c, dict) else c for c in rows["columns"]]
        table = [dict(zip(cols, row, strict=False)) for row in rows.get("rows") or []]
        out = []
        for i, row in enumerate(table):
            if is_arm_resource(row):
                r = make_resource(
                    row, doc, f"{ptr}/data/rows/{i}", "resource-graph",
                    partial="properties" not in row,
                )
                out.append(r)
        return "resource-graph", out
    if isinstance(rows, list):
        return "resource-graph", _resources_from_list(rows, doc, f"{ptr}/data", "resource-graph")
    return None


def _template(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    from mlwaf.sources import arm_template

    if not isinstance(data, dict):
        return None
    # `az group export` / the export REST API wrap the template as {"template": {...}}.
    if isinstance(data.get("template"), dict) and arm_template.is_template(data["template"]):
        return "group-export", arm_template.read_template(data["template"], doc, f"{ptr}/template")
    if arm_template.is_template(data):
        return "arm-template", arm_template.read_template(data, doc, ptr)
    return None


def _parameters(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    from mlwaf.sources import arm_template

    if isinstance(data, dict) and arm_template.is_parameter_file(data):
        return "arm-parameters", []
    return None


def _array(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    if not isinstance(data, list):
        return None
    if data and not any(is_arm_resource(v) for v in data):
        return None
    return "resource-array", _resources_from_list(data, doc, ptr, "resource-array")


def _single(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    if is_arm_resource(data):
        return "resource", [make_resource(data, doc, ptr, "resource")]
    return None


def _recording_manifest(data: Any, doc: Document, ptr: str) -> tuple[str, list[Resource]] | None:
    """The manifest of a recorded live scan holds no resources (the recorded pages beside it
    do); `read_files` turns its not-assessed entries into errors, as the live scan had them."""
    from mlwaf.sources import recording

    if ptr == "" and recording.is_manifest(data):
        return recording.MANIFEST_KIND, []
    return None


READERS: list[Reader] = [
    _recording_manifest,
    _rest_example,
    _template,
    _parameters,
    _resource_graph,
    _list_page,
    _array,
    _single,
]


def detect(data: Any, doc: Document, pointer: str = "") -> tuple[str, list[Resource]] | None:
    for reader in READERS:
        got = reader(data, doc, pointer)
        if got is not None:
            return got
    return None


def describe_shape(data: Any) -> str:
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:6])
        return f"a JSON object with keys {keys or '(none)'}"
    if isinstance(data, list):
        return (
            f"a JSON array of {len(data)} items with no ARM resource "
            "(items need 'type' and 'id' or 'name')"
        )
    return f"a JSON {type(data).__name__}"


def read_document(
    path: Path, options: ReadOptions, errors: list[InputError] | None = None
) -> tuple[ScannedInput | None, list[Resource], InputError | None]:
    shown = display_path(path, options.root)
    try:
        text, data = files.read_json(path, options.max_file_bytes)
    except files.ReadFailure as err:
        return None, [], InputError(shown, str(err))
    doc = Document(path=path, display=shown, text=text, data=data, options=options)
    if errors is not None:
        doc.errors = errors
    try:
        got = detect(data, doc)
    except ShapeError as err:
        return None, [], InputError(shown, str(err))
    except RecursionError:
        return None, [], InputError(shown, "JSON nested too deeply to read")
    if got is None:
        return None, [], InputError(
            shown,
            f"no known ARM shape: found {describe_shape(data)}; expected a resource, a list page "
            '({"value": [...]}), a Resource Graph result ({"data": ...}), a REST example, an array '
            "of resources or a deployment template",
        )
    kind, resources = got
    return ScannedInput(shown, kind, len(resources)), resources, None


def read_files(files: Iterable[tuple[Path, bool]], options: ReadOptions) -> SourceResult:
    result = SourceResult()
    for path, explicit in files:
        if not explicit and path.suffix.lower() not in JSON_SUFFIXES:
            note = (
                "Bicep source: compile it with `az bicep build` and scan the JSON"
                if path.suffix.lower() in (".bicep", ".bicepparam")
                else "not a JSON file"
            )
            result.scanned.append(
                ScannedInput(display_path(path, options.root), "skipped", 0, note)
            )
            continue
        scanned, resources, error = read_document(path, options, errors=result.errors)
        if error is not None:
            result.errors.append(error)
            continue
        assert scanned is not None
        result.scanned.append(scanned)
        result.resources.extend(resources)
        if scanned.kind == "recording-manifest":
            from mlwaf.sources import recording

            result.errors.extend(recording.manifest_errors(path, scanned.path))
            result.listed |= recording.manifest_listed(path)
    return result
