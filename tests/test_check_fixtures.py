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

FIXTURES = Path(__file__).resolve().parents[1] / "checks" / "fixtures"
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


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_verdict(path: Path, checks: registry.Registry):
    spec = checks.get(path.parent.name)
    assert spec is not None, f"{path}: no check {path.parent.name}"
    expected = STATUSES[path.name.split("-", 1)[0].removesuffix(".json")]
    sidecar = path.with_name(path.name.removesuffix(".json") + ".ctx.json")
    ctx_data = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    source = read_paths([path, *(FIXTURES / "_inputs" / name for name in ctx_data.get("with", ()))])
    assert not source.errors, [e.message for e in source.errors]
    inventory = Inventory(source.resources, ctx_data.get("listed", ()))
    ctx = CheckContext(inventory=inventory, params=ctx_data.get("params", {}), live=bool(ctx_data.get("live")))
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
