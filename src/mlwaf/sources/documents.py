"""JSON documents that hold ARM resources: detect the kind of each file and yield its resources.

Users hand the scanner whatever their tooling wrote: a REST GET body, a list page, a REST
example file, `az ... -o json`, `Get-AzResource | ConvertTo-Json`, `az graph query`, a
deployment template or `az group export`. Detection looks at the shape, never the file name, so
a file renamed by a pipeline still reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlwaf import armid, jsontext
from mlwaf.model import InputError, Origin, Resource, ScannedInput, SkippedItem
from mlwaf.sources import arm_template, files, recording, resource_shape, rest_examples
from mlwaf.sources.document import Document
from mlwaf.sources.options import ReadOptions, display_path
from mlwaf.sources.parameters import ParameterUse
from mlwaf.sources.result import SourceResult
from mlwaf.sources.walk import Found, Passed

# Files in a walked folder that are read as documents; anything else is listed as skipped.
JSON_SUFFIXES = {".json", ".jsonc", ".arm"}


class ShapeError(ValueError):
    """JSON that holds no shape the scanner knows; the message says what was expected."""


@dataclass
class Contents:
    """What a document (or a part of it) holds: its resources, and every other element accounted
    for, as an error (not assessable) or a skipped entry (not meant to be a resource). Readers
    return it; nothing is written into the document."""

    kind: str = ""
    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)

    def add(self, other: Contents) -> None:
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.skipped.extend(other.skipped)


def make_resource(
    obj: dict[str, Any], doc: Document, pointer: str, kind: str, *, partial: bool = False,
    api_version: str | None = None,
) -> Resource:
    """A Resource of an object already in ARM's spelling (resource_shape.shape)."""
    rtype = str(obj.get("type", ""))
    # A name that is not a string (a quota's {value, localizedValue}) is the id's last segment, as
    # the live collector names it: a replay names what the live scan named.
    given = obj.get("name")
    name = given if isinstance(given, str) else ""
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


# --- the conservation law -------------------------------------------------------------------
# Every element of every collection a document holds (an array, a list page's `value`, Resource
# Graph rows, the `resources` a PowerShell export nests under a resource) goes through
# `account`, which gives each exactly one outcome: a resource (whose own children are accounted
# the same way), a skipped entry, or an error, both naming the element's JSON pointer. Nothing
# else turns collections into resources, so nothing can be dropped on the way.


def account(items: list[Any], doc: Document, base: str, kind: str, *, graph: bool = False) -> Contents:
    """The resources among `items` (written at JSON pointer `base`), and every other element as a
    skipped entry or an error. `graph`: Resource Graph rows, which are partial when projected
    without `properties` (absent then means not exported, not default)."""
    out = Contents(kind)
    for i, item in enumerate(items):
        pointer = f"{base}/{i}"
        got = resource_shape.shape(item)
        if isinstance(got, resource_shape.NotResource):
            if got.skip:
                out.skipped.append(SkippedItem(pointer, got.reason))
            else:
                out.errors.append(InputError(doc.display, f"{pointer}: {got.reason}", pointer=pointer))
            continue
        out.resources.append(make_resource(got.obj, doc, pointer, kind, partial=graph and "properties" not in got.obj))
        if got.children is not None:
            out.add(account(got.children, doc, f"{pointer}/resources", kind))
    return out


# --- document kinds -------------------------------------------------------------------------
# Each reader takes (data, doc, pointer) and returns the Contents of the shape it reads (their
# kind said), or None when the shape is not its own. They are tried in order; the first that
# claims the document wins.

Reader = Callable[[Any, Document, str], "Contents | None"]


def _rest_example(data: Any, doc: Document, ptr: str) -> Contents | None:
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
            kind = f"rest-example/{inner.kind}"
            for r in inner.resources:
                r.origin = replace(r.origin, kind=kind, api_version=api_version or r.origin.api_version)
            return replace(inner, kind=kind)
    raise ShapeError("REST example with no 2xx response body (nothing a GET would return)")


def _list_page(data: Any, doc: Document, ptr: str) -> Contents | None:
    if not (isinstance(data, dict) and isinstance(data.get("value"), list)):
        return None
    return account(data["value"], doc, f"{ptr}/value", "list-page")


def _resource_graph(data: Any, doc: Document, ptr: str) -> Contents | None:
    if not (isinstance(data, dict) and "data" in data):
        return None
    rows = data["data"]
    if isinstance(rows, dict) and isinstance(rows.get("columns"), list):
        cols = [c.get("name") if isinstance(c, dict) else c for c in rows["columns"]]
        table = [dict(zip(cols, row, strict=False)) if isinstance(row, list) else row for row in rows.get("rows") or []]
        return account(table, doc, f"{ptr}/data/rows", "resource-graph", graph=True)
    if isinstance(rows, list):
        return account(rows, doc, f"{ptr}/data", "resource-graph", graph=True)
    return None


