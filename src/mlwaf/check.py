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
        seen = read(resource, WORKSPACE_PUBLIC_NETWORK_ACCESS)   # a Default from mlwaf.defaults
        ...

`read()` returns the value together with its Evidence, and answers the questions every check
would otherwise get wrong on its own: was the property absent (then apply the default Azure
documents for that API version and that kind of input, and say so), is there no such default
(the property does not exist at that API version: UNKNOWN), and is it an unresolved template
expression (UNKNOWN). A default is data with a source (`Default`), declared once in
`mlwaf.defaults` and listed in the check's `@check(defaults=[...])`, never a literal in a check.
"""

from __future__ import annotations

import contextvars
import functools
import re
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwaf.model import Evidence, Pillar, Resource, Severity, Status, Unresolved, Verdict
from mlwaf.params import Param

if TYPE_CHECKING:
    from mlwaf.inventory import Inventory

__all__ = [
    "REQUEST",
    "STATE",
    "CheckContext",
    "CheckSpec",
    "Default",
    "Evidence",
    "Guard",
    "Param",
    "Pillar",
    "References",
    "Resource",
    "Rule",
    "Seen",
    "Severity",
    "Source",
    "Status",
    "Verdict",
    "check",
    "check_family",
    "default",
    "fail",
    "flag",
    "is_set",
    "learn",
    "not_applicable",
    "passed",
    "read",
    "required",
    "spec",
    "unknown",
    "value_at",
    "value_check",
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


# --- defaults: what Azure takes for an absent property, and where that is written --------------

# What kind of input a resource was read from decides which defaults can apply to it.
REQUEST = "request"  # a deployment template: the body of a PUT, so creation defaults apply
STATE = "state"  # a GET, list, export or Resource Graph row: what Azure stored, maybe long ago
ORIGINS = (REQUEST, STATE)

SPECS_REPO = "https://github.com/Azure/azure-rest-api-specs/blob/main/"


@dataclass(frozen=True, slots=True)
class Source:
    """Where Azure documents a default: a definition in a REST API specification of
    Azure/azure-rest-api-specs (`where` is the file's path there, `definition` names the
    definition and property) or a Microsoft Learn page (`where` is its URL), and the words that
    say it, quoted exactly."""

    where: str
    words: str
    definition: str = ""

    @property
    def is_spec(self) -> bool:
        return self.where.startswith("specification/")

    @property
    def url(self) -> str:
        return SPECS_REPO + self.where if self.is_spec else self.where

    @property
    def api_version(self) -> str | None:
        """The API version of a spec file (`.../stable/2025-12-01/mfe.json`)."""
        m = re.search(r"/(?:stable|preview)/(\d{4}-\d{2}-\d{2}(?:-preview)?)/", self.where)
        return m.group(1) if m else None

    def to_dict(self) -> dict[str, str]:
        out = {"where": self.where, "url": self.url, "words": self.words}
        if self.definition:
            out["definition"] = self.definition
        return out


def spec(path: str, definition: str, words: str) -> Source:
    """A default written in a REST API specification: the file's path in azure-rest-api-specs
    (`specification/.../stable/2025-12-01/mfe.json`), `Definition.property`, the spec's words."""
    if not path.startswith("specification/"):
        raise ValueError(f"not a path in azure-rest-api-specs: {path!r}")
    return Source(path, words, definition)


def learn(url: str, words: str) -> Source:
    """A default written on a Microsoft Learn page, with its words."""
    if not url.startswith("https://learn.microsoft.com/"):
        raise ValueError(f"not a Microsoft Learn page: {url!r}")
    return Source(url, words)


def _version_key(version: str) -> str:
    return version[:10]


