"""How much of a check pack is metadata and how much is logic, in lines of source.

    python bench/pack_metadata.py [checks/]

Metadata: what a check says about itself (id, title, severity, texts, references, defaults,
params, reads, differs; the decorator and declaration lines around them). Logic: what decides
the verdict (function definitions and bodies, helper functions of the pack, and the rule of a
declared check: `read`, `want`, `when`, `missing`, `ok`, `bad`, a family's body and `args`).
Module docstrings, imports, constants and blank lines count as neither. A line that holds both
counts as logic. docs/performance.md records the numbers.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

RULE = {"read", "want", "when", "missing", "ok", "bad", "args"}
DECLARATIONS = {"value_check", "check_family"}
DECORATORS = {"check", "reads", "differs"}


def _lines(node: ast.AST) -> set[int]:
    return set(range(node.lineno, (node.end_lineno or node.lineno) + 1))  # type: ignore[attr-defined]


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def _keywords(call: ast.Call, meta: set[int], logic: set[int]) -> None:
    for kw in call.keywords:
        (logic if kw.arg in RULE else meta).update(_lines(kw.value) | {kw.value.lineno})
        if kw.arg == "members" and isinstance(kw.value, ast.List):
            for member in kw.value.elts:
                if isinstance(member, ast.Call):
                    _keywords(member, meta, logic)


def measure(path: Path) -> tuple[set[int], set[int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    meta: set[int] = set()
    logic: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if _call_name(deco) in DECORATORS:
                    meta.update(_lines(deco))
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # a docstring says why; neither metadata nor logic
            logic.add(node.lineno)
            for stmt in body:
                logic.update(_lines(stmt))
        elif isinstance(node, ast.Assign) and _call_name(node.value) in DECLARATIONS:
            call = node.value
            assert isinstance(call, ast.Call)
            meta.update(_lines(call))
            for arg in call.args:  # a family's body
                logic.update(_lines(arg))
            _keywords(call, meta, logic)
    return meta - logic, logic


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "checks"
    rows = {}
    for path in sorted(folder.glob("*.py")):
        meta, logic = measure(path)
        rows[path.name] = {"metadata": len(meta), "logic": len(logic)}
    total_meta = sum(r["metadata"] for r in rows.values())
    total_logic = sum(r["logic"] for r in rows.values())
    share = total_meta / (total_meta + total_logic) if total_meta + total_logic else 0.0
    print(json.dumps({"modules": rows, "metadata": total_meta, "logic": total_logic,
                      "metadata_share": round(share, 3)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
