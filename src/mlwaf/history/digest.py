"""The digest: a short Markdown of what changed between the last two runs of a history, for a
chat channel or a tracking issue. New high findings first, then regressions (findings failing
again after a fix, pillars whose score dropped), other new findings, what was fixed, and coverage
(what the latest run could not assess, or could again).

It is short by design (at most `SHOWN` rows a list, with the count of the rest); `mlwaf history
open` and `mlwaf diff` give the whole lists. Every value from a resource is escaped, and
`@mentions` and `#123` references in them are broken (mdtext), so posting it notifies no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlwaf.history import mdtext
from mlwaf.history.diff import PILLARS, RUN_SCOPE
from mlwaf.history.store import History, RunRow, key

SHOWN = 10
_FINDING_COLUMNS = ("s.severity, f.check_id, c.title, r.name, r.type, r.rid, "
                    "EXISTS (SELECT 1 FROM finding_span o WHERE o.finding = s.finding AND o.end_run IS NOT NULL "
                    "AND o.end_run <= s.first_run) AS again, s.end_reason")
_FINDING_FROM = ("FROM finding_span s JOIN finding f ON f.id = s.finding JOIN resource r ON r.id = f.resource "
                 "LEFT JOIN check_meta c ON c.check_id = f.check_id")


def render(history: History) -> str:
    """The digest of the latest run against the one before it."""
    runs = history.runs()
    if not runs:
        return "# mlwaf digest\n\nThe history holds no run yet.\n"
    latest = runs[-1]
    previous = runs[-2] if len(runs) > 1 else None
    return "\n".join(_Digest(history, latest, previous).lines()) + "\n"


def write(history: History, path: Any) -> None:
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(history), encoding="utf-8")


class _Digest:
    def __init__(self, history: History, latest: RunRow, previous: RunRow | None) -> None:
        self.db, self.latest, self.previous = history.db, latest, previous

    def _findings(self, where: str, *args: Any) -> list[tuple[Any, ...]]:
        order = " ORDER BY CASE s.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, f.check_id, r.rid"
        return list(self.db.execute(f"SELECT {_FINDING_COLUMNS} {_FINDING_FROM} WHERE {where}{order}", args))

    def lines(self) -> list[str]:
        latest, previous = self.latest, self.previous
        since = f"since {previous.when}" if previous else "first run in this history"
        out = [f"## mlwaf: what changed {since}", "",
               f"Run of {latest.when}: {latest.resources} resources"
               + (f" ({latest.resources - previous.resources:+d})" if previous else "") + "."]
        opened = self._findings("s.first_run = ?", latest.id)
        fixed = self._findings("s.end_run = ?", latest.id)
        unseen = self._findings("s.end_run IS NULL AND s.last_run = ?", previous.id) if previous else []
        scores = self._scores()
        new, again = [f for f in opened if not f[6]], [f for f in opened if f[6]]
        high = [f for f in new if f[0] == "high"]
        dropped = [(p, b, a) for p, b, a in scores if b is not None and a is not None and a < b]
        out += ["", f"**{len(new)} new** ({len(high)} high), **{len(again)} failing again**, **{len(fixed)} fixed**"
                + (f", {len(unseen)} no longer assessed (kept open)" if unseen else "") + "."]
        if high:
            out += self._list("New high findings", high)
        if again or dropped:
            out += ["", "### Regressions"]
            if dropped:
                out += ["", *[f"- {mdtext.esc(p)} score {mdtext.num(b)} → {mdtext.num(a)}" for p, b, a in dropped]]
            if again:
                out += self._list("Failing again after a fix", again, level="####")
        rest = [f for f in new if f[0] != "high"]
        if rest:
            out += self._list("Other new findings", rest)
        if fixed:
            out += self._list("Fixed", fixed)
        out += self._coverage(unseen)
        out += self._policy()
        if scores:
            rows = [[mdtext.esc(p), mdtext.num(b), mdtext.num(a)] for p, b, a in scores]
            out += ["", "### Scores", "", *mdtext.table(["pillar", "before", "now"], rows, numeric=(1, 2))]
        return out

    def _list(self, title: str, rows: Sequence[tuple[Any, ...]], level: str = "###") -> list[str]:
        esc = mdtext.esc
        out = ["", f"{level} {title} ({len(rows)})", ""]
        for severity, check_id, check_title, name, rtype, _rid, _again, reason in rows[:SHOWN]:
            gone = " (resource removed)" if reason == "removed" else ""
            out.append(f"- **{esc(severity)}** {esc(check_id)} {esc(check_title or '')}: "
                       f"`{esc(name)}` ({esc(str(rtype).rsplit('/', 1)[-1])}){gone}")
        if len(rows) > SHOWN:
            out.append(f"- … and {len(rows) - SHOWN} more (`mlwaf history open` lists them)")
        return out

    def _scores(self) -> list[tuple[str, float | None, float | None]]:
        """(pillar, score at the previous run, score now) for the whole run."""
        def at(run: RunRow | None) -> dict[str, float | None]:
            if run is None:
                return {}
            rows = self.db.execute(
                "SELECT pillar, score FROM score_span WHERE scope = ? AND first_run <= ? AND "
                "(last_run IS NULL OR last_run >= ?) AND (end_run IS NULL OR end_run > ?)",
                (key(f"{RUN_SCOPE}|"), run.id, run.id, run.id))
            return dict(rows)

        before, now = at(self.previous), at(self.latest)
        return [(p, before.get(p), now.get(p)) for p in PILLARS if p in before or p in now]

    def _coverage(self, unseen: Sequence[tuple[Any, ...]]) -> list[str]:
        esc = mdtext.esc

        def entries(run: RunRow | None) -> dict[tuple[Any, ...], str]:
            if run is None:
                return {}
            rows = self.db.execute("SELECT path, scope, call, message FROM not_assessed WHERE run = ?", (run.id,))
            return {(p, s, c): m for p, s, c, m in rows}

        now, before = entries(self.latest), entries(self.previous)
        appeared = [(k, m) for k, m in now.items() if k not in before]
        resolved = [k for k in before if k not in now]
        resources = self.db.execute(
            "SELECT (SELECT count(*) FROM resource_span WHERE first_run = ?), "
            "(SELECT count(*) FROM resource_span WHERE end_run = ?)", (self.latest.id, self.latest.id)).fetchone()
        if not (appeared or resolved or unseen or (self.previous and any(resources))):
            return []
        out = ["", "### Coverage", ""]
        out += [f"- not assessed now: `{esc(k[1] or k[0])}`: {esc(m)}" for k, m in appeared[:SHOWN]]
        out += [f"- assessed again: `{esc(k[1] or k[0])}`" for k in resolved[:SHOWN]]
        if unseen:
            out.append(f"- {len(unseen)} open finding(s) could not be assessed this run; they stay open")
        if self.previous and any(resources):
            out.append(f"- resources: {resources[0]} added, {resources[1]} removed")
        return out

    def _policy(self) -> list[str]:
        if not self.latest.policy:
            return []
        opened, closed = self.db.execute(
            "SELECT (SELECT count(*) FROM policy_span WHERE first_run = ?), "
            "(SELECT count(*) FROM policy_span WHERE end_run = ?)", (self.latest.id, self.latest.id)).fetchone()
        rows = self.db.execute("SELECT assignment, percent FROM policy_compliance WHERE run = ? ORDER BY assignment",
                               (self.latest.id,))
        out = ["", "### Azure Policy", "", f"- {opened} result(s) newly non-compliant, {closed} compliant again"]
        out += [f"- {mdtext.esc(a)}: {mdtext.num(p)}% compliant" for a, p in rows]
        return out

