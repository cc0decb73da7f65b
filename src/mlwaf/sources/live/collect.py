"""A live scan, phase by phase: subscriptions -> Resource Graph inventory -> ARM child calls.

1. Subscriptions: each `--subscription` is looked up (a forbidden or unknown one becomes a
   not-assessed entry and is left out of the queries); `--all-subscriptions` lists them;
   `--management-group` asks Resource Graph for the subscriptions below it.
2. Inventory: one Resource Graph query per batch of subscriptions, paged with skip tokens,
   for the types Resource Graph holds. Rows are full ARM objects, kept as they come.
3. What Resource Graph lacks, by ARM GET at current API versions through the SDK clients'
   pipelines: workspace computes, connections, datastores and schedules, managed-network
   outbound rules (only where the workspace has a managed network and does not embed them), and
   the diagnostic settings of the resources that have checks about logs. Paged with nextLink.
   These start as soon as the Resource Graph page holding their parent arrives, on the same
   pool of --max-concurrency workers, so the serial skip-token paging overlaps them.

Every failed call becomes an InputError (path, message, scope, call, status): nothing is lost
silently. Order is deterministic (submission order, not completion order), so two scans of the
same estate give the same inventory, and a replay of a recording the same findings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlwaf import armid, resource_types
from mlwaf.inventory import type_listing
from mlwaf.model import InputError, Origin, Resource, ScannedInput
from mlwaf.sources import SourceResult, coverage
from mlwaf.sources.live import auth
from mlwaf.sources.live.http import Budget, Caller, CallFailed, Clients, Reply
from mlwaf.sources.live.options import (
    API_DIAGNOSTIC_SETTINGS,
    API_ML,
    API_RESOURCE_GRAPH,
    API_SUBSCRIPTIONS,
    LiveOptions,
)
from mlwaf.sources.live.progress import Progress
from mlwaf.sources.live.record import Recorder

T = TypeVar("T")
R = TypeVar("R")

WORKSPACES = resource_types.WORKSPACE.lower()
# Workspace children Resource Graph does not hold, listed per workspace. Checks that FAIL on an
# absent child in a live scan (no monitoring schedule) rely on these lists being complete. Jobs
# are left out: a workspace can hold many thousands (reported as not collected, see coverage).
WORKSPACE_LISTS = coverage.WORKSPACE_LISTS
GRAPH_FILE_PATH = "/providers/Microsoft.ResourceGraph/resources"


@dataclass
class Outcome:
    """What one task read: resources, and the calls that failed."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)  # lists read to their last page (Inventory.listed)


@dataclass(frozen=True)
class ChildCall:
    """An ARM list call about one resource (its computes, its diagnostic settings, ...)."""

    what: str
    parent: Resource
    path: str
    api_version: str
    client: Any