@dataclass(frozen=True, slots=True)
class Rule:
    """One value an absent property takes, for the API versions and input kinds it holds for.

    `since` (inclusive) and `until` (exclusive) bound the API versions, `preview` limits the rule to
    preview API versions (True) or stable ones (False); `origins` says whether it holds for
    templates (REQUEST: the value Azure gives a resource created without the property), stored
    state (STATE: what an absent property means in a GET, export or Resource Graph row), or both.
    `created_before` limits a STATE rule to resources created before that date
    (properties.creationTime, else systemData.createdAt): what an old resource that never set the
    property has.

    `unset` marks an optional setting the spec gives no default: the source shows the property is
    optional and what it switches, and the value is the spec's own name for "not switched on"
    (an opt-in flag off, an enum's Disabled/None). `when` states, for the documentation, a
    condition the check applies before it uses the rule (e.g. "the cluster's only node pool")."""

    value: Any
    source: Source
    since: str | None = None
    until: str | None = None
    origins: tuple[str, ...] = ORIGINS
    created_before: str | None = None
    preview: bool | None = None
    unset: bool = False
    when: str = ""

    def covers(self, version: str) -> bool:
        v = _version_key(version)
        if self.preview is not None and ("preview" in version.lower()) is not self.preview:
            return False
        return (self.since is None or v >= _version_key(self.since)) and (
            self.until is None or v < _version_key(self.until)
        )

    @property
    def current(self) -> bool:
        """Holds for the current stable schema (no upper bound, not preview-only)."""
        return self.until is None and self.preview is not True

    def versions(self) -> str:
        """The API versions in words, for the documentation."""
        if self.since and self.until:
            text = f"{self.since} to before {self.until}"
        elif self.since:
            text = f"{self.since} and later"
        elif self.until:
            text = f"before {self.until}"
        else:
            text = "every version"
        if self.preview is True:
            text += " (preview versions)"
        elif self.preview is False:
            text += " (stable versions)"
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "versions": self.versions(), "origins": list(self.origins),
                               "source": self.source.to_dict()}
        if self.created_before:
            out["created_before"] = self.created_before
        if self.unset:
            out["unset"] = True
        if self.when:
            out["when"] = self.when
        return out


@dataclass(frozen=True, slots=True, eq=False)  # compared and hashed as the one declared object
class Default:
    """What Azure takes for an absent property of some resource types, declared once with its
    source (mlwaf.defaults) and read through `read()`.

    `introduced` is the first API version whose schema has the property: read at an older version
    (or written in a template of one) the property cannot be there, so its absence says nothing
    unless a rule covers that version. Where no rule covers the resource's API version and input
    kind, no default applies and the check is UNKNOWN, never a guess."""

    path: str
    types: tuple[str, ...]
    rules: tuple[Rule, ...]
    introduced: str | None = None

    def applies_to(self, resource: Resource) -> bool:
        return not self.types or resource.type_key in {t.lower() for t in self.types}

    def matches(self, path: str) -> bool:
        """The declared path names `path`: `[*]` stands for any list index, `*` for any map key."""
        want, got = _path_tokens(self.path), _path_tokens(path)
        return len(want) == len(got) and all(
            w == g or (w == "[*]" and g.startswith("[")) or (w == "*" and not g.startswith("["))
            for w, g in zip(want, got, strict=True)
        )

    def resolve(self, resource: Resource) -> tuple[Rule | None, str]:
        """The rule that gives the absent property its value, or None and the reason none does."""
        origin = origin_of(resource)
        rules = [r for r in self.rules if origin in r.origins]
        version = api_version_of(resource)
        what = "template" if origin == REQUEST else "stored resource (GET, export, Resource Graph)"
        if not rules:
            other = "templates" if origin == STATE else "stored resources"
            return None, f"{self.path} has a documented default for {other} only, not for a {what}"
        if version is not None:
            if self.introduced and _version_key(version) < _version_key(self.introduced) and not any(
                r.covers(version) for r in rules
            ):
                return None, (f"{self.path} does not exist at API version {version} (it appears in "
                              f"{self.introduced}), so its absence does not tell its value")
            rules = [r for r in rules if r.covers(version)]
        else:
            if not any(r.current for r in rules):
                return None, (f"{self.path} is not in the current stable schema, and the input does not say "
                              "which API version it was read with")
            if len({repr(r.value) for r in rules}) > 1:
                return None, (f"the default of {self.path} differs by API version and the input does not "
                              "say which API version it was read with")
        created = _created(resource)
        for rule in rules:
            if rule.created_before is None:
                return rule, ""
            if created is not None and created < rule.created_before:
                return rule, ""
        if any(r.created_before for r in rules):
            return None, (f"absent {self.path} means different things for resources created before and after "
                          "the default changed, and the input does not say when this one was created")
        at = f" at API version {version}" if version else ""
        return None, f"no documented default of {self.path} for a {what}{at}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "types": list(self.types),
                               "rules": [r.to_dict() for r in self.rules]}
        if self.introduced:
            out["introduced"] = self.introduced
        return out


def _path_tokens(path: str) -> list[str]:
    return [t.lower() for t in re.findall(r"\[[^\]]*\]|[^.\[\]]+", path)]


def default(
    path: str,
    types: Sequence[str],
    value: Any,
    source: Source,
    *,
    since: str | None = None,
    until: str | None = None,
    origins: tuple[str, ...] = ORIGINS,
    introduced: str | None = None,
    unset: bool = False,
    when: str = "",
) -> Default:
    """A Default with one rule: the common case."""
    rule = Rule(value, source, since=since, until=until, origins=origins, unset=unset, when=when)
    return Default(path, tuple(types), (rule,), introduced=introduced)


