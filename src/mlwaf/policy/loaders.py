"""People's own policies, in the shapes they keep them (`--policy PATH`, files or folders):

- `az policy definition|set-definition|assignment|exemption show/list` (flat objects, arrays),
  REST responses (`{"value": [...]}`), portal exports and ARM resources (`properties` nested);
- the azure-policy repository layout (`azurepolicy.json`, or `azurepolicy.rules.json` +
  `azurepolicy.parameters.json`; `policyset.json`, or `policyset.definitions.json` +
  `policyset.parameters.json`), named by their folder when split;
- Enterprise Policy as Code folders: JSONC definitions and set definitions (members by
  `policyDefinitionName`), assignment trees (`nodeName`, `definitionEntry` or
  `definitionEntryList`, `children`) and
  exemptions; `global-settings.jsonc` is skipped;
- `Microsoft.Authorization/policy*` resources in ARM templates (read by the template source, so
  parameters, variables and copy loops resolve as in a deployment).
A file that cannot be used is an input error naming the file and the JSON pointer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlwaf import jsontext
from mlwaf.model import InputError, Resource
from mlwaf.policy import model, parse
from mlwaf.policy.errors import PolicyInputError
from mlwaf.sources.arm_expressions import first_unknown

POLICY_TYPES = {
    model.DEFINITION_TYPE.lower(): "definition",
    model.SET_TYPE.lower(): "initiative",
    model.ASSIGNMENT_TYPE.lower(): "assignment",
    model.EXEMPTION_TYPE.lower(): "exemption",
}
_SUFFIXES = (".json", ".jsonc")
_SKIPPED_NAMES = {"global-settings.jsonc", "global-settings.json"}
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


@dataclass
class Loaded:
    definitions: list[model.Definition] = field(default_factory=list)
    initiatives: list[model.Initiative] = field(default_factory=list)
    assignments: list[model.Assignment] = field(default_factory=list)
    exemptions: list[model.Exemption] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def extend(self, other: Loaded) -> None:
        self.definitions += other.definitions
        self.initiatives += other.initiatives
        self.assignments += other.assignments
        self.exemptions += other.exemptions
        self.errors += other.errors
        self.skipped += other.skipped

    def add(self, kind: str, doc: dict[str, Any], source: str, pointer: str) -> None:
        if kind == "definition":
            self.definitions.append(parse.definition(doc, source, pointer))
        elif kind == "initiative":
            self.initiatives.append(parse.initiative(doc, source, pointer))
        elif kind == "assignment":
            self.assignments.append(parse.assignment(doc, source, pointer))
        elif kind == "exemption":
            self.exemptions.append(parse.exemption(doc, source, pointer))
        elif kind == "epac-assignment":
            self.assignments.extend(epac_assignments(doc, source, pointer))


def read_json(path: Path) -> Any:
    """JSON as ARM and EPAC write it: comments allowed, trailing commas (JSONC) too."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        return jsontext.loads(text)
    except jsontext.JsonTextError as first:
        relaxed = _TRAILING_COMMA.sub(r"\1", jsontext.strip_comments(text))
        try:
            return jsontext.loads(relaxed)
        except jsontext.JsonTextError:
            raise PolicyInputError(f"not JSON: {first}", str(path)) from None


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _SUFFIXES))
        else:
            out.append(p)
    return out


def load(paths: Sequence[Path]) -> Loaded:
    """Every policy object under `paths`; problems become `errors`, never exceptions."""
    out = Loaded()
    files = _files(paths)
    split = _split_layout(files, out)
    for f in files:
        if f in split:
            continue
        if not f.exists():
            out.errors.append(InputError(str(f), "no such file or folder"))
            continue
        if f.name.lower() in _SKIPPED_NAMES:
            out.skipped.append((str(f), "EPAC global settings, not a policy"))
            continue
        try:
            out.extend(load_document(read_json(f), str(f)))
        except PolicyInputError as err:
            out.errors.append(err.to_input_error())
    return out


