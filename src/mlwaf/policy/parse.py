"""Policy JSON -> model objects, for every shape people keep policies in.

One object can be written nested (`{"id", "name", "type", "properties": {...}}`: ARM, REST,
portal exports, the azure-policy repository, EPAC files without `id`) or flat (`az policy ...
show/list` print the properties beside `id` and `name`); both read the same. Anything Azure
would reject raises PolicyInputError with the JSON pointer of the offending value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlwaf import armid
from mlwaf.jsontext import escape_pointer_token
from mlwaf.policy import model
from mlwaf.policy.errors import PolicyInputError


def _ptr(base: str, *tokens: str | int) -> str:
    return base + "".join("/" + escape_pointer_token(t) for t in tokens)


def get(obj: Mapping[str, Any], key: str, default: Any = None) -> Any:
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return default


def _props(doc: Mapping[str, Any], marker: str) -> tuple[Mapping[str, Any], str]:
    """(the properties object, its pointer suffix): nested under `properties` or flat."""
    props = get(doc, "properties")
    if isinstance(props, dict) and (get(props, marker) is not None or get(doc, marker) is None):
        return props, "/properties"
    return doc, ""


def kind_of(doc: Any) -> str | None:
    """definition | initiative | assignment | exemption | epac-assignment, or None."""
    if not isinstance(doc, dict):
        return None
    rtype = str(get(doc, "type", "") or "").lower()
    for kind, t in (
        ("definition", model.DEFINITION_TYPE),
        ("initiative", model.SET_TYPE),
        ("assignment", model.ASSIGNMENT_TYPE),
        ("exemption", model.EXEMPTION_TYPE),
    ):
        if rtype == t.lower():
            return kind
    props = get(doc, "properties")
    view = props if isinstance(props, dict) else doc
    if get(view, "policyRule") is not None:
        return "definition"
    if isinstance(get(view, "policyDefinitions"), list):
        return "initiative"
    if get(view, "policyAssignmentId") is not None and get(view, "exemptionCategory") is not None:
        return "exemption"
    if get(view, "policyDefinitionId") is not None:
        return "assignment"
    if get(doc, "nodeName") is not None or get(doc, "definitionEntry") is not None or get(doc, "definitionEntryList"):
        return "epac-assignment"
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def parameters(raw: Any, source: str, pointer: str) -> dict[str, model.Parameter]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyInputError("parameters must be an object", source, pointer)
    out: dict[str, model.Parameter] = {}
    for name, spec in raw.items():
        where = _ptr(pointer, name)
        if not isinstance(spec, dict):
            raise PolicyInputError(f"parameter {name!r} must be an object", source, where)
        ptype = get(spec, "type")
        if not isinstance(ptype, str) or ptype.lower() not in model.PARAMETER_TYPES:
            raise PolicyInputError(
                f"parameter {name!r} has type {ptype!r}; Azure allows {', '.join(model.PARAMETER_TYPES)}",
                source,
                _ptr(where, "type"),
            )
        allowed = get(spec, "allowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise PolicyInputError(f"allowedValues of {name!r} must be an array", source, _ptr(where, "allowedValues"))
        meta = get(spec, "metadata") or {}
        out[name.lower()] = model.Parameter(
            name=name,
            type=ptype.lower(),
            default=get(spec, "defaultValue", model.NO_DEFAULT),
            allowed=tuple(allowed) if allowed is not None else None,
            display_name=_text(get(meta, "displayName")) if isinstance(meta, dict) else "",
            description=_text(get(meta, "description")) if isinstance(meta, dict) else "",
        )
    return out


def _identity(doc: Mapping[str, Any], kind: str, source: str, pointer: str) -> tuple[str, str]:
    name = get(doc, "name")
    rid = get(doc, "id")
    if not isinstance(name, str) or not name:
        if isinstance(rid, str) and rid:
            name = armid.name_of(rid)
        else:
            raise PolicyInputError(f"the {kind} has no name", source, pointer)
    if not isinstance(rid, str) or not rid.startswith("/"):
        collection = {
            "definition": "policyDefinitions",
            "initiative": "policySetDefinitions",
            "assignment": "policyAssignments",
            "exemption": "policyExemptions",
        }[kind]
        rid = f"/providers/Microsoft.Authorization/{collection}/{name}"
    return rid, name


def _authored(props: Mapping[str, Any], source: str, pointer: str, base: str) -> dict[str, Any]:
    """What definitions and initiatives share: parameters, metadata, where they were read."""
    meta = get(props, "metadata")
    meta = meta if isinstance(meta, dict) else {}
    return {
        "parameters": parameters(get(props, "parameters"), source, _ptr(base, "parameters")),
        "description": _text(get(props, "description")),
        "category": _text(get(meta, "category")),
        "version": _text(get(props, "version")) or _text(get(meta, "version")),
        "preview": _flag(get(meta, "preview")),
        "deprecated": _flag(get(meta, "deprecated")),
        # Files without policyType are the user's (EPAC and repository files omit it and their id).
        "policy_type": _text(get(props, "policyType")) or ("BuiltIn" if source.startswith("builtin:") else "Custom"),
        "metadata": meta,
        "source": source,
        "pointer": pointer,
    }


def definition(doc: Mapping[str, Any], source: str = "", pointer: str = "") -> model.Definition:
    rid, name = _identity(doc, "definition", source, pointer)
    props, sub = _props(doc, "policyRule")
    base = pointer + sub
    rule = get(props, "policyRule")
    if not isinstance(rule, dict):
        raise PolicyInputError(f"definition {name!r} has no policyRule object", source, _ptr(base, "policyRule"))
    if get(rule, "if") is None or not isinstance(get(rule, "then"), dict):
        raise PolicyInputError(f"policyRule of {name!r} needs 'if' and 'then'", source, _ptr(base, "policyRule"))
    if get(get(rule, "then"), "effect") is None:
        raise PolicyInputError(f"policyRule.then of {name!r} has no effect", source, _ptr(base, "policyRule", "then"))
    mode = get(props, "mode")
    return model.Definition(
        id=rid,
        name=name,
        display_name=_text(get(props, "displayName")) or name,
        mode=mode if isinstance(mode, str) else None,
        rule=rule,
        **_authored(props, source, pointer, base),
    )


def _member_id(m: Mapping[str, Any], source: str, where: str) -> str:
    rid = get(m, "policyDefinitionId")
    if isinstance(rid, str) and rid:
        return rid
    name = get(m, "policyDefinitionName")  # EPAC writes custom members by name
    if isinstance(name, str) and name:
        return f"/providers/Microsoft.Authorization/policyDefinitions/{name}"
    raise PolicyInputError("an initiative member has no policyDefinitionId", source, where)


def _values(raw: Any, source: str, pointer: str) -> dict[str, Any]:
    """`{"name": {"value": x}}` -> {"name": x} (assignment and member parameter values)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyInputError("parameter values must be an object", source, pointer)
    out: dict[str, Any] = {}
    for name, wrapped in raw.items():
        if isinstance(wrapped, dict) and "value" in wrapped:
            out[name] = wrapped["value"]
        else:
            raise PolicyInputError(f'parameter {name!r} needs {{"value": ...}}', source, _ptr(pointer, name))
    return out


