"""Merging part reports into one ScanResult (see mlwaf.merge for what is refused and why)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mlwaf import armid, engine, gate, scoring
from mlwaf.assessment import Assessment
from mlwaf.baseline import Baseline
from mlwaf.check import CheckSpec
from mlwaf.gate import GateOptions
from mlwaf.inventory import Inventory
from mlwaf.merge import parts as P
from mlwaf.merge import rebuild
from mlwaf.model import Finding, Resource, SuppressionKind
from mlwaf.resource_types import Member
from mlwaf.results import ScanResult
from mlwaf.scan import DETAIL_LIMIT
from mlwaf.sources.coverage import Gap
from mlwaf.suppressions import Invalid, RuleUse, Suppression, SuppressionReport

MergeError = P.MergeError


@dataclass(frozen=True)
class MergeOptions:
    """What the merge decides itself, as a scan of the whole scope would: the gate, the baseline
    and the detail limit (the command line and mlwaf.toml, as for `mlwaf scan`)."""

    gate: GateOptions = field(default_factory=GateOptions)
    baseline: Baseline | None = None
    detail_limit: int = DETAIL_LIMIT


def rebuilt(parts: Sequence[P.Part], checks: Sequence[CheckSpec], options: MergeOptions | None = None) -> ScanResult:
    """The parts' reports (loaded and found compatible) as one result, each part's verdicts as it
    gave them. `checks`: the loaded checks, of which the reports' (tool.check_ids) are taken for
    the reports' rules and descriptions."""
    options = options or MergeOptions()
    specs = specs_of(parts[0], checks)
    inventory, owners = _inventory(parts)
    findings = _findings(parts, owners)
    omitted = None
    if options.detail_limit and len(findings) > options.detail_limit:
        findings, omitted = _summarized(findings, options)
    diff = None
    if options.baseline is not None:
        findings, diff = options.baseline.apply(findings)
    policy = _policy(parts, owners, inventory)
    if policy is not None and options.baseline is not None and diff is not None:
        policy, diff = options.baseline.apply_policy(policy, diff)
    scores = scoring.score(findings, inventory, omitted, recorded=_members(parts, owners))
    assessment = Assessment(
        inventory=inventory,
        findings=findings,
        checks=specs,
        check_sources=dict(parts[0].tool.get("check_sources", {})),
        scanned=_scanned(parts),
        errors=_unique(rebuild.input_error(e) for part in parts for e in part.data.get("errors", ())),
        scores=scores,
        suppressions=_suppressions(parts, findings, policy),
        baseline=diff,
        omitted=omitted,
        not_collected=_not_collected(parts),
        policy=policy,
        generated_at=max((p.tool["generated_at"] for p in parts if p.tool.get("generated_at")), default=None),
        check_digest=parts[0].tool["check_digest"],
    )
    return ScanResult.decided(assessment, gate.evaluate(assessment, options.gate))


def specs_of(part: P.Part, checks: Sequence[CheckSpec]) -> list[CheckSpec]:
    """The parts' checks among those loaded; MergeError when one is not loaded."""
    by_id = {s.id: s for s in checks}
    missing = [cid for cid in part.tool["check_ids"] if cid not in by_id]
    if missing:
        raise MergeError(f"{part.path}: checks {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} are not "
                         "loaded: give the --checks-dir the scans were given")
    wanted = set(part.tool["check_ids"])
    return [s for s in checks if s.id in wanted]


def _uid(resource_id: str, deployment: str | None) -> str:
    key = armid.normalize(resource_id)
    return key if deployment is None else f"{key}|{deployment}"


@dataclass
class Owners:
    """Each resource uid's merged Resource and the part (index) it was taken from."""

    resources: dict[str, Resource] = field(default_factory=dict)
    part: dict[str, int] = field(default_factory=dict)

    def find(self, index: int, item: Mapping[str, Any]) -> Resource | None:
        """The merged resource of a finding or policy result of part `index`; None when another
        part holds it (the overlap is checked by `_findings`)."""
        uid = _uid(item["resource_id"], item.get("deployment"))
        if uid not in self.resources:
            raise MergeError(f"{item.get('resource_id')}: judged in a report that does not list it among its resources")
        return self.resources[uid] if self.part[uid] == index else None


