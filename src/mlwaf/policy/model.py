"""Azure Policy objects as Azure stores them: definitions, initiatives, assignments, exemptions.

Frozen: once read (from the built-ins, `az policy ... list`, a portal export, an EPAC folder or a
template) they never change, and one definition is shared by every assignment that uses it.
The rule itself stays the JSON Azure evaluates (`policyRule`), because the evaluator reads it
the way Azure does, condition by condition, rather than through a translation that could drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlwaf import armid


class _NoDefault:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_DEFAULT"


# A parameter without `defaultValue`: Azure requires a value at assignment.
NO_DEFAULT: Any = _NoDefault()

PARAMETER_TYPES = ("string", "array", "object", "boolean", "integer", "float", "datetime")

DEFINITION_TYPE = "Microsoft.Authorization/policyDefinitions"
SET_TYPE = "Microsoft.Authorization/policySetDefinitions"
ASSIGNMENT_TYPE = "Microsoft.Authorization/policyAssignments"
EXEMPTION_TYPE = "Microsoft.Authorization/policyExemptions"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: str  # one of PARAMETER_TYPES (Azure accepts any casing; kept lower-case here)
    default: Any = NO_DEFAULT
    allowed: tuple[Any, ...] | None = None
    display_name: str = ""
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if not self.required:
            out["default"] = self.default
        if self.allowed is not None:
            out["allowed_values"] = list(self.allowed)
        if self.display_name:
            out["display_name"] = self.display_name
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Authored:
    """What definitions and initiatives share: parameters, metadata, where they were read."""

    parameters: Mapping[str, Parameter] = field(default_factory=dict)  # lower-case name -> parameter
    description: str = ""
    category: str = ""
    version: str = ""
    preview: bool = False
    deprecated: bool = False
    policy_type: str = "Custom"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""  # where it was read: "builtin:<path>", a file path, "implicit"
    pointer: str = ""  # JSON pointer of the object in `source`

    @property
    def key(self) -> str:
        return armid.normalize(getattr(self, "id", ""))

    @property
    def builtin(self) -> bool:
        return self.policy_type.lower() in ("builtin", "static")

    def parameter(self, name: str) -> Parameter | None:
        return self.parameters.get(name.lower())


@dataclass(frozen=True, slots=True)
class Definition(Authored):
    """One policy definition. `rule` is `policyRule` (`if`, `then`) as written."""

    id: str
    name: str
    display_name: str
    mode: str | None
    rule: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Member:
    """A definition inside an initiative, with the values its parameters get there."""

    definition_id: str
    reference_id: str
    parameters: Mapping[str, Any] = field(default_factory=dict)  # name -> value (may be "[parameters('x')]")
    group_names: tuple[str, ...] = ()
    definition_version: str | None = None


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    display_name: str = ""
    category: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Initiative(Authored):
    """A policy set definition: members, each possibly the same definition again with other values."""

    id: str
    name: str
    display_name: str
    members: tuple[Member, ...]
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True, slots=True)
class Selector:
    """One selector of a resource selector or an override: `kind` with `in` or `notIn`."""

    kind: str  # resourceLocation | resourceType | resourceWithoutLocation | policyDefinitionReferenceId
    in_: tuple[str, ...] | None = None
    not_in: tuple[str, ...] | None = None

    def matches(self, value: str) -> bool:
        v = value.lower()
        if self.in_ is not None and v not in {x.lower() for x in self.in_}:
            return False
        return not (self.not_in is not None and v in {x.lower() for x in self.not_in})


@dataclass(frozen=True, slots=True)
class ResourceSelector:
    """A resource meets it when it meets every one of its selectors."""

    name: str
    selectors: tuple[Selector, ...]


@dataclass(frozen=True, slots=True)
class Override:
    kind: str  # policyEffect | policyVersion
    value: str
    selectors: tuple[Selector, ...] = ()


@dataclass(frozen=True, slots=True)
class NonComplianceMessage:
    message: str
    reference_id: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """A definition or initiative assigned at a scope, with its parameter values."""

    id: str
    name: str
    definition_id: str  # policyDefinitionId: a definition or an initiative
    scope: str = ""  # "" or "/" : everything scanned
    display_name: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)  # name -> value (already unwrapped from {"value": ...})
    not_scopes: tuple[str, ...] = ()
    enforcement_mode: str = "Default"  # Default | DoNotEnforce
    resource_selectors: tuple[ResourceSelector, ...] = ()
    overrides: tuple[Override, ...] = ()
    non_compliance_messages: tuple[NonComplianceMessage, ...] = ()
    definition_version: str | None = None
    source: str = ""  # "implicit", "builtin", a file path
    pointer: str = ""

    @property
    def enforced(self) -> bool:
        return self.enforcement_mode.lower() != "donotenforce"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "display_name": self.display_name or self.name,
            "scope": self.scope or "/",
            "definition_id": self.definition_id,
            "enforcement_mode": self.enforcement_mode,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Exemption:
    """Resources at or below `scope` are Exempt from an assignment (or some of its members)."""

    id: str
    name: str
    assignment_id: str
    scope: str
    reference_ids: tuple[str, ...] = ()  # empty: every member of the assignment
    category: str = "Waiver"  # Waiver | Mitigated
    expires_on: str | None = None  # ISO 8601; an expired exemption no longer applies
    display_name: str = ""
    description: str = ""
    resource_selectors: tuple[ResourceSelector, ...] = ()
    source: str = ""
    pointer: str = ""


def in_scope(resource_id: str, scope: str) -> bool:
    """Is a resource at or below an ARM scope? A management group or the tenant root contains
    every scanned subscription: offline there is no hierarchy to say otherwise."""
    s = armid.normalize(scope or "/")
    if s in ("", "/") or s.startswith("/providers/microsoft.management/managementgroups/"):
        return True
    r = armid.normalize(resource_id)
    return r == s or r.startswith(s + "/")
