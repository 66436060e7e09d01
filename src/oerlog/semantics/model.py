"""The model of a program: every relation's tuples and every rule's instances, as any back end computes them.

A back end (pyDatalog for single cases) evaluates a :class:`~oerlog.semantics.plan.Plan` into a :class:`Model`;
the explainers, counterfactuals and consistency checks read it with the functions here, never through a back
end. :data:`Row` is the one alias for a tuple of values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from oerlog.lang import ir
from oerlog.lang.ir import StrEnum
from oerlog.semantics.steps import CompiledRule, Plan
from oerlog.values import Value, format_literal

Row = tuple[Value, ...]


class Status(StrEnum):
    """The three answers to "does this hold?" (see :mod:`oerlog.semantics.threevalued`)."""

    HOLDS = "holds"
    NOT = "does_not_hold"
    UNDETERMINED = "undetermined"


@dataclass
class Model:
    """The result of an evaluation: every relation's tuples and every rule's instances (body bindings)."""

    plan: Plan
    relations: dict[str, set[Row]] = field(default_factory=dict)
    instances: dict[int, list[Row]] = field(default_factory=dict)
    seconds: float = 0.0

    def holds(self, pred: str, args: Row) -> bool:
        """Is ``pred(args)`` in the model (an input fact or derived)?"""
        return tuple(args) in self.relations.get(pred, set())

    def tuples(self, pred: str) -> set[Row]:
        """All tuples of a relation that hold (empty when none)."""
        return self.relations.get(pred, set())

    def fold_options(self) -> None:
        """Fold the copies of every relation that depends on a listed template choice (see
        :mod:`oerlog.semantics.options`): a tuple holds when it holds under every option, and may hold when it
        may hold under one."""
        for pred, oc in self.plan.option_copies.items():
            certain: set[Row] | None = None
            possible: set[Row] = set()
            for _, name in oc.copies:
                rows = self.tuples(name)
                certain = set(rows) if certain is None else certain & rows
                possible |= rows | self.relations.get(ir.possible_name(name), set())
            self.relations[pred] = certain or set()
            self.relations[ir.possible_name(pred)] = possible

    def options_holding(self, pred: str, row: Row) -> list[tuple[tuple[tuple[str, Value], ...], bool]]:
        """For a relation that depends on listed template choices: each combination of options, and whether
        ``pred(row)`` holds under it (empty for another relation)."""
        oc = self.plan.option_copies.get(pred)
        if oc is None:
            return []
        return [(choice, tuple(row) in self.tuples(name)) for choice, name in oc.copies]

    def undetermined(self, pred: str) -> set[Row]:
        """The tuples of a relation that may hold but are not established: they wait for a fact the case does not
        state (an open relation), a body's decision, or a template choice."""
        if pred in self.plan.uncertain:
            return self.relations.get(ir.possible_name(pred), set()) - self.tuples(pred)
        return set()

    def status(self, pred: str, args: Row) -> Status:
        """Holds, does not hold, or undetermined. For an open input relation: stated true, stated false, or
        neither (undetermined)."""
        row = tuple(args)
        if row in self.tuples(pred):
            return Status.HOLDS
        if pred in self.plan.open_relations:
            return Status.NOT if row in self.relations.get(ir.false_name(pred), set()) else Status.UNDETERMINED
        if row in self.undetermined(pred):
            return Status.UNDETERMINED
        return Status.NOT

    def instance_bindings(self, rule: CompiledRule) -> Iterator[dict[str, Value]]:
        """The variable bindings of every instance of a compiled rule."""
        for row in self.instances.get(rule.index, []):
            yield dict(zip(rule.columns, row, strict=True))

    def match(self, atom: ir.Atom) -> list[Row]:
        """Tuples of ``atom.pred`` that hold and match the atom's constants (variables match anything,
        consistently)."""
        return _matching(atom, self.relations.get(atom.pred, set()))

    def match_undetermined(self, atom: ir.Atom) -> list[Row]:
        """Tuples of ``atom.pred`` that are undetermined and match the atom."""
        return _matching(atom, self.undetermined(atom.pred))

    def answer(self, atom: ir.Atom) -> Status:
        """The answer to a question ``atom`` (variables: is there any tuple?): holds when a matching tuple holds,
        undetermined when none holds but one may, does not hold otherwise."""
        if self.match(atom):
            return Status.HOLDS
        if atom.pred in self.plan.open_relations:
            ground_row = ground(atom, {})
            if ground_row is not None:
                return self.status(atom.pred, ground_row)
            return Status.UNDETERMINED
        return Status.UNDETERMINED if self.match_undetermined(atom) else Status.NOT


def _matching(atom: ir.Atom, rows: set[Row]) -> list[Row]:
    return sorted((row for row in rows if unify(atom, row, {}) is not None), key=row_key)


def row_key(row: Row) -> tuple[str, ...]:
    """A sort key for rows of mixed value types: the values as rule-language literals."""
    return tuple(format_literal(v) for v in row)


def unify(atom: ir.Atom, row: Row, binding: Mapping[str, Value]) -> dict[str, Value] | None:
    """Extend ``binding`` so that ``atom`` matches ``row``; None when it cannot."""
    if len(row) != len(atom.args):
        return None
    b = dict(binding)
    for t, v in zip(atom.args, row, strict=True):
        if isinstance(t, ir.Var):
            if t.name in b:
                if not ir.same_value(b[t.name], v):
                    return None
            else:
                b[t.name] = v
        elif isinstance(t, ir.Const):
            if not ir.same_value(t.value, v):
                return None
        else:
            return None
    return b


def ground(atom: ir.Atom, binding: Mapping[str, Value]) -> Row | None:
    """The atom's argument values under a binding (None if a variable is unbound)."""
    out: list[Value] = []
    for a in atom.args:
        if isinstance(a, ir.Var):
            if a.name not in binding:
                return None
            out.append(binding[a.name])
        elif isinstance(a, ir.Const):
            out.append(a.value)
        else:
            return None
    return tuple(out)
