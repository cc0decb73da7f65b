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
command-line option replaces the file's value for its key; `--min-score` replaces it per pillar.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf import gate, repository, suppressions
from mlwaf.model import Severity
from mlwaf.params import ParamError

if TYPE_CHECKING:
    from mlwaf.check import CheckSpec
    from mlwaf.scan import ScanOptions

FILE_NAME = "mlwaf.toml"
PYPROJECT = "pyproject.toml"
KEYS = (
    "fail-on",
    "min-score",
    "fail-on-unknown",
    "allow-incomplete",
    "checks",
    "skip-checks",
    "inline-suppressions",
    "baseline",
    "detail-limit",
    "exclude",
    "max-file-size",
    "params",
    "suppressions",
)
_CHECK_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


class ConfigError(ValueError):
    """A config file that cannot be used: the message names the file and the key."""


@dataclass
class Config:
    path: Path | None = None  # None: no config file, command-line options only
    fail_on: Severity | None = None
    min_score: dict[str, float] = field(default_factory=dict)
    fail_on_unknown: bool = False
    allow_incomplete: bool = False
    checks: list[str] = field(default_factory=list)
    skip_checks: list[str] = field(default_factory=list)
    inline_suppressions: bool = True
    detail_limit: int | None = None  # None: the scan's default (mlwaf.scan.DETAIL_LIMIT)
    baseline: Path | None = None
    exclude: list[str] = field(default_factory=list)  # gitignore-style patterns (mlwaf.sources.walk)
    max_file_bytes: int | None = None  # None: mlwaf.sources.files.MAX_FILE_BYTES
    params: dict[str, Any] = field(default_factory=dict)  # shared by name
    check_params: dict[str, dict[str, Any]] = field(default_factory=dict)  # check id -> own values
    suppressions: list[suppressions.Suppression] = field(default_factory=list)

    @property
    def where(self) -> str:
        return repository.relative(self.path) if self.path else "the command line"

    def gate_options(self) -> gate.GateOptions:
        return gate.GateOptions(self.fail_on, dict(self.min_score), self.fail_on_unknown, self.allow_incomplete)

    def params_for(self, specs: Sequence[CheckSpec]) -> dict[str, dict[str, Any]]:
        """`ctx.params` of each check: the shared values of the names in its `params`, updated by
        its own table. A name or a check id no loaded check knows, or a value its declaration
        does not take (mlwaf.params), is an error naming it."""
        by_id = {s.id: s for s in specs}
        declared = {name for s in specs for name in s.params}
        for name in self.params:
            if name not in declared:
                raise ConfigError(
                    f"{self.where}: [params] has {name!r}, a parameter no loaded check takes"
                    + _suggest(name, declared)
                    + (f" (parameters: {', '.join(sorted(declared))})" if declared else "")
                )
        for check_id, table in self.check_params.items():
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
                name: self._param(spec, name, self.params[name], f"[params] {name!r}")
                for name in spec.params if name in self.params
            }
            for name, value in self.check_params.get(spec.id, {}).items():
                values[name] = self._param(spec, name, value, f"[params.\"{spec.id}\"] {name!r}")
            if values:
                out[spec.id] = values
        return out

    def _param(self, spec: CheckSpec, name: str, value: Any, key: str) -> Any:
        try:
            return spec.params[name].value(value)
        except ParamError as err:
            raise ConfigError(f"{self.where}: {key} {err} ({spec.id}: {spec.params[name]})") from None

    def apply(self, options: ScanOptions, specs: Sequence[CheckSpec], *, load_baseline: bool = True) -> ScanOptions:
        """`options` with this config's gate, selection, parameters, suppressions and baseline.

        Everything is validated here, before any input is read, so a broken config costs the
        user a second, not a scan: unknown parameters, selectors that match no check, an
        unreadable baseline all raise ConfigError (exit code 2).
        """
        from mlwaf import selection
        from mlwaf.baseline import Baseline, BaselineError

        try:
            selection.select(specs, self.checks, self.skip_checks)
        except selection.SelectionError as err:
            raise ConfigError(f"{self.where}: {err}" if self.path else str(err)) from None
        ids = [s.id for s in specs]
        for rule in self.suppressions:
            problem = suppressions.unknown_check(rule.check, ids)
            if problem:
                raise ConfigError(f"{rule.source}: {problem}")
        try:
            baseline = Baseline.load(self.baseline) if self.baseline is not None and load_baseline else None
        except BaselineError as err:
            raise ConfigError(str(err)) from None
        return dataclasses.replace(
            options,
            check_params={**self.params_for(specs), **options.check_params},
            gate=self.gate_options(),
            suppressions=list(self.suppressions),
            inline_suppressions=self.inline_suppressions,
            detail_limit=options.detail_limit if self.detail_limit is None else self.detail_limit,
            baseline=baseline,
            checks=list(self.checks),
            skip_checks=list(self.skip_checks),
            read=dataclasses.replace(
                options.read,
                exclude=[*self.exclude, *options.read.exclude],
                max_file_bytes=options.read.max_file_bytes if self.max_file_bytes is None else self.max_file_bytes,
            ),
            known_checks=ids,
        )

    def with_options(
        self,
        *,
        fail_on: str | None = None,
        min_score: Sequence[str] | None = None,
        fail_on_unknown: bool | None = None,
        allow_incomplete: bool | None = None,
        checks: Sequence[str] | None = None,
        skip_checks: Sequence[str] | None = None,
        inline_suppressions: bool | None = None,
        detail_limit: int | None = None,
        baseline: Path | None = None,
    ) -> Config:
        """This config with the command line's options over it (None: not given)."""
        try:
            changes: dict[str, Any] = {}
            if fail_on is not None:
                changes["fail_on"] = gate.parse_severity(fail_on)
            if min_score:
                changes["min_score"] = {**self.min_score, **gate.parse_min_scores(min_score)}
        except gate.GateOptionError as err:
            raise ConfigError(str(err)) from None
        for name, value in (
            ("fail_on_unknown", fail_on_unknown),
            ("allow_incomplete", allow_incomplete),
            ("inline_suppressions", inline_suppressions),
            ("detail_limit", detail_limit),
            ("baseline", baseline),
        ):
            if value is not None:
                changes[name] = value
        if checks:
            changes["checks"] = list(checks)
        if skip_checks:
            changes["skip_checks"] = list(skip_checks)
        return dataclasses.replace(self, **changes)


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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "mlwaf" in data["tool"]