def origin_of(resource: Resource) -> str:
    """REQUEST for a deployment template (`az group export` output is stored state, and says so
    with its own kind), STATE for everything read from Azure or a file of what Azure returned."""
    kind = resource.origin.kind.removeprefix("live/")
    return REQUEST if kind == "arm-template" else STATE


def api_version_of(resource: Resource) -> str | None:
    """The API version the resource was written or read with (template apiVersion, REST example
    or live request api-version, an `apiVersion` key an export kept); None where the input does
    not say. A Resource Graph row is never at a known version of the resource's own API: the
    version on its origin is the Resource Graph query API's."""
    if resource.origin.kind.removeprefix("live/") == "resource-graph":
        return None
    if resource.origin.api_version:
        return resource.origin.api_version
    value = resource.raw.get("apiVersion")
    return value if isinstance(value, str) and value else None


def _created(resource: Resource) -> str | None:
    for path in ("properties.creationTime", "systemData.createdAt"):
        value = lookup(resource.raw, path)
        if isinstance(value, str) and value:
            return value
    return None


# Checks read defaults through read(); while a recorder is active (the fixture tests), every
# Default a check consults is noted, so a test can hold it against the check's declaration.
_CONSULTED: contextvars.ContextVar[set[Default] | None] = contextvars.ContextVar("mlwaf_consulted", default=None)


@contextmanager
def consulted_defaults() -> Iterator[set[Default]]:
    """Collect the Defaults read() is given inside the block."""
    seen: set[Default] = set()
    token = _CONSULTED.set(seen)
    try:
        yield seen
    finally:
        _CONSULTED.reset(token)


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
    # What the check reads into an absent property, in words, for its docs page and the reports.
    absent: str = ""
    # The sourced Azure defaults it applies (mlwaf.defaults), listed on its docs page.
    defaults: tuple[Default, ...] = ()
    tags: tuple[str, ...] = ()
    params: Mapping[str, Param] = field(default_factory=dict)  # name -> what it configures (mlwaf.params)
    source: str = ""  # where it was loaded from: "builtin", a folder, an entry point
    # The property paths it reads: "" -> its own resource's, a lower-case ARM type -> that type's.
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    differs: str = ""  # where it deliberately disagrees with the rule of another tool it names

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
            "absent": self.absent,
            "defaults": [d.to_dict() for d in self.defaults],
            "tags": list(self.tags),
            "params": {name: str(p) for name, p in self.params.items()},
            "param_types": {name: p.to_dict() for name, p in self.params.items()},
            "source": self.source,
            "reads": {rtype: list(paths) for rtype, paths in self.reads.items()},
            "differs": self.differs,
        }

    @property
    def family(self) -> str:
        """The resource family for tags: `workspaces/computes` -> `computes`."""
        return self.resource_types[0].rsplit("/", 1)[-1].lower() if self.resource_types else ""


CHECK_ATTR = "__mlwaf_check__"
# Set by checklib's @reads and @differs, the form before check(reads=..., differs=...).
READS_ATTR = "__mlwaf_reads__"
DIFFERS_ATTR = "__mlwaf_differs__"


def check(
    *,
    id: str,  # noqa: A002 - the metadata field is called id everywhere else too
    title: str,
    severity: Severity | str,
    resource_types: Sequence[str],
    implements: Sequence[str],
    remediation: str,
    pillar: Pillar | str | None = None,
    references: References | Mapping[str, Sequence[str]] | None = None,
    rationale: str = "",
    absent: str = "",
    defaults: Sequence[Default] | str = (),
    tags: Sequence[str] = (),
    params: Mapping[str, Param | str] | None = None,
    reads: Sequence[str] = (),
    reads_related: Mapping[str, Sequence[str]] | None = None,
    differs: str = "",
) -> Callable[[CheckFn], CheckFn]:
    """Attach metadata to a check function. Validation happens when the registry loads it, so
    an error names the file and the field; here the raw values are only recorded.

    `pillar` may be left out when the id names it (`MLW-SEC-001`: security). `defaults` lists the
    Defaults the check reads absent properties with; `absent` says in words what the check makes
    of absent properties. (A string in `defaults`, the form before sourced defaults, is taken as
    `absent`.) `reads` declares every property path the check reads on its own resource and
    `reads_related` those it reads on others, by ARM type (`[*]` any list element, `*` any map
    key); `differs` says where it deliberately disagrees with the PSRule/checkov rule or Azure
    Policy it names."""

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
                "absent": absent,
                "defaults": defaults,
                "tags": tags,
                "params": params or {},
                "reads": reads,
                "reads_related": reads_related or {},
                "differs": differs,
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
    # Absent, and no documented default applies (API version, input kind): why, for the UNKNOWN.
    undetermined: str | None = None

    @property
    def unresolved(self) -> bool:
        return self.evidence.expression is not None or self.undetermined is not None

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


