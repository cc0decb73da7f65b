"""Estate-level checks over the whole inventory: regions, tags, environment separation, shared
clusters and accounts. Configuration (allowed regions, tag keys) comes from the config file; a
check whose configuration is not given is not applicable rather than failing."""

from __future__ import annotations

from mlwaf.armid import name_of, subscription_of
from mlwaf.check import (
    CheckContext,
    Param,
    References,
    Resource,
    Severity,
    Verdict,
    check,
    fail,
    not_applicable,
    passed,
    read,
    unknown,
    unresolved,
)
from mlwaf.checklib import (
    AKS,
    APP_INSIGHTS,
    BATCH_ENDPOINT,
    COGNITIVE,
    COMPUTE,
    CONNECTION,
    CONTAINER_REGISTRY,
    KEY_VAULT,
    ONLINE_ENDPOINT,
    REGISTRY,
    STORAGE,
    VM,
    VMSS,
    WORKSPACE,
    compute_type,
    is_production,
    is_project,
    str_list,
    subscription_key,
    tag,
    tag_key,
    workspace_names,
    workspace_of,
)

AI_TYPES = [WORKSPACE, COMPUTE, ONLINE_ENDPOINT, BATCH_ENDPOINT, REGISTRY, STORAGE, KEY_VAULT, CONTAINER_REGISTRY,
            APP_INSIGHTS, COGNITIVE, VM, VMSS, AKS]
PLATFORM = "https://learn.microsoft.com/azure/well-architected/ai/application-platform"
DSP = "https://learn.microsoft.com/azure/cloud-adoption-framework/ai/"
_ENV_PARAMS = {
    "environment_tag": Param("tag key holding the environment (default 'environment')"),
    "project_tag": Param("tag key naming the project a workspace serves (default 'project')"),
    "production_values": Param("tag values meaning production (default prod, production, prd, live)", "texts"),
}


@check(
    id="MLW-SEC-080",
    title="Resources are deployed only to allowed regions",
    severity=Severity.MEDIUM,
    resource_types=AI_TYPES,
    implements=["PLAT-01"],
    remediation="Redeploy the resource in an allowed region (location cannot be changed in place).",
    references=References(
        docs=[PLATFORM],
        azure_policy=["e56962a6-4747-49cd-b67b-bf8b01975c4c"],
        psrule=["Azure.Resource.AllowedRegions"],
    ),
    params={"allowed_regions": Param("regions data may live in (list, e.g. ['westeurope', 'northeurope'])", "texts")},
    rationale="Data residency: training data, models and prompts must stay in the regions regulation allows.",
    absent="Without allowed_regions configured the check is not applicable. Resources without a location "
    "(children of a workspace) and 'global' resources are not applicable.",
    reads=["location"],
)
def allowed_regions(resource: Resource, ctx: CheckContext) -> Verdict:
    allowed = {r.lower().replace(" ", "") for r in str_list(ctx.params.get("allowed_regions"))}
    if not allowed:
        return not_applicable("No allowed_regions configured (parameter allowed_regions)")
    loc = read(resource, "location")
    if v := unresolved(loc):
        return v
    if not loc.value or str(loc.value).lower() == "global":
        return not_applicable("No regional location", loc)
    if str(loc.value).lower().replace(" ", "") in allowed:
        return passed(f"{loc.value} is allowed", loc)
    return fail(f"{loc.value} is not an allowed region ({', '.join(sorted(allowed))})", loc)


@check(
    id="MLW-COST-020",
    title="Resources carry the chargeback tags",
    severity=Severity.LOW,
    resource_types=AI_TYPES,
    implements=["PLAT-09"],
    remediation="Add the required tags (e.g. costCenter, team, workload) to the resource.",
    references=References(docs=[PLATFORM], azure_policy=["871b6d14-10aa-478d-b590-94f262ecfa99"]),
    params={"required_tags": Param("tag keys every AI resource must carry (list)", "texts")},
    rationale="A shared AI platform needs usage attributed per team or workload to charge it back.",
    absent="Without required_tags configured the check is not applicable. Tag keys match case-insensitively.",
    reads=["tags.*"],
)
def chargeback_tags(resource: Resource, ctx: CheckContext) -> Verdict:
    required = str_list(ctx.params.get("required_tags"))
    if not required:
        return not_applicable("No required_tags configured (parameter required_tags)")
    seen = read(resource, "tags", default={})
    if v := unresolved(seen):
        return v
    missing = [k for k in required if not tag(resource, k)]
    if missing:
        return fail(f"Missing tag(s): {', '.join(missing)}", seen)
    return passed("All chargeback tags are present", seen)


