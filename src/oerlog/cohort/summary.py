"""What ``oerlog batch`` and ``oerlog whatif`` say about a run besides its rows: the counts per conclusion and per
rule (text and JSON-ready data), what was read and what was noticed, the rejected rows; and the SQL script of a
batch (``--emit-sql``), in the dialect asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oerlog.backends.sql import SparkDialect, compile_plan, transpile
from oerlog.cohort.batch import BatchResult
from oerlog.cohort.database import names_of, parse_goals
from oerlog.cohort.spark import with_result
from oerlog.cohort.validate import LoadReport
from oerlog.kb.loader import KnowledgeBase
from oerlog.lang import ir
from oerlog.values import Value


def load_notes(report: LoadReport) -> list[str]:
    """What a run read and did not read, and what it noticed (duplicates, an overridden reference date)."""
    notes = [f"{name}: column(s) {', '.join(cols)} ignored" for name, cols in report.ignored_columns.items()]
    if report.unread:
        notes.append(f"not read (the goals do not depend on them): {', '.join(report.unread)}")
    return notes + report.notes


def rejected_rows(report: LoadReport, limit: int = 5) -> str:
    """The first ``limit`` rejected rows, each as ``file:line: relation.field: reason``, separated by ``; ``."""
    return "; ".join(f"{b.file.where(b.line)}: {b.file.relation}.{b.field}: {b.reason}" for b in report.bad[:limit])


def batch_dict(res: BatchResult) -> dict[str, Any]:
    """A batch run as JSON-ready data: the output, the conclusions counted (per goal, and per rule and articles),
    the input rows read and rejected, what was not read, notes, and the seconds per phase."""
    rep = res.report
    return {
        "document": res.document,
        "output": str(res.output) if res.output else None,
        "conclusions": res.counts,
        "by_rule": res.by_rule,
        "input_rows": rep.rows,
        "rejected_rows": rep.bad_count,
        "rejects": str(res.rejects) if res.rejects else None,
        "not_read": rep.unread,
        "notes": rep.notes,
        "seconds": {k: round(v, 3) for k, v in res.seconds.items()},
    }


def batch_text(res: BatchResult) -> str:
    """A batch run for a reader: input rows and time, facts per conclusion, rows per rule with its articles, and the
    output file."""
    out = [f"{res.document}: {sum(res.report.rows.values())} input rows, {res.seconds['total']:.2f} s"]
    for c in res.counts:
        extra = ", ".join(f"{k} {v}" for k, v in c.items() if k not in ("conclusion", "facts"))
        out.append(f"  {c['conclusion']:<34} {c['facts']:>9} facts  ({extra})")
    out.append("  by rule:")
    out += [
        f"    {r['conclusion']:<30} {r['rule']:<40} {r['rows']:>9}  art. {r['articles'] or '-'}" for r in res.by_rule
    ]
    if res.output:
        out.append(f"written: {res.output}")
    return "\n".join(out)


def sql_script(
    kb: KnowledgeBase,
    doc_id: str,
    goals: Sequence[str],
    overrides: Mapping[str, Value],
    dialect: str,
    stage: str | None = None,
) -> tuple[str, list[str]]:
    """The SQL script a batch of ``doc_id`` runs for ``goals`` (in ``dialect``), and notes: a goal with constants
    is computed whole by the DuckDB script, its rows to be selected from it.

    ``spark`` is what ``--engine spark`` runs, statement for statement (storing under ``stage``), ending with the
    result rows written to ``stage/result``; ``trino`` is DuckDB's script translated by sqlglot."""
    doc = kb.document(doc_id)
    atoms = parse_goals(doc, goals)
    names = names_of(atoms)
    plan = doc.plan(dict(overrides) or None)
    if dialect == "spark":
        prog = compile_plan(plan, kb.vocabulary, names, dialect=SparkDialect(stage or "oerlog-stage"))
        return with_result(prog, atoms, names).script(), []
    prog = compile_plan(plan, kb.vocabulary, names)
    script = transpile(prog.script(), dialect)
    notes = [
        f"the script computes every row of {a.pred}; select those of {a} from it"
        for a in atoms
        if any(not isinstance(t, ir.Var) for t in a.args)
    ]
    return script, notes
