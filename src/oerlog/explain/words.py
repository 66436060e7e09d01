"""Values, facts, sources and rule statements in words, for the reader of an explanation.

A :class:`Phrasing` knows the vocabulary (a sentence per input relation, labels of relations, fields and enum
values), the display names of ids (the vocabulary's ``names:`` and the case file's), the document (parameter
labels) and the language. It turns ``test_result("anna", "vf_bloktoets", 3.8)`` into "anna behaalde een 3,8 voor
de bloktoets Vorm en functie", ``kb/.../anna-excluded-low-grade.yaml:24:7`` into "casus anna-excluded-low-grade,
regel 24", and fills a rule's ``@nl`` / ``@en`` template with names instead of ids. Nothing here prints atoms,
rule ids or paths; :mod:`oerlog.explain.render` adds those under ``--detail``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from oerlog.errors import Location
from oerlog.kb.vocabulary import Field, Relation, Texts, Vocabulary
from oerlog.lang import ir
from oerlog.values import Value, format_value

if TYPE_CHECKING:
    from oerlog.explain.explainer import RuleInfo
    from oerlog.kb.loader import Document

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ARTICLES = frozenset({"een", "de", "het", "a", "an", "the"})
WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


ACADEMIC_YEAR = Field("academic_year", "integer", label=Texts("studiejaar", "academic year"))
"""The field a value computed by ``academic_year(D)`` stands for (shown ``2025-2026``)."""


AGGREGATE_FIELDS = {
    "count": Field("count", "integer", label=Texts("aantal", "number")),
    "sum": Field("sum", "decimal", label=Texts("som", "sum")),
    "mean": Field("mean", "decimal", label=Texts("gemiddelde", "mean")),
    "wmean": Field("wmean", "decimal", label=Texts("gewogen gemiddelde", "weighted mean")),
}
"""What a relation's argument stands for when its rules compute it by an aggregate."""


@dataclass(frozen=True)
class Origin:
    """Where a rule variable's value comes from: a field of a relation (``field``), a parameter (``param``), a
    computation (``expr``) or an aggregate (``agg``: the function)."""

    field: Field | None = None
    param: str | None = None
    expr: ir.Expr | None = None
    agg: str | None = None
    relation: str | None = None


