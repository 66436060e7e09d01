"""Counterfactuals: the smallest changes to a case's facts that flip a decision, each verified by re-running
the rules.

Candidate changes come from the decision's proof, never from guesses about the whole case:

- a threshold comparison on a value that comes straight from an input fact (``G < 4.0`` with ``G`` the grade of
  ``test_result``) gives "that field at the boundary" (4.0; a date one day earlier or later);
- every input fact the proof uses may be taken away;
- a fact whose absence the proof relies on (a negation, an exception whose condition is missing) may be added,
  unknown fields filled with values taken from the case (a date just before the earliest date in the proof).

Single changes are tried first; pairs only when no single change flips the decision. Only changes whose
re-evaluation shows the decision gone are reported.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from . import ir
from .cases import Case
from .engine import Model, Row, evaluate
from .explain import Explainer, Node, ground
from .plan import CompiledRule, Plan, eval_expr
from .values import BuiltinTypeError, Value, compare, format_value
from .vocabulary import Vocabulary


@dataclass(frozen=True)
class Change:
    """One change to the case's facts."""

    kind: str  # set | remove | add
    pred: str
    row: Row  # the fact as it is (remove, set) or as it would be added (add)
    new_row: Row | None = None  # for set
    field: str | None = None
    old: Value | None = None
    new: Value | None = None

    def describe(self, lang: str = "nl") -> str:
        """The change in words."""
        atom = f"{self.pred}({', '.join(format_value(v, lang) for v in self.row)})"
        if self.kind == "set":
            new, old = format_value(self.new, lang), format_value(self.old, lang)
            if lang == "nl":
                return f"{self.field} {new} in plaats van {old} in {atom}"
            return f"{self.field} {new} instead of {old} in {atom}"
        if self.kind == "remove":
            return f"zonder het feit {atom}" if lang == "nl" else f"without the fact {atom}"
        return f"met daarbij het feit {atom}" if lang == "nl" else f"with the additional fact {atom}"


@dataclass
class Counterfactual:
    """A verified set of changes and what it does."""

    changes: list[Change]
    decision_after: bool
    wanted_after: bool | None = None


@dataclass
class Search:
    """Result of a counterfactual search."""

    found: list[Counterfactual] = field(default_factory=list)
    tried: int = 0
    evaluations: int = 0


def _apply(facts: dict[str, set[Row]], changes: list[Change]) -> dict[str, set[Row]]:
    out = {k: set(v) for k, v in facts.items()}
    for c in changes:
        rows = out.setdefault(c.pred, set())
        if c.kind in ("remove", "set"):
            rows.discard(c.row)
        if c.kind == "set" and c.new_row is not None:
            rows.add(c.new_row)
        if c.kind == "add":
            rows.add(c.row)
    return out


def _shift(v: Value, up: bool) -> Value | None:
    """The next value above (or below) ``v`` at its own precision: 3.8 -> 3.9, 4 -> 5, a date -> next day."""
    if isinstance(v, bool):
        return None
    if isinstance(v, Decimal):
        exp = v.as_tuple().exponent
        places = max(1, -exp) if isinstance(exp, int) else 1
        step = Decimal(1).scaleb(-places)
        return v + step if up else v - step
    if isinstance(v, int):
        return v + 1 if up else v - 1
    if isinstance(v, dt.date):
        return v + dt.timedelta(days=1 if up else -1)
    return None


def _flip_value(op: str, var_on_left: bool, current: Value, other: Value) -> Value | None:
    """A value for the variable side that makes ``var op other`` (or ``other op var``) change truth: the
    boundary on the other side of the comparison."""
    if not var_on_left:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if op not in ("<", "<=", ">", ">="):
        return None
    try:
        holds = compare(op, current, other)
    except BuiltinTypeError:
        return None
    if op == "<":
        return other if holds else _shift(other, up=False)
    if op == "<=":
        return _shift(other, up=True) if holds else other
    if op == ">":
        return other if holds else _shift(other, up=True)
    return _shift(other, up=False) if holds else other


