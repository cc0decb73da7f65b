"""What a run could not see: the files and live scopes its `errors` name.

A resource that is missing from a run is *removed* only if the run could have read it. A file
that failed to parse, a subscription that answered 403 or a child list that timed out leaves
its resources unseen: their findings stay open (unknown), never "fixed". Live errors carry the
ARM scope of the failed call (a subscription, or the parent resource of a child list); a scope
that is not a subscription or below (the subscription list, a management group) could hide any
subscription, so it covers every resource. Offline errors name the file. A live scan also says
which resource types it did not collect at all (`not_collected`): none of those was seen.
"""

from __future__ import annotations

from collections.abc import Iterable

from mlwaf import armid
from mlwaf.history.runreport import NotAssessed

_SUBSCRIPTION_PREFIX = "/subscriptions/"


class Coverage:
    """Answers: could this run have seen that resource?"""

    def __init__(self, errors: Iterable[NotAssessed], *, nothing_read: bool = False,
                 types: Iterable[str] = ()) -> None:
        self.types = frozenset(t.lower() for t in types)
        self.paths: set[str] = set()
        prefixes: list[str] = []
        self.everything = nothing_read
        for error in errors:
            if error.scope:
                scope = armid.normalize(error.scope)
                if scope.startswith(_SUBSCRIPTION_PREFIX) and len(scope) > len(_SUBSCRIPTION_PREFIX):
                    prefixes.append(scope)
                else:
                    self.everything = True
            elif error.path:
                self.paths.add(error.path)
        self.prefixes = frozenset(prefixes)

    @property
    def complete(self) -> bool:
        return not (self.everything or self.paths or self.prefixes or self.types)

    def missed(self, resource_key: str, path: str | None) -> bool:
        """True when the run may have missed this resource (normalized id, file it came from)."""
        if self.everything:
            return True
        if path is not None and path in self.paths:
            return True
        if self.types and (armid.type_of(resource_key) or "").lower() in self.types:
            return True
        if not self.prefixes:
            return False
        # The key and each of its ancestors (cut at a "/"), looked up rather than compared with
        # every failed scope: a large live scan may report many failed child lists.
        end = len(resource_key)
        while end > len(_SUBSCRIPTION_PREFIX):
            if resource_key[:end] in self.prefixes:
                return True
            end = resource_key.rfind("/", 0, end)
        return False
