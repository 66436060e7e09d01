"""What ``oerlog batch`` and ``oerlog whatif`` say about a run besides its rows: the counts per conclusion and per
rule (text and JSON-ready data), what was read and what was noticed, the rejected rows; and the SQL script of a
batch (``--emit-sql``), in the dialect asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from oerlog.backends.sql import SparkDialect, compile_plan, transpile
from oerlog.cohort.batch import BatchResult
from oerlog.cohort.database import names_of, parse_goals
from oerlog.cohort.report import UNDETERMINED
from oerlog.cohort.spark import with_result
from oerlog.cohort.validate import LoadReport
from oerlog.evaluation.overrides import Override, notice, overrides_json
from oerlog.kb.loader import KnowledgeBase
from oerlog.lang import ir
from oerlog.values import Value, counted, decimal_text, format_count, format_value


def load_notes(report: LoadReport) -> list[str]:
    """What a run read and did not read, and what it noticed (duplicates, an overridden reference date)."""
    notes = [f"{name}: column(s) {', '.join(cols)} ignored" for name, cols in report.ignored_columns.items()]
    if report.unread:
        notes.append(f"not read (the goals do not depend on them): {', '.join(report.unread)}")
    return notes + report.notes


def rejected_rows(report: LoadReport, limit: int = 5) -> str:
    """The first ``limit`` rejected rows, each as ``file:line: relation.field: reason``, separated by ``; ``."""
    return "; ".join(f"{b.file.where(b.line)}: {b.file.relation}.{b.field}: {b.reason}" for b in report.bad[:limit])


SCHEMA_ID = "oerlog.batch/1"  # src/oerlog/schemas/batch.schema.json

_NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "nl": {"rows": ("invoerrij", "invoerrijen"), "facts": ("feit", "feiten"), "students": ("student", "studenten")},
    "en": {"rows": ("input row", "input rows"), "facts": ("fact", "facts"), "students": ("student", "students")},
}
_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "read": "gelezen uit {n} van de {total} tabellen",
        "read_all": "gelezen uit {n} tabellen",
        "unread": "niet gelezen, want de doelen hangen er niet van af: {names}",
        "distinct": "verschillende waarden van {col}",
        "undetermined": "onbepaald",
        "by_rule": "per regel (een feit dat twee regels afleiden telt bij beide):",
        "written": "geschreven: {path}",
    },
    "en": {
        "read": "read from {n} of the {total} tables",
        "read_all": "read from {n} tables",
        "unread": "not read, as the goals do not depend on them: {names}",
        "distinct": "distinct values of {col}",
        "undetermined": "undetermined",
        "by_rule": "by rule (a fact two rules derive counts for both):",
        "written": "written: {path}",
    },
}


def batch_dict(res: BatchResult, overrides: Sequence[Override] = ()) -> dict[str, Any]:
    """A batch run as JSON-ready data (schema ``oerlog.batch/1``): the output, the conclusions counted (per goal,
    and per rule and articles), the input rows read per relation and rejected, the relations not read, notes, the
    parameters overridden and the seconds per phase."""
    rep = res.report
    return {
        "schema": SCHEMA_ID,
        "document": res.document,
        "output": str(res.output) if res.output else None,
        "overrides": overrides_json(list(overrides)),
        "conclusions": res.counts,
        "by_rule": res.by_rule,
        "input_rows": rep.rows,
        "rejected_rows": rep.bad_count,
        "rejects": str(res.rejects) if res.rejects else None,
        "not_read": rep.unread,
        "notes": rep.notes,
        "seconds": {k: decimal_text(round(Decimal(v), 3)) for k, v in res.seconds.items()},
    }


def batch_text(res: BatchResult, lang: str = "nl", overrides: Sequence[Override] = ()) -> str:
    """A batch run for a reader, in ``lang``: the parameters overridden, the input rows read (from how many of the
    tables: a table the goals do not read is not counted, which is why ``generate`` reports more rows), the time,
    facts per conclusion, rows per rule with its articles, and the output file."""
    w, nouns = _WORDS[lang], _NOUNS[lang]
    rep = res.report
    out = [notice(list(overrides), lang), ""] if overrides else []
    read, total = len(rep.rows), len(rep.rows) + len(rep.unread)
    where = w["read"].format(n=read, total=total) if rep.unread else w["read_all"].format(n=read)
    seconds = format_value(round(Decimal(res.seconds["total"]), 2), lang)
    out.append(f"{res.document}: {counted(sum(rep.rows.values()), *nouns['rows'], lang)} {where}; {seconds} s")
    if rep.unread:
        out.append("  (" + w["unread"].format(names=", ".join(rep.unread)) + ")")
    for c in res.counts:
        col = c["first_column"]
        extra = (
            [
                counted(c["distinct_first"], *nouns["students"], lang)
                if col == "student"
                else f"{format_count(c['distinct_first'], lang)} {w['distinct'].format(col=col)}"
            ]
            if col
            else []
        )
        if c[UNDETERMINED]:
            extra.append(f"{format_count(c[UNDETERMINED], lang)} {w['undetermined']}")
        out.append(f"  {c['conclusion']:<34} {counted(c['facts'], *nouns['facts'], lang):>14}  ({', '.join(extra)})")
    out.append("  " + w["by_rule"])
    out += [
        f"    {r['conclusion']:<30} {r['rule']:<40} {format_count(r['rows'], lang):>9}  art. {r['articles'] or '-'}"
        for r in res.by_rule
    ]
    if res.output:
        out.append(w["written"].format(path=res.output))
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
