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
from collections.abc import Iterable, Sequence
from typing import Any

from mlwaf import __version__, links
from mlwaf.check import CheckSpec
from mlwaf.model import Finding, Pillar, Severity, Status, SuppressionMark
from mlwaf.report import Reporter, ReportOptions, Whole, skipped
from mlwaf.results import ScanResult

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


def _location(finding: Finding, prefix: str) -> dict[str, Any]:
    resource = finding.resource
    location: dict[str, Any] = {}
    path = finding.location.path or resource.origin.path
    if path:
        line = finding.location.line
        column = finding.location.column
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
    out["locations"] = [_location(finding, prefix)]
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
    for f in result_.findings:
        if f.status is not Status.ERROR:
            continue
        out.append(
            {
                "level": "error",
                "message": {"text": f"Check {f.check_id} could not assess {f.resource.id}: {f.message}"},
                "descriptor": {"id": "check-error"},
                "associatedRule": {"id": f.check_id},
                "locations": [_location(f, prefix)],
            }
        )
    return out


# --- the log ----------------------------------------------------------------------------------


def _utc(timestamp: str) -> str:
    """SARIF writes UTC times with a Z suffix."""
    return timestamp.replace("+00:00", "Z")


def _run(
    scan: ScanResult,
    options: ReportOptions,
    specs: Sequence[CheckSpec],
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
                "rules": [rule(s) for s in specs],
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
    chosen = [f for f in selected(scan.findings, options.sarif_include_pass) if f.check_id in index]
    baseline_compared = scan.baseline is not None
    by_priority = sorted(range(len(chosen)), key=lambda i: (*_priority(chosen[i]), i))

    def build(keep: int, limits: dict[str, Any] | None) -> dict[str, Any]:
        kept = sorted(by_priority[:keep])
        results = [result(chosen[i], index[chosen[i].check_id], options.source_prefix, baseline_compared) for i in kept]
        return {
            "$schema": SCHEMA_URI,
            "version": SARIF_VERSION,
            "runs": [_run(scan, options, specs, results, limits)],
        }

    def limits_for(keep: int, reason: str) -> dict[str, Any]:
        left = len(chosen) - keep
        dropped = [chosen[i] for i in by_priority[keep:]]
        statuses = sorted({f.status.value for f in dropped})
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
