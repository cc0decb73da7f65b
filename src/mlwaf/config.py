"""The config file: gate settings, check selection, check parameters and suppressions.

Read from `--config FILE`, else the first `mlwaf.toml`, or `pyproject.toml` with a
`[tool.mlwaf]` table, found in the working directory or its parents (stopping at the top of the
git repository). Written in TOML (read with the standard library's tomllib):

    fail-on = "high"                        # --fail-on
    min-score = { security = 80, overall = 70 }   # --min-score PILLAR=N
    fail-on-unknown = false                 # --fail-on-unknown
    allow-incomplete = false                # --allow-incomplete: unreadable inputs do not exit 3
    checks = ["MLW-SEC-*"]                  # --checks: ids, globs, pillars, severities, tags
    skip-checks = ["MLW-COST-003"]          # --skip-checks
    inline-suppressions = true              # --no-inline-suppressions sets false
    baseline = "mlwaf-baseline.json"        # --baseline; relative to the config file
    exclude = ["legacy/", "*.test.json"]    # walked paths not to read, .gitignore syntax (--exclude adds)
    max-file-size = "256MiB"                # larger input files are reported, not read
    policy = ["policies/"]                  # --policy: your own Azure Policy files; relative to the config file
    policy-set = ["Microsoft cloud security benchmark"]   # --policy-set: built-in initiatives
    no-policy = false                       # --no-policy: no Azure Policy evaluation
    fail-on-policy = "deny"                 # --fail-on-policy: deny or noncompliant
    history = "audit.db"                    # --history: append each run; relative to the config file
    digest = "digest.md"                    # --digest: what changed since the previous run (Markdown)

    [params]                                # shared by name by every check that declares it
    allowed_regions = ["westeurope", "northeurope"]
    [params."MLW-REL-001"]                  # one check's own values, over the shared ones
    min_instances = 3

    [[suppressions]]
    check = "MLW-SEC-*"
    resource = "/subscriptions/*/resourceGroups/dev-*/*"
    reason = "Dev sandboxes hold no customer data (RISK-142)"
    expires = 2027-01-31

An unknown key anywhere is an error that names it (a typo must not quietly disable a gate). A
command-line option replaces the file's value for its key; `--min-score` replaces it per pillar,
`--exclude` adds to the file's patterns.

Each setting is declared once, as an attribute of `Config` (mlwaf.settings.Setting): its key,
flag, type, check, help and where it lands in the scan's options. The parser below, the command
line's options (mlwaf.cli) and their overlay are derived from those declarations.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf import gate
from mlwaf.model import Severity
from mlwaf.settings import ConfigError, Flag, Setting, Where, given

if TYPE_CHECKING:  # the command line reads the declarations at start-up: the rest loads when used
    from mlwaf.check import CheckSpec
    from mlwaf.scan import ScanOptions
    from mlwaf.suppressions import Suppression

__all__ = ["Config", "ConfigError", "find", "load", "parse"]

FILE_NAME = "mlwaf.toml"
PYPROJECT = "pyproject.toml"
_CHECK_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_TYPE_NAMES = {str: "a string", bool: "true or false", list: "an array", dict: "a table"}


def _typed(value: Any, kind: type, where: Where) -> Any:
    if not isinstance(value, kind):
        raise ConfigError(f"{where.at} must be {_TYPE_NAMES[kind]}, got {value!r}")
    return value


def _flag(value: Any, where: Where) -> bool:
    return bool(_typed(value, bool, where))


def _strings(value: Any, where: Where) -> list[str]:
    values = _typed(value, list, where)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigError(f"{where.at} must be a list of strings, got {values!r}")
    return list(values)


def _severity(value: Any, where: Where) -> Severity:
    try:
        return gate.parse_severity(_typed(value, str, where), where.at)
    except gate.GateOptionError as err:
        raise ConfigError(str(err)) from None


def _min_scores(value: Any, where: Where) -> dict[str, float]:
    out: dict[str, float] = {}
    try:
        for name, minimum in _typed(value, dict, where).items():
            key_where = f"{where.file}: 'min-score.{name}'"
            out[gate.score_key(name, key_where)] = gate.threshold(minimum, key_where)
    except gate.GateOptionError as err:
        raise ConfigError(str(err)) from None
    return out


def _min_scores_given(items: Any, option: str) -> dict[str, float]:
    try:
        return gate.parse_min_scores(items)
    except gate.GateOptionError as err:
        raise ConfigError(str(err)) from None


def _severity_given(value: Any, option: str) -> Severity:
    try:
        return gate.parse_severity(value, option)
    except gate.GateOptionError as err:
        raise ConfigError(str(err)) from None


def _whole_number(value: Any, where: Where) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where.at} must be a whole number of findings (0: list all), got {value!r}")
    return value


def _relative_path(value: Any, where: Where) -> Path:
    return where.base / _typed(value, str, where)


def _max_file_size(value: Any, where: Where) -> int:
    return _size(value, where.file)


def _relative_paths(value: Any, where: Where) -> list[Path]:
    return [where.base / v for v in _strings(value, where)]


def _policy_sets(value: Any, where: Where) -> list[str]:
    return _policy_sets_given(_strings(value, where), where.at)


def _policy_sets_given(names: list[str], option: str) -> list[str]:
    """Built-in initiatives by display name or GUID, each checked against the shipped index (a
    name that matches none is a usage error with the nearest names, before anything is read)."""
    from mlwaf.policy import catalog
    from mlwaf.policy.errors import PolicyInputError

    for name in names:
        try:
            catalog.find_builtin_initiative(name)
        except PolicyInputError as err:
            raise ConfigError(f"{option}: {err.message}") from None
    return list(names)


def _policy_rule(value: Any, where: Where) -> str:
    return _policy_rule_given(_typed(value, str, where), where.at)


def _policy_rule_given(value: str, option: str) -> str:
    try:
        return gate.parse_policy_rule(value, option)
    except gate.GateOptionError as err:
        raise ConfigError(str(err)) from None


@dataclass(frozen=True)
class Params:
    """`[params]`: values shared by name by every check that declares the name, and each
    check's own table (`[params."MLW-REL-001"]`), over the shared ones."""

    shared: Mapping[str, Any] = field(default_factory=dict)
    by_check: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _params(value: Any, where: Where) -> Params:
    shared: dict[str, Any] = {}
    by_check: dict[str, dict[str, Any]] = {}
    for name, table in _typed(value, dict, where).items():
        if _CHECK_ID.match(name):
            if not isinstance(table, dict):
                raise ConfigError(f"{where.file}: [params.\"{name}\"] must be a table of that check's parameters")
            by_check[name] = dict(table)
        else:
            shared[name] = table
    return Params(shared, by_check)