@check(
    id="MLW-REL-030",
    title="Workspace dependencies and compute are in the workspace's region",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["PLAT-02"],
    remediation="Recreate the dependency or compute in the workspace's region.",
    references=References(docs=[PLATFORM]),
    rationale="Cross-region dependencies add latency, egress cost and a second region's failures to every job.",
    absent="Only linked resources and computes in the scan are compared; absent computeLocation means the "
    "workspace's region.",
    reads=["location", "properties.storageAccount", "properties.keyVault", "properties.containerRegistry",
           "properties.applicationInsights"],
    reads_related={COMPUTE: ["properties.computeLocation"]},
)
def same_region(resource: Resource, ctx: CheckContext) -> Verdict:
    loc = read(resource, "location")
    if v := unresolved(loc):
        return v
    if not loc.value:
        return not_applicable("The workspace has no location in the input", loc)
    home = str(loc.value).lower().replace(" ", "")
    away = []
    for prop in ("storageAccount", "keyVault", "containerRegistry", "applicationInsights"):
        dep = ctx.inventory.linked(resource, f"properties.{prop}")
        if dep is not None and dep.location and dep.location.lower().replace(" ", "") != home:
            away.append(f"{dep.name} ({dep.location})")
    for comp in ctx.inventory.children(resource, COMPUTE):
        where = read(comp, "properties.computeLocation").value or comp.location
        if isinstance(where, str) and where and where.lower().replace(" ", "") != home:
            away.append(f"{comp.name} ({where})")
    if away:
        return fail(f"Outside {loc.value}: {', '.join(away)}", loc)
    return passed(f"Dependencies and compute in the scan are in {loc.value}", loc)


@check(
    id="MLW-OPS-030",
    title="Each project has separate development and production workspaces",
    severity=Severity.MEDIUM,
    resource_types=[WORKSPACE],
    implements=["DSP-02", "AML-REL-03", "AML-SEC-15"],
    remediation="Give every project a development and a production workspace, tagged with the project and "
    "environment tags.",
    references=References(docs=[DSP]),
    params=_ENV_PARAMS,
    rationale="Experiments must not touch production assets, and production must not depend on a sandbox.",
    absent="Workspaces without the project tag are not applicable; the workspaces of a project must all be in "
    "the scan.",
    reads=["tags.*"],
    reads_related={WORKSPACE: ["tags.*"]},
)
def dev_prod_separation(resource: Resource, ctx: CheckContext) -> Verdict:
    pkey = str(ctx.params.get("project_tag") or "project")
    ekey = str(ctx.params.get("environment_tag") or "environment")
    project = tag(resource, pkey)
    if not project:
        return not_applicable(f"No {pkey!r} tag (parameter project_tag)")
    peers = ctx.inventory.grouped(WORKSPACE, tag_key(pkey)).get(project.lower(), [])
    envs = {(tag(w, ekey) or "").lower() for w in peers}
    prod = {e for e in envs if is_production(e, ctx)}
    nonprod = {e for e in envs if e and not is_production(e, ctx)}
    if prod and nonprod:
        return passed(f"Project {project!r} has {', '.join(sorted(envs))} workspaces", read(resource, "tags"))
    return fail(f"Project {project!r} has only {', '.join(sorted(e or 'untagged' for e in envs))} workspace(s)",
                read(resource, "tags"))


def _cluster_named_by(compute: Resource) -> str | None:
    """Grouping key: the cluster id an attached AKS compute names (as written, normalized); the
    cluster itself need not be in the scan."""
    rid = read(compute, "properties.resourceId").value
    return rid.lower().rstrip("/") if isinstance(rid, str) and rid and compute_type(compute) == "aks" else None


