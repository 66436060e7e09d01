"""The one evaluator of plan steps: expressions, built-ins, aggregates, and a step's bindings over a model.

Every back end that computes in Python (the pyDatalog resolvers) and every reader of a model (the explainers,
the counterfactual search, the consistency checks) evaluates a :class:`~oerlog.semantics.plan.Step` with these
functions, so a comparison, a computation or an aggregate means the same everywhere. The SQL back end writes the
same operations as SQL (held identical by differential tests).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from oerlog.lang import ir
from oerlog.semantics.model import Model, Row, ground, unify
from oerlog.semantics.plan import Step, StepKind
from oerlog.values import FUNCTIONS, BuiltinTypeError, Value, aggregate, arith, compare


def eval_expr(e: ir.Expr, binding: Mapping[str, Value]) -> Value:
    """Evaluate an expression under a binding (all its variables must be bound)."""
    if isinstance(e, ir.Var):
        return binding[e.name]
    if isinstance(e, ir.Const):
        return e.value
    if isinstance(e, ir.Param):
        raise KeyError(f"${e.name}")  # parameters are substituted before evaluation
    if isinstance(e, ir.BinOp):
        return arith(e.op, eval_expr(e.left, binding), eval_expr(e.right, binding))
    fn = FUNCTIONS[e.func][1]
    return fn(*(eval_expr(a, binding) for a in e.args))


def assigned_expr(step: Step) -> ir.Expr:
    """The expression an ``assign`` step computes (the side of ``X = expr`` that is not its target)."""
    lit = step.literal
    assert isinstance(lit, ir.Compare) and step.kind is StepKind.ASSIGN
    target = step.binds[0]
    return lit.right if isinstance(lit.left, ir.Var) and lit.left.name == target else lit.left


def run_builtin(step: Step, binding: Mapping[str, Value]) -> Value | bool:
    """For ``assign`` the computed value; for ``test`` whether the comparison holds."""
    lit = step.literal
    assert isinstance(lit, ir.Compare)
    if step.kind is StepKind.ASSIGN:
        return eval_expr(assigned_expr(step), binding)
    return compare(lit.op, eval_expr(lit.left, binding), eval_expr(lit.right, binding))


def aggregate_value(step: Step, rows: Iterable[Row]) -> Value | None:
    """The value of an ``agg`` step over ``rows``: the rows of its auxiliary relation that form one group
    (columns :attr:`~oerlog.semantics.plan.Step.agg_columns`). None when the group has no value (the minimum of
    nothing). Raises what :func:`oerlog.values.aggregate` and the expressions raise on values they cannot compute
    with (:class:`~oerlog.values.BuiltinTypeError`, ...)."""
    lit = step.literal
    assert isinstance(lit, ir.Aggregate) and step.kind is StepKind.AGG
    cols = step.agg_columns
    vals = [tuple(eval_expr(a, dict(zip(cols, r, strict=True))) for a in lit.args) for r in rows]
    return aggregate(lit.func, vals)


def step_bindings(model: Model, step: Step, binding: Mapping[str, Value]) -> Iterator[dict[str, Value]]:
    """Every extension of ``binding`` under which ``step`` holds in ``model``: the matching tuples of a positive
    atom; the binding itself when a negated atom is absent, a comparison holds, or an assignment agrees; the
    binding with the aggregate's value for its group. A built-in that cannot compute with the values (a wrong
    type) yields nothing."""
    b = dict(binding)
    if step.kind is StepKind.ATOM and step.atom is not None:
        for row in model.tuples(step.atom.pred):
            nb = unify(step.atom, row, b)
            if nb is not None:
                yield nb
    elif step.kind in (StepKind.NOT, StepKind.DEFEAT):
        assert step.atom is not None
        g = ground(step.atom, b)
        if g is not None and not model.holds(step.atom.pred, g):
            yield b
    elif step.kind in (StepKind.TEST, StepKind.ASSIGN):
        if not all(v in b for v in step.needs):
            return
        try:
            res = run_builtin(step, b)
        except BuiltinTypeError:
            return
        if step.kind is StepKind.ASSIGN:
            target = step.binds[0]
            if target in b:
                if b[target] == res:
                    yield b
            else:
                yield {**b, target: res}
        elif res:
            yield b
    elif step.kind is StepKind.AGG:
        assert step.atom is not None
        lit = step.literal
        assert isinstance(lit, ir.Aggregate)
        key = tuple(b.get(v) for v in step.agg_group)
        rows = [r for r in model.tuples(step.atom.pred) if r[: len(key)] == key]
        try:
            value = aggregate_value(step, rows)
        except BuiltinTypeError:
            return
        if value is None:
            return
        name = lit.result.name
        if name in b and b[name] != value:
            return
        yield {**b, name: value}


def complete_helpers(model: Model, roles: tuple[ir.RelationRole, ...] | None = None) -> Model:
    """``model`` with the helper relations its plan adds (the rows an aggregate runs over, the projections of a
    negated atom with local variables) computed from the relations it holds, in the plan's order. A batched
    evaluation returns only the relations asked for; the threshold search walks rule bodies and needs these too.
    Helpers that are recursive or read each other are computed in one pass each, in the plan's order. ``roles``:
    the roles of the relations to compute (default: the helpers of aggregates and negations)."""
    helper_roles = roles or (ir.RelationRole.AGGREGATE, ir.RelationRole.EXISTENTIAL)
    for cr in model.plan.rules:
        if model.plan.roles.get(cr.head.pred) not in helper_roles or cr.head.pred in model.relations:
            continue
        rows: set[Row] = set()
        stack: list[tuple[int, dict[str, Value]]] = [(0, {})]
        while stack:
            i, b = stack.pop()
            if i == len(cr.steps):
                g = ground(cr.head, b)
                if g is not None:
                    rows.add(g)
                continue
            stack.extend((i + 1, nb) for nb in step_bindings(model, cr.steps[i], b))
        model.relations[cr.head.pred] = rows
    return model
