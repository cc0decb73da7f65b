"""Who holds which role on the estate: role assignments (a live scan reads them from Resource Graph;
offline, `az role assignment list` output), their roles resolved by mlwaf.access.

A verdict needs the assignments that reach a resource: an assignment seen is evidence (a FAIL on it
stands), but "none" is a PASS only where every assignment of the subscription was read (a live scan
or its recording); anywhere else it is UNKNOWN. Management-group assignments are not read."""

from __future__ import annotations

from mlwaf import access
from mlwaf.access import ROLE_ASSIGNMENTS, ROLE_DEFINITIONS, Grant
from mlwaf.check import (
    CheckContext,
    Evidence,
    Param,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    not_applicable,
    passed,
    unknown,
    value_at,
)
from mlwaf.checklib import COMPUTE, WORKSPACE, environment, is_production, tag

RBAC_DOCS = "https://learn.microsoft.com/azure/machine-learning/how-to-assign-roles"
WAF = "https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"
ASSIGNMENT_READS = {
    ROLE_ASSIGNMENTS: ["properties.principalId", "properties.principalType", "properties.roleDefinitionId",
                       "properties.scope"],
    ROLE_DEFINITIONS: ["properties.roleName", "properties.permissions[*].actions[*]",
                       "properties.permissions[*].notActions[*]"],
}
EXTENSION = "providers/Microsoft.Authorization/roleAssignments"


def _evidence(grants: list[Grant], note: str | None = None) -> Evidence:
    return Evidence(EXTENSION, [g.evidence() for g in grants], note=note)


def _unlisted(resource: Resource, ctx: CheckContext) -> bool:
    return not access.listed(resource, ctx.inventory)


@check(
    id="MLW-SEC-082",
    title="Privileged roles on a workspace are held by few principals, through groups, and by no guest",
    severity=Severity.HIGH,
    resource_types=[WORKSPACE],
    implements=["AML-SEC-10"],
    remediation="Grant Owner, Contributor, User Access Administrator and Role Based Access Control Administrator "
    "on the workspace (or its resource group or subscription) to Entra ID groups, keep them few, remove guests; "
    "give people AzureML Data Scientist or narrower custom roles.",
    references=References(docs=[RBAC_DOCS, WAF]),
    params={"max_privileged_principals": Param(
        "most principals that may hold a privileged role over one workspace (not set: only users and guests are "
        "judged)", "integer", minimum=1)},
    rationale="Owner, Contributor and the access administrators can change the workspace or who may use it; "
    "held by individual users or guests they escape group reviews and least privilege.",
    absent="Needs the role assignments that reach the workspace: a live scan reads them; offline, "
    "`az role assignment list --all` output. Without a complete list a finding stands but no PASS is given "
    "(UNKNOWN). Guests are known only from `az role assignment list` (principalName with #EXT#): Resource "
    "Graph gives no principal names. Management-group assignments are not read.",
    reads=["id"],
    reads_related=ASSIGNMENT_READS,
)
def privileged_workspace_access(resource: Resource, ctx: CheckContext) -> Verdict:
    grants = [g for g in access.grants_over(resource, ctx.inventory) if g.role_id in access.PRIVILEGED]
    unknown_roles = [g for g in access.grants_over(resource, ctx.inventory) if g.role is None]
    users = [g for g in grants if g.principal_type.lower() == "user"]
    guests = [g for g in grants if g.guest]
    principals = sorted({g.principal for g in grants})
    limit = ctx.params.get("max_privileged_principals")
    problems = []
    if guests:
        problems.append(f"guest(s) {', '.join(g.describe() for g in guests)}")
    if users:
        problems.append(f"user(s) directly, not through a group: {'; '.join(g.describe() for g in users)}")
    if limit not in (None, "") and len(principals) > int(limit):
        problems.append(f"{len(principals)} principals, more than {int(limit)}")
    if problems:
        return fail("Privileged roles over the workspace: " + "; ".join(problems), _evidence(grants))
    if _unlisted(resource, ctx):
        return unknown("The role assignments of the workspace's subscription were not read in full (a live scan "
                       "reads them; offline only what the input holds)", _evidence(grants))
    if unknown_roles:
        return unknown("Role assignments name roles whose definitions were not read: "
                       + ", ".join(sorted({g.role_id for g in unknown_roles})), _evidence(unknown_roles))
    names = "no principal" if not principals else f"{len(principals)} principal(s), through groups or services"
    return passed(f"Privileged roles over the workspace: {names}", _evidence(grants))


