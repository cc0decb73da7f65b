"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning, Azure DevOps, IDE viewers).

What a consumer needs to trust the file, and why each piece is here:

- One rule per check, with short and full descriptions, markdown help carrying the remediation,
  a help URI, tags (pillar, resource family, `security` where it applies) and, for security
  rules, `security-severity` in GitHub's bands, so alerts sort like other security tools' alerts.
- Every result located in a file: the path relative to the repository (the scan root as seen
  from the working directory, then the file's path under it) and the line of the offending
  property, or of the resource when the property is absent. Resources read live carry their ARM
  id as a logical location as well (every result does: the id is what a person searches for).
- `partialFingerprints` from the check id and the normalized resource id only, never a line or
  a file: the same finding keeps its alert when the template is reformatted or moved around.
- Verdicts mapped onto SARIF's own vocabulary: FAIL is `kind: fail` with a level from the
  severity; UNKNOWN is `kind: review`; PASS (on request) is `kind: pass`. SARIF §3.27.10 says a
  result whose kind is not `fail` has level `none`, so review and pass results carry `none`.
  NOT_APPLICABLE is left out; a check that raised (ERROR) and inputs that could not be read are
  tool execution notifications, not results: they are facts about the run, not the estate.
- Suppressed findings stay in the file with a SARIF `suppressions` entry and the reason, so the
  consumer shows them as dismissed instead of re-opening or silently losing them.
- Azure Policy results (when the scan evaluated policies): one rule per definition, its `id` the
  definition's name, its descriptions the display name and the definition's description, a help
  link to the portal page of a built-in; a result per non-compliant (or failed) evaluation,
  level `error` where Azure would deny the request and `warning` for what it would audit, modify,
  append or deploy, located like a finding (the offending property's line) and fingerprinted by
  the result's identity (assignment id, definition, reference, resource: never a line). Compliant
  results join the passes on request; Unknown and Exempt ones are left out (the JSON and HTML
  reports have them); definitions not evaluated are notes about the run.
- GitHub's upload limits are respected deliberately: at most 25,000 results per run and 10 MB
  gzipped per file. When a scan has more, the most important results are kept (failures before
  unknowns, high severity first), and the file says what was left out and why.

The output is deterministic: the same input gives byte-identical files; the only time-dependent
field is `invocations[0].startTimeUtc`, which `--reproducible` leaves out.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from mlwaf import __version__, links
from mlwaf.check import CheckSpec
from mlwaf.model import Finding, Location, Pillar, Resource, Severity, Status, SuppressionMark
from mlwaf.report import Reporter, ReportOptions, Whole, skipped
from mlwaf.report import policy_results as shown
from mlwaf.results import ScanResult

if TYPE_CHECKING:
    from mlwaf.policy.results import PolicyResult

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
DEFAULT_CATEGORY = "mlwaf"
# The repository root, by the convention SARIF §3.4.4 names and GitHub code scanning follows.
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "mlwafFindingIdentity/v1"

# GitHub code scanning's hard limits ("SARIF results exceed hard limit", docs.github.com,
# code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit): a file over
# them is rejected. 10 MB is the gzip-compressed size per upload ("file-too-large").
MAX_RESULTS_PER_RUN = 25_000
MAX_TAGS_PER_RULE = 20
MAX_GZIP_BYTES = 10 * 1000 * 1000

# SARIF level of a failed check, and GitHub's `problem.severity` for non-security rules.
LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
PROBLEM_SEVERITY = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "recommendation"}
# GitHub maps security-severity to critical (9.0+), high (7.0-8.9), medium (4.0-6.9), low (0.1-3.9).
# mlwaf has no "critical": high sits inside GitHub's high band, and so on.
SECURITY_SEVERITY = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}



# --- rules ------------------------------------------------------------------------------------


def is_security(spec: CheckSpec) -> bool:
    """A rule is a security rule when it belongs to the security pillar or says so in its tags."""
    return spec.pillar is Pillar.SECURITY or "security" in {t.lower() for t in spec.tags}


def rule_tags(spec: CheckSpec) -> list[str]:
    """Tags in the order GitHub shows them (it shows 10 and rejects more than 20)."""
    tags: list[str] = []
    candidates = ["security"] if is_security(spec) else []
    candidates += [spec.pillar.value.replace("_", "-"), spec.family, *spec.tags, *spec.implements]
    for tag in candidates:
        tag = str(tag).strip()
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tags[:MAX_TAGS_PER_RULE]