def value_at(data: Any, path: str) -> Any:
    """A value inside a nested object of a resource (a node pool profile, an outbound rule, a log
    entry), its keys matched as `read` matches them: case-insensitively, so a PowerShell export's
    `VmSize` reads as `vmSize`. None when absent; use `read` for the resource's own properties,
    which needs the evidence."""
    found = lookup(data, path)
    return None if found is _MISSING else found


def read(
    resource: Resource, path: str | Default, default: Any = _MISSING, note: str | None = None
) -> Seen:
    """Read a property of the resource's ARM JSON.

    `read(resource, SOME_DEFAULT)` (or `read(resource, path, default=SOME_DEFAULT)`): when the
    property is absent, the Default's rule for the resource's API version and input kind gives
    the value and the evidence says a default was applied; when no rule does (the property does
    not exist at that version, or the default depends on a version the input does not state),
    the value is None and `Seen.unresolved` is True, so the check answers UNKNOWN with the reason.
    Without a default: value None, evidence "not present". An unresolved template expression
    anywhere along the path: value Unresolved, and `Seen.unresolved` is True.

    A plain value as `default` is still accepted for checks outside the built-in pack (whose
    tests forbid it: every default there is a sourced Default)."""
    if isinstance(path, Default):
        default, path = path, path.path
    elif isinstance(default, Default) and not default.matches(path):
        raise ValueError(f"read({path!r}) was given the default of {default.path!r}")
    if isinstance(default, Default):
        consulted = _CONSULTED.get()
        if consulted is not None:
            consulted.add(default)
    value = lookup(resource.raw, path)
    if isinstance(value, Unresolved):
        return Seen(value, Evidence(path, expression=value.expression, note=note))
    if value is _MISSING or value is None:
        if isinstance(default, Default):
            if not default.applies_to(resource):
                raise ValueError(f"the default of {path} is declared for {', '.join(default.types)}, "
                                 f"not {resource.type}")
            rule, why = default.resolve(resource)
            if rule is None:
                return Seen(None, Evidence(path, present=False, note=why), undetermined=why)
            if rule.value is None:  # "not set" is what the evidence already says
                return Seen(None, Evidence(path, present=False, note=note))
            default = rule.value
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


def flag(resource: Resource, path: str | Default, *, default: Any = _MISSING, want: bool, ok: str, bad: str) -> Verdict:
    """The most common check: one boolean setting that must be `want`.

    PASS when it is (the `default`, a Default, applies when the property is absent), FAIL when
    it is not, UNKNOWN when it is an unresolved expression or not a boolean at all (ARM may
    render booleans as "true"/"false" strings; anything else is not guessed at)."""
    seen = read(resource, path, default=default)
    if v := unresolved(seen):
        return v
    value = _boolean(seen)
    if isinstance(value, Verdict):
        return value
    return passed(ok, seen) if value is want else fail(bad, seen)


def _boolean(seen: Seen) -> bool | Verdict:
    """A boolean property's value (ARM may render booleans as "true"/"false" strings), or the
    UNKNOWN verdict for anything else: it is not guessed at."""
    value = seen.value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        return unknown(f"{seen.evidence.path} is {value!r}, not a boolean", seen)
    return value


def _evidence(items: Sequence[Seen | Evidence]) -> tuple[Evidence, ...]:
    return tuple([i.evidence if isinstance(i, Seen) else i for i in items])


def passed(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.PASS, message, _evidence(seen))


def fail(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.FAIL, message, _evidence(seen))


def unknown(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.UNKNOWN, message, _evidence(seen))


def not_applicable(message: str, *seen: Seen | Evidence) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, message, _evidence(seen))


def unresolved(*seen: Seen) -> Verdict | None:
    """UNKNOWN when any of the values is an unresolved expression, or absent with no default that
    applies to the resource's API version and input kind; else None (go on).

    Lets a check open with `if (v := unresolved(a, b)): return v`."""
    pending = [s for s in seen if s.unresolved]
    if not pending:
        return None
    exprs = [s for s in pending if s.evidence.expression is not None]
    if exprs:
        listed = ", ".join(f"{s.evidence.path} = {s.evidence.expression}" for s in exprs)
        message = f"Depends on a template expression that could not be resolved: {listed}"
    else:
        reasons = "; ".join(str(s.undetermined) for s in pending)
        message = f"Cannot judge an absent property: {reasons}"
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