@check(
    id="MLW-SEC-083",
    title="Nobody holds control-plane write on a production workspace as a user",
    severity=Severity.HIGH,
    resource_types=[WORKSPACE],
    implements=["DSP-03", "AML-SEC-10"],
    remediation="Deploy to production workspaces through CI/CD with a service principal or managed identity; give "
    "people read access (Reader, or AzureML Data Scientist on non-production workspaces) only.",
    references=References(docs=[RBAC_DOCS, WAF]),
    params={
        "environment_tag": Param("tag key holding the environment (default 'environment'), read on the workspace"),
        "production_values": Param("environment tag values that mean production (default prod, production, prd, "
                                   "live)", "texts"),
    },
    rationale="A person with write on a production workspace can change endpoints, deployments and compute outside "
    "the release process.",
    absent="Production is the workspace's environment tag (environment_tag, production_values); without it the "
    "check is not applicable. Write means a role that allows workspaces/write or write on online endpoints, "
    "deployments or computes (Actions minus NotActions of the role definition). Needs the role assignments "
    "(see MLW-SEC-082).",
    reads=["id", "tags.*"],
    reads_related=ASSIGNMENT_READS,
)
def no_user_write_on_production(resource: Resource, ctx: CheckContext) -> Verdict:
    key = str(ctx.params.get("environment_tag") or "environment")
    env, _ = environment(resource, ctx, key)
    if env is None:
        return not_applicable(f"No {key!r} tag on the workspace (parameter environment_tag)")
    seen = Evidence(f"tags.{key}", tag(resource, key))
    if not is_production(env, ctx):
        return not_applicable(f"Not a production workspace ({key}={env!r})", seen)
    grants = [g for g in access.grants_over(resource, ctx.inventory) if g.principal_type.lower() == "user"]
    writers = [g for g in grants if g.role is not None and g.role.writes]
    if writers:
        return fail("Users with control-plane write on a production workspace: "
                    + "; ".join(g.describe() for g in writers), seen, _evidence(writers))
    undecided = [g for g in grants if g.role is None]
    if undecided:
        return unknown("Users hold roles whose definitions were not read: "
                       + "; ".join(g.describe() for g in undecided), seen, _evidence(undecided))
    if _unlisted(resource, ctx):
        return unknown("The role assignments of the workspace's subscription were not read in full", seen,
                       _evidence(grants))
    return passed(f"No user holds write on this production workspace ({len(grants)} user assignment(s), "
                  "read-only)", seen, _evidence(grants))


def _principals(resource: Resource) -> list[str]:
    identity = value_at(resource.raw, "identity")
    if not isinstance(identity, dict):
        return []
    out = [value_at(identity, "principalId")]
    assigned = value_at(identity, "userAssignedIdentities")
    for ua in assigned.values() if isinstance(assigned, dict) else ():
        out.append(value_at(ua, "principalId"))
    return [p for p in out if isinstance(p, str) and p]


@check(
    id="MLW-SEC-084",
    title="Workspace and compute identities hold no role broader than their dependencies need",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE, COMPUTE],
    implements=["AML-SEC-10", "AML-SEC-05"],
    remediation="Scope the identity's roles to its dependencies (Storage Blob Data Contributor on its storage "
    "account, AcrPull/AcrPush on its registry, Key Vault roles on its vault); remove Owner, User Access "
    "Administrator and Role Based Access Control Administrator, and Contributor on resource groups or subscriptions.",
    references=References(docs=["https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication",
                                WAF]),
    rationale="A workspace's or cluster's identity runs whatever code the workspace runs: a broad role turns any "
    "job into control of the subscription.",
    absent="Broader than needed: Owner, User Access Administrator or Role Based Access Control Administrator at any "
    "scope, or Contributor on a resource group, subscription or the root (its dependencies are resources). An "
    "identity-less resource is not applicable. Needs the role assignments (see MLW-SEC-082).",
    reads=["identity.principalId", "identity.userAssignedIdentities.*.principalId"],
    reads_related=ASSIGNMENT_READS,
)
def identity_roles_are_narrow(resource: Resource, ctx: CheckContext) -> Verdict:
    principals = _principals(resource)
    seen = Evidence("identity.principalId", principals[0] if principals else None)
    if not principals:
        return not_applicable("No managed identity with a principal id", seen)
    grants = access.grants_to(principals, ctx.inventory)
    broad = [g for g in grants if g.role_id in (access.OWNER, access.USER_ACCESS_ADMINISTRATOR,
                                                access.RBAC_ADMINISTRATOR)
             or (g.role_id == access.CONTRIBUTOR and g.scope_level != "resource")
             or (g.role is not None and not g.role.built_in and g.role.manages_access)]
    if broad:
        return fail("The identity holds roles broader than its dependencies need: "
                    + "; ".join(g.describe() for g in broad), seen, _evidence(broad))
    undecided = [g for g in grants if g.role is None]
    if undecided:
        return unknown("The identity holds roles whose definitions were not read: "
                       + "; ".join(g.describe() for g in undecided), seen, _evidence(undecided))
    if _unlisted(resource, ctx):
        return unknown("The role assignments of the subscription were not read in full", seen, _evidence(grants))
    return passed(f"The identity's {len(grants)} role assignment(s) are scoped to resources", seen, _evidence(grants))
