"""Who can do what on a resource: role assignments, the roles they name, and what those roles allow.

Role assignments come from a live scan (Resource Graph `authorizationresources`), its recording, or
`az role assignment list` output; role definitions from the same table (custom and built-in) and,
for the built-in roles checks reason about, from the table below (Microsoft Learn, "Azure built-in
roles": https://learn.microsoft.com/azure/role-based-access-control/built-in-roles, each role's
GUID, Actions and NotActions as published). An assignment applies to its scope and everything
below it, so a workspace is reached by assignments at the workspace, its resource group and its
subscription. Management-group assignments are not read (Resource Graph's subscription query does
not return them); the checks' pages say so.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwaf import armid, armjson
from mlwaf.model import Resource

if TYPE_CHECKING:
    from mlwaf.inventory import Inventory

ROLE_ASSIGNMENTS = "microsoft.authorization/roleassignments"
ROLE_DEFINITIONS = "microsoft.authorization/roledefinitions"
BUILT_IN_ROLES_PAGE = "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles"


@dataclass(frozen=True)
class Role:
    """A role definition: its name and permissions (control plane)."""

    id: str  # the GUID, lower case
    name: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    built_in: bool = True

    def allows(self, operation: str) -> bool:
        """True when the role grants `operation` (wildcards as Azure matches them, case-insensitive)."""
        op = operation.lower()
        granted = any(fnmatch.fnmatchcase(op, a.lower()) for a in self.actions)
        return granted and not any(fnmatch.fnmatchcase(op, n.lower()) for n in self.not_actions)

    @property
    def writes(self) -> bool:
        """Control-plane write on Azure ML workspaces or their children (what a deployment pipeline
        needs and a person on a production workspace should not have)."""
        return any(self.allows(op) for op in (
            "Microsoft.MachineLearningServices/workspaces/write",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
            "Microsoft.MachineLearningServices/workspaces/computes/write",
        ))

    @property
    def manages_access(self) -> bool:
        return self.allows("Microsoft.Authorization/roleAssignments/write")


OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
# The roles of AML-SEC-10's "privileged" question: they control the resource or who may.
PRIVILEGED = (OWNER, CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR)
_ML = "Microsoft.MachineLearningServices/workspaces"
_AUTH_WRITES = ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/elevateAccess/Action")
BUILT_IN: dict[str, Role] = {r.id: r for r in (
    Role(OWNER, "Owner", ("*",)),
    Role(CONTRIBUTOR, "Contributor", ("*",), _AUTH_WRITES),
    Role(USER_ACCESS_ADMINISTRATOR, "User Access Administrator",
         ("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*")),
    Role(RBAC_ADMINISTRATOR, "Role Based Access Control Administrator",
         ("Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete",
          "*/read", "Microsoft.Support/*")),
    Role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", ("*/read",)),
    Role("f6c7c914-8db3-469d-8ca1-694a8f32e121", "AzureML Data Scientist",
         tuple(f"{_ML}/*/{op}" for op in ("read", "action", "delete", "write")),
         (f"{_ML}/delete", f"{_ML}/write", f"{_ML}/computes/*/write", f"{_ML}/computes/*/delete",
          "Microsoft.Authorization/*/write", f"{_ML}/listKeys/action", f"{_ML}/hubs/write", f"{_ML}/hubs/delete",
          f"{_ML}/featurestores/write", f"{_ML}/featurestores/delete")),
    Role("e503ece1-11d0-4e8e-8e2c-7a6c3bf38815", "AzureML Compute Operator",
         ("Microsoft.MachineLearningServices/workspaces/computes/*",
          "Microsoft.MachineLearningServices/workspaces/notebooks/vm/*")),
    Role("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor",
         ("Microsoft.Storage/storageAccounts/blobServices/containers/delete",
          "Microsoft.Storage/storageAccounts/blobServices/containers/read",
          "Microsoft.Storage/storageAccounts/blobServices/containers/write",
          "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action")),
    Role("7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull", ("Microsoft.ContainerRegistry/registries/pull/read",)),
    Role("8311e382-0749-4cb8-b61a-304f252e45ec", "AcrPush",
         ("Microsoft.ContainerRegistry/registries/pull/read", "Microsoft.ContainerRegistry/registries/push/write")),
    Role("00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator",
         ("Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
          "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
          "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
          "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read",
          "Microsoft.KeyVault/operations/read")),
)}


@dataclass(frozen=True)
class Grant:
    """One role assignment as a check sees it."""

    assignment: Resource
    principal: str  # object id, lower case
    principal_type: str  # User, Group, ServicePrincipal, ForeignGroup, Device, "" when not said
    principal_name: str | None  # only `az role assignment list` says it
    scope: str
    role_id: str  # GUID, lower case
    role: Role | None  # None: the definition is in neither the input nor the built-in table

    @property
    def role_name(self) -> str:
        return self.role.name if self.role is not None else f"role {self.role_id}"

    @property
    def guest(self) -> bool | None:
        """True for an Entra guest (B2B: `#EXT#` in the user principal name), None when no name."""
        if self.principal_name is None:
            return None
        return "#ext#" in self.principal_name.lower()

    @property
    def scope_level(self) -> str:
        """subscription, resource group, resource (or root / management group)."""
        parts = [p for p in self.scope.lower().split("/") if p]
        if not parts:
            return "root"
        if parts[0] == "providers":
            return "management group"
        if len(parts) == 2:
            return "subscription"
        if len(parts) == 4 and parts[2] == "resourcegroups":
            return "resource group"
        return "resource"

    def describe(self) -> str:
        who = self.principal_name or self.principal
        kind = f" ({self.principal_type})" if self.principal_type else ""
        return f"{who}{kind}: {self.role_name} at {self.scope_level} {self.scope}"

    def evidence(self) -> dict[str, Any]:
        return {"principalId": self.principal, "principalType": self.principal_type or None,
                "principalName": self.principal_name, "role": self.role_name, "scope": self.scope}


def _get(obj: Any, name: str) -> Any:
    """A key as ARM matches names (case-insensitively: PowerShell exports write PascalCase)."""
    return armjson.key(obj, name, None) if isinstance(obj, dict) else None


def _properties(assignment: Resource) -> Mapping[str, Any]:
    """az output is flat (principalId beside id); REST and Resource Graph nest it in properties."""
    props = assignment.properties
    return props if props else assignment.raw


def scope_of(assignment: Resource) -> str:
    scope = _get(_properties(assignment), "scope")
    if isinstance(scope, str) and scope:
        return scope
    return armid.scope_of_extension(assignment.id) or "/"


def _scope_key(assignment: Resource) -> Hashable | None:
    return armid.normalize(scope_of(assignment))


def _principal_key(assignment: Resource) -> Hashable | None:
    principal = _get(_properties(assignment), "principalId")
    return principal.lower() if isinstance(principal, str) and principal else None


def _definition_key(definition: Resource) -> Hashable | None:
    return definition.name.lower() if definition.name else None


def role(role_definition_id: str, inventory: Inventory) -> Role | None:
    """The role a roleDefinitionId names: its definition in the input, else the built-in table."""
    guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    for definition in inventory.grouped(ROLE_DEFINITIONS, _definition_key).get(guid, ()):
        props = definition.properties
        found = _get(props, "permissions")
        perms: list[Any] = found if isinstance(found, list) else []
        actions = tuple(a for p in perms if isinstance(p, dict) for a in _get(p, "actions") or [] if isinstance(a, str))
        not_actions = tuple(a for p in perms if isinstance(p, dict) for a in _get(p, "notActions") or []
                            if isinstance(a, str))
        name = _get(props, "roleName")
        return Role(guid, str(name) if name else guid, actions, not_actions,
                    built_in=str(_get(props, "type") or "").lower() == "builtinrole")
    return BUILT_IN.get(guid)


def grant(assignment: Resource, inventory: Inventory) -> Grant:
    props = _properties(assignment)
    rdid = str(_get(props, "roleDefinitionId") or "")
    name = _get(props, "principalName")
    return Grant(
        assignment=assignment, principal=str(_get(props, "principalId") or "").lower(),
        principal_type=str(_get(props, "principalType") or ""), principal_name=name if isinstance(name, str) else None,
        scope=scope_of(assignment), role_id=rdid.rstrip("/").rsplit("/", 1)[-1].lower(),
        role=role(rdid, inventory) if rdid else None,
    )


def ancestors(resource_id: str) -> list[str]:
    """The scopes an assignment may sit at to reach a resource: itself, its parents, its resource
    group, its subscription, the root (normalized)."""
    out = []
    current: str | None = resource_id
    while current:
        out.append(current)
        current = armid.parent_id(current)
    sub = armid.subscription_of(resource_id)
    group = armid.resource_group_of(resource_id)
    if sub and group:
        out.append(f"/subscriptions/{sub}/resourceGroups/{group}")
    if sub:
        out.append(f"/subscriptions/{sub}")
    out.append("/")
    return list(dict.fromkeys(armid.normalize(s) for s in out))


def grants_over(resource: Resource, inventory: Inventory) -> list[Grant]:
    """Every role assignment in the input that applies to the resource (its scope or above)."""
    by_scope = inventory.grouped(ROLE_ASSIGNMENTS, _scope_key)
    out: list[Grant] = []
    for scope in ancestors(resource.id):
        out.extend(grant(a, inventory) for a in by_scope.get(scope, ()))
    return out


def grants_to(principals: Iterable[str], inventory: Inventory) -> list[Grant]:
    """Every role assignment in the input held by one of these principals (object ids)."""
    by_principal = inventory.grouped(ROLE_ASSIGNMENTS, _principal_key)
    out: list[Grant] = []
    for p in dict.fromkeys(p.lower() for p in principals if p):
        out.extend(grant(a, inventory) for a in by_principal.get(p, ()))
    return out


def listed(resource: Resource, inventory: Inventory) -> bool:
    """True when every role assignment of the resource's subscription was read (a live scan or
    its recording read the table to its last page)."""
    return inventory.type_listed(ROLE_ASSIGNMENTS, resource)
