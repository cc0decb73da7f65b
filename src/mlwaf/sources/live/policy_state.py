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
READS = (STATES, *OBJECTS)
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


def management_groups(session: Session, subscriptions: Sequence[str]) -> tuple[list[str], list[InputError]]:
    """The management groups above the subscriptions (nearest first, the root last)."""
    groups: dict[str, None] = {}
    errors: list[InputError] = []
    query = ("resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
             "| project id, subscriptionId, properties | order by subscriptionId asc")
    for subs in session.batches(subscriptions):
        page = 0
        try:
            for reply in session.graph_pages({"subscriptions": subs, "query": query}):
                page += 1
                rows = reply.data.get("data") if isinstance(reply.data, dict) else None
                if session.recorder is not None:  # holds no resource of the scan: the manifest keeps it
                    session.recorder.context(reply)
                for row in rows if isinstance(rows, list) else []:
                    props = row.get("properties") if isinstance(row, dict) else None
                    chain = props.get("managementGroupAncestorsChain") if isinstance(props, dict) else None
                    for mg in chain if isinstance(chain, list) else []:
                        if isinstance(mg, dict) and isinstance(mg.get("name"), str):
                            groups[mg["name"]] = None
        except CallFailed as err:
            url = session.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)
            for sid in subs:
                scope = f"/subscriptions/{sid}"
                errors.append(InputError(
                    scope, f"management groups of the subscription not read (policy assignments there not "
                    f"assessed): {err.message}", scope=scope, call=f"POST {url}", status=err.status))
    return list(groups), errors


def collect(session: Session, subscriptions: Sequence[str]) -> Collected:
    out = read_table(session, subscription_table(session.options.graph_types), subscriptions)
    groups, errors = management_groups(session, subscriptions)
    out.errors.extend(errors)
    if groups:
        out.add(read_table(session, MG_TABLE, (), groups))
    return out
