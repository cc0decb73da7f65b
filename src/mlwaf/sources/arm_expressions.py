"""The ARM template expression language: tokenizer, parser and the built-in function library.

Pure: no I/O, no Azure. A template source hands `evaluate` an expression and a `Context` that
answers `parameters()`, `variables()`, `copyIndex()` and the deployment placeholders; everything
else (string, array, object, comparison, logical, numeric, date, lambda and resource-id
functions, `uniqueString`, `guid`) is computed here the way Azure Resource Manager computes it.

Values that only exist at deployment time (`reference()`, `list*()`, a parameter with no value,
`utcNow()`) are `Unknown`. An `Unknown` flows through every function without raising: a function
that needs the value returns an `Unknown` itself; containers keep it as an element, so the known
parts of an object stay known. `Unknown` is an `mlwaf.model.Unresolved`, so a check that reads it
answers UNKNOWN with the expression as evidence instead of guessing.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import math
import re
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from mlwaf import armjson
from mlwaf.model import Unresolved

# --- errors and values ------------------------------------------------------------------------


class ExpressionError(ValueError):
    """An expression Azure would reject (bad syntax, wrong argument, unknown function)."""


class ParseError(ExpressionError):
    """The expression text is not valid ARM expression syntax."""


class Unknown(Unresolved):
    """A value known only at deployment time; `expression` is the sub-expression that made it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Unknown({self.expression!r})"


class Lambda:
    """A `lambda(...)` argument: parameter names, the body, and the frame it was written in."""

    __slots__ = ("body", "ctx", "names", "outer")

    def __init__(self, names: list[str], body: Node, ctx: Context, outer: dict[str, Any]) -> None:
        self.names = names
        self.body = body
        self.ctx = ctx
        self.outer = outer

    def __call__(self, *args: Any) -> Any:
        scope = dict(self.outer)
        for name, value in zip(self.names, args, strict=False):
            scope[name.lower()] = value
        return _eval(self.body, self.ctx, scope)


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unresolved)


def first_unknown(value: Any) -> Unresolved | None:
    """The first unknown anywhere inside a value (depth-first), or None when fully known."""
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, dict):
        for v in value.values():
            if (u := first_unknown(v)) is not None:
                return u
    elif isinstance(value, list):
        for v in value:
            if (u := first_unknown(v)) is not None:
                return u
    return None


# --- context ------------------------------------------------------------------------------------

AZURE_CLOUD: dict[str, Any] = {
    "name": "AzureCloud",
    "gallery": "https://gallery.azure.com/",
    "graph": "https://graph.windows.net/",
    "portal": "https://portal.azure.com",
    "graphAudience": "https://graph.windows.net/",
    "activeDirectoryDataLake": "https://datalake.azure.net/",
    "batch": "https://batch.core.windows.net/",
    "media": "https://rest.media.azure.net",
    "sqlManagement": "https://management.core.windows.net:8443/",
    "vmImageAliasDoc": (
        "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/"
        "arm-compute/quickstart-templates/aliases.json"
    ),
    "resourceManager": "https://management.azure.com/",
    "authentication": {
        "loginEndpoint": "https://login.microsoftonline.com/",
        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
        "tenant": "common",
        "identityProvider": "AAD",
    },
    "suffixes": {
        "acrLoginServer": ".azurecr.io",
        "azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
        "azureDatalakeStoreFileSystem": "azuredatalakestore.net",
        "azureFrontDoorEndpointSuffix": "azurefd.net",
        "keyvaultDns": ".vault.azure.net",
        "sqlServerHostname": ".database.windows.net",
        "storage": "core.windows.net",
    },
}


class Context:
    """What an expression can ask of the template it is written in.

    The defaults describe an empty template at the placeholder scope. A template's frame
    (`arm_template.frame.Frame`) answers with its parameters, variables, copy loops and user-defined
    functions; Azure Policy's dialect (`mlwaf.policy.functions`) with the assignment's parameters and
    its own functions, through `function()`.
    """

    subscription_id = "00000000-0000-0000-0000-000000000000"
    resource_group = "mlwaf-template-rg"
    location = "westeurope"
    tenant_id = "00000000-0000-0000-0000-000000000000"
    # utcNow() and newGuid() are valid only in a parameter's defaultValue.
    in_parameter_default = False

    def parameter(self, name: str) -> Any:
        raise ExpressionError(f"the template has no parameter {name!r}")

    def variable(self, name: str) -> Any:
        raise ExpressionError(f"the template has no variable {name!r}")

    def copy_index(self, loop: str | None) -> int:
        if loop:
            raise ExpressionError(f"copyIndex({loop!r}) is used outside the copy loop {loop!r}")
        raise ExpressionError("copyIndex() is used outside a copy loop")

    def deployment(self) -> dict[str, Any]:
        return {"name": "mlwaf-deployment", "properties": {"mode": "Incremental"}}

    def user_function(self, namespace: str, name: str) -> tuple[list[str], Any] | None:
        """(parameter names, output value expression) of `namespace.name`, or None."""
        return None

    def reference(self, args: list[Any], text: str) -> Any:
        return Unknown(f"[{text}]", "reference() is known only at deployment time")

    def function(self, name: str) -> tuple[Callable[..., Any], str] | None:
        """A function this context adds, replaces or rejects (by lower-case name), as
        (implementation, mode) like the built-in library's entries; None for the library's own.
        Another dialect of the language (Azure Policy's `field()`, `current()`, its rejected
        functions) plugs in here instead of copying the evaluator."""
        return None

    def resource_group_object(self) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}",
            "name": self.resource_group,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location,
            "tags": {},
            "properties": {"provisioningState": "Succeeded"},
        }

    def subscription_object(self) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": "mlwaf placeholder subscription",
        }


