"""What-if: the cohort evaluated with the document's parameters and with overrides, listing exactly the students
whose conclusions change (what the overrides cannot change is computed once); and the policy memo (Markdown), CSV
and JSON of the result."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oerlog.backends.sql import RULE_COLUMN, SqlProgram, quote, share_unchanged
from oerlog.cohort.database import Cohort, Progress, Row, goal_filters, names_of, parse_goals
from oerlog.cohort.inputs import check_outputs
from oerlog.cohort.report import HOLDS, UNDETERMINED, show, status_rows
from oerlog.cohort.validate import LoadReport
from oerlog.escape import md_cell, md_code, md_text
from oerlog.kb.loader import KnowledgeBase
from oerlog.lang import ir
from oerlog.values import Value


@dataclass
class Change:
    """A conclusion whose answer differs between the two runs (holds, undetermined, does not hold)."""

    conclusion: str
    args: Row
    direction: str  # gained (holds only after) | lost (holds only before) | undetermined (undetermined in one run)
    rules: str
    before: str = "does_not_hold"  # holds | undetermined | does_not_hold
    after: str = "does_not_hold"


@dataclass
class WhatIfResult:
    """The students whose conclusions change when parameters are overridden."""

    document: str
    overrides: dict[str, Value]
    baseline: dict[str, Value]
    goals: list[str]
    columns: dict[str, list[str]]
    changes: list[Change]
    counts: list[dict[str, Any]]
    seconds: float
    shared: list[str] = field(default_factory=list)  # relations the overrides cannot change (computed once)
    relations: list[str] = field(default_factory=list)  # every derived relation of the run
    report: LoadReport = field(default_factory=LoadReport)  # what was loaded, rejected, not read, noted
    internal: list[str] = field(default_factory=list)  # the compiler's auxiliary relations among ``relations``

    def recomputed(self) -> list[str]:
        """The derived relations of the rules that depend on the parameters changed (evaluated twice)."""
        skip = set(self.shared) | set(self.internal)
        return [r for r in self.relations if r not in skip]

    def students(self) -> list[str]:
        """Distinct first arguments (students) of the changed conclusions."""
        return sorted({str(c.args[0]) for c in self.changes if c.args})


def whatif(
    kb: KnowledgeBase,
    doc_id: str,
    data: Path | str,
    overrides: Mapping[str, Value],
    goals: Sequence[str] | None = None,
    *,
    on_error: str = "stop",
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    output: Path | None = None,
) -> WhatIfResult:
    """Evaluate the cohort with the document's parameters and with ``overrides``; list every conclusion that
    differs (gained: holds only with the overrides; lost: holds only without). ``output``, the file the caller
    writes the result to, is checked against the inputs before the run (:func:`check_outputs`)."""
    t0 = time.perf_counter()
    doc = kb.document(doc_id)
    if goals:
        atoms = parse_goals(doc, goals)
        goal_names = names_of(atoms)
    else:
        concepts = set(kb.vocabulary.concepts)
        goal_names = sorted(p for p in doc.predicates() if p in concepts) or sorted(doc.predicates())
        atoms = [ir.Atom(g, ()) for g in goal_names]
    c = Cohort(kb, data, on_error=on_error, reference_date=reference_date, progress=progress)
    try:
        check_outputs(c.source, {"-o": output})
        base = c.compile(doc, goal_names, None, "base")
        alt = c.compile(doc, goal_names, overrides, "alt")
        shared = share_unchanged(base, alt)  # what the overrides cannot change is computed once
        base.filters = alt.filters = goal_filters(base, atoms)
        c.run(base)
        c.run(alt)
        c.report.unread = sorted(set(c.source.files) - c.loaded)
        changes: list[Change] = []
        counts = []
        columns: dict[str, list[str]] = {}
        for g in goal_names:
            rel = base.derived[g]
            columns[g] = list(rel.columns)
            cols = ", ".join(quote(x) for x in rel.columns)
            mine = _status_changes(c.con, base, alt, g)
            changes += mine
            gained = sum(ch.direction == "gained" for ch in mine)
            lost = sum(ch.direction == "lost" for ch in mine)
            n_base, n_alt = (
                c.con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {p.goal_rows(g)})").fetchone()[0]
                for p in (base, alt)
            )
            students = len({ch.args[0] for ch in changes if ch.conclusion == g})
            counts.append(
                {
                    "conclusion": g,
                    "before": int(n_base),
                    "after": int(n_alt),
                    "gained": gained,
                    "lost": lost,
                    "undetermined_changes": len(mine) - gained - lost,
                    "students_affected": students,
                }
            )
        baseline = {k: doc.plan().params.get(k) for k in overrides}
        return WhatIfResult(
            doc.id,
            dict(overrides),
            {k: v for k, v in baseline.items() if v is not None},
            goal_names,
            columns,
            changes,
            counts,
            time.perf_counter() - t0,
            shared,
            sorted(alt.derived),
            c.report,
            sorted(p for p in alt.derived if alt.plan.is_internal(p)),
        )
    finally:
        c.close()


def _status_changes(con: Any, base: SqlProgram, alt: SqlProgram, goal: str) -> list[Change]:
    """The rows of ``goal`` whose answer differs between the runs: from the rows of each run with their status
    (holds / undetermined; a row in neither does not hold), with the rules that derive them."""
    cols = [quote(x) for x in base.derived[goal].columns]
    keys = ", ".join(cols)
    rules = f"string_agg(DISTINCT {quote(RULE_COLUMN)}, '; ' ORDER BY {quote(RULE_COLUMN)})"

    def side(prog: SqlProgram) -> str:
        rows = status_rows(prog, goal)
        return f"SELECT {keys + ', ' if keys else ''}status, {rules} AS rules FROM {rows} AS r GROUP BY ALL"

    on = " AND ".join(f"b.{c} IS NOT DISTINCT FROM a.{c}" for c in cols) or "TRUE"
    picked = ", ".join(f"coalesce(a.{c}, b.{c})" for c in cols)
    sql = (
        f"SELECT {picked + ', ' if picked else ''}b.status, a.status, coalesce(a.rules, b.rules) "
        f"FROM ({side(base)}) AS b FULL OUTER JOIN ({side(alt)}) AS a ON {on} "
        f"WHERE b.status IS DISTINCT FROM a.status ORDER BY {', '.join(str(i + 1) for i in range(len(cols) + 2))}"
    )
    out = []
    for row in con.execute(sql).fetchall():
        *args, before, after, rule_ids = row
        before, after = before or "does_not_hold", after or "does_not_hold"
        direction = "gained" if after == HOLDS else "lost" if before == HOLDS else UNDETERMINED
        out.append(Change(goal, tuple(args), direction, rule_ids or "", before, after))
    return out


# --- the result as a memo, CSV and JSON ------------------------------------------------------------------------


def whatif_markdown(res: WhatIfResult) -> str:
    """A policy-memo section: the change, the counts, and every affected student."""
    changes = ", ".join(
        f"{md_code(k)} {md_text(show(res.baseline.get(k, '?')))} → {md_text(show(v))}" for k, v in res.overrides.items()
    )
    recomputed = ", ".join(md_code(r) for r in res.recomputed() if r not in res.internal) or "none"
    out = [
        f"# What if: {changes}",
        "",
        f"Document {md_code(res.document)}; conclusions compared: {', '.join(md_code(g) for g in res.goals)}.",
        f"{len(res.students())} student(s) affected, {len(res.changes)} conclusion(s) change.",
        f"Recomputed with the change: {len(res.recomputed())} of {len(res.relations)} relations "
        f"({recomputed}); the others do not depend on the parameters changed.",
        "",
        "| conclusion | before | after | gained | lost | students affected |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in res.counts:
        out.append(
            f"| {md_code(c['conclusion'], cell=True)} | {c['before']} | {c['after']} | {c['gained']} | {c['lost']} | "
            f"{c['students_affected']} |"
        )
    for g in res.goals:
        rows = [ch for ch in res.changes if ch.conclusion == g]
        if not rows:
            continue
        cols = res.columns[g]
        out += [
            "",
            f"## {md_code(g)}",
            "",
            "| change | " + " | ".join(md_cell(c) for c in cols) + " | rule(s) |",
            "|---|" + "---|" * (len(cols) + 1),
        ]
        for ch in rows:
            sign = {"gained": "+ gained", "lost": "− lost"}.get(ch.direction, "? undetermined")
            sign += f" ({ch.before} → {ch.after})" if UNDETERMINED in (ch.before, ch.after) else ""
            out.append(f"| {sign} | " + " | ".join(md_cell(show(v)) for v in ch.args) + f" | {md_cell(ch.rules)} |")
    return "\n".join(out) + "\n"


def whatif_csv(res: WhatIfResult) -> str:
    """One line per changed conclusion: conclusion, direction, arg1..argN, rules."""
    width = max((len(c) for c in res.columns.values()), default=0)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["conclusion", "change"] + [f"arg{i + 1}" for i in range(width)] + ["rules", "before", "after"])
    for ch in res.changes:
        args = [show(v) for v in ch.args] + [""] * (width - len(ch.args))
        w.writerow([ch.conclusion, ch.direction] + args + [ch.rules, ch.before, ch.after])
    return buf.getvalue()


def whatif_json(res: WhatIfResult) -> str:
    """The whole result as JSON (decimals as exact strings)."""
    return json.dumps(
        {
            "document": res.document,
            "overrides": {k: show(v) for k, v in res.overrides.items()},
            "baseline": {k: show(v) for k, v in res.baseline.items()},
            "goals": res.goals,
            "counts": res.counts,
            "recomputed": res.recomputed(),
            "students_affected": res.students(),
            "changes": [
                {
                    "conclusion": ch.conclusion,
                    "change": ch.direction,
                    "args": dict(zip(res.columns[ch.conclusion], (show(v) for v in ch.args), strict=True)),
                    "rules": ch.rules,
                    "before": ch.before,
                    "after": ch.after,
                }
                for ch in res.changes
            ],
        },
        indent=2,
        ensure_ascii=False,
    )
