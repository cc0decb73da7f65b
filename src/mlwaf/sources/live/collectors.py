"""What Azure already knows, read beside the inventory: one collector per data source.

Each collector (`access`, `advisor`, `defender`, `policy_state`, `capacity`, `aliases`) declares
the resource types it yields, the calls it makes and, through those types, which loaded checks need
it (`needed_by`). Resource Graph comes first (one query per table per batch of subscriptions,
paged with skip tokens); ARM lists only where Resource Graph has no table (usages, resource SKUs,
provider aliases). Every call goes through the scan's `Caller` (read-only policy, the shared
throttle, Retry-After, the time budget) and, with `--record`, into the recording, named by its
ARM path so that a replay reads it back as the same resources (mlwaf.sources.azure_facts for what
ARM returns without an id).

Nothing is lost: a failed call is a not-assessed entry naming the source, the scope and the call,
and the rest of the scan goes on. A table read to its last page for a subscription is `listed`
(`type_listing(subscription, type)`), so a check may treat "no role assignment" as none there; a
table that answered 403 is not, and the checks that need it answer UNKNOWN.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from mlwaf import armid
from mlwaf.inventory import type_listing
from mlwaf.model import InputError, Origin, Resource
from mlwaf.sources import azure_facts
from mlwaf.sources.live.http import Caller, CallFailed, Clients, Reply
from mlwaf.sources.live.options import API_RESOURCE_GRAPH, LiveOptions

if TYPE_CHECKING:
    from mlwaf.check import CheckSpec
    from mlwaf.sources.live.record import Recorder

T = TypeVar("T")
R = TypeVar("R")
GRAPH_FILE_PATH = "/providers/Microsoft.ResourceGraph/resources"


@dataclass
class Collected:
    """What collectors read: resources, the calls that failed, the lists read in full, and the
    resource types collected (for the not-collected report)."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)
    collected: set[str] = field(default_factory=set)

    def add(self, other: Collected) -> None:
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.listed |= other.listed
        self.collected |= other.collected


class NullProgress:
    def phase(self, name: str, total: int) -> None: ...
    def step(self, n: int = 1) -> None: ...
    def grow(self, n: int = 1) -> None: ...