# --- tokenizer and parser -----------------------------------------------------------------------
# AST nodes are tuples, cheap to build and to walk:
#   ("lit", value) | ("call", name_lower, [args], source_text, namespace) |
#   ("prop", node, name) | ("index", node, node)
Node = tuple

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<punct>[()\[\],.])
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, Any, int]]:
    tokens: list[tuple[str, Any, int]] = []
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].strip()
            if not rest:
                break
            if rest.startswith("'"):
                raise ParseError(f"unterminated string literal at character {pos + 1}")
            raise ParseError(f"unexpected character {rest[0]!r} at character {pos + 1}")
        kind = m.lastgroup or ""
        raw = m.group(kind)
        start = m.start(kind)
        if kind == "str":
            tokens.append(("str", raw[1:-1].replace("''", "'"), start))
        elif kind == "num":
            tokens.append(("num", float(raw) if "." in raw else int(raw), start))
        else:
            tokens.append((kind, raw, start))
        pos = m.end()
    tokens.append(("end", None, n))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, Any, int]:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def take(self, kind: str, value: str | None = None) -> tuple[str, Any, int]:
        tok = self.peek()
        if tok[0] != kind or (value is not None and tok[1] != value):
            want = value or kind
            got = "the end of the expression" if tok[0] == "end" else repr(tok[1])
            raise ParseError(f"expected {want!r} but found {got} at character {tok[2] + 1}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.peek()[0] == "end":
            raise ParseError("empty expression")
        node = self.expression()
        if self.peek()[0] != "end":
            tok = self.peek()
            raise ParseError(f"unexpected {tok[1]!r} after the expression at character {tok[2] + 1}")
        return node

    def expression(self) -> Node:
        node = self.primary()
        while True:
            kind, value, _ = self.peek()
            if kind == "punct" and value == ".":
                self.i += 1
                name = self.peek()
                if name[0] not in ("ident",):
                    raise ParseError(f"expected a property name after '.' at character {name[2] + 1}")
                self.i += 1
                node = ("prop", node, name[1])
            elif kind == "punct" and value == "[":
                self.i += 1
                index = self.expression()
                self.take("punct", "]")
                node = ("index", node, index)
            else:
                return node

    def primary(self) -> Node:
        kind, value, start = self.peek()
        if kind == "str" or kind == "num":
            self.i += 1
            return ("lit", value)
        if kind == "ident":
            self.i += 1
            namespace = ""
            name = value
            if self.peek()[:2] == ("punct", ".") and self.peek(1)[0] == "ident" and (
                self.peek(2)[:2] == ("punct", "(")
            ):
                namespace, name = value, self.peek(1)[1]
                self.i += 2
            if self.peek()[:2] != ("punct", "("):
                raise ParseError(
                    f"{value!r} at character {start + 1} is not a function call (write {value}())"
                )
            self.i += 1
            args: list[Node] = []
            if self.peek()[:2] != ("punct", ")"):
                args.append(self.expression())
                while self.peek()[:2] == ("punct", ","):
                    self.i += 1
                    args.append(self.expression())
            end = self.take("punct", ")")[2]
            return ("call", name.lower(), args, self.text[start : end + 1], namespace.lower())
        if kind == "end":
            raise ParseError("the expression ends early")
        raise ParseError(f"unexpected {value!r} at character {start + 1}")


@functools.lru_cache(maxsize=8192)
def parse(text: str) -> Node:
    """Parse an expression (without its surrounding brackets); raises ParseError."""
    return _Parser(text).parse()


def is_expression(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) >= 2
        and value[0] == "["
        and value[-1] == "]"
        and not value.startswith("[[")
    )


def literal_text(value: str) -> str:
    """A template string that is not an expression, as ARM reads it (`[[x]` means `[x]`)."""
    return value[1:] if value.startswith("[[") else value


def evaluate(text: str, ctx: Context) -> Any:
    """Evaluate an expression given without its brackets. Raises ExpressionError on bad input."""
    return _eval(parse(text), ctx, {})


def evaluate_string(value: Any, ctx: Context) -> Any:
    """A template JSON string: an expression is evaluated, anything else read as a literal."""
    if isinstance(value, str):
        if is_expression(value):
            return evaluate(value[1:-1], ctx)
        return literal_text(value)
    return value


# --- evaluation -------------------------------------------------------------------------------


def _eval(node: Node, ctx: Context, lambdas: dict[str, Any]) -> Any:
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "call":
        return _call(node, ctx, lambdas)
    if tag == "prop":
        return member(_eval(node[1], ctx, lambdas), node[2])
    # index
    target = _eval(node[1], ctx, lambdas)
    key = _eval(node[2], ctx, lambdas)
    if isinstance(key, Unresolved):
        return key if not isinstance(target, Unresolved) else target
    return member(target, key)


def member(target: Any, key: Any) -> Any:
    """`x.name` / `x['name']` / `x[0]`: object keys match case-insensitively, as ARM does."""
    if isinstance(target, Unresolved):
        return target
    if isinstance(target, dict):
        if not isinstance(key, str):
            raise ExpressionError(f"an object is indexed with {_kind(key)}, not a string")
        found = armjson.key(target, key)
        if found is not armjson.MISSING:
            return found
        raise ExpressionError(
            f"the property {key!r} does not exist; available: {', '.join(map(str, target)) or '(none)'}"
        )
    if isinstance(target, list):
        if isinstance(key, bool) or not isinstance(key, int):
            raise ExpressionError(f"an array is indexed with {_kind(key)}, not an integer")
        if not -len(target) <= key < len(target) or key < 0:
            raise ExpressionError(f"index {key} is out of range for an array of {len(target)}")
        return target[key]
    raise ExpressionError(f"cannot read {key!r} of {_kind(target)}")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# Functions: name -> (implementation, mode). Modes:
