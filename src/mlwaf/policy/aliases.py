"""Policy aliases: the name a rule writes (`Microsoft.Storage/storageAccounts/sku.name`) and the
property path it reads in the resource's JSON (`sku.name`).

Aliases are looked up by their full name, case-insensitively, never derived from it: the path
is not always `properties.<suffix>` (top-level `sku.name`, `properties.properties.subnet.id` on
ML computes, `[*]` elements wrapped in `properties`, renamed properties), and namespace-level
aliases (`Microsoft.Compute/imagePublisher`) have a different path per resource type (the
alias list of each resource provider says so). An alias the table does not know is not a
missing property: Azure treats the definition as not applicable, and so does mlwaf, saying which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mlwaf.policy import store


class UnknownAlias(Exception):
    def __init__(self, alias: str) -> None:
        super().__init__(alias)
        self.alias = alias

    def __str__(self) -> str:
        return (
            f"alias {self.alias!r} is not in mlwaf's alias table (PSRule for Azure's snapshot of "
            "Get-AzPolicyAlias; see src/mlwaf/policy/data/PROVENANCE.md)"
        )


NamespaceLoader = Callable[[str], Mapping[str, Mapping[str, str]] | None]


class AliasTable:
    """Alias name -> {resource type: path}, built one namespace at a time on first use."""

    def __init__(self, load: NamespaceLoader = store.alias_namespace) -> None:
        self._load = load
        self._namespaces: dict[str, dict[str, dict[str, str]]] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}

    def _namespace(self, namespace: str) -> dict[str, dict[str, str]]:
        ns = namespace.lower()
        index = self._namespaces.get(ns)
        if index is None:
            index = {}
            for rtype, aliases in (self._load(ns) or {}).items():
                full = f"{ns}/{rtype.lower()}"
                for alias, path in aliases.items():
                    index.setdefault(alias.lower(), {})[full] = path
            self._namespaces[ns] = index
        return index

    def paths(self, alias: str) -> Mapping[str, str]:
        """{resource type: path} of an alias; raises UnknownAlias."""
        entry = self._namespace(alias.split("/", 1)[0]).get(alias.lower())
        if entry is None:
            raise UnknownAlias(alias)
        return entry

    def knows(self, alias: str) -> bool:
        return alias.split("/", 1)[0] != alias and alias.lower() in self._namespace(alias.split("/", 1)[0])

    def resolve(self, alias: str, resource_type: str) -> str | None:
        """The path of an alias on a resource of `resource_type`, or None when the alias is
        defined for other types only (the property does not exist there). Raises UnknownAlias."""
        key = (alias, resource_type)
        try:
            return self._resolved[key]
        except KeyError:
            path = self._resolved[key] = self.paths(alias).get(resource_type.lower())
            return path


_default: AliasTable | None = None


def default_table() -> AliasTable:
    """The shipped table, shared (it only grows by namespaces loaded)."""
    global _default
    if _default is None:
        _default = AliasTable()
    return _default
