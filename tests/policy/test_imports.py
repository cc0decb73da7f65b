"""The policy evaluator's modules import each other one way (issue 13: no import cycle).

Module-level imports count, those under `if TYPE_CHECKING:` too (a type-only cycle is still
two modules that cannot be understood one without the other); imports inside functions do not
(they are how a module loads what it rarely needs).
"""

from __future__ import annotations

import ast
from pathlib import Path

import mlwaf.policy

PACKAGE = Path(mlwaf.policy.__file__).parent


def _module_imports(path: Path) -> set[str]:
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for s in statements:
            if isinstance(s, ast.If):
                visit(s.body)
                visit(s.orelse)
            elif isinstance(s, ast.Import):
                found.update(a.name for a in s.names)
            elif isinstance(s, ast.ImportFrom) and s.module:
                found.add(s.module)
                found.update(f"{s.module}.{a.name}" for a in s.names)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _graph() -> dict[str, set[str]]:
    names = {p.stem: f"mlwaf.policy.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    modules = set(names.values())
    return {
        names[p.stem]: (_module_imports(p) & modules) - {names[p.stem]}
        for p in PACKAGE.glob("*.py") if p.stem != "__init__"
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return [*path[path.index(n):], n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_the_policy_package():
    graph = _graph()
    assert "mlwaf.policy.conditions" in graph["mlwaf.policy.evaluate"]  # the graph is read at all
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
