"""Which parameter values a template is scanned with, and never a silent substitute.

Each `--parameters FILE` is one deployment of the templates it is for, so per-environment files
(`main.dev.parameters.json`, `main.prod.parameters.json`) are each scanned in one run, and every
resource says which file its values came from (Origin.parameters_file, part of its identity).
A file is for a template when its name starts with the template's (`main.json` ->
`main.*.json`), or, when it is named for no other template beside it, when the template
declares every parameter it sets. A file that sets a
parameter the template does not declare is rejected by Azure, so it is an error here too, naming
the parameter; a template meant for it is not assessed with other values instead. Without
`--parameters` a template uses its sibling `<name>.parameters.json` (or the folder's
`azuredeploy.parameters.json`) under the same rule. `--param name=value` wins over files; a name
no scanned template declares is an error with the closest declared names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwaf.model import InputError
from mlwaf.sources.files import ReadFailure, read_json
from mlwaf.sources.options import display_path

if TYPE_CHECKING:
    from mlwaf.sources.options import ReadOptions


@dataclass(frozen=True)
class ParameterSet:
    """The values of one deployment: the parameter file they came from (None: the template's
    defaults and --param only) and the values by lower-cased name."""

    file: Path | None
    values: dict[str, Any]


@dataclass
class ParameterUse:
    """What the explicit parameters of one scan were used for, across all its templates, so
    that one used by none is reported (mlwaf.sources.documents.read_files)."""

    files: list[Path] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    _used: set[Path] = field(default_factory=set)
    _misfits: dict[Path, list[str]] = field(default_factory=dict)
    _declared: dict[str, set[str]] = field(default_factory=dict)  # lower name -> templates declaring it
    _spelled: dict[str, str] = field(default_factory=dict)  # lower name -> as a template declares it

    def declare(self, template: str, names: Iterable[str]) -> None:
        for name in names:
            self._declared.setdefault(name.lower(), set()).add(template)
            self._spelled.setdefault(name.lower(), name)

    def used(self, path: Path) -> None:
        self._used.add(path)

    def misfit(self, path: Path, why: str) -> None:
        self._misfits.setdefault(path, []).append(why)

    def errors(self, show: Callable[[Path], str]) -> list[InputError]:
        out = []
        for path in self.files:
            if path not in self._used:
                why = "; ".join(self._misfits.get(path, [])) or "no template was scanned"
                out.append(InputError(show(path), f"--parameters file used by no scanned template: {why}"))
        for name in self.overrides:
            if name.lower() in self._declared:
                continue
            import difflib

            close = difflib.get_close_matches(name.lower(), list(self._declared), n=3)
            hint = "; did you mean " + " or ".join(
                f"{self._spelled[c]!r} ({', '.join(sorted(self._declared[c]))})" for c in close
            ) + "?" if close else ""
            out.append(InputError(f"--param {name}", f"no scanned template declares a parameter {name!r}{hint}"))
        return out


_NO_VALUE = object()


def read_file(path: Path, limit: int) -> dict[str, Any]:
    """A parameter file's values by name as written (Key Vault references stay unknown; an
    entry with neither value nor reference still names a parameter the template must take)."""
    from mlwaf.sources import arm_expressions as ax  # the expression engine loads with templates only

    _, data = read_json(path, limit, strict=True)
    params = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(params, dict):
        raise ValueError("no 'parameters' object")
    out: dict[str, Any] = {}
    for name, entry in params.items():
        if isinstance(entry, dict) and "value" in entry:
            out[name] = entry["value"]
        elif isinstance(entry, dict) and "reference" in entry:
            out[name] = ax.Unknown(
                f"[Key Vault reference for parameter '{name}']", "a Key Vault secret, read at deployment time"
            )
        else:
            out[name] = _NO_VALUE
    return out


def named_for(parameters: Path, template: Path) -> bool:
    """`main.parameters.json`, `main.prod.parameters.json` and `main.prod.json` are for `main.json`."""
    stem = template.name[: -len(template.suffix)] if template.suffix else template.name
    return parameters.name.lower().startswith(stem.lower() + ".") and parameters.name != template.name


def named_for_another(parameters: Path, template: Path) -> bool:
    """`main.prod.parameters.json` is for `main.json` (beside it or beside the template), so not
    for `storage.json`, even where storage.json declares every parameter it sets."""
    parts = parameters.name.split(".")
    names = {f"{'.'.join(parts[:n])}.json" for n in range(1, len(parts) - 1)} - {template.name}
    return any((folder / name).is_file() for name in names for folder in {template.parent, parameters.parent})


def siblings(template: Path) -> list[Path]:
    if not template.is_file():
        return []
    folder, name = template.parent, template.name
    stem = name[: -len(template.suffix)] if template.suffix else name
    own = folder / f"{stem}.parameters.json"
    if own.is_file() and own.resolve() != template.resolve():
        return [own]
    shared = folder / "azuredeploy.parameters.json"
    if shared.is_file() and name != shared.name:
        return [shared]
    return []


def sets_for(
    params: dict[str, Any], template: Path, display: str, options: ReadOptions, use: ParameterUse | None,
) -> tuple[list[ParameterSet], list[str]]:
    """The deployments to scan a template as (one per parameter file for it, else its defaults),
    and the errors found choosing them; no deployment when every file meant for it was rejected
    (the errors say why). `params`: the template's declared parameters."""
    errors: list[str] = []
    declared = {name.lower(): spec for name, spec in params.items()}
    use = use or ParameterUse()
    use.declare(display, params)
    explicit = [Path(p) for p in options.parameter_files]
    sets: list[ParameterSet] = []
    meant = 0
    for path in explicit or siblings(template):
        own = not explicit or named_for(path, template)
        meant += own
        try:
            given = read_file(path, options.max_file_bytes)
        except (ValueError, ReadFailure) as err:
            use.used(path)  # reported here, not again as unused
            errors.append(f"cannot read parameter file {_show(path, options)}: {err}")
            continue
        undeclared = ", ".join(repr(n) for n in given if n.lower() not in declared)
        if not own and named_for_another(path, template):
            continue
        if undeclared:
            if own:
                use.used(path)
                errors.append(f"parameter file {_show(path, options)} sets {undeclared}, which this template does not "
                      "declare (Azure rejects the deployment): not assessed with it")
            else:
                use.misfit(path, f"{display} does not declare {undeclared}")
            continue
        use.used(path)
        sets.append(ParameterSet(path, {n.lower(): v for n, v in given.items() if v is not _NO_VALUE}))
    if not sets and meant:
        return [], errors  # every file meant for it was rejected: never other values in its place
    overrides = {n.lower(): v for n, v in (options.param_overrides or {}).items() if n.lower() in declared}
    return [
        ParameterSet(s.file, {**s.values, **{k: coerce(v, declared[k]) for k, v in overrides.items()}})
        for s in sets or [ParameterSet(None, {})]
    ], errors


def _show(path: Path, options: ReadOptions) -> str:
    return display_path(path, options.root)


def coerce(value: Any, spec: Any) -> Any:
    """A `--param name=value` string read as the parameter's declared type."""
    if not isinstance(value, str) or not isinstance(spec, dict):
        return value
    kind = str(spec.get("type", "")).lower()
    try:
        if kind == "int":
            return int(value)
        if kind == "bool" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if kind in ("object", "array", "secureobject"):
            return json.loads(value)
    except ValueError:
        return value
    return value
