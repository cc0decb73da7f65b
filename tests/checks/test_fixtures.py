"""Every fixture beside the checks, run through the real sources, inventory and check.

Convention (checks/README.md): checks/fixtures/<CHECK-ID>/<status>[-<what>].json, status one of
pass, fail, unknown, not_applicable. Each file is any document the sources read; the check runs
on every resource of its types in the file and each verdict must equal the status in the name.
An optional sidecar `<same name>.ctx.json` holds {"params": {...}, "live": bool, "listed": [...],
"with": [...]} for the run; `listed` names the lists the input holds in full (as a live scan or its
recording does), see Inventory.children_listed / type_listed; `with` names more inputs read in the
same scan (files under checks/fixtures/_inputs/, e.g. the workspace a dependency needs), so a
fixture can be one REST response at its own API version.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlwaf import registry
from mlwaf.check import CheckContext, consulted_defaults
from mlwaf.engine import run_check
from mlwaf.inventory import Inventory
from mlwaf.model import Status
from mlwaf.sources import read_paths

FIXTURES = Path(__file__).resolve().parents[2] / "checks" / "fixtures"
STATUSES = {
    "pass": Status.PASS,
    "fail": Status.FAIL,
    "unknown": Status.UNKNOWN,
    "not_applicable": Status.NOT_APPLICABLE,
}
_NAME = re.compile(r"^(pass|fail|unknown|not_applicable)(-[a-z0-9][a-z0-9-]*)?\.json$")


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.json")
                  if not p.name.endswith(".ctx.json") and not p.parent.name.startswith("_"))


@pytest.fixture(scope="module")
def checks() -> registry.Registry:
    return registry.load(entry_points=False)


def path_tokens(path: str) -> list[str]:
    """`properties.a[0].b` -> ['properties', 'a', '[]', 'b'] (indexes and [*] alike), lower case."""
    tokens = re.findall(r"\[[^\]]*\]|[^.\[\]]+", path)
    return ["[]" if t.startswith("[") else t.lower() for t in tokens]


def covers(declared: str, seen: str) -> bool:
    """A declared path covers evidence read at it, below it (a key inside an object it names) or
    above it (the list whose elements it names); `*` in a declaration matches any map key."""
    d, s = path_tokens(declared), path_tokens(seen)
    return all(a == b or a == "*" for a, b in zip(d, s, strict=False))


def test_fixture_names_follow_the_convention():
    bad = [str(p.relative_to(FIXTURES)) for p in fixture_files() if not _NAME.match(p.name)]
    assert not bad, f"fixture names must be <status>[-<what>].json: {bad}"
    assert fixture_files(), "no fixtures found"


def _expected(path: Path) -> Status:
    return STATUSES[path.name.split("-", 1)[0].removesuffix(".json")]


def _context(path: Path, inputs: list[Path]) -> tuple[CheckContext, list[Path]]:
    """The sidecar's context for a fixture read with `inputs` (the fixture and its `with` files)."""
    sidecar = path.with_name(path.name.removesuffix(".json") + ".ctx.json")
    ctx_data = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    inputs = [*inputs, *(FIXTURES / "_inputs" / name for name in ctx_data.get("with", ()))]
    source = read_paths(inputs)
    assert not source.errors, [e.message for e in source.errors]
    inventory = Inventory(source.resources, ctx_data.get("listed", ()))
    ctx = CheckContext(inventory=inventory, params=ctx_data.get("params", {}), live=bool(ctx_data.get("live")))
    return ctx, inputs


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_verdict(path: Path, checks: registry.Registry):
    spec = checks.get(path.parent.name)
    assert spec is not None, f"{path}: no check {path.parent.name}"
    expected = _expected(path)
    ctx, _ = _context(path, [path])
    inventory = ctx.inventory
    targets = inventory.of_type(*spec.resource_types)
    assert targets, f"{path}: no resource of {spec.resource_types}"
    paths = [p for group in spec.reads.values() for p in group]
    for resource in targets:
        with consulted_defaults() as consulted:
            verdict = run_check(spec, resource, ctx)
        assert verdict.status == expected, f"{resource.name}: {verdict.status} {verdict.message}"
        undeclared = [d.path for d in consulted if d not in spec.defaults]
        assert not undeclared, f"{spec.id} read defaults its @check(defaults=...) does not list: {undeclared}"
        assert verdict.message
        for ev in verdict.evidence:
            if ev.path.startswith("providers/"):
                continue  # an extension resource that was looked for, not a property
            assert any(covers(p, ev.path) for p in paths), (
                f"{spec.id} reported evidence at {ev.path!r}, which its @reads declaration does not name"
            )


# Maps whose keys are names the user chose (tags, deployments, rules), not property names.
_DATA_MAPS = {"tags", "traffic", "mirrortraffic", "userassignedidentities", "environmentvariables", "outboundrules"}


def _pascal(value: object, inside: bool = False) -> object:
    """Every property name below `properties` spelled as PowerShell's ConvertTo-Json spells it
    (`VmSize`, `AvailabilityZones`); names of the user's own maps kept."""
    if isinstance(value, dict):
        return {
            (k[0].upper() + k[1:] if inside and k[:1].islower() else k):
            _pascal(v, (inside or k.lower() == "properties") and k.lower() not in _DATA_MAPS)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_pascal(v, inside) for v in value]
    return value


def _stored(path: Path) -> bool:
    """A fixture of stored state (REST, export, Resource Graph), not a template: what a
    PowerShell export can hold."""
    data = json.loads(path.read_text())
    return not (isinstance(data, dict) and ("$schema" in data or "template" in data))


@pytest.mark.parametrize("path", [p for p in fixture_files() if _stored(p)],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_verdict_with_pascal_case_property_names(path: Path, checks: registry.Registry, tmp_path: Path):
    """Property names match case-insensitively everywhere, nested ones included: a check (or the
    inventory linking dependencies) reading `.get("vmSize")` would miss a PowerShell export's
    `VmSize` and judge a different resource than the REST form of the same one."""
    spec = checks.get(path.parent.name)
    assert spec is not None
    _, inputs = _context(path, [path])
    copies = []
    for i, original in enumerate(inputs):
        copy = tmp_path / f"{i}-{original.name}"
        copy.write_text(json.dumps(_pascal(json.loads(original.read_text()))))
        copies.append(copy)
    sidecar = path.with_name(path.name.removesuffix(".json") + ".ctx.json")
    if sidecar.exists():
        data = json.loads(sidecar.read_text())
        data.pop("with", None)
        (tmp_path / f"0-{path.name.removesuffix('.json')}.ctx.json").write_text(json.dumps(data))
    ctx, _ = _context(copies[0], copies)
    for resource in ctx.inventory.of_type(*spec.resource_types):
        verdict = run_check(spec, resource, ctx)
        assert verdict.status == _expected(path), f"{resource.name}: {verdict.status} {verdict.message}"
