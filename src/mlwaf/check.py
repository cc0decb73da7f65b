"""What a check author writes against: the `@check` decorator and the property readers.

A check is one function with its metadata beside it. It receives one resource and a context
(the inventory, its parameters from the config file) and returns a Verdict. It never does I/O.

    @check(
        id="MLW-SEC-001", title="...", pillar=Pillar.SECURITY, severity=Severity.HIGH,
        resource_types=["Microsoft.MachineLearningServices/workspaces"],
        implements=["AML-SEC-01"], remediation="Set properties.publicNetworkAccess ...",
        references=References(azure_policy=["438c38d2-..."], psrule=["Azure.ML.PublicAccess"]),
    )
    def workspace_public_access(resource, ctx):
        seen = read(resource, "properties.publicNetworkAccess", default="Enabled")
        ...

`read()` returns the value together with its Evidence, and answers the two questions every
check would otherwise get wrong on its own: was the property absent (apply the documented
default, and say so) and is it an unresolved template expression (then the verdict is UNKNOWN).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwaf.model import Evidence, Pillar, Resource, Severity, Status, Unresolved, Verdict

if TYPE_CHECKING:
    from mlwaf.inventory import Inventory

__all__ = [
    "CheckContext",
    "CheckSpec",
    "Pillar",
    "References",
    "Resource",
    "Seen",
    "Severity",
    "Status",
    "Verdict",
    "check",
    "fail",
    "flag",
    "not_applicable",
    "passed",
    "read",
    "required",
    "unknown",
]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class References:
    """Where the guidance comes from, and the equivalent rule in other tools."""

    docs: Sequence[str] = ()
    azure_policy: Sequence[str] = ()  # built-in policy definition GUIDs
    psrule: Sequence[str] = ()  # PSRule for Azure rule names
    checkov: Sequence[str] = ()  # checkov check ids

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "docs": list(self.docs),
            "azure_policy": list(self.azure_policy),
            "psrule": list(self.psrule),
            "checkov": list(self.checkov),
        }


@dataclass(frozen=True, slots=True)
class CheckContext:
    inventory: Inventory
    params: Mapping[str, Any] = field(default_factory=dict)
    live: bool = False  # live-only evidence (metrics, role assignments) exists only when True


CheckFn = Callable[[Resource, CheckContext], Verdict]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    pillar: Pillar
    severity: Severity
    resource_types: tuple[str, ...]
    implements: tuple[str, ...]
    remediation: str
    references: References
    fn: CheckFn
    rationale: str = ""
    # Which Azure default the check applies when a property is absent, for its docs page.
    defaults: str = ""
    tags: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)  # name -> what it configures
    source: str = ""  # where it was loaded from: "builtin", a folder, an entry point

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "pillar": self.pillar.value,
            "severity": self.severity.value,
            "resource_types": list(self.resource_types),
            "implements": list(self.implements),
            "references": self.references.to_dict(),
            "remediation": self.remediation,
            "rationale": self.rationale,
            "defaults": self.defaults,
            "tags": list(self.tags),
            "params": dict(self.params),
            "source": self.source,
        }

    @property
    def family(self) -> str:
        """The resource family for tags: `workspaces/computes` -> `computes`."""
        return self.resource_types[0].rsplit("/", 1)[-1].lower() if self.resource_types else ""


CHECK_ATTR = "__mlwaf_check__"


def check(
    *,
    id: str,  # noqa: A002 - the metadata field is called id everywhere else too
    title: str,
    pillar: Pillar | str,
    severity: Severity | str,
    resource_types: Sequence[str],
    implements: Sequence[str],
    remediation: str,
    references: References | Mapping[str, Sequence[str]] | None = None,
    rationale: str = "",
    defaults: str = "",
    tags: Sequence[str] = (),
    params: Mapping[str, str] | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Attach metadata to a check function. Validation happens when the registry loads it, so
    an error names the file and the field; here the raw values are only recorded."""

    def wrap(fn: CheckFn) -> CheckFn:
        setattr(
            fn,
            CHECK_ATTR,
            {
                "id": id,
                "title": title,
                "pillar": pillar,
                "severity": severity,
                "resource_types": resource_types,
                "implements": implements,
                "remediation": remediation,
                "references": references,
                "rationale": rationale or (fn.__doc__ or "").strip(),
                "defaults": defaults,
                "tags": tags,
                "params": params or {},
            },
        )
        return fn

    return wrap


# --- reading properties ---------------------------------------------------------------------

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Seen:
    """A property as the check saw it: the value (or default), and the Evidence to report."""

    value: Any
    evidence: Evidence

    @property
    def unresolved(self) -> bool:
        return self.evidence.expression is not None

    @property
    def absent(self) -> bool:
        return not self.evidence.present

    def lower(self) -> str:
        """The value as a lower-case string ('' for None), for ARM's case-insensitive enums."""
        return str(self.value).lower() if self.value is not None else ""


