"""Current aliases of the namespaces the assigned custom policies read, from the providers API
(`GET /providers/{namespace}?$expand=resourceTypes/aliases`, azure-mgmt-resource's
ResourceManagementClient pipeline), read once per namespace per scan.

The alias table shipped with mlwaf covers the built-in definitions' namespaces; a custom
definition may read any type, so its namespaces are asked for live and evaluate with Azure's
current aliases (the evaluator takes them beside the shipped table).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence

from mlwaf.model import Resource
from mlwaf.sources.live.collectors import Collected, Session, read_list
from mlwaf.sources.live.options import API_PROVIDERS
from mlwaf.sources.live.policy_state import DEFINITIONS

PROVIDERS = "microsoft.resources/providers"
READS = (PROVIDERS,)
_NAMESPACE = re.compile(r"\b(Microsoft\.[A-Za-z0-9]+)/", re.I)


def namespaces(definitions: Sequence[Resource]) -> list[str]:
    """The namespaces the custom definitions' rules name (fields and type conditions)."""
    found: dict[str, str] = {}
    for d in definitions:
        if d.type_key != DEFINITIONS or str(d.properties.get("policyType", "")).lower() == "builtin":
            continue
        text = json.dumps(d.properties.get("policyRule") or {})
        for ns in _NAMESPACE.findall(text):
            found.setdefault(ns.lower(), ns)
    return [found[k] for k in sorted(found)]


class AliasCache:
    """One read per namespace per scan, whoever asks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[str, Collected] = {}

    def collect(self, session: Session, wanted: Sequence[str]) -> Collected:
        out = Collected(collected=set(READS))
        todo = []
        with self._lock:
            for ns in wanted:
                if ns.lower() not in self._done:
                    todo.append(ns)
        for ns, got in zip(todo, session.parallel(lambda ns: _one(session, ns), todo), strict=True):
            with self._lock:
                self._done[ns.lower()] = got
        with self._lock:
            for ns in wanted:
                out.add(self._done[ns.lower()])
        return out


def _one(session: Session, namespace: str) -> Collected:
    from mlwaf.sources import azure_facts

    path = f"/providers/{namespace}"
    got = Collected()
    pages, error = read_list(session, f"aliases of {namespace}", session.clients.resources, path, API_PROVIDERS,
                             scope=path, query="?$expand=resourceTypes/aliases")
    for reply, file, _ in pages:
        if azure_facts.is_provider(reply.data):
            obj = azure_facts.provider(reply.data)
            got.resources.append(session.resource(obj, file, "", "provider", API_PROVIDERS, reply.request))
    if error is not None:
        got.errors.append(error)
    return got
