"""Check parameters: what each one takes, declared beside the check, checked before a scan.

A check declares its parameters in `params`, name -> `Param` (a plain description string is read
as a parameter that takes any value, for packs written before types existed). The config file's
values are validated against the declaration when the config is applied, before any input is
read, with the same care as the command line: `min_instances = "three"` or `-5` is a config
error naming the key (exit 2), where it used to make the check raise on every resource (ERROR
findings) or pass everything.

    params={"min_instances": Param("minimum instance count for a pass", "integer", minimum=1)}

Kinds: `text`, `texts` (an array of strings; one string is read as a comma-separated list),
`integer`, `number`, `boolean`, `any`; `choices` for text (matched case-insensitively and given
to the check in lower case), `minimum`/`maximum` for numbers, and `parse` for text whose form
only a function knows (a duration): it returns None for a value it cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("text", "texts", "integer", "number", "boolean", "any")


class ParamError(ValueError):
    """A parameter value that does not fit its declaration; the message says what it takes."""


@dataclass(frozen=True)
class Param:
    description: str
    kind: str = "text"
    minimum: float | None = None
    maximum: float | None = None
    choices: Sequence[str] = ()
    parse: Callable[[Any], Any] | None = None
    expects: str = ""  # what `parse` reads, for the error message ("an ISO-8601 duration, e.g. PT30M")

    def __str__(self) -> str:
        return self.description

    @property
    def takes(self) -> str:
        """What the parameter takes, in words: "an integer >= 1", "an array of strings"."""
        if self.expects:
            return self.expects
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        words = {
            "text": "a string", "texts": "an array of strings", "integer": "an integer", "number": "a number",
            "boolean": "true or false", "any": "any value",
        }[self.kind]
        bounds = [f">= {self.minimum:g}" if self.minimum is not None else "",
                  f"<= {self.maximum:g}" if self.maximum is not None else ""]
        return " ".join([words, *(b for b in bounds if b)])

    def value(self, value: Any) -> Any:
        """The value as the check receives it; ParamError when it does not fit."""
        kind = self.kind
        if kind == "any":
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ParamError(f"takes true or false, got {value!r}")
            return value
        if kind in ("integer", "number"):
            ok = isinstance(value, int) if kind == "integer" else isinstance(value, int | float)
            if isinstance(value, bool) or not ok:
                raise ParamError(f"takes {self.takes}, got {value!r}")
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                raise ParamError(f"takes {self.takes}, got {value!r}")
            return value
        if kind == "texts":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ParamError(f"takes an array of non-empty strings, e.g. [\"a\", \"b\"], got {value!r}")
            return [v.strip() for v in value]
        if not isinstance(value, str) or not value.strip():
            raise ParamError(f"takes {self.takes}, got {value!r}")
        if self.choices:
            lowered = value.strip().lower()
            if lowered not in {c.lower() for c in self.choices}:
                raise ParamError(f"takes {self.takes}, got {value!r}")
            return lowered
        if self.parse is not None and self.parse(value) is None:
            raise ParamError(f"takes {self.takes}, got {value!r}")
        return value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description, "type": self.kind}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        if self.expects:
            out["expects"] = self.expects
        return out


def declared(params: Any, where: str) -> dict[str, Param]:
    """A check's `params` metadata as Params (descriptions become `any`); ValueError naming the
    parameter when a declaration is malformed."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValueError(f"{where}: field 'params' must map names to Param(...) or descriptions, got {params!r}")
    out: dict[str, Param] = {}
    for name, decl in params.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{where}: parameter name {name!r} must be an identifier (letters, digits, _)")
        if isinstance(decl, str):
            decl = Param(decl, "any")
        if not isinstance(decl, Param) or decl.kind not in KINDS:
            raise ValueError(
                f"{where}: parameter {name!r} must be Param(description, kind) with kind one of {', '.join(KINDS)}, "
                f"or a description, got {decl!r}"
            )
        out[name] = decl
    return out
