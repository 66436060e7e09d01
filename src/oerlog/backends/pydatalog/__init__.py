"""The binding to pyDatalog: evaluate a compiled :class:`~oerlog.semantics.plan.Plan` over a set of facts.

This is the only module that imports pyDatalog. The plan is handed over term by term through pyDatalog's engine
API (``pyEngine.Literal``, ``Var``, ``Term_of``, ``Clause``, ``assert_``, ``retract``); no text is ever loaded or
executed. Built-ins (comparisons, arithmetic, date functions) and aggregates are pyDatalog *Python resolvers*
whose code is fixed in this package (:mod:`.resolvers`); they receive bound values and compute with exact decimals
and dates.

A plan's program is loaded once into a pyDatalog logic of its own (:class:`LoadedProgram`) and solved case after
case: the case's facts are asserted, the relations computed stratum by stratum, the model read, and the facts
retracted. Nothing else of a case stays. pyDatalog tables answers per query only (each ``Literal.ask`` starts
with an empty subgoal table), its predicates keep their clauses and facts and nothing derived, and the aggregate
resolvers' rows are emptied before each case; so retracting the facts restores the program as loaded, and no
``Logic()`` or ``pyDatalog.clear()`` (which would drop the program) is needed. The reuse tests hold a reused
program to a fresh one over every document's example cases in any order.

pyDatalog keeps per-thread global state and can run long on large programs while holding the GIL, so by default
each evaluation runs in a worker process that keeps the programs it loaded (:mod:`.worker`): a time limit kills
the worker and reports which relation was being computed; the worker never outlives its parent.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oerlog.backends.pydatalog.resolvers import COMPUTE_ERRORS, Resolvers, builtin_error
from oerlog.backends.pydatalog.worker import (
    DEFAULT_TIMEOUT,
    TIMEOUT_VARIABLE,
    PlanCache,
    Progress,
    Result,
    default_timeout,
    run,
)
from oerlog.errors import EvaluationError
from oerlog.lang import ir
from oerlog.semantics.model import Model, Row, row_key
from oerlog.semantics.plan import CompiledRule, Plan, Step, StepKind

__all__ = [
    "COMPUTE_ERRORS",
    "DEFAULT_TIMEOUT",
    "TIMEOUT_VARIABLE",
    "LoadedProgram",
    "builtin_error",
    "default_timeout",
    "evaluate",
]


# --- evaluation ---------------------------------------------------------------------------------------


def evaluate(
    plan: Plan,
    facts: Mapping[str, set[Row]],
    *,
    timeout: float | None = None,
    isolate: bool = True,
    reuse: bool = True,
) -> Model:
    """Evaluate ``plan`` over input ``facts`` (relation name -> tuples) and return the full model.

    ``isolate`` runs pyDatalog in a worker process so that a time limit can stop it; ``timeout`` defaults to
    ``$OERLOG_TIMEOUT`` or 30 seconds (in this process there is no time limit). ``reuse`` solves the case with the
    plan's program as loaded for an earlier case (in the worker, or in this thread); ``reuse=False`` loads it
    afresh, in a one-off process when isolated.
    """
    limit = default_timeout() if timeout is None else timeout
    start = time.perf_counter()
    import pyDatalog.pyParser  # noqa: F401 - imported once here, so forked workers inherit it

    if not isolate or "fork" not in mp.get_all_start_methods():
        rel, inst = _evaluate_here(plan, facts, reuse)
    else:
        rel, inst = run(LoadedProgram, plan, facts, limit, reuse=reuse)
    model = Model(plan, rel, inst, time.perf_counter() - start)
    model.fold_options()  # relations under listed template options: folded from their copies
    return model


_local = threading.local()  # this thread's loaded programs (pyDatalog's state is per thread)


def _evaluate_here(plan: Plan, facts: Mapping[str, set[Row]], reuse: bool) -> Result:
    """Solve in this thread, with the plan's program kept from an earlier case when ``reuse``. A program that
    does not finish its case (an error, a signal) is dropped, never reused."""
    if not reuse:
        return LoadedProgram(plan).solve(facts, None)
    programs: PlanCache[LoadedProgram] | None = getattr(_local, "programs", None)
    if programs is None:
        programs = _local.programs = PlanCache()
    program = programs.get(plan)
    if program is None:
        program = LoadedProgram(plan)
        programs.put(plan, program)
    try:
        return program.solve(facts, None)
    except BaseException:
        programs.drop(program)
        raise


# --- one plan's program in pyDatalog --------------------------------------------------------------------


@dataclass
class _Group:
    """One recursive component (or one non-recursive relation), evaluated after the components beneath it."""

    preds: list[str]
    rules: list[CompiledRule]
    variants: list[tuple[CompiledRule, str]] = field(default_factory=list)  # delta variants: (rule, relation)


class LoadedProgram:
    """A plan's program loaded into a pyDatalog logic of its own, solved case after case (see :meth:`solve`).

    Loading defines, per rule, its rule-instance relation (and a delta variant per recursive body atom), declares
    every relation the rules read, and registers the built-in and aggregate resolvers. A case then only asserts
    facts, asks the instance relations, and retracts the facts again."""

    def __init__(self, plan: Plan) -> None:
        from pyDatalog import pyEngine  # deferred: pyDatalog, loaded only when a plan is evaluated
        from pyDatalog.Logic import Logic  # deferred: pyDatalog

        self._engine = pyEngine
        self._logic_class = Logic
        self.logic = Logic()  # a fresh logic, now this thread's
        self.plan = plan
        self.resolvers = Resolvers(plan)
        self._preds: dict[tuple[str, int], Any] = {}
        self._asserted: list[Any] = []  # the fact clauses of the last case, retracted before the next
        self._declare()
        by_head: dict[str, list[CompiledRule]] = {}
        for cr in plan.rules:
            by_head.setdefault(cr.head.pred, []).append(cr)
        self.groups = [self._define(group, by_head) for group in plan.groups]

    # loading

    def _declare(self) -> None:
        """Every relation the rules read or derive exists in pyDatalog, even without facts."""
        for cr in self.plan.rules:
            self._pred(cr.head.pred, cr.head.arity)
            for st in cr.steps:
                if st.atom is not None and st.kind is not StepKind.AGG:
                    self._pred(st.atom.pred, st.atom.arity)

    def _pred(self, name: str, arity: int) -> Any:
        """The pyDatalog predicate ``name/arity`` of this logic, entered in its database."""
        key = (name, arity)
        if key not in self._preds:
            pred = self._engine.Pred(name, arity)
            pred.prearity = arity  # no function-like key: a fact is identified by all its values
            self._preds[key] = self._engine.insert(pred)
        return self._preds[key]

    def _define(self, group: list[str], by_head: dict[str, list[CompiledRule]]) -> _Group:
        """Define the component's rule-instance relations (and delta variants, see :meth:`_solve_group`)."""
        members = set(group)
        out = _Group(list(group), [cr for p in group for cr in by_head.get(p, [])])
        for cr in out.rules:
            self._clause(cr.instance_pred, cr, self._body(cr))
            for i, st in enumerate(cr.steps):
                if st.kind is StepKind.ATOM and st.atom is not None and st.atom.pred in members:
                    name = f"{cr.instance_pred}_d{i}"
                    self._clause(name, cr, self._body(cr, i))
                    out.variants.append((cr, name))
        for pred in group:
            self._pred(_delta(pred), by_head[pred][0].head.arity)
        return out

    def _body(self, cr: CompiledRule, delta_at: int | None = None) -> list[Any]:
        """The rule's body literals; ``delta_at`` reads that step's atom from its delta relation, first (see
        :func:`_delta_order`)."""
        eng = self._engine
        lits: list[Any] = []
        order = range(len(cr.steps)) if delta_at is None else _delta_order(cr.steps, delta_at)
        for i in order:
            st = cr.steps[i]
            if st.kind in (StepKind.ATOM, StepKind.NOT, StepKind.DEFEAT):
                assert st.atom is not None
                pred = _delta(st.atom.pred) if i == delta_at else st.atom.pred
                sign = "" if st.kind is StepKind.ATOM else "~"
                lits.append(eng.Literal(sign + pred, [self._term(a) for a in st.atom.args]))
            elif st.kind in (StepKind.TEST, StepKind.ASSIGN):
                name = f"_b{cr.index}_{i}"
                self.resolvers.builtin(name, cr, st)
                lits.append(eng.Literal(name, [eng.Var("V_" + v) for v in st.needs + st.binds]))
            else:
                name = f"_a{cr.index}_{i}"
                self.resolvers.aggregate(name, cr, st)
                lits.append(eng.Literal(name, [eng.Var("V_" + v) for v in st.agg_group + st.binds]))
        return lits

    def _term(self, x: ir.Term) -> Any:
        if isinstance(x, ir.Var):
            return self._engine.Var("V_" + x.name)
        if isinstance(x, ir.Const):
            return self._engine.Term_of(x.value)
        raise EvaluationError(f"unsubstituted parameter {x}")

    def _clause(self, name: str, cr: CompiledRule, lits: list[Any]) -> None:
        """``name(columns) <= body``; a rule without body literals is a fact of the program."""
        eng = self._engine
        head = eng.Literal(name, [eng.Var("V_" + c) for c in cr.columns] if lits else [])
        eng.assert_(eng.Clause(head, lits))

    # one case

    def solve(self, facts: Mapping[str, set[Row]], progress: Progress | None) -> Result:
        """Evaluate one case, one recursive component at a time, lowest first.

        pyDatalog answers each query top-down from scratch (its tables live for one query), so a query on a
        high-stratum relation would re-derive everything beneath it. Instead every relation is held as facts: a
        component's rules only define rule-instance relations, asked here (to a semi-naive fixpoint when the
        component is recursive), and the derived tuples are asserted as facts for the components above.
        """
        eng = self._engine
        self.clear()
        self.resolvers.reset()
        relations: dict[str, set[Row]] = {p: set(rows) for p, rows in facts.items()}
        for f in self.plan.facts:
            relations.setdefault(f.pred, set()).add(tuple(a.value for a in f.args if isinstance(a, ir.Const)))
        for pred, rows in relations.items():
            for row in rows:
                self._asserted.append(self._assert(pred, row))
        instances: dict[int, list[Row]] = {}
        saved = dict(eng.Python_resolvers)
        eng.Python_resolvers.update(self.resolvers.registered)
        try:
            for group in self.groups:
                self._solve_group(group, relations, instances, progress)
        finally:
            eng.Python_resolvers.clear()
            eng.Python_resolvers.update(saved)
        return relations, instances

    def _solve_group(
        self, group: _Group, relations: dict[str, set[Row]], instances: dict[int, list[Row]], progress: Progress | None
    ) -> None:
        """Evaluate one component. Its relations stay plain facts in pyDatalog: its rules only define
        rule-instance relations, evaluated here to a fixpoint (semi-naive: after the first round, each rule is
        re-run once per recursive atom, that atom reading only the tuples new in the previous round).
        pyDatalog's own recursion (SLG) does not terminate on cycles through three or more subgoals, e.g.
        p -> _ri -> q -> _ri -> p, so it is never asked to recurse."""
        found: dict[int, set[Row]] = {cr.index: set() for cr in group.rules}
        asks = [(cr, cr.instance_pred) for cr in group.rules]
        delta: list[Any] = []  # the delta relations' fact clauses of the last round
        while asks:
            new: dict[str, set[Row]] = {}
            for cr, name in asks:
                if progress:
                    progress(cr.index)
                rows = self._ask(name, len(cr.columns))
                found[cr.index] |= rows
                known = relations.setdefault(cr.head.pred, set())
                for row in rows:
                    b = dict(zip(cr.columns, row, strict=True))
                    tup = tuple(b[a.name] if isinstance(a, ir.Var) else a.value for a in cr.head.args)  # type: ignore[union-attr]
                    if tup not in known:
                        new.setdefault(cr.head.pred, set()).add(tup)
            for clause in delta:
                self._engine.retract(clause)
            delta = []
            for pred, rows in new.items():
                relations[pred] |= rows
                for row in rows:
                    self._asserted.append(self._assert(pred, row))
                    delta.append(self._assert(_delta(pred), row))
            asks = group.variants if new else []
        for cr in group.rules:
            instances[cr.index] = sorted(found[cr.index], key=row_key)
        for pred in group.preds:
            if pred in self.plan.aggregates:
                self.resolvers.tables[pred] = relations[pred]

    def _activate(self) -> None:
        """Make this program's logic the current thread's (pyDatalog reads it from a thread-local)."""
        self._logic_class.tl.logic = self.logic

    def _assert(self, pred: str, row: Row) -> Any:
        """Assert the fact ``pred(row)``; returns its clause, to retract it."""
        eng = self._engine
        clause = eng.Clause(eng.Literal(self._pred(pred, len(row)), [eng.Term_of(v) for v in row]), [])
        eng.assert_(clause)
        return clause

    def _ask(self, pred: str, n: int) -> set[Row]:
        eng = self._engine
        ans = eng.Literal(self._pred(pred, n), [eng.Var(f"Q{i}") for i in range(n)]).ask()
        if not ans:
            return set()
        if n == 0:
            return {()}
        return {tuple(r) for r in ans}

    def clear(self) -> None:
        """Retract the facts of the last case: the program is as loaded (and this thread's logic)."""
        self._activate()
        for clause in self._asserted:
            self._engine.retract(clause)
        self._asserted = []


def _delta_order(steps: tuple[Step, ...], first: int) -> list[int]:
    """Step indices with the positive atom ``first`` in front, then greedily: every other step as soon as its
    inputs are bound, else the next atom (in written order) that shares a bound variable, else the next atom.
    Keeps the delta join connected (no cross product of the new tuples with an unrelated relation)."""
    order = [first]
    bound = set(steps[first].binds)
    pending = [i for i in range(len(steps)) if i != first]
    while pending:
        ready = next((i for i in pending if steps[i].kind is not StepKind.ATOM and set(steps[i].needs) <= bound), None)
        if ready is None:
            atoms = [i for i in pending if steps[i].kind is StepKind.ATOM]
            ready = next((i for i in atoms if set(steps[i].binds) & bound), atoms[0] if atoms else pending[0])
        order.append(ready)
        bound.update(steps[ready].binds)
        pending.remove(ready)
    return order


def _delta(pred: str) -> str:
    """Name of the relation holding the tuples of ``pred`` new in the last round of a recursive component (role
    :attr:`~oerlog.lang.ir.RelationRole.DELTA`: it lives in this back end's engine only, never in a model)."""
    return f"_delta_{pred}"