class Phrasing:
    """Words for one explanation: one language, one vocabulary, one case's names, one document."""

    def __init__(
        self,
        lang: str = "nl",
        vocabulary: Vocabulary | None = None,
        names: dict[str, Texts] | None = None,
        doc: Document | None = None,
    ) -> None:
        self.lang = lang
        self.vocabulary = vocabulary
        self.names = {**(vocabulary.names if vocabulary else {}), **(names or {})}
        self.doc = doc
        self._origins: dict[int, dict[str, Origin]] = {}
        self._pred_fields: dict[str, tuple[Field | None, ...]] = {}

    @property
    def nl(self) -> bool:
        """Dutch output."""
        return self.lang == "nl"

    # --- values ----------------------------------------------------------------------------------------------

    def labelled(self, v: Value | None, fld: Field | None) -> str:
        """A value after its field's label (``cursus Vorm en functie``), the label said once where the display name
        begins with it (``cursus c1``, not ``cursus cursus c1``)."""
        shown = self.value(v, fld)
        if fld is None:
            return shown
        return _drop_repeated_noun(fld.label_in(self.lang) + " ", shown) + shown

    def value(self, v: Value | None, fld: Field | None = None) -> str:
        """One value for a reader: an enum value's label, an id's display name, a studiejaar as ``2025-2026``, a
        number with a decimal comma in Dutch, a date as ``31 oktober 2025``."""
        if v is None:
            return "…"
        if isinstance(v, str):
            if fld is not None and fld.value_labels:
                label = fld.value_label(v, self.lang)
                if label:
                    return label
            name = self.names.get(v)
            return name.in_(self.lang) if name else v
        if fld is not None and fld.name == "academic_year" and isinstance(v, int) and not isinstance(v, bool):
            return f"{v}-{v + 1}"
        return format_value(v, self.lang)

    def named(self, v: Value) -> bool:
        """True when ``v`` is shown by a display name (not as written)."""
        return isinstance(v, str) and v in self.names

    def date(self, d: dt.date, weekday: bool = False) -> str:
        """``31 oktober 2025``, with ``weekday``: ``vrijdag 31 oktober 2025``."""
        text = format_value(d, self.lang)
        return f"{WEEKDAYS[self.lang][d.weekday()]} {text}" if weekday else text

    # --- relations and facts ---------------------------------------------------------------------------------

    def relation(self, pred: str) -> Relation | None:
        """The vocabulary's input relation or concept ``pred``."""
        return self.vocabulary.relation(pred) if self.vocabulary else None

    def relation_label(self, pred: str) -> str:
        """``toetsresultaat`` for ``test_result``; a predicate the vocabulary does not know, with spaces."""
        rel = self.relation(pred)
        return rel.label_in(self.lang) if rel else pred.replace("_", " ")

    def fact(self, pred: str, row: tuple[Value | None, ...]) -> str:
        """A fact in words, by its relation's sentence template; ``None`` values (not known) as ``…``. A relation
        without a template reads as its label and its fields."""
        fields = self.fields_of(pred)
        rel = self.relation(pred)
        values = {}
        for i, v in enumerate(row):
            fld = fields[i] if i < len(fields) else None
            values[fld.name if fld else str(i)] = (v, fld)
        if rel is not None and rel.text is not None:
            return self.fill(rel.text.in_(self.lang), values) or ""
        parts = [f"{fld.label_in(self.lang) if fld else ''} {self.value(v, fld)}".strip() for v, fld in values.values()]
        return f"{self.relation_label(pred)}: {', '.join(parts)}" if parts else self.relation_label(pred)

    def fields_of(self, pred: str) -> tuple[Field | None, ...]:
        """The field (label, enum labels) behind each argument of ``pred``: the vocabulary's for an input relation
        or a concept; for a relation of the document's rules, the field its rules take each argument from."""
        if pred in self._pred_fields:
            return self._pred_fields[pred]
        rel = self.relation(pred)
        if rel is not None:
            self._pred_fields[pred] = rel.fields
            return rel.fields
        self._pred_fields[pred] = ()  # a recursive relation reads its own arguments as unknown
        found: list[Field | None] = []
        for rule in self.doc.program.rules if self.doc else ():
            if rule.head.pred != pred:
                continue
            origins = self.origins(rule)
            for i, a in enumerate(rule.head.args):
                origin = origins.get(a.name) if isinstance(a, ir.Var) else None
                fld = origin.field if origin is not None else None
                if fld is None and origin is not None and origin.agg in AGGREGATE_FIELDS:
                    fld = AGGREGATE_FIELDS[origin.agg]
                if i >= len(found):
                    found.append(fld)
                elif found[i] is None:
                    found[i] = fld
        self._pred_fields[pred] = tuple(found)
        return self._pred_fields[pred]

    # --- sources ---------------------------------------------------------------------------------------------

    def source(self, loc: Location | None) -> str | None:
        """Where a fact was stated, for a reader: ``casus anna-excluded-low-grade, regel 24``, ``test_result.csv,
        regel 5``, ``feitenbestand grades.dl, regel 3``; no folders."""
        if loc is None or not loc.file:
            return None
        p = PurePath(str(loc.file))
        line = f", {'regel' if self.nl else 'line'} {loc.line}" if loc.line else ""
        if p.suffix in (".yaml", ".yml"):
            return f"{'casus' if self.nl else 'case'} {p.stem}{line}"
        if p.suffix == ".dl":
            return f"{'feitenbestand' if self.nl else 'fact file'} {p.name}{line}"
        return f"{p.name}{line}"

    # --- rules -----------------------------------------------------------------------------------------------

    def origins(self, rule: ir.Rule) -> dict[str, Origin]:
        """Where each variable of ``rule`` gets its value: the first positive atom that binds it (its field), a
        parameter or computation it is set to (``X = $p``, ``X = add_days(D, 7)``), an aggregate's result."""
        key = id(rule)
        if key in self._origins:
            return self._origins[key]
        out: dict[str, Origin] = {}
        self._origins[key] = out
        for lit in rule.body:
            if isinstance(lit, ir.Positive):
                fields = self.fields_of(lit.atom.pred)
                for i, a in enumerate(lit.atom.args):
                    if isinstance(a, ir.Var) and not a.anonymous and a.name not in out:
                        fld = fields[i] if i < len(fields) else None
                        out[a.name] = Origin(field=fld, relation=lit.atom.pred)
            elif isinstance(lit, ir.Compare) and lit.op == "=":
                for target, other in ((lit.left, lit.right), (lit.right, lit.left)):
                    if isinstance(target, ir.Var) and target.name not in out:
                        if isinstance(other, ir.Param):
                            out[target.name] = Origin(param=other.name)
                        elif isinstance(other, ir.Var) and other.name in out:
                            out[target.name] = out[other.name]
                        elif isinstance(other, ir.Call) and other.func == "academic_year":
                            out[target.name] = Origin(field=ACADEMIC_YEAR, expr=other)
                        elif not isinstance(other, (ir.Var, ir.Const)):
                            out[target.name] = Origin(expr=other)
                        break
            elif isinstance(lit, ir.Aggregate):
                inner = self.aggregated_field(lit)
                kept = inner if lit.func in ("min", "max") else None  # the lowest of the years is a year
                out.setdefault(lit.result.name, Origin(agg=lit.func, field=kept))
        return out

    def aggregated_field(self, lit: ir.Aggregate) -> Field | None:
        """The field of the value an aggregate counts, sums or compares (``max Y2 : { judicium_year(S, C, Y2) }``:
        a studiejaar)."""
        if not lit.args or not isinstance(lit.args[0], ir.Var):
            return None
        name = lit.args[0].name
        for sub in lit.body:
            if isinstance(sub, ir.Positive):
                fields = self.fields_of(sub.atom.pred)
                for i, a in enumerate(sub.atom.args):
                    if isinstance(a, ir.Var) and a.name == name and i < len(fields):
                        return fields[i]
        return None

    def variable_label(self, rule: ir.Rule | None, var: str) -> str | None:
        """What a variable of ``rule`` stands for, for a reader: its field's label (``cijfer``), its parameter's
        (``ondergrens uitnodiging herkansing``), None when nothing names it."""
        if rule is None:
            return None
        o = self.origins(rule).get(var)
        if o is None:
            return None
        if o.param:
            return self.param_label(o.param)
        if o.field is not None and o.field.label is not None:
            return o.field.label_in(self.lang)
        return None

    def param_label(self, name: str) -> str | None:
        """A parameter's ``@nl`` / ``@en`` text (``ondergrens uitnodiging herkansing``), None without one."""
        decl = self.doc.param_decl(name) if self.doc else None
        if decl is None:
            return None
        return (decl.ann.nl if self.nl else decl.ann.en) or decl.ann.en or decl.ann.nl

    def statement(self, info: RuleInfo | None, binding: dict[str, Value], *, loose: bool = False) -> str | None:
        """The rule's template filled with names and values; None when it has none or a placeholder has no
        value (the caller rephrases: never ``{S}`` or ``…`` in a sentence). ``loose``: see :meth:`fill`."""
        if info is None:
            return None
        tpl = info.template(self.lang)
        if not tpl:
            return None
        origins = self.origins(info.rule) if info.rule is not None else {}
        values: dict[str, tuple[Value | None, Field | None]] = {
            name: (binding[name], origins[name].field if name in origins else None)
            for name in PLACEHOLDER.findall(tpl)
            if name in binding
        }
        return self.fill(tpl, values, loose=loose)

    def fill(
        self, template: str, values: dict[str, tuple[Value | None, Field | None]], *, loose: bool = False
    ) -> str | None:
        """``template`` with each ``{name}`` replaced by its value in words; None when a placeholder has no value.
        With ``loose`` a placeholder without a value is left out with the preposition before it ("heeft op {D}
        overmacht gemeld" reads "heeft overmacht gemeld": any date), where there is one. A display name that
        begins with the noun the template puts before it is not preceded by that noun twice ("de toets {T}" with T
        named "bloktoets Vorm en functie" reads "de bloktoets Vorm en functie")."""
        if loose:
            template = _drop_unbound(template, values)
        out: list[str] = []
        pos = 0
        for m in PLACEHOLDER.finditer(template):
            if m.group(1) not in values:
                return None
            v, fld = values[m.group(1)]
            before = template[pos : m.start()]
            text = self.value(v, fld)
            if v is not None and self.named(v) and not (fld is not None and fld.value_label(str(v), self.lang)):
                before = _drop_repeated_noun(before, text)
            elif (a := re.search(r"\b(de|het|een|the|a|an) $", before)) and text.startswith(a.group(1) + " "):
                before = before[: a.start()]  # "aan de {Who}" with "de studieadviseur": the article once
            out.append(before)
            out.append(text)
            pos = m.end()
        out.append(template[pos:])
        return "".join(out)

    def sentence(
        self, pred: str, row: tuple[Value | None, ...], rule: ir.Rule | None = None, *, agree: bool = False
    ) -> str | None:
        """A statement of ``pred(row)`` (``None``: a value not known) in words: the vocabulary's sentence for an
        input relation or a concept with every value known; else the template of ``rule``, or of the first rule of
        the document that concludes ``pred`` and fits (each template's conclusion, before a colon that starts its
        reasons; a value not known left out with its preposition). With ``agree`` only words every such rule
        gives (a goal is not one rule's: "reported by form" would narrow it). None when nothing fits."""
        rel = self.relation(pred)
        if rel is not None and rel.text is not None and all(v is not None for v in row):
            return self.fact(pred, row)
        rules = (
            [rule]
            if rule is not None
            else [r for r in (self.doc.program.rules if self.doc else ()) if r.head.pred == pred and not r.defeats]
        )
        found: list[str] = []
        for r in rules:
            text = self.rule_sentence(r, row, whole=rule is not None)
            if text is not None and text not in found:
                found.append(text)
        if agree:
            return found[0] if len(found) == 1 else None
        return found[0] if found else None

    def rule_sentence(self, rule: ir.Rule, row: tuple[Value | None, ...], whole: bool) -> str | None:
        tpl = (rule.ann.nl if self.nl else rule.ann.en) or rule.ann.en or rule.ann.nl
        if not tpl or len(rule.head.args) != len(row):
            return None
        origins = self.origins(rule)
        values: dict[str, tuple[Value | None, Field | None]] = {}
        for a, v in zip(rule.head.args, row, strict=True):
            if isinstance(a, ir.Var) and v is not None:
                values[a.name] = (v, origins[a.name].field if a.name in origins else None)
            elif isinstance(a, ir.Const) and v is not None and a.value != v:
                return None
        # the conclusion the template states before its reasons ("{S} is uitgesloten van ...: niet deelgenomen"):
        # a goal or an open conclusion is not tied to one rule's reasons
        head, sep, _ = tpl.partition(": ")
        if sep and "{" in head and not whole:
            tpl = head
        return self.fill(tpl, values, loose=True)

    def goal(self, atom: ir.Atom) -> str:
        """A goal as a reader asks it: constants as values, a variable as "een cursus" / "a course" (the label of
        the field it stands for); the relation's label and values where no sentence fits."""
        fields = self.fields_of(atom.pred)
        values: list[Value | None] = []
        for a in atom.args:
            values.append(a.value if isinstance(a, ir.Const) else None)
        rel = self.relation(atom.pred)
        if rel is None or all(v is not None for v in values):  # a rule's words, a variable's part left out
            text = self.sentence(atom.pred, tuple(values), agree=True)
            if text is not None:
                return text
        if rel is not None and rel.text is not None:
            template = rel.text.in_(self.lang)
            filled: dict[str, tuple[Value | None, Field | None]] = {}
            for a, fld in zip(atom.args, rel.fields, strict=False):
                if isinstance(a, ir.Const):
                    filled[fld.name] = (a.value, fld)
                    continue
                # "een cursus" for a value not given, said once: "een {grade}" reads "een cijfer", "de toets
                # {test}" reads "de toets"
                label = fld.label_in(self.lang)
                m = re.search(r"(\w+)\s+\{" + fld.name + r"\}", template)
                before = m.group(1).lower() if m else ""
                if before == label.lower():
                    template = template.replace(" {" + fld.name + "}", "", 1)
                elif before in ARTICLES:
                    filled[fld.name] = (label, None)
                else:
                    filled[fld.name] = (("een " if self.nl else "a ") + label, None)
            return self.fill(template, filled) or self.relation_label(atom.pred)
        known = [
            (fields[i] if i < len(fields) else None, a.value)
            for i, a in enumerate(atom.args)
            if isinstance(a, ir.Const)
        ]
        parts = ", ".join(f"{f.label_in(self.lang) + ' ' if f else ''}{self.value(v, f)}" for f, v in known)
        return self.conclusion_label(atom.pred) + (f" ({parts})" if parts else "")

    def conclusion_label(self, pred: str) -> str:
        """A derived relation named for a reader: its vocabulary label, else "de voorwaarde van art. 5.4 lid 1"
        (the provisions its rules cite)."""
        rel = self.relation(pred)
        if rel is not None and rel.label is not None:
            return rel.label_in(self.lang)
        cites: list[str] = []
        for rule in self.doc.program.rules if self.doc else ():
            if rule.head.pred == pred:
                for c in rule.ann.cites:
                    label = str(c)
                    p = self.doc.provision(c) if self.doc else None
                    label = p.label if p else label
                    if label not in cites:
                        cites.append(label)
        if cites:
            return ("de voorwaarde van " if self.nl else "the condition of ") + "; ".join(cites[:3])
        return "de voorwaarde" if self.nl else "the condition"

    def citations(self, info: RuleInfo | None) -> str:
        """``art. A.8 lid 2; art. A.8 lid 3``: the provisions a rule cites (another document's with its id)."""
        if info is None:
            return ""
        return "; ".join((f"{c.doc} " if c.doc else "") + (p.label if p else str(c)) for c, p in info.citations)


