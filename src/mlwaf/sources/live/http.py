"""Every request of a live scan: read-only by construction, throttle-aware, within a time budget.

Requests go through the Azure SDK clients' own pipelines (ARM authentication, user agent, cloud
endpoint), as raw requests: the typed models of some management SDKs are years behind the REST
API and drop properties checks read. The SDK's own retry is switched off; `Caller` retries
instead, because it must honor Retry-After on the Resource Graph POST too (the SDK default does
not retry POST) and share one throttle across all workers, so that a 429 pauses the whole scan
instead of letting every other worker walk into the same limit.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import (
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.rest import HttpRequest, HttpResponse

from mlwaf.sources.live import auth
from mlwaf.sources.live.options import API_RESOURCE_GRAPH, LiveOptions

GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
# A Retry-After longer than this is taken as this: the budget still bounds the whole wait.
MAX_RETRY_AFTER = 300.0


class ReadOnlyViolation(RuntimeError):
    """A request the scanner must never send (a write, or a call to another host)."""


class ReadOnlyPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuses, before the token is attached, any request but GET, POST to the Resource Graph
    query endpoint, or any request to a host other than the ARM endpoint.

    It sits right after the retry policy, so it also sees requests other policies make on their
    own (ARM's automatic resource-provider registration is a POST: refused here).
    """

    def __init__(self, endpoint: str) -> None:
        parts = urlsplit(endpoint)
        self._origin = (parts.scheme.lower(), parts.netloc.lower())

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        http = request.http_request
        parts = urlsplit(http.url)
        method = http.method.upper()
        if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
            raise ReadOnlyViolation(f"refused {method} to {parts.netloc}: not the ARM endpoint of this scan")
        if method == "GET":
            return
        if method == "POST" and parts.path.rstrip("/").lower() == GRAPH_PATH.lower():
            return
        raise ReadOnlyViolation(
            f"refused {method} {parts.path}: mlwaf is read-only (GET, and POST only to the Resource "
            "Graph query endpoint)"
        )


@dataclass(frozen=True)
class Reply:
    """A 2xx response: its JSON and the call that produced it."""

    url: str
    status: int
    data: Any
    request: str  # "GET https://..." as shown in Origin and reports


class CallFailed(Exception):
    """A call that gave no usable answer after its retries: becomes a not-assessed entry."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from Retry-After (seconds or an HTTP date), or Resource Graph's
    x-ms-user-quota-resets-after (hh:mm:ss)."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - (now if now is not None else time.time()))
    resets = headers.get("x-ms-user-quota-resets-after")
    if resets:
        try:
            h, m, s = (float(x) for x in resets.split(":"))
            return h * 3600 + m * 60 + s
        except ValueError:
            return None
    return None


def arm_error(response: HttpResponse) -> tuple[str, str]:
    """(code, message) of an ARM error body, or ("", the reason phrase)."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return str(err.get("code") or ""), str(err.get("message") or "").strip()
    return "", (response.reason or f"HTTP {response.status_code}")


class Throttle:
    """One gate for every worker: after a 429, nobody sends until its Retry-After has passed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def wait(self, deadline: float) -> bool:
        """Sleep until the gate opens; False if it opens only after the deadline."""
        while True:
            with self._lock:
                until = self._until
            now = time.monotonic()
            if until <= now:
                return True
            if until > deadline:
                return False
            time.sleep(until - now)


class Budget:
    """The scan's overall time limit; every wait and timeout is cut to what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


class Clients:
    """The SDK clients whose pipelines carry the requests, all pointed at one ARM endpoint,
    sharing one connection pool sized to the concurrency."""

    def __init__(self, credential: Any, options: LiveOptions) -> None:
        import requests
        from azure.core.pipeline.transport import RequestsTransport
        from azure.mgmt.compute import ComputeManagementClient
        from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient
        from azure.mgmt.monitor import MonitorManagementClient
        from azure.mgmt.resource.resources import ResourceManagementClient
        from azure.mgmt.resource.subscriptions import SubscriptionClient
        from azure.mgmt.resourcegraph import ResourceGraphClient

        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=2, pool_maxsize=options.max_concurrency + 2, max_retries=0
        )
        self._session.mount("https://", adapter)
        # The environment (proxy, CA bundle) is read once here, not on every request: with
        # trust_env, requests looks for ~/.netrc, the proxy variables and the CA bundle variables
        # on each call, a large share of the scanner's CPU per request (docs/performance.md, live).
        # Every call goes to this one endpoint (ReadOnlyPolicy), so its proxies are these.
        self._session.trust_env = False
        self._session.proxies = requests.utils.get_environ_proxies(options.endpoint)
        verify: bool | str = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        transport = RequestsTransport(session=self._session, session_owner=False, connection_verify=verify)
        common: dict[str, Any] = {
            "base_url": options.endpoint,
            "credential_scopes": [options.scope],
            "transport": transport,
            "retry_total": 0,
            "per_retry_policies": [ReadOnlyPolicy(options.endpoint)],
        }
        # Raw requests carry their own subscription in the URL; the clients' is never used.
        unused = "00000000-0000-0000-0000-000000000000"
        self.subscriptions = SubscriptionClient(credential, **common)
        self.graph = ResourceGraphClient(credential, **common)
        self.ml = MachineLearningServicesMgmtClient(credential, unused, **common)
        self.monitor = MonitorManagementClient(credential, unused, **common)
        # Usages and resource SKUs; the providers API (aliases).
        self.compute = ComputeManagementClient(credential, unused, **common)
        self.resources = ResourceManagementClient(credential, unused, **common)

    def close(self) -> None:
        self._session.close()


