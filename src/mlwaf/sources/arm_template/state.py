"""What evaluating a template knows and remembers.

`Evaluation` is one top-level evaluation (one template with one set of parameter values): the
scan's options, the parameter file the values came from, and the problems found, which the
evaluation returns in its TemplateResult. `TemplateState` is one template taking part in it (the
top-level one, or an inner-scope nested or linked one): its declarations, the values given to its
parameters, the values computed so far, and whether what is being computed read a secure
parameter (so a value computed from a secret is never shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from mlwaf.model import InputError
from mlwaf.sources.arm_template.declaration import escape

if TYPE_CHECKING:
    from mlwaf.sources.document import Document
    from mlwaf.sources.options import ReadOptions

SECURE_TYPES = frozenset({"securestring", "secureobject"})
DEPLOYMENT_NAME = "mlwaf-deployment"  # the name `deployment()` gives the top-level deployment


@dataclass
class Evaluation:
    """One evaluation of a top-level template, and what it found wrong or could not assess."""

    options: ReadOptions
    parameters_file: str | None = None
    # Expressions Azure would reject: file, JSON pointer and expression in each message.
    errors: list[InputError] = field(default_factory=list)
    # Parts of the deployment not assessed (remote linked templates, loops whose count is known
    # only at deployment time), each with its reason.
    not_assessed: list[InputError] = field(default_factory=list)

    def error(self, doc: Document, pointer: str, message: str, expression: str | None = None) -> None:
        self.errors.append(template_error(doc, pointer, message, expression))

    def gap(self, doc: Document, pointer: str, message: str) -> None:
        self.not_assessed.append(InputError(doc.display, f"not assessed: {pointer}: {message}"))


def template_error(doc: Document, pointer: str, message: str, expression: str | None = None) -> InputError:
    """An error in a template: its file, the JSON pointer, and the expression when one failed."""
    text = f"{pointer or '/'}: {message}" + (f" in expression {expression}" if expression else "")
    return InputError(doc.display, text)


class Variable(NamedTuple):
    name: str  # as declared
    raw: Any
    pointer: str
    is_copy: bool  # a `copy` loop of variables: `raw` is the loop


class Placement(NamedTuple):
    """Where a template's deployment stands: what `deployment()` and ids report."""

    location: str
    deployment_name: str
    template_uri: str | None
    depth: int  # nested deployments above it


class TemplateState:
    """One template's declarations and memory, shared by every frame evaluating in it (a copy
    loop's instances see the same variables: variables cannot depend on `copyIndex()`)."""

    def __init__(
        self,
        evaluation: Evaluation,
        template: dict[str, Any],
        doc: Document,
        pointer: str,
        given: dict[str, Any],
        placement: Placement,
        secure_given: set[str] | None = None,
    ) -> None:
        self.evaluation = evaluation
        self.template = template
        self.doc = doc
        self.pointer = pointer
        self.given = given
        self.placement = placement
        params = template.get("parameters")
        params = params if isinstance(params, dict) else {}
        self.params: dict[str, tuple[str, Any]] = {k.lower(): (k, v) for k, v in params.items()}
        self.secure: set[str] = {
            k for k, (_, spec) in self.params.items()
            if isinstance(spec, dict) and str(spec.get("type", "")).lower() in SECURE_TYPES
        } | (secure_given or set())
        self.variables = _variables(template, pointer)
        self.functions = _functions(template)
        # Values computed, by (kind "p" or "v", lower-case name, names mode).
        self.memo: dict[tuple[str, str, bool], Any] = {}
        self.busy: set[tuple[str, str, bool]] = set()  # being computed: a second visit is a cycle
        self.secret_variables: set[str] = set()  # variables whose value read a secure parameter
        self.secret_read = False  # the value being computed has read a secure parameter

    def trace(self) -> bool:
        """Start watching for secure reads; returns the outer state for `untrace`."""
        outer, self.secret_read = self.secret_read, False
        return outer

    def untrace(self, outer: bool, *, merge: bool = True) -> bool:
        """Stop watching: whether a secure parameter was read since `trace`. With `merge` the
        outer value being computed has read it too."""
        touched = self.secret_read
        self.secret_read = (outer or touched) if merge else outer
        return touched


def _variables(template: dict[str, Any], pointer: str) -> dict[str, Variable]:
    variables = template.get("variables")
    variables = variables if isinstance(variables, dict) else {}
    out: dict[str, Variable] = {}
    for k, v in variables.items():
        if k == "copy" and isinstance(v, list):
            for i, loop in enumerate(v):
                if isinstance(loop, dict) and isinstance(loop.get("name"), str):
                    out[loop["name"].lower()] = Variable(loop["name"], loop, f"{pointer}/variables/copy/{i}", True)
        else:
            out[k.lower()] = Variable(k, v, f"{pointer}/variables/{escape(k)}", False)
    return out


def _functions(template: dict[str, Any]) -> dict[tuple[str, str], tuple[list[str], Any]]:
    """User-defined functions by (namespace, name), lower case: (parameter names, output)."""
    out: dict[tuple[str, str], tuple[list[str], Any]] = {}
    for ns in template.get("functions") or []:
        if not isinstance(ns, dict):
            continue
        for fname, spec in (ns.get("members") or {}).items():
            if isinstance(spec, dict):
                names = [p.get("name", "") for p in spec.get("parameters") or [] if isinstance(p, dict)]
                output = (spec.get("output") or {}).get("value")
                out[(str(ns.get("namespace", "")).lower(), fname.lower())] = (names, output)
    return out
