"""Deployment templates (ARM JSON, `az bicep build` output, `az group export`) as resources.

A template is evaluated the way Azure Resource Manager evaluates it before deploying: parameters
(defaults, parameter files, `--param` overrides), variables (with `copy`), resource and property
`copy` loops, `condition`, nested child resources, `Microsoft.Resources/deployments` with inline
or local linked templates (inner and outer scope, any depth), `languageVersion 2.0` symbolic
resources (`existing` ones are references, not deployments), and extension resources with
`scope`. The expression language itself lives in `arm_expressions`.

What only Azure knows at deployment time (`reference()`, `list*()`, a parameter with no value)
stays an `Unresolved` value inside the resource, so a check answers UNKNOWN with the expression as
evidence. Evaluation is lazy and memoized: a variable or parameter is computed once, when first
used. Every resource keeps the file and JSON pointer of its declaration, so findings get lines.
"""

from __future__ import annotations

import copy as _copy
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf import armid, jsontext
from mlwaf.model import InputError, Origin, Resource, Unresolved
from mlwaf.sources import arm_expressions as ax
from mlwaf.sources.files import ReadFailure, read_json
from mlwaf.sources.parameters import ParameterSet, sets_for

if TYPE_CHECKING:
    from mlwaf.sources.documents import Document

_SCHEMA_TEMPLATE = "deploymenttemplate.json"
_SCHEMA_PARAMETERS = "deploymentparameters.json"
DEPLOYMENTS = "microsoft.resources/deployments"
# Keys of a resource declaration that hold the resource's own ARM JSON.
_BODY_KEYS = (
    "location", "kind", "sku", "identity", "tags", "properties", "zones", "plan",
    "extendedLocation", "managedBy",
    # Not deployed, but kept: a resource's `metadata` carries inline suppressions (Bicep @metadata).
    "metadata",
)
_BODY = {k.lower(): k for k in _BODY_KEYS}
_MAX_DEPTH = 16  # nested deployments deeper than this are reported, not followed
_SECURE_TYPES = {"securestring", "secureobject"}


def is_template(data: dict[str, Any]) -> bool:
    schema = str(data.get("$schema", "")).lower()
    if _SCHEMA_TEMPLATE in schema:
        return True
    return "resources" in data and ("contentVersion" in data or "parameters" in data) and (
        isinstance(data["resources"], list | dict)
    )


def is_parameter_file(data: dict[str, Any]) -> bool:
    schema = str(data.get("$schema", "")).lower()
    return _SCHEMA_PARAMETERS in schema


def is_expression(value: Any) -> bool:
    return ax.is_expression(value)


def _escape(token: str | int) -> str:
    return jsontext.escape_pointer_token(token)


_ABSENT = object()


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """A property of a template object; ARM matches property names case-insensitively."""
    if not isinstance(obj, dict):
        return default
    if key in obj:
        return obj[key]
    lowered = key.lower()
    for k, v in obj.items():
        if k.lower() == lowered:
            return v
    return default


def _has(obj: Any, key: str) -> bool:
    return _get(obj, key, _ABSENT) is not _ABSENT


# --- results ------------------------------------------------------------------------------------


@dataclass
class TemplateResult:
    """Resources a template deploys, with what could not be evaluated or assessed."""

    resources: list[Resource] = field(default_factory=list)
    # Expressions Azure would reject: file, JSON pointer and expression in each message.
    errors: list[InputError] = field(default_factory=list)
    # Parts of the deployment that were not assessed (remote linked templates, loops whose count
    # is known only at deployment time), each with its reason.
    not_assessed: list[InputError] = field(default_factory=list)
    parameters_files: list[str] = field(default_factory=list)


class _Run:
    """State shared by every template scope of one top-level evaluation."""

    def __init__(self, doc: Document, result: TemplateResult) -> None:
        self.root_doc = doc
        self.options = doc.options
        self.result = result
        self.parameters_file: str | None = None
        self.loaded: dict[Path, Any] = {}

    def error(self, doc: Document, pointer: str, message: str, expression: str | None = None) -> None:
        where = f"{pointer or '/'}"
        text = f"{where}: {message}" + (f" in expression {expression}" if expression else "")
        self.result.errors.append(InputError(doc.display, text))

    def not_assessed(self, doc: Document, pointer: str, message: str) -> None:
        self.result.not_assessed.append(InputError(doc.display, f"not assessed: {pointer}: {message}"))


