"""The order a rule body is evaluated in: positive atoms as written, every other literal (negation, comparison,
assignment ``X = expr``, aggregate) as soon as the variables it reads are bound, the way the evaluation plan
orders it (:mod:`oerlog.semantics.plan`). Which ``X = expr`` binds X and which only tests it follows from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from oerlog.lang import checks, ir


@dataclass(frozen=True)
class Step:
    """A body literal in evaluation order: ``kind`` is ``atom``, ``not``, ``test``, ``assign`` (binding
    ``target``) or ``agg`` (with ``inner``, the aggregate body's own steps)."""

    kind: Literal["atom", "not", "test", "assign", "agg"]
    literal: ir.Literal
    target: str = ""
    inner: tuple[Step, ...] = ()


def _atom_vars(atom: ir.Atom) -> list[str]:
    return list(dict.fromkeys(a.name for a in atom.args if isinstance(a, ir.Var)))


def _lit_vars(lit: ir.Literal) -> set[str]:
    return {v.name for v in ir.literal_vars(lit)}


def evaluation_order(rule: ir.Rule) -> list[Step]:
    """The body of ``rule`` in the order the engine evaluates it (as :mod:`oerlog.semantics.plan` orders it):
    positive atoms as written, every other literal as soon as the variables it reads are bound."""
    return _order(rule.head, rule.body, set(), checks.var_occurrences(rule))


def _order(head: ir.Atom, body: Sequence[ir.Literal], bound: set[str], counts: Mapping[str, int]) -> list[Step]:
    # what each literal other than a positive atom needs bound: (literal, needs, left vars, right vars)
    waiting: list[tuple[ir.Literal, set[str], set[str], set[str]]] = []
    for lit in body:
        if isinstance(lit, ir.Negative):
            shared = {v for v in _atom_vars(lit.atom) if counts.get(v, 0) > 1 and not ir.is_anonymous(v)}
            waiting.append((lit, shared, set(), set()))
        elif isinstance(lit, ir.Compare):
            lv = {v.name for v in ir.expr_vars(lit.left)}
            rv = {v.name for v in ir.expr_vars(lit.right)}
            waiting.append((lit, lv | rv, lv, rv))
        elif isinstance(lit, ir.Aggregate):
            outer = {a.name for a in head.args if isinstance(a, ir.Var)}
            for other in body:
                if other is not lit:
                    outer |= _lit_vars(other)
            waiting.append((lit, _lit_vars_inner(lit) & outer, set(), set()))
    positives = [lit for lit in body if isinstance(lit, ir.Positive)]
    steps: list[Step] = []

    def ready(lit: ir.Literal, needs: set[str], lv: set[str], rv: set[str]) -> Step | None:
        if isinstance(lit, ir.Compare) and lit.op == "=":
            if isinstance(lit.left, ir.Var) and lit.left.name not in bound and rv <= bound:
                return Step("assign", lit, lit.left.name)
            if isinstance(lit.right, ir.Var) and lit.right.name not in bound and lv <= bound:
                return Step("assign", lit, lit.right.name)
        if not needs <= bound:
            return None
        if isinstance(lit, ir.Aggregate):
            return _aggregate_step(lit, needs)
        return Step("not" if isinstance(lit, ir.Negative) else "test", lit)

    while waiting or positives:
        progressed = True
        while progressed:
            progressed = False
            for item in list(waiting):
                st = ready(*item)
                if st is not None:
                    steps.append(st)
                    if st.target:
                        bound.add(st.target)
                    if isinstance(st.literal, ir.Aggregate):
                        bound.add(st.literal.result.name)
                    waiting.remove(item)
                    progressed = True
        if positives:
            pos = positives.pop(0)
            steps.append(Step("atom", pos))
            bound.update(_atom_vars(pos.atom))
        elif waiting:  # unsafe leftovers (the safety check reports them): typed as they come
            lit = waiting.pop(0)[0]
            steps.append(_aggregate_step(lit, set()) if isinstance(lit, ir.Aggregate) else Step("test", lit))
    return steps


def _lit_vars_inner(lit: ir.Aggregate) -> set[str]:
    return set().union(*(_lit_vars(b) for b in lit.body)) if lit.body else set()


def _aggregate_step(lit: ir.Aggregate, group: set[str]) -> Step:
    """An aggregate with its body ordered, the group key bound (as the engine's auxiliary relation, whose head
    holds every variable of the body, reads it)."""
    head = ir.Atom("_agg", tuple(ir.Var(v) for v in sorted(_lit_vars_inner(lit))))
    counts = checks.var_occurrences(ir.Rule(head, lit.body))
    return Step("agg", lit, inner=tuple(_order(head, lit.body, set(group), counts)))
