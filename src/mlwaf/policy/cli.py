"""`mlwaf policy list | show | test`: for the authors of policies, beside `mlwaf scan`.

Only typer is imported here; the evaluator and the built-in data load when a command runs.
Exit codes follow the scan's: 0 ok, 1 a test failed, 2 usage or input error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mlwaf.exit_codes import ExitCode

app = typer.Typer(help="Azure Policy: list and explain the built-ins, unit-test your own.", no_args_is_help=True)


def _err(message: str) -> None:
    typer.echo(f"mlwaf: error: {message}", err=True)


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        _err(f"--format takes {' or '.join(allowed)}")
        raise typer.Exit(ExitCode.USAGE)


@app.command("list")
def list_policies(
    category: Annotated[
        list[str] | None, typer.Option("--category", "-c", help="Only this category (repeatable).")
    ] = None,
    initiatives: Annotated[bool, typer.Option("--initiatives", help="List the built-in initiatives instead.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the built-in definitions (or initiatives) mlwaf ships, with what it evaluates."""
    from mlwaf.policy import catalog, describe

    _check_format(fmt, ("table", "json"))
    wanted = {c.lower() for c in category or []}
    if initiatives:
        rows = [describe.initiative_info(i) for i in catalog.builtin_initiatives()]
    else:
        rows = [describe.definition_info(d) for d in catalog.builtin_definitions(category or None)]
    rows = [r for r in rows if not wanted or r["category"].lower() in wanted]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} built-in {'initiatives' if initiatives else 'definitions'}")
    if initiatives:
        for col in ("name", "category", "members", "display name"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"], r["category"], str(r["members"]), r["display_name"])
    else:
        for col in ("name", "category", "mode", "effect", "evaluated", "display name"):
            table.add_column(col)
        for r in rows:
            effect = r["effect"].get("fixed") or r["effect"].get("default") or "(required)"
            table.add_row(
                r["name"],
                r["category"],
                str(r["mode"]),
                str(effect),
                "yes" if r["evaluated"] else r["class"],
                r["display_name"],
            )
    Console().print(table)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="A built-in definition or initiative: GUID or display name.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """What a policy checks: its rule, the aliases and property paths it reads, parameters, effects."""
    from mlwaf.policy import catalog, describe, store
    from mlwaf.policy.errors import PolicyInputError

    _check_format(fmt, ("text", "json"))
    key = name.strip().lower()
    index = store.index()
    by_name = {e["display_name"].lower(): g for g, e in index["definitions"].items()}
    guid = key if key in index["definitions"] else by_name.get(key)
    if guid is not None:
        definition = catalog.builtin_definition(guid)
        assert definition is not None
        info = describe.show_definition(definition)
    else:
        try:
            initiative = catalog.find_builtin_initiative(name)
        except PolicyInputError:
            near = sorted(
                e["display_name"] for e in index["definitions"].values() if key and key in e["display_name"].lower()
            )
            hint = f"; did you mean: {'; '.join(near[:5])}" if near else "; `mlwaf policy list` shows them"
            _err(f"no built-in definition or initiative {name!r}{hint}")
            raise typer.Exit(ExitCode.USAGE) from None
        info = describe.initiative_info(initiative)
        info["description"] = initiative.description
        info["member_list"] = [
            {
                "reference_id": m.reference_id,
                "definition_id": m.definition_id,
                "display_name": (
                    d.display_name
                    if (d := catalog.builtin_definition(m.definition_id.rsplit("/", 1)[-1]))
                    else "(not shipped)"
                ),
            }
            for m in initiative.members
        ]
    if fmt == "json":
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    typer.echo(describe.show_text(info))


@app.command("test")
def test(
    path: Annotated[Path, typer.Argument(help="A suite folder (with tests/) or a folder of suites.")],
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Run policy unit tests: fixtures named by the outcome they expect (compliant-*, noncompliant-*,
    deny-*, modify-*, ...). Exit 0 when all pass, 1 when one fails, 2 when a suite cannot be read."""
    from mlwaf.policy import testing

    _check_format(fmt, ("table", "json"))
    if not path.exists():
        _err(f"{path}: no such file or folder")
        raise typer.Exit(ExitCode.USAGE)
    cases, problems = testing.run(path)
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(testing.junit(cases, problems), encoding="utf-8")
    if fmt == "json":
        typer.echo(json.dumps({"cases": [c.to_dict() for c in cases], "problems": problems}, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{sum(c.passed for c in cases)}/{len(cases)} policy tests passed")
        for col in ("suite", "fixture", "expected", "got", "result"):
            table.add_column(col)
        for c in cases:
            table.add_row(c.suite, c.fixture, c.expected, c.got, "pass" if c.passed else "FAIL")
        console = Console()
        console.print(table)
        for c in cases:
            if not c.passed:
                typer.echo(f"FAIL {c.suite}/{c.fixture}: expected {c.expected}, got {c.got}: {c.detail}")
    for p in problems:
        _err(p)
    if problems:
        raise typer.Exit(ExitCode.USAGE)
    raise typer.Exit(ExitCode.OK if all(c.passed for c in cases) else ExitCode.GATE_FAILED)
