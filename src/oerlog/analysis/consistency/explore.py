"""Batched evaluation of the consistency scenarios: every document judges all its scenarios in a few database runs
(:func:`oerlog.evaluation.batched.evaluate_worlds`), never one engine call per scenario.

A document is evaluated with the rules the check adds to it: the domain of each outcome set that applies
(``_domain_<set>``, role ``GAP``). Whether a scenario can occur at all (the integrity constraints of the world) is
decided before, in this process (:class:`oerlog.analysis.constraints.ConstraintChecker`), so that no scenario that
cannot occur costs an evaluation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from oerlog.errors import OerlogError
from oerlog.evaluation.batched import World, evaluate_worlds
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.kb.vocabulary import OutcomeSet
from oerlog.lang import checks, ir
from oerlog.lang.ir import RelationRole
from oerlog.semantics.evaluate import complete_helpers
from oerlog.semantics.model import Model, Row
from oerlog.semantics.plan import Plan, build_plan

CHUNK = 4000  # scenarios per database run (bounds the memory of one run)

Relations = dict[str, set[Row]]


def domain_pred(outcome_set: str) -> str:
    """The relation holding the tuples an outcome set speaks about (its ``when``) in one document."""
    return f"_domain_{outcome_set}"


@dataclasses.dataclass
class Judge:
    """A document as the check evaluates it: its program with the check's rules, the outcome sets that apply and
    the relations read back."""

    doc: Document
    checked: Document  # the document with the check's rules added (what is evaluated)
    plan: Plan
    sets: list[OutcomeSet]
    concepts: frozenset[str]  # shared concepts the document has rules for
    goals: tuple[str, ...]

    @classmethod
    def of(cls, kb: KnowledgeBase, doc: Document, notes: list[str]) -> Judge:
        """The document with the domain rule of every outcome set whose ``when`` it can evaluate (it defines or
        reads every relation of the body)."""
        voc = kb.vocabulary
        defined = doc.predicates()
        inputs = set(voc.relations)
        extra: list[ir.Rule] = []
        roles: dict[str, RelationRole] = {}
        sets: list[OutcomeSet] = []
        for os_ in voc.outcome_sets.values():
            body = cast(tuple[ir.Literal, ...], os_.body)
            used = {a.pred for lit in body for a, _ in ir.literal_atoms(lit)}
            if not used <= (defined | inputs) or not used & defined and not set(os_.concepts) & defined:
                continue  # the document says nothing about the set's domain
            head = ir.Atom(domain_pred(os_.name), tuple(ir.Var(v) for v in os_.over))
            extra.append(ir.Rule(head, body, ir.Annotations(id=head.pred), loc=os_.loc, document=doc.id))
            roles[head.pred] = RelationRole.GAP
            sets.append(os_)
        prog = ir.Program(
            list(doc.program.rules) + extra,
            list(doc.program.params),
            roles={**doc.program.roles, **roles},
            open_relations=doc.program.open_relations,
        )
        errs = checks.check_program(prog, voc.input_arities(), voc.concept_arities())
        if errs:
            notes.append(f"{doc.id}: the check's own rules were not added: {errs[0].message}")
            prog, sets = doc.program, []
        concepts = frozenset(defined & set(voc.concepts))
        goals = tuple(sorted(concepts | {domain_pred(s.name) for s in sets}))
        checked = dataclasses.replace(doc, program=prog)
        return cls(doc, checked, build_plan(prog), sets, concepts, goals)

    def all_relations(self) -> tuple[str, ...]:
        """Every relation the document's rules (and the check's) define."""
        return tuple(sorted({r.head.pred for r in self.checked.program.rules}))

    def run(
        self,
        cases: Sequence[Mapping[str, set[Row]]],
        goals: Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Model | OerlogError]:
        """Evaluate ``cases`` (in chunks of :data:`CHUNK`) for ``goals`` (default: the check's goals)."""
        out: list[Model | OerlogError] = []
        for start in range(0, len(cases), CHUNK):
            part = cases[start : start + CHUNK]
            run = evaluate_worlds(self.checked, [World(c) for c in part], goals or self.goals)
            out.extend(run.results)
            if progress is not None:
                progress(len(part))
        return out

    def full_models(self, cases: Sequence[Mapping[str, set[Row]]]) -> list[Model | None]:
        """Every relation of the document for each case, as a model of the document's own plan (with the helper
        relations of aggregates and negations completed), for the threshold search."""
        out: list[Model | None] = []
        for m in self.run(cases, self.all_relations()):
            out.append(complete_helpers(Model(self.plan, dict(m.relations))) if isinstance(m, Model) else None)
        return out
