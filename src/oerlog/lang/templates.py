"""The sentence templates of rules (``@nl`` / ``@en``): their placeholders, and parameter values put into them.

A template shows values in two ways (docs/language.md, "Templates"):

- ``{Var}``: the value the rule binds to the variable ``Var`` in the instance the proof shows;
- ``{$name}``: the value of the parameter ``name`` in the run, overrides included (``--param pass_grade=6.0``), so
  that a template never states a threshold the run does not use. In Dutch a decimal is written with a comma.

A value derived from a parameter (the upper end 5,49 of a band that ends below a pass mark of 5,5) is not written
as an expression: the template states the comparison the rule makes ("ten minste {$grade_band_five_min} en lager dan
{$pass_grade}"), which stays true for every value of the parameters.

:func:`placeholders` finds them (lint checks that every ``{Var}`` is bound by the rule and every ``{$name}`` is
declared); :func:`fill_params` puts the parameter values in (the plan does, for the values of its run);
:func:`numbers` finds the numbers written in a template (lint flags one that equals a parameter the rule reads).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from oerlog.lang import ir
from oerlog.lang.order import evaluation_order
from oerlog.values import Value, format_value

PLACEHOLDER = re.compile(r"\{(\$?)([A-Za-z_][A-Za-z0-9_]*)\}")
# a number written in a template: digits with an optional decimal point or comma, not part of a word or a
# placeholder, and not an article or lid number (``art. 5.5``, ``lid 3``, ``5.4 lid 3``)
_NUMBER = re.compile(r"(?<![\w.,{$])([0-9]+(?:[.,][0-9]+)?)(?![\w]|[.,][0-9])")
_REFERENCE = re.compile(r"(?:\b(?:art|artikel|article|lid|lids|paragraph|sub|hoofdstuk|chapter)\.?\s*)$", re.I)
_ARTICLE_AFTER = re.compile(r"^\s*(?:lid|sub|onder)\b", re.I)

NOT_CHOSEN = {"nl": "nog niet gekozen", "en": "not yet chosen"}


@dataclass(frozen=True)
class Placeholder:
    """``{Var}`` (``param`` False) or ``{$name}`` (``param`` True) at ``start``..``end`` of the template text."""

    name: str
    param: bool
    start: int
    end: int


def placeholders(text: str | None) -> list[Placeholder]:
    """The placeholders of a template, in order."""
    if not text:
        return []
    return [Placeholder(m.group(2), bool(m.group(1)), m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]


def stray_braces(text: str | None) -> list[int]:
    """Offsets of ``{`` and ``}`` that are not part of a placeholder (``{ S }``, ``{S``, ``{$}``): a reader would see
    them as written."""
    if not text:
        return []
    inside = {i for p in placeholders(text) for i in range(p.start, p.end)}
    return [i for i, ch in enumerate(text) if ch in "{}" and i not in inside]


def numbers(text: str | None) -> Iterator[tuple[Decimal, int, int]]:
    """The numbers written in a template outside its placeholders (a decimal comma read as a point), with their
    offsets; article and lid numbers (``art. 5.5``, ``lid 3``, ``5.4 lid 3``) are left out."""
    if not text:
        return
    for m in _NUMBER.finditer(text):
        before, after = text[: m.start()], text[m.end() :]
        if _REFERENCE.search(before) or _ARTICLE_AFTER.match(after):
            continue
        yield Decimal(m.group(1).replace(",", ".")), m.start(), m.end()


def fill_params(
    text: str | None, values: Mapping[str, Value | None], decls: Sequence[ir.ParamDecl], lang: str
) -> str | None:
    """``text`` with every ``{$name}`` of a parameter in ``values`` replaced by its value, written for ``lang``
    (``6,0`` in Dutch). A parameter whose value is None (a choice the document leaves open) is named by its
    description, "(nog niet gekozen)"; ``{Var}`` placeholders stay for the proof to fill. A brace in a value (a
    string parameter) is shown as a parenthesis, so that it cannot become a placeholder."""
    if not text or "{$" not in text:
        return text
    described = {d.name: (d.ann.nl if lang == "nl" else d.ann.en) or d.ann.en or d.ann.nl for d in decls}

    def put(m: re.Match[str]) -> str:
        name = m.group(2)
        if not m.group(1) or name not in values:
            return m.group(0)
        v = values[name]
        if v is None:
            return f"{described.get(name) or name.replace('_', ' ')} ({NOT_CHOSEN.get(lang, NOT_CHOSEN['en'])})"
        return format_value(v, lang).replace("{", "(").replace("}", ")")

    return PLACEHOLDER.sub(put, text)


def with_params(rule: ir.Rule, values: Mapping[str, Value | None], decls: Sequence[ir.ParamDecl]) -> ir.Rule:
    """``rule`` with the parameter values of ``values`` put into its ``@nl`` / ``@en`` templates (the rule itself
    unchanged)."""
    ann = rule.ann
    nl, en = fill_params(ann.nl, values, decls, "nl"), fill_params(ann.en, values, decls, "en")
    if nl == ann.nl and en == ann.en:
        return rule
    return replace(rule, ann=replace(ann, nl=nl, en=en))


def bound_variables(rule: ir.Rule) -> set[str]:
    """The variables a rule binds, so that a proof of it has their values: the head's, those of its positive atoms,
    the targets of its assignments ``X = E`` and the results of its aggregates. A variable that occurs only in a
    negated atom, a test or an aggregate's body has no value in the rule's instances."""
    bound = {a.name for a in rule.head.args if isinstance(a, ir.Var)}
    for st in evaluation_order(rule):
        if st.kind == "atom" and isinstance(st.literal, ir.Positive):
            bound |= {a.name for a in st.literal.atom.args if isinstance(a, ir.Var)}
        elif st.kind == "assign":
            bound.add(st.target)
        elif st.kind == "agg" and isinstance(st.literal, ir.Aggregate):
            bound.add(st.literal.result.name)
    return {v for v in bound if not re.fullmatch(r"_[0-9]*", v)}  # not _ (renamed apart as _1, _2 ...)


__all__ = [
    "NOT_CHOSEN",
    "PLACEHOLDER",
    "Placeholder",
    "bound_variables",
    "fill_params",
    "numbers",
    "placeholders",
    "stray_braces",
    "with_params",
]
