"""Functions and classes stay small enough to read: no function in src/ over 80 lines and no class
over 250, unless a one-line reason is written beside its definition (`# long: <why>` at the end of
the `def` or `class` line)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LIMITS = {ast.FunctionDef: 80, ast.AsyncFunctionDef: 80, ast.ClassDef: 250}


def too_long(root: Path = SRC) -> list[str]:
    """Each function or class over its limit without a reason, as `path:line name: N lines`."""
    out = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines), str(path))):
            limit = LIMITS.get(type(node))
            if limit is None:
                continue
            size = node.end_lineno - node.lineno + 1
            if size > limit and "# long: " not in lines[node.lineno - 1]:
                out.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {size} lines (limit {limit})")
    return out


def test_no_function_or_class_is_over_the_limit_without_a_reason():
    assert too_long() == []


def test_the_limits_are_found_and_a_reason_is_read(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(80))
    (tmp_path / "m.py").write_text(
        f"def long():\n{body}\n"
        f"def explained():  # long: one table\n{body}\n"
        f"def short():\n{body[:-len('    x79 = 79')-1]}\n"
        "class Big:\n" + "".join(f"    a{i} = {i}\n" for i in range(250)),
        encoding="utf-8",
    )
    assert too_long(tmp_path) == ["m.py:1 long: 81 lines (limit 80)", "m.py:246 Big: 251 lines (limit 250)"]