def load_document(doc: Any, source: str) -> Loaded:
    from mlwaf.sources.arm_template import is_template

    out = Loaded()
    if isinstance(doc, dict) and is_template(doc):
        return from_template(Path(source))
    items: list[tuple[Any, str]]
    if isinstance(doc, list):
        items = [(d, f"/{i}") for i, d in enumerate(doc)]
    elif isinstance(doc, dict) and isinstance(doc.get("value"), list) and parse.kind_of(doc) is None:
        items = [(d, f"/value/{i}") for i, d in enumerate(doc["value"])]
    else:
        items = [(doc, "")]
    for item, pointer in items:
        kind = parse.kind_of(item)
        if kind is None:
            raise PolicyInputError(
                "not a policy definition, initiative, assignment or exemption "
                f"(keys: {', '.join(sorted(map(str, item))[:8]) if isinstance(item, dict) else type(item).__name__})",
                source,
                pointer,
            )
        try:
            out.add(kind, item, source, pointer)
        except PolicyInputError as err:
            out.errors.append(err.to_input_error())
    return out


def from_template(path: Path) -> Loaded:
    from mlwaf.sources import read_paths

    result = read_paths([path])
    out = from_resources(result.resources)
    out.errors.extend(result.errors)
    return out


def from_resources(resources: Iterable[Resource]) -> Loaded:
    """Policy objects declared as resources (in the scanned templates themselves)."""
    out = Loaded()
    for r in resources:
        kind = POLICY_TYPES.get(r.type_key)
        if kind is None:
            continue
        source = r.origin.path or r.id
        unknown = first_unknown(r.raw)
        if unknown is not None:
            out.errors.append(
                InputError(
                    source,
                    f"{r.type} {r.name!r} depends on {unknown.expression}, known only at deployment "
                    f"(at {r.origin.pointer})",
                )
            )
            continue
        try:
            out.add(kind, r.raw, source, r.origin.pointer)
        except PolicyInputError as err:
            out.errors.append(err.to_input_error())
    return out


# (body file, parameters file, whole file, kind, property the body holds)
_SPLIT_LAYOUTS = (
    ("azurepolicy.rules.json", "azurepolicy.parameters.json", "azurepolicy.json", "definition", "policyRule"),
    ("policyset.definitions.json", "policyset.parameters.json", "policyset.json", "initiative", "policyDefinitions"),
)


def _split_layout(files: list[Path], out: Loaded) -> set[Path]:
    """azure-policy repository folders whose definition is split into rules + parameters."""
    used: set[Path] = set()
    by_dir: dict[Path, dict[str, Path]] = {}
    for f in files:
        by_dir.setdefault(f.parent, {})[f.name.lower()] = f
    for folder, names in by_dir.items():
        for body_name, params_name, whole, kind, key in _SPLIT_LAYOUTS:
            body = names.get(body_name)
            if body is None:
                continue
            params = names.get(params_name)
            used |= {body} | ({params} if params else set())
            if whole not in names:
                _combine(out, folder, kind, body, params, key)
    return used


def _combine(out: Loaded, folder: Path, kind: str, body: Path, params: Path | None, key: str) -> None:
    try:
        props: dict[str, Any] = {key: read_json(body), "displayName": folder.name}
        if params is not None:
            props["parameters"] = read_json(params)
        out.add(kind, {"name": folder.name, "properties": props}, str(body), "")
    except PolicyInputError as err:
        out.errors.append(err.to_input_error())


# --- Enterprise Policy as Code assignment trees ---------------------------------------------------


def _entry_id(entry: dict[str, Any], source: str, pointer: str) -> str:
    for key, collection in (
        ("policySetId", None),
        ("policyId", None),
        ("policySetName", "policySetDefinitions"),
        ("policyName", "policyDefinitions"),
    ):
        value = parse.get(entry, key)
        if isinstance(value, str) and value:
            return value if collection is None else f"/providers/Microsoft.Authorization/{collection}/{value}"
    raise PolicyInputError("definitionEntry names no policy or policy set", source, pointer)


def _entries(n: dict[str, Any], source: str, ptr: str) -> list[tuple[Any, str]] | None:
    """The definition entries a node sets: its definitionEntry, or each of its definitionEntryList
    (one assignment per entry at every leaf below); None when it sets neither."""
    if parse.get(n, "definitionEntry") is not None:
        return [(parse.get(n, "definitionEntry"), f"{ptr}/definitionEntry")]
    listed = parse.get(n, "definitionEntryList")
    if listed is None:
        return None
    if not isinstance(listed, list) or not listed:
        raise PolicyInputError("definitionEntryList must be a non-empty array", source, f"{ptr}/definitionEntryList")
    return [(e, f"{ptr}/definitionEntryList/{i}") for i, e in enumerate(listed)]