def _suppressions(value: Any, where: Where) -> list[Suppression]:
    from mlwaf import suppressions

    try:
        return suppressions.from_config(value, where.file)
    except suppressions.SuppressionError as err:
        raise ConfigError(str(err)) from None


def _gate(option: str) -> Callable[[ScanOptions, Any], ScanOptions]:
    """`into` for a gate option: the scan's gate options with this one set."""
    return lambda o, v: dataclasses.replace(o, gate=dataclasses.replace(o.gate, **{option: v}))


def _policy(option: str, value: Callable[[Any], Any] = tuple) -> Callable[[ScanOptions, Any], ScanOptions]:
    """`into` for an Azure Policy option: the scan's policy options with this one set."""
    return lambda o, v: dataclasses.replace(o, policy=dataclasses.replace(o.policy, **{option: value(v)}))


def _read(option: str) -> Callable[[ScanOptions, Any], ScanOptions]:
    """`into` for a reading option: the scan's read options with this one set (None: left as is)."""
    return lambda o, v: o if v is None else dataclasses.replace(o, read=dataclasses.replace(o.read, **{option: v}))


CHECKS_HELP = ("Run only these checks: ids, globs, pillars, severities or tags (repeatable, or comma-separated), "
               "e.g. MLW-SEC-* or security.")