@functools.lru_cache(maxsize=4096)
def _steps(path: str) -> tuple[str | int, ...]:
    """`properties.a[0].b` -> ("properties", "a", 0, "b"), parsed once per path: checks read the
    same few hundred paths millions of times in a large scan."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(path))


def lookup(data: Any, path: str) -> Any:
    """Follow a dotted path (`properties.a.b[0].c`); `_MISSING` where a step does not exist.
    Keys match case-insensitively when there is no exact match, as ARM treats them."""
    current = data
    for step in _steps(path):
        if isinstance(current, dict):
            if type(step) is not str:
                return _MISSING
            if step in current:
                current = current[step]
                continue
            lowered = step.lower()
            for k, v in current.items():
                if k.lower() == lowered:
                    current = v
                    break
            else:
                return _MISSING
        elif isinstance(current, Unresolved):
            return current
        elif type(step) is int and isinstance(current, list) and step < len(current):
            current = current[step]
        else:
            return _MISSING
    return current


def read(resource: Resource, path: str, default: Any = _MISSING, note: str | None = None) -> Seen:
    """Read a property of the resource's ARM JSON.

    Absent with a `default`: the documented Azure default is applied and the evidence says so.
    Absent without one: value None, evidence "not present". An unresolved template expression
    anywhere along the path: value Unresolved, and `Seen.unresolved` is True.
    """
    value = lookup(resource.raw, path)
    if isinstance(value, Unresolved):
        return Seen(value, Evidence(path, expression=value.expression, note=note))
    if value is _MISSING or value is None:
        if default is not _MISSING:
            return Seen(
                default,
                Evidence(path, present=False, default=default, default_applied=True, note=note),
            )
        return Seen(None, Evidence(path, present=False, note=note))
    return Seen(value, Evidence(path, value=value, note=note))


def required(resource: Resource, path: str, what: str | None = None) -> tuple[Seen, Verdict | None]:
    """A property the API requires, so it has no default to apply: the value, and UNKNOWN when
    it is an unresolved expression or absent (the input left it out; a guess would be wrong).

    `seen, v = required(resource, "properties.authType")`, then `if v: return v`. The UNKNOWN
    message names `what` (default: the path)."""
    seen = read(resource, path)
    if v := unresolved(seen):
        return seen, v
    if seen.absent:
        return seen, unknown(f"{what or path} is not in the input", seen)
    return seen, None


def flag(resource: Resource, path: str, *, default: bool, want: bool, ok: str, bad: str) -> Verdict:
    """The most common check: one boolean setting that must be `want`.

    PASS when it is (the documented `default` applies when the property is absent), FAIL when
    it is not, UNKNOWN when it is an unresolved expression or not a boolean at all (ARM may
    render booleans as "true"/"false" strings; anything else is not guessed at)."""
    seen = read(resource, path, default=default)
    if v := unresolved(seen):
        return v
    value = seen.value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if not isinstance(value, bool):
        return unknown(f"{path} is {value!r}, not a boolean", seen)
    return passed(ok, seen) if value is want else fail(bad, seen)


def _evidence(items: Sequence[Seen | Evidence]) -> tuple[Evidence, ...]:
    return tuple([i.evidence if type(i) is Seen else i for i in items])


def passed(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.PASS, message, _evidence(seen))


def fail(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.FAIL, message, _evidence(seen))


def unknown(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.UNKNOWN, message, _evidence(seen))


def not_applicable(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, message, _evidence(seen))


def unresolved(*seen: Seen) -> Verdict | None:
    """UNKNOWN when any of the values is an unresolved expression, else None (go on).

    Lets a check open with `if (v := unresolved(a, b)): return v`."""
    pending = [s for s in seen if s.unresolved]
    if not pending:
        return None
    exprs = ", ".join(f"{s.evidence.path} = {s.evidence.expression}" for s in pending)
    message = f"Depends on a template expression that could not be resolved: {exprs}"
    return Verdict(Status.UNKNOWN, message, _evidence(pending))


def partial_unknown(resource: Resource, *seen: Seen) -> Verdict | None:
    """UNKNOWN when the resource was read partially (a projected Resource Graph row) and a
    property the check needs is absent: absence there means 'not exported', not 'default'."""
    if not resource.partial:
        return None
    missing = [s for s in seen if s.absent]
    if not missing:
        return None
    paths = ", ".join(s.evidence.path for s in missing)
    return Verdict(
        Status.UNKNOWN,
        f"The input holds only some of this resource's properties; {paths} was not exported",
        _evidence(missing),
    )
