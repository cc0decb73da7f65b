"""What a `field` reads: the special fields (type, name, fullName, kind, location, id, identity.*,
tags and tags['x']) and property aliases, on a resource's ARM JSON.

A path with `[*]` (or an alias whose path crosses an array without saying so, such as
`diagnosticSettings/logs.enabled` -> `properties.logs[*].enabled`) reads a *collection*: one
value per array member, members without the property included as missing. A missing array is an
empty collection. Inside a `count`, the counted array is *bound*: its `[*]` stands for the current
member only, as if it were the array's only member (author-policies-for-arrays.md).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlwaf import armid, armjson
from mlwaf.model import Resource, Unresolved
from mlwaf.policy.aliases import AliasTable


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

STAR = "[*]"
# Bound arrays: the lower-case path segments up to and including a `[*]` -> the current member.
Bindings = Mapping[tuple[str, ...], Any]

_TAG = re.compile(r"^tags(?:\.(?P<dot>.+)|\[(?P<bracket>.*)\])$", re.IGNORECASE | re.DOTALL)
SPECIAL = {"type", "name", "fullname", "kind", "location", "id", "tags"}


@dataclass(frozen=True, slots=True)
class FieldValue:
    """The value(s) a field reads. `values` is one value (or MISSING) for a plain path and a
    list for a collection; `unknown` is set when a template expression stands in the way."""

    field: str
    path: str  # the property path read ("properties.x[*].y", "tags.env", "type")
    collection: bool
    values: Any
    unknown: Unresolved | None = None

    def function_value(self) -> Any:
        """What `field('...')` returns: the selected values of a collection (an empty array
        when there are none), "" for a missing plain property."""
        if self.unknown is not None:
            return self.unknown
        if self.collection:
            return [v for v in self.values if v is not MISSING]
        return "" if self.values is MISSING else self.values


@functools.lru_cache(maxsize=4096)
def split_path(path: str) -> tuple[str, ...]:
    """`properties.logs[*].enabled` -> ("properties", "logs", "[*]", "enabled")."""
    out: list[str] = []
    for part in path.split("."):
        while part.endswith(STAR):
            base = part[: -len(STAR)]
            stars = 0
            while base.endswith(STAR):
                base = base[: -len(STAR)]
                stars += 1
            if base:
                out.append(base)
            out.extend([STAR] * (stars + 1))
            part = ""
        if part:
            out.append(part)
    return tuple(out)


def child(value: Any, key: str) -> Any:
    """`value[key]` for ARM JSON (names match as ARM reads them); MISSING when absent."""
    if isinstance(value, Unresolved):
        return value
    if not isinstance(value, dict):
        return MISSING
    return armjson.key(value, key, MISSING)


def walk(root: Any, segments: tuple[str, ...], bindings: Bindings | None = None) -> tuple[Any, bool, Unresolved | None]:
    """(values, is collection, unknown) of a path from `root`."""
    items: list[Any] = [root]
    collection = False
    for i, seg in enumerate(segments):
        if seg == STAR:
            collection = True
            bound = bindings.get(tuple(s.lower() for s in segments[: i + 1])) if bindings else None
            if bound is not None:
                items = [bound[0]]  # bindings hold 1-tuples so that a null member stays bound
                continue
            expanded: list[Any] = []
            for it in items:
                if isinstance(it, Unresolved):
                    return MISSING, True, it
                if isinstance(it, list):
                    expanded.extend(it)
            items = expanded
        else:
            items = [child(it, seg) if it is not MISSING else MISSING for it in items]
    if collection:
        return items, True, None  # an unresolved member is unknown on its own, not the whole
    value = items[0]
    return value, False, value if isinstance(value, Unresolved) else None


def tag_name(field: str) -> str | None:
    """The tag a `tags['x']` / `tags[x]` / `tags.x` / `tags['''x''']` field names, or None."""
    m = _TAG.match(field)
    if m is None:
        return None
    name = m.group("dot") if m.group("dot") is not None else m.group("bracket")
    if len(name) >= 2 and name[0] == "'" and name[-1] == "'":
        name = name[1:-1].replace("''", "'")
    return name


def full_name(resource: Resource) -> str:
    """`workspace/compute` for a child resource: the names of every level (fullName)."""
    _, _, pairs = armid.provider_parts(resource.id)
    if pairs:
        return "/".join(n for _, n in pairs)
    return resource.name


def short_name(resource: Resource) -> Any:
    raw = resource.raw.get("name")
    if isinstance(raw, Unresolved):
        return raw
    return armid.name_of(resource.id) if resource.id else (raw or resource.name).rsplit("/", 1)[-1]


def is_alias(field: str) -> bool:
    return "/" in field


@functools.lru_cache(maxsize=4096)
def _kind(field: str) -> tuple[str, str]:
    """What a field name is, worked out once per name: (kind, path or tag)."""
    low = field.lower()
    if low in ("type", "name", "fullname", "id"):
        return low, low
    if low in ("kind", "location", "tags"):
        return "top", low
    if low.startswith("identity.") or low == "identity":
        return "identity", "identity" + field[len("identity") :]
    if is_alias(field):
        return "alias", ""
    tag = tag_name(field)
    if tag is not None:
        return "tag", tag
    return "unknown", ""


def read(
    field: str,
    resource: Resource,
    aliases: AliasTable,
    bindings: Bindings | None = None,
) -> FieldValue:
    """Read a field of a resource. Raises aliases.UnknownAlias for an alias the table lacks."""
    kind, extra = _kind(field)
    raw = resource.raw
    if kind == "alias":
        path = aliases.resolve(field, resource.type)
        if path is None:
            # The alias exists, for other types: on this resource the property does not exist.
            return FieldValue(field, "", STAR in field, [] if STAR in field else MISSING)
        values, collection, unknown = walk(raw, split_path(path), bindings)
        if unknown is None and resource.partial and (values is MISSING or values == []):
            # A Resource Graph row projected to some columns: absent means "not exported".
            unknown = Unresolved(path, f"{path} is not in the input (the resource was read in part)")
        return FieldValue(field, path, collection, values, unknown)
    if kind == "type":
        return _scalar(field, "type", raw.get("type", resource.type) if isinstance(raw, dict) else resource.type)
    if kind == "name":
        return _scalar(field, "name", short_name(resource))
    if kind == "fullname":
        value = raw.get("name") if isinstance(raw.get("name"), Unresolved) else full_name(resource)
        return _scalar(field, "name", value)
    if kind == "id":
        return _scalar(field, "id", resource.id)
    if kind == "top":
        return _scalar(field, extra, child(raw, extra))
    if kind == "identity":
        values, collection, unknown = walk(raw, split_path(extra), bindings)
        return FieldValue(field, extra, collection, values, unknown)
    if kind == "tag":
        tags = child(raw, "tags")
        return _scalar(field, f"tags.{extra}", child(tags, extra) if tags is not MISSING else MISSING)
    raise _unknown(field)


def resolve_path(field: str, resource: Resource, aliases: AliasTable) -> str | None:
    """The property path a field (alias or special field) names on this resource's type."""
    low = field.lower()
    if low in SPECIAL or low.startswith("identity"):
        return field if low != "fullname" else "name"
    tag = tag_name(field)
    if tag is not None:
        return f"tags.{tag}"
    if not is_alias(field):
        raise _unknown(field)
    return aliases.resolve(field, resource.type)


def _scalar(field: str, path: str, value: Any) -> FieldValue:
    return FieldValue(field, path, False, value, value if isinstance(value, Unresolved) else None)


def _unknown(field: str) -> Exception:
    from mlwaf.policy.aliases import UnknownAlias

    return UnknownAlias(field)