def initiative(doc: Mapping[str, Any], source: str = "", pointer: str = "") -> model.Initiative:
    rid, name = _identity(doc, "initiative", source, pointer)
    props, sub = _props(doc, "policyDefinitions")
    base = pointer + sub
    raw_members = get(props, "policyDefinitions")
    if not isinstance(raw_members, list) or not raw_members:
        raise PolicyInputError(f"initiative {name!r} has no policyDefinitions", source, _ptr(base, "policyDefinitions"))
    members: list[model.Member] = []
    seen: set[str] = set()
    for i, m in enumerate(raw_members):
        where = _ptr(base, "policyDefinitions", i)
        if not isinstance(m, dict):
            raise PolicyInputError("an initiative member must be an object", source, where)
        def_id = _member_id(m, source, where)
        ref = get(m, "policyDefinitionReferenceId")
        ref = ref if isinstance(ref, str) and ref else armid.name_of(def_id)
        if ref.lower() in seen:
            raise PolicyInputError(f"policyDefinitionReferenceId {ref!r} is used twice", source, where)
        seen.add(ref.lower())
        groups = get(m, "groupNames") or []
        members.append(
            model.Member(
                definition_id=def_id,
                reference_id=ref,
                parameters=_values(get(m, "parameters"), source, _ptr(where, "parameters")),
                group_names=tuple(g for g in groups if isinstance(g, str)),
                definition_version=get(m, "definitionVersion"),
            )
        )
    groups = []
    for g in get(props, "policyDefinitionGroups") or []:
        if isinstance(g, dict) and isinstance(get(g, "name"), str):
            groups.append(
                model.Group(
                    name=get(g, "name"),
                    display_name=_text(get(g, "displayName")),
                    category=_text(get(g, "category")),
                    description=_text(get(g, "description")),
                )
            )
    return model.Initiative(
        id=rid,
        name=name,
        display_name=_text(get(props, "displayName")) or name,
        members=tuple(members),
        groups=tuple(groups),
        **_authored(props, source, pointer, base),
    )


