"""The ARM id of a declared resource, as Azure Resource Manager names it when it deploys it."""

from __future__ import annotations

from mlwaf import armid


def resource_id(
    rtype: str, name: str, subscription_id: str, resource_group: str, scope: str | None
) -> tuple[str, str, str]:
    """(id, type, name) of a resource declared with this type and name (and `scope`, as text,
    when the declaration has one). Extension resources hang below the resource they extend
    (`{target}/providers/{type}/{name}`), whichever way the template writes them."""
    lowered = rtype.lower()
    if "/providers/" in lowered:
        # Classic extension syntax: type `A.B/vaults/providers/X.Y/z`, name `kv/X.Y/n`.
        idx = lowered.index("/providers/")
        target_type, ext_type = rtype[:idx], rtype[idx + len("/providers/") :]
        names = name.split("/")
        n_target = len(target_type.split("/")) - 1
        target = armid.build(target_type, "/".join(names[:n_target]), subscription_id, resource_group)
        ext_names = names[n_target + 1 :]
        if "." not in ext_type.split("/", 1)[0] and len(names) > n_target:
            ext_type = f"{names[n_target]}/{ext_type}"  # the namespace is written in the name
        rid = armid.build(ext_type, "/".join(ext_names), scope=target)
        return rid, ext_type, "/".join(ext_names)
    if scope is not None:
        return armid.build(rtype, name, scope=_scope_id(scope, subscription_id, resource_group)), rtype, name
    return armid.build(rtype, name, subscription_id, resource_group), rtype, name


def _scope_id(scope: str, subscription_id: str, resource_group: str) -> str:
    if scope.startswith("/"):
        return scope
    # A resource of this deployment written as `Namespace/type/name`.
    parts = scope.strip("/").split("/")
    if len(parts) >= 3:
        types = [parts[0], *parts[1::2]]
        names = parts[2::2]
        return armid.build("/".join(types), "/".join(names), subscription_id, resource_group)
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