_PREPOSITIONS = (
    "op|voor|van|in|na|met|bij|aan|tot|door|sinds|vanaf|uiterlijk|om|per|over|"
    "on|for|of|at|after|by|with|to|from|since|before|about"
)


def _drop_unbound(template: str, values: dict[str, tuple[Value | None, Field | None]]) -> str:
    """Leave out ``preposition {X}`` and ``({X})`` for each placeholder without a value."""
    for name in set(PLACEHOLDER.findall(template)) - set(values):
        ph = re.escape("{" + name + "}")
        template = re.sub(rf"\s*\({ph}\)", "", template)
        template = re.sub(rf"\s+(?:{_PREPOSITIONS})\s+{ph}(?=[\s,.;:)]|$)", "", template)
    return template


def _drop_repeated_noun(before: str, name: str) -> str:
    """The words before a placeholder that the display name repeats are said once: ``"de toets "`` before
    ``"bloktoets Vorm en functie"`` (a word the name's first word ends with), ``"the block test "`` before ``"block
    test Vorm en functie"`` (words the name begins with)."""
    words = name.split()
    if len(words) < 2:
        return before
    # only words right before the placeholder, apart by spaces: "bij de VGT (" before "VGT (23 januari)" keeps
    # its "VGT (" (the name follows a parenthesis, not the word)
    spaced = re.search(r"(?:\w+\s+)*$", before)
    tail = re.findall(r"\w+", spaced.group(0)) if spaced else []
    for n in range(min(len(tail), len(words) - 1), 0, -1):
        if [w.lower() for w in tail[-n:]] == [w.lower() for w in words[:n]]:
            return re.sub(r"(\w+\s+){" + str(n) + r"}$", "", before)
    m = re.search(r"(\w+)(\s+)$", before)
    if m is not None and len(m.group(1)) > 2 and words[0].lower().endswith(m.group(1).lower()):
        return before[: m.start()]
    return before