# --- one template's evaluation scope ---------------------------------------------------------


class _Scope(ax.Context):
    """Parameters, variables and functions of one template, plus the copy loop being expanded.

    Copies made by `with_loop` share the memo tables, so a variable is computed once whatever
    loop instance asks for it first (variables cannot depend on `copyIndex()`).
    """

    def __init__(
        self,
        run: _Run,
        template: dict[str, Any],
        doc: Document,
        pointer: str,
        given: dict[str, Any],
        *,
        subscription_id: str,
        resource_group: str,
        location: str,
        deployment_name: str,
        template_uri: str | None,
        depth: int,
        secure_given: set[str] | None = None,
    ) -> None:
        self.run = run
        self.template = template
        self.doc = doc
        self.pointer = pointer
        self.given = given
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.location = location
        self.tenant_id = getattr(run.options, "tenant_id", ax.Context.tenant_id)
        self.deployment_name = deployment_name
        self.template_uri = template_uri
        self.depth = depth
        params = template.get("parameters") if isinstance(template.get("parameters"), dict) else {}
        self.param_decl: dict[str, tuple[str, Any]] = {k.lower(): (k, v) for k, v in params.items()}
        self.secure: set[str] = {
            k for k, (_, spec) in self.param_decl.items()
            if isinstance(spec, dict) and str(spec.get("type", "")).lower() in _SECURE_TYPES
        } | (secure_given or set())
        variables = template.get("variables") if isinstance(template.get("variables"), dict) else {}
        # name -> (declared name, raw value, pointer, is a `copy` loop of variables)
        self.var_decl: dict[str, tuple[str, Any, str, bool]] = {}
        for k, v in variables.items():
            if k == "copy" and isinstance(v, list):
                for i, loop in enumerate(v):
                    if isinstance(loop, dict) and isinstance(loop.get("name"), str):
                        self.var_decl[loop["name"].lower()] = (
                            loop["name"], loop, f"{pointer}/variables/copy/{i}", True
                        )
            else:
                self.var_decl[k.lower()] = (k, v, f"{pointer}/variables/{_escape(k)}", False)
        self.functions: dict[tuple[str, str], tuple[list[str], Any]] = {}
        for ns in template.get("functions") or []:
            if not isinstance(ns, dict):
                continue
            for fname, spec in (ns.get("members") or {}).items():
                if isinstance(spec, dict):
                    names = [p.get("name", "") for p in spec.get("parameters") or [] if isinstance(p, dict)]
                    output = (spec.get("output") or {}).get("value")
                    self.functions[(str(ns.get("namespace", "")).lower(), fname.lower())] = (names, output)
        self.memo: dict[tuple[str, str, bool], Any] = {}
        self.tainted: set[tuple[str, str]] = set()
        self.busy: set[tuple[str, str, bool]] = set()
        self.taint = [False]
        self.loops: dict[str, int] = {}
        self.current_loop: str | None = None
        # In names mode a parameter with no value reads as its own expression text, so the
        # names and ids built from it stay the same everywhere it is used.
        self.names_mode = False

    # -- Context interface -------------------------------------------------------------------
    def with_loop(self, name: str, index: int) -> _Scope:
        frame = _copy.copy(self)
        frame.loops = {**self.loops, name.lower(): index}
        frame.current_loop = name.lower()
        return frame

    def _mode(self, *, names: bool | None = None, param_default: bool | None = None) -> _Scope:
        frame = _copy.copy(self)
        if names is not None:
            frame.names_mode = names
        if param_default is not None:
            frame.in_parameter_default = param_default
        return frame

    def copy_index(self, loop: str | None) -> int:
        if loop is None:
            if self.current_loop is None:
                raise ax.ExpressionError("copyIndex() is used outside a copy loop")
            return self.loops[self.current_loop]
        if loop.lower() not in self.loops:
            raise ax.ExpressionError(f"copyIndex({loop!r}) is used outside the copy loop {loop!r}")
        return self.loops[loop.lower()]

    def parameter(self, name: str) -> Any:
        key = name.lower()
        if key not in self.param_decl:
            raise ax.ExpressionError(f"the template has no parameter {name!r}")
        if key in self.secure:
            self.taint[0] = True
        memo_key = ("p", key, self.names_mode)
        if memo_key in self.memo:
            return self.memo[memo_key]
        if memo_key in self.busy:
            raise ax.ExpressionError(f"parameter {name!r} refers to itself")
        self.busy.add(memo_key)
        try:
            value = self._parameter_value(key)
        finally:
            self.busy.discard(memo_key)
        self.memo[memo_key] = value
        return value

    def _parameter_value(self, key: str) -> Any:
        declared, spec = self.param_decl[key]
        spec = spec if isinstance(spec, dict) else {}
        if key in self.given and not (self.given[key] is None and "defaultValue" in spec):
            # A null passed to a parameter with a default means "use the default" (how Bicep
            # modules pass optional values through).
            return self.given[key]
        if "defaultValue" in spec:
            frame = self._mode(param_default=True)
            frame.loops, frame.current_loop = {}, None
            return frame.resolve(spec["defaultValue"], f"{self.pointer}/parameters/{_escape(declared)}/defaultValue")
        if spec.get("nullable") is True:
            return None
        text = f"[parameters('{declared}')]"
        if self.names_mode:
            return text
        return ax.Unknown(text, f"parameter {declared!r} has no value (give it with --param or a parameter file)")

    def variable(self, name: str) -> Any:
        key = name.lower()
        if key not in self.var_decl:
            raise ax.ExpressionError(f"the template has no variable {name!r}")
        memo_key = ("v", key, self.names_mode)
        if memo_key in self.memo:
            if ("v", key) in self.tainted:
                self.taint[0] = True
            return self.memo[memo_key]
        if memo_key in self.busy:
            raise ax.ExpressionError(f"variable {name!r} refers to itself")
        self.busy.add(memo_key)
        outer_taint = self.taint[0]
        self.taint[0] = False
        frame = self._mode()
        frame.loops, frame.current_loop = {}, None
        try:
            _, raw, ptr, is_copy = self.var_decl[key]
            if is_copy:
                value = frame._copy_array(raw, ptr)
            else:
                value = frame.resolve(raw, ptr)
        finally:
            self.busy.discard(memo_key)
            touched = self.taint[0]
            self.taint[0] = outer_taint or touched
        if touched:
            self.tainted.add(("v", key))
        self.memo[memo_key] = value
        return value

    def user_function(self, namespace: str, name: str) -> tuple[list[str], Any] | None:
        return self.functions.get((namespace.lower(), name.lower()))

    def deployment(self) -> dict[str, Any]:
        props: dict[str, Any] = {
            "template": {
                "contentVersion": self.template.get("contentVersion", "1.0.0.0"),
                "metadata": self.template.get("metadata") or {},
            },
            "parameters": {},
            "mode": "Incremental",
            "provisioningState": "Accepted",
        }
        if self.template_uri:
            props["templateLink"] = {"uri": self.template_uri, "contentVersion": "1.0.0.0"}
        return {"name": self.deployment_name, "properties": props, "location": self.location}

    # -- evaluating template JSON ------------------------------------------------------------
    def expr(self, text: str, pointer: str) -> Any:
        """One template string: evaluated, with errors recorded and turned into Unresolved."""
        if not ax.is_expression(text):
            return ax.literal_text(text)
        try:
            value = ax.evaluate(text[1:-1], self)
        except ax.ParseError as err:
            self.run.error(self.doc, pointer, f"cannot parse expression: {err}", text)
            return Unresolved(text, f"invalid expression: {err}")
        except ax.ExpressionError as err:
            self.run.error(self.doc, pointer, str(err), text)
            return Unresolved(text, str(err))
        except RecursionError:
            self.run.error(self.doc, pointer, "expression nested too deeply", text)
            return Unresolved(text, "expression nested too deeply")
        if isinstance(value, dict | list) and jsontext.too_deep(value, jsontext.MAX_DEPTH):
            # Held to the bound files are (mlwaf.jsontext): every later walker may then recurse.
            why = f"its value nests deeper than {jsontext.MAX_DEPTH} levels"
            self.run.error(self.doc, pointer, why, text)
            return Unresolved(text, why)
        if isinstance(value, ax.Lambda):
            self.run.error(self.doc, pointer, "a lambda() can only be an argument of a function", text)
            return Unresolved(text, "lambda outside a function")
        if isinstance(value, Unresolved):
            # The whole value is unknown: show the expression as written in the file.
            return Unresolved(text, value.reason)
        return value

    def resolve(self, value: Any, pointer: str, *, hide_secure: bool = False) -> Any:
        """A template JSON value with every expression evaluated (property `copy` expanded)."""
        if isinstance(value, str):
            if not hide_secure:
                return self.expr(value, pointer)
            outer = self.taint[0]
            self.taint[0] = False
            result = self.expr(value, pointer)
            touched = self.taint[0]
            self.taint[0] = outer or touched
            if touched and ax.is_expression(value):
                return _Hidden(value)
            return result
        if isinstance(value, dict):
            loops = value.get("copy")
            out: dict[str, Any] = {}
            for k, v in value.items():
                if k == "copy" and isinstance(loops, list) and all(
                    isinstance(x, dict) and "input" in x for x in loops
                ):
                    for i, loop in enumerate(loops):
                        name = loop.get("name")
                        if isinstance(name, str):
                            out[name] = self._copy_array(loop, f"{pointer}/copy/{i}", hide_secure)
                    continue
                key = k
                if ax.is_expression(k):
                    # ARM evaluates expressions in property names too (`{"[variables('id')]": {}}`).
                    evaluated = self.expr(k, f"{pointer}/{_escape(k)}")
                    key = evaluated if isinstance(evaluated, str) else k
                out[key] = self.resolve(v, f"{pointer}/{_escape(k)}", hide_secure=hide_secure)
            return out
        if isinstance(value, list):
            return [self.resolve(v, f"{pointer}/{i}", hide_secure=hide_secure) for i, v in enumerate(value)]
        return value

    def _copy_array(self, loop: dict[str, Any], pointer: str, hide_secure: bool = False) -> Any:
        name = str(loop.get("name", ""))
        count = self.count(loop.get("count"), f"{pointer}/count")
        if count is None:
            reason = f"the count of copy loop {name!r} is known only at deployment time"
            return Unresolved(str(loop.get("count")), reason)
        return [
            self.with_loop(name, i).resolve(loop.get("input"), f"{pointer}/input", hide_secure=hide_secure)
            for i in range(count)
        ]

    def count(self, raw: Any, pointer: str) -> int | None:
        value = self.resolve(raw, pointer)
        if isinstance(value, Unresolved):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.run.error(self.doc, pointer, f"a copy count must be an integer, not {value!r}")
            return None
        if value < 0:
            self.run.error(self.doc, pointer, f"a copy count cannot be negative ({value})")
            return None
        return value

    def name_text(self, raw: Any, pointer: str) -> str:
        """A resource name (or type, or scope) as text; unknown parts keep their expression."""
        value = self._mode(names=True).resolve(raw, pointer)
        if isinstance(value, str):
            return value
        if isinstance(value, Unresolved):
            return value.expression
        return ax.to_text(value)

    # -- resources ------------------------------------------------------------------------------
    def walk(self, out: list[Resource]) -> None:
        resources = self.template.get("resources")
        self.declarations(resources, f"{self.pointer}/resources", None, out)

    def declarations(
        self, resources: Any, pointer: str, parent: tuple[str, str] | None, out: list[Resource]
    ) -> None:
        if isinstance(resources, dict):
            items: list[tuple[str | int, Any]] = list(resources.items())
        elif isinstance(resources, list):
            items = list(enumerate(resources))
        else:
            return
        for key, decl in items:
            if isinstance(decl, dict):
                self.declaration(decl, f"{pointer}/{_escape(key)}", parent, out)

    def declaration(
        self, decl: dict[str, Any], ptr: str, parent: tuple[str, str] | None, out: list[Resource]
    ) -> None:
        if _get(decl, "existing") is True or not _has(decl, "type"):
            return  # a reference to a resource deployed elsewhere: used by expressions only
        loop = _get(decl, "copy")
        if isinstance(loop, dict):
            name = str(loop.get("name", "copy"))
            count = self.count(loop.get("count"), f"{ptr}/copy/count")
            if count is None:
                self.run.not_assessed(
                    self.doc, ptr,
                    f"copy loop {name!r} has a count known only at deployment time ({loop.get('count')})",
                )
                return
            for i in range(count):
                self.with_loop(name, i).instance(decl, ptr, parent, out)
        else:
            self.instance(decl, ptr, parent, out)

    def instance(
        self, decl: dict[str, Any], ptr: str, parent: tuple[str, str] | None, out: list[Resource]
    ) -> None:
        if _has(decl, "condition"):
            cond = self.resolve(_get(decl, "condition"), f"{ptr}/condition")
            if cond is False:
                return  # not deployed, so not scanned
            if isinstance(cond, str) and cond.lower() == "false":
                return
        rtype = self.name_text(_get(decl, "type"), f"{ptr}/type")
        name = self.name_text(_get(decl, "name", ""), f"{ptr}/name")
        if parent and not rtype.lower().startswith(parent[0].split("/", 1)[0].lower() + "/"):
            rtype = f"{parent[0]}/{rtype}"
            name = f"{parent[1]}/{name}"
        if rtype.lower() == DEPLOYMENTS:
            self.nested_deployment(decl, ptr, name, out)
            return
        rid, rtype, name = self.resource_id(decl, ptr, rtype, name)
        raw: dict[str, Any] = {"id": rid, "type": rtype, "name": name}
        for key, value in decl.items():
            canonical = _BODY.get(key.lower())
            if canonical is not None:
                raw[canonical] = _unhide(
                    self.resolve(value, f"{ptr}/{_escape(key)}", hide_secure=True)
                )
        api_version = _get(decl, "apiVersion")
        api_version = api_version if isinstance(api_version, str) else None
        out.append(
            Resource(
                type=rtype,
                id=rid,
                name=armid.name_of(rid),
                raw=raw,
                origin=Origin(
                    path=self.doc.display,
                    pointer=ptr,
                    kind="arm-template",
                    api_version=api_version,
                    parameters_file=self.run.parameters_file,
                ),
                locator=self.doc.position,
            )
        )
        if _get(decl, "resources"):
            self.declarations(_get(decl, "resources"), f"{ptr}/resources", (rtype, name), out)

    def resource_id(self, decl: dict[str, Any], ptr: str, rtype: str, name: str) -> tuple[str, str, str]:
        """(id, type, name) the way ARM names the resource; extension resources hang below the
        resource they extend (`{target}/providers/{type}/{name}`)."""
        base = f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
        lowered = rtype.lower()
        if "/providers/" in lowered:
            # Classic extension syntax: type `A.B/vaults/providers/X.Y/z`, name `kv/X.Y/n`.
            idx = lowered.index("/providers/")
            target_type, ext_type = rtype[:idx], rtype[idx + len("/providers/") :]
            names = name.split("/")
            n_target = len(target_type.split("/")) - 1
            target = armid.build(target_type, "/".join(names[:n_target]), self.subscription_id, self.resource_group)
            ext_names = names[n_target + 1 :]
            if "." not in ext_type.split("/", 1)[0] and len(names) > n_target:
                ext_type = f"{names[n_target]}/{ext_type}"  # the namespace is written in the name
            rid = armid.build(ext_type, "/".join(ext_names), scope=target)
            return rid, ext_type, "/".join(ext_names)
        scope_raw = _get(decl, "scope")
        if scope_raw is not None:
            scope = self.name_text(scope_raw, f"{ptr}/scope")
            if not scope.startswith("/"):
                # A resource of this deployment written as `Namespace/type/name`.
                parts = scope.strip("/").split("/")
                if len(parts) >= 3:
                    types = [parts[0], *parts[1::2]]
                    names = parts[2::2]
                    scope = armid.build("/".join(types), "/".join(names), self.subscription_id, self.resource_group)
                else:
                    scope = base
            return armid.build(rtype, name, scope=scope), rtype, name
        return armid.build(rtype, name, self.subscription_id, self.resource_group), rtype, name

    # -- nested deployments ----------------------------------------------------------------------
    def nested_deployment(self, decl: dict[str, Any], ptr: str, name: str, out: list[Resource]) -> None:
        props = _get(decl, "properties")
        props = props if isinstance(props, dict) else {}
        if self.depth >= _MAX_DEPTH:
            self.run.not_assessed(self.doc, ptr, f"nested deployments deeper than {_MAX_DEPTH} levels")
            return
        sub = self.subscription_id
        if _has(decl, "subscriptionId"):
            sub = self.name_text(_get(decl, "subscriptionId"), f"{ptr}/subscriptionId")
        rg = self.resource_group
        if _has(decl, "resourceGroup"):
            rg = self.name_text(_get(decl, "resourceGroup"), f"{ptr}/resourceGroup")
        scope_opt = _get(_get(props, "expressionEvaluationOptions"), "scope")
        inner = isinstance(scope_opt, str) and scope_opt.lower() == "inner"
        template = _get(props, "template")
        doc, tptr, uri = self.doc, f"{ptr}/properties/template", self.template_uri
        if not isinstance(template, dict):
            link = _get(props, "templateLink")
            if not isinstance(link, dict):
                self.run.not_assessed(self.doc, ptr, "deployment has neither a template nor a templateLink")
                return
            loaded = self.linked_template(link, ptr)
            if loaded is None:
                return
            doc, template, uri = loaded
            tptr = ""
            inner = True  # a linked template always has its own parameters and variables
        if not inner:
            frame = _copy.copy(self)
            frame.subscription_id, frame.resource_group = sub, rg
            frame.loops, frame.current_loop = {}, None
            frame.declarations(_get(template, "resources"), f"{tptr}/resources", None, out)
            return
        given: dict[str, Any] = {}
        secure: set[str] = set()
        passed = _get(props, "parameters")
        if isinstance(passed, str):
            passed = self.resolve(passed, f"{ptr}/properties/parameters")
        if isinstance(passed, dict):
            for pname, pval in passed.items():
                ppath = f"{ptr}/properties/parameters/{_escape(pname)}"
                if _has(pval, "value"):
                    outer = self.taint[0]
                    self.taint[0] = False
                    given[pname.lower()] = self.resolve(_get(pval, "value"), f"{ppath}/value")
                    if self.taint[0]:
                        secure.add(pname.lower())
                    self.taint[0] = outer
                elif _has(pval, "reference"):
                    given[pname.lower()] = ax.Unknown(
                        f"[Key Vault reference for parameter '{pname}']", "a Key Vault secret"
                    )
                    secure.add(pname.lower())
        child = _Scope(
            self.run, template, doc, tptr, given,
            subscription_id=sub, resource_group=rg, location=self.location,
            deployment_name=name, template_uri=uri, depth=self.depth + 1, secure_given=secure,
        )
        child.walk(out)

    def linked_template(self, link: dict[str, Any], ptr: str) -> tuple[Document, dict[str, Any], str | None] | None:
        """A templateLink to a local file, loaded; a remote one is reported as not assessed."""
        target: Path | None = None
        if _has(link, "relativePath"):
            rel = self.name_text(_get(link, "relativePath"), f"{ptr}/properties/templateLink/relativePath")
            target = self.doc.path.parent / rel
        elif _has(link, "uri"):
            uri = self.resolve(_get(link, "uri"), f"{ptr}/properties/templateLink/uri")
            if not isinstance(uri, str):
                self.run.not_assessed(
                    self.doc, ptr,
                    f"linked template address is known only at deployment time ({_get(link, 'uri')})",
                )
                return None
            parsed = urllib.parse.urlparse(uri)
            if parsed.scheme == "file":
                target = Path(urllib.request.url2pathname(parsed.path))
            elif parsed.scheme in ("http", "https"):
                self.run.not_assessed(self.doc, ptr, f"linked template {uri} is remote; scan a local copy to assess it")
                return None
            else:
                target = self.doc.path.parent / uri
        else:
            self.run.not_assessed(self.doc, ptr, "templateLink names a template spec (id), which is not read offline")
            return None
        return self.run_load(target, ptr)

    def run_load(self, target: Path, ptr: str) -> tuple[Document, dict[str, Any], str | None] | None:
        from mlwaf.sources import display_path
        from mlwaf.sources.documents import Document

        target = target.resolve()
        try:
            text, data = read_json(target, self.run.options.max_file_bytes, strict=True)
        except ReadFailure as err:
            self.run.error(self.doc, ptr, f"cannot read linked template {target}: {err}")
            return None
        if not (isinstance(data, dict) and is_template(data)):
            self.run.error(self.doc, ptr, f"linked template {target} is not a deployment template")
            return None
        doc = Document(
            path=target, display=display_path(target, self.run.options.root), text=text,
            data=data, options=self.run.options,
        )
        return doc, data, target.as_uri()

    # -- reference() -----------------------------------------------------------------------------
    def reference(self, args: list[Any], text: str) -> Any:
        return ax.Unknown(f"[{text}]", "reference() is known only at deployment time")


