"""One JSON report, read for comparing runs: findings by identity, resources, scores, policy
results and what was not assessed, without the evidence and locations only reporters need.

A 100k-resource report holds hundreds of thousands of findings; keeping each as the parsed dict
costs gigabytes, so a `Builder` takes items one at a time (from a parsed document or a stream)
and keeps frozen rows of the few fields a diff or the history uses.

Identity is the baseline's (`mlwaf.model.identity`): the check, the normalized resource id and,
for a resource a template describes (`model.describes`), its deployment: the template and
parameter files in repository terms, as the report writes it on the resource and each of its
findings (`deployment`). Reports written before that key existed have it rebuilt from the
resource's origin (paths relative to that scan's root; a finding goes to the template its
location is in). A template that moved or was renamed changes those identities; `compare.moved`
matches them again the way the baseline does.

A summarized report (above the detail limit) lists no PASS or NOT_APPLICABLE findings; `counted`
says which checks had such findings, so "absent from the list" is read as "counted", not "gone".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mlwaf import armid, model

SUPPORTED_SCHEMA = 1
# When one identity is listed twice (a resource read from two files), the worse status wins.
_STATUS_RANK = {"FAIL": 5, "ERROR": 4, "UNKNOWN": 3, "PASS": 2, "NOT_APPLICABLE": 1}
# Policy states (issue 14's `policy.results[].state`) that count as non-compliant. Azure treats
# an evaluation error as non-compliant, so it is kept open the same way.
POLICY_OPEN = frozenset({"NonCompliant", "Error"})
POLICY_RESOLVED = frozenset({"Compliant", "Exempt"})


class ReportError(ValueError):
    """A file that is not an mlwaf JSON report this version can read: a usage error (exit 2)."""


def finding_identity(finding: Mapping[str, Any], deployment: str | None = None) -> str:
    """The identity of a finding as the report lists it: the one the baseline uses; `deployment`
    is its resource's (`ResourceRow.deployment`) when a template describes it."""
    return model.identity(str(finding["check_id"]), str(finding["resource_id"]), deployment)


def policy_identity(result: Mapping[str, Any]) -> str:
    """A policy result's identity as the report lists it (`model.policy_identity`, the one
    baselines and SARIF use): the assignment's id (its name in reports written before the id was
    recorded), definition and its reference in an initiative, the
    normalized resource id and, for a template's resource, its deployment."""
    deployment = result.get("deployment")
    assignment = result.get("assignment_id") or result.get("assignment")
    return model.policy_identity(str(assignment or ""), str(result.get("definition_id") or ""),
                                 str(result.get("reference_id") or ""), str(result.get("resource_id") or ""),
                                 deployment if isinstance(deployment, str) else None)


# Rows are named tuples rather than frozen dataclasses: a report holds hundreds of thousands of
# them, and a frozen dataclass's __init__ (one object.__setattr__ per field) tripled the time
# to read a large report.
class FindingRow(NamedTuple):
    identity: str
    check_id: str
    title: str
    pillar: str
    severity: str
    status: str
    suppressed: bool
    resource_id: str
    resource_type: str
    resource_name: str
    message: str
    path: str | None
    deployment: str | None  # its resource's, for a resource a template describes
    resource_uid: str  # its resource's `uid`: normalized id (and deployment), computed once

    @property
    def resource_key(self) -> str:
        return self.resource_uid.split("|", 1)[0]


def uid(key: str, deployment: str | None) -> str:
    """A resource's key in a run: its normalized id, and its deployment when a template
    describes it (two templates may declare the same placeholder id), as `Resource.uid`."""
    return key if deployment is None else f"{key}|{deployment}"


class ResourceRow(NamedTuple):
    key: str  # normalized id
    id: str
    type: str
    name: str
    path: str | None  # the file it was read from (offline), for not-assessed files
    deployment: str | None = None  # the template (and parameter files) that describes it

    @property
    def uid(self) -> str:
        return uid(self.key, self.deployment)


