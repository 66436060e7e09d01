"""The integrity constraints of the world (``constraints:`` in the vocabulary) as rules, and the cases that break
them.

Each alternative of a constraint's ``violation`` becomes a rule ``_violates_<name>_<i>(over) :- body.`` (role
``VIOLATION``). ``oerlog check`` adds these rules to every document's program, so one batched evaluation both
judges a scenario and says whether it is a case that can occur; ``oerlog lint`` evaluates them alone over the
bundled case files and scenario tests (:func:`case_violations`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from oerlog.evaluation.batched import World, evaluate_worlds
from oerlog.kb.loader import Document
from oerlog.kb.vocabulary import Constraint, Vocabulary
from oerlog.lang import ir
from oerlog.semantics.evaluate import complete_helpers
from oerlog.semantics.model import Model, Row
from oerlog.semantics.plan import build_plan


@dataclass(frozen=True)
class Violation:
    """A case breaks ``constraint``: the values of its variables (``over``) in the facts that break it."""

    constraint: Constraint
    binding: tuple[tuple[str, object], ...]

    def text(self, lang: str = "nl") -> str:
        """The constraint in words, with the values that break it."""
        doc = (self.constraint.doc_nl if lang == "nl" else "") or self.constraint.doc or self.constraint.name
        vals = ", ".join(f"{k} = {v}" for k, v in self.binding)
        return f"{doc} ({vals})"


def violation_relation(name: str, i: int) -> str:
    """The relation holding the cases that break alternative ``i`` of constraint ``name``."""
    return f"_violates_{name}_{i}"


def constraint_rules(voc: Vocabulary, document: str | None = None) -> list[ir.Rule]:
    """One rule per alternative of every constraint of ``voc``."""
    rules: list[ir.Rule] = []
    for c in voc.constraints.values():
        for i, (body, over) in enumerate(c.bodies):
            head = ir.Atom(violation_relation(c.name, i), tuple(ir.Var(v) for v in over))
            rules.append(
                ir.Rule(
                    head,
                    cast(tuple[ir.Literal, ...], body),
                    ir.Annotations(id=head.pred),
                    loc=c.loc,
                    document=document,
                )
            )
    return rules


def violation_roles(voc: Vocabulary) -> dict[str, ir.RelationRole]:
    """The role of every violation relation."""
    return {
        violation_relation(c.name, i): ir.RelationRole.VIOLATION
        for c in voc.constraints.values()
        for i in range(len(c.bodies))
    }


def violations_in(voc: Vocabulary, relations: Mapping[str, set[Row]]) -> list[Violation]:
    """The violations an evaluated case holds (its relations include the violation relations)."""
    out: list[Violation] = []
    for c in voc.constraints.values():
        for i, (_body, over) in enumerate(c.bodies):
            for row in sorted(relations.get(violation_relation(c.name, i), set()), key=repr):
                out.append(Violation(c, tuple(zip(over, row, strict=True))))
    return out


def violated(voc: Vocabulary, relations: Mapping[str, set[Row]]) -> bool:
    """Whether an evaluated case breaks any constraint."""
    return any(
        relations.get(violation_relation(c.name, i)) for c in voc.constraints.values() for i in range(len(c.bodies))
    )


def violation_relations(voc: Vocabulary) -> Sequence[str]:
    """Every violation relation."""
    return list(violation_roles(voc))


class ConstraintChecker:
    """The constraints of a vocabulary, evaluated in this process over one case's facts (cheap: the bodies are
    small joins over the case's own facts)."""

    def __init__(self, voc: Vocabulary) -> None:
        self.voc = voc
        rules = constraint_rules(voc)
        roles = violation_roles(voc)
        self.plan = build_plan(ir.Program(rules, [], roles=dict(roles)))
        self.relations = frozenset(roles)
        self._doc: Document | None = None

    def evaluate(self, facts: Mapping[str, set[Row]]) -> dict[str, set[Row]]:
        """The violation relations of a case (empty sets when it breaks nothing)."""
        m = complete_helpers(Model(self.plan, dict(facts)))
        complete_helpers(m, (ir.RelationRole.VIOLATION,))
        return {r: m.relations.get(r, set()) for r in self.relations}

    def violations(self, facts: Mapping[str, set[Row]]) -> list[Violation]:
        """What in the case breaks which constraint."""
        return violations_in(self.voc, self.evaluate(facts))

    def violated(self, facts: Mapping[str, set[Row]]) -> bool:
        """Whether the case breaks any constraint."""
        return violated(self.voc, self.evaluate(facts))

    def violated_many(self, doc: Document, cases: Sequence[Mapping[str, set[Row]]]) -> list[bool]:
        """Whether each of many cases breaks a constraint: one batched evaluation (``doc`` lends its knowledge base
        and vocabulary; its rules are not used)."""
        if not self.relations or not cases:
            return [False] * len(cases)
        if self._doc is None or self._doc.kb is not doc.kb:
            prog = ir.Program(constraint_rules(self.voc, "_constraints"), [], roles=violation_roles(self.voc))
            self._doc = dataclasses.replace(doc, id="_constraints", program=prog)
        out: list[bool] = []
        for start in range(0, len(cases), 5000):
            part = cases[start : start + 5000]
            run = evaluate_worlds(self._doc, [World(c) for c in part], sorted(self.relations))
            for case, m in zip(part, run.results, strict=True):
                out.append(violated(self.voc, m.relations) if isinstance(m, Model) else self.violated(case))
        return out
