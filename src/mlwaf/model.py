"""The resource model every source produces and every check, engine and reporter consumes.

Sources (files, templates, live calls) differ in how they find resources; everything after them
sees one shape: the ARM JSON of the resource as Azure returns it, plus where it came from. Keeping
the ARM shape (instead of mapping to typed classes) means a check reads the same property path a
user sees in the portal's JSON view, the REST docs and their own templates.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlwaf import armid


class Status(enum.StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    # A check that raised: reported beside the verdicts, never scored, never a crash of the scan.
    ERROR = "ERROR"


class Pillar(enum.StrEnum):
    RELIABILITY = "reliability"
    SECURITY = "security"
    COST_OPTIMIZATION = "cost_optimization"
    OPERATIONAL_EXCELLENCE = "operational_excellence"
    PERFORMANCE_EFFICIENCY = "performance_efficiency"

    @property
    def label(self) -> str:
        """`Cost optimization`: for people (not `title`, which would shadow `str.title`)."""
        return self.value.replace("_", " ").capitalize()


class Severity(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """Higher is worse; used by the gate (`--fail-on medium` means medium or high)."""
        return {"high": 3, "medium": 2, "low": 1}[self.value]

    @property
    def weight(self) -> int:
        """Scoring weight from the design: high 5, medium 3, low 1."""
        return {"high": 5, "medium": 3, "low": 1}[self.value]


class Unresolved:
    """A value a template expression would produce, but that cannot be known offline.

    It stands in the resource's properties where the value would be, so a check that reads it
    answers UNKNOWN with the expression as evidence instead of guessing.
    """

    __slots__ = ("expression", "reason")

    def __init__(self, expression: str, reason: str = "unresolved template expression") -> None:
        self.expression = expression
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unresolved({self.expression!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unresolved) and other.expression == self.expression

    def __hash__(self) -> int:
        return hash(("Unresolved", self.expression))


def is_unresolved(value: Any) -> bool:
    return isinstance(value, Unresolved)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a resource was read: a place in a file, or a live request.

    `pointer` is the RFC 6901 JSON pointer of the resource object inside the file, so evidence
    about one of its properties can be located at the property's own line.
    """

    path: str | None = None
    pointer: str = ""
    line: int | None = None
    column: int | None = None
    kind: str = ""  # the document kind the source detected (rest-response, arm-template, ...)
    api_version: str | None = None
    request: str | None = None  # live scans: "GET https://.../workspaces/x?api-version=..."
    subscription: str | None = None
    # Templates: the parameter file(s) whose values were used, shown in the report.
    parameters_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (
                ("path", self.path),
                ("pointer", self.pointer or None),
                ("line", self.line),
                ("column", self.column),
                ("kind", self.kind or None),
                ("api_version", self.api_version),
                ("request", self.request),
                ("parameters_file", self.parameters_file),
            )
            if v is not None
        }


class _Unset(enum.Enum):
    """A deployment not worked out yet (None is a value: read with its real id)."""

    UNSET = 0


_UNSET = _Unset.UNSET


def describes(kind: str) -> bool:
    """Sources whose resources are described, not read with their real id: a template (or an
    export, which is one) names resources at placeholder scope, and REST examples reuse one
    placeholder id across files. Two such files declaring the same id mean two resources."""
    return kind == "arm-template" or kind == "group-export" or kind.startswith("rest-example")


def deployment_label(path: str | None, parameters: str | None = None) -> str:
    """The deployment a described resource belongs to: its file, and the parameter file(s) used."""
    return (path or "?") + (f" with {parameters}" if parameters else "")


