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

The parts: `state` (what one evaluation and each template in it know), `frame` (the context an
expression is evaluated in), `walker` (declarations to resources, nested deployments),
`loader` (linked templates), `ids` (the ARM id of a declared resource). Telling a template
from other JSON needs none of them, so they load with the first template evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlwaf.model import InputError, Resource
from mlwaf.sources.arm_template.declaration import is_parameter_file, is_template
from mlwaf.sources.arm_template.state import Evaluation, template_error
from mlwaf.sources.document import Document
from mlwaf.sources.options import display_path
from mlwaf.sources.parameters import ParameterSet, sets_for

__all__ = ["TemplateRead", "TemplateResult", "evaluate_template", "is_parameter_file", "is_template", "read_template"]


@dataclass(frozen=True)
class TemplateResult:
    """Resources a template deploys with one set of parameter values, with what could not be
    evaluated (`errors`) or assessed (`not_assessed`)."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    not_assessed: list[InputError] = field(default_factory=list)
    parameters_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateRead:
    """A template over every deployment it is scanned as (one per parameter file): its resources,
    and its problems (errors and parts not assessed), each once, in the order found."""

    resources: list[Resource]
    problems: list[InputError]


def evaluate_template(
    template: dict[str, Any], doc: Document, pointer: str = "", given: ParameterSet | None = None,
) -> TemplateResult:
    """Evaluate a template as Azure would deploy it with one set of parameter values (default:
    the first of mlwaf.sources.parameters.sets_for)."""
    options = doc.options
    errors: list[InputError] = []
    if given is None:
        sets, errors = _parameter_sets(template, doc)
        if not sets:
            return TemplateResult(errors=errors)
        given = sets[0]
    from mlwaf.sources.arm_template import walker  # the expression engine, with the first template

    shown = display_path(given.file, options.root) if given.file is not None else None
    evaluation = Evaluation(options, parameters_file=shown, errors=errors)
    resources = list(walker.deployment(evaluation, template, doc, pointer, given.values))
    return TemplateResult(resources, evaluation.errors, evaluation.not_assessed, [shown] if shown else [])


def read_template(template: dict[str, Any], doc: Document, pointer: str) -> TemplateRead:
    """The resources of a template, once per deployment (parameter file) it is scanned as."""
    sets, errors = _parameter_sets(template, doc)
    resources: list[Resource] = []
    problems: dict[InputError, None] = dict.fromkeys(errors)
    for given in sets:
        result = evaluate_template(template, doc, pointer, given)
        resources.extend(result.resources)
        problems.update(dict.fromkeys([*result.errors, *result.not_assessed]))
    return TemplateRead(resources, list(problems))


def _parameter_sets(template: dict[str, Any], doc: Document) -> tuple[list[ParameterSet], list[InputError]]:
    declared = template.get("parameters")
    declared = declared if isinstance(declared, dict) else {}
    sets, messages = sets_for(declared, doc.path, doc.display, doc.options, doc.parameters)
    return sets, [template_error(doc, "", m) for m in messages]
