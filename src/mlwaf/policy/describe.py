"""What `mlwaf policy list/show` print: a definition's or initiative's facts, its rule as
readable text, the aliases it reads with their property paths, parameters and effects."""

from __future__ import annotations

import json
from typing import Any

from mlwaf.policy import applicability, index
from mlwaf.policy.aliases import AliasTable, UnknownAlias, default_table
from mlwaf.policy.model import Definition, Initiative
from mlwaf.policy.parse import get

POLICY_URL = "https://portal.azure.com/#blade/Microsoft_Azure_Policy/PolicyDetailBlade/definitionId/{}"


def effect_summary(d: Definition) -> dict[str, Any]:
    written = get(get(d.rule, "then") or {}, "effect")
    if isinstance(written, str) and written.startswith("[") and "parameters(" in written.lower():
        name = written.split("parameters(", 1)[1].split(")", 1)[0].strip(" '\"")
        p = d.parameter(name)
        if p is not None:
            return {
                "parameter": p.name,
                "default": None if p.required else p.default,
                "allowed": list(p.allowed) if p.allowed is not None else None,
            }
    return {"fixed": written}


def default_effect(d: Definition) -> str:
    e = effect_summary(d)
    return str(e.get("fixed") or e.get("default") or "(required)")


def definition_info(d: Definition) -> dict[str, Any]:
    cls, reason = applicability.classify(d)
    return {
        "kind": "definition",
        "name": d.name,
        "id": d.id,
        "display_name": d.display_name,
        "category": d.category,
        "mode": d.mode,
        "version": d.version,
        "preview": d.preview,
        "deprecated": d.deprecated,
        "policy_type": d.policy_type,
        "evaluated": cls == applicability.ARM,
        "class": cls,
        "not_evaluated_reason": reason or None,
        "effect": effect_summary(d),
    }


def initiative_info(i: Initiative) -> dict[str, Any]:
    return {
        "kind": "initiative",
        "name": i.name,
        "id": i.id,
        "display_name": i.display_name,
        "category": i.category,
        "version": i.version,
        "preview": i.preview,
        "deprecated": i.deprecated,
        "policy_type": i.policy_type,
        "members": len(i.members),
        "groups": len(i.groups),
    }


def aliases_read(d: Definition, table: AliasTable | None = None) -> list[dict[str, Any]]:
    table = table or default_table()
    out: list[dict[str, Any]] = []
    for alias in sorted(index.aliases_in(d.rule), key=str.lower):
        try:
            paths = dict(table.paths(alias))
        except UnknownAlias:
            out.append({"alias": alias, "paths": None})
            continue
        out.append({"alias": alias, "paths": paths})
    return out


def condition_lines(cond: Any, depth: int = 0) -> list[str]:
    pad = "  " * depth
    if not isinstance(cond, dict):
        return [pad + json.dumps(cond)]
    for key, value in cond.items():
        low = key.lower()
        if low in ("allof", "anyof"):
            lines = [pad + ("all of:" if low == "allof" else "any of:")]
            for c in value if isinstance(value, list) else []:
                lines += condition_lines(c, depth + 1)
            return lines
        if low == "not":
            return [pad + "not:", *condition_lines(value, depth + 1)]
    ops = [k for k in cond if k.lower() not in ("field", "value", "count")]
    tail = " ".join(f"{k} {json.dumps(cond[k]) if not isinstance(cond[k], str) else cond[k]}" for k in ops)
    if get(cond, "count") is not None:
        spec = get(cond, "count")
        subject = get(spec, "field") or get(spec, "value")
        lines = [pad + f"count of {subject}" + (" where:" if get(spec, "where") is not None else "")]
        if get(spec, "where") is not None:
            lines += condition_lines(get(spec, "where"), depth + 2)
        lines.append(pad + "  " + tail)
        return lines
    subject = get(cond, "field") if get(cond, "field") is not None else f"value {get(cond, 'value')}"
    return [pad + f"{subject} {tail}"]


def show_definition(d: Definition) -> dict[str, Any]:
    then = get(d.rule, "then") or {}
    details = get(then, "details")
    info = definition_info(d)
    info.update(
        description=d.description,
        parameters=[p.to_dict() for p in d.parameters.values()],
        aliases=aliases_read(d),
        rule=condition_lines(get(d.rule, "if")),
        details=details if not isinstance(details, dict) else {k: v for k, v in details.items() if k != "deployment"},
        source=d.source,
        link=POLICY_URL.format(d.id.replace("/", "%2F")) if d.builtin else None,
    )
    return info


def show_text(info: dict[str, Any]) -> str:
    lines = [f"{info['display_name']}", f"  {info['kind']} {info['name']}  ({info.get('category') or 'no category'})"]
    if info.get("description"):
        lines += ["", info["description"]]
    if info["kind"] == "initiative":
        lines += ["", f"members: {info['members']}, groups: {info['groups']}"]
        for m in info.get("member_list", []):
            lines.append(f"  - {m['reference_id']}: {m['display_name']}")
        return "\n".join(lines)
    lines += ["", f"mode: {info['mode']}"]
    if not info["evaluated"]:
        lines.append(f"not evaluated by mlwaf: {info['not_evaluated_reason']}")
    lines += ["", "what it checks (policyRule.if):", *("  " + x for x in info["rule"])]
    effect = info["effect"]
    if "fixed" in effect:
        lines += ["", f"effect: {effect['fixed']}"]
    else:
        allowed = ", ".join(map(str, effect["allowed"] or [])) or "any"
        lines += ["", f"effect: parameter {effect['parameter']} (default {effect['default']}; allowed {allowed})"]
    if info.get("details"):
        lines += ["details:", *("  " + x for x in json.dumps(info["details"], indent=2).splitlines())]
    lines += ["", "aliases it reads:"]
    for a in info["aliases"] or []:
        if a["paths"] is None:
            lines.append(f"  {a['alias']}  -> (not in mlwaf's alias table: the definition is not applicable)")
        else:
            for rtype, path in a["paths"].items():
                lines.append(f"  {a['alias']}  -> {path}  ({rtype})")
    if not info["aliases"]:
        lines.append("  (none: only type, name, kind, location, tags or identity)")
    lines += ["", "parameters:"]
    for p in info["parameters"]:
        default = "required" if p["required"] else f"default {json.dumps(p.get('default'))}"
        allowed = f"; allowed {json.dumps(p['allowed_values'])}" if "allowed_values" in p else ""
        lines.append(f"  {p['name']} ({p['type']}, {default}{allowed})")
    if not info["parameters"]:
        lines.append("  (none)")
    if info.get("link"):
        lines += ["", info["link"]]
    return "\n".join(lines)
