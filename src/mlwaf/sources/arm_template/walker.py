"""The deployment walker: a template's resource declarations, as the Resources Azure deploys.

It expands `copy` loops, skips what a false `condition` leaves out and `existing` references,
flattens nested child resources to full types and names, and follows
`Microsoft.Resources/deployments` (inline or linked, inner or outer scope, to a bounded depth).
Resources are yielded in declaration order; what cannot be assessed is recorded in the
evaluation with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlwaf import armid
from mlwaf.model import Origin, Resource
from mlwaf.sources import arm_expressions as ax
from mlwaf.sources.arm_template import ids, loader
from mlwaf.sources.arm_template.declaration import escape, get, has
from mlwaf.sources.arm_template.frame import Frame, unhide
from mlwaf.sources.arm_template.state import DEPLOYMENT_NAME, Evaluation, Placement, TemplateState
from mlwaf.sources.document import Document

DEPLOYMENTS = "microsoft.resources/deployments"
# Keys of a resource declaration that hold the resource's own ARM JSON.
_BODY_KEYS = (
    "location", "kind", "sku", "identity", "tags", "properties", "zones", "plan",
    "extendedLocation", "managedBy",
    # Not deployed, but kept: a resource's `metadata` carries inline suppressions (Bicep @metadata).
    "metadata",
)
_BODY = {k.lower(): k for k in _BODY_KEYS}
MAX_DEPTH = 16  # nested deployments deeper than this are reported, not followed

Parent = tuple[str, str]  # (type, name) of the resource a child is declared in


def deployment(
    evaluation: Evaluation, template: dict[str, Any], doc: Document, pointer: str, values: dict[str, Any]
) -> Iterator[Resource]:
    """The resources a top-level template deploys with these parameter values, at the scan's
    placeholder subscription, resource group and location."""
    options = evaluation.options
    uri = doc.path.resolve().as_uri() if doc.path.is_absolute() or doc.path.exists() else None
    placement = Placement(options.location, DEPLOYMENT_NAME, uri, depth=0)
    state = TemplateState(evaluation, template, doc, pointer, values, placement)
    yield from walk(Frame(state, options.subscription_id, options.resource_group))


def walk(frame: Frame) -> Iterator[Resource]:
    """Every resource the frame's template deploys."""
    state = frame.state
    yield from declarations(frame, state.template.get("resources"), f"{state.pointer}/resources", None)


def declarations(frame: Frame, resources: Any, pointer: str, parent: Parent | None) -> Iterator[Resource]:
    """A `resources` list (or, with symbolic names, object) of declarations."""
    if isinstance(resources, dict):
        items: list[tuple[str | int, Any]] = list(resources.items())
    elif isinstance(resources, list):
        items = list(enumerate(resources))
    else:
        return
    for key, decl in items:
        if isinstance(decl, dict):
            yield from declaration(frame, decl, f"{pointer}/{escape(key)}", parent)


def declaration(frame: Frame, decl: dict[str, Any], ptr: str, parent: Parent | None) -> Iterator[Resource]:
    """One declaration: once, or once per instance of its copy loop."""
    if get(decl, "existing") is True or not has(decl, "type"):
        return  # a reference to a resource deployed elsewhere: used by expressions only
    loop = get(decl, "copy")
    if not isinstance(loop, dict):
        yield from instance(frame, decl, ptr, parent)
        return
    name = str(loop.get("name", "copy"))
    count = frame.count(loop.get("count"), f"{ptr}/copy/count")
    if count is None:
        frame.state.evaluation.gap(
            frame.state.doc, ptr, f"copy loop {name!r} has a count known only at deployment time ({loop.get('count')})"
        )
        return
    for i in range(count):
        yield from instance(frame.with_loop(name, i), decl, ptr, parent)


def instance(frame: Frame, decl: dict[str, Any], ptr: str, parent: Parent | None) -> Iterator[Resource]:
    """One instance of a declaration, unless its condition is false; then its children."""
    if has(decl, "condition"):
        cond = frame.resolve(get(decl, "condition"), f"{ptr}/condition")
        if cond is False or (isinstance(cond, str) and cond.lower() == "false"):
            return  # not deployed, so not scanned
    rtype = frame.name_text(get(decl, "type"), f"{ptr}/type")
    name = frame.name_text(get(decl, "name", ""), f"{ptr}/name")
    if parent and not rtype.lower().startswith(parent[0].split("/", 1)[0].lower() + "/"):
        rtype = f"{parent[0]}/{rtype}"
        name = f"{parent[1]}/{name}"
    if rtype.lower() == DEPLOYMENTS:
        yield from nested_deployment(frame, decl, ptr, name)
        return
    resource = _resource(frame, decl, ptr, rtype, name)
    yield resource
    if get(decl, "resources"):
        parent = (resource.raw["type"], resource.raw["name"])
        yield from declarations(frame, get(decl, "resources"), f"{ptr}/resources", parent)