class Searcher:
    """Finds counterfactuals for one decision of one evaluated case."""

    def __init__(self, plan: Plan, model: Model, case: Case, vocabulary: Vocabulary, explainer: Explainer):
        self.plan = plan
        self.model = model
        self.case = case
        self.voc = vocabulary
        self.ex = explainer
        self.inputs = set(vocabulary.relations)

    def candidates(self, decision: ir.Atom, wanted: ir.Atom | None) -> list[Change]:
        """Changes suggested by the decision's proof (and by why the wanted outcome fails), limited to facts
        about the decision's subject (the first argument, normally the student): the programme's schedule and
        course data are not something an appeal can change."""
        subject = next((a.value for a in decision.args if isinstance(a, ir.Const)), None)
        return [c for c in self._candidates(decision, wanted) if subject is None or subject in c.row]

    def _candidates(self, decision: ir.Atom, wanted: ir.Atom | None) -> list[Change]:
        rows = self.model.match(decision)
        out: list[Change] = []
        seen_nodes: set[tuple[str, Row]] = set()
        dates: list[dt.date] = []
        for row in rows:
            self._from_proof(decision.pred, row, out, seen_nodes, dates)
        earliest = min(dates) if dates else (self.case.reference_date or dt.date.today())
        proof_trees = [self.ex.why(decision.pred, r) for r in rows]
        for tree in proof_trees:
            for n in _walk(tree):
                if n.kind == "exception_checked":
                    for m in _walk(n):
                        if m.kind == "missing_fact" and m.pred in self.inputs and m.atom:
                            out.extend(self._additions(m.atom, earliest))
                elif n.kind == "absent" and n.pred in self.inputs and n.text:
                    pass  # adding a fact that a negation requires absent would only make the decision hold less
        if wanted is not None:
            tree = self.ex.whynot(wanted)
            for n in _walk(tree):
                if n.kind == "missing_fact" and n.pred in self.inputs and n.atom:
                    out.extend(self._additions(n.atom, earliest))
        unique: dict[tuple[object, ...], Change] = {}
        for c in out:
            unique.setdefault((c.kind, c.pred, c.row, c.new_row), c)
        return list(unique.values())

    def _from_proof(
        self, pred: str, row: Row, out: list[Change], seen: set[tuple[str, Row]], dates: list[dt.date]
    ) -> None:
        key = (pred, row)
        if key in seen:
            return
        seen.add(key)
        if pred in self.inputs:
            out.append(Change("remove", pred, row))
            dates.extend(v for v in row if isinstance(v, dt.date))
            return
        best = self.ex._heights().get(key)
        if best is None:
            return
        _, cr, b = best
        dates.extend(v for v in b.values() if isinstance(v, dt.date))
        for st in cr.steps:
            if st.kind == "atom" and st.atom is not None:
                g = ground(st.atom, b)
                if g is not None:
                    self._from_proof(st.atom.pred, g, out, seen, dates)
            elif st.kind == "test":
                out.extend(self._threshold(cr, st.literal, b))

    def _threshold(self, cr: CompiledRule, lit: ir.Literal, b: dict[str, Value]) -> list[Change]:
        assert isinstance(lit, ir.Compare)
        out: list[Change] = []
        for var_side, other_side, left in ((lit.left, lit.right, True), (lit.right, lit.left, False)):
            if not isinstance(var_side, ir.Var) or var_side.name not in b:
                continue
            try:
                other = eval_expr(other_side, b)
            except (KeyError, BuiltinTypeError):
                continue
            new = _flip_value(lit.op, left, b[var_side.name], other)
            if new is None:
                continue
            for pred, g, i in input_sources(cr, var_side.name, b, self.inputs):
                rel = self.voc.relations[pred]
                fname = rel.fields[i].name
                if rel.fields[i].type == "grade" and isinstance(new, Decimal) and not (1 <= new <= 10):
                    continue
                new_row = g[:i] + (new,) + g[i + 1 :]
                out.append(Change("set", pred, g, new_row, fname, g[i], new))
        return out

    def _additions(self, atom_text: str, earliest: dt.date) -> list[Change]:
        from .parser import parse_atom

        try:
            atom = parse_atom(atom_text)
        except Exception:  # noqa: BLE001 - a rendering we cannot parse back is simply not a candidate
            return []
        rel = self.voc.relations.get(atom.pred)
        if rel is None or rel.arity != atom.arity:
            return []
        options: list[list[Value]] = []
        for t, f in zip(atom.args, rel.fields, strict=True):
            if isinstance(t, ir.Const):
                options.append([t.value])
            elif f.type == "date":
                options.append([earliest - dt.timedelta(days=1)])
            elif f.type == "enum":
                options.append(list(f.values[:4]))
            elif f.type in ("id", "string"):
                options.append(["x"])
            else:
                return []
        return [Change("add", atom.pred, tuple(combo)) for combo in itertools.product(*options)][:6]

    def search(self, decision: ir.Atom, wanted: ir.Atom | None, max_evaluations: int = 60) -> Search:
        """Try single changes, then pairs; keep those whose re-evaluation removes the decision."""
        res = Search()
        cands = self.candidates(decision, wanted)
        res.tried = len(cands)

        def check(changes: list[Change]) -> Counterfactual | None:
            res.evaluations += 1
            m = evaluate(self.plan, _apply(self.case.facts, changes))
            if m.match(decision):
                return None
            return Counterfactual(changes, False, bool(m.match(wanted)) if wanted is not None else None)

        for c in cands:
            if res.evaluations >= max_evaluations:
                break
            cf = check([c])
            if cf:
                res.found.append(cf)
        if not res.found:
            for a, b in itertools.combinations(cands, 2):
                if res.evaluations >= max_evaluations:
                    break
                if a.pred == b.pred and a.row == b.row:
                    continue
                cf = check([a, b])
                if cf:
                    res.found.append(cf)
        # prefer changes that also bring about the wanted outcome, then value changes over removals
        order = {"set": 0, "add": 1, "remove": 2}
        res.found.sort(key=lambda cf: (not cf.wanted_after, len(cf.changes), [order[c.kind] for c in cf.changes]))
        return res


def input_sources(cr: CompiledRule, var: str, b: dict[str, Value], inputs: set[str]) -> list[tuple[str, Row, int]]:
    """The input facts that supplied ``var`` in an instance (or partial instance) ``b`` of rule ``cr``:
    ``(relation, fact, field index)`` for every input-relation atom of the body that binds ``var``. Shared by the
    counterfactual search and the consistency checks' boundary scenarios."""
    out: list[tuple[str, Row, int]] = []
    for st in cr.steps:
        if st.kind != "atom" or st.atom is None or st.atom.pred not in inputs:
            continue
        for i, a in enumerate(st.atom.args):
            if isinstance(a, ir.Var) and a.name == var:
                g = ground(st.atom, b)
                if g is not None:
                    out.append((st.atom.pred, g, i))
    return out


def _walk(n: Node) -> list[Node]:
    out = [n]
    for c in n.children:
        out.extend(_walk(c))
    return out