# --- declared checks: a check as data -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Guard:
    """A condition a declared check tests before it judges its property: a verdict (usually
    NOT_APPLICABLE: a project judged on its hub, an account no workspace uses) ends the check.
    `reads` are the paths of the resource the test reads, declared with the check's own."""

    test: Callable[[Resource, CheckContext], Verdict | None]
    reads: tuple[str, ...] = ()


def is_set(value: Any) -> bool:
    """A value_check's `want` for a property that passes when it holds anything (an id, a
    name): not absent, null, empty or false."""
    return bool(value)


# What passes: a boolean, the values of an enum (matched case-insensitively, as ARM does), or a
# test of the value.
Want = bool | Collection[str] | Callable[[Any], bool]


def value_check(
    *,
    read: str | Default,
    want: Want,
    ok: str,
    bad: str,
    when: Guard | Sequence[Guard] = (),
    missing: str | None = None,
    **metadata: Any,
) -> CheckFn:
    """A check of one property declared as data (in the spirit of PSRule's YAML rules and
    checkov's value checks): the property (`read`: a path, or the sourced Default it is read
    with), the value(s) that pass (`want`), and the PASS and FAIL messages (`{value}` in them is
    the value read). The body, `reads` and `defaults` are generated; the rest of `metadata` is
    `check()`'s.

    The body: each guard in `when`, in order; then the property, UNKNOWN when it is an
    unresolved expression, absent with no default that applies, or (with `missing`, the message)
    absent at all; a boolean `want` takes "true"/"false" strings and is UNKNOWN on other values.
    Assign the result to a module-level name so the registry finds it."""
    guards = (when,) if isinstance(when, Guard) else tuple(when)
    path = read.path if isinstance(read, Default) else read
    judge = _judge(want)
    for message in (ok, bad):
        message.format(value=None)  # a stray brace fails here, at import, not in a scan
    source = read

    def body(resource: Resource, ctx: CheckContext) -> Verdict:
        for guard in guards:
            verdict = guard.test(resource, ctx)
            if verdict is not None:
                return verdict
        seen = _read(resource, source)
        if missing is not None and seen.absent and not seen.unresolved:
            return unknown(missing, seen)
        if v := unresolved(seen):
            return v
        good = judge(seen)
        if isinstance(good, Verdict):
            return good
        return passed(ok.format(value=seen.value), seen) if good else fail(bad.format(value=seen.value), seen)

    reads = list(dict.fromkeys([*(p for g in guards for p in g.reads), path, *metadata.pop("reads", ())]))
    defaults = [*metadata.pop("defaults", ()), *([read] if isinstance(read, Default) else [])]
    _place(body, metadata["id"], sys._getframe(1).f_globals.get("__name__", __name__))
    return check(reads=reads, defaults=defaults, **metadata)(body)


def check_family(
    body: Callable[..., Verdict], *, members: Sequence[Mapping[str, Any]], **shared: Any
) -> tuple[CheckFn, ...]:
    """Checks that share a body and part of their metadata, declared once (the resource-logs
    check of each type that has resource logs). Each member gives its own metadata, which wins
    over `shared`, and `args`: the keyword arguments `body(resource, ctx, **args)` takes.
    Assign the tuple to a module-level name so the registry finds its checks."""
    module = sys._getframe(1).f_globals.get("__name__", __name__)
    out = []
    for member in members:
        fields = {**shared, **member}
        args = dict(fields.pop("args", {}))

        def fn(resource: Resource, ctx: CheckContext, _args: dict[str, Any] = args) -> Verdict:
            return body(resource, ctx, **_args)

        _place(fn, fields["id"], module)
        out.append(check(**fields)(fn))
    return tuple(out)


_read = read  # value_check's parameter of that name shadows the function in its body


def _judge(want: Want) -> Callable[[Seen], bool | Verdict]:
    if isinstance(want, bool):
        return lambda seen: (got if isinstance(got := _boolean(seen), Verdict) else got is want)
    if isinstance(want, str):
        raise TypeError(f"want={want!r}: give the values that pass as a tuple, e.g. ({want!r},)")
    if callable(want):
        test = want
        return lambda seen: bool(test(seen.value))
    wanted = frozenset(w.lower() for w in want)
    return lambda seen: seen.lower() in wanted


def _place(fn: Callable[..., Verdict], check_id: str, module: str) -> None:
    """Name a generated check function after its id, in the module that declared it (where the
    registry looks for it)."""
    fn.__name__ = fn.__qualname__ = check_id.lower().replace("-", "_")
    fn.__module__ = module