def _resource(frame: Frame, decl: dict[str, Any], ptr: str, rtype: str, name: str) -> Resource:
    scope_raw = get(decl, "scope")
    scope = frame.name_text(scope_raw, f"{ptr}/scope") if scope_raw is not None else None
    rid, rtype, name = ids.resource_id(rtype, name, frame.subscription_id, frame.resource_group, scope)
    raw: dict[str, Any] = {"id": rid, "type": rtype, "name": name}
    for key, value in decl.items():
        canonical = _BODY.get(key.lower())
        if canonical is not None:
            raw[canonical] = unhide(frame.resolve(value, f"{ptr}/{escape(key)}", hide_secure=True))
    api_version = get(decl, "apiVersion")
    state = frame.state
    origin = Origin(
        path=state.doc.display,
        pointer=ptr,
        kind="arm-template",
        api_version=api_version if isinstance(api_version, str) else None,
        parameters_file=state.evaluation.parameters_file,
    )
    return Resource(type=rtype, id=rid, name=armid.name_of(rid), raw=raw, origin=origin, locator=state.doc.position)


def nested_deployment(frame: Frame, decl: dict[str, Any], ptr: str, name: str) -> Iterator[Resource]:
    """A `Microsoft.Resources/deployments` resource: the resources of its template, evaluated in
    the outer template's scope (`expressionEvaluationOptions.scope` outer, the default for an
    inline template) or a scope of its own (inner, and every linked template)."""
    state = frame.state
    evaluation, doc = state.evaluation, state.doc
    props = get(decl, "properties")
    props = props if isinstance(props, dict) else {}
    if state.placement.depth >= MAX_DEPTH:
        evaluation.gap(doc, ptr, f"nested deployments deeper than {MAX_DEPTH} levels")
        return
    sub = frame.name_text(get(decl, "subscriptionId"), f"{ptr}/subscriptionId") if has(decl, "subscriptionId") \
        else frame.subscription_id
    rg = frame.name_text(get(decl, "resourceGroup"), f"{ptr}/resourceGroup") if has(decl, "resourceGroup") \
        else frame.resource_group
    scope_opt = get(get(props, "expressionEvaluationOptions"), "scope")
    inner = isinstance(scope_opt, str) and scope_opt.lower() == "inner"
    template = get(props, "template")
    target_doc, tptr, uri = doc, f"{ptr}/properties/template", state.placement.template_uri
    if not isinstance(template, dict):
        link = get(props, "templateLink")
        if not isinstance(link, dict):
            evaluation.gap(doc, ptr, "deployment has neither a template nor a templateLink")
            return
        loaded = loader.linked_template(frame, link, ptr)
        if loaded is None:
            return
        target_doc, template, uri = loaded
        tptr = ""
        inner = True  # a linked template always has its own parameters and variables
    if not inner:
        outer = frame.outside_loops(subscription_id=sub, resource_group=rg)
        yield from declarations(outer, get(template, "resources"), f"{tptr}/resources", None)
        return
    given, secure = _passed_parameters(frame, props, ptr)
    placement = Placement(state.placement.location, name, uri, state.placement.depth + 1)
    child = TemplateState(evaluation, template, target_doc, tptr, given, placement, secure)
    yield from walk(Frame(child, sub, rg))


def _passed_parameters(frame: Frame, props: dict[str, Any], ptr: str) -> tuple[dict[str, Any], set[str]]:
    """The values an inner-scope deployment passes its template's parameters, by lower-case
    name, and the names of those computed from a secret (so the inner template hides them too)."""
    given: dict[str, Any] = {}
    secure: set[str] = set()
    passed = get(props, "parameters")
    if isinstance(passed, str):
        passed = frame.resolve(passed, f"{ptr}/properties/parameters")
    if not isinstance(passed, dict):
        return given, secure
    state = frame.state
    for pname, pval in passed.items():
        ppath = f"{ptr}/properties/parameters/{escape(pname)}"
        if has(pval, "value"):
            outer = state.trace()
            given[pname.lower()] = frame.resolve(get(pval, "value"), f"{ppath}/value")
            if state.untrace(outer, merge=False):
                secure.add(pname.lower())
        elif has(pval, "reference"):
            given[pname.lower()] = ax.Unknown(f"[Key Vault reference for parameter '{pname}']", "a Key Vault secret")
            secure.add(pname.lower())
    return given, secure
