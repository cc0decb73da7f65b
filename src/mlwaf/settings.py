"""A setting declared once: its key in mlwaf.toml, its command-line flag, its type, how a value
is checked, its help, and where it lands in the scan's options. The config file's parser, the
command line's options and the overlay of one on the other are all derived from these
declarations (mlwaf.config.Config holds them), so adding a setting is one declaration.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from mlwaf.scan import ScanOptions

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class ConfigError(ValueError):
    """A setting that cannot be used: the message names the file (or the option) and the key."""


@dataclass(frozen=True)
class Where:
    """Where a value was written, for error messages (`mlwaf.toml: 'fail-on'`), and the folder a
    relative path in it is relative to."""

    file: str  # the config file as reports name it, or "the command line"
    key: str
    base: Path

    @property
    def at(self) -> str:
        return f"{self.file}: {self.key!r}"


@dataclass(frozen=True)
class Flag:
    """How the command line gives a setting (typer.Option's declarations and keywords)."""

    decls: tuple[str, ...]  # ("--fail-on",), or ("--x/--no-x",) for a boolean that can be turned off
    type: Any  # what typer parses: str, int, bool, Path, list[str]
    # The command line's value -> the setting's (default: the value as typer parsed it).
    parse: Callable[[Any, str], Any] | None = None
    # The file's value and the command line's -> the setting's (default: the command line's wins).
    merge: Callable[[Any, Any], Any] | None = None
    option: Mapping[str, Any] = field(default_factory=dict)  # more typer.Option keywords

    @property
    def name(self) -> str:
        return self.decls[0].split("/")[0]


class Setting(Generic[T]):
    """One setting, declared as a class attribute of mlwaf.config.Config; reading it from a Config
    gives its value (the default when neither the file nor the command line set it)."""

    def __init__(
        self,
        key: str,
        default: T,
        *,
        parse: Callable[[Any, Where], T],
        help: str,  # noqa: A002 - the word typer and click use
        flag: Flag | None = None,
        into: Callable[[ScanOptions, T], ScanOptions] | None = None,
    ) -> None:
        self.key = key  # in mlwaf.toml and [tool.mlwaf]
        self.default = default
        self.parse = parse  # a value as written (TOML) -> the typed value; raises ConfigError
        self.help = help
        self.flag = flag
        # Where the value lands in the scan's options; None: mlwaf.config.Config.apply places it
        # (it needs the loaded checks, or reads a file), or the command reads it (the history
        # and the digest: what happens to the result after the scan).
        self.into = into
        self.name = key.replace("-", "_")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Setting[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Setting[T] | T:
        if obj is None:
            return self
        values: dict[str, Any] = obj.__dict__["_values"]
        return values.get(self.name, self.default)  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T) -> None:
        raise AttributeError(f"{self.name} is read-only: Config.with_options gives a config with other values")

    def from_command_line(self, value: Any, current: T) -> T:
        """The value once the command line's `value` is laid over `current` (the file's)."""
        assert self.flag is not None
        parsed = self.flag.parse(value, self.flag.name) if self.flag.parse else value
        return self.flag.merge(current, parsed) if self.flag.merge else parsed  # type: ignore[no-any-return]

    def parameter(self) -> inspect.Parameter:
        """The command-line option, as a keyword parameter typer reads from a signature."""
        import typer

        assert self.flag is not None
        option = typer.Option(*self.flag.decls, help=self.help, **self.flag.option)
        return inspect.Parameter(
            self.name, inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[self.flag.type | None, option],
        )


def given(value: Any) -> bool:
    """A command-line value that was given: typer passes None (or an empty list) otherwise."""
    return value is not None and value != []


def with_options(*settings: Setting[Any]) -> Callable[[F], F]:
    """A command whose `**settings` receives these settings' command-line flags: its signature,
    as typer reads it, gains one keyword option per setting (name = the Config attribute), before
    the command's own keyword-only options (so `--help` lists them in that order)."""

    def wrap(fn: F) -> F:
        signature = inspect.signature(fn, eval_str=True)  # as typer reads it: Annotated, not text
        params = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        at = next((i for i, p in enumerate(params) if p.kind is inspect.Parameter.KEYWORD_ONLY), len(params))
        params[at:at] = [s.parameter() for s in settings]
        fn.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return fn

    return wrap