@check(
    id="MLW-REL-031",
    title="An AKS cluster is attached to only one workspace",
    severity=Severity.HIGH,
    resource_types=[COMPUTE],
    implements=["DSP-06"],
    remediation="Attach each AKS cluster to one workspace; give other workspaces their own cluster (or use "
    "Kubernetes compute with separate namespaces).",
    references=References(docs=[
        "https://learn.microsoft.com/azure/machine-learning/how-to-attach-kubernetes-anywhere",
        "https://learn.microsoft.com/azure/machine-learning/how-to-attach-kubernetes-to-workspace",
    ]),
    rationale="Attaching an AKS cluster to a second workspace breaks the first workspace's connection.",
    absent="Judges AKS inference computes (computeType AKS) and compares the AKS computes in the scan. Kubernetes "
    "computes (computeType Kubernetes, the Azure Machine Learning extension) are not applicable: Microsoft documents "
    "attaching one cluster to several workspaces, isolated by namespace.",
    reads=["properties.computeType", "properties.resourceId"],
    reads_related={COMPUTE: ["properties.computeType", "properties.resourceId"]},  # the other computes attaching it
)
def aks_single_workspace(resource: Resource, ctx: CheckContext) -> Verdict:
    ctype = read(resource, "properties.computeType")
    if v := unresolved(ctype):
        return v
    if compute_type(resource) == "kubernetes":
        return not_applicable("A Kubernetes compute: one cluster may be attached to several workspaces, isolated by "
                              "namespace", ctype)
    if compute_type(resource) != "aks":
        return not_applicable("Not an attached AKS compute", ctype)
    target = read(resource, "properties.resourceId")
    if v := unresolved(target):
        return v
    if not target.value:
        return not_applicable("No cluster resource id", target)
    key = str(target.value).lower().rstrip("/")
    # The workspace of each compute attaching the cluster, from the compute's own id (a string
    # operation: a cluster attached to a thousand workspaces is compared a million times).
    owners = {c.key.rsplit("/computes/", 1)[0] for c in ctx.inventory.grouped(COMPUTE, _cluster_named_by).get(key, ())}
    if len(owners) > 1:
        named = sorted(name_of(o) for o in owners)
        more = f" and {len(named) - 10} more" if len(named) > 10 else ""
        return fail(f"The cluster is attached to {len(owners)} workspaces: {', '.join(named[:10])}{more}", target)
    return passed("The cluster is attached to this workspace only", target)


@check(
    id="MLW-REL-032",
    title="Production workspaces host no compute instances",
    severity=Severity.LOW,
    resource_types=[WORKSPACE],
    implements=["AML-REL-03", "AML-REL-05"],
    remediation="Move interactive development to a development workspace; production runs pipelines on "
    "clusters and serves from endpoints.",
    references=References(docs=["https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"]),
    params=_ENV_PARAMS,
    rationale="Compute instances in a production workspace mean exploration happens next to production assets.",
    absent="Workspaces not tagged production are not applicable; only computes in the scan are seen.",
    reads=["tags.*"],
    reads_related={COMPUTE: ["properties.computeType"]},
)
def prod_without_instances(resource: Resource, ctx: CheckContext) -> Verdict:
    ekey = str(ctx.params.get("environment_tag") or "environment")
    env = tag(resource, ekey)
    if not is_production(env, ctx):
        return not_applicable(f"Not tagged as production ({ekey}={env})")
    instances = [c.name for c in ctx.inventory.children(resource, COMPUTE) if compute_type(c) == "computeinstance"]
    if instances:
        return fail(f"Compute instance(s) in a production workspace: {', '.join(sorted(instances))}",
                    read(resource, "tags"))
    return passed("No compute instances in the production workspace", read(resource, "tags"))


def _connection_resource_id(conn: Resource) -> str | None:
    """Grouping key: the AI services account a connection names in metadata.ResourceId."""
    rid = read(conn, "properties.metadata.ResourceId").value
    return str(rid).strip().rstrip("/").lower() if rid else None


def _connection_host(conn: Resource) -> str | None:
    """Grouping key: the account name in a connection's endpoint (https://NAME.openai.azure.com/)."""
    target = read(conn, "properties.target").value
    if not isinstance(target, str) or "//" not in target:
        return None
    return target.split("//", 1)[1].split(".", 1)[0].lower() or None


