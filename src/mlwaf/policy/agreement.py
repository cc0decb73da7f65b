"""Checks and policies agree: every check whose `references.azure_policy` names a shipped,
evaluated built-in runs beside that policy on the check's fixtures (checks/fixtures) and on
../shared/corpus. Where both decide (check PASS or FAIL, policy Compliant or NonCompliant),
FAIL must meet NonCompliant and PASS Compliant, or the check's `@differs` text must explain the
difference, naming the policy (its GUID or first 8 characters).

    python -m mlwaf.policy.agreement      # rewrites the table in docs/policy.md

tests/policy/test_agreement.py fails on an undocumented difference and on a stale table.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlwaf.policy import applicability, catalog

if TYPE_CHECKING:
    from mlwaf.check import CheckSpec

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "checks" / "fixtures"
CORPUS = REPO.parent / "shared" / "corpus"
DOC = REPO / "docs" / "policy.md"
START, END = "<!-- agreement:start -->", "<!-- agreement:end -->"
# Assignment parameters a comparison needs where the built-in's defaults mean something else than
# the check: 6ddb1705 defaults isolationMode to "Disabled" and so flags every workspace that HAS
# a managed network; assigned as its name says ("should use Allow Only Approved Outbound").
PARAMETERS = {"6ddb1705-c8cf-450e-aa4b-19ad6703c440": {"isolationMode": "AllowOnlyApprovedOutbound"}}


@dataclass
class Pair:
    check_id: str
    guid: str
    display_name: str
    compared: int = 0
    agree: int = 0
    differences: list[str] = field(default_factory=list)  # "where: resource check=X policy=Y"
    documented: bool = False
    note: str = ""  # why nothing could be compared

    @property
    def undocumented(self) -> bool:
        return bool(self.differences) and not self.documented


def _inputs(corpus: Path | None) -> list[tuple[str, list[Path], dict]]:
    """(label, files read together, ctx) for every check fixture and the corpus."""
    out = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        if path.name.endswith(".ctx.json") or path.parent.name.startswith("_"):
            continue
        sidecar = path.with_name(path.name.removesuffix(".json") + ".ctx.json")
        ctx = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        files = [path, *(FIXTURES / "_inputs" / name for name in ctx.get("with", ()))]
        out.append((f"{path.parent.name}/{path.name}", files, ctx))
    if corpus is not None and corpus.is_dir():
        out.append(("corpus", [corpus], {}))
    return out


def _decided(status: str) -> str | None:
    return {"PASS": "Compliant", "FAIL": "NonCompliant"}.get(status)


def compare(corpus: Path | None = CORPUS) -> list[Pair]:
    from mlwaf import registry
    from mlwaf.check import CheckContext
    from mlwaf.engine import run_check
    from mlwaf.inventory import Inventory
    from mlwaf.policy.api import PolicyInputs, run
    from mlwaf.policy.model import Assignment
    from mlwaf.sources import read_paths

    reg = registry.load(entry_points=False)
    pairs: list[Pair] = []
    wanted: list[tuple[CheckSpec, Pair]] = []
    for spec in reg.sorted():
        for guid in spec.references.azure_policy:
            d = catalog.builtin_definition(guid)
            pair = Pair(spec.id, guid, d.display_name if d else "(not shipped)")
            differs = spec.differs
            pair.documented = guid.lower() in differs.lower() or guid[:8].lower() in differs.lower()
            pairs.append(pair)
            if d is None:
                pair.note = "not a shipped built-in"
            elif applicability.classify(d)[0] != applicability.ARM:
                pair.note = f"not evaluated: {applicability.classify(d)[1]}"
            elif any(p.required and p.name not in PARAMETERS.get(guid.lower(), {}) for p in d.parameters.values()):
                pair.note = "needs assignment parameters: " + ", ".join(
                    p.name for p in d.parameters.values() if p.required
                )
            else:
                wanted.append((spec, pair))
    for label, files, ctx in _inputs(corpus):
        source = read_paths(files)
        inventory = Inventory(source.resources, [*source.listed, *ctx.get("listed", ())])
        check_ctx = CheckContext(inventory=inventory, params=ctx.get("params", {}), live=bool(ctx.get("live")))
        for spec, pair in wanted:
            if label != "corpus" and not label.startswith(f"{pair.check_id}/"):
                continue
            assignment = Assignment(
                id=f"/providers/Microsoft.Authorization/policyAssignments/{pair.guid}",
                name=pair.guid,
                definition_id=f"/providers/Microsoft.Authorization/policyDefinitions/{pair.guid}",
                parameters=PARAMETERS.get(pair.guid.lower(), {}),
            )
            report = run(PolicyInputs(assignments=[assignment]), inventory)
            states = {id(r.resource): r.state.value for r in report.results}
            for resource in inventory.of_type(*spec.resource_types):
                want = _decided(run_check(spec, resource, check_ctx).status.value)
                got = states.get(id(resource))
                if want is None or got not in ("Compliant", "NonCompliant"):
                    continue
                pair.compared += 1
                if want == got:
                    pair.agree += 1
                else:
                    check = "FAIL" if want == "NonCompliant" else "PASS"
                    pair.differences.append(f"{label}: {resource.name} check {check}, policy {got}")
    return pairs


def render(pairs: Iterable[Pair]) -> str:
    lines = [
        START,
        "| check | policy | compared | agree | differ | documented (`@differs`) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for p in pairs:
        policy = f"{p.display_name} (`{p.guid[:8]}`)"
        if p.guid.lower() in PARAMETERS:
            policy += " with " + ", ".join(f"{k}={v}" for k, v in PARAMETERS[p.guid.lower()].items())
        if p.note:
            lines.append(f"| {p.check_id} | {policy} | - | - | - | not compared: {p.note} |")
            continue
        documented = "yes" if p.documented and p.differences else ("no: fails the test" if p.differences else "")
        lines.append(f"| {p.check_id} | {policy} | {p.compared} | {p.agree} | {len(p.differences)} | {documented} |")
    lines.append(END)
    return "\n".join(lines)


def update(doc: Path = DOC, corpus: Path | None = CORPUS) -> str:
    text = doc.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = head + render(compare(corpus)) + tail
    doc.write_text(new, encoding="utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    update(Path(args[0]) if args else DOC)
    print(f"updated {args[0] if args else DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
