"""A local HTTPS server that plays Azure Resource Manager for live-scan tests and benchmarks.

It serves an estate built from the REST example bodies of ../shared/corpus/rest-api-specs
(ML 2025-12-01, Monitor diagnostic settings, Resource Graph result envelope), with ids rewritten
so that workspaces, their computes, endpoints and dependencies link up. It speaks the calls a live
scan makes: subscriptions (get, list with nextLink), Resource Graph queries (POST, skip tokens,
management groups), ML child lists and diagnostic settings (nextLink paging). Faults can be queued
per call (429 with Retry-After, 500, slow answers, 404, 409 asking for provider registration), an
access token can be expired, and every request is logged so a test can assert exactly what was
called. The certificate is made on start by `trustme`; clients trust it through
REQUESTS_CA_BUNDLE, as users behind a corporate proxy do.

Benchmarks: `python -m tests.live.server --workspaces 1000 --latency-ms 50` prints the URL, the
CA bundle and the environment to set, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SPECS = "rest-api-specs/specification"
ML = f"{SPECS}/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples"
MONITOR = f"{SPECS}/monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/examples"
TENANT = "72f988bf-0000-4000-8000-000000000001"
VALID_TOKEN = "mlwaf-test-token-4f1c9a"
EXPIRED_TOKEN = "mlwaf-expired-token-77e0"
GRAPH_PATH = "/providers/microsoft.resourcegraph/resources"


def subscription_id(n: int) -> str:
    return f"{n:08x}-1111-4222-8333-{n:012x}"


class Corpus:
    """Reads the first 2xx body of a REST example file (never copied into the repository)."""

    def __init__(self, root: Path = CORPUS) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is not there: the mock ARM server builds its estate from it")
        self.root = root
        self._cache: dict[str, Any] = {}

    def body(self, rel: str) -> Any:
        if rel not in self._cache:
            doc = json.loads((self.root / rel).read_text(encoding="utf-8"))
            codes = sorted(c for c in doc["responses"] if str(c).startswith("2") and "body" in doc["responses"][c])
            self._cache[rel] = doc["responses"][codes[0]]["body"]
        return copy.deepcopy(self._cache[rel])


@dataclass
class Estate:
    """What the server holds: subscriptions, Resource Graph rows and ARM list contents."""

    subscriptions: dict[str, str] = field(default_factory=dict)  # id -> display name
    forbidden: set[str] = field(default_factory=set)
    management_groups: dict[str, list[str]] = field(default_factory=dict)
    graph_rows: list[dict[str, Any]] = field(default_factory=list)
    # lower-cased ARM path of a list -> its items (absent path: 404); resource SKUs by
    # `{path}#{location}` (the list is filtered by `$filter=location eq '...'`)
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Resource Graph tables beside `resources` (tests/live/facts.py) and those the identity may
    # not read (403, as Azure answers a caller without access to that data)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    forbidden_tables: set[str] = field(default_factory=set)
    # Lists of facts that are not resources of the estate (usages, SKUs, quotas, providers)
    fact_lists: set[str] = field(default_factory=set)
    # lower-cased ARM path -> the single object a GET returns (a resource provider)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_row(self, obj: dict[str, Any], sid: str, rg: str) -> dict[str, Any]:
        row = {**obj, "type": obj["type"].lower(), "tenantId": TENANT, "subscriptionId": sid, "resourceGroup": rg}
        self.graph_rows.append(row)
        return row

    def add_list(self, path: str, items: list[dict[str, Any]]) -> None:
        self.lists[path.lower()] = items

    def all_ids(self) -> list[str]:
        """Every resource the estate holds (graph rows and list items), in every subscription."""
        ids = [r["id"] for r in self.graph_rows]
        for path, items in self.lists.items():
            if path not in self.fact_lists:
                ids.extend(i["id"] for i in items)
        return ids


def _named(obj: dict[str, Any], rid: str, rtype: str) -> dict[str, Any]:
    obj["id"] = rid
    obj["name"] = rid.rsplit("/", 1)[-1]
    obj["type"] = rtype
    return obj


def build_estate(
    corpus: Corpus,
    subscriptions: int = 3,
    workspaces: int = 2,
    forbidden: tuple[int, ...] = (2,),
    management_group: str = "mg-ml",
    facts: bool = True,
) -> Estate:
    """`subscriptions` subscriptions with `workspaces` workspaces each (cycling through three
    shapes: managed network with embedded rules, managed network without them, public and no
    managed network), each workspace with computes, a connection, an online endpoint with a
    deployment, its storage, key vault, registry and Application Insights, a private endpoint
    when private; one ML registry per subscription. Subscriptions at the `forbidden` indexes are
    refused (403)."""
    estate = Estate()
    for s in range(subscriptions):
        sid = subscription_id(s + 1)
        estate.subscriptions[sid] = f"ml-sub-{s}"
        if s in forbidden:
            estate.forbidden.add(sid)
        estate.management_groups.setdefault(management_group, []).append(sid)
        rg = f"rg-ml-{s}"
        base = f"/subscriptions/{sid}/resourceGroups/{rg}/providers"
        reg = _named(corpus.body(f"{ML}/Registries/get.json"),
                     f"{base}/Microsoft.MachineLearningServices/registries/mlreg{s}",
                     "Microsoft.MachineLearningServices/registries")
        reg["location"] = "westeurope"
        reg["properties"]["publicNetworkAccess"] = "Disabled"
        estate.add_row(reg, sid, rg)
        estate.add_list(f"{reg['id']}/providers/Microsoft.Insights/diagnosticSettings", [])
        for w in range(workspaces):
            _workspace(estate, corpus, sid, rg, base, s, w)
    if facts:
        from tests.live import facts as azure_facts

        azure_facts.plant(estate)
    return estate


def _dependency(rtype: str, rid: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": rtype, "location": "westeurope",
            **extra, "properties": props}


def _diagnostic(corpus: Corpus, target: str, name: str) -> dict[str, Any]:
    body = corpus.body(f"{MONITOR}/getDiagnosticSetting.json")
    return _named(body, f"{target}/providers/microsoft.insights/diagnosticSettings/{name}",
                  "Microsoft.Insights/diagnosticSettings")


def _workspace(estate: Estate, corpus: Corpus, sid: str, rg: str, base: str, s: int, w: int) -> None:
    tag = f"{s}w{w}"
    ws_id = f"{base}/Microsoft.MachineLearningServices/workspaces/mlw-{tag}"
    st = _dependency("Microsoft.Storage/storageAccounts", f"{base}/Microsoft.Storage/storageAccounts/st{tag}",
                     {"allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True,
                      "publicNetworkAccess": "Disabled"}, kind="StorageV2", sku={"name": "Standard_ZRS"})
    kv = _dependency("Microsoft.KeyVault/vaults", f"{base}/Microsoft.KeyVault/vaults/kv{tag}",
                     {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "enableSoftDelete": True,
                      "enablePurgeProtection": w % 2 == 0, "enableRbacAuthorization": True})
    acr = _dependency("Microsoft.ContainerRegistry/registries",
                      f"{base}/Microsoft.ContainerRegistry/registries/acr{tag}",
                      {"adminUserEnabled": False, "publicNetworkAccess": "Enabled"}, sku={"name": "Premium"})
    appi = _dependency("Microsoft.Insights/components", f"{base}/microsoft.insights/components/appi{tag}",
                       {"Application_Type": "web", "IngestionMode": "LogAnalytics"}, kind="web")
    for dep in (st, kv, acr, appi):
        estate.add_row(dep, sid, rg)

    ws = _named(corpus.body(f"{ML}/Workspace/get.json"), ws_id, "Microsoft.MachineLearningServices/workspaces")
    props = ws["properties"]
    props.update(storageAccount=st["id"], keyVault=kv["id"], containerRegistry=acr["id"],
                 applicationInsights=appi["id"])
    props["encryption"]["keyVaultProperties"]["keyVaultArmId"] = kv["id"]
    pe_id = f"{base}/Microsoft.Network/privateEndpoints/pe-{tag}"
    for conn in props.get("privateEndpointConnections") or []:
        conn["id"] = f"{ws_id}/privateEndpointConnections/{conn['name']}"
        conn["properties"]["privateEndpoint"]["id"] = pe_id
    shape = w % 3
    if shape == 1:
        props["managedNetwork"].pop("outboundRules")  # the rules are then read from outboundRules
        props["managedNetwork"]["isolationMode"] = "AllowInternetOutbound"
        rules = corpus.body(f"{ML}/ManagedNetwork/listRule.json")["value"]
        for rule in rules:
            rule["id"] = f"{ws_id}/outboundRules/{rule['name']}"
        estate.add_list(f"{ws_id}/outboundRules", rules)
    elif shape == 2:
        props.pop("managedNetwork")
        props["publicNetworkAccess"] = "Enabled"
        props["privateEndpointConnections"] = []
    estate.add_row(ws, sid, rg)
    if shape != 2:
        estate.add_row(_dependency("Microsoft.Network/privateEndpoints", pe_id, {
            "privateLinkServiceConnections": [{
                "name": f"pe-{tag}", "properties": {"privateLinkServiceId": ws_id, "groupIds": ["amlworkspace"],
                                                    "privateLinkServiceConnectionState": {"status": "Approved"}}}],
        }), sid, rg)

    computes = []
    for example, name in (("AmlCompute", "cpu-cluster"), ("ComputeInstance", f"ci-{tag}"), ("AKSCompute", "aks")):
        computes.append(_named(corpus.body(f"{ML}/Compute/get/{example}.json"), f"{ws_id}/computes/{name}",
                               "Microsoft.MachineLearningServices/workspaces/computes"))
    estate.add_list(f"{ws_id}/computes", computes)
    conn = _named(corpus.body(f"{ML}/WorkspaceConnection/get.json"), f"{ws_id}/connections/acr-{tag}",
                  "Microsoft.MachineLearningServices/workspaces/connections")
    estate.add_list(f"{ws_id}/connections", [conn])
    # No datastore or schedule example in the corpus: the documented 2025-12-01 shapes, minimal.
    estate.add_list(f"{ws_id}/datastores", [_named({"properties": {
        "datastoreType": "AzureBlob", "accountName": st["name"], "containerName": "data",
        "endpoint": "core.windows.net",
        "protocol": "https", "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
        "credentials": {"credentialsType": "None"}, "isDefault": True}},
        f"{ws_id}/datastores/workspaceblobstore", "Microsoft.MachineLearningServices/workspaces/datastores")])
    estate.add_list(f"{ws_id}/schedules", [] if w % 2 else [_named({"properties": {
        "displayName": "monitor", "isEnabled": True,
        "trigger": {"triggerType": "Recurrence", "frequency": "Day", "interval": 1},
        "action": {"actionType": "CreateMonitor", "monitorDefinition": {
            "monitoringTarget": {"deploymentId": f"{ws_id}/onlineEndpoints/ep-{tag}/deployments/blue"}}}}},
        f"{ws_id}/schedules/monitor-{tag}", "Microsoft.MachineLearningServices/workspaces/schedules")])
    estate.add_list(f"{ws_id}/providers/Microsoft.Insights/diagnosticSettings",
                    [_diagnostic(corpus, ws_id, "to-law")] if w % 2 == 0 else [])

    ep = _named(corpus.body(f"{ML}/Workspace/OnlineEndpoint/get.json"), f"{ws_id}/onlineEndpoints/ep-{tag}",
                "Microsoft.MachineLearningServices/workspaces/onlineEndpoints")
    ep["location"] = "westeurope"
    ep["properties"]["publicNetworkAccess"] = "Disabled" if shape != 2 else "Enabled"
    estate.add_row(ep, sid, rg)
    estate.add_list(f"{ep['id']}/providers/Microsoft.Insights/diagnosticSettings", [])
    dep = _named(corpus.body(f"{ML}/OnlineDeployment/ManagedOnlineDeployment/get.json"), f"{ep['id']}/deployments/blue",
                 "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments")
    dep["location"] = "westeurope"
    estate.add_row(dep, sid, rg)
    if w == 0:
        bep = _named(corpus.body(f"{ML}/Workspace/BatchEndpoint/get.json"), f"{ws_id}/batchEndpoints/batch-{tag}",
                     "Microsoft.MachineLearningServices/workspaces/batchEndpoints")
        estate.add_row(bep, sid, rg)
        bdep = _named(corpus.body(f"{ML}/Workspace/BatchDeployment/get.json"), f"{bep['id']}/deployments/main",
                      "Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments")
        estate.add_row(bdep, sid, rg)


@dataclass
class Fault:
    """One planned misbehaviour of one call: a status (with headers) and/or a delay."""

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    code: str = ""
    # Resource Graph: only a query of this table (resources, authorizationresources, ...) meets it
    table: str | None = None


@dataclass
class Logged:
    at: float
    method: str
    path: str  # path and query as sent
    status: int
    body: Any = None


class MockArm:
    """The server. `faults[(METHOD, lower-cased path)]` is a queue consumed one per request."""

    def __init__(
        self,
        estate: Estate,
        *,
        latency: float = 0.0,
        graph_page: int = 4,
        list_page: int = 2,
        tokens: tuple[str, ...] = (VALID_TOKEN,),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.estate = estate
        self.latency = latency
        self.graph_page = graph_page
        self.list_page = list_page
        self.tokens = set(tokens)
        self.faults: dict[tuple[str, str], list[Fault]] = {}
        self.log: list[Logged] = []
        # Requests being answered now, and the most there ever were at once (a client's bound on
        # requests in flight shows here).
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._dir = tempfile.TemporaryDirectory(prefix="mlwaf-mock-arm-")
        self.ca_bundle = Path(self._dir.name) / "ca.pem"
        self._server = self._make_server(host, port)
        self._thread: threading.Thread | None = None

    def _make_server(self, host: str, port: int) -> ThreadingHTTPServer:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        ca.cert_pem.write_to_path(str(self.ca_bundle))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(ctx)
        mock = self

        class Handler(_Handler):
            server_mock = mock

        server = _Server((host, port), Handler)
        server.daemon_threads = True
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        return server

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"https://{host}:{port}"

    def fail(self, method: str, path: str, *faults: Fault) -> None:
        self.faults.setdefault((method.upper(), path.lower()), []).extend(faults)

    def start(self) -> MockArm:
        self._thread = threading.Thread(target=self._server.serve_forever, name="mock-arm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._dir.cleanup()

    def __enter__(self) -> MockArm:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests(self) -> list[Logged]:
        with self._lock:
            return list(self.log)

    def _next_fault(self, method: str, path: str, table: str | None = None) -> Fault | None:
        with self._lock:
            queue = self.faults.get((method, path.lower())) or []
            for i, fault in enumerate(queue):
                if fault.table is None or fault.table == table:
                    return queue.pop(i)
            return None

    def _record(self, entry: Logged) -> None:
        with self._lock:
            self.log.append(entry)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (its timeout) closes the connection mid-answer: expected here."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    return int(base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)[1])


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer, sent at once: otherwise Nagle and delayed ACKs add ~40 ms a call.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server_mock: MockArm

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None, logged: Any = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self._done()
        self.wfile.write(payload)
        self.server_mock._record(Logged(time.monotonic(), self.command, self.path, status, logged))

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        mock = self.server_mock
        with mock._lock:
            mock.in_flight += 1
            mock.peak_in_flight = max(mock.peak_in_flight, mock.in_flight)
        self._counted = True
        try:
            self._answer()
        finally:
            self._done()

    def _done(self) -> None:
        """No longer in flight: said before the answer is sent, so a client that starts its next
        request on reading it is never counted beside this one."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.server_mock._lock:
                self.server_mock.in_flight -= 1

    def _answer(self) -> None:
        mock = self.server_mock
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if mock.latency:
            time.sleep(mock.latency)
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if token == EXPIRED_TOKEN:
            status, payload = _error(401, "ExpiredAuthenticationToken",
                                     "The access token expiry UTC time is earlier than current UTC time.")
            return self._reply(status, payload, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, body)
        if token not in mock.tokens:
            return self._reply(*_error(401, "AuthenticationFailed", "Authentication failed."), logged=body)
        parts = urlsplit(self.path)
        table = graph_table(body) if self.command == "POST" else None
        fault = mock._next_fault(self.command, parts.path, table)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                code = fault.code or {429: "TooManyRequests", 404: "ResourceNotFound",
                                      409: "MissingSubscriptionRegistration"}.get(fault.status, "InternalServerError")
                message = f"planned fault {fault.status}"
                if code == "MissingSubscriptionRegistration":
                    message = "The subscription is not registered to use namespace 'Microsoft.MachineLearningServices'."
                return self._reply(*_error(fault.status, code, message), headers, body)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if "api-version" not in query:
            return self._reply(*_error(400, "MissingApiVersionParameter", "api-version is required"), logged=body)
        status, payload = self._route(self.command, parts.path, query, body)
        self._reply(status, payload, logged=body)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        mock = self.server_mock
        estate = mock.estate
        lower = path.lower().rstrip("/")
        if method == "POST" and lower == GRAPH_PATH:
            return self._graph(body or {})
        if method != "GET":
            return _error(405, "MethodNotAllowed", f"{method} is not served by the mock")
        if lower == "/subscriptions":
            subs = [{"id": f"/subscriptions/{sid}", "subscriptionId": sid, "tenantId": TENANT, "displayName": name,
                     "state": "Enabled"} for sid, name in estate.subscriptions.items() if sid not in estate.forbidden]
            return 200, self._page(path, query, subs)
        m = re.fullmatch(r"/subscriptions/([^/]+)", lower)
        if m:
            sid = m.group(1)
            if sid in estate.forbidden:
                return _error(403, "AuthorizationFailed", "The client does not have authorization to perform "
                              f"action over scope '/subscriptions/{sid}'")
            if sid not in estate.subscriptions:
                return _error(404, "SubscriptionNotFound", f"The subscription '{sid}' could not be found.")
            return 200, {"id": f"/subscriptions/{sid}", "subscriptionId": sid, "tenantId": TENANT,
                         "displayName": estate.subscriptions[sid], "state": "Enabled"}
        sm = re.match(r"/subscriptions/([^/]+)/", lower)
        if sm and sm.group(1) in estate.forbidden:
            return _error(403, "AuthorizationFailed", "The client does not have authorization")
        if lower.endswith("/providers/microsoft.compute/skus"):
            m = re.fullmatch(r"location eq '([^']+)'", query.get("$filter", ""))
            if m is None:
                return _error(400, "InvalidFilter", "the mock serves resource SKUs filtered by location only")
            return 200, self._page(path, query, estate.lists.get(f"{lower}#{m.group(1).lower()}", []))
        if lower in estate.objects:
            return 200, estate.objects[lower]
        if lower in estate.lists:
            return 200, self._page(path, query, estate.lists[lower])
        return _error(404, "ResourceNotFound", f"The resource '{path}' was not found.")

    def _page(self, path: str, query: dict[str, str], items: list[Any]) -> dict[str, Any]:
        mock = self.server_mock
        start = _offset(query.get("$skipToken"))
        chunk = items[start : start + mock.list_page]
        out: dict[str, Any] = {"value": chunk}
        if start + mock.list_page < len(items):
            keep = "".join(f"&{k}={v}" for k, v in query.items() if k in ("$filter", "$expand"))
            out["nextLink"] = (f"{mock.url}{path}?api-version={query['api-version']}{keep}"
                               f"&$skipToken={_token(start + mock.list_page)}")
        return out

    def _graph(self, body: dict[str, Any]) -> tuple[int, Any]:
        estate = self.server_mock.estate
        query = str(body.get("query", ""))
        options = body.get("options") or {}
        if options.get("resultFormat") != "objectArray":
            return _error(400, "BadRequest", "the mock serves resultFormat objectArray only")
        table = graph_table(body)
        if table in estate.forbidden_tables:
            return _error(403, "AuthorizationFailed", f"the client has no read access to the data of table {table}")
        if table == "resourcecontainers":
            subs: set[str] = set()
            mgs = body.get("managementGroups") or []
            for mg in mgs:
                if mg not in estate.management_groups:
                    return _error(403, "AuthorizationFailed", f"no access to management group {mg}")
                subs.update(estate.management_groups[mg])
            if not mgs:
                subs = {s.lower() for s in body.get("subscriptions") or []}
            ancestors = {s: [{"name": mg} for mg, members in estate.management_groups.items() if s in members]
                         for s in subs}
            rows = [{"id": f"/subscriptions/{s}", "subscriptionId": s, "name": estate.subscriptions.get(s, s),
                     "type": "microsoft.resources/subscriptions",
                     "properties": {"managementGroupAncestorsChain": ancestors[s]}}
                    for s in sorted(subs) if s not in estate.forbidden]
        elif table != "resources":
            if table not in estate.tables:
                return _error(400, "BadRequest", f"the mock does not serve table {table}")
            requested = {s.lower() for s in body.get("subscriptions") or []}
            mgs = set(body.get("managementGroups") or [])
            types = set(re.findall(r"'([^']+)'", _clause(query, "type")))
            # `resourceGroup in~ (...) or isempty(resourceGroup)`: those groups and the rows above them
            groups = {g.lower() for g in re.findall(r"'([^']+)'", _clause(query, "resourceGroup"))}
            tenant = "isnotempty(subscriptionId)" not in query
            rows = [r for r in estate.tables[table]
                    if ((r["subscriptionId"] in requested and r["subscriptionId"] not in estate.forbidden)
                        or (not r["subscriptionId"] and not r.get("managementGroup") and requested and tenant)
                        or (r.get("managementGroup") in mgs))
                    and (not types or r["type"] in types)
                    and (not groups or not r.get("resourceGroup") or r["resourceGroup"].lower() in groups)]
            rows.sort(key=lambda r: r["id"].lower())
        else:
            requested = {s.lower() for s in body.get("subscriptions") or []}
            denied = requested & estate.forbidden
            if denied:
                return _error(403, "AuthorizationFailed", f"no access to {sorted(denied)}")
            types = set(re.findall(r"'([^']+)'", _clause(query, "type")))
            groups = {g.lower() for g in re.findall(r"'([^']+)'", _clause(query, "resourceGroup"))}
            rows = [r for r in estate.graph_rows
                    if r["subscriptionId"] in requested and (not types or r["type"] in types)
                    and (not groups or r["resourceGroup"].lower() in groups)]
            rows.sort(key=lambda r: r["id"].lower())
        top = min(int(options.get("$top") or 1000), self.server_mock.graph_page)
        start = _offset(options.get("$skipToken"))
        chunk = rows[start : start + top]
        out: dict[str, Any] = {"totalRecords": len(rows), "count": len(chunk), "resultTruncated": "false",
                               "facets": [], "data": chunk}
        if start + top < len(rows):
            out["$skipToken"] = _token(start + top)
        return 200, out


