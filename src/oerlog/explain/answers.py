"""The facts matching a goal (``oerlog query``, a saved query's list): a table for a reader, or JSON-ready data with
the receipt of the judgement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oerlog.evaluation.judge import Judgement
from oerlog.lang import ir
from oerlog.semantics.model import Row
from oerlog.values import format_value, json_value


@dataclass(frozen=True)
class AnswerTable:
    """The answers to a goal as text cells: a title line, one column per argument of the goal, and a count."""

    title: str  # the goal and the document: ``resit_excluded(S, C)  (uu-gnk-ba-2025)``
    columns: list[str]  # the goal's arguments as written (variables name the columns)
    rows: list[list[str]]  # each value formatted for the language (``3,8``, ``20 november 2025``)
    count: str  # ``2 resultaten`` / ``2 results``


def answer_table(goal: ir.Atom, rows: Sequence[Row], j: Judgement, lang: str) -> AnswerTable:
    """The rows matching ``goal`` in ``j`` (from :meth:`Judgement.answers`) as a table in ``lang``."""
    return AnswerTable(
        title=f"{goal}  ({j.document.id})",
        columns=[str(a) for a in goal.args],
        rows=[[format_value(v, lang) for v in r] for r in rows],
        count=f"{len(rows)} {'resultaten' if lang == 'nl' else 'results'}",
    )


def answers_dict(goal: ir.Atom, rows: Sequence[Row], j: Judgement) -> dict[str, Any]:
    """The rows matching ``goal`` as JSON-ready data: the goal, the document, the columns, the rows (values as
    JSON values) and the receipt of the judgement."""
    return {
        "goal": str(goal),
        "document": j.document.id,
        "columns": [str(a) for a in goal.args],
        "rows": [[json_value(v) for v in r] for r in rows],
        "receipt": j.receipt(),
    }
