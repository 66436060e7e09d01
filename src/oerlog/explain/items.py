"""An explanation tree as its reader sees it: one :class:`Item` per step, in words, the steps that matter first.

The text, Markdown and HTML renderers all draw the same items, so the three forms say the same thing. An item
holds a sentence (a rule's statement, a fact, a comparison in words), the provisions it cites, where a fact was
stated, the verbatim provisions (each once per explanation), the interpretation and discretion notes, and what
``--detail`` adds (atoms, rule ids, file positions). Built-ins that only restate a fact are left out; under
``--detail`` they are shown as written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from oerlog.explain.conditions import AGG_WORDS, Conditions
from oerlog.explain.decisive import Derivations, conditions_of, decisive_comparisons, find_decisive
from oerlog.explain.explainer import Node, NodeKind
from oerlog.explain.words import Phrasing
from oerlog.lang import ir
from oerlog.semantics.plan import StepKind
from oerlog.values import Value


@dataclass
class Options:
    """How much an explanation shows: ``detail`` adds atoms, rule ids and file positions (and the steps that only
    restate a fact); ``depth`` limits the nesting (None: all); ``brief`` gives the summary and the decisive chain
    only (one screen)."""

    detail: bool = False
    depth: int | None = None
    brief: bool = False


@dataclass
class Item:
    """One step of an explanation for a reader."""

    mark: str  # ✔ holds, ✘ fails, • a fact or comparison, ◦ an exception that did not apply, ? open, ⚑ overridden
    text: str
    cite: str = ""  # the provisions the rule cites
    source: str = ""  # where a fact was stated
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (verbatim text, label), each provision once
    notes: list[str] = field(default_factory=list)  # interpretation and discretion notes
    detail: list[str] = field(default_factory=list)  # shown under --detail: atom, rule id, position
    children: list[Item] = field(default_factory=list)
    omitted: int = 0  # steps below, left out by --depth
    seen: bool = False  # a conclusion already proved above
    chain: bool = False  # on the way from the conclusion to the decisive rule (the summary's)
    decisive: bool = False  # the decisive rule itself


WORDS = {
    "nl": {
        "see_above": "zie boven",
        "reading": "gekozen lezing",
        "discretion": "ruimte voor een oordeel",
        "rule": "regel",
        "not_apply": "niet van toepassing",
        "exception_not": "uitzondering niet van toepassing",
        "exception_of": "de uitzondering van",
        "not_derived": "geldt niet",
        "not_met": "niet vervuld",
        "not_in_case": "de casus vermeldt dit niet",
        "needed": "nodig",
        "case_says": "de casus",
        "is_not_a": "is geen",
        "rules_out": "dat sluit deze regel uit",
        "would_apply": "zou van toepassing zijn, maar",
        "goes_first": "gaat voor",
        "open": "onbepaald",
        "may_hold": "geldt als wat hieronder openstaat zo uitvalt",
        "exception_open": "uitzondering die kan gelden, als wat hieronder openstaat zo uitvalt",
        "unknown": "niet vastgesteld: de casus noemt dit niet als waar en niet als onwaar",
        "stated_false": "volgens de casus niet het geval",
        "choice": "hangt af van een keuze die de regeling openlaat",
        "options": "keuzes die de regeling openlaat",
        "every_choice": "geldt bij elke keuze die de regeling openlaat",
        "holds_only": "geldt alleen bij",
        "under_none": "geldt onder geen van de keuzes; hieronder uitgewerkt voor",
        "holds": "geldt",
        "holds_not": "geldt niet",
        "no_rule": "geen regel van deze regeling leidt dit af",
        "not_explored": "niet verder uitgezocht",
        "no_value": "er zijn geen gegevens om het te berekenen",
        "blocked": "niet te beoordelen",
        "more": "nog {n} stappen (meer met --depth)",
        "negation_open": "is onbepaald, en daarmee ook het tegendeel",
        "none_in_case": "de casus noemt geen",
        "with": "met",
    },
    "en": {
        "see_above": "see above",
        "reading": "reading chosen",
        "discretion": "left to judgement",
        "rule": "rule",
        "not_apply": "does not apply",
        "exception_not": "exception does not apply",
        "exception_of": "the exception of",
        "not_derived": "does not hold",
        "not_met": "not met",
        "not_in_case": "the case does not state it",
        "needed": "needed",
        "case_says": "the case",
        "is_not_a": "is not a",
        "rules_out": "which rules this out",
        "would_apply": "would apply, but",
        "goes_first": "takes precedence",
        "open": "undetermined",
        "may_hold": "holds if what is open below turns out so",
        "exception_open": "exception that may apply, if what is open below turns out so",
        "unknown": "not established: the case states this neither true nor false",
        "stated_false": "not the case, as the case states",
        "choice": "depends on a choice the regulation leaves open",
        "options": "choices the regulation leaves open",
        "every_choice": "holds under every choice the regulation leaves open",
        "holds_only": "holds only with",
        "under_none": "holds under none of the choices; worked out below for",
        "holds": "holds",
        "holds_not": "does not hold",
        "no_rule": "no rule of this regulation concludes this",
        "not_explored": "not explored further",
        "no_value": "there is nothing to compute it from",
        "blocked": "cannot be decided",
        "more": "{n} more steps (see --depth)",
        "negation_open": "is undetermined, and so is its negation",
        "none_in_case": "the case states no",
        "with": "with",
    },
}

_RANK_EXCEPTION = 9


class Builder:
    """Builds the items of one explanation (provisions quoted once across all its trees)."""

    def __init__(self, ph: Phrasing, opts: Options | None = None, derivations: Derivations | None = None):
        self.ph = ph
        self.opts = opts or Options()
        self.derivations = derivations
        self.quoted: set[str] = set()
        self.proved: set[str] = set()
        self.w = WORDS[ph.lang]
        self._hypothetical = 0  # inside an exception that did not apply, or a condition that does not hold
        self._chain: set[int] = set()
        self._last: int | None = None
        self._decisive: set[int] = set()

    # --- entry points -----------------------------------------------------------------------------------------

    def tree(self, node: Node, chain: list[Node] | None = None, decisive: list[Node] | None = None) -> Item:
        """The items of a proof, why-not or undetermined tree; ``chain`` and ``decisive`` (the decisive rule
        instances and comparisons, see :mod:`oerlog.explain.decisive`) are put first where they occur."""
        self._chain = {id(n) for n in chain or ()}
        self._last = id(chain[-1]) if chain else None
        self._decisive = {id(n) for n in decisive or ()}
        return self.item(node, None, 0) or Item("•", "")

    # --- one node ---------------------------------------------------------------------------------------------

    def item(self, node: Node, parent: Node | None, level: int) -> Item | None:
        """The item of ``node`` (None: nothing a reader needs, unless --detail)."""
        k = node.kind
        builder = getattr(self, f"_{k.value}", None)
        it: Item | None = builder(node, parent) if builder is not None else Item("•", node.text or "")
        if it is None:
            if not self.opts.detail:
                return None
            it = Item("•", node.text or node.atom or "")
        if self.opts.detail:
            it.detail += self._detail(node)
        it.chain = id(node) in self._chain
        it.decisive = id(node) == self._last
        if it.seen:
            return it
        limit = self.opts.depth
        kids = self._ordered(node)
        hypothetical = node.kind is NodeKind.EXCEPTION_CHECKED or (node.kind is NodeKind.GOAL and level > 0)
        if not self.opts.detail:
            if node.kind is NodeKind.GOAL and level > 0:
                kids = kids[:1]  # a condition that does not hold: the rule that came closest to giving it
            if self._hypothetical >= 3:
                kids = []  # what a rule that did not apply would have needed, two levels down, is enough
        if limit is not None and level + 1 >= limit and kids:
            it.omitted = sum(1 for _ in _derived_below(node))
            return it
        self._hypothetical += hypothetical
        try:
            for c in kids:
                sub = self.item(c, node, level + 1)
                if sub is not None:
                    it.children.append(sub)
        finally:
            self._hypothetical -= hypothetical
        if node.kind is NodeKind.GOAL and level > 0 and len(it.children) == 1 and it.children[0].mark == "✘":
            only = it.children[0]  # "does not hold: X" and the one rule that gives X: one item
            it.cite, it.children = only.cite, only.children
            it.quotes += only.quotes
            it.notes += only.notes
        return it

    def _ordered(self, node: Node) -> list[Node]:
        """The children of a node, the steps that matter first: the decisive comparisons, what an open answer
        waits for, the other comparisons and the facts (one line each), the decisive chain, the other conclusions,
        negations, exceptions."""
        if node.kind is not NodeKind.DERIVED and node.kind is not NodeKind.UNDETERMINED:
            return list(node.children)

        def rank(c: Node) -> int:
            if id(c) in self._decisive:
                return 0
            if id(c) in self._chain:
                return 3
            return {
                NodeKind.UNKNOWN_FACT: 0,
                NodeKind.UNFILLED: 0,
                NodeKind.UNDETERMINED: 1,
                NodeKind.BUILTIN: 1,
                NodeKind.FACT: 2,
                NodeKind.STATED_FALSE: 2,
                NodeKind.DERIVED: 4,
                NodeKind.AGGREGATE: 4,
                NodeKind.ABSENT: 6,
                NodeKind.EXCEPTION_CHECKED: _RANK_EXCEPTION,
            }.get(c.kind, 5)

        decisive_order = {id(c): i for i, c in enumerate(decisive_comparisons(self.ph, node))}
        return sorted(node.children, key=lambda c: (rank(c), decisive_order.get(id(c), 0)))

    def _detail(self, node: Node) -> list[str]:
        out: list[str] = []
        if node.rule is not None and node.kind not in (NodeKind.FACT,):
            out.append(f"{self.w['rule']} {node.rule.id}" + (f" ({node.rule.loc})" if node.rule.loc else ""))
        if node.atom:
            out.append(node.atom)
        if node.kind is NodeKind.BUILTIN and node.text:
            out.append(node.text)
        if node.source is not None:
            out.append(str(node.source))
        return out

    # --- proofs -----------------------------------------------------------------------------------------------

    def _rule_item(self, mark: str, text: str, node: Node) -> Item:
        it = Item(mark, text, cite=self.ph.citations(node.rule))
        info = node.rule
        if info is None or (self._hypothetical and not self.opts.detail):
            return it
        for c, p in info.citations:
            if p is None:
                continue
            key = f"{c.doc or info.document}:{p.article}:{p.lid}"
            if key in self.quoted:
                continue
            self.quoted.add(key)
            same = next((i for i, (text, _) in enumerate(it.quotes) if text == p.text), None)
            if same is not None:  # two provisions with the same words (a part A and a part B): quoted once
                it.quotes[same] = (p.text, f"{it.quotes[same][1]}; {p.label}")
                continue
            it.quotes.append((p.text, p.label))
        it.notes += [f"{self.w['reading']}: {r}" for r in info.readings(self.ph.lang)]
        disc = info.discretion_in(self.ph.lang)
        if disc:
            it.notes.append(f"⚖ {self.w['discretion']}: {disc}")
        return it

    def statement(self, node: Node) -> str:
        """The sentence of a rule instance: its template filled, else the conclusion in words."""
        text = self.ph.statement(node.rule, node.binding)
        if text is None and node.pred is not None and node.args:
            text = self.ph.sentence(node.pred, node.args)
        return text or self.ph.conclusion_label(node.pred or "")

    def _derived(self, node: Node, parent: Node | None) -> Item:
        text = self.statement(node)
        key = node.atom or text
        if key in self.proved and not self.opts.detail:
            return Item("✔", text, cite=self.ph.citations(node.rule), seen=True)
        self.proved.add(key)
        return self._rule_item("✔", text, node)

    def _fact(self, node: Node, parent: Node | None) -> Item:
        text = self.ph.fact(node.pred or "", node.args)
        return Item("•", text, source=self.ph.source(node.source) or "")

    def _builtin(self, node: Node, parent: Node | None) -> Item | None:
        st = node.step
        if st is None or parent is None or not isinstance(st.literal, ir.Compare):
            return None
        cond = conditions_of(self.ph, parent)
        if st.kind is StepKind.ASSIGN:
            used = any(
                c.step is not None and c.step.kind is StepKind.TEST and st.binds[0] in c.step.needs
                for c in parent.children
            )
            text = cond.assigned(st, used)
        else:
            text = None if cond.trivial(st.literal) else cond.holds(st.literal)
        return Item("•", text) if text else None

    def _aggregate(self, node: Node, parent: Node | None) -> Item:
        st = node.step
        lit = st.literal if st is not None else None
        value = next(iter(node.binding.values()), None)
        if not isinstance(lit, ir.Aggregate):
            return Item("•", node.text or "")
        fld = self.ph.aggregated_field(lit)
        word = AGG_WORDS[self.ph.lang].get(lit.func, lit.func)
        if lit.func in ("max", "min") and hasattr(value, "isoformat"):
            word = (
                {"max": "laatste", "min": "eerste"}[lit.func]
                if self.ph.nl
                else ({"max": "latest", "min": "earliest"}[lit.func])
            )
        label = fld.label_in(self.ph.lang) if fld is not None and fld.label is not None else ""
        shown = self.ph.value(value, fld if lit.func in ("min", "max") else None)
        return Item("•", f"{word} {label}: {shown}".replace("  ", " ") if label else f"{word}: {shown}")

    def _absent(self, node: Node, parent: Node | None) -> Item | None:
        row = self._partial_row(node)
        if row is None:
            return None
        pred = node.pred or ""
        rel = self.ph.relation(pred)
        if rel is not None and rel.kind == "input":
            if all(v is not None for v in row):
                return Item("•", f"{self.w['not_in_case']}: ‘{self.ph.fact(pred, row)}’")
            return Item("•", f"{self.w['none_in_case']} {self._labelled(pred, row)}")
        text = self.ph.sentence(pred, row) if all(v is not None for v in row) else None
        return Item("•", f"{self.w['holds_not']}: ‘{text}’") if text else None

    def _exception_checked(self, node: Node, parent: Node | None) -> Item:
        text = self.ph.statement(node.rule, node.binding, loose=True)
        cite = self.ph.citations(node.rule)
        head = f"{self.w['exception_not']}" + (f": ‘{text}’" if text else "")
        it = self._rule_item("◦", head, node)
        it.cite = cite
        return it

    # --- why not ----------------------------------------------------------------------------------------------

    def _goal(self, node: Node, parent: Node | None) -> Item:
        return self._not_holding(node)

    def _not_holding(self, node: Node) -> Item:
        """A condition on a derived relation that does not hold: in words, or by the provisions of its rules."""
        row = self._partial_row(node)
        text = None
        if row is not None and all(v is not None for v in row):
            text = self.ph.sentence(node.pred or "", row)
        elif row is not None and self.ph.relation(node.pred or "") is not None:  # a concept: "een cursus"
            args = tuple(ir.Const(v) if v is not None else ir.Var(f"V{i}") for i, v in enumerate(row))
            text = self.ph.goal(ir.Atom(node.pred or "", args))
        if text is not None:
            return Item("✘", f"{self.w['not_derived']}: ‘{text}’")
        return Item("✘", f"{self.ph.conclusion_label(node.pred or '')}: {self.w['not_met']}")

    def _holds(self, node: Node, parent: Node | None) -> Item:
        return Item("✔", self.w["holds"])

    def _rule_failed(self, node: Node, parent: Node | None) -> Item:
        # what the rule would conclude (its head, as far as the goal binds it), not its statement: the statement
        # fills the rule's conditions with values that do not meet them ("3,8, dat is tenminste 4,0")
        text = self.conclusion(node)
        return self._rule_item("✘", self.w["not_apply"] + (f": ‘{text}’" if text else ""), node)

    def conclusion(self, node: Node) -> str | None:
        """What a rule instance concludes (its head, as far as it is bound), in words: for a rule that did not
        apply or whose conclusion is open, where its statement would also claim the conditions."""
        info = node.rule
        if node.pred and node.args and self.ph.relation(node.pred) is not None:
            said = self.ph.sentence(node.pred, node.args)  # a concept's own words
            if said:
                return said
        head = info.rule.head if info is not None and info.rule is not None else None
        if head is None:
            return self.ph.statement(info, node.binding, loose=True)
        row = tuple(
            a.value if isinstance(a, ir.Const) else node.binding.get(a.name) if isinstance(a, ir.Var) else None
            for a in head.args
        )
        if self.ph.relation(head.pred) is not None:
            text = self.ph.sentence(head.pred, row) if all(v is not None for v in row) else None
            if text:
                return text
        rule = info.rule if info is not None else None
        if rule is not None and not rule.defeats:  # what this rule concludes, in its own template's words
            return self.ph.rule_sentence(rule, row, whole=False)
        return self.ph.statement(info, {k: v for k, v in node.binding.items() if k in _vars(head)}, loose=True)

    def _head_mismatch(self, node: Node, parent: Node | None) -> Item | None:
        return None  # a rule that concludes something else: only under --detail

    def _missing_fact(self, node: Node, parent: Node | None) -> Item:
        pred = node.pred or ""
        row = self._partial_row(node)
        ph = self.ph
        if row is None:
            return Item("✘", f"{self.w['needed']}: {ph.relation_label(pred)}; {self.w['not_in_case']}")
        known = [c for c in node.children if c.kind is NodeKind.FACT]
        rel = ph.relation(pred)
        if known and rel is not None:
            other = known[0]
            says = ph.fact(pred, other.args)
            src = ph.source(other.source)
            differ = [i for i, f in enumerate(rel.fields) if row[i] is not None and row[i] != other.args[i]]
            key = rel.key_positions or ()
            if len(key) == 1 and len(differ) == 1 and rel.fields[differ[0]].value_labels:
                f = rel.fields[differ[0]]
                subject = ph.value(row[key[0]], rel.fields[key[0]])
                text = f"{subject} {self.w['is_not_a']} {ph.value(row[differ[0]], f)}"
            else:
                text = f"{self.w['needed']}: " + ", ".join(ph.labelled(row[i], rel.fields[i]) for i in differ)
            it = Item("✘", f"{text}; {self.w['case_says']}: ‘{says}’", source=src or "")
            node.children = []
            return it
        return Item("✘", f"{self.w['needed']}: {self._labelled(pred, row)}; {self.w['not_in_case']}")

    def _not_derived(self, node: Node, parent: Node | None) -> Item:
        return self._not_holding(node)

    def _builtin_false(self, node: Node, parent: Node | None) -> Item:
        st = node.step
        if node.failed_literal == "agg" or st is None or not isinstance(st.literal, ir.Compare):
            return Item("✘", self.w["no_value"])
        cond = Conditions(self.ph, parent.rule.rule if parent and parent.rule else None, node.context, {})
        if parent is not None:
            cond = conditions_of(self.ph, parent)
            cond.b.update(node.context)
        if st.kind is StepKind.ASSIGN:
            return Item("✘", cond.assign_needed(st))
        return Item("✘", cond.needed(st.literal))

    def _present(self, node: Node, parent: Node | None) -> Item:
        row = self._partial_row(node)
        text = None
        if node.children and node.children[0].kind in (NodeKind.DERIVED, NodeKind.FACT):
            first = node.children[0]
            text = self.ph.fact(first.pred or "", first.args) if first.kind is NodeKind.FACT else self.statement(first)
        elif row is not None and all(v is not None for v in row):
            text = self.ph.sentence(node.pred or "", row)
        text = text or self.ph.conclusion_label(node.pred or "")
        return Item("✘", f"‘{text}’ {self.w['holds']}: {self.w['rules_out']}")

    def _defeated(self, node: Node, parent: Node | None) -> Item:
        exc = self.ph.statement(node.rule, node.binding, loose=True) if node.rule else None
        it = self._rule_item(
            "⚑",
            f"{self.w['would_apply']} {self.w['exception_of']} {self.ph.citations(node.rule)} {self.w['goes_first']}"
            + (f": ‘{exc}’" if exc else ""),
            node,
        )
        it.cite = ""
        return it

    def _blocked(self, node: Node, parent: Node | None) -> Item:
        it = self._rule_item("?", f"{self.w['blocked']}: {self.w['choice']}: {self.params(node.params)}", node)
        return it

    def _no_rule(self, node: Node, parent: Node | None) -> Item:
        return Item("✘", self.w["no_rule"])

    # --- three answers ----------------------------------------------------------------------------------------

    def _undetermined(self, node: Node, parent: Node | None) -> Item:
        if node.failed_step is StepKind.NOT:
            row = self._partial_row(node)
            text = self.ph.sentence(node.pred or "", row) if row and all(v is not None for v in row) else None
            return Item("?", f"‘{text or self.ph.conclusion_label(node.pred or '')}’ {self.w['negation_open']}")
        if node.rule is None:
            return Item("?", self.w["open"])
        if node.rule.rule is not None and node.rule.rule.defeats:  # an exception waiting for a decision or fact
            said = self.ph.statement(node.rule, node.binding, loose=True)
            return self._rule_item("?", self.w["exception_open"] + (f": ‘{said}’" if said else ""), node)
        text = self.conclusion(node) or self.ph.conclusion_label(node.pred or "")
        return self._rule_item("?", f"‘{text}’ {self.w['may_hold']}", node)

    def _unknown_fact(self, node: Node, parent: Node | None) -> Item:
        return Item("?", f"‘{self.ph.fact(node.pred or '', node.args)}’: {self.w['unknown']}")

    def _stated_false(self, node: Node, parent: Node | None) -> Item:
        return Item(
            "•",
            f"‘{self.ph.fact(node.pred or '', node.args)}’: {self.w['stated_false']}",
            source=self.ph.source(node.source) or "",
        )

    def _unfilled(self, node: Node, parent: Node | None) -> Item:
        return Item("?", f"{self.w['choice']}: {self.params(node.params)}")

    def _options(self, node: Node, parent: Node | None) -> Item:
        options = _parse_options(node.text or "")

        def shown(choice: list[tuple[str, str]]) -> str:
            return ", ".join(f"{self.param(p)} {self._literal(v)}" for p, v in choice)

        if node.failed_literal == "none":
            return Item("•", f"{self.w['options']}: {self.w['under_none']} {'; '.join(shown(c) for c, _ in options)}")
        verdicts = {v for _, v in options}
        names = list(dict.fromkeys(self.param(p) for c, _ in options for p, _ in c))
        if verdicts == {True}:  # the same under every choice: the choices do not matter here
            return Item("•", f"{self.w['every_choice']}: {'; '.join(names)}")
        holding = [shown(c) for c, v in options if v]
        return Item("•", f"{self.w['options']}: {self.w['holds_only']} {' / '.join(holding)}")

    # --- helpers ----------------------------------------------------------------------------------------------

    def _literal(self, text: str) -> str:
        """A value as the rule language writes it (``5.5``, ``"x"``, ``2025-09-01``), for a reader."""
        value: Value = text.strip('"')
        if re.fullmatch(r"-?[0-9]+", text):
            value = int(text)
        elif re.fullmatch(r"-?[0-9]*\.[0-9]+", text):
            value = Decimal(text)
        elif re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            value = dt.date.fromisoformat(text)
        return self.ph.value(value)

    def param(self, name: str) -> str:
        """A parameter for a reader: its label, else ``$name``."""
        return self.ph.param_label(name) or f"${name}"

    def params(self, names: list[str]) -> str:
        return ", ".join(self.param(p) for p in names)

    def _partial_row(self, node: Node) -> tuple[Value | None, ...] | None:
        """The values of the atom a node is about: each bound one, None for one not known."""
        st = node.step
        if st is None:
            return tuple(node.args) if node.args else None
        lit = st.literal
        atom = lit.atom if isinstance(lit, (ir.Positive, ir.Negative)) else st.atom
        if atom is None:
            return None
        out: list[Value | None] = []
        for a in atom.args:
            if isinstance(a, ir.Const):
                out.append(a.value)
            elif isinstance(a, ir.Var) and a.name in node.context:
                out.append(node.context[a.name])
            else:
                out.append(None)
        return tuple(out)

    def _labelled(self, pred: str, row: tuple[Value | None, ...]) -> str:
        """``toetsaanmelding (student anna, toets vf_herkansing)``: a relation with the values that are known."""
        fields = self.ph.fields_of(pred)
        parts = []
        for i, v in enumerate(row):
            fld = fields[i] if i < len(fields) else None
            if v is not None:
                parts.append(self.ph.labelled(v, fld))
        label = self.ph.relation_label(pred) if self.ph.relation(pred) else self.ph.conclusion_label(pred)
        return f"{label} ({self.w['with']} {', '.join(parts)})" if parts else label


def _vars(atom: ir.Atom) -> set[str]:
    return {a.name for a in atom.args if isinstance(a, ir.Var)}


def _derived_below(node: Node) -> list[Node]:
    out: list[Node] = []
    todo = list(node.children)
    while todo:
        n = todo.pop()
        if n.kind in (NodeKind.DERIVED, NodeKind.RULE_FAILED, NodeKind.EXCEPTION_CHECKED, NodeKind.GOAL):
            out.append(n)
        todo.extend(n.children)
    return out


def _agg_func(literal: str) -> str | None:
    m = re.match(r"\s*\w+\s*=\s*(count|sum|min|max|mean|wmean)\b", literal)
    return m.group(1) if m else None


_CHOICE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*) = (\"[^\"]*\"|[^,;:]+)")


def _parse_options(text: str) -> list[tuple[list[tuple[str, str]], bool | None]]:
    """``$p = 5.5: holds; $p = 6: does not hold`` as ([(p, value)], holds?) per option."""
    out: list[tuple[list[tuple[str, str]], bool | None]] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        verdict: bool | None = None
        if part.endswith(": does not hold"):
            verdict, part = False, part[: -len(": does not hold")]
        elif part.endswith(": holds"):
            verdict, part = True, part[: -len(": holds")]
        choice = [(m.group(1), m.group(2).strip()) for m in _CHOICE.finditer(part)]
        out.append((choice, verdict))
    return out


def summary_chain(ph: Phrasing, root: Node, derivations: Derivations | None) -> tuple[list[Node], list[Node]]:
    """(the decisive chain, the decisive comparisons) of a proof, for :meth:`Builder.tree`."""
    d = find_decisive(ph, root, derivations)
    return d.chain, d.comparisons