class _Hidden(Unresolved):
    """A property value computed from a secure parameter: never shown, never judged."""

    __slots__ = ()

    def __init__(self, expression: str) -> None:
        super().__init__(expression, "computed from a secure parameter (value not shown)")


def _unhide(value: Any) -> Any:
    if isinstance(value, _Hidden):
        return Unresolved(value.expression, value.reason)
    if isinstance(value, dict):
        return {k: _unhide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unhide(v) for v in value]
    return value


# --- parameters -------------------------------------------------------------------------------


# --- entry points -------------------------------------------------------------------------------


def evaluate_template(
    template: dict[str, Any], doc: Document, pointer: str = "", given: ParameterSet | None = None,
) -> TemplateResult:
    """Evaluate a template as Azure would deploy it with one set of parameter values (default:
    the first of mlwaf.sources.parameters.sets_for); returns resources, errors, gaps."""
    result = TemplateResult()
    run = _Run(doc, result)
    options = doc.options
    if given is None:
        found = _parameter_sets(template, doc, run)
        if not found:
            return result
        given = found[0]
    if given.file is not None:
        from mlwaf.sources import display_path

        run.result.parameters_files = [display_path(given.file, options.root)]
        run.parameters_file = run.result.parameters_files[0]
    uri = doc.path.resolve().as_uri() if doc.path.is_absolute() or doc.path.exists() else None
    scope = _Scope(
        run, template, doc, pointer, given.values,
        subscription_id=options.subscription_id,
        resource_group=options.resource_group,
        location=options.location,
        deployment_name=getattr(options, "deployment_name", "mlwaf-deployment"),
        template_uri=uri,
        depth=0,
    )
    scope.walk(result.resources)
    return result


def _parameter_sets(template: dict[str, Any], doc: Document, run: _Run) -> list[ParameterSet]:
    declared = template.get("parameters") if isinstance(template.get("parameters"), dict) else {}
    return sets_for(
        declared, doc.path, doc.display, doc.options, getattr(doc, "parameters", None),
        lambda message: run.error(doc, "", message),
    )


def read_template(template: dict[str, Any], doc: Document, pointer: str) -> list[Resource]:
    """The resources of a template, once per deployment (parameter file) it is scanned as; its
    errors and gaps go to `doc.errors` (see documents.read_document)."""
    run = _Run(doc, TemplateResult())
    sets = _parameter_sets(template, doc, run)
    resources: list[Resource] = []
    problems: dict[InputError, None] = dict.fromkeys(run.result.errors)
    for given in sets:
        result = evaluate_template(template, doc, pointer, given)
        resources.extend(result.resources)
        problems.update(dict.fromkeys([*result.errors, *result.not_assessed]))
    sink = getattr(doc, "errors", None)
    if isinstance(sink, list):
        sink.extend(problems)
    return resources
