"""One explained goal as its reader meets it: a summary that opens with the answer, the rule that decided it with
its article and lid and the values it turns on, then the steps (:mod:`oerlog.explain.items`).

- a proof: the conclusion, the decisive rule and its comparisons (:mod:`oerlog.explain.decisive`);
- a why-not: the goal, the rule that came closest (fewest conditions failing) and, per failed condition, what
  the case would need;
- an undetermined answer: "onbepaald: hangt af van ..." with the fact the case leaves open, the choice the
  regulation leaves unfilled, or the body whose decision it waits for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oerlog.explain.decisive import (
    Derivations,
    case_value_shown,
    closest,
    comparison_words,
    find_decisive,
    values_words,
    waits_for,
)
from oerlog.explain.explainer import Node, NodeKind, RuleInfo
from oerlog.explain.items import Builder, Item, Options
from oerlog.explain.render import Kinds, json_bindings, variable_kinds
from oerlog.explain.words import Phrasing

TITLES = {
    "nl": {
        "why": "Waarom",
        "whynot": "Waarom niet",
        "open": "Onbepaald",
        "decisive": "Beslissend",
        "closest": "Dichtstbij",
        "depends": "Hangt af van",
        "holds_not": "geldt niet",
        "holds": "geldt",
        "conditions": "voorwaarde niet vervuld",
        "conditions_n": "voorwaarden niet vervuld",
        "no_rule": "geen regel van deze regeling leidt dit af",
        "decides": "Beslist door",
        "not_recorded": "niet vastgelegd",
        "choice": "een keuze die de regeling openlaat",
        "source": "Bron",
    },
    "en": {
        "why": "Why",
        "whynot": "Why not",
        "open": "Undetermined",
        "decisive": "Decisive",
        "closest": "Closest",
        "depends": "Depends on",
        "holds_not": "does not hold",
        "holds": "holds",
        "conditions": "condition not met",
        "conditions_n": "conditions not met",
        "no_rule": "no rule of this regulation concludes this",
        "decides": "Decided by",
        "not_recorded": "not recorded",
        "choice": "a choice the regulation leaves open",
        "source": "Source",
    },
}


@dataclass
class Summary:
    """The opening of an explanation: the answer, the decisive rule, the values (or the closest rule and what it
    needs, or what an undetermined answer depends on)."""

    answer: str  # holds | does_not_hold | undetermined
    conclusion: str  # the goal or conclusion in words
    cite: str = ""  # the provisions of the conclusion's rule
    rule: RuleInfo | None = None  # the decisive rule (a proof) or the closest rule (a why-not)
    statement: str | None = None  # its statement in words
    rule_cite: str = ""
    values: list[str] = field(default_factory=list)  # the decisive comparisons in words
    values_text: str = ""  # the same in one phrase, those on one value joined
    values_shown: list[str] = field(default_factory=list)  # the values of the case in them (``5,47``)
    value_nodes: list[Node] = field(default_factory=list)
    needed: list[str] = field(default_factory=list)  # a why-not: per failed condition of the closest rule
    failures: int | None = None
    depends_on: list[str] = field(default_factory=list)  # undetermined: what it waits for
    decided_by: list[str] = field(default_factory=list)  # undetermined: the discretion notes of the rules
    same_rule: bool = False  # the decisive rule is the conclusion's own
    source: str = ""  # an input fact: where the case states it

    def lines(self, lang: str, kind: str) -> list[str]:
        """The summary as lines: the answer first, then the decisive rule with article and values."""
        t = TITLES[lang]
        cite = f" ({self.cite})" if self.cite else ""
        if self.answer == "undetermined":
            out = [f"{t['open']}: {self.conclusion}{cite}"]
            out += [f"{t['depends']}: {d}" for d in self.depends_on[:3]]
            out += [f"{t['decides']}: {d}" for d in self.decided_by[:1]]
            return out
        if kind == "whynot" and self.answer == "does_not_hold":
            out = [f"{t['whynot']}: {self.conclusion} — {t['holds_not']}"]
            if self.rule_cite or self.failures is not None:
                n = len(self.needed) or self.failures or 1  # the conditions named (one that only a failed
                # condition would decide is counted for "closest", not named)
                word = t["conditions"] if n == 1 else t["conditions_n"]
                out.append(f"{t['closest']}: {self.rule_cite} ({n} {word})")
            elif not self.needed:
                out.append(f"{t['closest']}: {t['no_rule']}")
            out += [f"  {x}" for x in self.needed[:3]]
            return out
        out = [f"{t['why']}: {self.conclusion}{cite}"]
        if self.source:
            out.append(f"{t['source']}: {self.source}")
        elif self.values:
            out.append(f"{t['decisive']}: {self.rule_cite} — {self.values_text or '; '.join(self.values)}")
            if not self.same_rule and self.statement:
                out.append(f"  {self.statement}")
        elif self.statement:
            out.append(f"{t['decisive']}: {self.rule_cite} — {self.statement}")
        return out

    def to_dict(self, kinds: Kinds | None = None) -> dict[str, Any]:
        """The summary in the JSON explanation (schema ``oerlog.explanation/2``); the values of the decisive
        comparisons by the kind of their variables in the decisive rule (``kinds``: the judgement's)."""
        var_kinds = variable_kinds(self.rule.rule, kinds) if kinds is not None and self.rule is not None else {}
        rule = None
        if self.rule is not None:
            rule = {
                "id": self.rule.id,
                "citations": [p.label if p else str(c) for c, p in self.rule.citations],
                "statement": self.statement,
            }
        return {
            "answer": self.answer,
            "conclusion": self.conclusion,
            "rule": rule,
            "values": [
                {
                    "text": text,
                    "literal": n.atom,
                    "comparison": n.text,
                    "bindings": json_bindings(n.binding, var_kinds),
                }
                for text, n in zip(self.values, self.value_nodes, strict=False)
            ],
            "failed_conditions": self.failures,
            "needed": list(self.needed),
            "depends_on": list(self.depends_on),
        }


@dataclass
class Story:
    """A summary and the steps of one explained goal."""

    summary: Summary
    item: Item
    kind: str
    container: bool = False  # the root only holds the steps (a why-not's goal, an open answer's list)

    def tops(self) -> list[Item]:
        """The items the steps begin with: the root's children when the summary already says what the root
        would (a goal that does not hold, an undetermined goal), else the root."""
        return self.item.children if self.container or not self.item.text else [self.item]


def tell(kind: str, tree: Node, ph: Phrasing, builder: Builder, derivations: Derivations | None = None) -> Story:
    """The story of one explanation tree (``kind`` why or whynot)."""
    lang = ph.lang
    k = tree.kind
    if k is NodeKind.DERIVED:
        return _proof(kind, tree, ph, builder, derivations)
    if k is NodeKind.HOLDS and tree.children:
        inner = tell("why", tree.children[0], ph, builder, derivations)
        items = [builder.item(c, tree, 0) for c in tree.children[1:]]
        inner.item = Item("•", "", children=[inner.item, *[i for i in items if i is not None]])
        return inner
    if k is NodeKind.UNDETERMINED:
        return _undetermined(kind, tree, ph, builder)
    if k is NodeKind.FACT:  # an input fact: the case states it
        s = Summary("holds", ph.fact(tree.pred or "", tree.args), source=ph.source(tree.source) or "")
        return Story(s, builder.tree(tree), kind)
    # why not
    item = builder.tree(tree)
    goal = _goal_words(ph, tree)
    s = Summary("does_not_hold", goal)
    near = closest(tree)
    if near is not None:
        s.rule = near.rule
        s.rule_cite = ph.citations(near.rule)
        s.statement = ph.statement(near.rule, near.binding)
        s.failures = near.failures
        near_item = next((i for c, i in zip(tree.children, item.children, strict=False) if c is near), None)
        if near_item is not None:
            s.needed = [c.text for c in near_item.children if c.mark in ("✘", "?", "⚑")]
            if near.kind is NodeKind.DEFEATED or near.kind is NodeKind.BLOCKED:
                s.needed = [near_item.text]
    elif not tree.children:
        s.needed = []
    del lang
    return Story(s, item, kind, container=True)


def _goal_words(ph: Phrasing, tree: Node) -> str:
    from oerlog.lang.parser import parse_atom  # the goal as the user wrote it, read back (it parsed before)

    try:
        atom = parse_atom(tree.atom or "")
    except Exception:  # noqa: BLE001 - a goal text that is no atom: say it by its relation
        return ph.conclusion_label(tree.pred or "")
    return ph.goal(atom)


def _proof(kind: str, tree: Node, ph: Phrasing, builder: Builder, derivations: Derivations | None) -> Story:
    d = find_decisive(ph, tree, derivations)
    item = builder.tree(tree, d.chain, d.comparisons)
    conclusion = builder.statement(tree)
    s = Summary("holds", conclusion, cite=ph.citations(tree.rule))
    s.rule = d.node.rule
    s.rule_cite = ph.citations(d.node.rule)
    s.statement = builder.statement(d.node)
    s.same_rule = d.node is tree
    s.values = [comparison_words(ph, d.node, c, short=True) for c in d.comparisons[:3]]
    s.value_nodes = d.comparisons[:3]
    s.values_text = values_words(ph, d.node, s.value_nodes)
    s.values_shown = [v for v in (case_value_shown(ph, d.node, c) for c in s.value_nodes) if v]
    return Story(s, item, kind)


def _undetermined(kind: str, tree: Node, ph: Phrasing, builder: Builder) -> Story:
    item = builder.tree(tree)
    t = TITLES[ph.lang]
    first = tree if tree.rule is not None else next((c for c in tree.children if c.rule is not None), tree)
    said = builder.conclusion(first) if first.rule is not None else None
    conclusion = said or _goal_words(ph, tree)
    cite = ph.citations(first.rule)
    s = Summary("undetermined", conclusion, cite="" if cite and cite in conclusion else cite)
    s.rule = first.rule
    s.rule_cite = s.cite
    for n in waits_for(tree):
        if n.kind is NodeKind.UNKNOWN_FACT:
            s.depends_on.append(f"‘{ph.fact(n.pred or '', n.args)}’ ({t['not_recorded']})")
        elif n.kind in (NodeKind.UNFILLED, NodeKind.BLOCKED):
            s.depends_on.append(f"{t['choice']}: {builder.params(n.params)}")
        elif n.kind is NodeKind.OPTIONS:
            shown = builder.item(n, None, 0)
            s.depends_on.append(shown.text if shown is not None else t["choice"])
    seen: set[str] = set()
    stack = [tree]
    while stack:
        n = stack.pop(0)
        note = n.rule.discretion_in(ph.lang) if n.rule else None
        if note and note not in seen:
            seen.add(note)
            s.decided_by.append(f"{ph.citations(n.rule)}: {note}")
        stack.extend(n.children)
    s.depends_on = list(dict.fromkeys(s.depends_on))
    return Story(s, item, kind, container=tree.rule is None)


def tell_all(
    kind: str, trees: tuple[Node, ...], ph: Phrasing, opts: Options, derivations: Derivations | None = None
) -> list[Story]:
    """The stories of an explanation's trees; provisions are quoted once across them."""
    builder = Builder(ph, opts, derivations)
    return [tell(kind, t, ph, builder, derivations) for t in trees]