def _send(client: Any, request: HttpRequest, **kwargs: Any) -> HttpResponse:
    send = getattr(client, "send_request", None) or client._send_request
    return send(request, **kwargs)


class Caller:
    """Sends one logical call with retries, under the shared throttle and the budget."""

    def __init__(
        self,
        options: LiveOptions,
        budget: Budget,
        on_attempt: Callable[[], None] = lambda: None,
        on_throttled: Callable[[], None] = lambda: None,
    ) -> None:
        self.options = options
        self.budget = budget
        self.throttle = Throttle()
        self._on_attempt = on_attempt
        self._on_throttled = on_throttled

    def url(self, path: str, api_version: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.options.endpoint}{path}{sep}api-version={api_version}"

    def get(self, client: Any, url: str) -> Reply:
        return self._call(client, "GET", url, None)

    def graph(self, client: Any, body: dict[str, Any]) -> Reply:
        return self._call(client, "POST", self.url(GRAPH_PATH, API_RESOURCE_GRAPH), body)

    def _call(self, client: Any, method: str, url: str, body: dict[str, Any] | None) -> Reply:
        shown = f"{method} {url}"
        attempts = 0
        throttled = False
        while True:
            attempts += 1
            if not self.throttle.wait(self.budget.deadline) or self.budget.left() <= 0:
                if throttled:
                    raise CallFailed(
                        f"throttled (429) until after the time budget of {self.budget.seconds:g} s", 429
                    )
                raise CallFailed(f"time budget of {self.budget.seconds:g} s exhausted before the call")
            timeout = max(0.05, min(self.options.call_timeout, self.budget.left()))
            request = HttpRequest(method, url, json=body) if body is not None else HttpRequest(method, url)
            self._on_attempt()
            try:
                response = _send(client, request, connection_timeout=timeout, read_timeout=timeout)
            except ReadOnlyViolation as err:
                raise CallFailed(str(err)) from None
            except ClientAuthenticationError as err:
                text = auth.scrub(str(err)).strip().splitlines()
                raise auth.AuthError(
                    f"no Azure identity could get a token ({text[0] if text else 'no detail'}); "
                    f"{auth.HOW_TO_SIGN_IN}"
                ) from None
            except (ServiceRequestError, ServiceResponseError) as err:
                inner = type(getattr(err, "inner_exception", None)).__name__.lower()
                if "timed out" in str(err).lower() or "timeout" in inner:
                    reason = f"no answer within {timeout:.1f} s"
                else:
                    reason = f"connection failed: {auth.scrub(str(err))}"
                if attempts < self.options.max_attempts and self._pause(self._backoff(attempts)):
                    continue
                raise CallFailed(f"{reason} (after {attempts} attempts)") from None
            status = response.status_code
            if 200 <= status < 300:
                try:
                    data = response.json()
                except ValueError:
                    raise CallFailed(f"the {status} answer was not JSON", status) from None
                return Reply(url=url, status=status, data=data, request=shown)
            code, message = arm_error(response)
            if status == 401:
                raise auth.rejected(status, code, message)
            if status == 429 or status >= 500 or status == 408:
                wait = retry_after(response.headers)
                if status == 429:
                    throttled = True
                    self._on_throttled()
                    # Hold everyone, not only this worker: the limit is shared.
                    self.throttle.hold(min(wait if wait is not None else self._backoff(attempts), MAX_RETRY_AFTER))
                    wait = 0.0
                elif wait is None:
                    wait = self._backoff(attempts)
                if attempts < self.options.max_attempts and self._pause(min(wait, MAX_RETRY_AFTER)):
                    continue
                raise CallFailed(
                    f"{status} {auth.scrub(code + ': ' + message if code else message)} (after {attempts} attempts)",
                    status,
                )
            raise CallFailed(f"{status} {auth.scrub(code + ': ' + message if code else message)}", status)

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.8 + 0.4 * random.random())

    def _pause(self, seconds: float) -> bool:
        """Sleep before a retry; False (give up) when the budget would end first."""
        if seconds >= self.budget.left():
            return False
        if seconds > 0:
            time.sleep(seconds)
        return True
