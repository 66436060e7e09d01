"""Witness cases: a finding's scenario written as a case file, so that ``oerlog why GOAL --case FILE --doc DOC``
reruns either side of the finding."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from oerlog.analysis.consistency.findings import Finding, Report
from oerlog.analysis.consistency.scenarios import Scenario
from oerlog.analysis.consistency.text import row_text
from oerlog.explain.words import Phrasing
from oerlog.kb.loader import KnowledgeBase
from oerlog.outputs import write_text
from oerlog.semantics.model import Row
from oerlog.values import Value


def _yaml_value(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return json.dumps(str(v), ensure_ascii=False)


def witness_yaml(
    kb: KnowledgeBase,
    facts: dict[str, set[Row]],
    reference_date: dt.date | None,
    finding: Finding | None,
    sc: Scenario | None,
) -> str:
    """The case as a case file (``oerlog why GOAL --case FILE --doc DOC`` reruns either side)."""
    lines: list[str] = []
    if finding is not None:
        lines.append(f"# oerlog check witness {finding.id}: {finding.title}")
    if sc is not None:
        lines.append(f"# scenario ({sc.kind}): {sc.family}")
        for c in sc.changes:
            lines.append(f"#   changed: {c}")
    rd = next(iter(facts.get("reference_date", ())), None)
    ref = rd[0] if rd else reference_date
    if isinstance(ref, dt.date):
        lines.append(f"reference_date: {ref.isoformat()}")
    lines.append("facts:")
    for pred in sorted(facts):
        if pred == "reference_date" or not facts[pred]:
            continue
        rel = kb.vocabulary.relations.get(pred)
        if rel is None:
            continue
        lines.append(f"  {pred}:")
        for row in sorted(facts[pred], key=row_text):
            fields = ", ".join(f"{f.name}: {_yaml_value(v)}" for f, v in zip(rel.fields, row, strict=True))
            lines.append(f"    - {{{fields}}}")
    return "\n".join(lines) + "\n"


def story(kb: KnowledgeBase, facts: dict[str, set[Row]], reference_date: dt.date | None, lang: str) -> list[str]:
    """The witness case in words, one sentence per fact as an explanation says it (the vocabulary's ``text`` of
    the relation, ids by their display names, values the Dutch or English way; a relation without a sentence as
    its label and fields), the reference date first."""
    ph = Phrasing(lang, kb.vocabulary)
    lines: list[str] = []
    rd = next(iter(facts.get("reference_date", ())), None)
    ref = rd[0] if rd else reference_date
    if isinstance(ref, dt.date):
        lines.append(("Peildatum: " if lang == "nl" else "Reference date: ") + ph.date(ref) + ".")
    for pred in sorted(facts):
        if pred == "reference_date" or pred not in kb.vocabulary.relations:
            continue
        for row in sorted(facts[pred], key=row_text):
            lines.append(_sentence(ph.fact(pred, row)))
    return lines


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter (an id or a name begins as written) and a full stop."""
    text = text.rstrip(".")
    if text[:1].islower() and text.split(" ", 1)[0] in _ARTICLES:
        text = text[0].upper() + text[1:]
    return text + "."


_ARTICLES = frozenset({"de", "het", "een", "the", "a", "an"})


def write_witnesses(report: Report, folder: Path) -> None:
    """Write every finding's witness case to ``folder/<id>.yaml`` (each whole or not at all)."""
    for f in report.findings:
        if not f.witness:
            continue
        path = folder / f"{f.id}.yaml"
        write_text(path, f.witness)
        f.witness_file = str(path)