def load(path: Path | None = None, *, search_from: Path | None = None) -> Config:
    """The config of `path`, or of the file found from `search_from`; an empty Config if none."""
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


def parse(data: Mapping[str, Any], where: str, path: Path | None = None) -> Config:
    """Validate a config table: every key known, every value of the right kind."""
    for key in data:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}" + _suggest(key.replace("_", "-"), KEYS))
    base = path.parent if path is not None else Path.cwd()
    cfg = Config(path=path)
    try:
        if "fail-on" in data:
            cfg.fail_on = gate.parse_severity(_typed(data, "fail-on", str, where), f"{where}: 'fail-on'")
        if "min-score" in data:
            table = _typed(data, "min-score", dict, where)
            for name, value in table.items():
                key_where = f"{where}: 'min-score.{name}'"
                cfg.min_score[gate.score_key(name, key_where)] = gate.threshold(value, key_where)
    except gate.GateOptionError as err:
        raise ConfigError(str(err)) from None
    if "fail-on-unknown" in data:
        cfg.fail_on_unknown = _typed(data, "fail-on-unknown", bool, where)
    if "allow-incomplete" in data:
        cfg.allow_incomplete = _typed(data, "allow-incomplete", bool, where)
    if "detail-limit" in data:
        limit = data["detail-limit"]
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ConfigError(f"{where}: 'detail-limit' must be a whole number of findings (0: list all), "
                              f"got {limit!r}")
        cfg.detail_limit = limit
    if "inline-suppressions" in data:
        cfg.inline_suppressions = _typed(data, "inline-suppressions", bool, where)
    for key in ("checks", "skip-checks", "exclude"):
        if key in data:
            values = _typed(data, key, list, where)
            if not all(isinstance(v, str) and v.strip() for v in values):
                raise ConfigError(f"{where}: {key!r} must be a list of strings, got {values!r}")
            setattr(cfg, key.replace("-", "_"), list(values))
    if "baseline" in data:
        cfg.baseline = base / _typed(data, "baseline", str, where)
    if "max-file-size" in data:
        cfg.max_file_bytes = _size(data["max-file-size"], where)
    if "params" in data:
        for name, value in _typed(data, "params", dict, where).items():
            if _CHECK_ID.match(name):
                if not isinstance(value, dict):
                    raise ConfigError(f"{where}: [params.\"{name}\"] must be a table of that check's parameters")
                cfg.check_params[name] = dict(value)
            else:
                cfg.params[name] = value
    if "suppressions" in data:
        try:
            cfg.suppressions = suppressions.from_config(data["suppressions"], where)
        except suppressions.SuppressionError as err:
            raise ConfigError(str(err)) from None
    return cfg


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


_TYPE_NAMES = {str: "a string", bool: "true or false", list: "an array", dict: "a table"}


def _typed(data: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = data[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: {key!r} must be {_TYPE_NAMES[kind]}, got {value!r}")
    return value
