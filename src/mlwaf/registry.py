"""Finding checks: the built-in pack, a user's `--checks-dir`, and packages' entry points.

The built-in pack loads through exactly the mechanism a user's folder does (a folder of Python
modules whose functions carry `@check` metadata), so the pack is proof that the mechanism works.
Metadata is validated at load time and a mistake fails loudly, naming the file and the field.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from types import ModuleType
from typing import Any

from mlwaf import params as check_params
from mlwaf.check import CHECK_ATTR, DIFFERS_ATTR, READS_ATTR, CheckSpec, Default, References
from mlwaf.model import Pillar, Severity
from mlwaf.params import Param

ENTRY_POINT_GROUP = "mlwaf.checks"
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


class CheckLoadError(Exception):
    """A check that cannot be loaded: the message names the file and the field that is wrong."""


def builtin_pack_dir() -> Path:
    """The built-in pack: inside the installed package (wheel), or `checks/` of a source tree."""
    shipped = Path(str(importlib_resources.files("mlwaf"))) / "builtin_checks"
    if shipped.is_dir():
        return shipped
    source_tree = Path(__file__).resolve().parents[2] / "checks"
    if source_tree.is_dir():
        return source_tree
    raise CheckLoadError(
        "the built-in check pack is missing from this installation "
        f"(looked in {shipped} and {source_tree}); reinstall mlwaf"
    )


def recommendation_ids() -> dict[str, dict[str, str]]:
    """The ids of the guidance the checks implement, shipped as data (data/recommendations.json) so
    `implements` is checked."""
    data = importlib_resources.files("mlwaf").joinpath("data/recommendations.json").read_text("utf-8")
    return {r["id"]: r for r in json.loads(data)["recommendations"]}


@dataclass
class Registry:
    checks: dict[str, CheckSpec] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # source -> number of checks

    def add(self, spec: CheckSpec, where: str) -> None:
        if spec.id in self.checks:
            other = self.checks[spec.id]
            raise CheckLoadError(
                f"{where}: check id {spec.id!r} is already defined by {other.source}"
            )
        self.checks[spec.id] = spec
        self.counts[spec.source] = self.counts.get(spec.source, 0) + 1

    def sorted(self) -> list[CheckSpec]:
        return [self.checks[k] for k in sorted(self.checks)]

    def get(self, check_id: str) -> CheckSpec | None:
        if check_id in self.checks:
            return self.checks[check_id]
        upper = check_id.upper()
        return self.checks.get(upper)


def _str_list(value: Any, where: str, name: str, *, required: bool) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise CheckLoadError(f"{where}: field {name!r} must be a list of strings, got {value!r}")
    if required and not value:
        raise CheckLoadError(f"{where}: field {name!r} must not be empty")
    return tuple(value)


# The pillar a check id names (`MLW-SEC-001`); an id that names one need not repeat it.
PILLAR_CODES = {
    "SEC": Pillar.SECURITY,
    "REL": Pillar.RELIABILITY,
    "COST": Pillar.COST_OPTIMIZATION,
    "OPS": Pillar.OPERATIONAL_EXCELLENCE,
    "PERF": Pillar.PERFORMANCE_EFFICIENCY,
}
# A property path a check declares: dotted names, `[*]` any list element, `[N]`, `*` any map key.
_SEGMENT = r"(?:[A-Za-z0-9_$@-]+|\*)(?:\[(?:\*|\d+)\])*"
_PATH = re.compile(rf"^{_SEGMENT}(?:\.{_SEGMENT})*$")


def validate(meta: Mapping[str, Any], fn: Any, where: str, source: str, known_ids: set[str]) -> CheckSpec:
    cid = meta.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise CheckLoadError(
            f"{where}: field 'id' must look like 'MLW-SEC-001' (upper case, dash-separated), got {cid!r}"
        )
    where = f"{where}: check {cid}"
    for name in ("title", "remediation"):
        if not isinstance(meta.get(name), str) or not meta[name].strip():
            raise CheckLoadError(f"{where}: field {name!r} is required (a non-empty string)")
    try:
        severity = Severity(str(meta.get("severity")).lower())
    except ValueError:
        raise CheckLoadError(
            f"{where}: field 'severity' is {meta.get('severity')!r}; use high, medium or low"
        ) from None
    types = _str_list(meta.get("resource_types"), where, "resource_types", required=True)
    for t in types:
        if "/" not in t:
            raise CheckLoadError(f"{where}: field 'resource_types' has {t!r}, not an ARM type (Namespace/type)")
    implements = _str_list(meta.get("implements"), where, "implements", required=True)
    unknown_ids = [i for i in implements if i not in known_ids]
    if unknown_ids and source == "builtin":
        raise CheckLoadError(
            f"{where}: field 'implements' names {', '.join(unknown_ids)}, not in the guidance ids"
        )
    if not callable(fn):
        raise CheckLoadError(f"{where}: the decorated object is not callable")
    absent, defaults = _defaults(meta, where)
    reads = _reads(meta, fn, where)
    _defaults_read(defaults, reads, types, where)
    return CheckSpec(
        id=cid,
        title=meta["title"].strip(),
        pillar=_pillar(meta.get("pillar"), cid, where),
        severity=severity,
        resource_types=types,
        implements=implements,
        remediation=meta["remediation"].strip(),
        references=_references(meta.get("references"), where),
        fn=fn,
        rationale=str(meta.get("rationale") or "").strip(),
        absent=absent,
        defaults=defaults,
        tags=_str_list(list(meta.get("tags") or []), where, "tags", required=False),
        params=_params(meta.get("params"), where),
        source=source,
        reads=reads,
        differs=_differs(meta, fn, where),
    )


def _pillar(value: Any, cid: str, where: str) -> Pillar:
    named = PILLAR_CODES.get(cid.split("-")[1])
    if value is None:
        if named is None:
            raise CheckLoadError(f"{where}: field 'pillar' is required (the id names no pillar: "
                                 f"{', '.join(PILLAR_CODES)})")
        return named
    try:
        pillar = Pillar(str(value).lower())
    except ValueError:
        allowed = ", ".join(p.value for p in Pillar)
        raise CheckLoadError(f"{where}: field 'pillar' is {value!r}; use one of {allowed}") from None
    if named is not None and pillar is not named:
        raise CheckLoadError(f"{where}: field 'pillar' is {pillar.value}, but the id names {named.value}")
    return pillar


def _references(refs: Any, where: str) -> References:
    if refs is None:
        return References()
    if isinstance(refs, References):
        return refs
    if not isinstance(refs, Mapping):
        raise CheckLoadError(f"{where}: field 'references' must be References(...) or a mapping")
    bad = set(refs) - {"docs", "azure_policy", "psrule", "checkov"}
    if bad:
        raise CheckLoadError(f"{where}: field 'references' has unknown keys {sorted(bad)}")
    return References(**{k: _str_list(v, where, f"references.{k}", required=False) for k, v in refs.items()})


def _reads(meta: Mapping[str, Any], fn: Any, where: str) -> dict[str, tuple[str, ...]]:
    """{"": own paths, lower-case type: paths}, from `reads`/`reads_related` or the @reads
    decorator of checklib (the form before `check(reads=...)`), never both."""
    own, related = meta.get("reads") or (), meta.get("reads_related") or {}
    legacy = getattr(fn, READS_ATTR, None)
    if legacy is not None:
        if own or related:
            raise CheckLoadError(f"{where}: reads are declared twice (check(reads=...) and @reads); keep one")
        own, related = legacy.get("", ()), {k: v for k, v in legacy.items() if k}
    if not isinstance(related, Mapping):
        raise CheckLoadError(f"{where}: field 'reads_related' must map ARM types to lists of paths")
    out = {"": _str_list(list(own), where, "reads", required=False)} if own else {}
    for rtype, paths in related.items():
        if not isinstance(rtype, str) or "/" not in rtype:
            raise CheckLoadError(f"{where}: field 'reads_related' has {rtype!r}, not an ARM type (Namespace/type)")
        out[rtype.lower()] = _str_list(list(paths), where, f"reads_related[{rtype!r}]", required=False)
    for paths in out.values():
        for path in paths:
            if not _PATH.match(path):
                raise CheckLoadError(f"{where}: read path {path!r} is not a property path (a.b[*].c, tags.*)")
    return out


def _defaults_read(defaults: tuple[Default, ...], reads: Mapping[str, tuple[str, ...]], types: tuple[str, ...],
                   where: str) -> None:
    """A Default a check applies is one of the properties it declares it reads."""
    if not reads:
        return
    own = {t.lower() for t in types}
    for d in defaults:
        on = [k for k in reads if (k == "" and (not d.types or own & {t.lower() for t in d.types}))
              or k in {t.lower() for t in d.types}]
        if not any(d.matches(p) for k in on for p in reads[k]):
            raise CheckLoadError(f"{where}: field 'defaults' has the default of {d.path}, which the check does "
                                 "not declare it reads")


def _differs(meta: Mapping[str, Any], fn: Any, where: str) -> str:
    text, legacy = meta.get("differs") or "", getattr(fn, DIFFERS_ATTR, None)
    if legacy is not None:
        if text:
            raise CheckLoadError(f"{where}: differs is declared twice (check(differs=...) and @differs); keep one")
        text = legacy
    if not isinstance(text, str):
        raise CheckLoadError(f"{where}: field 'differs' must be text")
    return text.strip()


def _defaults(meta: Mapping[str, Any], where: str) -> tuple[str, tuple[Default, ...]]:
    """(what the check makes of absent properties in words, its sourced Defaults). A string in
    `defaults` is the form from before sourced defaults: the words."""
    absent = str(meta.get("absent") or "").strip()
    declared = meta.get("defaults") or ()
    if isinstance(declared, str):
        return absent or declared.strip(), ()
    if not isinstance(declared, Sequence) or not all(isinstance(d, Default) for d in declared):
        raise CheckLoadError(f"{where}: field 'defaults' must be a list of Default (mlwaf.check.Default)")
    return absent, tuple(declared)


def _params(value: Any, where: str) -> dict[str, Param]:
    try:
        return check_params.declared(value, where)
    except ValueError as err:
        raise CheckLoadError(str(err)) from None


def specs_in_module(module: ModuleType, where: str, source: str, known_ids: set[str]) -> list[CheckSpec]:
    """The checks a module defines: its functions carrying `@check` metadata (decorated, or made
    by `value_check`), and the checks of its `check_family` tuples; never one it imported."""
    out = []
    for value in vars(module).values():
        for item in value if isinstance(value, tuple) else (value,):
            meta = getattr(item, CHECK_ATTR, None)
            if meta is not None and getattr(item, "__module__", None) == module.__name__:
                out.append(validate(meta, item, where, source, known_ids))
    return out


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"mlwaf_checks_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CheckLoadError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[name]
        raise CheckLoadError(f"{path}: importing the check module failed: {type(err).__name__}: {err}") from err
    return module


def load_dir(registry: Registry, folder: Path, source: str, known_ids: set[str]) -> None:
    if not folder.is_dir():
        raise CheckLoadError(f"{folder}: checks folder does not exist")
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _import_file(path)
        for spec in specs_in_module(module, str(path), source, known_ids):
            registry.add(spec, str(path))


def load_entry_points(registry: Registry, known_ids: set[str]) -> None:
    """Packages publish checks as an entry point in group `mlwaf.checks` naming a module."""
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        where = f"entry point {ep.name} ({ep.value})"
        try:
            target = ep.load()
        except Exception as err:
            raise CheckLoadError(f"{where}: loading failed: {type(err).__name__}: {err}") from err
        modules = [target] if isinstance(target, ModuleType) else []
        if not modules and callable(target) and hasattr(target, CHECK_ATTR):
            spec = validate(getattr(target, CHECK_ATTR), target, where, f"entry point {ep.name}", known_ids)
            registry.add(spec, where)
            continue
        for module in modules:
            for spec in specs_in_module(module, where, f"entry point {ep.name}", known_ids):
                registry.add(spec, where)


def load(checks_dirs: Iterable[Path] = (), *, builtin: bool = True, entry_points: bool = True) -> Registry:
    registry = Registry()
    known = set(recommendation_ids())
    if builtin:
        load_dir(registry, builtin_pack_dir(), "builtin", known)
    for folder in checks_dirs:
        load_dir(registry, folder, str(folder), known)
    if entry_points:
        load_entry_points(registry, known)
    return registry
