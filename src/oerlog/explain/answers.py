"""The facts matching a goal (``oerlog query``, a saved query's list): a table for a reader, or JSON-ready data with
the receipt of the judgement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oerlog.evaluation.judge import Judgement
from oerlog.evaluation.overrides import overridden, overrides_json
from oerlog.explain.words import Phrasing
from oerlog.lang import ir
from oerlog.semantics.model import Row, Status
from oerlog.values import Value, counted, json_row

SCHEMA_ID = "oerlog.query/1"  # src/oerlog/schemas/query.schema.json


@dataclass(frozen=True)
class AnswerTable:
    """The answers to a goal as text cells: a title line, one column per argument of the goal, and a count."""

    title: str  # the goal and the document: ``resit_excluded(S, C)  (uu-gnk-ba-2025)``
    columns: list[str]  # the goal's arguments as written (variables name the columns)
    rows: list[list[str]]  # each value for a reader (``3,8``, ``20 november 2025``, a display name for an id)
    count: str  # ``2 resultaten`` / ``2 results``


STATUS_WORDS = {
    "nl": {Status.HOLDS: "geldt", Status.UNDETERMINED: "onbepaald"},
    "en": {Status.HOLDS: "holds", Status.UNDETERMINED: "undetermined"},
}


def answer_table(
    goal: ir.Atom, rows: Sequence[Row], j: Judgement, lang: str, open_rows: Sequence[Row] = ()
) -> AnswerTable:
    """The rows matching ``goal`` in ``j`` (from :meth:`Judgement.answers`) as a table in ``lang``; with
    ``open_rows`` (undetermined) a status column is added."""
    words = STATUS_WORDS[lang]
    ph = Phrasing(lang, j.kb.vocabulary, j.case.names, j.document)
    fields = ph.fields_of(goal.pred)

    def cell(i: int, v: Value) -> str:  # a display name for an id, an enum value's label, 2025-2026 for a year
        return ph.value(v, fields[i] if i < len(fields) else None)

    cells = [[cell(i, v) for i, v in enumerate(r)] for r in rows]
    columns = [str(a) for a in goal.args]
    if open_rows:
        columns.append("status")
        cells = [c + [words[Status.HOLDS]] for c in cells]
        cells += [[cell(i, v) for i, v in enumerate(r)] + [words[Status.UNDETERMINED]] for r in open_rows]
    count = counted(len(rows), *(("resultaat", "resultaten") if lang == "nl" else ("result", "results")), lang)
    if open_rows:
        count += f", {len(open_rows)} {'onbepaald' if lang == 'nl' else 'undetermined'}"
    return AnswerTable(title=f"{goal}  ({j.document.id})", columns=columns, rows=cells, count=count)


def answers_dict(goal: ir.Atom, rows: Sequence[Row], j: Judgement, open_rows: Sequence[Row] = ()) -> dict[str, Any]:
    """The rows matching ``goal`` as JSON-ready data: the goal, the document, the columns, the rows that hold and
    those that are undetermined (values as JSON values), the answer (holds / undetermined / does_not_hold) and
    the receipt of the judgement."""
    answer = Status.HOLDS if rows else Status.UNDETERMINED if open_rows else Status.NOT
    kinds = j.kinds(goal.pred)  # each value in the JSON type of its column's kind ("6.0" for a grade)
    return {
        "schema": SCHEMA_ID,
        "goal": str(goal),
        "document": j.document.id,
        "answer": answer.value,
        "columns": [str(a) for a in goal.args],
        "rows": [json_row(r, kinds) for r in rows],
        "undetermined": [json_row(r, kinds) for r in open_rows],
        "overrides": overrides_json(overridden(j.document, j.overrides)),
        "receipt": j.receipt(),
    }