def _rule_name(title: str) -> str:
    """SARIF `name`: an identifier-like form of the title (`WorkspaceDisablesPublicNetworkAccess`)."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title)) or "Check"


def help_markdown(spec: CheckSpec) -> str:
    """The rule's help page: why it matters, what to change, and where the guidance comes from."""
    from mlwaf.registry import recommendation_ids

    recs = recommendation_ids()
    lines = [f"**{spec.title}** ({spec.pillar.label}, {spec.severity.value} severity)", ""]
    if spec.rationale:
        lines += [spec.rationale, ""]
    lines += ["**Remediation**", "", spec.remediation, ""]
    if spec.absent:
        lines += ["**When the property is absent**", "", spec.absent, ""]
    if spec.implements:
        lines += ["**Implements**", ""]
        for rid in spec.implements:
            text = recs.get(rid, {}).get("text")
            lines.append(f"- {rid}: {text}" if text else f"- {rid}")
        lines.append("")
    refs = spec.references
    ref_lines = [f"- [{uri}]({uri})" for uri in refs.docs]
    ref_lines += [f"- Azure Policy: [{g}]({links.policy_definition(g)})" for g in refs.azure_policy]
    ref_lines += [f"- PSRule for Azure: [{n}]({links.psrule_rule(n)})" for n in refs.psrule]
    ref_lines += [f"- checkov: `{c}`" for c in refs.checkov]
    if ref_lines:
        lines += ["**References**", "", *ref_lines, ""]
    return "\n".join(lines).rstrip() + "\n"


def help_text(spec: CheckSpec) -> str:
    parts = [spec.rationale, f"Remediation: {spec.remediation}"]
    if spec.absent:
        parts.append(f"When the property is absent: {spec.absent}")
    return "\n\n".join(p for p in parts if p)


def rule(spec: CheckSpec) -> dict[str, Any]:
    security = is_security(spec)
    properties: dict[str, Any] = {
        "tags": rule_tags(spec),
        "precision": "high",
        "problem.severity": PROBLEM_SEVERITY[spec.severity],
    }
    if security:
        properties["security-severity"] = SECURITY_SEVERITY[spec.severity]
    properties["pillar"] = spec.pillar.value
    properties["resourceTypes"] = list(spec.resource_types)
    out: dict[str, Any] = {
        "id": spec.id,
        "name": _rule_name(spec.title),
        "shortDescription": {"text": spec.title},
        "fullDescription": {"text": spec.rationale or spec.title},
        "help": {"text": help_text(spec), "markdown": help_markdown(spec)},
        "defaultConfiguration": {"level": LEVEL[spec.severity]},
        "properties": properties,
    }
    help_uri = spec.references.docs[0] if spec.references.docs else links.WAF_PILLAR.get(spec.pillar)
    if help_uri:
        out["helpUri"] = help_uri
    return out


# --- results ----------------------------------------------------------------------------------


def fingerprint(finding: Finding) -> str:
    """Hash of `Finding.identity` (check id + normalized resource id, and a template's deployment):
    no line, so an alert keeps its identity when lines move."""
    return hashlib.sha256(finding.identity.encode("utf-8")).hexdigest()


def _uri(path: str, prefix: str) -> str:
    """A repository-relative URI reference: forward slashes, percent-encoded where needed."""
    from urllib.parse import quote

    joined = f"{prefix.rstrip('/')}/{path}" if prefix and prefix not in (".", "./") else path
    return quote(joined.replace("\\", "/").lstrip("/"), safe="/-._~!$&'()*+,;=:@")


def _location(resource: Resource, where: Location, prefix: str) -> dict[str, Any]:
    location: dict[str, Any] = {}
    path = where.path or resource.origin.path
    if path:
        line = where.line
        column = where.column
        if line is None:
            line, column = resource.position()
        region: dict[str, Any] = {"startLine": line if line and line >= 1 else 1}
        if column and column >= 1 and line:
            region["startColumn"] = column
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _uri(path, prefix), "uriBaseId": SRCROOT},
            "region": region,
        }
    location["logicalLocations"] = [{"name": resource.name, "fullyQualifiedName": resource.id, "kind": "resource"}]
    return location


def _message(finding: Finding) -> str:
    kind = finding.resource.type.rsplit("/", 1)[-1]
    text = finding.message.rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    return f"{text} ({kind} '{finding.resource.name}')"


def _suppression(mark: SuppressionMark) -> dict[str, Any]:
    # A suppression written in the scanned file itself (a tag or the template metadata of the
    # resource) is "inSource"; one from mlwaf's config file is "external" to the analysed file.
    out: dict[str, Any] = {"kind": "inSource" if mark.kind.in_source else "external", "status": "accepted"}
    if mark.reason:
        out["justification"] = mark.reason
    if mark.source:
        out["properties"] = {"source": mark.source}
    return out


