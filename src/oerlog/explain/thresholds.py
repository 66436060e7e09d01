"""Threshold dimensions of a case: the input fields a rule compares with a threshold, and the values on each
side of the threshold.

Every threshold comparison that a rule makes on a value read from an input fact (a grade, a date, EC, a count
stored as a field) splits that field into intervals, and the boundary values on each side are found by
bisection over the comparison as the rule evaluates it (so ``round_half_up(G, 1) <= 5.4`` gives 5.44 / 5.45,
and ``D <= add_days(Start, -7)`` the last day and the day after). Used by the counterfactual search (which
proposes those values as changes to a case) and by the consistency checks' boundary scenarios.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from oerlog.explain.explainer import Explainer
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.semantics.evaluate import assigned_expr, eval_expr, step_bindings
from oerlog.semantics.model import Model, Row, ground
from oerlog.semantics.plan import CompiledRule, Plan, Step, StepKind
from oerlog.values import BuiltinTypeError, Value, compare, format_literal

VALUE_TYPES = ("grade", "decimal", "integer", "ec", "date")
ORDER_OPS = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class Dimension:
    """A field (of one fact, or of every fact an aggregate reads) and the boundary values to try."""

    targets: tuple[tuple[str, Row, int], ...]
    values: tuple[Value, ...]
    label: str


def _domain(v: Value, ftype: str) -> tuple[Value, Value, Value] | None:
    """(low, high, step) of a field for the boundary search."""
    if isinstance(v, bool):
        return None
    if isinstance(v, dt.date):
        return v - dt.timedelta(days=1500), v + dt.timedelta(days=1500), 1
    if isinstance(v, int):
        return min(0, v), max(100, v * 4), 1
    if isinstance(v, Decimal):
        if ftype == "grade":
            return Decimal("1.00"), Decimal("10.00"), Decimal("0.01")
        if ftype == "ec":
            return Decimal("0.0"), max(Decimal(400), v * 4), Decimal("0.1")
        return min(Decimal(0), v), max(Decimal(200), v * 4), Decimal("0.01")
    return None


def _at(lo: Value, step: Value, k: int) -> Value:
    if isinstance(lo, dt.date):
        return lo + dt.timedelta(days=k)
    if isinstance(lo, int):
        return lo + k
    assert isinstance(lo, Decimal) and isinstance(step, Decimal)
    return lo + step * k


def _count(lo: Value, hi: Value, step: Value) -> int:
    if isinstance(lo, dt.date) and isinstance(hi, dt.date):
        return (hi - lo).days
    if isinstance(lo, int) and isinstance(hi, int):
        return hi - lo
    assert isinstance(lo, Decimal) and isinstance(hi, Decimal) and isinstance(step, Decimal)
    return int((hi - lo) / step)


def boundaries(f: Callable[[Value], bool | None], current: Value, ftype: str) -> list[Value]:
    """The values on both sides of every point where ``f`` changes truth, searched by bisection over the field's
    domain (around ``current``); for decimals also the one-decimal neighbours (3,9 / 4,0 next to 3,99)."""
    dom = _domain(current, ftype)
    if dom is None:
        return []
    lo, hi, step = dom
    n = _count(lo, hi, step)
    if n <= 0:
        return []

    def truth(k: int) -> bool | None:
        return f(_at(lo, step, k))

    ks = [0, n]
    kc = _count(lo, current, step) if current != lo else 0
    if 0 < kc < n:
        ks = [0, kc, n]
    vals = [truth(k) for k in ks]
    out: list[Value] = []
    for (a, va), (b, vb) in itertools.pairwise(zip(ks, vals, strict=True)):
        if va is None or vb is None or va == vb:
            continue
        while b - a > 1:
            m = (a + b) // 2
            vm = truth(m)
            if vm is None:
                break
            if vm == va:
                a = m
            else:
                b = m
        x0, x1 = _at(lo, step, a), _at(lo, step, b)
        out += [x0, x1]
        if isinstance(x0, Decimal) and isinstance(x1, Decimal):
            down = x0.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
            up = x1.quantize(Decimal("0.1"), rounding=ROUND_CEILING)
            for extra in (down, up):
                if extra not in out and (ftype != "grade" or Decimal(1) <= extra <= Decimal(10)):
                    out.append(extra)
    return _clean(out, ftype)


def _clean(vals: list[Value], ftype: str) -> list[Value]:
    out: list[Value] = []
    for v in vals:
        if isinstance(v, Decimal):
            v = v.normalize() if v != v.to_integral_value() else v.quantize(Decimal("0.0"))
            if ftype == "grade" and not (Decimal(1) <= v <= Decimal(10)):
                continue
            if ftype == "ec" and v < 0:
                continue
        if v not in out:
            out.append(v)
    return out


class Generator:
    """Finds the boundary dimensions of one evaluated seed under one document."""

    def __init__(
        self, kb: KnowledgeBase, plan: Plan, model: Model, doc: Document, memo: dict[object, list[Value]] | None = None
    ) -> None:
        self.kb = kb
        # boundary values by (rule, comparison, variable, the values the comparison reads): shared by the
        # generators of many cases of one plan, which meet the same comparisons on the same values
        self.memo: dict[object, list[Value]] = {} if memo is None else memo
        self.plan = plan
        self.model = model
        self.ex = Explainer(model, doc)
        self.inputs = set(kb.vocabulary.relations)
        self.max_bindings = 24

    def dimensions(self) -> list[Dimension]:
        """Boundary dimensions of every threshold comparison the seed reaches."""
        out: dict[tuple[tuple[str, Row, int], ...], set[Value]] = {}
        labels: dict[tuple[tuple[str, Row, int], ...], str] = {}
        for cr in self.plan.rules:
            if not any(s.kind is StepKind.TEST and _is_order(s) for s in cr.steps):
                continue
            for i, b in self._partial(cr):
                for targets, vals, label in self._thresholds(cr, i, b):
                    out.setdefault(targets, set()).update(vals)
                    labels.setdefault(targets, label)
        dims = []
        for targets, found in out.items():
            current = {t[1][t[2]] for t in targets}
            vs = [v for v in sorted(found, key=value_sort_key) if not (len(current) == 1 and v in current)]
            if vs:
                dims.append(Dimension(targets, tuple(vs), labels[targets]))
        return sorted(dims, key=lambda d: d.label)

    def _partial(self, cr: CompiledRule) -> Iterator[tuple[int, dict[str, Value]]]:
        """(index of a test step, binding reached just before it), walking the body over the model."""
        seen = 0
        stack: list[tuple[int, dict[str, Value]]] = [(0, {})]
        while stack and seen < self.max_bindings:
            i, b = stack.pop()
            if i >= len(cr.steps):
                continue
            st = cr.steps[i]
            if st.kind is StepKind.TEST:
                if _is_order(st):
                    seen += 1
                    yield i, b
                stack.append((i + 1, b))
            elif st.kind in (StepKind.NOT, StepKind.DEFEAT):
                stack.append((i + 1, b))
            else:
                # the first 8 in a fixed order, so that the same case always gives the same dimensions
                nbs = sorted(step_bindings(self.model, st, b), key=_binding_key)[:8]
                stack.extend((i + 1, nb) for nb in reversed(nbs))

    def _thresholds(
        self, cr: CompiledRule, i: int, b: dict[str, Value]
    ) -> Iterator[tuple[tuple[tuple[str, Row, int], ...], list[Value], str]]:
        st = cr.steps[i]
        lit = st.literal
        assert isinstance(lit, ir.Compare)
        assigns = [s for s in cr.steps[:i] if s.kind is StepKind.ASSIGN]
        for root in self._roots(cr, i):
            if root not in b:
                continue
            targets = self._trace_var(cr, root, b, 0)
            if not targets:
                continue
            pred, row, idx = targets[0]
            ftype = self.kb.vocabulary.relations[pred].fields[idx].type
            if ftype not in VALUE_TYPES:
                continue

            def truth(x: Value, root: str = root) -> bool | None:
                nb = dict(b)
                nb[root] = x
                try:
                    for a in assigns:
                        if root in a.binds:
                            continue
                        if all(v in nb for v in a.needs):
                            nb[a.binds[0]] = eval_expr(assigned_expr(a), nb)
                    return compare(lit.op, eval_expr(lit.left, nb), eval_expr(lit.right, nb))
                except (BuiltinTypeError, KeyError, ArithmeticError, ValueError, OverflowError, TypeError):
                    return None

            used = sorted({v for a in assigns for v in a.needs} | {v.name for v in _compare_vars(lit)})
            key = (id(cr), i, root, tuple((v, b.get(v)) for v in used), b[root], ftype)
            vals = self.memo.get(key)
            if vals is None:
                vals = boundaries(truth, b[root], ftype)
                self.memo[key] = vals
            if vals:
                rel = self.kb.vocabulary.relations[pred]
                label = f"{pred}.{rel.fields[idx].name} ({cr.id}: {lit})"
                yield tuple(sorted(set(targets), key=_target_key)), vals, label

    def _roots(self, cr: CompiledRule, i: int) -> list[str]:
        """Variables of the comparison, followed back through assignments to the atom / aggregate that bound them."""
        lit = cr.steps[i].literal
        assert isinstance(lit, ir.Compare)
        wanted = [v.name for v in itertools.chain(ir.expr_vars(lit.left), ir.expr_vars(lit.right))]
        roots: list[str] = []
        seen: set[str] = set()
        while wanted:
            v = wanted.pop()
            if v in seen:
                continue
            seen.add(v)
            binder = next((s for s in cr.steps[:i] if v in s.binds), None)
            if binder is None:
                continue
            if binder.kind is StepKind.ASSIGN:
                wanted.extend(binder.needs)
            elif v not in roots:
                roots.append(v)
        return roots

    def _trace_var(self, cr: CompiledRule, var: str, b: dict[str, Value], depth: int) -> list[tuple[str, Row, int]]:
        """The input fields a variable's value comes from (unchanged, through derived atoms, assignments of one
        variable, or a min / max / mean aggregate, whose every member is then set)."""
        if depth > 5:
            return []
        direct = input_sources(cr, var, b, self.inputs)
        if direct:
            return direct[:1]
        binder = next((s for s in cr.steps if var in s.binds), None)
        if binder is None:
            return []
        if binder.kind is StepKind.ATOM and binder.atom is not None:
            g = ground(binder.atom, b)
            pos = next(k for k, a in enumerate(binder.atom.args) if isinstance(a, ir.Var) and a.name == var)
            if g is None:
                return []
            return self._trace_fact(binder.atom.pred, g, pos, depth + 1)
        if binder.kind is StepKind.ASSIGN and len(binder.needs) == 1:
            return self._trace_var(cr, binder.needs[0], b, depth + 1)
        if binder.kind is StepKind.AGG and binder.atom is not None:
            lit = binder.literal
            assert isinstance(lit, ir.Aggregate)
            if lit.func not in ("min", "max", "mean", "wmean") or not lit.args or not isinstance(lit.args[0], ir.Var):
                return []
            aux = next((r for r in self.plan.rules if r.head.pred == binder.atom.pred), None)
            if aux is None:
                return []
            key = tuple(b.get(v) for v in binder.agg_group)
            out: list[tuple[str, Row, int]] = []
            for r in self.model.tuples(binder.atom.pred):
                if r[: len(key)] != key:
                    continue
                mb = dict(zip(binder.agg_columns, r, strict=True))
                out.extend(self._trace_var(aux, lit.args[0].name, mb, depth + 1))
            return out
        return []

    def _trace_fact(self, pred: str, row: Row, pos: int, depth: int) -> list[tuple[str, Row, int]]:
        if pred in self.inputs:
            return [(pred, row, pos)]
        best = self.ex.lowest_instance(pred, row)
        if best is None:
            return []
        _, cr, b = best
        arg = cr.head.args[pos]
        if not isinstance(arg, ir.Var):
            return []
        return self._trace_var(cr, arg.name, b, depth)


def _compare_vars(lit: ir.Compare) -> Iterator[ir.Var]:
    return itertools.chain(ir.expr_vars(lit.left), ir.expr_vars(lit.right))


def _binding_key(b: dict[str, Value]) -> list[tuple[str, str]]:
    return [(k, format_literal(v)) for k, v in sorted(b.items())]


def _is_order(st: Step) -> bool:
    return isinstance(st.literal, ir.Compare) and st.literal.op in ORDER_OPS


def value_sort_key(v: Value) -> tuple[str, str]:
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return (type(v).__name__, f"{float(v):020.4f}")
    return (type(v).__name__, str(v))


def _target_key(t: tuple[str, Row, int]) -> tuple[str, str, int]:
    return (t[0], "(" + ", ".join(format_literal(v) for v in t[1]) + ")", t[2])


def input_sources(cr: CompiledRule, var: str, b: dict[str, Value], inputs: set[str]) -> list[tuple[str, Row, int]]:
    """The input facts that supplied ``var`` in an instance (or partial instance) ``b`` of rule ``cr``:
    ``(relation, fact, field index)`` for every input-relation atom of the body that binds ``var``. Shared by the
    counterfactual search and the threshold search."""
    out: list[tuple[str, Row, int]] = []
    for st in cr.steps:
        if st.kind is not StepKind.ATOM or st.atom is None or st.atom.pred not in inputs:
            continue
        for i, a in enumerate(st.atom.args):
            if isinstance(a, ir.Var) and a.name == var:
                g = ground(st.atom, b)
                if g is not None:
                    out.append((st.atom.pred, g, i))
    return out
