"""Witness cases: a finding's scenario written as a case file, so that ``oerlog why GOAL --case FILE --doc DOC``
reruns either side of the finding."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

from oerlog.analysis.consistency.findings import Finding, Report
from oerlog.analysis.consistency.scenarios import Scenario
from oerlog.analysis.consistency.text import row_text
from oerlog.kb.loader import KnowledgeBase
from oerlog.outputs import write_text
from oerlog.semantics.model import Row
from oerlog.values import Value, format_value

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    """The witness case in words, one line per fact (the vocabulary's sentence for the relation where it has one,
    else the relation's fields named), the reference date first."""
    lines: list[str] = []
    rd = next(iter(facts.get("reference_date", ())), None)
    ref = rd[0] if rd else reference_date
    if isinstance(ref, dt.date):
        lines.append(("Peildatum: " if lang == "nl" else "Reference date: ") + format_value(ref, lang) + ".")
    for pred in sorted(facts):
        rel = kb.vocabulary.relations.get(pred)
        if pred == "reference_date" or rel is None:
            continue
        template = sentence_template(rel, lang)
        for row in sorted(facts[pred], key=row_text):
            values = {f.name: format_value(v, lang) for f, v in zip(rel.fields, row, strict=True)}
            if template:
                filled = _fill(template, values)
                lines.append(filled.rstrip(".") + ".")
                continue
            lines.append(f"{pred}: " + ", ".join(f"{k} {v}" for k, v in values.items()) + ".")
    return lines


def _fill(template: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def sentence_template(rel: object, lang: str) -> str | None:
    """The relation's sentence in ``lang`` when the vocabulary gives one (``text: {nl, en}``)."""
    text = getattr(rel, "text", None)
    if isinstance(text, dict):
        value = text.get(lang) or text.get("en")
        return str(value) if value else None
    return None


def write_witnesses(report: Report, folder: Path) -> None:
    """Write every finding's witness case to ``folder/<id>.yaml`` (each whole or not at all)."""
    for f in report.findings:
        if not f.witness:
            continue
        path = folder / f"{f.id}.yaml"
        write_text(path, f.witness)
        f.witness_file = str(path)
