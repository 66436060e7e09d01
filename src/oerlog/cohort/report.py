"""What a cohort run reports: the goals' rows with the rule and articles that produced each (the result table), the
counts per conclusion and per rule, and values shown plainly (``5.5``, ``2025-09-01``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from oerlog.backends.sql import RULE_COLUMN, SqlProgram, quote, sql_literal
from oerlog.lang import ir
from oerlog.values import format_literal


def show(v: object) -> str:
    """A value as a reader writes it: a decimal without trailing zeros (``5.5``), a date ISO, text as it is."""
    if isinstance(v, Decimal):
        return plain_decimal(v)
    if isinstance(v, (dt.date, bool, int)):
        return format_literal(v).strip('"')
    return str(v)


def plain_decimal(d: Decimal) -> str:
    """``d`` in plain notation without trailing zeros, keeping one decimal (``5.50`` -> ``5.5``, ``6`` -> ``6``)."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0")
        if s.endswith("."):
            s += "0"
    return s


HOLDS, UNDETERMINED = "holds", "undetermined"


def status_rows(prog: SqlProgram, goal: str) -> str:
    """The rows of ``goal`` with a ``status`` column: ``holds``, or ``undetermined`` for a row that may hold but
    waits for a fact the data does not establish, a body's decision or a choice the document leaves open."""
    rel = prog.derived[goal]
    q, lit = prog.dialect.quote, prog.dialect.literal
    h, p = prog.dialect.alias("h"), prog.dialect.alias("p")
    held = f"SELECT *, {lit(HOLDS)} AS status FROM {prog.goal_rows(goal)}"
    twin = ir.possible_name(goal)
    if goal not in prog.plan.uncertain or twin not in prog.derived:
        return f"({held})"
    cond = prog.filters.get(goal)
    own = prog.derived[twin].columns  # the twin's columns, in the goal's order (named by the rules' variables)
    same = (
        " AND ".join(f"{h}.{q(c)} IS NOT DISTINCT FROM {p}.{q(t)}" for c, t in zip(rel.columns, own, strict=True))
        or "TRUE"
    )
    cols = ", ".join(f"{p}.{q(t)} AS {q(c)}" for c, t in zip(rel.columns, own, strict=True))
    maybe = (
        f"SELECT {cols + ', ' if cols else ''}{p}.{q(RULE_COLUMN)}, {lit(UNDETERMINED)} AS status "
        f"FROM {prog.table(twin)} AS {p} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {prog.table(goal)} AS {h} WHERE {same})"
    )
    if cond:
        maybe = f"SELECT * FROM ({maybe}){' AS _m' if prog.dialect.name == 'spark' else ''} WHERE {cond}"
    return f"({held} UNION ALL {maybe})"


def result_select(prog: SqlProgram, goals: Sequence[str], sort: bool = True) -> tuple[str, list[str]]:
    """The SQL of the result table and its column names: one goal's columns, or (several goals) ``conclusion``,
    ``arg1..argN`` as text; then the rule, its articles and the status (holds / undetermined). Written in the
    program's dialect: on Spark the query the result rows are exported with (a sort puts NULLs last, as DuckDB
    does)."""
    d = prog.dialect
    q, lit, text = d.quote, d.literal, d.type_name("VARCHAR")
    cites = (
        " UNION ALL ".join(f"SELECT {lit(r)} AS rule, {lit(c)} AS articles" for r, c in sorted(prog.rule_cites.items()))
        or f"SELECT CAST(NULL AS {text}) AS rule, CAST(NULL AS {text}) AS articles WHERE FALSE"
    )
    last = " NULLS LAST" if d.name != "duckdb" else ""
    if len(goals) == 1:
        g = goals[0]
        rel = prog.derived[g]
        cols = [f"d.{q(c)}" for c in rel.columns]
        names = list(rel.columns) + ["rule", "articles", "status"]
        order = ", ".join(f"{i + 1}{last}" for i in range(len(cols) + 1))
        sql = (
            f"SELECT {', '.join(cols + [f'd.{q(RULE_COLUMN)} AS rule', 'c.articles', 'd.status'])} "
            f"FROM {status_rows(prog, g)} AS d "
            f"LEFT JOIN ({cites}) AS c ON c.rule = d.{q(RULE_COLUMN)}" + (f" ORDER BY {order}" if sort else "")
        )
        return sql, names
    width = max(len(prog.derived[g].columns) for g in goals)
    parts = []
    for g in goals:
        rel = prog.derived[g]
        vals = [f"CAST(d.{q(c)} AS {text}) AS arg{i + 1}" for i, c in enumerate(rel.columns)]
        vals += [f"CAST(NULL AS {text}) AS arg{i + 1}" for i in range(len(rel.columns), width)]
        parts.append(
            f"SELECT {lit(g)} AS conclusion, {', '.join(vals)}, d.{q(RULE_COLUMN)} AS rule, d.status "
            f"FROM {status_rows(prog, g)} AS d"
        )
    names = ["conclusion"] + [f"arg{i + 1}" for i in range(width)] + ["rule", "articles", "status"]
    sql = (
        f"SELECT {', '.join(f'u.{n}' for n in names if n not in ('articles', 'status'))}, c.articles, u.status "
        f"FROM ({' UNION ALL '.join(parts)}) AS u LEFT JOIN ({cites}) AS c ON c.rule = u.rule"
    )
    if sort:
        sql += f" ORDER BY {', '.join(f'{i + 1}{last}' for i in range(width + 2))}"
    return sql, names


def count_entry(goal: str, columns: Sequence[str], facts: int, distinct_first: int) -> dict[str, Any]:
    """The counts of one conclusion, as every back end reports them (undetermined facts filled in later)."""
    return {
        "conclusion": goal,
        "facts": int(facts),
        "first_column": columns[0] if columns else None,  # usually student
        "distinct_first": int(distinct_first) if columns else 0,  # how many students (distinct first values)
        UNDETERMINED: 0,
    }


def conclusion_counts(
    con: Any, prog: SqlProgram, goals: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Counts per conclusion (facts; distinct values of the first column, usually the students; facts that are
    undetermined) and per conclusion, rule and article (rows), from the DuckDB connection ``con`` the program ran
    in."""
    counts = []
    by_rule = []
    for g in goals:
        rel = prog.derived[g]
        cols = ", ".join(quote(c) for c in rel.columns)
        first = quote(rel.columns[0]) if rel.columns else "1"
        facts, students = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT DISTINCT {cols or '1'} FROM {prog.goal_rows(g)})), "
            f"(SELECT count(DISTINCT {first}) FROM {prog.goal_rows(g)})"
        ).fetchone()
        entry = count_entry(g, rel.columns, facts, students)
        if g in prog.plan.uncertain and ir.possible_name(g) in prog.derived:
            (open_facts,) = con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE ({quote(RULE_COLUMN)}) FROM {status_rows(prog, g)} "
                f"WHERE status = {sql_literal(UNDETERMINED)})"
            ).fetchone()
            entry[UNDETERMINED] = int(open_facts)
        counts.append(entry)
        for rule, n in con.execute(
            f"SELECT {quote(RULE_COLUMN)}, count(*) FROM {prog.goal_rows(g)} GROUP BY 1 ORDER BY 1"
        ).fetchall():
            by_rule.append({"conclusion": g, "rule": rule, "articles": prog.rule_cites.get(rule, ""), "rows": int(n)})
    return counts, by_rule