@check(
    id="MLW-SEC-081",
    title="An AI services account serves one project",
    severity=Severity.LOW,
    resource_types=[COGNITIVE],
    implements=["DSP-04"],
    remediation="Give each project its own AI services / Azure OpenAI account in the project's resource group.",
    references=References(docs=[DSP]),
    params={"project_tag": Param("tag key naming the project a workspace serves (default 'project')")},
    rationale="Separate accounts per project keep data access, quota and keys apart.",
    absent="Connections are read from workspaces/connections in the scan (metadata.ResourceId or target); "
    "accounts no connection names are not applicable.",
    reads_related={CONNECTION: ["properties.metadata.ResourceId", "properties.target"], WORKSPACE: ["tags.*"]},
)
def ai_account_per_project(resource: Resource, ctx: CheckContext) -> Verdict:
    pkey = str(ctx.params.get("project_tag") or "project")
    name = resource.name.lower()
    projects: set[str] = set()
    users = []
    by_id = ctx.inventory.grouped(CONNECTION, _connection_resource_id).get(resource.key, [])
    by_host = ctx.inventory.grouped(CONNECTION, _connection_host).get(name, [])
    for conn in {c.key: c for c in [*by_id, *by_host]}.values():
        ws = workspace_of(conn, ctx)
        if ws is None:
            continue
        users.append(ws.name)
        projects.add((tag(ws, pkey) or ws.name).lower())
    if not users:
        return not_applicable("No workspace connection in the scan uses this account")
    if len(projects) > 1:
        return fail(f"Shared by projects {', '.join(sorted(projects))}", )
    return passed(f"Used by project {next(iter(projects))!r} only")


@check(
    id="MLW-OPS-031",
    title="The number of workspaces stays within the configured limit",
    severity=Severity.LOW,
    resource_types=[WORKSPACE],
    implements=["AML-OPS-01"],
    remediation="Consolidate workspaces: share a workspace per team and environment, use hub projects for separate "
    "AI projects, and delete abandoned workspaces.",
    references=References(docs=["https://learn.microsoft.com/azure/well-architected/service-guides/azure-machine-learning"]),
    params={
        "max_workspaces": Param("most workspaces (default workspaces, hubs, feature stores; hub projects not counted) "
        "allowed in one scope", "integer", minimum=1),
        "workspace_count_scope": Param("'subscription' (default) or 'project': count per subscription, or per value of "
        "the project tag", choices=("subscription", "project")),
        "project_tag": Param("tag key naming the project a workspace serves (default 'project')"),
    },
    rationale="Each workspace brings its own storage, key vault, registry, monitoring and access control to "
    "operate; many small workspaces multiply that overhead and scatter models and data.",
    absent="The guidance sets no number, so without max_workspaces the check is not applicable. Hub projects "
    "share their hub's resources and are neither judged nor counted. Only workspaces in the scan are counted; "
    "template resources count in the subscription the templates are evaluated in.",
    reads=["kind", "tags.*"],
    reads_related={WORKSPACE: ["kind", "tags.*"]},
)
def workspace_count(resource: Resource, ctx: CheckContext) -> Verdict:
    raw_limit = ctx.params.get("max_workspaces")
    if raw_limit in (None, ""):
        return not_applicable("No max_workspaces configured (parameter max_workspaces)")
    try:
        limit = int(raw_limit)
    except (TypeError, ValueError):
        return unknown(f"max_workspaces {raw_limit!r} is not a number")
    kind = read(resource, "kind")
    if v := unresolved(kind):
        return v
    if is_project(resource):
        return not_applicable("A hub project shares its hub's resources and is not counted", kind)
    scope = str(ctx.params.get("workspace_count_scope") or "subscription").lower()
    if scope == "project":
        pkey = str(ctx.params.get("project_tag") or "project")
        project = tag(resource, pkey)
        if not project:
            return not_applicable(f"No {pkey!r} tag to count by project (parameter project_tag)", kind)
        where = f"project {project!r}"
        group = ctx.inventory.grouped(WORKSPACE, tag_key(pkey)).get(project.lower(), [])
        peers = [w for w in group if not is_project(w)]
        evidence = read(resource, "tags")
    elif scope == "subscription":
        sub = (subscription_of(resource.id) or "").lower()
        where = f"subscription {sub or '?'}"
        group = ctx.inventory.grouped(WORKSPACE, subscription_key).get(sub, [])
        peers = [w for w in group if not is_project(w)]
        evidence = kind
    else:
        return unknown(f"workspace_count_scope {scope!r} is neither 'subscription' nor 'project'")
    names = workspace_names(peers)
    if len(peers) > limit:
        return fail(f"{len(peers)} workspaces in {where}, more than {limit}: {names}", evidence)
    return passed(f"{len(peers)} workspace(s) in {where} (limit {limit}): {names}", evidence)
