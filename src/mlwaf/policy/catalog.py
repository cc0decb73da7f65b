"""Every definition and initiative an assignment can point at: the shipped built-ins (read on
demand from data/builtin.zip) and the user's own.

Ids are matched case-insensitively. A custom definition deployed at a management group is
referenced by an id the scan cannot check (`/providers/Microsoft.Management/managementGroups/
mg/providers/Microsoft.Authorization/policyDefinitions/my-def`), and EPAC and templates refer
to members by name: so an id that matches nothing exactly resolves by its last segment, the
name, among the user's definitions, then among the built-ins.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from mlwaf import armid
from mlwaf.policy import parse, store
from mlwaf.policy.errors import PolicyInputError
from mlwaf.policy.model import Definition, Initiative


@functools.cache
def builtin_definition(name: str) -> Definition | None:
    entry = store.index()["definitions"].get(name.lower())
    if entry is None:
        return None
    return parse.definition(store.read(entry["path"]), f"builtin:{entry['path']}")


@functools.cache
def builtin_initiative(name: str) -> Initiative | None:
    entry = store.index()["initiatives"].get(name.lower())
    if entry is None:
        return None
    return parse.initiative(store.read(entry["path"]), f"builtin:{entry['path']}")


def is_builtin(definition_id: str) -> bool:
    """A shipped built-in's id (`/providers/Microsoft.Authorization/policyDefinitions/GUID`),
    not a custom definition that happens to share its name."""
    prefix, _, name = armid.normalize(definition_id).rpartition("/")
    return prefix == "/providers/microsoft.authorization/policydefinitions" and name in store.index()["definitions"]


def builtin_definitions(categories: Iterable[str] | None = None) -> list[Definition]:
    """Built-in definitions, all or those of some categories (case-insensitive), by name."""
    wanted = {c.lower() for c in categories} if categories is not None else None
    out = []
    for name, entry in sorted(store.index()["definitions"].items()):
        if wanted is None or entry["category"].lower() in wanted:
            d = builtin_definition(name)
            if d is not None:
                out.append(d)
    return out


def builtin_initiatives() -> list[Initiative]:
    return [i for name in sorted(store.index()["initiatives"]) if (i := builtin_initiative(name)) is not None]


def find_builtin_initiative(name_or_guid: str) -> Initiative:
    """A built-in initiative by GUID or display name (case-insensitive); raises PolicyInputError
    naming the closest display names when there is none."""
    index = store.index()["initiatives"]
    key = name_or_guid.strip().lower()
    if key in index:
        found = builtin_initiative(key)
        assert found is not None
        return found
    by_name = {e["display_name"].lower(): g for g, e in index.items()}
    if key in by_name:
        found = builtin_initiative(by_name[key])
        assert found is not None
        return found
    near = sorted(e["display_name"] for e in index.values() if key and key in e["display_name"].lower())
    hint = f"; did you mean: {'; '.join(near[:5])}" if near else " (mlwaf policy list --initiatives lists them)"
    raise PolicyInputError(f"no built-in initiative named {name_or_guid!r}{hint}", "--policy-set")


class Catalog:
    """The user's definitions and initiatives, in front of the built-ins."""

    def __init__(self, definitions: Iterable[Definition] = (), initiatives: Iterable[Initiative] = ()) -> None:
        self._defs: dict[str, Definition] = {}
        self._defs_by_name: dict[str, list[Definition]] = {}
        self._sets: dict[str, Initiative] = {}
        self._sets_by_name: dict[str, list[Initiative]] = {}
        for d in definitions:
            self.add_definition(d)
        for i in initiatives:
            self.add_initiative(i)

    def add_definition(self, d: Definition) -> None:
        self._defs[d.key] = d
        self._defs_by_name.setdefault(d.name.lower(), []).append(d)

    def add_initiative(self, i: Initiative) -> None:
        self._sets[i.key] = i
        self._sets_by_name.setdefault(i.name.lower(), []).append(i)

    def definition(self, ref: str) -> Definition | None:
        return _lookup(ref, self._defs, self._defs_by_name, builtin_definition)

    def initiative(self, ref: str) -> Initiative | None:
        return _lookup(ref, self._sets, self._sets_by_name, builtin_initiative)

    def is_set_reference(self, ref: str) -> bool:
        """Does an assignment's policyDefinitionId name an initiative (policySetDefinitions)?"""
        low = ref.lower()
        if "/policysetdefinitions/" in low:
            return True
        if "/policydefinitions/" in low:
            return False
        return self.initiative(ref) is not None and self.definition(ref) is None


def _lookup(ref: str, exact: dict[str, Any], by_name: dict[str, list[Any]], builtin: Callable[[str], Any]) -> Any:
    """By id; else by name (the id's last segment) among the user's, then the built-ins."""
    hit = exact.get(armid.normalize(ref))
    if hit is not None:
        return hit
    name = armid.name_of(ref).lower()
    named = by_name.get(name)
    return named[0] if named else builtin(name)
