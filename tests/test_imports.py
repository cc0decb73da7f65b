"""mlwaf's modules import each other one way (issue 13: no import cycle anywhere in src/mlwaf).

What counts as an import of A by B: any `import` or `from ... import` in B, at module level,
under `if TYPE_CHECKING:` (a type-only cycle is still two modules that cannot be understood one
without the other, and it is one edit away from a real one) and inside functions (an import
moved into a function to dodge a cycle is the same cycle with the arrow hidden). `from pkg import
name` names the submodule `pkg.name` when there is one, else the package's `__init__`; relative
imports are read as the absolute ones they stand for.

Imports inside functions are how a module loads what it rarely needs (the Azure SDK, pandas, the
policy evaluator when policies are off, the template expression engine with the first template):
they stay, and count like any other. One that would close a cycle is allowed only in
`LAZY_IN_A_CYCLE`, with its reason; there is none today.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mlwaf

PACKAGE = Path(mlwaf.__file__).parent

# (importer, imported) -> why this function-local import stays lazy although it closes a cycle
# (lazy for cost, or an optional dependency). Each entry must still exist and still be needed.
LAZY_IN_A_CYCLE: dict[tuple[str, str], str] = {}


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


def _targets(s: ast.stmt, package: str, modules: set[str]) -> set[str]:
    """The modules of `modules` one import statement names; `package` resolves a relative one."""
    if isinstance(s, ast.Import):
        return {a.name for a in s.names if a.name in modules}
    if not isinstance(s, ast.ImportFrom):
        return set()
    base = s.module or ""
    if s.level:
        anchor = package.rsplit(".", s.level - 1)[0] if s.level > 1 else package
        base = f"{anchor}.{base}" if base else anchor
    out: set[str] = set()
    for a in s.names:
        sub = f"{base}.{a.name}"
        if sub in modules:
            out.add(sub)
        elif base in modules:
            out.add(base)
    return out


def imports(path: Path, name: str, modules: set[str], *, local: bool = True) -> set[str]:
    """The modules of `modules` that module `name` (at `path`) imports: at module level, and
    anywhere else (functions, methods) too unless `local` is False."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = ast.walk(tree) if local else _statements(tree.body)
    return {t for s in found if isinstance(s, ast.stmt) for t in _targets(s, package, modules)}


def graph(root: Path = PACKAGE, *, local: bool = True) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (inside functions too unless not `local`)."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(paths)
    return {name: imports(path, name, modules, local=local) - {name} for name, path in paths.items()}


def without(edges: dict[str, set[str]], allowed: dict[tuple[str, str], str]) -> dict[str, set[str]]:
    return {m: {n for n in targets if (m, n) not in allowed} for m, targets in edges.items()}


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


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text, encoding="utf-8")
    return pkg


def test_the_graph_reads_type_only_imports_and_names_submodules(tmp_path):
    pkg = _package(tmp_path, {
        "sub/__init__.py": "X = 1\n",
        "sub/leaf.py": "from pkg import top\n",
        "top.py": "from typing import TYPE_CHECKING\nfrom pkg.sub import X, leaf\n"
                  "if TYPE_CHECKING:\n    import pkg.other\n",
        "other.py": "",
    })
    edges = graph(pkg)
    assert edges["pkg.top"] == {"pkg.sub", "pkg.sub.leaf", "pkg.other"}
    assert edges["pkg.sub.leaf"] == {"pkg.top"}
    assert cycle(edges) == ["pkg.sub.leaf", "pkg.top", "pkg.sub.leaf"]


def test_an_import_inside_a_function_counts_and_only_the_allow_list_excuses_it(tmp_path):
    """The hidden arrow: `types` is imported at module level, `reader` only inside a method."""
    pkg = _package(tmp_path, {
        "types.py": "class Options:\n    def read(self):\n        from pkg import reader\n",
        "reader.py": "from pkg.types import Options\n",
    })
    assert graph(pkg, local=False)["pkg.types"] == set()  # what the test counted before
    edges = graph(pkg)
    assert edges["pkg.types"] == {"pkg.reader"}
    assert cycle(edges) == ["pkg.reader", "pkg.types", "pkg.reader"]
    assert cycle(without(edges, {("pkg.types", "pkg.reader"): "lazy for cost"})) is None


def test_relative_imports_are_read_as_absolute_ones(tmp_path):
    pkg = _package(tmp_path, {
        "sub/__init__.py": "from . import leaf\n",
        "sub/leaf.py": "def f():\n    from ..top import X\n    from .. import other\n",
        "top.py": "X = 1\n",
        "other.py": "",
    })
    edges = graph(pkg)
    assert edges["pkg.sub"] == {"pkg.sub.leaf"}
    assert edges["pkg.sub.leaf"] == {"pkg.top", "pkg.other"}


def test_no_import_cycle_in_mlwaf():
    edges = graph()
    assert "mlwaf.policy.conditions" in edges["mlwaf.policy.evaluate"]  # the graph is read at all
    assert "mlwaf.assessment" in edges["mlwaf.gate"]  # type-only imports count
    assert "mlwaf.sources.live" in edges["mlwaf.scan"]  # imports inside functions count
    found = cycle(without(edges, LAZY_IN_A_CYCLE))
    assert found is None, " -> ".join(found or [])


def test_each_allowed_lazy_import_exists_and_closes_a_cycle():
    edges, module_level = graph(), graph(local=False)
    for (importer, imported), reason in LAZY_IN_A_CYCLE.items():
        assert reason.strip(), (importer, imported)
        assert imported in edges[importer], f"{importer} no longer imports {imported}: drop it"
        assert imported not in module_level[importer], f"{importer} imports {imported} at module level"
        rest = without(edges, {k: v for k, v in LAZY_IN_A_CYCLE.items() if k != (importer, imported)})
        assert cycle(rest) is not None, f"{importer} -> {imported} closes no cycle: drop it"
