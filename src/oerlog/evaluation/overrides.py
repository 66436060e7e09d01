"""Parameters overridden for a run (``--param``, ``--set``, a saved query's ``params``), and the notice every answer
computed with them opens with: "Let op: berekend met pass_grade = 6,0 (in de regeling: 5,5)"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oerlog.escape import md_code, md_text
from oerlog.kb.loader import Document
from oerlog.values import Value, format_value, json_value

_WORDS = {
    "nl": {"note": "Let op", "computed": "berekend met", "document": "in de regeling", "open": "open keuze"},
    "en": {"note": "Note", "computed": "computed with", "document": "in the regulation", "open": "left open"},
}


@dataclass(frozen=True)
class Override:
    """A parameter given another value for a run: the value of the run and the one the document declares (None
    when the document leaves the choice open)."""

    name: str
    value: Value
    declared: Value | None


def overridden(doc: Document, overrides: Mapping[str, Value]) -> list[Override]:
    """The overrides of a run of ``doc``, in the order given, each with the value the document declares."""
    out = []
    for name, value in overrides.items():
        decl = doc.param_decl(name)
        out.append(Override(name, value, decl.value if decl is not None else None))
    return out


def notice(items: list[Override], lang: str = "nl", markdown: bool = False) -> str:
    """One line for the top of an answer: "Let op: berekend met pass_grade = 6,0 (in de regeling: 5,5)" (nl) or
    "Note: computed with ..." (en); empty when nothing is overridden. ``markdown``: the note in bold, the names as
    code and the values escaped."""
    if not items:
        return ""
    w = _WORDS.get(lang, _WORDS["en"])
    parts = []
    for o in items:
        was = format_value(o.declared, lang) if o.declared is not None else w["open"]
        name, value, was = (
            (md_code(o.name), md_text(format_value(o.value, lang)), md_text(was))
            if markdown
            else (o.name, format_value(o.value, lang), was)
        )
        parts.append(f"{name} = {value} ({w['document']}: {was})")
    head = f"**{w['note']}:**" if markdown else f"{w['note']}:"
    return f"{head} {w['computed']} {'; '.join(parts)}"


def overrides_json(items: list[Override]) -> list[dict[str, Any]]:
    """The overrides as JSON-ready data: ``parameter``, ``value`` and ``declared`` (null when the document leaves the
    choice open), each value in the JSON type of its kind (:func:`oerlog.values.json_value`)."""
    return [{"parameter": o.name, "value": json_value(o.value), "declared": json_value(o.declared)} for o in items]


__all__ = ["Override", "notice", "overridden", "overrides_json"]
