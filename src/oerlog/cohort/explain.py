"""One student of a cohort explained: the student's records, read and checked as a batch run reads them, handed
to the single-case path (:mod:`oerlog.evaluation`, the pyDatalog engine) for proofs (``oerlog batch --explain``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from oerlog.backends.sql import quote, sql_literal
from oerlog.cohort.database import Cohort, names_of, parse_goals
from oerlog.cohort.report import plain_decimal
from oerlog.cohort.validate import any_bad, typed_value
from oerlog.errors import Location
from oerlog.explain.explainer import Explainer
from oerlog.explain.explanation import Explanation
from oerlog.explain.items import Options
from oerlog.kb.cases import REFERENCE_RELATION, Case
from oerlog.kb.loader import KnowledgeBase
from oerlog.values import Value, format_literal


def student_case(cohort: Cohort, relations: Iterable[str], student: str) -> Case:
    """The student's records (and every record of relations without a student field) as a :class:`Case`,
    each fact located at its file and line."""
    return students_case(cohort, relations, [student])


def students_case(cohort: Cohort, relations: Iterable[str], students: Sequence[str]) -> Case:
    """The records of ``students`` (and every record of relations without a student field) as one
    :class:`Case`, each fact located at its file and line: a few students judged together, as their facts do not
    meet."""
    who = f"student {students[0]}" if len(students) == 1 else f"{len(students)} students"
    case = Case(path=f"{cohort.source.path} ({who})")
    chosen = ", ".join(sql_literal(s) for s in sorted(set(students))) or "NULL"
    voc = cohort.voc
    for name in sorted(set(relations)):
        rel = voc.relations.get(name)
        if rel is None:
            continue
        f = cohort.source.files.get(name)
        if f is None:
            if name == REFERENCE_RELATION and cohort.reference_date is not None:
                case.add(name, (cohort.reference_date,))
                case.reference_date = cohort.reference_date
            continue
        raw = f.raw_select(rel.fields)
        typed = ", ".join(f"{typed_value(fl.name, fl.type)} AS {quote(fl.name)}" for fl in rel.fields)
        has_student = any(fl.name == "student" for fl in rel.fields)
        cond = f"{quote('student')} IN ({chosen}) AND " if has_student else ""
        # the student's rows first, then the checks on those only (the bad ones stay out, as in the batch run)
        sql = (
            f"WITH r AS ({raw}) SELECT _line, {typed} FROM r WHERE {cond}NOT coalesce({any_bad(rel.fields)}, TRUE) "
            f"ORDER BY _line"
        )
        for line, *vals in cohort.con.execute(sql).fetchall():
            row = tuple(_py(v) for v in vals)
            case.add(name, row, Location(f.path, int(line) if f.kind == "csv" else 0))
        if name == REFERENCE_RELATION:
            dates = case.facts.get(name)
            if cohort.reference_date is not None:
                case.facts[name] = {(cohort.reference_date,)}
                case.reference_date = cohort.reference_date
            elif dates:
                first = min(str(d[0]) for d in dates)
                case.reference_date = dt.date.fromisoformat(first)
    return case


def _py(v: object) -> Value:
    if isinstance(v, Decimal):
        return Decimal(plain_decimal(v))
    return v  # type: ignore[return-value]


def explain_student(
    kb: KnowledgeBase,
    doc_id: str,
    data: Path | str,
    student: str,
    goals: Sequence[str],
    *,
    overrides: Mapping[str, Value] | None = None,
    reference_date: dt.date | None = None,
    lang: str = "nl",
) -> str:
    """Proofs (pyDatalog back end) of the goals' conclusions about one student of the cohort, as text."""
    from oerlog.evaluation.judge import judge  # deferred: the pyDatalog engine (~40 ms), for --explain only

    doc = kb.document(doc_id)
    c = Cohort(kb, data, on_error="reject", reference_date=reference_date)
    try:
        goal_names = names_of(parse_goals(doc, goals))
        prog = c.compile(doc, goal_names, overrides, "derived")
        c.require([r for r in prog.inputs if r in c.voc.relations])
        case = student_case(c, prog.inputs, student)
    finally:
        c.close()
    j = judge(kb, case, doc.id, dict(overrides) if overrides else None)
    ex = Explainer(j.model, j.document, case.sources, lang)
    out: list[str] = []
    for g in goal_names:
        rows = [
            r
            for r in sorted(j.model.tuples(g), key=lambda r: tuple(format_literal(v) for v in r))
            if r and r[0] == student
        ]
        if not rows:
            msg = "geldt niet" if lang == "nl" else "does not hold"
            out.append(f"{g}({student}, ...): {msg}\n")
            continue
        for r in rows:
            # as `oerlog why` tells it: the answer, the decisive rule and values, the steps; a fact's source is
            # the export file and its line
            goal = f"{g}({', '.join(format_literal(v) for v in r)})"
            out.append(Explanation("why", goal, (ex.why(g, r),), j, lang, Options(), ex.derivations).text())
    return "\n".join(out)