def graph_table(body: Any) -> str | None:
    """The table a Resource Graph query reads (its first word)."""
    query = body.get("query") if isinstance(body, dict) else None
    m = re.match(r"\s*(\w+)", query) if isinstance(query, str) else None
    return m.group(1).lower() if m else None


def _clause(query: str, column: str) -> str:
    m = re.search(rf"where\s+{column}\s+in~\s*\(([^)]*)\)", query)
    return m.group(1) if m else ""


def iter_env(mock: MockArm) -> Iterator[tuple[str, str]]:
    yield "MLWAF_ARM_ENDPOINT", mock.url
    yield "REQUESTS_CA_BUNDLE", str(mock.ca_bundle)
    yield "MLWAF_ACCESS_TOKEN", VALID_TOKEN


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=10, help="workspaces per subscription")
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--graph-page", type=int, default=1000, help="rows per Resource Graph page")
    parser.add_argument("--list-page", type=int, default=100, help="items per ARM list page")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    estate = build_estate(Corpus(args.corpus), subscriptions=args.subscriptions, workspaces=args.workspaces,
                          forbidden=())
    mock = MockArm(estate, latency=args.latency_ms / 1000, graph_page=args.graph_page, list_page=args.list_page,
                   port=args.port).start()
    info = {"url": mock.url, "ca_bundle": str(mock.ca_bundle), "subscriptions": list(estate.subscriptions),
            "resources": len(estate.all_ids()), "env": dict(iter_env(mock))}
    print(json.dumps(info), flush=True)
    print("# " + " ".join(f"{k}={v}" for k, v in iter_env(mock)), file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mock.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