def result(finding: Finding, rule_index: int, prefix: str, baseline_compared: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": finding.check_id, "ruleIndex": rule_index}
    if finding.status is Status.FAIL:
        out["kind"] = "fail"
        out["level"] = LEVEL[finding.severity]
    elif finding.status is Status.UNKNOWN:
        out["kind"] = "review"
        out["level"] = "none"
    else:  # PASS, only when asked for
        out["kind"] = "pass"
        out["level"] = "none"
    out["message"] = {"text": _message(finding)}
    out["locations"] = [_location(finding.resource, finding.location, prefix)]
    out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(finding)}
    if finding.suppression is not None and finding.suppression.active:
        out["suppressions"] = [_suppression(finding.suppression)]
    if baseline_compared:
        out["baselineState"] = "unchanged" if finding.in_baseline else "new"
    out["properties"] = {
        "status": finding.status.value,
        "pillar": finding.pillar.value,
        "severity": finding.severity.value,
        "resourceType": finding.resource.type,
        "evidence": [e.to_dict() for e in finding.evidence],
    }
    return out


def _priority(finding: Finding) -> tuple[int, int]:
    """Which results GitHub's limits keep first: active failures, then unknowns, then the rest;
    within each, high severity first (GitHub itself ranks what it shows by severity)."""
    if finding.status is Status.FAIL and not finding.suppressed:
        group = 0
    elif finding.status is Status.UNKNOWN and not finding.suppressed:
        group = 1
    elif finding.suppressed:
        group = 2
    else:
        group = 3
    return group, -finding.severity.rank


def selected(findings: Iterable[Finding], include_pass: bool) -> list[Finding]:
    wanted = {Status.FAIL, Status.UNKNOWN} | ({Status.PASS} if include_pass else set())
    return [f for f in findings if f.status in wanted]


# --- Azure Policy -----------------------------------------------------------------------------


def policy_level(r: PolicyResult) -> str:
    """What Azure would deny is an error; what it would audit, modify, append or deploy a warning."""
    return "error" if r.would == "deny" else "warning" if r.would else "note"


def policy_rule(r: PolicyResult) -> dict[str, Any]:
    """The rule of the definition `r` evaluated (its first result met names it)."""
    from mlwaf.policy import catalog
    from mlwaf.report.markdown import esc

    builtin = catalog.builtin_definition(r.definition_name) if catalog.is_builtin(r.definition_id) else None
    title = shown.title(r)
    description = (builtin.description if builtin is not None else "") or title
    uri = shown.help_uri(r.definition_id)
    link = f"[{esc(r.definition_id)}]({uri})" if uri else f"`{r.definition_id}`"
    markdown = f"**{esc(title)}** (Azure Policy, {esc(r.category)})\n\n{esc(description)}\n\nDefinition: {link}\n"
    level = "error" if r.effect.lower() == "deny" else "warning"
    out: dict[str, Any] = {
        "id": r.definition_name,
        "name": _rule_name(title),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": f"{description}\n\nAzure Policy definition {r.definition_id}", "markdown": markdown},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": [t for t in ("azure-policy", r.category) if t],
            "precision": "high",
            "problem.severity": level,
            "definitionId": r.definition_id,
            "category": r.category,
        },
    }
    if uri:
        out["helpUri"] = uri
    return out


def policy_result(r: PolicyResult, rule_index: int, prefix: str, baseline_compared: bool) -> dict[str, Any]:
    kind = r.resource.type.rsplit("/", 1)[-1]
    text = f"{shown.title(r)}: {r.reason} ({kind} '{r.resource.name}', assignment '{r.assignment}')"
    if r.message:
        text += f". {r.message}"
    out: dict[str, Any] = {"ruleId": r.definition_name, "ruleIndex": rule_index}
    out["kind"], out["level"] = ("fail", policy_level(r)) if r.failing else ("pass", "none")
    out["message"] = {"text": text}
    out["locations"] = [_location(r.resource, r.location, prefix)]
    out["partialFingerprints"] = {FINGERPRINT_KEY: hashlib.sha256(r.identity.encode("utf-8")).hexdigest()}
    if r.suppressed and r.suppression is not None:
        out["suppressions"] = [_suppression(r.suppression)]
    if baseline_compared:
        out["baselineState"] = "unchanged" if r.in_baseline else "new"
    properties: dict[str, Any] = {
        "state": r.state.value, "effect": r.effect, "would": r.would, "assignment": r.assignment,
        "assignmentId": r.assignment_id, "definitionId": r.definition_id, "referenceId": r.reference_id,
        "resourceType": r.resource.type,
        "evidence": shown.evidence(r),
    }
    if r.changes:
        properties["changes"] = shown.changes(r)
    if r.azure is not None:
        properties["azure"] = r.azure.to_dict()
    out["properties"] = {k: v for k, v in properties.items() if v is not None}
    return out