@dataclass(slots=True)
class Resource:
    """One Azure resource in its ARM shape.

    `raw` is the whole ARM object (id, name, type, location, kind, sku, identity, tags,
    properties); the named attributes are conveniences read from it. `id` is kept as written for
    display; `key` is the normalized form used for matching ids; `uid` tells it from every other
    resource of a scan (see `deployment`).
    """

    type: str
    id: str
    name: str
    raw: dict[str, Any]
    origin: Origin = field(default_factory=Origin)
    # Maps a dotted property path of `raw` to a JSON pointer in the origin file, for sources
    # whose output does not mirror the file one to one (templates with copy loops, tables).
    # None means "the same path below origin.pointer".
    pointer_base: str | None = None
    # True where the resource's properties could not be read in full (e.g. a Resource Graph
    # row projected to a few columns): absent properties then mean "not exported", not "default".
    partial: bool = False
    # Finds the (line, column) of a JSON pointer in the origin file; lazy, because only findings
    # need lines and indexing every file up front would cost as much as parsing it.
    locator: Callable[[str], tuple[int | None, int | None]] | None = field(
        default=None, repr=False, compare=False
    )
    # `key`, normalized on first use: every finding, index and scope asks for it (millions of
    # times in a large scan), and a resource's id never changes once it is read.
    _key: str | None = field(default=None, init=False, repr=False, compare=False)
    _deployment: str | _Unset | None = field(default=_UNSET, init=False, repr=False, compare=False)
    _uid: str | None = field(default=None, init=False, repr=False, compare=False)

    def position(self, pointer: str | None = None) -> tuple[int | None, int | None]:
        """Where a JSON pointer (default: the resource itself) is written in the origin file."""
        if pointer is None and self.origin.line is not None:
            return self.origin.line, self.origin.column
        if self.locator is None:
            return self.origin.line, self.origin.column
        return self.locator(self.origin.pointer if pointer is None else pointer)

    def pointer_for(self, path: str) -> str:
        """The JSON pointer of a dotted property path (`properties.x[0].y`) in the origin file."""
        base = self.origin.pointer if self.pointer_base is None else self.pointer_base
        parts = [p for p in re.split(r"\.|\[|\]", path) if p != ""]
        return base + "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = armid.normalize(self.id)
        return self._key

    @property
    def deployment(self) -> str | None:
        """For a described resource (a template's, a REST example's), the file that describes it
        and the parameter files used: its placeholder id is shared by every template that
        declares the same name, so the id alone does not tell two of them apart. None for a
        resource read with its real id. The scan sets it to repository-relative paths
        (mlwaf.repository); until then it is the path as reports show it."""
        if self._deployment is _UNSET:  # first asked once the source has finished the resource
            self._deployment = (
                deployment_label(self.origin.path, self.origin.parameters_file) if describes(self.origin.kind) else None
            )
        return self._deployment

    @deployment.setter
    def deployment(self, value: str | None) -> None:
        self._deployment = value
        self._uid = None

    @property
    def uid(self) -> str:
        """`key`, qualified by the deployment for described resources: the one key a resource
        has in a scan (findings' identities, scores, the inventory's relations)."""
        if self._uid is None:
            deployment = self.deployment
            self._uid = self.key if deployment is None else f"{self.key}|{deployment}"
        return self._uid

    @property
    def type_key(self) -> str:
        return self.type.lower()

    @property
    def location(self) -> str | None:
        loc = self.raw.get("location")
        return loc if isinstance(loc, str) else None

    @property
    def kind(self) -> str | None:
        kind = self.raw.get("kind")
        return kind if isinstance(kind, str) else None

    @property
    def tags(self) -> Mapping[str, Any]:
        tags = self.raw.get("tags")
        return tags if isinstance(tags, dict) else {}

    @property
    def properties(self) -> Mapping[str, Any]:
        props = self.raw.get("properties")
        return props if isinstance(props, dict) else {}

    @property
    def sku(self) -> Mapping[str, Any]:
        sku = self.raw.get("sku")
        return sku if isinstance(sku, dict) else {}

    @property
    def identity(self) -> Mapping[str, Any]:
        identity = self.raw.get("identity")
        return identity if isinstance(identity, dict) else {}

    @property
    def api_version(self) -> str | None:
        return self.origin.api_version

    def is_type(self, *types: str) -> bool:
        return self.type_key in {t.lower() for t in types}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a check read to reach its verdict: a property path and the value seen there.

    `default` is set when the property was absent and the check applied the documented Azure
    default instead; `expression` when the value was an unresolved template expression.
    """

    path: str
    value: Any = None
    present: bool = True
    default: Any = None
    default_applied: bool = False
    expression: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        if self.expression is not None:
            out["expression"] = self.expression
        elif self.present:
            out["value"] = redact(self.path, self.value)
        else:
            out["present"] = False
        if self.default_applied:
            out["default_applied"] = redact(self.path, self.default)
        if self.note:
            out["note"] = self.note
        return out

    def text(self) -> str:
        """One line for reports of text (CSV, JUnit), from the same redacted values as
        `to_dict`: `path = <JSON value>`, `path = <expression> (unresolved)`, `path absent` or
        `path absent, default <JSON value>`."""
        shown = self.to_dict()
        if "expression" in shown:
            return f"{self.path} = {shown['expression']} (unresolved)"
        if "value" in shown:
            return f"{self.path} = {_json_text(shown['value'])}"
        if "default_applied" in shown:
            return f"{self.path} absent, default {_json_text(shown['default_applied'])}"
        return f"{self.path} absent"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Location:
    path: str | None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # The column too when known: SARIF's startColumn, which `mlwaf merge` rebuilds from here.
        out: dict[str, Any] = {"path": self.path, "line": self.line}
        if self.column is not None:
            out["column"] = self.column
        return out


class SuppressionKind(enum.StrEnum):
    """Where a suppression was written: in mlwaf's config, or in the scanned file itself (a
    resource's tag, a template resource's metadata), which SARIF calls in source."""

    CONFIG = "config"
    TAG = "tag"
    METADATA = "metadata"

    @property
    def in_source(self) -> bool:
        return self is not SuppressionKind.CONFIG


@dataclass(frozen=True, slots=True)
class SuppressionMark:
    """The suppression that covers a finding (the first in force, else an expired one, so the
    report can say the exception ran out)."""

    reason: str
    source: str  # where it was written, shown beside the finding
    kind: SuppressionKind
    expires: dt.date | None = None  # the last day it holds
    active: bool = True  # False: it expired, and the finding counts again

    def fields(self) -> dict[str, Any]:
        """What a finding's (or a policy result's) JSON says of the suppression covering it."""
        out: dict[str, Any] = {"suppressed": self.active, "suppression": {"reason": self.reason, "source": self.source}}
        if self.kind is not SuppressionKind.CONFIG:  # written in the scanned file: SARIF's inSource
            out["suppression"]["kind"] = self.kind.value
        if self.expires is not None:
            out["suppression"]["expires"] = self.expires.isoformat()
            out["suppression"]["expired"] = not self.active
        return out


class Recurrence(enum.StrEnum):
    """Where a failing finding stands in the history of runs (`mlwaf scan --history`)."""

    NEW = "new"  # no earlier run saw it failing
    AGAIN = "again"  # failing again: an earlier run saw it fixed
    RECURRING = "recurring"  # open since an earlier run


@dataclass(frozen=True, slots=True)
class HistoryMark:
    """A failing finding's place in the history: new, failing again, or open since `first_seen`
    (the first run of its open span), `age_days` before this run."""

    state: Recurrence
    first_seen: str  # ISO time of the first run that saw it failing (this run's when new)
    age_days: float

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state.value, "first_seen": self.first_seen, "age_days": self.age_days}


def identity(check_id: str, resource_id: str, deployment: str | None = None) -> str:
    """A finding's stable identity, never a line number: the check id and the normalized
    resource id, and for a described resource (a template's) its deployment, the template's
    repository-relative path and parameter files (`Resource.deployment`), since its id is a
    placeholder any other template may declare too. Baselines, SARIF fingerprints and summarized
    scans all match on it."""
    base = f"{check_id.upper()}|{armid.normalize(resource_id)}"
    return base if deployment is None else f"{base}|{deployment}"


def policy_identity(
    assignment: str, definition_id: str, reference_id: str | None, resource_id: str, deployment: str | None = None
) -> str:
    """An Azure Policy result's stable identity, as `identity` is a finding's: the assignment,
    the definition and its reference in an initiative (lower case), the normalized resource id,
    and for a template's resource its deployment. Baselines, suppressions, SARIF fingerprints,
    `mlwaf diff` and the history match on it."""
    head = "|".join((p or "").lower() for p in (assignment, definition_id, reference_id))
    base = f"{head}|{armid.normalize(resource_id)}"
    return base if deployment is None else f"{base}|{deployment}"


@dataclass(slots=True)
class Finding:
    """The verdict of one check on one resource, with what reporters need to show it."""

    check_id: str
    title: str
    pillar: Pillar
    severity: Severity
    status: Status
    resource: Resource
    message: str
    evidence: tuple[Evidence, ...] = ()
    location: Location = field(default_factory=lambda: Location(None))
    # Annotations of the passes after the engine, which return annotated copies
    # (dataclasses.replace) and never change a finding: the suppression covering it (mlwaf.suppressions),
    # whether the baseline knows it (mlwaf.baseline), its place in the history (mlwaf.history.recorded).
    suppression: SuppressionMark | None = None
    in_baseline: bool = False
    # With --history, a failing finding's place in the history (mlwaf.history.recorded).
    history: HistoryMark | None = None

    @property
    def suppressed(self) -> bool:
        """Covered by a suppression in force: accepted risk, out of the score and the gate."""
        return self.suppression is not None and self.suppression.active

    @property
    def resource_id(self) -> str:
        return self.resource.id

    @property
    def identity(self) -> str:
        return identity(self.check_id, self.resource.key, self.resource.deployment)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "check_id": self.check_id,
            "title": self.title,
            "pillar": self.pillar.value,
            "severity": self.severity.value,
            "status": self.status.value,
            "resource_id": self.resource.id,
            "resource_type": self.resource.type,
            "resource_name": self.resource.name,
        }
        deployment = self.resource.deployment
        if deployment is not None:  # a template's resource: the third part of the identity
            out["deployment"] = deployment
        out["message"] = self.message
        out["evidence"] = [e.to_dict() for e in self.evidence]
        out["location"] = self.location.to_dict()
        if self.suppression is not None:
            out.update(self.suppression.fields())
        if self.in_baseline:
            out["in_baseline"] = True
        if self.history is not None:
            out["history"] = self.history.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class InputError:
    """Something the scan could not read or assess, and why: never a silent gap."""

    path: str
    message: str
    scope: str | None = None  # live scans: subscription / resource the call was about
    call: str | None = None  # live scans: the request that failed
    status: int | None = None  # live scans: HTTP status
    pointer: str | None = None  # files: the JSON pointer of the element that could not be read

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        for k in ("pointer", "scope", "call", "status"):
            v = getattr(self, k)
            if v is not None:
                out[k] = v
        return out


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """An element of a read file that is deliberately not a resource (the result of a list
    action that an export keeps beside a resource's children), and why."""

    pointer: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ScannedInput:
    """One input file (or live subscription) and what became of it: its kind and resource count,
    or kind "skipped" with the reason in `note`; `skipped` lists its elements set aside."""

    path: str
    kind: str
    resources: int
    note: str | None = None
    skipped: tuple[SkippedItem, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "kind": self.kind, "resources": self.resources}
        if self.note:
            out["note"] = self.note
        if self.skipped:
            out["skipped"] = [s.to_dict() for s in self.skipped]
        return out


_SECRET_HINTS = (
    "password",
    "secret",
    "accountkey",
    "connectionstring",
    "sastoken",
    "sas_token",
    "token",
    "primarykey",
    "secondarykey",
    "credential",
    "privatekey",
    "apikey",
    "key1",
    "key2",
)
REDACTED = "***redacted***"


@functools.lru_cache(maxsize=8192)  # the same property names recur in every finding of a large scan
def is_secret_name(name: str) -> bool:
    lowered = name.lower().replace("-", "").replace("_", "")
    return any(h.replace("_", "") in lowered for h in _SECRET_HINTS)


def redact(path: str, value: Any) -> Any:
    """Secrets found in properties never reach a report: mask by key name, recursively."""
    last = path.rsplit(".", 1)[-1]
    if is_secret_name(last) and isinstance(value, str | int) and value not in ("", None):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(path, v) for v in value]
    if isinstance(value, Unresolved):
        return value.expression
    return value


def iter_paths(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON value with its dotted path (lists indexed as [n])."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from iter_paths(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from iter_paths(v, f"{prefix}[{i}]")
    else:
        yield prefix, value