def _azure_facts(data: Any, doc: Document, ptr: str) -> Contents | None:
    """Usages, resource SKUs and providers: what ARM (and `az vm list-usage`, `az vm list-skus`)
    returns without the id and type a resource has (mlwaf.sources.azure_facts gives them one, from
    the path a recording names the file by)."""
    from mlwaf.sources import azure_facts

    found = azure_facts.items_of(data, ptr)
    kind = azure_facts.kind_of(found[0]) if found else None
    if found is None or kind is None:
        return None
    items, pointers = found
    place = azure_facts.place_of(doc.display)
    facts = azure_facts.build(kind, items, place, pointers)
    if facts.problem:
        raise ShapeError(facts.problem)
    resources = [make_resource(obj, doc, pointer, kind) for pointer, obj in facts.objects]
    return Contents(kind, resources, skipped=facts.skipped)


def _is_azure_fact(data: Any) -> bool:
    """`az vm list-usage` and `az vm list-skus` output: arrays with no ARM key, still ARM facts."""
    from mlwaf.sources import azure_facts

    return isinstance(data, list) and azure_facts.kind_of(data) is not None


def _template(data: Any, doc: Document, ptr: str) -> Contents | None:
    if not isinstance(data, dict):
        return None
    # `az group export` / the export REST API wrap the template as {"template": {...}}.
    if isinstance(data.get("template"), dict) and arm_template.is_template(data["template"]):
        # An export is stored state written as a template: its resources say so in their origin.
        read = arm_template.read_template(data["template"], doc, f"{ptr}/template")
        for r in read.resources:
            r.origin = replace(r.origin, kind="group-export")
        return Contents("group-export", read.resources, read.problems)
    if arm_template.is_template(data):
        read = arm_template.read_template(data, doc, ptr)
        return Contents("arm-template", read.resources, read.problems)
    return None


def _parameters(data: Any, doc: Document, ptr: str) -> Contents | None:
    if isinstance(data, dict) and arm_template.is_parameter_file(data):
        return Contents("arm-parameters")
    return None


def _array(data: Any, doc: Document, ptr: str) -> Contents | None:
    if not isinstance(data, list):
        return None
    return account(data, doc, ptr, "resource-array")


def _single(data: Any, doc: Document, ptr: str) -> Contents | None:
    got = resource_shape.shape(data)
    if not isinstance(got, resource_shape.Shaped):
        return None
    out = Contents("resource", [make_resource(got.obj, doc, ptr, "resource")])
    if got.children is not None:
        out.add(account(got.children, doc, f"{ptr}/resources", "resource"))
    return out


def _recording_manifest(data: Any, doc: Document, ptr: str) -> Contents | None:
    """The manifest of a recorded live scan holds no resources (the recorded pages beside it
    do); `read_files` turns its not-assessed entries into errors, as the live scan had them."""
    if ptr == "" and recording.is_manifest(data):
        return Contents(recording.MANIFEST_KIND)
    return None


READERS: list[Reader] = [
    _recording_manifest,
    _rest_example,
    _template,
    _parameters,
    _azure_facts,
    _resource_graph,
    _list_page,
    _array,
    _single,
]


def detect(data: Any, doc: Document, pointer: str = "") -> Contents | None:
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
        return f"a JSON array of {len(data)} items"
    return "JSON null" if data is None else f"a JSON {type(data).__name__}"


_NO_SHAPE = (
    "; expected a resource, a list page ({\"value\": [...]}), a Resource Graph result "
    '({"data": ...}), a REST example, an array of resources or a deployment template'
)
# Text that broken ARM JSON still holds somewhere (a schema, a resource type, an id, a list).
_JSON_KEY = re.compile(r'"[^"\n]*"\s*:')
_ARM_HINT = re.compile(r'schema\.management\.azure\.com|microsoft\.|/subscriptions/|"(?:resources|value|data)"', re.I)


@dataclass
class Outcome:
    """What became of one file: scanned (with its resources), skipped, or an error; and the
    problems found inside a file that was read."""

    scanned: ScannedInput | None = None
    resources: list[Resource] = field(default_factory=list)
    error: InputError | None = None
    inner_errors: list[InputError] = field(default_factory=list)


