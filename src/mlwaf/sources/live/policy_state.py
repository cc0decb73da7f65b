"""Azure Policy as Azure holds it, from Resource Graph (`policyresources`): assignments,
exemptions, custom definitions and initiatives at the scanned subscriptions and at their
management groups, and Azure's own compliance state of the estate's resources
(`microsoft.policyinsights/policystates`).

Subscriptions first (one query per batch); their management groups come from each subscription's
`managementGroupAncestorsChain` (`resourcecontainers`), then one query at those groups for the
policy objects declared there (states are per resource and come with the subscriptions). mlwaf's
evaluator runs the assigned policies on the live resources; the states are shown beside its
results, and a disagreement is reported as one.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlwaf.model import InputError
from mlwaf.sources.live.collectors import GRAPH_FILE_PATH, Collected, GraphTable, Session, read_table
from mlwaf.sources.live.http import CallFailed
from mlwaf.sources.live.options import API_RESOURCE_GRAPH

STATES = "microsoft.policyinsights/policystates"
ASSIGNMENTS = "microsoft.authorization/policyassignments"
EXEMPTIONS = "microsoft.authorization/policyexemptions"
DEFINITIONS = "microsoft.authorization/policydefinitions"
SET_DEFINITIONS = "microsoft.authorization/policysetdefinitions"
OBJECTS = (ASSIGNMENTS, EXEMPTIONS, DEFINITIONS, SET_DEFINITIONS)
READS = (STATES, *OBJECTS)  # and the subscriptions' management-group chains (SUBSCRIPTIONS)
MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def subscription_table(types: Sequence[str]) -> GraphTable:
    kinds = ", ".join(f"'{t.lower()}'" for t in types)
    # States only of the types the scan collects; custom definitions only (built-ins ship with mlwaf).
    kinds_of_definitions = f"'{DEFINITIONS}', '{SET_DEFINITIONS}'"
    return GraphTable("Azure Policy", "policyresources", READS,
                      f"(type != '{STATES}' or tolower(tostring(properties.resourceType)) in ({kinds})) "
                      f"and not(type in ({kinds_of_definitions}) and tostring(properties.policyType) =~ 'BuiltIn')")


MG_TABLE = GraphTable("Azure Policy (management groups)", "policyresources", OBJECTS,
                      f"tolower(id) startswith '{MG_PREFIX}'")


SUBSCRIPTIONS = "microsoft.resources/subscriptions"


def management_groups(session: Session, subscriptions: Sequence[str]) -> tuple[list[str], Collected]:
    """The management groups above the subscriptions (nearest first, the root last), and the
    subscriptions as resources (`properties.managementGroupAncestorsChain`): an assignment at a
    management group applies only to the subscriptions below it (mlwaf.azure_policy), live and on
    replay."""
    groups: dict[str, None] = {}
    out = Collected(collected={SUBSCRIPTIONS})
    query = ("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
             "| project id, name, type, subscriptionId, properties | order by subscriptionId asc")
    url = session.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)
    for number, subs in enumerate(session.batches(subscriptions), start=1):
        page = 0
        try:
            for reply in session.graph_pages({"subscriptions": subs, "query": query}):
                page += 1
                rows = reply.data.get("data") if isinstance(reply.data, dict) else None
                if not isinstance(rows, list):
                    raise CallFailed("the answer held no row list ('data'); was resultFormat ignored?")
                path = session.record(f"{GRAPH_FILE_PATH}/resourcecontainers-batch-{number}", page, reply, len(rows))
                for i, row in enumerate(rows):
                    if not isinstance(row, dict):
                        continue
                    if isinstance(row.get("id"), str) and isinstance(row.get("type"), str):
                        out.resources.append(session.resource(row, path, f"/data/{i}", "resource-graph",
                                                              API_RESOURCE_GRAPH, reply.request))
                    props = row.get("properties")
                    chain = props.get("managementGroupAncestorsChain") if isinstance(props, dict) else None
                    for mg in chain if isinstance(chain, list) else []:
                        if isinstance(mg, dict) and isinstance(mg.get("name"), str):
                            groups[mg["name"]] = None
        except CallFailed as err:
            for sid in subs:
                scope = f"/subscriptions/{sid}"
                out.errors.append(InputError(
                    scope, f"management groups of the subscription not read (policy assignments there not "
                    f"assessed): {err.message}", scope=scope, call=f"POST {url}", status=err.status))
    return list(groups), out


def collect(session: Session, subscriptions: Sequence[str]) -> Collected:
    out = read_table(session, subscription_table(session.options.graph_types), subscriptions)
    groups, chains = management_groups(session, subscriptions)
    out.add(chains)
    if groups:
        out.add(read_table(session, MG_TABLE, (), groups))
    return out