@dataclass
class Session:
    """The scan's means, shared by the collectors: options, the caller (policy, throttle, budget),
    the SDK clients, the recorder (or None) and the progress bar."""

    options: LiveOptions
    caller: Caller
    clients: Clients
    recorder: Recorder | None = None
    progress: Any = field(default_factory=NullProgress)
    # Collectors run side by side, each with its own workers: this bounds the requests in flight
    # across all of them to --max-concurrency.
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.options.max_concurrency)

    def parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """fn over items on at most --max-concurrency workers; results in the items' order."""
        if not items:
            return []
        workers = min(self.options.max_concurrency, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlwaf-facts") as pool:
            return list(pool.map(fn, items))

    def batches(self, subscriptions: Sequence[str]) -> list[list[str]]:
        size = max(1, self.options.subscription_batch)
        return [list(subscriptions[i : i + size]) for i in range(0, len(subscriptions), size)]

    # --- reading ------------------------------------------------------------------------------
    def graph_pages(self, body: dict[str, Any]) -> Iterator[Reply]:
        """A Resource Graph query and its skip-token pages."""
        token: str | None = None
        while True:
            opts: dict[str, Any] = {"resultFormat": "objectArray", "$top": self.options.page_size}
            if token:
                opts["$skipToken"] = token
            with self._slots:
                reply = self.caller.graph(self.clients.graph, {**body, "options": opts})
            yield reply
            data = reply.data if isinstance(reply.data, dict) else {}
            token = data.get("$skipToken") or data.get("skipToken")
            truncated = str(data.get("resultTruncated", "false")).lower() == "true"
            if truncated and not token:
                raise CallFailed("Resource Graph truncated the result and gave no skip token")
            if not token:
                return
            self.progress.grow()

    def list_pages(self, client: Any, url: str) -> Iterator[Reply]:
        """An ARM list and its nextLink pages."""
        next_url: str | None = url
        while next_url:
            with self._slots:
                reply = self.caller.get(client, next_url)
            yield reply
            data = reply.data if isinstance(reply.data, dict) else {}
            link = data.get("nextLink")
            next_url = link if isinstance(link, str) and link else None
            if next_url:
                self.progress.grow()

    def record(self, arm_path: str, page: int, reply: Reply, count: int) -> str | None:
        return self.recorder.page(arm_path, page, reply, count) if self.recorder is not None else None

    def resource(self, obj: dict[str, Any], path: str | None, pointer: str, kind: str, api_version: str,
                 request: str) -> Resource:
        rid = str(obj["id"])
        name = obj.get("name")
        return Resource(
            type=str(obj["type"]), id=rid, name=name if isinstance(name, str) and name else armid.name_of(rid),
            raw=obj,
            origin=Origin(path=path, pointer=pointer, kind=f"live/{kind}", api_version=api_version,
                          request=request, subscription=armid.subscription_of(rid)),
            partial=kind == "resource-graph" and "properties" not in obj,
        )


@dataclass(frozen=True)
class GraphTable:
    """One Resource Graph table read for a source: the types asked for and an extra filter."""

    source: str  # "access", "Advisor", ... as shown in not-assessed entries
    table: str
    types: tuple[str, ...]
    where: str = ""

    def query(self, groups: Sequence[str] = (), tenant: bool = True) -> str:
        """The query; `groups` keeps the rows of those resource groups and the rows above any
        group (subscription and tenant level: an assignment at the subscription reaches the
        group's resources); `tenant=False` leaves out tenant-level rows (built-in role
        definitions), which every batch of subscriptions returns, so a later batch does not
        read them again."""
        types = ", ".join(f"'{t.lower()}'" for t in self.types)
        lines = [self.table, f"| where type in~ ({types})"]
        if self.where:
            lines.append(f"| where {self.where}")
        if groups:
            names = ", ".join(f"'{g}'" for g in groups)
            lines.append(f"| where resourceGroup in~ ({names}) or isempty(resourceGroup)")
        if not tenant:
            lines.append("| where isnotempty(subscriptionId)")
        lines.append("| order by id asc")
        return "\n".join(lines)


def read_table(session: Session, spec: GraphTable, subscriptions: Sequence[str],
               management_groups: Sequence[str] = ()) -> Collected:
    """A table for every batch of subscriptions (or, given management groups, at those groups),
    paged; each batch's failure a not-assessed entry per subscription, the others intact.

    With --resource-group, the rows of those groups and those above any group are read, and no
    table counts as listed in full (as the inventory: a principal's assignments elsewhere in the
    subscription were not read, so "none" is not known)."""
    out = Collected(collected={t.lower() for t in spec.types})
    groups = session.options.resource_groups
    if management_groups:
        scopes: list[tuple[str, dict[str, Any], list[str], str]] = [
            ("mg", {"managementGroups": list(management_groups)}, [], spec.query())]
    else:
        scopes = [(f"batch-{n}", {"subscriptions": subs}, subs, spec.query(groups, tenant=n == 1))
                  for n, subs in enumerate(session.batches(subscriptions), start=1)]

    def one(item: tuple[str, dict[str, Any], list[str], str]) -> Collected:
        label, scope, subs, query = item
        got = Collected()
        page = 0
        url = session.caller.url(GRAPH_FILE_PATH, API_RESOURCE_GRAPH)
        arm_path = f"{GRAPH_FILE_PATH}/{spec.table}-{label}"
        try:
            for reply in session.graph_pages({**scope, "query": query}):
                page += 1
                rows = reply.data.get("data") if isinstance(reply.data, dict) else None
                if not isinstance(rows, list):
                    raise CallFailed("the answer held no row list ('data'); was resultFormat ignored?")
                path = session.record(arm_path, page, reply, len(rows))
                for i, row in enumerate(rows):
                    if isinstance(row, dict) and isinstance(row.get("type"), str) and isinstance(row.get("id"), str):
                        got.resources.append(session.resource(row, path, f"/data/{i}", "resource-graph",
                                                              API_RESOURCE_GRAPH, reply.request))
                session.progress.step(len(rows))
        except CallFailed as err:
            where = [f"/subscriptions/{s}" for s in subs] or [
                f"/providers/Microsoft.Management/managementGroups/{mg}" for mg in management_groups]
            for scope_id in where:
                got.errors.append(InputError(
                    scope_id, f"{spec.source} not assessed ({spec.table}, page {page + 1}): {err.message}",
                    scope=scope_id, call=f"POST {url}", status=err.status,
                ))
            return got
        if not groups:
            got.listed = {type_listing(s, t.lower()) for s in subs for t in spec.types}
        return got

    for part in session.parallel(one, scopes):
        out.add(part)
    return out


Page = tuple[Reply, str | None, int]


def read_list(session: Session, source: str, client: Any, path: str, api_version: str, *, scope: str,
              record_as: str | None = None, query: str = "") -> tuple[list[Page], InputError | None]:
    """Every page of an ARM list: (reply, recorded file, page number), or the not-assessed entry
    that says why it could not be read to the end. `record_as` names the recording file when the
    request path alone would not tell pages of two lists apart (SKUs filtered by region)."""
    url = session.caller.url(path + query, api_version)
    pages: list[Page] = []
    try:
        for number, reply in enumerate(session.list_pages(client, url), start=1):
            items = reply.data.get("value") if isinstance(reply.data, dict) else None
            if not isinstance(items, list) and not azure_facts.is_provider(reply.data):
                raise CallFailed("the answer was not a list page ({\"value\": [...]})", reply.status)
            count = len(items) if isinstance(items, list) else 1
            pages.append((reply, session.record(record_as or path, number, reply, count), number))
            session.progress.step()
    except CallFailed as err:
        return pages, InputError(scope, f"{source} not assessed (page {len(pages) + 1}): {err.message}",
                                 scope=scope, call=f"GET {url}", status=err.status)
    return pages, None


def needed_by(types: Iterable[str], checks: Iterable[CheckSpec]) -> list[str]:
    """The ids of the loaded checks that assess or read any of these types."""
    from mlwaf.sources import coverage

    wanted = {t.lower() for t in types}
    return sorted({cid for rtype, ids in coverage.needed(checks).items() if rtype in wanted for cid in ids})
