"""Which checks run: `--checks` / `--skip-checks` (and `checks` / `skip-checks` in the config).

A selector is a check id or glob (`MLW-SEC-001`, `MLW-SEC-*`), a pillar (`security`,
`cost`, `operational-excellence`), a severity (`high`), or a tag; a prefix (`id:`, `pillar:`,
`severity:`, `tag:`) makes it explicit. A bare word matches any of those. Several selectors may
be given (repeat the option, or separate them with commas). With include selectors only the
checks they match run; exclude selectors then remove checks. A selector that matches no check
at all is an error, so a typo cannot silently turn a check off (or every check but one on).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence

from mlwaf.check import CheckSpec
from mlwaf.model import Pillar, Severity

KINDS = ("id", "pillar", "severity", "tag")
_PILLAR_ALIASES = {
    "cost": Pillar.COST_OPTIMIZATION,
    "operations": Pillar.OPERATIONAL_EXCELLENCE,
    "operational": Pillar.OPERATIONAL_EXCELLENCE,
    "performance": Pillar.PERFORMANCE_EFFICIENCY,
}


class SelectionError(ValueError):
    """A selector that is malformed or matches no check."""


def pillar_named(name: str) -> Pillar | None:
    """A pillar from how people write it: `cost_optimization`, `Cost Optimization`, `cost`."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in _PILLAR_ALIASES:
        return _PILLAR_ALIASES[key]
    try:
        return Pillar(key)
    except ValueError:
        return None


def split(values: Iterable[str] | None) -> list[str]:
    """Selectors from repeated options and comma-separated lists, blanks dropped."""
    return [part.strip() for value in values or () for part in str(value).split(",") if part.strip()]


def matches(spec: CheckSpec, selector: str) -> bool:
    kind, _, value = selector.partition(":")
    if not value or kind.lower() not in KINDS:
        kind, value = "", selector
    kind = kind.lower()
    value = value.strip()
    if kind in ("", "id") and fnmatch.fnmatchcase(spec.id.upper(), value.upper()):
        return True
    if kind in ("", "pillar") and pillar_named(value) == spec.pillar:
        return True
    if kind in ("", "severity") and value.lower() == spec.severity.value:
        return True
    return kind in ("", "tag") and value.lower() in {t.lower() for t in spec.tags}


def _check(selector: str) -> None:
    kind, _, value = selector.partition(":")
    if kind.lower() == "pillar" and pillar_named(value) is None:
        raise SelectionError(f"{selector!r}: no such pillar; use one of {', '.join(p.value for p in Pillar)}")
    if kind.lower() == "severity" and value.strip().lower() not in {s.value for s in Severity}:
        raise SelectionError(f"{selector!r}: no such severity; use high, medium or low")


def select(
    specs: Sequence[CheckSpec], include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> list[CheckSpec]:
    """The checks to run, in the given order."""
    include_sel, exclude_sel = split(include), split(exclude)
    for option, selectors in (("--checks", include_sel), ("--skip-checks", exclude_sel)):
        for selector in selectors:
            _check(selector)
            if not any(matches(s, selector) for s in specs):
                raise SelectionError(
                    f"{option} {selector!r} matches no check (`mlwaf checks list` shows ids, pillars, "
                    "severities and tags)"
                )
    chosen = [s for s in specs if not include_sel or any(matches(s, sel) for sel in include_sel)]
    chosen = [s for s in chosen if not any(matches(s, sel) for sel in exclude_sel)]
    if specs and not chosen:
        raise SelectionError(
            f"--checks {', '.join(include_sel) or '(all)'} with --skip-checks {', '.join(exclude_sel)} "
            "leaves no check to run: a scan that runs none would pass every gate"
        )
    return chosen
