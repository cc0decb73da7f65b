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
4. What Azure already knows about the subscriptions read in full (mlwaf.sources.live.facts):
   role assignments, Advisor, Defender, Azure Policy objects and states, quotas and SKUs, and the
   aliases the assigned custom policies read; each source's failures its own.

Every failed call becomes an InputError (path, message, scope, call, status): nothing is lost
silently. Order is deterministic (submission order, not completion order), so two scans of the
same estate give the same inventory, and a replay of a recording the same findings.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from mlwaf import armid, resource_types
from mlwaf.inventory import type_listing
from mlwaf.model import InputError, Resource, ScannedInput
from mlwaf.sources import SourceResult, coverage
from mlwaf.sources.live import auth, facts, subscriptions
from mlwaf.sources.live.collectors import GRAPH_FILE_PATH, Collected, Session
from mlwaf.sources.live.http import Budget, Caller, CallFailed, Clients, Reply
from mlwaf.sources.live.options import API_DIAGNOSTIC_SETTINGS, API_ML, API_RESOURCE_GRAPH, LiveOptions
from mlwaf.sources.live.progress import Progress
from mlwaf.sources.live.record import Recorder
from mlwaf.sources.live.tasks import Aborted, Tasks

WORKSPACES = resource_types.WORKSPACE.lower()
# Workspace children Resource Graph does not hold, listed per workspace. Checks that FAIL on an
# absent child in a live scan (no monitoring schedule) rely on these lists being complete. Jobs
# are left out: a workspace can hold many thousands (reported as not collected, see coverage).
WORKSPACE_LISTS = coverage.WORKSPACE_LISTS


@dataclass(frozen=True)
class ChildCall:
    """An ARM list call about one resource (its computes, its diagnostic settings, ...)."""

    what: str
    parent: Resource
    path: str
    api_version: str
    client: Any