#   "strict": any unknown anywhere in the arguments makes the result unknown (most functions);
#   "shallow": only an argument that is itself unknown does (containers keep unknown elements);
#   "keep": unknown arguments are kept as they are (createArray builds an array of them);
#   "lazy": gets the unevaluated argument nodes (if, and, or, coalesce, lambda, ...).
_FUNCTIONS: dict[str, tuple[Callable[..., Any], str]] = {}


def _fn(*names: str, mode: str = "strict") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        for name in names:
            _FUNCTIONS[name.lower()] = (fn, mode)
        return fn

    return register


def function_names() -> list[str]:
    return sorted(_FUNCTIONS)


def _call(node: Node, ctx: Context, lambdas: dict[str, Any]) -> Any:
    _, name, arg_nodes, text, namespace = node
    if namespace:
        return _user_function(node, ctx, lambdas)
    entry = ctx.function(name) or _FUNCTIONS.get(name)
    if entry is None:
        if name.startswith("list"):
            for a in arg_nodes:
                _eval(a, ctx, lambdas)
            return Unknown(f"[{text}]", f"{name}() reads secrets or runtime state at deployment time")
        raise ExpressionError(f"unknown function {name!r}")
    fn, mode = entry
    if mode == "lazy":
        return fn(ctx, lambdas, arg_nodes, text)
    args = [_eval(a, ctx, lambdas) for a in arg_nodes]
    if mode == "strict":
        for a in args:
            if (u := first_unknown(a)) is not None:
                return u
    elif mode == "shallow":
        for a in args:
            if isinstance(a, Unresolved):
                return a
    try:
        return fn(ctx, *args)
    except TypeError as err:
        if "positional argument" in str(err) or "required" in str(err):
            raise ExpressionError(f"{name}() was given {len(args)} argument(s): {err}") from None
        raise


def _user_function(node: Node, ctx: Context, lambdas: dict[str, Any]) -> Any:
    _, name, arg_nodes, _text, namespace = node
    found = ctx.user_function(namespace, name)
    if found is None:
        raise ExpressionError(f"unknown function {namespace}.{name}")
    params, output = found
    args = [_eval(a, ctx, lambdas) for a in arg_nodes]
    if len(args) != len(params):
        raise ExpressionError(f"{namespace}.{name}() takes {len(params)} argument(s), got {len(args)}")
    inner = _FunctionContext(ctx, dict(zip((p.lower() for p in params), args, strict=True)))
    return evaluate_string(output, inner)


class _FunctionContext(Context):
    """Inside a user-defined function only its own parameters are visible (ARM's rule)."""

    def __init__(self, outer: Context, params: dict[str, Any]) -> None:
        self.outer = outer
        self.params = params
        self.subscription_id = outer.subscription_id
        self.resource_group = outer.resource_group
        self.location = outer.location
        self.tenant_id = outer.tenant_id

    def parameter(self, name: str) -> Any:
        if name.lower() in self.params:
            return self.params[name.lower()]
        raise ExpressionError(f"the function has no parameter {name!r}")

    def user_function(self, namespace: str, name: str) -> tuple[list[str], Any] | None:
        return self.outer.user_function(namespace, name)

    def deployment(self) -> dict[str, Any]:
        return self.outer.deployment()


def _need(value: Any, *types: type, what: str = "argument") -> Any:
    if isinstance(value, bool) and bool not in types:
        raise ExpressionError(f"the {what} must be {_names(types)}, not a boolean")
    if not isinstance(value, types):
        raise ExpressionError(f"the {what} must be {_names(types)}, not {_kind(value)}")
    return value


def _names(types: Iterable[type]) -> str:
    names = {
        str: "a string", int: "an integer", list: "an array", dict: "an object",
        bool: "a boolean", float: "a number",
    }
    return " or ".join(names.get(t, t.__name__) for t in types)


def _int(value: Any, what: str = "argument") -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _need(value, int, what=what)


# --- deployment functions -------------------------------------------------------------------


@_fn("parameters", mode="shallow")
def _parameters(ctx: Context, name: Any) -> Any:
    return ctx.parameter(_need(name, str, what="parameter name"))


@_fn("variables", mode="shallow")
def _variables(ctx: Context, name: Any) -> Any:
    return ctx.variable(_need(name, str, what="variable name"))


@_fn("copyindex", mode="shallow")
def _copy_index(ctx: Context, *args: Any) -> Any:
    loop: str | None = None
    offset = 0
    for a in args:
        if isinstance(a, str):
            loop = a
        else:
            offset = _int(a, "copyIndex offset")
    return ctx.copy_index(loop) + offset


@_fn("deployment")
def _deployment(ctx: Context) -> Any:
    return ctx.deployment()


@_fn("environment")
def _environment(ctx: Context) -> Any:
    return json.loads(json.dumps(AZURE_CLOUD))


@_fn("resourcegroup")
def _resource_group(ctx: Context) -> Any:
    return ctx.resource_group_object()


@_fn("subscription")
def _subscription(ctx: Context) -> Any:
    return ctx.subscription_object()


@_fn("tenant")
def _tenant(ctx: Context) -> Any:
    return {"tenantId": ctx.tenant_id, "countryCode": "", "displayName": "mlwaf placeholder tenant"}


