"""Phase 1 of a live scan: the subscriptions in scope. Each `--subscription` is looked up (a
forbidden or unknown one becomes a not-assessed entry and is left out of the queries);
`--all-subscriptions` lists them; `--management-group` asks Resource Graph for those below it."""

from __future__ import annotations

from collections.abc import Iterable

from mlwaf.model import InputError
from mlwaf.sources.live.collectors import GRAPH_FILE_PATH, Session
from mlwaf.sources.live.http import CallFailed, Reply
from mlwaf.sources.live.options import API_RESOURCE_GRAPH, API_SUBSCRIPTIONS
from mlwaf.sources.live.tasks import Tasks


def resolve(session: Session, tasks: Tasks) -> tuple[list[str], list[InputError]]:
    """The subscription ids to scan (sorted, lower case), and what could not be read."""
    options = session.options
    explicit = list(dict.fromkeys(s.lower() for s in options.subscriptions))
    session.progress.phase(
        "subscriptions", len(explicit) + int(options.all_subscriptions) + len(options.management_groups)
    )
    ids: dict[str, None] = {}
    errors: list[InputError] = []
    for sid, err in tasks.parallel(lambda sid: _lookup(session, sid), explicit):
        if sid:
            ids[sid] = None
        if err:
            errors.append(err)
    if options.all_subscriptions:
        errors.extend(_listed(session, ids))
    for mg in options.management_groups:
        errors.extend(_below(session, mg, ids))
    if not ids and not errors:
        errors.append(InputError(
            "/subscriptions", "the identity can read no subscription in this scope: nothing to scan",
            scope="/subscriptions",
        ))
    return sorted(ids), errors


def _context(session: Session, reply: Reply) -> None:
    if session.recorder is not None:
        session.recorder.context(reply)


def _lookup(session: Session, sid: str) -> tuple[str | None, InputError | None]:
    path = f"/subscriptions/{sid}"
    url = session.caller.url(path, API_SUBSCRIPTIONS)
    try:
        reply = session.caller.get(session.clients.subscriptions, url)
    except CallFailed as err:
        return None, InputError(
            path, f"subscription not assessed: {err.message}", scope=path, call=f"GET {url}", status=err.status,
        )
    finally:
        session.progress.step()
    _context(session, reply)
    return sid, None


def _add_ids(session: Session, pages: Iterable[Reply], rows: str, ids: dict[str, None]) -> None:
    """The `subscriptionId` of every row of every page (a list's `value`, a query's `data`)."""
    for reply in pages:
        _context(session, reply)
        for row in reply.data.get(rows) or []:
            sid = row.get("subscriptionId") if isinstance(row, dict) else None
            if isinstance(sid, str):
                ids[sid.lower()] = None


def _listed(session: Session, ids: dict[str, None]) -> list[InputError]:
    """`--all-subscriptions`: every subscription the identity can list, into `ids`."""
    url = session.caller.url("/subscriptions", API_SUBSCRIPTIONS)
    errors = []
    try:
        _add_ids(session, session.list_pages(session.clients.subscriptions, url), "value", ids)
    except CallFailed as err:
        errors.append(InputError(
            "/subscriptions", f"the list of subscriptions could not be read: {err.message}",
            scope="/subscriptions", call=f"GET {url}", status=err.status,
        ))
    session.progress.step()
    return errors


def _below(session: Session, mg: str, ids: dict[str, None]) -> list[InputError]:
    """`--management-group`: the subscriptions below it, from Resource Graph, into `ids`."""
    scope = f"/providers/Microsoft.Management/managementGroups/{mg}"
    body = {
        "managementGroups": [mg],
        "query": "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
        "| project id, subscriptionId, name | order by subscriptionId asc",
    }
    errors = []
    try:
        _add_ids(session, session.graph_pages(body), "data", ids)
    except CallFailed as err:
        errors.append(InputError(
            scope, f"the subscriptions of management group {mg} could not be read: {err.message}",
            scope=scope, call=f"POST {session.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)}", status=err.status,
        ))
    session.progress.step()
    return errors