def _selectors(raw: Any, source: str, pointer: str) -> tuple[model.Selector, ...]:
    out = []
    for i, s in enumerate(raw or []):
        where = _ptr(pointer, i)
        if not isinstance(s, dict) or not isinstance(get(s, "kind"), str):
            raise PolicyInputError("a selector needs a kind", source, where)
        in_, not_in = get(s, "in"), get(s, "notIn")
        if (in_ is None) == (not_in is None):
            raise PolicyInputError("a selector needs exactly one of in and notIn", source, where)
        for key, value in (("in", in_), ("notIn", not_in)):
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise PolicyInputError(f"{key} must be an array of strings", source, _ptr(where, key))
        out.append(
            model.Selector(
                kind=get(s, "kind"),
                in_=tuple(in_) if in_ is not None else None,
                not_in=tuple(not_in) if not_in is not None else None,
            )
        )
    return tuple(out)


def _resource_selectors(raw: Any, source: str, pointer: str) -> tuple[model.ResourceSelector, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 10:
        raise PolicyInputError("resourceSelectors must be an array of at most 10", source, pointer)
    out = []
    for i, rs in enumerate(raw):
        where = _ptr(pointer, i)
        if not isinstance(rs, dict):
            raise PolicyInputError("a resource selector must be an object", source, where)
        sels = _selectors(get(rs, "selectors"), source, _ptr(where, "selectors"))
        for s in sels:
            if s.kind.lower() not in ("resourcelocation", "resourcetype", "resourcewithoutlocation"):
                raise PolicyInputError(f"resource selector kind {s.kind!r} is not one Azure knows", source, where)
        out.append(model.ResourceSelector(name=_text(get(rs, "name")), selectors=sels))
    return tuple(out)


def _required(props: Mapping[str, Any], key: str, owner: str, source: str, base: str) -> str:
    value = get(props, key)
    if not isinstance(value, str) or not value:
        raise PolicyInputError(f"{owner} has no {key}", source, _ptr(base, key))
    return value


def _choice(props: Mapping[str, Any], key: str, choices: tuple[str, ...], source: str, base: str) -> str:
    """One of `choices` (the first is the default), in its canonical casing."""
    value = get(props, key) or choices[0]
    canonical = {c.lower(): c for c in choices}
    if not isinstance(value, str) or value.lower() not in canonical:
        raise PolicyInputError(f"{key} {value!r} is not {' or '.join(choices)}", source, _ptr(base, key))
    return canonical[value.lower()]


def _scope_of(rid: str, collection: str) -> str:
    idx = rid.lower().rfind(f"/providers/microsoft.authorization/{collection}/")
    return rid[:idx] if idx > 0 else ""


def assignment(doc: Mapping[str, Any], source: str = "", pointer: str = "") -> model.Assignment:
    rid, name = _identity(doc, "assignment", source, pointer)
    props, sub = _props(doc, "policyDefinitionId")
    base = pointer + sub
    def_id = _required(props, "policyDefinitionId", f"assignment {name!r}", source, base)
    mode = _choice(props, "enforcementMode", ("Default", "DoNotEnforce"), source, base)
    overrides = []
    raw_overrides = get(props, "overrides") or []
    if not isinstance(raw_overrides, list) or len(raw_overrides) > 10:
        raise PolicyInputError("overrides must be an array of at most 10", source, _ptr(base, "overrides"))
    for i, o in enumerate(raw_overrides):
        where = _ptr(base, "overrides", i)
        if (
            not isinstance(o, dict)
            or get(o, "kind") not in ("policyEffect", "policyVersion")
            or not isinstance(get(o, "value"), str)
        ):
            raise PolicyInputError("an override needs kind policyEffect or policyVersion and a value", source, where)
        overrides.append(
            model.Override(
                kind=get(o, "kind"),
                value=get(o, "value"),
                selectors=_selectors(get(o, "selectors"), source, _ptr(where, "selectors")),
            )
        )
    messages = []
    for m in get(props, "nonComplianceMessages") or []:
        if isinstance(m, dict) and isinstance(get(m, "message"), str):
            ref = get(m, "policyDefinitionReferenceId")
            messages.append(model.NonComplianceMessage(get(m, "message"), ref if isinstance(ref, str) else None))
    not_scopes = get(props, "notScopes") or []
    if not isinstance(not_scopes, list) or not all(isinstance(s, str) for s in not_scopes):
        raise PolicyInputError("notScopes must be an array of scopes", source, _ptr(base, "notScopes"))
    scope = get(props, "scope") or get(doc, "scope") or _scope_of(rid, "policyassignments")
    given = get(doc, "id")
    if not (isinstance(given, str) and given.startswith("/")) and isinstance(scope, str) and scope.strip("/"):
        # Azure's id of an assignment is its scope's, then the name: without one in the file, the
        # same name at two scopes must still be two assignments.
        rid = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/policyAssignments/{name}"
    return model.Assignment(
        id=rid,
        name=name,
        definition_id=def_id,
        scope=scope if isinstance(scope, str) else "",
        display_name=_text(get(props, "displayName")) or name,
        parameters=_values(get(props, "parameters"), source, _ptr(base, "parameters")),
        not_scopes=tuple(not_scopes),
        enforcement_mode=mode,
        resource_selectors=_resource_selectors(
            get(props, "resourceSelectors"), source, _ptr(base, "resourceSelectors")
        ),
        overrides=tuple(overrides),
        non_compliance_messages=tuple(messages),
        definition_version=get(props, "definitionVersion"),
        source=source,
        pointer=pointer,
    )


def exemption(doc: Mapping[str, Any], source: str = "", pointer: str = "") -> model.Exemption:
    rid, name = _identity(doc, "exemption", source, pointer)
    props, sub = _props(doc, "policyAssignmentId")
    base = pointer + sub
    assignment_id = _required(props, "policyAssignmentId", f"exemption {name!r}", source, base)
    category = _choice(props, "exemptionCategory", ("Waiver", "Mitigated"), source, base)
    refs = get(props, "policyDefinitionReferenceIds") or []
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise PolicyInputError(
            "policyDefinitionReferenceIds must be an array of strings",
            source,
            _ptr(base, "policyDefinitionReferenceIds"),
        )
    expires = get(props, "expiresOn")
    scope = get(props, "scope") or get(doc, "scope") or _scope_of(rid, "policyexemptions")
    return model.Exemption(
        id=rid,
        name=name,
        assignment_id=assignment_id,
        scope=scope if isinstance(scope, str) else "",
        reference_ids=tuple(refs),
        category=category,
        expires_on=expires if isinstance(expires, str) and expires else None,
        display_name=_text(get(props, "displayName")) or name,
        description=_text(get(props, "description")),
        resource_selectors=_resource_selectors(
            get(props, "resourceSelectors"), source, _ptr(base, "resourceSelectors")
        ),
        source=source,
        pointer=pointer,
    )
