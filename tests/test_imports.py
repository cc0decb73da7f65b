"""mlwaf's modules import each other one way (issue 13: no import cycle anywhere in src/mlwaf).

What counts as an import of A by B: a module-level `import` or `from ... import` in B, those
under `if TYPE_CHECKING:` too (a type-only cycle is still two modules that cannot be understood
one without the other, and it is one edit away from a real one). `from pkg import name` names the
submodule `pkg.name` when there is one, else the package's `__init__`. Imports inside functions
do not count: they are how a module loads what it rarely needs (pandas, the Azure SDK, the
policy evaluator when policies are off), never a way around a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mlwaf

PACKAGE = Path(mlwaf.__file__).parent


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """A module's top-level statements, those in `if` (TYPE_CHECKING) and `try` blocks too."""
    out: list[ast.stmt] = []
    for s in body:
        if isinstance(s, ast.If | ast.Try):
            handlers = [h.body for h in s.handlers] if isinstance(s, ast.Try) else []
            for block in (s.body, s.orelse, *handlers):
                out.extend(_statements(block))
        else:
            out.append(s)
    return out


def imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` that a module imports at module level."""
    out: set[str] = set()
    for s in _statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(s, ast.Import):
            out.update(a.name for a in s.names if a.name in modules)
        elif isinstance(s, ast.ImportFrom) and s.module and not s.level:
            for a in s.names:
                sub = f"{s.module}.{a.name}"
                if sub in modules:
                    out.add(sub)
                elif s.module in modules:
                    out.add(s.module)
    return out


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports at module level."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(paths)
    return {name: imports(path, modules) - {name} for name, path in paths.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return [*path[path.index(n):], n]
            if n not in state and (found := visit(n)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_reads_type_only_imports_and_names_submodules(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    (pkg / "sub" / "leaf.py").write_text("from pkg import top\n", encoding="utf-8")
    (pkg / "top.py").write_text(
        "from typing import TYPE_CHECKING\nfrom pkg.sub import X, leaf\n"
        "if TYPE_CHECKING:\n    import pkg.other\n"
        "def later():\n    from pkg import other\n",
        encoding="utf-8",
    )
    (pkg / "other.py").write_text("", encoding="utf-8")
    edges = graph(pkg)
    assert edges["pkg.top"] == {"pkg.sub", "pkg.sub.leaf", "pkg.other"}
    assert edges["pkg.sub.leaf"] == {"pkg.top"}
    assert cycle(edges) == ["pkg.sub.leaf", "pkg.top", "pkg.sub.leaf"]


def test_no_import_cycle_in_mlwaf():
    edges = graph()
    assert "mlwaf.policy.conditions" in edges["mlwaf.policy.evaluate"]  # the graph is read at all
    assert "mlwaf.assessment" in edges["mlwaf.gate"]  # type-only imports count
    found = cycle(edges)
    assert found is None, " -> ".join(found or [])