def read_document(
    path: Path, options: ReadOptions, *, explicit: bool = True, parameters: ParameterUse | None = None
) -> Outcome:
    """Read one file. A file found by walking a folder that holds nothing ARM (package.json,
    editor settings, mlwaf's own reports) is skipped as not ARM; one named on the command line
    is never skipped: a shape mlwaf does not know is an error there."""
    shown = display_path(path, options.root)
    try:
        text, data = files.read_json(path, options.max_file_bytes)
    except files.ReadFailure as err:
        if not explicit and _not_arm_text(path, err, options):
            return Outcome(scanned=ScannedInput(shown, "skipped", 0, f"not ARM, and {err}"))
        return Outcome(error=InputError(shown, str(err)))
    own = own_output(data)
    if own is not None:
        note = f"{own}: mlwaf's own output, never read as input"
        if explicit:
            return Outcome(error=InputError(shown, note))
        return Outcome(scanned=ScannedInput(shown, "skipped", 0, note))
    if not explicit and not resource_shape.has_arm_marker(data) and not recording.is_manifest(data) \
            and not _is_azure_fact(data):
        return Outcome(scanned=ScannedInput(shown, "skipped", 0, f"not ARM: {describe_shape(data)}, with no ARM key"))
    if len(text) > files.HAND_WRITTEN_BYTES and _written_by_hand(data):
        try:  # a large template was parsed fast; people write templates, so look for repeated keys
            jsontext.loads(text, strict=True)
        except jsontext.JsonTextError as err:
            return Outcome(error=InputError(shown, f"not valid JSON: {err}"))
    doc = Document(path=path, display=shown, text=text, data=data, options=options, parameters=parameters)
    try:
        got = detect(data, doc)
    except ShapeError as err:
        return Outcome(error=InputError(shown, str(err)))
    except RecursionError:
        return Outcome(error=InputError(shown, "JSON nested too deeply to read"))
    if got is None:
        why = resource_shape.shape(data)
        detail = f" ({why.reason})" if isinstance(data, dict) and isinstance(why, resource_shape.NotResource) else ""
        return Outcome(error=InputError(shown, f"no known ARM shape: found {describe_shape(data)}{detail}{_NO_SHAPE}"))
    scanned = ScannedInput(shown, got.kind, len(got.resources), skipped=tuple(got.skipped))
    return Outcome(scanned=scanned, resources=got.resources, inner_errors=got.errors)


def _written_by_hand(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    inner = data.get("template")
    return arm_template.is_template(data) or arm_template.is_parameter_file(data) or (
        isinstance(inner, dict) and arm_template.is_template(inner)
    )


def _not_arm_text(path: Path, err: files.ReadFailure, options: ReadOptions) -> bool:
    """A walked file that is not JSON, has keys, and names nothing ARM (an editor's settings with
    trailing commas): not ARM. An empty, keyless (`[`) or unreadable file stays an error: a
    failed or truncated export looks so."""
    if not err.syntax:
        return False
    try:
        text = jsontext.decode(files.read_bytes(path, options.max_file_bytes))
    except (files.ReadFailure, jsontext.JsonTextError):
        return False
    return _JSON_KEY.search(text) is not None and _ARM_HINT.search(text) is None


def own_output(data: Any) -> str | None:
    """What mlwaf output this is (its JSON report or baseline, its SARIF), by content: a report
    copied elsewhere is still never scanned as input."""
    if not isinstance(data, dict):
        return None
    tool = data.get("tool")
    if isinstance(tool, dict) and tool.get("name") == "mlwaf":
        return "an mlwaf baseline" if "findings" in data and "scores" not in data else "an mlwaf report"
    runs = data.get("runs")
    if isinstance(runs, list) and runs and isinstance(runs[0], dict):
        driver = (runs[0].get("tool") or {}).get("driver") if isinstance(runs[0].get("tool"), dict) else None
        if isinstance(driver, dict) and driver.get("name") == "mlwaf":
            return "an mlwaf SARIF report"
    return None


def read_files(entries: Iterable[Found | Passed], options: ReadOptions) -> SourceResult:
    """Read what the walk found; list what it passed over (mlwaf.sources.walk)."""
    result = SourceResult()
    parameters = ParameterUse([Path(p) for p in options.parameter_files], dict(options.param_overrides or {}))
    versions: dict[str, str] = {}  # recorded file -> the API version its live call used
    for entry in entries:
        if isinstance(entry, Passed):
            shown = display_path(entry.path, options.root)
            if entry.error:
                result.errors.append(InputError(shown, entry.reason))
            else:
                result.scanned.append(ScannedInput(shown, "skipped", 0, entry.reason))
            continue
        path, explicit = entry.path, entry.explicit and not options.skip_non_arm
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
        got = read_document(path, options, explicit=explicit, parameters=parameters)
        if got.error is not None:
            result.errors.append(got.error)
            continue
        assert got.scanned is not None
        result.scanned.append(got.scanned)
        result.resources.extend(got.resources)
        result.errors.extend(got.inner_errors)
        if got.scanned.kind == "recording-manifest":
            result.errors.extend(recording.manifest_errors(path, got.scanned.path))
            result.listed |= recording.manifest_listed(path)
            result.collected = (result.collected or set()) | recording.manifest_collected(path)
            versions.update(recording.manifest_api_versions(path, got.scanned.path))
    result.errors.extend(parameters.errors(lambda p: display_path(p, options.root)))
    for r in result.resources if versions else ():
        if r.origin.path in versions and r.origin.kind != "resource-graph":
            r.origin = replace(r.origin, api_version=versions[r.origin.path])
    return result