@dataclass(frozen=True, slots=True)
class NotAssessed:
    """One entry of the report's `errors`: a file, a live call or a scope that was not read."""

    path: str
    message: str
    scope: str | None = None
    call: str | None = None
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        out.update({k: v for k in ("scope", "call", "status") if (v := getattr(self, k)) is not None})
        return out


class PolicyRow(NamedTuple):
    identity: str
    assignment: str
    definition_id: str
    reference_id: str | None
    display_name: str
    state: str
    resource_id: str
    resource_type: str
    resource_name: str
    reason: str
    assignment_id: str = ""  # the identity (reports written before it was recorded: "")

    @property
    def resource_key(self) -> str:
        return armid.normalize(self.resource_id)


@dataclass(frozen=True)
class PolicyView:
    """The report's `policy` section (issue 14), when the scan evaluated Azure Policy."""

    results: dict[str, PolicyRow]
    summary: Any = None
    not_evaluated: int = 0


@dataclass(frozen=True)
class RunReport:
    tool: dict[str, Any]
    generated_at: str | None
    errors: tuple[NotAssessed, ...]
    resources: dict[str, ResourceRow]  # by uid
    findings: dict[str, FindingRow]
    # Summarized reports: check id -> the statuses counted but not listed (PASS, NOT_APPLICABLE).
    counted: dict[str, frozenset[str]]
    summarized: bool
    scores: dict[str, Any]
    gate: dict[str, Any] | None = None
    policy: PolicyView | None = None
    scanned: int = 0
    source: str | None = None
    # Check id (upper case) -> (check id, title, pillar, severity), for every check listed.
    checks: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    # Normalized ids of the resources templates describe (keyed by uid in `resources`).
    described: frozenset[str] = frozenset()
    # Live scans: resource types the checks need that the scan did not collect, with the reason.
    not_collected: tuple[tuple[str, str], ...] = ()

    def has_resource(self, key: str) -> bool:
        """Whether the run holds a resource of this normalized id (any deployment)."""
        return key in self.resources or key in self.described


    @property
    def version(self) -> str:
        return str(self.tool.get("version", ""))

    @property
    def incomplete(self) -> bool:
        return bool(self.errors)

    def failing(self) -> Iterable[FindingRow]:
        return (f for f in self.findings.values() if f.status == "FAIL")

    def label(self) -> str:
        return self.source or self.generated_at or "report"