def _entry_naming(entry: dict[str, Any], name: str, display: str) -> tuple[str, str]:
    """An entry's `assignment` name and displayName joined to the tree's, as EPAC does: after
    them with `append: true`, else before them."""
    own = parse.get(entry, "assignment")
    own = own if isinstance(own, dict) else {}
    after = parse.get(own, "append") is True

    def join(key: str, tree: str) -> str:
        part = str(parse.get(own, key, "") or "")
        return tree + part if after else part + tree

    return join("name", name), join("displayName", display)


def _leaf(state: dict[str, Any], source: str, ptr: str) -> list[model.Assignment]:
    """The assignments of one leaf of an EPAC tree: one per definition entry and scope."""
    if not state.get("entries"):
        raise PolicyInputError("an EPAC assignment leaf has no definitionEntry above it", source, ptr)
    out = []
    for entry, entry_ptr in state["entries"]:
        if not isinstance(entry, dict):
            raise PolicyInputError("definitionEntry must be an object", source, entry_ptr)
        name, display = _entry_naming(entry, state.get("name", ""), state.get("display", ""))
        name = name or parse.get(entry, "policyName") or parse.get(entry, "policySetName") or "epac-assignment"
        scopes = state.get("scope") or [""]
        for scope in scopes:
            props = {
                "policyDefinitionId": _entry_id(entry, source, entry_ptr),
                "displayName": display or parse.get(entry, "displayName") or name,
                "parameters": {k: {"value": v} for k, v in state.get("parameters", {}).items()},
                "notScopes": state.get("notScopes", []),
                "scope": scope,
            }
            for key in ("enforcementMode", "nonComplianceMessages", "overrides", "resourceSelectors"):
                if key in state:
                    props[key] = state[key]
            for key in ("nonComplianceMessages", "resourceSelectors"):  # an entry's own, then the tree's
                mine, tree = parse.get(entry, key), props.get(key, [])
                if isinstance(mine, list) and isinstance(tree, list):
                    props[key] = [*mine, *tree]
            shown = name if len(scopes) == 1 else f"{name}@{scope.rstrip('/').rsplit('/', 1)[-1] or 'root'}"
            out.append(parse.assignment({"name": shown, "properties": props}, source, ptr))
    return out


def epac_assignments(node: dict[str, Any], source: str, pointer: str = "") -> list[model.Assignment]:
    """Flatten an EPAC assignment tree: each leaf node, with what its ancestors set (child
    values win; names and display names are concatenated, as EPAC does), once per definition
    entry (`definitionEntry`, or each of a `definitionEntryList`)."""
    out: list[model.Assignment] = []

    def visit(n: dict[str, Any], ptr: str, inherited: dict[str, Any]) -> None:
        state = dict(inherited)
        entries = _entries(n, source, ptr)
        if entries is not None:
            state["entries"] = entries
        a = parse.get(n, "assignment") or {}
        if isinstance(a, dict):
            state["name"] = state.get("name", "") + str(parse.get(a, "name", "") or "")
            state["display"] = state.get("display", "") + str(parse.get(a, "displayName", "") or "")
        params = parse.get(n, "parameters")
        if isinstance(params, dict):
            state["parameters"] = {**state.get("parameters", {}), **params}
        for key in ("enforcementMode", "nonComplianceMessages", "overrides", "resourceSelectors"):
            if parse.get(n, key) is not None:
                state[key] = parse.get(n, key)
        for key in ("scope", "notScopes"):
            value = parse.get(n, key)
            if isinstance(value, dict):
                state[key] = [s for scopes in value.values() for s in (scopes or [])]
            elif isinstance(value, list):
                state[key] = value
        children = parse.get(n, "children")
        if isinstance(children, list) and children:
            for i, c in enumerate(children):
                if isinstance(c, dict):
                    visit(c, f"{ptr}/children/{i}", state)
            return
        out.extend(_leaf(state, source, ptr))

    visit(node, pointer, {})
    return out