def _inventory(parts: Sequence[P.Part]) -> tuple[Inventory, Owners]:
    owners = Owners()
    first_reads: list[Resource] = []
    again: list[Resource] = []
    for index, part in enumerate(parts):
        mine: dict[tuple[str, str | None], Resource] = {}
        for item in part.data.get("resources", ()):
            r = rebuild.resource(item)
            mine.setdefault((r.key, r.origin.path), r)
            if r.uid in owners.resources:  # another part read it too: a second read, as in one scan
                again.append(rebuild.duplicate({"id": r.id, "path": r.origin.path}, owners.resources[r.uid]))
                continue
            owners.resources[r.uid] = r
            owners.part[r.uid] = index
            first_reads.append(r)
        for entry in part.data.get("duplicates", ()):
            key = armid.normalize(entry["id"])
            if entry.get("scanned"):  # a resource of its own (another template's): listed, and here its place
                own = mine.get((key, entry.get("path")))
                if own is not None:
                    own.origin = replace(own.origin, pointer=entry.get("pointer") or "")
                continue
            first = mine.get((key, entry.get("first_path")))
            if first is not None:
                again.append(rebuild.duplicate(entry, owners.resources.get(first.uid, first)))
    inventory = Inventory(first_reads)
    inventory.duplicates.extend(again)
    return inventory, owners


def _comparable(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("in_baseline", "history")}


def _findings(parts: Sequence[P.Part], owners: Owners) -> list[Finding]:
    out: list[Finding] = []
    seen: dict[str, dict[str, Any]] = {}  # identity -> the owner's finding, for overlaps
    overlapping: list[tuple[int, Mapping[str, Any]]] = []
    for index, part in enumerate(parts):
        for item in part.data.get("findings", ()):
            r = owners.find(index, item)
            if r is None:
                overlapping.append((index, item))
                continue
            seen[f"{item['check_id']}|{r.uid}"] = _comparable(item)
            out.append(rebuild.finding(item, r))
    for index, item in overlapping:
        uid = _uid(item["resource_id"], item.get("deployment"))
        mine = seen.get(f"{item['check_id']}|{uid}")
        if mine is None or {**mine, "location": None} != {**_comparable(item), "location": None}:
            owner = parts[owners.part[uid]].path
            raise MergeError(
                f"{parts[index].path} and {owner} both hold {item['resource_id']} and judge it differently "
                f"({item['check_id']}: {item['status']} and {mine['status'] if mine else 'no finding'}): "
                "merge reports of parts of one scan, each resource in one part"
            )
    out.sort(key=lambda f: (f.resource.key, f.resource.deployment or "", f.check_id))
    return out


def _summarized(findings: list[Finding], options: MergeOptions) -> tuple[list[Finding], engine.Omitted]:
    """Above the detail limit, PASS and NOT_APPLICABLE findings counted, not listed (a scan's
    rule, mlwaf.engine.run), except those the baseline must report as fixed."""
    omitted = engine.Omitted(options.detail_limit, len(findings))
    keep = options.baseline.entries if options.baseline is not None else ()
    kept = []
    for f in findings:
        if f.status in engine.SUMMARIZED and not f.suppressed and (not keep or f.identity not in keep):
            omitted.rows[f.resource.uid, f.pillar, f.status, f.severity] += 1
            omitted.by_check[f.check_id, f.status] += 1
        else:
            kept.append(f)
    return kept, omitted


def _policy(parts: Sequence[P.Part], owners: Owners, inventory: Inventory) -> Any:
    sections = [p.data.get("policy") for p in parts]
    if all(s is None for s in sections):
        return None
    from mlwaf.merge import policy

    order = {r.uid: i for i, r in enumerate(inventory.resources)}
    return policy.merged([(s or {}, functools.partial(owners.find, i)) for i, s in enumerate(sections)], order)