@_fn("managementgroup", "pickzones", "providers", "references", "deployer", mode="lazy")
def _runtime_only(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    for a in nodes:
        _eval(a, ctx, lambdas)
    return Unknown(f"[{text}]", "known only at deployment time")


@_fn("reference", mode="lazy")
def _reference(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    if not nodes:
        raise ExpressionError("reference() needs a resource name or id")
    args = [_eval(a, ctx, lambdas) for a in nodes]
    return ctx.reference(args, text)


@_fn("utcnow", "newguid", mode="lazy")
def _deploy_time(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    name = text.split("(", 1)[0]
    if not ctx.in_parameter_default:
        raise ExpressionError(f"{name}() can only be used in a parameter's defaultValue")
    return Unknown(f"[{text}]", f"{name}() is the time or a new value of each deployment")


# --- resource id functions ----------------------------------------------------------------


def _id_part(value: Any) -> str:
    """A segment of a resource id. An unknown name keeps its expression text, so the same
    unresolved name gives the same id wherever it is used and relations still match."""
    if isinstance(value, Unresolved):
        return value.expression
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ExpressionError(f"a resource id segment must be a string, not {_kind(value)}")


def _typed_path(rtype: Any, names: list[Any]) -> str:
    rtype = _id_part(rtype)
    parts = rtype.strip("/").split("/")
    if len(parts) < 2:
        raise ExpressionError(f"{rtype!r} is not a resource type (namespace/type)")
    flat: list[str] = []
    for n in names:
        # An unknown name is one segment whatever its expression text holds.
        flat.extend([n.expression] if isinstance(n, Unresolved) else _id_part(n).strip("/").split("/"))
    types = parts[1:]
    if len(flat) != len(types):
        raise ExpressionError(
            f"resource type {rtype!r} needs {len(types)} name segment(s), got {len(flat)}"
        )
    segs = [parts[0]]
    for t, n in zip(types, flat, strict=True):
        segs += [t, n]
    return "/providers/" + "/".join(segs)


def _is_type(value: Any) -> bool:
    return isinstance(value, str) and "/" in value and "." in value.split("/", 1)[0]


def _type_index(args: tuple[Any, ...], fn: str, most: int) -> int:
    """Where the resource type argument is; an unknown before it makes the whole id unknown."""
    for i, a in enumerate(args):
        if isinstance(a, Unresolved) and i <= most:
            raise _UnknownType(a)
        if _is_type(a):
            if i > most:
                break
            return i
    raise ExpressionError(f"{fn}() needs a resource type (Namespace/type) argument")


class _UnknownType(Exception):
    def __init__(self, value: Unresolved) -> None:
        self.value = value


@_fn("resourceid", mode="keep")
def _resource_id(ctx: Context, *args: Any) -> Any:
    try:
        idx = _type_index(args, "resourceId", 2)
    except _UnknownType as u:
        return u.value
    sub, rg = ctx.subscription_id, ctx.resource_group
    if idx == 2:
        sub, rg = _id_part(args[0]), _id_part(args[1])
    elif idx == 1:
        rg = _id_part(args[0])
    return f"/subscriptions/{sub}/resourceGroups/{rg}" + _typed_path(args[idx], list(args[idx + 1 :]))


@_fn("subscriptionresourceid", mode="keep")
def _subscription_resource_id(ctx: Context, *args: Any) -> Any:
    try:
        idx = _type_index(args, "subscriptionResourceId", 1)
    except _UnknownType as u:
        return u.value
    sub = _id_part(args[0]) if idx == 1 else ctx.subscription_id
    return f"/subscriptions/{sub}" + _typed_path(args[idx], list(args[idx + 1 :]))


@_fn("tenantresourceid", mode="keep")
def _tenant_resource_id(ctx: Context, rtype: Any, *names: Any) -> Any:
    if isinstance(rtype, Unresolved):
        return rtype
    return _typed_path(rtype, list(names))


@_fn("managementgroupresourceid", mode="keep")
def _mg_resource_id(ctx: Context, *args: Any) -> Any:
    try:
        idx = _type_index(args, "managementGroupResourceId", 1)
    except _UnknownType as u:
        return u.value
    group = _id_part(args[0]) if idx == 1 else "mlwaf-management-group"
    return f"/providers/Microsoft.Management/managementGroups/{group}" + _typed_path(
        args[idx], list(args[idx + 1 :])
    )


@_fn("extensionresourceid", mode="keep")
def _extension_resource_id(ctx: Context, scope: Any, rtype: Any, *names: Any) -> Any:
    if isinstance(rtype, Unresolved):
        return rtype
    return _id_part(scope).rstrip("/") + _typed_path(rtype, list(names))


# --- logical and comparison -----------------------------------------------------------------


def _truth(value: Any, fn: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ExpressionError(f"{fn}() needs booleans, got {_kind(value)}")


@_fn("if", mode="lazy")
def _if(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    if len(nodes) != 3:
        raise ExpressionError(f"if() takes 3 arguments, got {len(nodes)}")
    cond = _eval(nodes[0], ctx, lambdas)
    if isinstance(cond, Unresolved):
        return Unknown(f"[{text}]", cond.reason)
    # Only the chosen branch is evaluated, as in ARM: the other may be invalid on purpose.
    return _eval(nodes[1] if _truth(cond, "if") else nodes[2], ctx, lambdas)


def _logical(nodes: list[Node], ctx: Context, lambdas: dict[str, Any], text: str, stop: bool) -> Any:
    if len(nodes) < 2:
        raise ExpressionError(f"{'or' if stop else 'and'}() takes at least 2 arguments")
    pending: Unresolved | None = None
    for n in nodes:
        value = _eval(n, ctx, lambdas)
        if isinstance(value, Unresolved):
            pending = pending or value
            continue
        if _truth(value, "or" if stop else "and") is stop:
            return stop
    if pending is not None:
        return Unknown(f"[{text}]", pending.reason)
    return not stop


@_fn("and", mode="lazy")
def _and(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    return _logical(nodes, ctx, lambdas, text, stop=False)


@_fn("or", mode="lazy")
def _or(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    return _logical(nodes, ctx, lambdas, text, stop=True)


@_fn("not")
def _not(ctx: Context, value: Any) -> bool:
    return not _truth(value, "not")


@_fn("true")
def _true(ctx: Context) -> bool:
    return True


@_fn("false")
def _false(ctx: Context) -> bool:
    return False


@_fn("null")
def _null(ctx: Context) -> None:
    return None


@_fn("bool")
def _bool(ctx: Context, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return value != 0
    raise ExpressionError(f"bool() cannot convert {_kind(value)}")


@_fn("coalesce", mode="lazy")
def _coalesce(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    if not nodes:
        raise ExpressionError("coalesce() needs at least one argument")
    for n in nodes:
        value = _eval(n, ctx, lambdas)
        if isinstance(value, Unresolved):
            return value
        if value is not None:
            return value
    return None


def deep_equal(a: Any, b: Any) -> bool:
    """ARM's equals: deep, type-sensitive, case-sensitive for strings, keys case-insensitive."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        lb = {k.lower(): v for k, v in b.items()}
        return all(k.lower() in lb and deep_equal(v, lb[k.lower()]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@_fn("equals")
def _equals(ctx: Context, a: Any, b: Any) -> bool:
    return deep_equal(a, b)


def _ordered(a: Any, b: Any, fn: str) -> tuple[Any, Any]:
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    raise ExpressionError(f"{fn}() compares two integers or two strings, got {_kind(a)} and {_kind(b)}")


@_fn("less")
def _less(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, "less")
    return bool(x < y)


@_fn("lessorequals")
def _less_eq(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, "lessOrEquals")
    return bool(x <= y)


@_fn("greater")
def _greater(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, "greater")
    return bool(x > y)


@_fn("greaterorequals")
def _greater_eq(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b, "greaterOrEquals")
    return bool(x >= y)


# --- numeric ----------------------------------------------------------------------------------


@_fn("add")
def _add(ctx: Context, a: Any, b: Any) -> int:
    return _int(a) + _int(b)


@_fn("sub")
def _sub(ctx: Context, a: Any, b: Any) -> int:
    return _int(a) - _int(b)


@_fn("mul")
def _mul(ctx: Context, a: Any, b: Any) -> int:
    return _int(a) * _int(b)


@_fn("div")
def _div(ctx: Context, a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ExpressionError("div() divides by zero")
    q = abs(x) // abs(y)  # .NET truncates toward zero
    return q if (x >= 0) == (y >= 0) else -q


@_fn("mod")
def _mod(ctx: Context, a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ExpressionError("mod() divides by zero")
    return int(math.fmod(x, y))


@_fn("int")
def _to_int(ctx: Context, value: Any) -> int:
    if isinstance(value, bool):
        raise ExpressionError("int() cannot convert a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ExpressionError(f"int() cannot convert {value!r}") from None
    raise ExpressionError(f"int() cannot convert {_kind(value)}")


@_fn("float")
def _to_float(ctx: Context, value: Any) -> float:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            raise ExpressionError(f"float() cannot convert {value!r}") from None
    raise ExpressionError(f"float() cannot convert {_kind(value)}")


def _numbers(args: tuple[Any, ...], fn: str) -> list[Any]:
    out: list[Any] = []
    for a in args:
        items = a if isinstance(a, list) else [a]
        for x in items:
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise ExpressionError(f"{fn}() takes integers or arrays of integers, got {_kind(x)}")
            out.append(x)
    if not out:
        raise ExpressionError(f"{fn}() needs at least one value")
    return out


@_fn("max")
def _max(ctx: Context, *args: Any) -> Any:
    return max(_numbers(args, "max"))


@_fn("min")
def _min(ctx: Context, *args: Any) -> Any:
    return min(_numbers(args, "min"))


# --- strings -------------------------------------------------------------------------------


def to_text(value: Any) -> str:
    """How ARM writes a value inside a string (`format`, `concat`, `string`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@_fn("string")
def _string(ctx: Context, value: Any) -> str:
    return to_text(value)


@_fn("concat", mode="shallow")
def _concat(ctx: Context, *args: Any) -> Any:
    if args and all(isinstance(a, list) or a is None for a in args) and any(isinstance(a, list) for a in args):
        out: list[Any] = []
        for a in args:
            out.extend(a or [])
        return out
    if not args:
        return ""
    for a in args:
        if (u := first_unknown(a)) is not None:
            return u
        if isinstance(a, list | dict):
            raise ExpressionError("concat() joins either arrays or strings, not both")
    return "".join(to_text(a) for a in args)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def _format_value(value: Any, spec: str | None) -> str:
    if spec and isinstance(value, int | float) and not isinstance(value, bool):
        code, digits = spec[0].upper(), spec[1:]
        if code == "N":
            places = int(digits) if digits else 2
            return f"{value:,.{places}f}"
        if code == "D":
            return str(int(value)).zfill(int(digits) if digits else 0)
        if code == "X":
            text = format(int(value), "x" if spec[0] == "x" else "X")
            return text.zfill(int(digits) if digits else 0)
        if code == "F":
            return f"{value:.{int(digits) if digits else 2}f}"
        if set(spec) <= {"0"}:
            return str(int(value)).zfill(len(spec))
    return to_text(value)


@_fn("format")
def _format(ctx: Context, fmt: Any, *args: Any) -> str:
    _need(fmt, str, what="format string")

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "{{":
            return "{"
        if tok == "}}":
            return "}"
        i = int(m.group(1))
        if i >= len(args):
            raise ExpressionError(f"format() refers to argument {{{i}}} but has {len(args)}")
        text = _format_value(args[i], m.group(3))
        width = int(m.group(2)) if m.group(2) else 0
        return text.rjust(width) if width > 0 else text.ljust(-width)

    return _FORMAT_ITEM.sub(sub, fmt)


@_fn("tolower")
def _to_lower(ctx: Context, s: Any) -> str:
    return _need(s, str).lower()


@_fn("toupper")
def _to_upper(ctx: Context, s: Any) -> str:
    return _need(s, str).upper()


@_fn("trim")
def _trim(ctx: Context, s: Any) -> str:
    return _need(s, str).strip()


@_fn("replace")
def _replace(ctx: Context, s: Any, old: Any, new: Any) -> str:
    return _need(s, str).replace(_need(old, str), _need(new, str))


@_fn("split")
def _split(ctx: Context, s: Any, delimiter: Any) -> list[str]:
    _need(s, str)
    delims = delimiter if isinstance(delimiter, list) else [_need(delimiter, str, what="delimiter")]
    if not delims:
        return [s]
    pattern = "|".join(re.escape(_need(d, str, what="delimiter")) for d in delims if d != "")
    return re.split(pattern, s) if pattern else [s]


@_fn("substring")
def _substring(ctx: Context, s: Any, start: Any = 0, length: Any = None) -> str:
    _need(s, str)
    a = _int(start, "start index")
    n = len(s) - a if length is None else _int(length, "length")
    if a < 0 or a > len(s) or n < 0 or a + n > len(s):
        raise ExpressionError(f"substring({a}, {n}) is out of range for a string of length {len(s)}")
    return s[a : a + n]


@_fn("padleft")
def _pad_left(ctx: Context, value: Any, width: Any, pad: Any = " ") -> str:
    text = to_text(value)
    _need(pad, str, what="padding character")
    if len(pad) != 1:
        raise ExpressionError("padLeft() pads with exactly one character")
    return text.rjust(_int(width, "total length"), pad)


@_fn("startswith")
def _starts_with(ctx: Context, s: Any, prefix: Any) -> bool:
    return _need(s, str).lower().startswith(_need(prefix, str).lower())


@_fn("endswith")
def _ends_with(ctx: Context, s: Any, suffix: Any) -> bool:
    return _need(s, str).lower().endswith(_need(suffix, str).lower())


@_fn("indexof")
def _index_of(ctx: Context, container: Any, item: Any) -> int:
    if isinstance(container, str):
        return container.lower().find(_need(item, str).lower())
    _need(container, list, str)
    return next((i for i, x in enumerate(container) if deep_equal(x, item)), -1)


@_fn("lastindexof")
def _last_index_of(ctx: Context, container: Any, item: Any) -> int:
    if isinstance(container, str):
        return container.lower().rfind(_need(item, str).lower())
    _need(container, list, str)
    return next((i for i in range(len(container) - 1, -1, -1) if deep_equal(container[i], item)), -1)


@_fn("base64")
def _base64(ctx: Context, s: Any) -> str:
    return base64.b64encode(_need(s, str).encode()).decode()


@_fn("base64tostring")
def _base64_to_string(ctx: Context, s: Any) -> str:
    try:
        return base64.b64decode(_need(s, str)).decode()
    except ValueError as err:
        raise ExpressionError(f"base64ToString(): {err}") from None


@_fn("base64tojson")
def _base64_to_json(ctx: Context, s: Any) -> Any:
    return _json(ctx, _base64_to_string(ctx, s))


@_fn("datauri")
def _data_uri(ctx: Context, s: Any) -> str:
    return "data:text/plain;charset=utf8;base64," + _base64(ctx, s)


@_fn("datauritostring")
def _data_uri_to_string(ctx: Context, s: Any) -> str:
    _need(s, str)
    if not s.startswith("data:") or "," not in s:
        raise ExpressionError("dataUriToString() needs a data URI")
    head, data = s.split(",", 1)
    return base64.b64decode(data).decode() if head.endswith(";base64") else urllib.parse.unquote(data)


@_fn("uri")
def _uri(ctx: Context, base: Any, relative: Any) -> str:
    return urllib.parse.urljoin(_need(base, str), _need(relative, str))


@_fn("uricomponent")
def _uri_component(ctx: Context, s: Any) -> str:
    return urllib.parse.quote(_need(s, str), safe="-_.~")


@_fn("uricomponenttostring")
def _uri_component_to_string(ctx: Context, s: Any) -> str:
    return urllib.parse.unquote(_need(s, str))


@_fn("json")
def _json(ctx: Context, s: Any) -> Any:
    from mlwaf import jsontext

    # Through the scanner's own reader: a value built from a string is bounded like a file's.
    try:
        return jsontext.loads(_need(s, str))
    except jsontext.JsonTextError as err:
        raise ExpressionError(f"json() got invalid JSON: {err}") from None


# uniqueString: Azure's 64-bit MurmurHash variant (Microsoft.WindowsAzure.ResourceStack's
# ComputeHash, two 32-bit lanes) over the UTF-8 of the arguments joined with '-', written as 13
# characters of base32 (a-z, 2-7) taken 5 bits at a time from the top of the 64-bit hash.
_M32 = 0xFFFFFFFF
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def murmur64(data: bytes, seed: int = 0) -> int:
    c1, c2 = 0x239B961B, 0xAB0E9789
    n = len(data)
    h1 = h2 = seed
    i = 0
    while i + 8 <= n:
        k1 = int.from_bytes(data[i : i + 4], "little")
        k2 = int.from_bytes(data[i + 4 : i + 8], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        h1 = (((_rotl(h1, 19) + h2) & _M32) * 5 + 0x561CCD1B) & _M32
        h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
        h2 = (((_rotl(h2, 13) + h1) & _M32) * 5 + 0x0BCAA747) & _M32
        i += 8
    tail = n - i
    if tail > 0:
        k1 = int.from_bytes(data[i : i + min(tail, 4)], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        if tail > 4:
            k2 = int.from_bytes(data[i + 4 : n], "little")
            h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return (h2 << 32) | h1


def unique_string(*values: str) -> str:
    h = murmur64("-".join(values).encode("utf-8"))
    out = []
    for _ in range(13):
        out.append(_BASE32[h >> 59])
        h = (h << 5) & 0xFFFFFFFFFFFFFFFF
    return "".join(out)


# guid: a name-based (RFC 4122 section 4.3, SHA-1, version 5) UUID of the arguments joined with
# '-', in the namespace Azure Resource Manager uses for it.
ARM_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def arm_guid(*values: str) -> str:
    return str(uuid.uuid5(ARM_GUID_NAMESPACE, "-".join(values)))


def _strings(args: tuple[Any, ...], fn: str) -> list[str]:
    if not args:
        raise ExpressionError(f"{fn}() needs at least one argument")
    for a in args:
        if not isinstance(a, str):
            raise ExpressionError(f"{fn}() takes strings, got {_kind(a)}")
    return list(args)


@_fn("uniquestring")
def _unique_string(ctx: Context, *args: Any) -> str:
    return unique_string(*_strings(args, "uniqueString"))


@_fn("guid")
def _guid(ctx: Context, *args: Any) -> str:
    return arm_guid(*_strings(args, "guid"))


# --- arrays and objects ---------------------------------------------------------------------


@_fn("createarray", mode="keep")
def _create_array(ctx: Context, *args: Any) -> list[Any]:
    return list(args)


@_fn("array", mode="shallow")
def _array(ctx: Context, value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@_fn("createobject", mode="lazy")
def _create_object(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    if len(nodes) % 2:
        raise ExpressionError("createObject() takes key/value pairs (an even number of arguments)")
    out: dict[str, Any] = {}
    for k, v in zip(nodes[::2], nodes[1::2], strict=True):
        key = _eval(k, ctx, lambdas)
        if isinstance(key, Unresolved):
            return Unknown(f"[{text}]", key.reason)
        out[_need(key, str, what="object key")] = _eval(v, ctx, lambdas)
    return out


@_fn("empty", mode="shallow")
def _empty(ctx: Context, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | dict):
        return len(value) == 0
    raise ExpressionError(f"empty() takes a string, array or object, got {_kind(value)}")


@_fn("length", mode="shallow")
def _length(ctx: Context, value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise ExpressionError(f"length() takes a string, array or object, got {_kind(value)}")


@_fn("first", mode="shallow")
def _first(ctx: Context, value: Any) -> Any:
    _need(value, str, list)
    return value[0] if value else (None if isinstance(value, list) else "")


@_fn("last", mode="shallow")
def _last(ctx: Context, value: Any) -> Any:
    _need(value, str, list)
    return value[-1] if value else (None if isinstance(value, list) else "")


@_fn("skip", mode="shallow")
def _skip(ctx: Context, value: Any, count: Any) -> Any:
    _need(value, str, list)
    return value[max(_int(count, "count"), 0) :]


@_fn("take", mode="shallow")
def _take(ctx: Context, value: Any, count: Any) -> Any:
    _need(value, str, list)
    return value[: max(_int(count, "count"), 0)]


@_fn("contains")
def _contains(ctx: Context, container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return to_text(item) in container
    if isinstance(container, list):
        return any(deep_equal(x, item) for x in container)
    if isinstance(container, dict):
        key = _need(item, str, what="key")
        return key.lower() in (k.lower() for k in container)
    raise ExpressionError(f"contains() takes a string, array or object, got {_kind(container)}")


@_fn("join")
def _join(ctx: Context, items: Any, delimiter: Any) -> str:
    _need(items, list)
    _need(delimiter, str, what="delimiter")
    return delimiter.join(to_text(x) for x in items)


@_fn("range")
def _range(ctx: Context, start: Any, count: Any) -> list[int]:
    a, n = _int(start, "start"), _int(count, "count")
    if n < 0:
        raise ExpressionError("range() needs a count of 0 or more")
    return list(range(a, a + n))


@_fn("flatten", mode="shallow")
def _flatten(ctx: Context, value: Any) -> list[Any]:
    out: list[Any] = []
    for x in _need(value, list):
        if isinstance(x, Unresolved):
            return Unknown(x.expression, x.reason)  # type: ignore[return-value]
        out.extend(_need(x, list, what="element of flatten()"))
    return out


@_fn("intersection")
def _intersection(ctx: Context, first: Any, *rest: Any) -> Any:
    if isinstance(first, dict):
        out = dict(first)
        for other in rest:
            _need(other, dict)
            out = {k: v for k, v in out.items() if k in other and deep_equal(v, other[k])}
        return out
    _need(first, list)
    result: list[Any] = []
    for x in first:
        if all(any(deep_equal(x, y) for y in _need(o, list)) for o in rest) and not any(
            deep_equal(x, r) for r in result
        ):
            result.append(x)
    return result


def _merge_objects(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    lowered = {k.lower(): k for k in out}
    for k, v in b.items():
        existing = lowered.get(k.lower())
        if existing is not None:
            old = out.pop(existing)
            out[existing] = _merge_objects(old, v) if isinstance(old, dict) and isinstance(v, dict) else v
        else:
            out[k] = v
            lowered[k.lower()] = k
    return out


@_fn("union", mode="shallow")
def _union(ctx: Context, *args: Any) -> Any:
    if not args:
        raise ExpressionError("union() needs at least one argument")
    if all(isinstance(a, dict) or a is None for a in args):
        out: dict[str, Any] = {}
        for a in args:
            out = _merge_objects(out, a or {})
        return out
    if all(isinstance(a, list) or a is None for a in args):
        result: list[Any] = []
        for a in args:
            for x in a or []:
                if not any(deep_equal(x, r) for r in result):
                    result.append(x)
        return result
    raise ExpressionError("union() takes all arrays or all objects")


@_fn("shallowmerge", mode="shallow")
def _shallow_merge(ctx: Context, objects: Any) -> Any:
    out: dict[str, Any] = {}
    for o in _need(objects, list):
        if isinstance(o, Unresolved):
            return o
        out.update(_need(o, dict, what="element of shallowMerge()"))
    return out


@_fn("objectkeys", mode="shallow")
def _object_keys(ctx: Context, value: Any) -> list[str]:
    return list(_need(value, dict))


@_fn("items", mode="shallow")
def _items(ctx: Context, value: Any) -> list[dict[str, Any]]:
    # ARM returns the entries sorted by key.
    return [{"key": k, "value": v} for k, v in sorted(_need(value, dict).items(), key=lambda kv: kv[0].lower())]


@_fn("tryget", mode="shallow")
def _try_get(ctx: Context, value: Any, *keys: Any) -> Any:
    current = value
    for key in keys:
        if isinstance(key, Unresolved):
            return key
        if isinstance(current, Unresolved):
            return current
        if isinstance(current, dict) and isinstance(key, str):
            hit = [v for k, v in current.items() if k.lower() == key.lower()]
            if not hit:
                return None
            current = hit[0]
        elif isinstance(current, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(current):
                return None
            current = current[key]
        else:
            return None
    return current


@_fn("tryindexfromend", "indexfromend", mode="shallow")
def _index_from_end(ctx: Context, value: Any, index: Any) -> Any:
    items = _need(value, list)
    i = _int(index, "index")
    if 1 <= i <= len(items):
        return items[-i]
    return None


# --- lambda functions -------------------------------------------------------------------------


@_fn("lambda", mode="lazy")
def _lambda(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Lambda:
    if not nodes:
        raise ExpressionError("lambda() needs a body")
    names = []
    for n in nodes[:-1]:
        if n[0] != "lit" or not isinstance(n[1], str):
            raise ExpressionError("lambda() parameter names must be string literals")
        names.append(n[1])
    return Lambda(names, nodes[-1], ctx, lambdas)


@_fn("lambdavariables", mode="lazy")
def _lambda_variables(ctx: Context, lambdas: dict[str, Any], nodes: list[Node], text: str) -> Any:
    name = _eval(nodes[0], ctx, lambdas) if nodes else None
    if not isinstance(name, str) or name.lower() not in lambdas:
        raise ExpressionError(f"lambdaVariables({name!r}) is not a parameter of an enclosing lambda")
    return lambdas[name.lower()]


def _need_lambda(value: Any, fn: str) -> Lambda:
    if not isinstance(value, Lambda):
        raise ExpressionError(f"{fn}() needs a lambda() argument")
    return value


@_fn("filter", mode="shallow")
def _filter(ctx: Context, items: Any, fn: Any) -> Any:
    f = _need_lambda(fn, "filter")
    out = []
    for i, x in enumerate(_need(items, list)):
        keep = f(x, i)
        if isinstance(keep, Unresolved):
            return keep
        if _truth(keep, "filter"):
            out.append(x)
    return out


@_fn("map", mode="shallow")
def _map(ctx: Context, items: Any, fn: Any) -> list[Any]:
    f = _need_lambda(fn, "map")
    return [f(x, i) for i, x in enumerate(_need(items, list))]


@_fn("mapvalues", mode="shallow")
def _map_values(ctx: Context, obj: Any, fn: Any) -> dict[str, Any]:
    f = _need_lambda(fn, "mapValues")
    return {k: f(v) for k, v in _need(obj, dict).items()}


@_fn("reduce", mode="shallow")
def _reduce(ctx: Context, items: Any, initial: Any, fn: Any) -> Any:
    f = _need_lambda(fn, "reduce")
    acc = initial
    for i, x in enumerate(_need(items, list)):
        acc = f(acc, x, i)
    return acc


@_fn("sort", mode="shallow")
def _sort(ctx: Context, items: Any, fn: Any) -> Any:
    f = _need_lambda(fn, "sort")
    values = list(_need(items, list))
    unknown: list[Unresolved] = []

    def cmp(a: Any, b: Any) -> int:
        before = f(a, b)
        if isinstance(before, Unresolved):
            unknown.append(before)
            return 0
        if _truth(before, "sort"):
            return -1
        after = f(b, a)
        return 1 if after is True else 0

    result = sorted(values, key=functools.cmp_to_key(cmp))
    return unknown[0] if unknown else result


@_fn("toobject", mode="shallow")
def _to_object(ctx: Context, items: Any, key_fn: Any, value_fn: Any = None) -> Any:
    kf = _need_lambda(key_fn, "toObject")
    vf = _need_lambda(value_fn, "toObject") if value_fn is not None else None
    out: dict[str, Any] = {}
    for x in _need(items, list):
        key = kf(x)
        if isinstance(key, Unresolved):
            return key
        out[_need(key, str, what="toObject key")] = vf(x) if vf else x
    return out


@_fn("groupby", mode="shallow")
def _group_by(ctx: Context, items: Any, fn: Any) -> Any:
    f = _need_lambda(fn, "groupBy")
    out: dict[str, list[Any]] = {}
    for x in _need(items, list):
        key = f(x)
        if isinstance(key, Unresolved):
            return key
        out.setdefault(_need(key, str, what="groupBy key"), []).append(x)
    return out


# --- dates ------------------------------------------------------------------------------------

_DURATION = re.compile(
    r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def _parse_datetime(value: str) -> dt.datetime:
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ExpressionError(f"{value!r} is not an ISO 8601 date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@_fn("datetimeadd")
def _date_time_add(ctx: Context, base: Any, duration: Any, fmt: Any = None) -> str:
    moment = _parse_datetime(_need(base, str))
    m = _DURATION.match(_need(duration, str, what="duration"))
    if not m:
        raise ExpressionError(f"{duration!r} is not an ISO 8601 duration")
    sign = -1 if m.group(1) else 1
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in m.groups()[1:7])
    seconds = float(m.group(8) or 0)
    total_months = moment.month - 1 + sign * (years * 12 + months)
    year, month = moment.year + total_months // 12, total_months % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    day = min(moment.day, days_in_month)
    moment = moment.replace(year=year, month=month, day=day)
    moment += sign * dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return _iso(moment)


@_fn("datetimefromepoch")
def _date_time_from_epoch(ctx: Context, epoch: Any) -> str:
    return _iso(dt.datetime.fromtimestamp(_int(epoch, "epoch"), tz=dt.UTC))


@_fn("datetimetoepoch")
def _date_time_to_epoch(ctx: Context, value: Any) -> int:
    return int(_parse_datetime(_need(value, str)).timestamp())