class Config:
    """The settings of a scan: the config file's values, with the command line's over them."""

    fail_on = Setting[Severity | None](
        "fail-on", None, parse=_severity,
        help="Gate: exit 1 on any unsuppressed FAIL of this severity or higher (high, medium, low).",
        flag=Flag(("--fail-on",), str, parse=_severity_given), into=_gate("fail_on"),
    )
    min_score = Setting[dict[str, float]](
        "min-score", {}, parse=_min_scores,
        help="Gate: exit 1 when a pillar's score (or overall) is below N: PILLAR=N, repeatable, e.g. security=80 "
        "overall=70.",
        flag=Flag(("--min-score",), list[str], parse=_min_scores_given, merge=lambda file, cli: {**file, **cli}),
        into=_gate("min_score"),
    )
    fail_on_unknown = Setting[bool](
        "fail-on-unknown", False, parse=_flag,
        help="Gate: exit 1 when any check could not be assessed (UNKNOWN or ERROR).",
        flag=Flag(("--fail-on-unknown/--no-fail-on-unknown",), bool), into=_gate("fail_on_unknown"),
    )
    allow_incomplete = Setting[bool](
        "allow-incomplete", False, parse=_flag,
        help="Exit 0 rather than 3 when some inputs or calls could not be read (they stay in the report).",
        flag=Flag(("--allow-incomplete/--no-allow-incomplete",), bool), into=_gate("allow_incomplete"),
    )
    checks = Setting[list[str]](
        "checks", [], parse=_strings, help=CHECKS_HELP, flag=Flag(("--checks",), list[str]),
        into=lambda o, v: dataclasses.replace(o, checks=list(v)),
    )
    skip_checks = Setting[list[str]](
        "skip-checks", [], parse=_strings, help="Do not run these checks (same selectors as --checks).",
        flag=Flag(("--skip-checks",), list[str]), into=lambda o, v: dataclasses.replace(o, skip_checks=list(v)),
    )
    inline_suppressions = Setting[bool](
        "inline-suppressions", True, parse=_flag,
        help="Honor mlwaf-suppress tags and template metadata (default: yes). Pipelines that must not let a "
        "template suppress itself turn this off.",
        flag=Flag(("--inline-suppressions/--no-inline-suppressions",), bool),
        into=lambda o, v: dataclasses.replace(o, inline_suppressions=v),
    )
    baseline = Setting[Path | None](
        "baseline", None, parse=_relative_path,
        help="Gate only on findings not in this baseline file; report fixed ones.",
        flag=Flag(("--baseline",), Path),  # loaded by Config.apply
    )
    detail_limit = Setting[int | None](
        "detail-limit", None, parse=_whole_number,
        help="Above this many findings, reports list every FAIL, UNKNOWN and ERROR and count PASS and "
        "NOT_APPLICABLE ones instead of listing them; 0 lists all. Scores and the gate are the same either way.",
        flag=Flag(("--detail-limit",), int, option={"min": 0, "show_default": "250000"}),
        into=lambda o, v: o if v is None else dataclasses.replace(o, detail_limit=v),
    )
    exclude = Setting[list[str]](
        "exclude", [], parse=_strings,
        help="Do not read walked files or folders matching this pattern (.gitignore syntax, relative to the "
        "scanned folder); repeatable; added to exclude in mlwaf.toml and .mlwafignore files.",
        flag=Flag(("--exclude",), list[str], merge=lambda file, cli: [*file, *cli]),
        into=_read("exclude"),
    )
    max_file_bytes = Setting[int | None](
        "max-file-size", None, parse=_max_file_size,
        help="Input files larger than this (bytes, or a size such as \"512MiB\") are reported, not read.",
        into=_read("max_file_bytes"),
    )
    policy = Setting[list[Path]](
        "policy", [], parse=_relative_paths,
        help="Azure Policy: evaluate your own definitions, initiatives, assignments and exemptions from this file "
        "or folder (repeatable; relative to the config file in mlwaf.toml); their assignments replace the default "
        "one.",
        flag=Flag(("--policy",), list[Path]), into=_policy("paths"),
    )
    policy_set = Setting[list[str]](
        "policy-set", [], parse=_policy_sets,
        help="Azure Policy: evaluate this built-in initiative (display name or GUID; repeatable) instead of the "
        "default Machine Learning, Azure AI Services and Cognitive Services built-ins.",
        flag=Flag(("--policy-set",), list[str], parse=_policy_sets_given), into=_policy("sets"),
    )
    no_policy = Setting[bool](
        "no-policy", False, parse=_flag, help="Do not evaluate Azure Policy.",
        flag=Flag(("--no-policy",), bool), into=_policy("enabled", lambda v: not v),
    )
    fail_on_policy = Setting[str | None](
        "fail-on-policy", None, parse=_policy_rule,
        help="Gate: exit 1 on Azure Policy results: deny (what Azure would deny at deployment) or noncompliant "
        "(any non-compliant result), unless suppressed or in the baseline.",
        flag=Flag(("--fail-on-policy",), str, parse=_policy_rule_given), into=_gate("fail_on_policy"),
    )
    history = Setting[Path | None](
        "history", None, parse=_relative_path,
        help="Append this run to a history file (SQLite, created when missing; relative to the config file): "
        "findings are marked new or open since with their age, and the HTML report gains a trend panel.",
        flag=Flag(("--history",), Path),  # opened before the scan and appended after it by the command
    )
    digest = Setting[Path | None](
        "digest", None, parse=_relative_path,
        help="With history: write a short Markdown of what changed since the previous run (new high findings "
        "first, regressions, fixed, coverage) to this file, for a chat channel or $GITHUB_STEP_SUMMARY.",
        flag=Flag(("--digest",), Path),
    )
    params = Setting[Params](
        "params", Params(), parse=_params,
        help="Check parameters: shared by name, or per check ([params.\"ID\"]); see `mlwaf checks show`.",
    )  # checked against the loaded checks by Config.apply
    suppressions = Setting["list[Suppression]"](
        "suppressions", [], parse=_suppressions, help="Accepted risks: check, resource, reason, expires.",
        into=lambda o, v: dataclasses.replace(o, suppressions=list(v)),
    )

    def __init__(self, path: Path | None = None, **values: Any) -> None:
        self.path = path  # None: no config file, command-line options only
        self._values = {name: value for name, value in values.items() if _declared(name)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and (self.path, self._values) == (other.path, other._values)

    def __repr__(self) -> str:
        return f"Config({self.path!r}, {self._values!r})"

    @classmethod
    def declared(cls) -> list[Setting[Any]]:
        """Every setting, in declaration order."""
        return [v for v in vars(cls).values() if isinstance(v, Setting)]

    @property
    def where(self) -> str:
        from mlwaf import repository

        return repository.relative(self.path) if self.path else "the command line"

    def with_options(self, **given_on_command_line: Any) -> Config:
        """This config with the command line's options over it (None or []: not given)."""
        values = dict(self._values)
        for s in Config.declared():
            value = given_on_command_line.get(s.name)
            if given(value):
                values[s.name] = s.from_command_line(value, s.__get__(self, Config))
        return Config(self.path, **values)

    def params_for(self, specs: Sequence[CheckSpec]) -> dict[str, dict[str, Any]]:
        """`ctx.params` of each check: the shared values of the names in its `params`, updated by
        its own table. A name or a check id no loaded check knows, or a value its declaration
        does not take (mlwaf.params), is an error naming it."""
        by_id = {s.id: s for s in specs}
        declared = {name for s in specs for name in s.params}
        for name in self.params.shared:
            if name not in declared:
                raise ConfigError(
                    f"{self.where}: [params] has {name!r}, a parameter no loaded check takes"
                    + _suggest(name, declared)
                    + (f" (parameters: {', '.join(sorted(declared))})" if declared else "")
                )
        for check_id, table in self.params.by_check.items():
            spec = by_id.get(check_id)
            if spec is None:
                raise ConfigError(
                    f"{self.where}: [params.\"{check_id}\"] names no loaded check" + _suggest(check_id, by_id)
                )
            for name in table:
                if name not in spec.params:
                    takes = ", ".join(sorted(spec.params)) or "none"
                    raise ConfigError(
                        f"{self.where}: [params.\"{check_id}\"] has {name!r}, a parameter {check_id} does not take "
                        f"(it takes: {takes})"
                    )
        out: dict[str, dict[str, Any]] = {}
        for spec in specs:
            values = {
                name: self._param(spec, name, self.params.shared[name], f"[params] {name!r}")
                for name in spec.params if name in self.params.shared
            }
            for name, value in self.params.by_check.get(spec.id, {}).items():
                values[name] = self._param(spec, name, value, f"[params.\"{spec.id}\"] {name!r}")
            if values:
                out[spec.id] = values
        return out

    def _param(self, spec: CheckSpec, name: str, value: Any, key: str) -> Any:
        from mlwaf.params import ParamError

        try:
            return spec.params[name].value(value)
        except ParamError as err:
            raise ConfigError(f"{self.where}: {key} {err} ({spec.id}: {spec.params[name]})") from None

    def apply(self, options: ScanOptions, specs: Sequence[CheckSpec], *, load_baseline: bool = True) -> ScanOptions:
        """`options` with every setting placed (each setting's `into`), checked against the loaded
        checks first.

        Everything is validated here, before any input is read, so a broken config costs the
        user a second, not a scan: unknown parameters, selectors that match no check, an
        unreadable baseline all raise ConfigError (exit code 2).
        """
        from mlwaf import selection, suppressions
        from mlwaf.baseline import Baseline, BaselineError

        try:
            selection.select(specs, self.checks, self.skip_checks)
        except selection.SelectionError as err:
            raise ConfigError(f"{self.where}: {err}" if self.path else str(err)) from None
        ids = [s.id for s in specs]
        for rule in self.suppressions:
            if rule.policy is not None:
                continue  # a policy's name is known once the policies are loaded: `matched` tells a typo
            problem = suppressions.unknown_check(rule.check, ids)
            if problem:
                raise ConfigError(f"{rule.source}: {problem}")
        try:
            baseline = Baseline.load(self.baseline) if self.baseline is not None and load_baseline else None
        except BaselineError as err:
            raise ConfigError(str(err)) from None
        if self.no_policy and (self.policy or self.policy_set or self.fail_on_policy):
            given = [k for k, v in (("policy", self.policy), ("policy-set", self.policy_set),
                                    ("fail-on-policy", self.fail_on_policy)) if v]
            raise ConfigError(f"{self.where}: no-policy turns Azure Policy off, yet {', '.join(given)} is set")
        check_params = {**self.params_for(specs), **options.check_params}
        for s in Config.declared():
            if s.into is not None:
                options = s.into(options, s.__get__(self, Config))
        return dataclasses.replace(options, check_params=check_params, baseline=baseline, known_checks=ids)


def _declared(name: str) -> bool:
    return isinstance(vars(Config).get(name), Setting)


def parse(data: Mapping[str, Any], where: str, path: Path | None = None) -> Config:
    """Validate a config table: every key known, every value of the right kind."""
    by_key = {s.key: s for s in Config.declared()}
    for key in data:
        if key not in by_key:
            raise ConfigError(f"{where}: unknown key {key!r}" + _suggest(key.replace("_", "-"), by_key))
    base = path.parent if path is not None else Path.cwd()
    values = {s.name: s.parse(data[key], Where(where, key, base)) for key, s in by_key.items() if key in data}
    return Config(path, **values)


def _suggest(name: str, known: Any) -> str:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def find(start: Path) -> Path | None:
    """The config file that applies in `start`: nearest mlwaf.toml, or pyproject.toml with
    [tool.mlwaf], walking up to the top of the git repository (or the filesystem root)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def _has_tool_table(path: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "mlwaf" in data["tool"]


def load(path: Path | None = None, *, search_from: Path | None = None) -> Config:
    """The config of `path`, or of the file found from `search_from`; an empty Config if none."""
    import tomllib

    from mlwaf import repository

    if path is None:
        path = find(search_from or Path.cwd())
        if path is None:
            return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"config {path}: cannot read it ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {path}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"config {path}: not valid TOML ({err})") from None
    # Repository-relative: it is written into reports as the source of suppressions.
    where = repository.relative(path)
    if path.name == PYPROJECT:
        tool = data.get("tool")
        if not isinstance(tool, dict) or "mlwaf" not in tool:
            raise ConfigError(f"config {path}: has no [tool.mlwaf] table")
        data = tool["mlwaf"]
        where = f"{where} [tool.mlwaf]"
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: must be a table")
    return parse(data, where, path)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KIB|MB|MIB|GB|GIB)?\s*$", re.I)
_SCALE = {"B": 1, "KB": 1000, "KIB": 1024, "MB": 1000**2, "MIB": 1024**2, "GB": 1000**3, "GIB": 1024**3}


def _size(value: Any, where: str) -> int:
    """`max-file-size`: bytes as a whole number, or a string such as "512MiB" or "1GB"."""
    m = _SIZE.match(value) if isinstance(value, str) else None
    if m is not None:
        size = int(float(m.group(1)) * _SCALE[(m.group(2) or "B").upper()])
    elif isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        size = -1
    if size <= 0:
        raise ConfigError(f"{where}: 'max-file-size' must be a size such as \"512MiB\" or a number of bytes, "
                          f"got {value!r}")
    return size


