"""Generate the check reference (docs/checks/), the coverage table (docs/coverage.md) and the
sourced defaults (docs/defaults.md) from the checks' metadata and mlwaf.defaults, so the
documentation cannot drift from what the scanner does.

    python -m mlwaf.docs            # writes docs/ under the current directory
    python -m mlwaf.docs --out DIR

A test regenerates both into a temporary folder and fails when the committed files differ.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mlwaf import defaults as catalog
from mlwaf import links
from mlwaf.check import REQUEST, STATE, CheckSpec, Default, Rule
from mlwaf.model import Pillar
from mlwaf.registry import builtin_pack_dir, load, recommendation_ids

REASONS = ("process", "live only", "no signal")


def coverage_notes(pack: Path | None = None) -> dict[str, dict[str, str]]:
    """Why a recommendation has no check: checks/COVERAGE.toml of the built-in pack."""
    path = (pack or builtin_pack_dir()) / "COVERAGE.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text("utf-8"))
    return {k: {"reason": str(v.get("reason", "")), "note": str(v.get("note", ""))} for k, v in data.items()}


def _fixtures(spec: CheckSpec, pack: Path) -> list[str]:
    folder = pack / "fixtures" / spec.id
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.glob("*.json") if not p.name.endswith(".ctx.json"))


def render_check(spec: CheckSpec, recs: dict[str, dict[str, Any]], pack: Path) -> str:
    refs = spec.references
    lines = [
        f"# {spec.id}: {spec.title}",
        "",
        "| | |",
        "|---|---|",
        f"| Pillar | {spec.pillar.label} |",
        f"| Severity | {spec.severity.value} |",
        f"| Resource types | {', '.join(f'`{t}`' for t in spec.resource_types)} |",
        f"| Implements | {', '.join(spec.implements)} |",
        "",
    ]
    if spec.rationale:
        lines += ["## Why", "", spec.rationale, ""]
    lines += ["## Guidance implemented", ""]
    for rid in spec.implements:
        text = recs.get(rid, {}).get("text", "")
        lines.append(f"- **{rid}**: {text}")
    lines.append("")
    if spec.reads:
        lines += ["## Properties read", ""]
        for rtype, paths in spec.reads.items():
            where = "the resource" if rtype == "" else f"related `{rtype}`"
            for p in paths:
                lines.append(f"- `{p}` ({where})")
        lines.append("")
    if spec.absent:
        lines += ["## When a property is absent", "", spec.absent, ""]
    if spec.defaults:
        lines += ["## Defaults applied", "", "Each from its source, for the API versions and inputs it holds for "
                  "([all defaults](../defaults.md)); where none holds, the check is UNKNOWN.", ""]
        lines += _rules_table(spec.defaults)
        lines.append("")
    if spec.params:
        lines += ["## Configuration", "", "Set in the config file's `[params]` table (shared by name) or in "
                  f'`[params."{spec.id}"]`.', ""]
        lines += [f"- `{k}`: {v}" for k, v in spec.params.items()]
        lines.append("")
    lines += ["## Remediation", "", spec.remediation, "", "## References", ""]
    lines += [f"- {d}" for d in refs.docs]
    lines += [f"- Azure Policy: [{g}]({links.policy_definition(g)})" for g in refs.azure_policy]
    lines += [f"- PSRule for Azure: [{n}]({links.psrule_rule(n)})" for n in refs.psrule]
    lines += [f"- checkov: {c} ({links.CHECKOV_INDEX})" for c in refs.checkov]
    lines.append("")
    if spec.differs:
        lines += ["## Differences from other tools", "", spec.differs, ""]
    examples = _fixtures(spec, pack)
    if examples:
        lines += ["## Examples", "", "Test fixtures (the file name says the expected verdict):", ""]
        lines += [f"- [`{name}`](../../checks/fixtures/{spec.id}/{name})" for name in examples]
        lines.append("")
    return "\n".join(lines)


_ORIGIN_WORDS = {REQUEST: "template", STATE: "stored"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _source_cell(rule: Rule) -> str:
    src = rule.source
    if src.is_spec:
        file = src.where.rsplit("/", 1)[-1]
        label = f"{file} {src.api_version or ''}, {src.definition}".replace(" ,", ",")
    else:
        label = src.url.removeprefix("https://learn.microsoft.com/")
    return f"[{_cell(label)}]({src.url}): *{_cell(src.words).strip()}*"


def _rule_scope(rule: Rule) -> str:
    scope = rule.versions()
    if rule.created_before:
        scope += f", created before {rule.created_before}"
    return scope


def _value_cell(rule: Rule) -> str:
    text = "not set" if rule.value is None else f"`{rule.value!r}`"
    if rule.unset:
        text += " (unset)"
    if rule.when:
        text += f": {_cell(rule.when)}"
    return text


def _rules_table(defaults: Iterable[Default]) -> list[str]:
    lines = ["| property | resource types | value | API versions | input | source |", "|---|---|---|---|---|---|"]
    for d in defaults:
        types = ", ".join(t.split("/", 1)[-1] for t in d.types)
        for rule in d.rules:
            origins = ", ".join(_ORIGIN_WORDS[o] for o in rule.origins)
            lines.append(f"| `{d.path}` | {types} | {_value_cell(rule)} | {_rule_scope(rule)} | {origins} | "
                         f"{_source_cell(rule)} |")
        earliest = min((r.since for r in d.rules if r.since), default=None)
        if d.introduced:
            lines.append(f"| `{d.path}` | {types} | none: UNKNOWN | before {d.introduced} (the property does not "
                         "exist there) | any not listed above | |")
        elif earliest and all(r.since for r in d.rules):
            lines.append(f"| `{d.path}` | {types} | none: UNKNOWN | before {earliest} (no default verified "
                         "there) | any | |")
    return lines


def render_defaults(specs: list[CheckSpec]) -> str:
    users: dict[int, list[str]] = {}
    for s in specs:
        for d in s.defaults:
            users.setdefault(id(d), []).append(s.id)
    declared = catalog.all_defaults()
    lines = [
        "# Defaults",
        "",
        "What mlwaf reads into a property an input leaves out, each from the REST API specification "
        "(Azure/azure-rest-api-specs) or the Microsoft Learn page that says so. Generated by `python -m mlwaf.docs` "
        "from `src/mlwaf/defaults.py`; do not edit.",
        "",
        "## How a default is chosen",
        "",
        "- **By input.** A deployment template is a request: the default Azure gives a resource created without the "
        "property applies (*template* below). A REST GET, list page, `az` output, export or Resource Graph row is "
        "stored state (*stored*): an absent property there can mean the resource never set it, perhaps before the "
        "default changed, so some defaults differ by input or are not applied to stored state at all.",
        "- **By API version.** A template's `apiVersion`, a REST example's or live request's `api-version`, or an "
        "`apiVersion` key the input kept. A property that does not exist at that version (read or written at an "
        "older one) has no default: the check is UNKNOWN.",
        "- **API version unknown** (a saved GET or list page without one, Resource Graph rows, whose properties are "
        "not at a version the row states): the current schema's default is applied only where it is the same in "
        "every API version that has the property; where it differs the check is UNKNOWN and says why.",
        "- **unset** marks an optional setting the specification gives no default: the source shows what the "
        "setting switches, and the value is the specification's own name for not switching it on (an opt-in flag "
        "off, an enum's Disabled or None). A condition after the value is applied by the check before it uses the "
        "rule.",
        "- **Not in the table:** an absent list or map (private endpoint connections, outbound rules, traffic, "
        "tags) is read as empty, and an absent optional reference (a subnet, a linked resource) as not set: the "
        "schema's meaning of leaving it out, not a default value. A property the API requires has no default: "
        "absent, the input left it out and the check is UNKNOWN.",
        "",
        f"## The defaults ({len(declared)})",
        "",
    ]
    for name, d in declared:
        checks = ", ".join(f"[{c}](checks/{c}.md)" for c in sorted(users.get(id(d), []))) or "none"
        lines += [f"### `{name}`", "", f"Used by {checks}.", ""]
        lines += _rules_table([d])
        lines.append("")
    lines += ["## Defaults mlwaf does not apply", "",
              "No primary source gives these, so an absent property makes the check UNKNOWN (or the check no "
              "longer relies on it):", "",
              "| property | resource types | checks | why |", "|---|---|---|---|"]
    for dropped in catalog.DROPPED:
        types = ", ".join(t.split("/", 1)[-1] for t in dropped.types)
        lines.append(f"| `{dropped.path}` | {types} | {', '.join(dropped.checks)} | {_cell(dropped.why)} |")
    lines.append("")
    return "\n".join(lines)


def render_index(specs: list[CheckSpec]) -> str:
    lines = ["# Checks", "", f"{len(specs)} built-in checks. Generated by `python -m mlwaf.docs`; do not edit.", ""]
    for pillar in Pillar:
        group = [s for s in specs if s.pillar == pillar]
        if not group:
            continue
        lines += [f"## {pillar.label} ({len(group)})", "", "| id | severity | title | resource types |",
                  "|---|---|---|---|"]
        for s in group:
            types = ", ".join(t.split("/", 1)[-1] for t in s.resource_types)
            lines.append(f"| [{s.id}]({s.id}.md) | {s.severity.value} | {s.title} | {types} |")
        lines.append("")
    return "\n".join(lines)


def render_coverage(specs: list[CheckSpec], recs: dict[str, dict[str, Any]], notes: dict[str, dict[str, str]]) -> str:
    by_rec: dict[str, list[str]] = {}
    for s in specs:
        for rid in s.implements:
            by_rec.setdefault(rid, []).append(s.id)
    done = sum(1 for r in recs if r in by_rec)
    lines = [
        "# Coverage of the guidance",
        "",
        "Every recommendation of the guidance (its ids ship in src/mlwaf/data/recommendations.json) with the "
        "checks that implement it, or why none can. "
        "Generated by `python -m mlwaf.docs`; do not edit.",
        "",
        f"{done} of {len(recs)} recommendations have at least one check.",
        "",
        "| id | how to see it | recommendation | checks, or why none |",
        "|---|---|---|---|",
    ]
    for rid, rec in recs.items():
        if rid in by_rec:
            cell = ", ".join(f"[{c}](checks/{c}.md)" for c in sorted(by_rec[rid]))
        elif rid in notes:
            cell = f"none: {notes[rid]['reason']}. {notes[rid]['note']}"
        else:
            cell = "none (no reason recorded)"
        text = rec["text"].replace("|", "\\|")
        lines.append(f"| {rid} | {rec['how']} | {text} | {cell} |")
    lines.append("")
    return "\n".join(lines)


def generate(specs: Iterable[CheckSpec] | None = None) -> dict[str, str]:
    """Every generated file, by path relative to the docs folder."""
    specs = sorted(specs if specs is not None else load(entry_points=False).checks.values(), key=lambda s: s.id)
    recs = recommendation_ids()
    pack = builtin_pack_dir()
    out = {f"checks/{s.id}.md": render_check(s, recs, pack) for s in specs}
    out["checks/README.md"] = render_index(specs)
    out["coverage.md"] = render_coverage(specs, recs, coverage_notes(pack))
    out["defaults.md"] = render_defaults(specs)
    return out


def write(out_dir: Path) -> list[Path]:
    files = generate()
    written = []
    checks_dir = out_dir / "checks"
    checks_dir.mkdir(parents=True, exist_ok=True)
    for stale in checks_dir.glob("*.md"):
        if f"checks/{stale.name}" not in files:
            stale.unlink()
    for rel, text in files.items():
        path = out_dir / rel
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlwaf.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"), help="docs folder (default ./docs)")
    args = parser.parse_args(argv)
    written = write(args.out)
    print(f"wrote {len(written)} files under {args.out}")


if __name__ == "__main__":
    main()