@dataclass
class Builder:
    """Collects a report's items as they are read; `build()` checks it is an mlwaf report."""

    source: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, ResourceRow] = field(default_factory=dict)
    findings: dict[str, FindingRow] = field(default_factory=dict)
    # Per check id: (check id, title, pillar, severity) as first listed, shared by its findings.
    _checks: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    # Normalized id -> a resource of that id: findings share its strings (a large report has
    # hundreds of thousands of findings naming a hundred thousand resources).
    _by_key: dict[str, ResourceRow] = field(default_factory=dict)
    # Normalized id -> the resources templates describe with it (usually one).
    _described: dict[str, list[ResourceRow]] = field(default_factory=dict)
    # Repeated short strings (types, paths, statuses) shared rather than copied per item.
    _strings: dict[Any, Any] = field(default_factory=dict)
    # The policy section's results, by identity, taken one at a time like findings.
    _policy_results: dict[str, PolicyRow] = field(default_factory=dict)

    def section(self, name: str, value: Any) -> None:
        if name == "policy" and isinstance(value, dict) and value.get("results"):
            # Its results become rows; the section keeps its small keys.
            for item in value["results"]:
                self.policy_result(item)
            value = {**value, "results": []}
        self.sections[name] = value

    def policy_result(self, item: Mapping[str, Any]) -> None:
        """One result of the policy section. A 100k-resource report has about two hundred
        thousand, each with its evidence: rows of the fields compared, their repeated strings
        (assignment, definition, display name, state, type, reason) shared, the resource's id and
        name its resource row's."""
        share = self._strings.setdefault
        rid = str(item.get("resource_id") or "")
        name = str(item.get("resource_name") or "")
        if (resource := self._by_key.get(armid.normalize(rid))) is not None:
            rid = resource.id if resource.id == rid else rid
            name = resource.name if resource.name == name else name
        text = [str(item.get(k) or "") for k in ("assignment", "definition_id", "state", "resource_type", "reason")]
        assignment, definition_id, state, rtype, reason = (share(t, t) for t in text)
        reference = item.get("reference_id")
        display = str(item.get("display_name") or item.get("definition_name") or "")
        row = PolicyRow(
            identity=policy_identity(item),
            assignment=assignment,
            definition_id=definition_id,
            reference_id=share(reference, reference),
            display_name=share(display, display),
            state=state,
            resource_id=rid,
            resource_type=rtype,
            resource_name=name,
            reason=reason,
            assignment_id=str(item.get("assignment_id") or ""),
        )
        self._policy_results[row.identity] = row

    def resource(self, item: Mapping[str, Any]) -> None:
        rid = str(item.get("id") or "")
        key = armid.normalize(rid)
        origin = item.get("origin") or {}
        share = self._strings.setdefault
        path = share(origin.get("path"), origin.get("path"))
        deployment = item.get("deployment")
        if deployment is None and model.describes(str(origin.get("kind") or "")):
            # A report written before resources carried their deployment: rebuilt from the origin,
            # whose paths are relative to that scan's root, not to the repository.
            deployment = model.deployment_label(path, origin.get("parameters_file"))
        if deployment is not None:
            deployment = share(deployment, deployment)
        row = ResourceRow(key, rid, share(item.get("type"), item.get("type")) or "", str(item.get("name") or ""),
                          path, deployment)
        self.resources[row.uid] = row
        self._by_key[key] = row
        if deployment is not None:
            self._described.setdefault(key, []).append(row)

    def _deployment(self, key: str, path: Any) -> str | None:
        """The deployment of a finding's resource: the one template that describes that id, or
        among several the one the finding's location is in."""
        rows = self._described.get(key)
        if not rows:
            return None
        if len(rows) > 1:
            rows = [r for r in rows if r.path == path] or rows
        return rows[0].deployment

    def finding(self, item: Mapping[str, Any]) -> None:
        try:
            check_id, rid = item["check_id"], item["resource_id"]
        except KeyError as err:
            raise ReportError(f"{self.source or 'report'}: a finding has no {err.args[0]}") from None
        location = item.get("location") or {}
        key = armid.normalize(str(rid))
        if (resource := self._by_key.get(key)) is not None:
            key = resource.key
            rid = resource.id if resource.id == rid else rid
        share = self._strings.setdefault
        deployment = item.get("deployment")
        if deployment is not None:
            deployment = share(deployment, deployment)
        elif self._described:
            deployment = self._deployment(key, location.get("path"))
        identity = model.identity(str(check_id), key, deployment)  # as finding_identity, the id normalized once
        written: Any = item.get("status")
        status: str = share(written, written)
        listed = self.findings.get(identity)
        if listed is not None and _STATUS_RANK.get(listed.status, 0) >= _STATUS_RANK.get(status, 0):
            return
        meta = self._checks.get(check_id)
        if meta is None:
            meta = self._checks[check_id] = (
                str(check_id), str(item.get("title") or ""), str(item.get("pillar") or ""),
                str(item.get("severity") or ""),
            )
        rtype, path = item.get("resource_type"), location.get("path")
        self.findings[identity] = FindingRow(
            identity, *meta, status, bool(item.get("suppressed")), str(rid), share(rtype, rtype) or "",
            str(item.get("resource_name") or ""), str(item.get("message") or ""), share(path, path), deployment,
            uid(key, deployment),
        )

    def build(self) -> RunReport:
        where = self.source or "report"
        tool = self.sections.get("tool")
        if not isinstance(tool, dict) or tool.get("name") != "mlwaf":
            raise ReportError(f"{where}: not an mlwaf JSON report (no \"tool\": {{\"name\": \"mlwaf\"}})")
        schema = tool.get("schema_version")
        if not isinstance(schema, int) or schema > SUPPORTED_SCHEMA:
            raise ReportError(
                f"{where}: JSON report schema version {schema!r}; this mlwaf reads up to {SUPPORTED_SCHEMA} "
                "(upgrade mlwaf to compare it)"
            )
        omitted = self.sections.get("omitted")
        counted: dict[str, frozenset[str]] = {}
        if isinstance(omitted, dict):
            for check_id, by_status in (omitted.get("by_check") or {}).items():
                counted[str(check_id).upper()] = frozenset(s for s, n in by_status.items() if n)
        scanned = self.sections.get("scanned")
        return RunReport(
            tool={k: v for k, v in tool.items() if k != "generated_at"},
            generated_at=tool.get("generated_at"),
            errors=tuple(_not_assessed(e) for e in self.sections.get("errors") or ()),
            resources=self.resources,
            findings=self.findings,
            counted=counted,
            summarized=isinstance(omitted, dict),
            scores=self.sections.get("scores") or {},
            gate=self.sections.get("gate"),
            policy=_policy(self.sections.get("policy"), self._policy_results),
            scanned=len(scanned) if isinstance(scanned, list) else 0,
            source=self.source,
            checks={meta[0].upper(): meta for meta in self._checks.values()},
            described=frozenset(self._described),
            not_collected=tuple((str(g.get("type") or "").lower(), str(g.get("reason") or ""))
                                for g in self.sections.get("not_collected") or () if isinstance(g, dict)),
        )