def _policy_priority(r: PolicyResult) -> tuple[int, int]:
    """As a finding's: active failures first, then suppressed, then passes; denials first."""
    group = (0 if r.failing and not r.suppressed else 2 if r.failing else 3)
    return group, -(Severity.HIGH if r.would == "deny" else Severity.MEDIUM).rank


# --- notifications ----------------------------------------------------------------------------


def _notifications(result_: ScanResult, prefix: str) -> list[dict[str, Any]]:
    """Inputs that could not be read and checks that raised: the run's own problems; and the
    inputs it skipped on purpose, as notes."""
    out: list[dict[str, Any]] = []
    for err in result_.errors:
        note: dict[str, Any] = {
            "level": "error",
            "message": {"text": f"Not assessed: {err.message}"},
            "descriptor": {"id": "input-error"},
        }
        if err.path and err.call is None:
            note["locations"] = [
                {"physicalLocation": {"artifactLocation": {"uri": _uri(err.path, prefix), "uriBaseId": SRCROOT}}}
            ]
        props = {k: v for k, v in (("scope", err.scope), ("call", err.call), ("status", err.status)) if v is not None}
        if err.call is not None or err.scope is not None:
            props["path"] = err.path
        if props:
            note["properties"] = props
        out.append(note)
    for item in skipped(result_):
        out.append({
            "level": "note",
            "message": {"text": f"Skipped {item.where}: {item.reason}"},
            "descriptor": {"id": "input-skipped"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": _uri(item.path, prefix), "uriBaseId": SRCROOT}}}
            ],
        })
    for n in result_.policy.not_evaluated if result_.policy is not None else ():
        out.append({
            "level": "note",
            "message": {"text": f"Azure Policy '{shown.title(n)}' (assignment '{n.assignment}') was not "
                                f"evaluated: {n.reason}"},
            "descriptor": {"id": "policy-not-evaluated"},
            "properties": {"definitionId": n.definition_id},
        })
    for f in result_.findings:
        if f.status is not Status.ERROR:
            continue
        out.append(
            {
                "level": "error",
                "message": {"text": f"Check {f.check_id} could not assess {f.resource.id}: {f.message}"},
                "descriptor": {"id": "check-error"},
                "associatedRule": {"id": f.check_id},
                "locations": [_location(f.resource, f.location, prefix)],
            }
        )
    return out


# --- the log ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """A result to write (a finding's or a policy result's): how GitHub's limits rank it, its
    status as the limits note names it, and how to build it."""

    priority: tuple[int, int]
    status: str
    build: Callable[[], dict[str, Any]]


def _policy_selected(scan: ScanResult, include_pass: bool) -> list[PolicyResult]:
    """Non-compliant (and failed) policy results, and the compliant ones with the passes; each
    definition's results together, in the order the reports list them."""
    if scan.policy is None:
        return []
    wanted = [r for r in scan.policy.results if r.failing or (include_pass and r.state.value == "Compliant")]
    return sorted(wanted, key=lambda r: (r.definition_name, r.definition_id, r.assignment, r.assignment_id,
                                         r.reference_id or "",
                                         r.resource.key, r.resource.deployment or ""))


def _utc(timestamp: str) -> str:
    """SARIF writes UTC times with a Z suffix."""
    return timestamp.replace("+00:00", "Z")