class LiveScan:
    def __init__(
        self, options: LiveOptions, credential: Any, progress: Progress, recorder: Recorder | None = None
    ) -> None:
        self.options = options
        self.progress = progress
        self.budget = Budget(options.time_budget)
        self.caller = Caller(options, self.budget, on_attempt=progress.attempt, on_throttled=progress.throttle)
        self.clients = Clients(credential, options)
        self.recorder = recorder
        self._abort = threading.Event()

    # --- running tasks ---------------------------------------------------------------------
    def _submit(self, pool: ThreadPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R]:
        """fn(item) on the pool. An AuthError stops everything: the scan cannot go on without a
        usable identity, so tasks not yet started are skipped."""

        def run() -> R:
            if self._abort.is_set():
                raise _Aborted
            try:
                return fn(item)
            except auth.AuthError:
                self._abort.set()
                raise

        return pool.submit(run)

    @staticmethod
    def _gather(futures: Sequence[Future[R]]) -> list[R]:
        """The results in the futures' order (not completion order: a scan is deterministic);
        after all of them are done, the first AuthError is raised."""
        results: list[R] = []
        first_auth: auth.AuthError | None = None
        for fut in futures:
            try:
                results.append(fut.result())
            except auth.AuthError as err:
                first_auth = first_auth or err
            except _Aborted:
                pass
        if first_auth is not None:
            raise first_auth
        return results

    def _parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """fn over items on a bounded pool of its own; results in the items' order."""
        if not items:
            return []
        workers = min(self.options.max_concurrency, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlwaf-live") as pool:
            return self._gather([self._submit(pool, fn, item) for item in items])

    # --- pages ---------------------------------------------------------------------------
    def _pages(self, client: Any, first_url: str) -> Iterator[Reply]:
        """A list call and its nextLink pages."""
        url: str | None = first_url
        while url:
            reply = self.caller.get(client, url)
            yield reply
            data = reply.data if isinstance(reply.data, dict) else {}
            next_link = data.get("nextLink")
            url = next_link if isinstance(next_link, str) and next_link else None
            if url:
                self.progress.grow()

    def _graph_pages(self, body: dict[str, Any]) -> Iterator[Reply]:
        """A Resource Graph query and its skip-token pages."""
        token: str | None = None
        while True:
            options: dict[str, Any] = {"resultFormat": "objectArray", "$top": self.options.page_size}
            if token:
                options["$skipToken"] = token
            reply = self.caller.graph(self.clients.graph, {**body, "options": options})
            yield reply
            data = reply.data if isinstance(reply.data, dict) else {}
            token = data.get("$skipToken") or data.get("skipToken")
            if not token:
                return
            self.progress.grow()

    # --- 1. subscriptions ------------------------------------------------------------------
    def subscriptions(self) -> tuple[list[str], list[InputError]]:
        ids: dict[str, None] = {}
        errors: list[InputError] = []
        explicit = list(dict.fromkeys(s.lower() for s in self.options.subscriptions))
        self.progress.phase("subscriptions", len(explicit) + int(self.options.all_subscriptions)
                            + len(self.options.management_groups))

        def lookup(sid: str) -> tuple[str | None, InputError | None]:
            path = f"/subscriptions/{sid}"
            url = self.caller.url(path, API_SUBSCRIPTIONS)
            try:
                reply = self.caller.get(self.clients.subscriptions, url)
            except CallFailed as err:
                return None, InputError(
                    path, f"subscription not assessed: {err.message}", scope=path, call=f"GET {url}",
                    status=err.status,
                )
            finally:
                self.progress.step()
            self._context(reply)
            return sid, None

        for sid, err in self._parallel(lookup, explicit):
            if sid:
                ids[sid] = None
            if err:
                errors.append(err)

        if self.options.all_subscriptions:
            url = self.caller.url("/subscriptions", API_SUBSCRIPTIONS)
            try:
                for reply in self._pages(self.clients.subscriptions, url):
                    self._context(reply)
                    for item in reply.data.get("value") or []:
                        sid = item.get("subscriptionId") if isinstance(item, dict) else None
                        if isinstance(sid, str):
                            ids[sid.lower()] = None
            except CallFailed as err:
                errors.append(InputError(
                    "/subscriptions", f"the list of subscriptions could not be read: {err.message}",
                    scope="/subscriptions", call=f"GET {url}", status=err.status,
                ))
            self.progress.step()

        for mg in self.options.management_groups:
            scope = f"/providers/Microsoft.Management/managementGroups/{mg}"
            body = {
                "managementGroups": [mg],
                "query": "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' "
                "| project id, subscriptionId, name | order by subscriptionId asc",
            }
            try:
                for reply in self._graph_pages(body):
                    self._context(reply)
                    for row in reply.data.get("data") or []:
                        sid = row.get("subscriptionId") if isinstance(row, dict) else None
                        if isinstance(sid, str):
                            ids[sid.lower()] = None
            except CallFailed as err:
                errors.append(InputError(
                    scope, f"the subscriptions of management group {mg} could not be read: {err.message}",
                    scope=scope, call=f"POST {self.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)}",
                    status=err.status,
                ))
            self.progress.step()
        if not ids and not errors:
            errors.append(InputError(
                "/subscriptions", "the identity can read no subscription in this scope: nothing to scan",
                scope="/subscriptions",
            ))
        return sorted(ids), errors

    def _context(self, reply: Reply) -> None:
        if self.recorder is not None:
            self.recorder.context(reply)

    # --- 2. inventory ----------------------------------------------------------------------
    def graph_query(self) -> str:
        types = ", ".join(f"'{t.lower()}'" for t in self.options.graph_types)
        lines = ["resources", f"| where type in~ ({types})"]
        if self.options.resource_groups:
            groups = ", ".join(f"'{g}'" for g in self.options.resource_groups)
            lines.append(f"| where resourceGroup in~ ({groups})")
        lines.append("| order by id asc")
        return "\n".join(lines)

    def inventory(self, subscriptions: list[str]) -> tuple[Outcome, Outcome, set[str]]:
        """The Resource Graph inventory and what it lacks (child lists), read together.

        Resource Graph pages come one after the other (each page's skip token asks for the
        next), so the child lists of a page's resources start as soon as the page arrives, on
        the same bounded pool, instead of after the last page: the serial paging overlaps the
        parallel child calls. Returns (inventory, children, subscriptions queried in full)."""
        size = max(1, self.options.subscription_batch)
        batches = [subscriptions[i : i + size] for i in range(0, len(subscriptions), size)]
        query = self.graph_query()
        self.progress.phase("Resource Graph and child lists", len(batches))
        inventory, children = Outcome(), Outcome()
        if not batches:
            return inventory, children, set()
        done: set[str] = set()
        # Each batch's child lists in the order its pages listed their parents. Kept here, not
        # returned by the batch: a batch stopped by another task's AuthError still hands over the
        # children it started, so that AuthError is raised.
        pending: dict[int, list[Future[Outcome]]] = {number: [] for number in range(1, len(batches) + 1)}
        with ThreadPoolExecutor(max_workers=self.options.max_concurrency, thread_name_prefix="mlwaf-live") as pool:

            def batch(item: tuple[int, list[str]]) -> tuple[Outcome, list[str]]:
                number, subs = item
                out = Outcome()
                page = 0
                url = self.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)
                try:
                    for reply in self._graph_pages({"subscriptions": subs, "query": query}):
                        if self._abort.is_set():  # a child list met an authentication failure
                            raise _Aborted
                        page += 1
                        rows = reply.data.get("data") if isinstance(reply.data, dict) else None
                        if not isinstance(rows, list):
                            raise CallFailed("the answer held no row list ('data'); was resultFormat ignored?")
                        arm_path = f"{GRAPH_FILE_PATH}/batch-{number}"
                        found = self._read_rows(rows, reply, arm_path, page)
                        out.resources.extend(found)
                        calls = self.child_calls(found)
                        self.progress.grow(len(calls))
                        pending[number].extend(self._submit(pool, self._child, call) for call in calls)
                        self.progress.step(len(found))
                        truncated = str(reply.data.get("resultTruncated", "false")).lower() == "true"
                        if truncated and not (reply.data.get("$skipToken") or reply.data.get("skipToken")):
                            raise CallFailed("Resource Graph truncated the result and gave no skip token")
                except CallFailed as err:
                    for sid in subs:
                        path = f"/subscriptions/{sid}"
                        out.errors.append(InputError(
                            path, f"inventory not complete (Resource Graph query, page {page + 1}): {err.message}",
                            scope=path, call=f"POST {url}", status=err.status,
                        ))
                    return out, []
                return out, subs

            graph = [self._submit(pool, batch, item) for item in enumerate(batches, start=1)]
            # A batch's child lists are all started once the batch is done: gather the batches
            # first, then their children, both in order, so the order never depends on timing.
            for out, subs in self._gather(graph):
                inventory.resources.extend(out.resources)
                inventory.errors.extend(out.errors)
                done.update(subs)
            for out in self._gather([fut for number in sorted(pending) for fut in pending[number]]):
                children.resources.extend(out.resources)
                children.errors.extend(out.errors)
                children.listed |= out.listed
        if not self.options.resource_groups:
            # Every resource of the queried types in these subscriptions was read: an autoscale
            # setting not among them does not exist (with --resource-group it may be elsewhere).
            inventory.listed = {type_listing(sid, t) for sid in done for t in self.options.graph_types}
        return inventory, children, done

    def _read_rows(self, rows: list[Any], reply: Reply, arm_path: str, page: int) -> list[Resource]:
        path = self.recorder.page(arm_path, page, reply, len(rows)) if self.recorder else None
        out = []
        for i, row in enumerate(rows):
            if isinstance(row, dict) and isinstance(row.get("type"), str) and isinstance(row.get("id"), str):
                out.append(self._resource(row, path, f"/data/{i}", "resource-graph", API_RESOURCE_GRAPH,
                                          reply.request, partial="properties" not in row))
        return out

    def _resource(self, obj: dict[str, Any], path: str | None, pointer: str, kind: str, api_version: str,
                  request: str, partial: bool = False) -> Resource:
        rid = str(obj["id"])
        name = obj.get("name")
        return Resource(
            type=str(obj["type"]),
            id=rid,
            name=name if isinstance(name, str) and name else armid.name_of(rid),
            raw=obj,
            origin=Origin(
                path=path, pointer=pointer, kind=f"live/{kind}", api_version=api_version,
                request=request, subscription=armid.subscription_of(rid),
            ),
            partial=partial,
        )

    # --- 3. what Resource Graph lacks ------------------------------------------------------
    def child_calls(self, resources: list[Resource]) -> list[ChildCall]:
        diag = {t.lower() for t in self.options.diagnostic_types}
        calls: list[ChildCall] = []
        for r in resources:
            if r.type_key == WORKSPACES:
                for what, child in WORKSPACE_LISTS:
                    calls.append(ChildCall(what, r, f"{r.id}/{child}", API_ML, self.clients.ml))
                if _needs_outbound_rules(r):
                    calls.append(ChildCall("outbound rules", r, f"{r.id}/outboundRules", API_ML, self.clients.ml))
            if r.type_key in diag:
                calls.append(ChildCall(
                    "diagnostic settings", r, f"{r.id}/providers/Microsoft.Insights/diagnosticSettings",
                    API_DIAGNOSTIC_SETTINGS, self.clients.monitor,
                ))
        return calls

    def _child(self, call: ChildCall) -> Outcome:
        """One child list, all its pages; a failed page becomes a not-assessed entry."""
        out = Outcome()
        url = self.caller.url(call.path, call.api_version)
        page = 0
        try:
            for reply in self._pages(call.client, url):
                page += 1
                items = reply.data.get("value") if isinstance(reply.data, dict) else None
                if not isinstance(items, list):
                    raise CallFailed("the answer was not a list page ({\"value\": [...]})", reply.status)
                path = self.recorder.page(call.path, page, reply, len(items)) if self.recorder else None
                for i, item in enumerate(items):
                    if isinstance(item, dict) and isinstance(item.get("type"), str) \
                            and isinstance(item.get("id"), str) and item["id"].startswith("/"):
                        out.resources.append(self._resource(
                            item, path, f"/value/{i}", "list-page", call.api_version, reply.request
                        ))
                self.progress.step(len(items))
            out.listed.add(call.path)
        except CallFailed as err:
            out.errors.append(InputError(
                call.path, f"{call.what} of {call.parent.name} not assessed (page {page + 1}): {err.message}",
                scope=call.parent.id, call=f"GET {url}", status=err.status,
            ))
            self.progress.step()
        return out

    # --- the whole scan --------------------------------------------------------------------
    def run(self) -> SourceResult:
        result = SourceResult()
        try:
            subscriptions, errors = self.subscriptions()
            result.errors.extend(errors)
            inventory, children, done = self.inventory(subscriptions)
            result.errors.extend(inventory.errors)
            result.errors.extend(children.errors)
            result.resources = inventory.resources + children.resources
            result.listed = inventory.listed | children.listed
            result.collected = coverage.collected(self.options.graph_types, self.options.diagnostic_types)
        finally:
            self.clients.close()
        counts: dict[str, int] = dict.fromkeys(subscriptions, 0)
        for r in result.resources:
            sid = (armid.subscription_of(r.id) or "").lower()
            if sid in counts:
                counts[sid] += 1
        result.scanned = [
            ScannedInput(f"/subscriptions/{sid}", "live-subscription", counts[sid])
            for sid in subscriptions
            if sid in done
        ]
        if self.recorder is not None:
            self.recorder.finish(result.errors, subscriptions, result.listed, result.collected)
        return result


class _Aborted(Exception):
    """A task not started because another one met an authentication failure."""


def _needs_outbound_rules(workspace: Resource) -> bool:
    """A managed network whose rules the workspace object does not carry itself."""
    network = workspace.properties.get("managedNetwork")
    if not isinstance(network, dict):
        return False
    mode = network.get("isolationMode")
    if not isinstance(mode, str) or mode.lower() == "disabled":
        return False
    return not isinstance(network.get("outboundRules"), dict)


def read_live(options: LiveOptions) -> SourceResult:
    """Read the estate the options name. Raises LiveUsageError (bad options) or AuthError (no
    usable identity): both mean nothing was scanned (exit 2)."""
    options.validate()
    # The SDK logs each failed credential of the chain and offers to register providers (which
    # the read-only policy refuses): the scan says what matters in its own words instead.
    sdk_log = logging.getLogger("azure")
    if sdk_log.level == logging.NOTSET:
        sdk_log.setLevel(logging.ERROR)
    recorder = Recorder(options.record, options) if options.record is not None else None
    credential = auth.build_credential(options)
    auth.check_credential(credential, options)
    with Progress(options.progress) as progress:
        return LiveScan(options, credential, progress, recorder).run()