def _members(parts: Sequence[P.Part], owners: Owners) -> dict[str, list[Member]]:
    """Each workspace's members as its part's report recorded them."""
    out: dict[str, list[Member]] = {}
    for part in parts:
        for scope in (part.data.get("scores") or {}).get("scopes", ()):
            if scope.get("kind") != scoring.ScopeKind.WORKSPACE.value:
                continue
            members = []
            for m in scope.get("members", ()):
                r = owners.resources.get(_uid(m["id"], m.get("deployment")))
                if r is not None:
                    members.append(Member(m["role"], r))
            ws = next((m.resource for m in members if m.role == "workspace"), None)
            if ws is not None:
                out.setdefault(ws.uid, members)
    return out


def _scanned(parts: Sequence[P.Part]) -> list[Any]:
    """Every part's inputs once; an input one part skipped (a folder it excluded) and another
    read, at or below that path, was read by the whole."""
    entries = _unique(rebuild.scanned(s) for part in parts for s in part.data.get("scanned", ()))
    read = [s.path.rstrip("/") for s in entries if s.kind != "skipped"]
    return [s for s in entries if s.kind != "skipped"
            or not any(r == s.path.rstrip("/") or r.startswith(s.path.rstrip("/") + "/") for r in read)]


def related_checks(checks: Sequence[CheckSpec]) -> list[str]:
    """The checks that judge a resource by others it relates to (they declare what they read of
    other types): a related resource in another part was not in this part's scan, so their
    verdicts are each part's, which a merge cannot judge again (mlwaf.merge)."""
    return sorted(s.id for s in checks if any(t for t in s.reads))


def _unique(items: Any) -> list[Any]:
    """Each item once, in first-seen order (the policy inputs' errors repeat in every part)."""
    return list(dict.fromkeys(items))


_IGNORED = re.compile(r"ignored \((\d+) found\)")


def _suppressions(parts: Sequence[P.Part], findings: Sequence[Finding], policy: Any) -> SuppressionReport:
    """The parts' suppression sections as one: a rule's matches add up, each rule and invalid
    inline suppression listed once; the counts of suppressed findings and results are counted
    again on the merged ones."""
    uses: dict[tuple[Any, ...], list[Any]] = {}
    invalid: list[Invalid] = []
    honored, found = True, 0
    for part in parts:
        section = part.data.get("suppressions") or {}
        ignored = _IGNORED.fullmatch(section.get("inline", "honored"))
        if ignored:
            honored, found = False, found + int(ignored.group(1))
        for use in section.get("rules", ()):
            rule = _rule(use)
            entry = uses.setdefault((rule, use.get("expired")), [rule, bool(use.get("expired")), 0])
            entry[2] += int(use.get("matched", 0))
        invalid.extend(Invalid(i["resource_id"], i["source"], i["message"]) for i in section.get("invalid", ()))
    return SuppressionReport(
        inline_honored=honored, inline_found=found, suppressed=sum(1 for f in findings if f.suppressed),
        rules=tuple(RuleUse(rule, expired, matched) for rule, expired, matched in uses.values()),
        invalid=tuple(_unique(invalid)),
        policy_suppressed=sum(1 for r in policy.results if r.suppressed) if policy is not None else None,
    )


def _rule(item: Mapping[str, Any]) -> Suppression:
    import datetime as dt

    expires = item.get("expires")
    return Suppression(check=item.get("check", ""), resource=item["resource"], reason=item["reason"],
                       expires=dt.date.fromisoformat(expires) if expires else None,
                       source=item.get("source", "config"), kind=SuppressionKind(item.get("kind", "config")),
                       policy=item.get("policy"))


def _not_collected(parts: Sequence[P.Part]) -> list[Gap] | None:
    """What no part collected: a type one subscription's scan collected is collected in a scan of
    all of them, so the merged gaps are the types missing from every part."""
    lists = [p.data.get("not_collected") for p in parts]
    if all(gaps is None for gaps in lists):
        return None
    common = set.intersection(*({g["type"] for g in gaps or ()} for gaps in lists))
    first = {g["type"]: g for gaps in lists for g in gaps or () if g["type"] in common}
    return [Gap(t, first[t]["reason"], tuple(first[t]["checks"])) for t in sorted(common)]