class LiveScan:
    """Phase by phase: subscriptions (mlwaf.sources.live.subscriptions), then the Resource Graph
    inventory with the child lists of each page's resources."""

    def __init__(
        self, options: LiveOptions, credential: Any, progress: Progress, recorder: Recorder | None = None
    ) -> None:
        self.options = options
        self.progress = progress
        budget = Budget(options.time_budget)
        caller = Caller(options, budget, on_attempt=progress.attempt, on_throttled=progress.throttle)
        self.session = Session(options, caller, Clients(credential, options), recorder, progress)
        self.tasks = Tasks(options.max_concurrency)

    # --- 2. inventory ----------------------------------------------------------------------
    def graph_query(self) -> str:
        types = ", ".join(f"'{t.lower()}'" for t in self.options.graph_types)
        lines = ["resources", f"| where type in~ ({types})"]
        if self.options.resource_groups:
            groups = ", ".join(f"'{g}'" for g in self.options.resource_groups)
            lines.append(f"| where resourceGroup in~ ({groups})")
        lines.append("| order by id asc")
        return "\n".join(lines)

    def inventory(self, subscriptions: list[str]) -> tuple[Collected, Collected, set[str]]:
        """The Resource Graph inventory and what it lacks (child lists), read together.

        Resource Graph pages come one after the other (each page's skip token asks for the
        next), so the child lists of a page's resources start as soon as the page arrives, on
        the same bounded pool, instead of after the last page: the serial paging overlaps the
        parallel child calls. Returns (inventory, children, subscriptions queried in full)."""
        size = max(1, self.options.subscription_batch)
        batches = [subscriptions[i : i + size] for i in range(0, len(subscriptions), size)]
        self.progress.phase("Resource Graph and child lists", len(batches))
        inventory, children = Collected(), Collected()
        if not batches:
            return inventory, children, set()
        done: set[str] = set()
        # Each batch's child lists in the order its pages listed their parents. Kept here, not
        # returned by the batch: a batch stopped by another task's AuthError still hands over the
        # children it started, so that AuthError is raised.
        pending: dict[int, list[Future[Collected]]] = {number: [] for number in range(1, len(batches) + 1)}
        with self.tasks.pool() as pool:
            query = self.graph_query()

            def batch(item: tuple[int, list[str]]) -> tuple[Collected, list[str]]:
                number, subs = item
                return self._batch(number, subs, query, lambda call: pending[number].append(
                    self.tasks.submit(pool, self._child, call)))

            graph = [self.tasks.submit(pool, batch, item) for item in enumerate(batches, start=1)]
            # A batch's child lists are all started once the batch is done: gather the batches
            # first, then their children, both in order, so the order never depends on timing.
            for out, subs in self.tasks.gather(graph):
                inventory.add(out)
                done.update(subs)
            for out in self.tasks.gather([fut for number in sorted(pending) for fut in pending[number]]):
                children.add(out)
        if not self.options.resource_groups:
            # Every resource of the queried types in these subscriptions was read: an autoscale
            # setting not among them does not exist (with --resource-group it may be elsewhere).
            inventory.listed = {type_listing(sid, t) for sid in done for t in self.options.graph_types}
        return inventory, children, done

    def _batch(self, number: int, subs: list[str], query: str, start: Any) -> tuple[Collected, list[str]]:
        """One batch of subscriptions through Resource Graph, page by page; `start(call)` begins
        each child list as its parent's page arrives. Returns what it read and the subscriptions
        read in full (none when a page failed: each then gets a not-assessed entry)."""
        out = Collected()
        page = 0
        url = self.session.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)
        try:
            for reply in self.session.graph_pages({"subscriptions": subs, "query": query}):
                if self.tasks.aborted:  # a child list met an authentication failure
                    raise Aborted
                page += 1
                rows = reply.data.get("data") if isinstance(reply.data, dict) else None
                if not isinstance(rows, list):
                    raise CallFailed("the answer held no row list ('data'); was resultFormat ignored?")
                found = self._read_rows(rows, reply, f"{GRAPH_FILE_PATH}/batch-{number}", page)
                out.resources.extend(found)
                calls = self.child_calls(found)
                self.progress.grow(len(calls))
                for call in calls:
                    start(call)
                self.progress.step(len(found))
        except CallFailed as err:
            for sid in subs:
                path = f"/subscriptions/{sid}"
                out.errors.append(InputError(
                    path, f"inventory not complete (Resource Graph query, page {page + 1}): {err.message}",
                    scope=path, call=f"POST {url}", status=err.status,
                ))
            return out, []
        return out, subs

    def _read_rows(self, rows: list[Any], reply: Reply, arm_path: str, page: int) -> list[Resource]:
        path = self.session.record(arm_path, page, reply, len(rows))
        return [
            self.session.resource(row, path, f"/data/{i}", "resource-graph", API_RESOURCE_GRAPH, reply.request)
            for i, row in enumerate(rows)
            if isinstance(row, dict) and isinstance(row.get("type"), str) and isinstance(row.get("id"), str)
        ]

    # --- 3. what Resource Graph lacks ------------------------------------------------------
    def child_calls(self, resources: list[Resource]) -> list[ChildCall]:
        diag = {t.lower() for t in self.options.diagnostic_types}
        clients = self.session.clients
        calls: list[ChildCall] = []
        for r in resources:
            if r.type_key == WORKSPACES:
                for what, child in WORKSPACE_LISTS:
                    calls.append(ChildCall(what, r, f"{r.id}/{child}", API_ML, clients.ml))
                if _needs_outbound_rules(r):
                    calls.append(ChildCall("outbound rules", r, f"{r.id}/outboundRules", API_ML, clients.ml))
            if r.type_key in diag:
                calls.append(ChildCall(
                    "diagnostic settings", r, f"{r.id}/providers/Microsoft.Insights/diagnosticSettings",
                    API_DIAGNOSTIC_SETTINGS, clients.monitor,
                ))
        return calls

    def _child(self, call: ChildCall) -> Collected:
        """One child list, all its pages; a failed page becomes a not-assessed entry."""
        out = Collected()
        url = self.session.caller.url(call.path, call.api_version)
        page = 0
        try:
            for reply in self.session.list_pages(call.client, url):
                page += 1
                items = reply.data.get("value") if isinstance(reply.data, dict) else None
                if not isinstance(items, list):
                    raise CallFailed("the answer was not a list page ({\"value\": [...]})", reply.status)
                path = self.session.record(call.path, page, reply, len(items))
                for i, item in enumerate(items):
                    if isinstance(item, dict) and isinstance(item.get("type"), str) \
                            and isinstance(item.get("id"), str) and item["id"].startswith("/"):
                        out.resources.append(self.session.resource(
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
            found, errors = subscriptions.resolve(self.session, self.tasks)
            result.errors.extend(errors)
            inventory, children, done = self.inventory(found)
            result.errors.extend(inventory.errors)
            result.errors.extend(children.errors)
            result.resources = inventory.resources + children.resources
            result.listed = inventory.listed | children.listed
            result.collected = coverage.collected(self.options.graph_types, self.options.diagnostic_types)
            known = facts.collect(self.session, sorted(done), result.resources)
            result.resources += known.resources
            result.errors.extend(known.errors)
            result.listed |= known.listed
            result.collected |= known.collected
        finally:
            self.session.clients.close()
        counts: dict[str, int] = dict.fromkeys(found, 0)
        for r in result.resources:
            sid = (armid.subscription_of(r.id) or "").lower()
            if sid in counts:
                counts[sid] += 1
        result.scanned = [
            ScannedInput(f"/subscriptions/{sid}", "live-subscription", counts[sid]) for sid in found if sid in done
        ]
        if self.session.recorder is not None:
            self.session.recorder.finish(result.errors, found, result.listed, result.collected)
        return result


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
