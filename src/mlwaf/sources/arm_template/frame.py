"""A frame: where in a template an expression is evaluated, and the context it asks.

The expression engine (`arm_expressions`) asks its `Context` for parameters, variables, user
functions, `copyIndex()` and `deployment()`; a Frame answers from its template's state, the copy
loops it is inside, and the subscription and resource group its deployment targets. Frames are
values: entering a loop or a mode makes a new one, and every frame of a template shares that
template's state (what was computed once is not computed again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlwaf import jsontext
from mlwaf.model import Unresolved
from mlwaf.sources import arm_expressions as ax
from mlwaf.sources.arm_template.declaration import escape
from mlwaf.sources.arm_template.state import TemplateState


@dataclass(frozen=True, eq=False)  # a frame is one place in one evaluation, not a value to compare
class Frame(ax.Context):
    state: TemplateState
    subscription_id: str
    resource_group: str
    loops: Mapping[str, int] = field(default_factory=dict)  # copy loop -> index, by lower-case name
    current_loop: str | None = None
    # A parameter with no value reads as its own expression text, so the names and ids built from
    # it stay the same everywhere it is used.
    names_mode: bool = False
    in_parameter_default: bool = False

    @property
    def location(self) -> str:  # type: ignore[override]  # the Context's placeholder, made per deployment
        return self.state.placement.location

    # -- frames ---------------------------------------------------------------------------------
    def with_loop(self, name: str, index: int) -> Frame:
        return dataclasses.replace(self, loops={**self.loops, name.lower(): index}, current_loop=name.lower())

    def outside_loops(self, **changes: Any) -> Frame:
        return dataclasses.replace(self, loops={}, current_loop=None, **changes)

    # -- the Context the expression engine asks -----------------------------------------------
    def copy_index(self, loop: str | None) -> int:
        if loop is None:
            if self.current_loop is None:
                raise ax.ExpressionError("copyIndex() is used outside a copy loop")
            return self.loops[self.current_loop]
        if loop.lower() not in self.loops:
            raise ax.ExpressionError(f"copyIndex({loop!r}) is used outside the copy loop {loop!r}")
        return self.loops[loop.lower()]

    def parameter(self, name: str) -> Any:
        state, key = self.state, name.lower()
        if key not in state.params:
            raise ax.ExpressionError(f"the template has no parameter {name!r}")
        if key in state.secure:
            state.secret_read = True
        memo_key = ("p", key, self.names_mode)
        if memo_key in state.memo:
            return state.memo[memo_key]
        if memo_key in state.busy:
            raise ax.ExpressionError(f"parameter {name!r} refers to itself")
        state.busy.add(memo_key)
        try:
            value = self._parameter_value(key)
        finally:
            state.busy.discard(memo_key)
        state.memo[memo_key] = value
        return value

    def _parameter_value(self, key: str) -> Any:
        declared, spec = self.state.params[key]
        spec = spec if isinstance(spec, dict) else {}
        given = self.state.given
        if key in given and not (given[key] is None and "defaultValue" in spec):
            # A null passed to a parameter with a default means "use the default" (how Bicep
            # modules pass optional values through).
            return given[key]
        if "defaultValue" in spec:
            pointer = f"{self.state.pointer}/parameters/{escape(declared)}/defaultValue"
            return self.outside_loops(in_parameter_default=True).resolve(spec["defaultValue"], pointer)
        if spec.get("nullable") is True:
            return None
        text = f"[parameters('{declared}')]"
        if self.names_mode:
            return text
        return ax.Unknown(text, f"parameter {declared!r} has no value (give it with --param or a parameter file)")

    def variable(self, name: str) -> Any:
        state, key = self.state, name.lower()
        if key not in state.variables:
            raise ax.ExpressionError(f"the template has no variable {name!r}")
        memo_key = ("v", key, self.names_mode)
        if memo_key in state.memo:
            if key in state.secret_variables:
                state.secret_read = True
            return state.memo[memo_key]
        if memo_key in state.busy:
            raise ax.ExpressionError(f"variable {name!r} refers to itself")
        state.busy.add(memo_key)
        outer = state.trace()
        frame = self.outside_loops()
        try:
            _, raw, pointer, is_copy = state.variables[key]
            value = frame.copy_array(raw, pointer) if is_copy else frame.resolve(raw, pointer)
        finally:
            state.busy.discard(memo_key)
            touched = state.untrace(outer)
        if touched:
            state.secret_variables.add(key)
        state.memo[memo_key] = value
        return value

    def user_function(self, namespace: str, name: str) -> tuple[list[str], Any] | None:
        return self.state.functions.get((namespace.lower(), name.lower()))

    def deployment(self) -> dict[str, Any]:
        template, placement = self.state.template, self.state.placement
        props: dict[str, Any] = {
            "template": {
                "contentVersion": template.get("contentVersion", "1.0.0.0"),
                "metadata": template.get("metadata") or {},
            },
            "parameters": {},
            "mode": "Incremental",
            "provisioningState": "Accepted",
        }
        if placement.template_uri:
            props["templateLink"] = {"uri": placement.template_uri, "contentVersion": "1.0.0.0"}
        return {"name": placement.deployment_name, "properties": props, "location": placement.location}

    # -- evaluating template JSON ---------------------------------------------------------------
    def expr(self, text: str, pointer: str) -> Any:
        """One template string: evaluated; an error is recorded and the value is Unresolved."""
        if not ax.is_expression(text):
            return ax.literal_text(text)
        try:
            value = ax.evaluate(text[1:-1], self)
        except ax.ParseError as err:
            return self._failed(pointer, f"cannot parse expression: {err}", text, f"invalid expression: {err}")
        except ax.ExpressionError as err:
            return self._failed(pointer, str(err), text)
        except RecursionError:
            return self._failed(pointer, "expression nested too deeply", text)
        if isinstance(value, dict | list) and jsontext.too_deep(value, jsontext.MAX_DEPTH):
            # Held to the bound files are (mlwaf.jsontext): every later walker may then recurse.
            return self._failed(pointer, f"its value nests deeper than {jsontext.MAX_DEPTH} levels", text)
        if isinstance(value, ax.Lambda):
            why = "a lambda() can only be an argument of a function"
            return self._failed(pointer, why, text, "lambda outside a function")
        if isinstance(value, Unresolved):
            # The whole value is unknown: show the expression as written in the file.
            return Unresolved(text, value.reason)
        return value

    def _failed(self, pointer: str, message: str, text: str, reason: str | None = None) -> Unresolved:
        self.state.evaluation.error(self.state.doc, pointer, message, text)
        return Unresolved(text, reason or message)

    def resolve(self, value: Any, pointer: str, *, hide_secure: bool = False) -> Any:
        """A template JSON value with every expression evaluated (property `copy` expanded).
        With `hide_secure`, a string computed from a secure parameter becomes Hidden."""
        if isinstance(value, str):
            if not hide_secure:
                return self.expr(value, pointer)
            outer = self.state.trace()
            result = self.expr(value, pointer)
            if self.state.untrace(outer) and ax.is_expression(value):
                return Hidden(value)
            return result
        if isinstance(value, dict):
            return self._resolve_object(value, pointer, hide_secure)
        if isinstance(value, list):
            return [self.resolve(v, f"{pointer}/{i}", hide_secure=hide_secure) for i, v in enumerate(value)]
        return value

    def _resolve_object(self, value: dict[str, Any], pointer: str, hide_secure: bool) -> dict[str, Any]:
        loops = value.get("copy")
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "copy" and isinstance(loops, list) and all(isinstance(x, dict) and "input" in x for x in loops):
                for i, loop in enumerate(loops):
                    name = loop.get("name")
                    if isinstance(name, str):
                        out[name] = self.copy_array(loop, f"{pointer}/copy/{i}", hide_secure)
                continue
            key = k
            if ax.is_expression(k):
                # ARM evaluates expressions in property names too (`{"[variables('id')]": {}}`).
                evaluated = self.expr(k, f"{pointer}/{escape(k)}")
                key = evaluated if isinstance(evaluated, str) else k
            out[key] = self.resolve(v, f"{pointer}/{escape(k)}", hide_secure=hide_secure)
        return out

    def copy_array(self, loop: dict[str, Any], pointer: str, hide_secure: bool = False) -> Any:
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
        """A copy count, or None when it is known only at deployment time or wrong (recorded)."""
        value = self.resolve(raw, pointer)
        if isinstance(value, Unresolved):
            return None
        evaluation, doc = self.state.evaluation, self.state.doc
        if isinstance(value, bool) or not isinstance(value, int):
            evaluation.error(doc, pointer, f"a copy count must be an integer, not {value!r}")
            return None
        if value < 0:
            evaluation.error(doc, pointer, f"a copy count cannot be negative ({value})")
            return None
        return value

    def name_text(self, raw: Any, pointer: str) -> str:
        """A resource name (or type, or scope) as text; unknown parts keep their expression."""
        value = dataclasses.replace(self, names_mode=True).resolve(raw, pointer)
        if isinstance(value, str):
            return value
        if isinstance(value, Unresolved):
            return value.expression
        return ax.to_text(value)


class Hidden(Unresolved):
    """A property value computed from a secure parameter: never shown, never judged."""

    __slots__ = ()

    def __init__(self, expression: str) -> None:
        super().__init__(expression, "computed from a secure parameter (value not shown)")


def unhide(value: Any) -> Any:
    """A resolved value as a resource holds it: a Hidden value becomes a plain Unresolved."""
    if isinstance(value, Hidden):
        return Unresolved(value.expression, value.reason)
    if isinstance(value, dict):
        return {k: unhide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unhide(v) for v in value]
    return value