def _not_assessed(entry: Mapping[str, Any]) -> NotAssessed:
    status = entry.get("status")
    return NotAssessed(
        path=str(entry.get("path") or ""),
        message=str(entry.get("message") or ""),
        scope=entry.get("scope"),
        call=entry.get("call"),
        status=status if isinstance(status, int) else None,
    )


def _policy(section: Any, results: dict[str, PolicyRow]) -> PolicyView | None:
    """The policy section, its results already taken as rows (`Builder.policy_result`)."""
    if not isinstance(section, dict):
        return None
    return PolicyView(results, section.get("summary"), len(section.get("not_evaluated") or ()))


SECTIONS = ("tool", "scanned", "errors", "not_collected", "omitted", "scores", "gate", "policy")


def from_dict(data: Mapping[str, Any], source: str | None = None) -> RunReport:
    """A report already parsed (`json.load`'s)."""
    if not isinstance(data, Mapping):
        raise ReportError(f"{source or 'report'}: not a JSON object")
    # Resources before the findings and policy results that name them (these share their
    # strings), whatever order the object has its keys in.
    ordered = [(k, v) for k, v in data.items() if k not in ("resources", "findings", "policy")]
    tail = [("policy", data["policy"])] if "policy" in data else []
    return from_items([*ordered, ("resources", data.get("resources")), ("findings", data.get("findings")), *tail],
                      source)


def from_items(sections: Iterable[tuple[str, Any]], source: str | None = None) -> RunReport:
    """A report given as its sections in order, (key, value), the long lists as iterables of
    items: a parsed report's, or a scan's own as it would write it (mlwaf.report.json.items),
    which is then never held whole."""
    builder = Builder(source)
    for name, value in sections:
        if name == "resources":
            for item in value or ():
                builder.resource(item)
        elif name == "findings":
            for item in value or ():
                builder.finding(item)
        elif name in SECTIONS:
            builder.section(name, value)
    return builder.build()