def _run(
    scan: ScanResult,
    options: ReportOptions,
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    limits: dict[str, Any] | None,
) -> dict[str, Any]:
    category = (options.sarif_category or DEFAULT_CATEGORY).strip().strip("/") or DEFAULT_CATEGORY
    invocation: dict[str, Any] = {"executionSuccessful": bool(scan.scanned) or not scan.errors}
    if scan.generated_at:
        invocation["startTimeUtc"] = _utc(scan.generated_at)
    notifications = _notifications(scan, options.source_prefix)
    if limits:
        warning = {"level": "warning", "message": {"text": limits["message"]}, "descriptor": {"id": "limits"}}
        notifications.insert(0, warning)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    overall = scan.scores.overall
    properties: dict[str, Any] = {
        "scores": {
            "overall": {"score": overall.score, "coverage": overall.coverage},
            "pillars": {
                p.value: {"score": s.score, "coverage": s.coverage} for p, s in scan.scores.total.pillars.items()
            },
        },
        "incomplete": scan.incomplete,
        # The pre-production gate's decision travels with the results, so a SARIF consumer sees
        # why a pipeline stopped without opening another report.
        "gate": {
            "decision": scan.gate.decision.value,
            "exitCode": int(scan.gate.exit_code),
            "reasons": [r.message for r in scan.gate.reasons],
        },
    }
    if limits:
        properties["limits"] = {k: v for k, v in limits.items() if k != "message"}
    if scan.omitted is not None:
        # PASS results of a summarized scan were counted, not kept (--sarif-include-pass has none).
        properties["omitted"] = {k: v for k, v in scan.omitted.to_dict().items() if k != "by_check"}
    return {
        "tool": {
            "driver": {
                "name": "mlwaf",
                "fullName": "mlwaf: Azure Well-Architected checks for Azure Machine Learning and AI estates",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"{category}/"},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": properties,
    }


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _gzip_size(text: str) -> int:
    # mtime=0 keeps the measurement itself deterministic.
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))


def to_log(scan: ScanResult, options: ReportOptions | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The SARIF log as a dict, and what GitHub's limits made us leave out (None if nothing)."""
    doc, _, limits = _encode(scan, options)
    return doc, limits


def _encode(scan: ScanResult, options: ReportOptions | None) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    """The log, its text (serialized once: the indented encoder is pure Python, and slow on
    tens of thousands of results) and the limits note."""
    options = options or ReportOptions()
    specs = sorted(scan.checks, key=lambda s: s.id)
    index = {s.id: i for i, s in enumerate(specs)}
    baseline_compared = scan.baseline is not None
    prefix = options.source_prefix
    chosen = [
        _Entry(_priority(f), f.status.value, partial(result, f, index[f.check_id], prefix, baseline_compared))
        for f in selected(scan.findings, options.sarif_include_pass)
        if f.check_id in index
    ]
    rules = [rule(s) for s in specs]
    # A summarized scan keeps no pass (its run property says so): no compliant policy result either.
    for r in _policy_selected(scan, options.sarif_include_pass and scan.omitted is None):
        if r.definition_name not in index:
            index[r.definition_name] = len(rules)
            rules.append(policy_rule(r))
        make = partial(policy_result, r, index[r.definition_name], prefix, baseline_compared)
        chosen.append(_Entry(_policy_priority(r), r.state.value, make))
    by_priority = sorted(range(len(chosen)), key=lambda i: (*chosen[i].priority, i))

    def build(keep: int, limits: dict[str, Any] | None) -> dict[str, Any]:
        results = [chosen[i].build() for i in sorted(by_priority[:keep])]
        return {
            "$schema": SCHEMA_URI,
            "version": SARIF_VERSION,
            "runs": [_run(scan, options, rules, results, limits)],
        }

    def limits_for(keep: int, reason: str) -> dict[str, Any]:
        left = len(chosen) - keep
        statuses = sorted({chosen[i].status for i in by_priority[keep:]})
        return {
            "message": (
                f"{len(chosen)} results exceed GitHub code scanning's limit ({reason}); the {keep} most "
                f"important were kept (failures before unknowns, high severity first) and {left} left "
                f"out ({', '.join(statuses)}). The JSON and HTML reports hold every finding."
            ),
            "results": len(chosen),
            "kept": keep,
            "omitted": left,
            "reason": reason,
        }

    keep = len(chosen)
    limits: dict[str, Any] | None = None
    if keep > MAX_RESULTS_PER_RUN:
        keep = MAX_RESULTS_PER_RUN
        limits = limits_for(keep, f"{MAX_RESULTS_PER_RUN} results per run")
    doc = build(keep, limits)
    text = _dumps(doc)
    if _gzip_size(text) > MAX_GZIP_BYTES:
        # Largest number of results that still fits: the size grows with every result kept.
        reason = f"{MAX_GZIP_BYTES // 1_000_000} MB gzip-compressed per file"
        lo, hi = 0, keep - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _gzip_size(_dumps(build(mid, limits_for(mid, reason)))) <= MAX_GZIP_BYTES:
                lo = mid
            else:
                hi = mid - 1
        keep = lo
        limits = limits_for(keep, reason)
        doc = build(keep, limits)
        text = _dumps(doc)
    return doc, text, limits


def render(result_: ScanResult, options: ReportOptions | None = None) -> str:
    _, text, limits = _encode(result_, options)
    if limits:
        # Said where a person running the scan sees it, not only inside the file.
        print(f"mlwaf: warning: SARIF: {limits['message']}", file=sys.stderr)
    return text


REPORTER: Reporter = Whole(render)
